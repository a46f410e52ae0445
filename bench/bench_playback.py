"""Review-app playback benchmark: real-time play and seeks over the sample incident, offscreen.

Measures, with the real window (``ui.main_window.MainWindow``, ``QT_QPA_PLATFORM=offscreen``):

* real-time play at 1x for ``--seconds`` over the part where every source records:
  per view, frames put on screen vs frames the clock passed through, and the lag
  of each shown frame behind the clock at the moment it is shown (in frames of
  that source: 0 = the frame the clock names, 1 = one behind);
* ``--seeks`` seeded random seeks while paused: time from ``clock.seek`` until
  every view shows exactly the frame the clock names (median and max, ms);
* the sound (``bench_playback_audio.py``): start latency after ``play`` and the
  lag of the recorded sound behind the clock, through a PulseAudio null sink.

Writes the "Review app" section of ``bench/RESULTS.md`` (between
``<!-- ui:start -->`` and ``<!-- ui:end -->``) unless ``--no-write``.
* the same play and seeks with one source not placed (``--unplaced``, default bodycam_B.mp4): it
  plays on its own local clock (a free view, issue 19) beside the placed ones, side by side with
  the all-placed run.

Usage: ``python bench/bench_playback.py [--media sample_media] [--seconds 20] [--seeks 20] [--unplaced NAME]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_playback_audio import measure_audio, report_audio, start_pulse
from results_md import write_block

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

START, END = "<!-- ui:start -->", "<!-- ui:end -->"


def _spin(app, until, timeout_s: float, poll_ms: int = 2) -> bool:
    """Run the event loop until ``until()`` is true (or the timeout); True if it became true.

    The loop sleeps in Qt's event loop between checks (a ``QTimer`` every
    ``poll_ms``), so the check itself costs the GUI thread almost nothing.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if until():
        return True
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s

    def check() -> None:
        if until() or time.perf_counter() > deadline:
            loop.quit()

    timer = QTimer()
    timer.setInterval(poll_ms)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return until()


def _all_exact(views) -> bool:
    return all(v.shown_frame == v.wanted_frame for v in views)


def _open(app, media: Path, unplaced: str | None):
    """The window on the sample project (``unplaced``'s clock removed: it plays on its own local clock).

    Returns ``(win, views, maps)``: the video views and each one's true map (for an unplaced view,
    the map it had, so its own clock starts at the same moment of its file).
    """
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow
    from ui.sample_project import sample_project

    work = Path(tempfile.mkdtemp(prefix="bench-playback-"))
    project = sample_project(media, work, align=False, shots_as_events=True)
    maps = {s.name: s.clock for s in project.sources}
    if unplaced:
        project.set_source_clock(unplaced, None, reason="left unplaced by bench_playback")
        project.save(project.path)
    win = MainWindow(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat), autosave_s=0)
    win.resize(1600, 900)
    win.show()
    win.open_project(project.path)
    views = [v for v in win.grid.views if v.worker is not None]
    if not _spin(app, lambda: all(v.index is not None for v in views), 60):
        raise SystemExit("bench_playback: the views did not open their sources")
    if unplaced and not win.grid.view_for(unplaced).free:
        raise SystemExit(f"bench_playback: {unplaced} is not on its own clock")
    win.grid.set_focused(next(v for v in views if not v.free))
    win.timeline_dock.hide()  # measure the players; the timeline repaints the playhead only
    return win, views, maps


def _seek_all(win, views, maps, shared_s: float) -> None:
    """The shared clock to ``shared_s``, and each free view's own clock to the same moment of its file."""
    win.clock.seek(shared_s)
    for v in views:
        if v.free:
            v.playback.seek(maps[v.spec.name].to_local(shared_s))


def _play(app, win, views, maps, t0: float, play_s: float) -> tuple[dict, float, float]:
    """Real-time play from ``t0`` for ``play_s`` s: per-view figures, clock rate, shared seconds played."""
    import numpy as np

    lags: dict[str, list[int]] = {v.spec.name: [] for v in views}
    shown: dict[str, set[int]] = {v.spec.name: set() for v in views}

    def on_shown(view):
        def record(number: int) -> None:
            if view.playback.playing:
                ref = view.frame_ref_at(win.clock.time)  # a free view: the frame its own clock names
                if ref is not None:
                    lags[view.spec.name].append(ref.number - number)
                shown[view.spec.name].add(number)
        return record

    for v in views:
        v.frameShown.connect(on_shown(v))
    _seek_all(win, views, maps, t0)
    _spin(app, lambda: _all_exact(views), 10)
    first = {v.spec.name: v.frame_ref_at(t0).number for v in views}
    paints0 = {v.spec.name: v.paint_count for v in views}
    decoded0 = {v.spec.name: v.worker.decoded for v in views}
    started = time.perf_counter()
    win.clock.play()
    for v in views:
        if v.free:
            v.playback.play()
    _spin(app, lambda: win.clock.time >= t0 + play_s, play_s + 30)
    wall = time.perf_counter() - started
    t1 = win.clock.time
    last = {v.spec.name: v.frame_ref_at(t1).number for v in views}
    for v in views:
        v.playback.pause()
    win.clock.pause()
    play = {}
    for v in views:
        name = v.spec.name
        lag = lags[name] or [0]
        play[name] = {
            "free": v.free,
            "expected": last[name] - first[name] + 1,
            "shown": len(shown[name]),
            "decoded": v.worker.decoded - decoded0[name],
            "paints": v.paint_count - paints0[name],
            "lag_within_1": sum(1 for x in lag if 0 <= x <= 1) / len(lag),
            "lag_max": max(lag),
            "lag_mean": float(np.mean(lag)),
        }
    return play, (t1 - t0) / wall, t1 - t0


def _seeks(app, win, views, maps, seeks: int, seed: int) -> list[float]:
    """ms from each seeded random seek (every clock) until every view shows exactly the frame it names."""
    import numpy as np

    rng = np.random.default_rng(seed)
    times_ms = []
    for target in rng.uniform(win.clock.start_s, win.clock.end_s, seeks):
        begin = time.perf_counter()
        _seek_all(win, views, maps, float(target))
        if not _spin(app, lambda: _all_exact(views), 10):
            raise SystemExit(f"bench_playback: views did not settle after a seek to {target:.3f} s")
        times_ms.append((time.perf_counter() - begin) * 1e3)
    return times_ms


def measure(media: Path, seconds: float, seeks: int, seed: int = 7, plays: int = 10,
            unplaced: str | None = None) -> dict:
    """Play, seek (and with ``plays``, the sound) in one window; returns the figures.

    ``unplaced``: the source (name) whose clock is removed first, so that it plays on its
    own local clock (a free view, issue 19) beside the placed ones.
    """
    from ui.app import create_app

    app = create_app()
    win, views, maps = _open(app, media, unplaced)
    span_start = max(maps[v.spec.name].to_shared(v.index.start_s) for v in views)
    span_end = min(maps[v.spec.name].to_shared(v.index.end_s) for v in views)
    play_s = min(seconds, span_end - span_start - 1.0)
    play, rate, played_s = _play(app, win, views, maps, span_start + 0.5, play_s)
    times_ms = _seeks(app, win, views, maps, seeks, seed)
    audio = measure_audio(app, win, _spin, span_start + 0.5, min(10.0, play_s), plays) if plays else None
    win.shutdown()
    win.close()
    sizes = {}
    for v in views:
        video = (v.spec.extra.get("probe") or {}).get("video") or {}
        sizes[v.spec.name] = f"{video.get('width')}x{video.get('height')} {video.get('fps') or 0:.3g} fps"
    return {
        "sources": [v.spec.name for v in views],
        "sizes": sizes,
        "unplaced": unplaced,
        "play_s": played_s,
        "rate": rate,
        "play": play,
        "seek_median_ms": statistics.median(times_ms),
        "seek_max_ms": max(times_ms),
        "seeks": len(times_ms),
        "load": os.getloadavg()[0],
        "audio": audio,
    }


def _play_table(fig: dict) -> list[str]:
    lines = [
        "| source | frames the clock passed | frames shown | decoded | repaints | shown within 1 frame of the clock | worst lag (frames) | mean lag |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, p in fig["play"].items():
        lines.append(f"| {name} | {p['expected']} | {p['shown']} | {p['decoded']} | {p['paints']} | "
                     f"{100 * p['lag_within_1']:.1f} % | {p['lag_max']} | {p['lag_mean']:.2f} |")
    return lines


def _side_by_side(placed: dict, mixed: dict) -> list[str]:
    """Each source in the all-placed run and in the run with ``mixed['unplaced']`` on its own clock."""
    name = mixed["unplaced"]
    lines = [
        "",
        f"**One source not placed** (issue 19): the same play and seeks with {name}'s clock removed, so "
        "it plays on its own local clock (a free view, started at the same moment of its file) beside the "
        f"placed ones (clock rate {mixed['rate']:.3f}; seeks median {mixed['seek_median_ms']:.0f} ms, "
        f"max {mixed['seek_max_ms']:.0f} ms). Frames shown / passed, within 1 frame, worst and mean lag:",
        "",
        "| source | all placed | with " + name + " not placed |",
        "|---|---|---|",
    ]
    for source, p in placed["play"].items():
        q = mixed["play"].get(source)
        cells = [f"{x['shown']}/{x['expected']}, {100 * x['lag_within_1']:.1f} %, {x['lag_max']}, "
                 f"{x['lag_mean']:.2f}" + (" (own clock)" if x["free"] else "") for x in (p, q) if x]
        lines.append(f"| {source} | " + " | ".join(cells) + " |")
    return lines


def report(fig: dict, mixed: dict | None = None) -> str:
    """The markdown section (``mixed``: the run with one source not placed, side by side)."""
    described = ", ".join(f"{n} ({fig['sizes'][n]})" for n in fig["sources"])
    lines = [
        "## Review app (bench/bench_playback.py)",
        "",
        f"The real window, offscreen (`QT_QPA_PLATFORM=offscreen`), on {os.cpu_count()} cores "
        f"(1-min load average at the end {fig['load']:.1f}: other work shared the machine), Python "
        f"{platform.python_version()}. Sources: {described}. "
        "Positions come from the sample's "
        "truth.json (playback does not depend on how they were found).",
        "",
        f"**Real-time play**: {fig['play_s']:.1f} s of shared time at 1x took {fig['play_s'] / fig['rate']:.1f} s "
        f"of wall time (clock rate {fig['rate']:.3f}).",
        "",
        *_play_table(fig),
        "",
        "Lag is measured when each frame reaches its view: the clock's frame number for that source "
        "minus the frame shown (0 = exact).",
        "",
        f"**Seeks**: {fig['seeks']} seeded random seeks while paused, until every view shows exactly the frame "
        f"the clock names: median {fig['seek_median_ms']:.0f} ms, max {fig['seek_max_ms']:.0f} ms "
        "(target: within 300 ms).",
    ]
    if mixed is not None:
        lines += _side_by_side(fig, mixed)
    lines += report_audio(fig.get("audio"))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=REPO / "sample_media", help="the sample incident folder")
    parser.add_argument("--seconds", type=float, default=20.0, help="shared seconds of real-time play")
    parser.add_argument("--seeks", type=int, default=20, help="number of random seeks")
    parser.add_argument("--plays", type=int, default=10, help="plays for the audio start latency (0: no audio)")
    parser.add_argument("--unplaced", default="bodycam_B.mp4",
                        help="also run with this source not placed (its own clock); '' for no such run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    if not (args.media / "truth.json").is_file():
        print(f"bench_playback: {args.media} has no truth.json; run `python -m timesync.samples` first",
              file=sys.stderr)
        return 2
    daemon = start_pulse(Path(tempfile.mkdtemp(prefix="bench-pulse-"))) if args.plays else None
    try:
        fig = measure(args.media, args.seconds, args.seeks, plays=args.plays)
        mixed = measure(args.media, args.seconds, args.seeks, plays=0, unplaced=args.unplaced) if args.unplaced else None
    finally:
        if daemon is not None:
            daemon.terminate()
    text = report(fig, mixed)
    print(text)
    if not args.no_write:
        write_block(START, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
