"""Render screenshots of the review app on the sample incident.

Writes ``docs/screenshot-main.png`` (the whole window) and
``docs/screenshot-timeline.png`` (the timeline zoomed on a shot), each under
500 KB. Runs offscreen by default (``QWidget.grab()`` needs no display); with
``--platform xcb`` it uses a real X display instead (e.g. under
``xvfb-run -s "-screen 0 1920x1080x24"``).

By default the sources are placed by the core's alignment (``timesync.sync``),
as a reviewer would see them; ``--truth`` places them by the sample's
``truth.json`` instead (faster). The project is written to a temporary folder,
never into the sample folder.

With ``--sizes 1366x768,1920x1080,2560x1440`` it also writes
``docs/screenshot-WxH.png``, the window at each of those sizes (``make
screenshots`` does, under Xvfb with a small window manager: docs/screenshots.sh).

With ``--tie`` it writes only ``docs/screenshot-tie-before.png`` and
``docs/screenshot-tie-after.png``: placing a source by hand (issue 19). The
sources are placed by ``truth.json`` (as with ``--truth``), then the
helicopter's clock is removed; the views are stepped with the app's keys to a
muzzle flash both body cam A and the helicopter show (each on its own clock),
and ``T`` ties the two frames.

Usage: ``python docs/make_screenshots.py [--media sample_media] [--truth] [--out docs] [--sizes WxH,...] [--tie]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MAX_BYTES = 500_000


def _wait(app, until, timeout_s: float) -> bool:
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.perf_counter() + timeout_s
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: loop.quit() if until() or time.perf_counter() > deadline else None)
    timer.start()
    if not until():
        loop.exec()
    timer.stop()
    return until()


def _open_window(app, project, work: Path, size: tuple[int, int]):
    """The real window at ``size`` on ``project`` and its video views, once each has its frame index."""
    from PySide6.QtCore import QSettings, Qt

    from ui.main_window import MainWindow

    win = MainWindow(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat), autosave_s=0)
    win.resize(*size)
    win.show()
    win.open_project(project.path)
    win.resizeDocks([win.timeline_dock], [260], Qt.Orientation.Vertical)
    views = [v for v in win.grid.views if v.worker is not None]
    _wait(app, lambda: all(v.index is not None or v.error for v in views), 120)
    return win, views


def _save_small(image, path: Path) -> int:
    """Save as PNG; if over :data:`MAX_BYTES`, reduce colours, then size, until it fits."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    candidates = [image, image.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither)]
    width = image.width()
    while width > 800:
        width = round(width * 0.85)
        smaller = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        candidates.append(smaller.convertToFormat(QImage.Format.Format_Indexed8))
    for candidate in candidates:
        candidate.save(str(path), "PNG", 9)
        if path.stat().st_size <= MAX_BYTES:
            break
    return path.stat().st_size


def _progress(fraction: float, message: str) -> None:
    print(f"\r  aligning {100 * fraction:5.1f}% {message[:50]:50s}", end="", file=sys.stderr, flush=True)


def _at_sizes(app, win, out: Path, sizes: list[tuple[int, int]]) -> list[Path]:
    """The whole window at each size (the ``?`` overlay too, at the smallest), once the views caught up."""
    written = []
    for width, height in sizes:
        win.showNormal()
        win.resize(width, height)
        _wait(app, lambda w=width, h=height: (win.width(), win.height()) == (w, h), 5)
        views = [v for v in win.grid.views if v.worker is not None]
        _wait(app, lambda vs=views: all(v.shown_frame == v.wanted_frame for v in vs), 30)
        _wait(app, lambda: False, 0.5)
        path = out / f"screenshot-{width}x{height}.png"
        print(f"{path}: {_save_small(win.grab().toImage(), path)} bytes ({win.width()}x{win.height()})", file=sys.stderr)
        written.append(path)
    width, height = min(sizes)
    win.resize(width, height)
    _wait(app, lambda: False, 0.5)
    win.act_overlay.trigger()
    _wait(app, lambda: False, 0.3)
    path = out / f"screenshot-keys-{width}x{height}.png"
    print(f"{path}: {_save_small(win.grab().toImage(), path)} bytes", file=sys.stderr)
    win.act_overlay.trigger()
    return [*written, path]


def render(media: Path, out: Path, *, truth: bool, size: tuple[int, int],
           sizes: list[tuple[int, int]] | None = None) -> list[Path]:
    """Build the project, open the window, take the screenshots; returns the files written."""

    from ui.app import create_app
    from ui.sample_project import sample_project

    app = create_app()
    work = Path(tempfile.mkdtemp(prefix="timesync-shots-"))
    print(f"building the project in {work} ({'truth' if truth else 'alignment'})", file=sys.stderr)
    project = sample_project(media, work, align=not truth, progress=None if truth else _progress)
    print(file=sys.stderr)
    win, views = _open_window(app, project, work, size)
    shots = [a for a in project.annotations if a.type == "shot fired"]
    moment = shots[len(shots) // 2].shared_s + 0.02 if shots else sum(win.bridge.shared_span()) / 2
    win.clock.seek(moment)
    win.grid.set_focused(views[0] if views else None)
    win.annotation_panel.select(shots[len(shots) // 2].id) if shots else None
    win.timeline.set_selected_event(shots[len(shots) // 2].id) if shots else None
    win.timeline.fit()
    tracks = win.timeline._tracks
    _wait(app, lambda: all(v.shown_frame == v.wanted_frame for v in views)
          and all(t.envelope is not None for t in tracks if (t.spec.extra.get("probe") or {}).get("audio"))
          and "verify" in win.jobs and win.jobs["verify"].done, 180)
    _wait(app, lambda: False, 0.3)  # let the last repaints land
    out.mkdir(parents=True, exist_ok=True)
    written = []
    main = out / "screenshot-main.png"
    print(f"{main}: {_save_small(win.grab().toImage(), main)} bytes", file=sys.stderr)
    written.append(main)
    win.timeline.set_view(moment - 1.5, win.timeline.width() / 4.0)
    _wait(app, lambda: False, 0.3)
    timeline = out / "screenshot-timeline.png"
    print(f"{timeline}: {_save_small(win.timeline_dock.grab().toImage(), timeline)} bytes", file=sys.stderr)
    written.append(timeline)
    if sizes:
        written += _at_sizes(app, win, out, sizes)
    win.shutdown()
    return written


#: the tie screenshots: the source left unplaced, the one it is tied to, and the shot whose flash they
#: both show (truth.json: one frame of each covers most of the flash)
TIE_SOURCE, TIE_OTHER, TIE_SHOT = "helicopter.mp4", "bodycam_A.mp4", 8
TIE_REASON = "no shared audio or visual event found (removed for this screenshot)"


def _key(app, win, key, times: int = 1) -> None:
    """Press ``key`` on the player grid ``times`` times, as a reviewer would."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    for _ in range(times):
        QTest.keyClick(win.grid, key, Qt.KeyboardModifier.NoModifier)
        app.processEvents()


def _click(app, view) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.mouseClick(view, Qt.MouseButton.LeftButton)
    app.processEvents()


def _flash_frames(media: Path) -> tuple[int, int]:
    """(frame of :data:`TIE_OTHER`, frame of :data:`TIE_SOURCE`) most lit by shot :data:`TIE_SHOT`."""
    from timesync.samples import load_truth

    shot = next(s for s in load_truth(media)["shots"] if s["index"] == TIE_SHOT)
    best = {name: max(frames, key=lambda f: f["coverage"])["frame"] for name, frames in shot["flash_frames"].items()}
    return best[TIE_OTHER], best[TIE_SOURCE]


def _unplaced_project(media: Path, work: Path):
    """The sample placed by truth.json, then :data:`TIE_SOURCE`'s clock removed (saved in ``work``)."""
    from ui.sample_project import sample_project

    project = sample_project(media, work, align=False)
    project.set_source_clock(TIE_SOURCE, None, reason=TIE_REASON)
    project.save(project.path)
    return project


def _middle(view, n: int) -> float:
    """Local seconds of the middle of frame ``n`` of ``view``'s file."""
    return (view.index.frame_time(n) + view.index.frame_time(n + 1)) / 2


def _step_to_flash(app, win, other_frame: int, source_frame: int) -> None:
    """Step :data:`TIE_OTHER` (linked, the shared clock) and :data:`TIE_SOURCE` (free, its own clock)
    onto the flash frames with the Right key."""
    from PySide6.QtCore import Qt

    other, source = win.grid.view_for(TIE_OTHER), win.grid.view_for(TIE_SOURCE)
    _click(app, other)
    win.clock.seek(other.spec.clock.to_shared(_middle(other, other_frame - 1)))  # the playhead dragged near it
    _key(app, win, Qt.Key.Key_Right)
    _wait(app, lambda: other.shown_frame == other.wanted_frame, 30)
    _click(app, source)
    _key(app, win, Qt.Key.Key_U)  # it is not placed: it stays unlinked, and the app says so
    source.playback.seek(_middle(source, source_frame - 3))  # played up to near the moment
    _key(app, win, Qt.Key.Key_Right, 3)
    _wait(app, lambda: other.shown_frame == other_frame and source.shown_frame == source_frame, 30)


def render_tie(media: Path, out: Path, *, size: tuple[int, int]) -> list[Path]:
    """The tie workflow before and after ``T``; returns the two files written."""
    from PySide6.QtCore import Qt

    from ui.app import create_app

    app = create_app()
    work = Path(tempfile.mkdtemp(prefix="timesync-shots-tie-"))
    print(f"building the tie project in {work} (truth, {TIE_SOURCE} not placed)", file=sys.stderr)
    project = _unplaced_project(media, work)
    other_frame, source_frame = _flash_frames(media)
    win, views = _open_window(app, project, work, size)
    _step_to_flash(app, win, other_frame, source_frame)
    win.timeline.fit()
    out.mkdir(parents=True, exist_ok=True)
    written = [_shot(app, win, views, out / "screenshot-tie-before.png")]
    count = win.undo.count()
    _key(app, win, Qt.Key.Key_T)
    if win.undo.count() == count or win.project.clock(TIE_SOURCE) is None:
        print(f"make_screenshots: the tie did not place {TIE_SOURCE}: {win.messages.messages[-1].text}",
              file=sys.stderr)
    written.append(_shot(app, win, views, out / "screenshot-tie-after.png"))
    win.shutdown()
    return written


def _shot(app, win, views, path: Path) -> Path:
    """The whole window once every view shows the frame it wants, every track with sound its envelope,
    and the hashes are verified."""
    tracks = win.timeline._tracks
    _wait(app, lambda: all(v.shown_frame == v.wanted_frame for v in views)
          and all(t.envelope is not None for t in tracks if (t.spec.extra.get("probe") or {}).get("audio"))
          and "verify" in win.jobs and win.jobs["verify"].done, 180)
    _wait(app, lambda: False, 0.5)  # let the last repaints land
    print(f"{path}: {_save_small(win.grab().toImage(), path)} bytes", file=sys.stderr)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of timesync-app on the sample incident.")
    parser.add_argument("--media", type=Path, default=REPO / "sample_media", help="the sample incident folder")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    parser.add_argument("--truth", action="store_true", help="place sources by truth.json instead of aligning")
    parser.add_argument("--platform", default="offscreen", help="Qt platform: offscreen (default) or xcb")
    parser.add_argument("--size", default="1600x900", help="window size, WxH")
    parser.add_argument("--sizes", default="", help="also the whole window at these sizes, WxH,WxH,...")
    parser.add_argument("--tie", action="store_true",
                        help="only the tie workflow (screenshot-tie-*.png; sources placed by truth.json)")
    args = parser.parse_args(argv)
    if not (args.media / "truth.json").is_file():
        print(f"make_screenshots: {args.media} has no truth.json; run `python -m timesync.samples` first",
              file=sys.stderr)
        return 2
    os.environ["QT_QPA_PLATFORM"] = args.platform
    width, height = (int(x) for x in args.size.lower().split("x"))
    sizes = [tuple(int(x) for x in item.lower().split("x")) for item in args.sizes.split(",") if item]
    if args.tie:
        render_tie(args.media, args.out, size=(width, height))
    else:
        render(args.media, args.out, truth=args.truth, size=(width, height), sizes=sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
