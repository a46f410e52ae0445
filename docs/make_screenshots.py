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

Usage: ``python docs/make_screenshots.py [--media sample_media] [--truth] [--out docs] [--sizes WxH,...]``
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
    from PySide6.QtCore import QSettings, Qt

    from ui.app import create_app
    from ui.main_window import MainWindow
    from ui.sample_project import sample_project

    app = create_app()
    work = Path(tempfile.mkdtemp(prefix="timesync-shots-"))
    print(f"building the project in {work} ({'truth' if truth else 'alignment'})", file=sys.stderr)
    project = sample_project(media, work, align=not truth, progress=None if truth else _progress)
    print(file=sys.stderr)
    win = MainWindow(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat), autosave_s=0)
    win.resize(*size)
    win.show()
    win.open_project(project.path)
    win.resizeDocks([win.sources_dock, win.annotations_dock], [540, 360], Qt.Orientation.Horizontal)
    win.resizeDocks([win.timeline_dock], [260], Qt.Orientation.Vertical)
    views = [v for v in win.grid.views if v.worker is not None]
    _wait(app, lambda: all(v.index is not None or v.error for v in views), 120)
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of timesync-app on the sample incident.")
    parser.add_argument("--media", type=Path, default=REPO / "sample_media", help="the sample incident folder")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    parser.add_argument("--truth", action="store_true", help="place sources by truth.json instead of aligning")
    parser.add_argument("--platform", default="offscreen", help="Qt platform: offscreen (default) or xcb")
    parser.add_argument("--size", default="1600x900", help="window size, WxH")
    parser.add_argument("--sizes", default="", help="also the whole window at these sizes, WxH,WxH,...")
    args = parser.parse_args(argv)
    if not (args.media / "truth.json").is_file():
        print(f"make_screenshots: {args.media} has no truth.json; run `python -m timesync.samples` first",
              file=sys.stderr)
        return 2
    os.environ["QT_QPA_PLATFORM"] = args.platform
    width, height = (int(x) for x in args.size.lower().split("x"))
    sizes = [tuple(int(x) for x in item.lower().split("x")) for item in args.sizes.split(",") if item]
    render(args.media, args.out, truth=args.truth, size=(width, height), sizes=sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
