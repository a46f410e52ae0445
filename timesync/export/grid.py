"""``mp4``: a synchronized grid video of every source on the shared clock.

Rendered by the static FFmpeg of ``imageio_ffmpeg`` from a filter graph built
with ``ffmpeg-python``. Each aligned source is a tile:

* a "card" (dark, with the source's name and NOT RECORDING) lasts the whole
  range; the source's frames are overlaid on it where it has footage (from its
  first frame's start to its last frame's end, half-open), so a tile shows NOT
  RECORDING before the source starts and after it ends;
* a video source is read from the frame ``K`` shown at the range start (input
  seek just before that frame's PTS, so FFmpeg's exact seek keeps it), its
  timestamps mapped to the output by ``out = rate * (local - local_start)``;
  each frame is labelled with its local time (``%{pts}`` + the seek point) and
  its frame number (``K`` + frames decoded since: numbers follow the container's
  presentation order, as :class:`timesync.media.FrameIndex`);
* an audio-only source shows its local time while it records.

A band on top shows the shared clock (and the reference). Events are captioned
from ``shared_s`` to ``end_s`` (point events for ``caption_s`` seconds) in a
strip below the tiles, wrapped to the frame's width, overlapping captions in
lanes (:mod:`timesync.export.grid_captions`): a caption never covers a
picture or its burned-in clock. The file gets mode 0644 (or the replaced
file's), like every other export. Progress: "indexing frames" first, then
FFmpeg's own ``-progress``. Audio
comes from the chosen ``source`` (default: the reference, or the first aligned
source with audio), placed on the shared clock, its drift corrected by
resampling (``asetrate`` at ``sample_rate / rate``).

Determinism: ``-fflags +bitexact``, ``-flags +bitexact``, a single-threaded
filter graph, x264 (``ultrafast``, crf 23 by default) with a *fixed* thread count
(:data:`X264_THREADS` = 2: x264 output is deterministic for a given count, and
"auto" would follow the machine's cores), AAC with fixed settings, no
timestamps in the metadata: two renders of the same project and range are
byte-identical (tested). Provenance goes in the MP4 ``comment`` tag. Text uses the font bundled with
Pillow (Aileron Regular), written to a temporary folder, so no system font is
needed.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.errors import ExportError, MediaError
from timesync.export.ffmpeg_run import run_ffmpeg
from timesync.export.grid_captions import (
    Caption,
    measure_text,
    plan_captions,
    safe_text,
    wrap_caption,
)
from timesync.export.provenance import provenance_lines

if TYPE_CHECKING:
    from timesync.project import Project, Source

#: x264 is deterministic for a fixed thread count (never "auto", which follows the machine).
X264_THREADS = 2

CARD_COLOR = "0x202020"
TEXT_COLOR = "white"


@dataclass(frozen=True)
class Tile:
    """One source's tile: where its footage is, in its local time and in the output."""

    name: str
    path: Path | None          # None: no footage in range (card only)
    rate: float                # ClockMap rate (d shared / d local)
    local_start_s: float       # local time at the range start
    seek_s: float = 0.0        # input seek (local s), just before frame ``first_frame``
    origin_s: float = 0.0      # container time of local 0 (FFmpeg keeps raw PTS: -copyts)
    first_frame: int = 0       # number of the first frame decoded after the seek
    read_s: float = 0.0        # seconds of input to read after the seek
    out_end_s: float = 0.0     # output seconds where the footage ends (end of its last frame)
    audio_only: bool = False
    record_from_s: float = 0.0  # output seconds the source records from / until (audio-only)
    record_to_s: float = 0.0


@dataclass(frozen=True)
class GridPlan:
    """The whole render: shared range, layout and tiles."""

    start_s: float
    end_s: float
    width: int
    height: int
    fps: float
    cols: int
    rows: int
    band: int
    tile_w: int
    tile_h: int
    tiles: tuple[Tile, ...]
    audio: tuple[Path, float, float, float, int | None] | None   # (file, seek local s, delay s, rate, Hz)
    skipped: tuple[str, ...]
    captions: tuple[Caption, ...] = ()
    caption_size: int = 10     # font size (px) of the captions
    strip_h: int = 0           # height (px) of the caption strip below the tiles (0: no captions)

    @property
    def strip_y(self) -> int:
        """Top (px) of the caption strip: below every tile, so a caption never covers a picture."""
        return self.band + self.rows * self.tile_h

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def label_size(self) -> int:
        """Font size (px) of the tile labels."""
        return max(10, self.tile_h // 14)

    @property
    def picture_h(self) -> int:
        """Height (px) of a tile's picture area; the labels go in the strip below, never on the footage."""
        return _even(self.tile_h - 2 * (self.label_size + 6) - 2)


def _rate(fps: float) -> str:
    """A frame rate as FFmpeg's exact fraction (29.97 -> 30000/1001, 25.0 -> 25)."""
    from fractions import Fraction

    for base in (24, 30, 48, 60, 120):  # the NTSC rates, however they were written
        if abs(fps - base * 1000 / 1001) < 1e-3:
            return f"{base * 1000}/1001"
    rate = Fraction(fps).limit_denominator(1001)
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def _even(n: float) -> int:
    return max(2, 2 * math.floor(n / 2))


def _extent(project: Project, source: Source, index: Any | None) -> tuple[float, float]:
    """Local (start, end) seconds of the source's footage (video) or recording (audio)."""
    if index is not None:
        return index.start_s, index.end_s
    duration = source.duration_s
    if duration is None:
        raise ExportError(f"{project.label}: {source.name} has no known duration")
    return 0.0, duration


def _video_tile(source: Source, path: Path, index: Any, l0: float, l1: float) -> Tile:
    clock = source.clock
    assert clock is not None
    first = index.frame_at(max(l0, index.start_s))
    if first is None or l1 <= index.start_s or l0 >= index.end_s:
        return Tile(source.name, None, clock.rate, l0)
    k = first.number
    guard = first.duration_s if k == 0 else min(first.duration_s, index.frame_duration(k - 1))
    seek = max(0.0, first.time_s - 0.25 * guard)
    read = (l1 - seek) + 2 * first.duration_s
    out_end = clock.shared_duration(index.end_s - l0)
    return Tile(source.name, path, clock.rate, l0, seek, float(index.origin), k, read, out_end)


def _placed_sources(project: Project, indexes: dict[str, Any]) -> tuple[list[Source], list[str],
                                                                         list[tuple[float, float]]]:
    """The sources that get a tile, those left out (and why), each tile's footage span on the shared clock."""
    placed, skipped, spans = [], [], []
    for src in project.sources:
        if src.clock is None:
            skipped.append(f"{src.name} (not aligned)")
            continue
        if not project.resolve(src.name).is_file():
            skipped.append(f"{src.name} (file missing)")
            continue
        lo, hi = _extent(project, src, indexes.get(src.name) if src.has_video else None)
        placed.append(src)
        spans.append((src.clock.to_shared(lo), src.clock.to_shared(hi)))
    return placed, skipped, spans


def plan_grid(
    project: Project,
    *,
    start: float | None = None,
    end: float | None = None,
    width: int = 1280,
    height: int = 720,
    fps: float = 30,
    source: str | None = None,
    tile_width: int | None = None,
    tile_height: int | None = None,
    indexes: dict[str, Any] | None = None,
    caption_s: float = 2.0,
) -> GridPlan:
    """Lay out the grid and work out, per source, what to read and where it goes.

    The output is ``width`` x ``height`` pixels (a band on top for the shared
    clock, the tiles below, then a strip for the event captions when the range
    has events), unless ``tile_width`` / ``tile_height`` are given: the output
    size then follows from the tile size. ``fps`` is the output rate; a point
    event's caption lasts ``caption_s`` seconds.
    """
    from timesync.project.locate import open_indexes

    indexes = open_indexes(project) if indexes is None else indexes
    placed, skipped, spans = _placed_sources(project, indexes)
    if not placed:
        raise ExportError(f"{project.label}: no aligned source with a file to put in a grid video")
    start = min(s for s, _ in spans) if start is None else float(start)
    end = max(e for _, e in spans) if end is None else float(end)
    if not end > start:
        raise ExportError(f"{project.label}: the range {start} to {end} s is empty")
    if not (fps > 0 and math.isfinite(fps)):
        raise ExportError(f"{project.label}: the frame rate must be > 0, got {fps!r}")
    cols = math.ceil(math.sqrt(len(placed)))
    rows = math.ceil(len(placed) / cols)
    if tile_width:
        width = cols * _even(tile_width)
    band = _even(max(tile_height * rows, 2) * 0.08) if tile_height else _even(height * 0.08)
    caption_size = max(10, round(band / 2.5))
    texts, strip_h = plan_captions(project, start, end, caption_s, width, caption_size)
    if tile_height:
        height = band + rows * _even(tile_height) + strip_h
    tile_w, tile_h = _even(width / cols), _even((height - band - strip_h) / rows)
    if tile_w < 32 or tile_h < 32:
        raise ExportError(f"{project.label}: {width}x{height} px is too small for {len(placed)} tiles")
    captions = tuple(c.placed(8, band + rows * tile_h + 2) for c in texts)
    tiles = tuple(_tile(project, src, indexes, start, end) for src in placed)
    audio = _plan_audio(project, placed, source, start, end)
    return GridPlan(start, end, width, height, float(fps), cols, rows, band, tile_w, tile_h,
                    tiles, audio, tuple(skipped), captions, caption_size, strip_h)


def _tile(project: Project, src: Source, indexes: dict[str, Any], start: float, end: float) -> Tile:
    """What to read of ``src`` for the shared range ``[start, end)``, and where it goes."""
    clock = src.clock
    assert clock is not None
    l0, l1 = clock.to_local(start), clock.to_local(end)
    index = indexes.get(src.name) if src.has_video else None
    if index is not None:
        return _video_tile(src, project.resolve(src.name), index, l0, l1)
    lo, hi = _extent(project, src, None)
    return Tile(src.name, None, clock.rate, l0, audio_only=True, record_from_s=clock.shared_duration(lo - l0),
                record_to_s=clock.shared_duration(hi - l0))


def _plan_audio(project: Project, placed: list[Source], name: str | None, start: float,
                end: float) -> tuple[Path, float, float, float, int | None] | None:
    if name is not None:
        chosen = project.source(name)
        if chosen not in placed:
            raise ExportError(f"{project.label}: audio source {chosen.name} is not aligned or its file is missing")
        if not chosen.has_audio:
            raise ExportError(f"{project.label}: {chosen.name} has no audio stream")
    else:
        ordered = sorted(placed, key=lambda s: s.name != project.reference)
        chosen = next((s for s in ordered if s.has_audio), None)
        if chosen is None:
            return None
    l0 = chosen.clock.to_local(start)
    if l0 >= (chosen.duration_s or math.inf) or chosen.clock.to_local(end) <= 0:
        return None
    rate = chosen.clock.rate
    sr = (chosen.probe.get("audio") or {}).get("sample_rate")
    return (project.resolve(chosen.name), max(l0, 0.0), chosen.clock.shared_duration(max(-l0, 0.0)), rate,
            int(sr) if isinstance(sr, int | float) and sr > 0 else None)


def font_file(folder: Path) -> Path | None:
    """Pillow's bundled TrueType font written into ``folder``; ``None`` without Pillow."""
    try:
        from PIL import ImageFont
    except ImportError:
        return None
    font = ImageFont.load_default(size=12)
    data = getattr(font, "path", None)
    if not hasattr(data, "getvalue"):
        return None
    path = folder / "timesync-font.ttf"
    path.write_bytes(data.getvalue())
    return path


def _label(font: Path | None, size: int, **kwargs: Any) -> dict[str, Any]:
    style = {"fontsize": size, "fontcolor": TEXT_COLOR, "box": 1, "boxcolor": "black@0.55", "boxborderw": 3}
    if font is not None:
        style["fontfile"] = str(font)
    style.update(kwargs)
    return style


def _tile_stream(plan: GridPlan, tile: Tile, card: Any, font: Path | None) -> Any:
    """One tile: its card (name, NOT RECORDING, audio-only local time), the source's frames overlaid."""
    import ffmpeg

    small = plan.label_size
    label_y = plan.picture_h + 2
    card = card.filter("drawtext", **_label(font, small, text=safe_text(tile.name), x=4, y=label_y))
    if tile.audio_only:
        r, l0 = tile.rate, tile.local_start_s
        rec = f"between(t,{tile.record_from_s:.6f},{tile.record_to_s:.6f})"
        card = (card.filter("setpts", f"PTS/{r!r}")
                .filter("drawtext", **_label(font, small, text=f"audio only  local %{{pts:hms:{l0:.6f}}}",
                                             x=4, y=label_y + small + 6, enable=rec))
                .filter("setpts", f"PTS*{r!r}"))
        not_rec = f"not({rec})"
    else:
        not_rec = None
    card = card.filter("drawtext", **_label(font, small * 2, text="NOT RECORDING", x="(w-text_w)/2",
                                            y=f"({plan.picture_h}-text_h)/2", **({"enable": not_rec} if not_rec else {})))
    if tile.path is not None:
        video = ffmpeg.input(str(tile.path), ss=f"{tile.seek_s:.6f}", t=f"{tile.read_s:.6f}").video
        # raw PTS (-copyts) in microseconds; local = pts - origin; out = rate * (local - local_start),
        # 2 us early so that a frame starting exactly on an output frame time is the one shown there
        zero = tile.origin_s + tile.local_start_s
        text = f"local %{{pts:hms:{-tile.origin_s:.6f}}}  frame %{{eif:n+{tile.first_frame}:d}}"
        video = (video.filter("settb", "1/1000000")
                 .filter("scale", plan.tile_w, plan.picture_h, force_original_aspect_ratio="decrease",
                         flags="fast_bilinear")
                 .filter("pad", plan.tile_w, plan.tile_h, "(ow-iw)/2", f"({plan.picture_h}-ih)/2",
                         color=CARD_COLOR)
                 .filter("drawtext", **_label(font, small, text=safe_text(tile.name), x=4, y=label_y))
                 .filter("drawtext", **_label(font, small, text=text, x=4, y=label_y + small + 6))
                 .filter("setpts", f"((PTS*TB-{zero:.9f})*{tile.rate!r}-0.000002)/TB"))
        # the last frame lasts until the footage ends (its duration), then NOT RECORDING
        card = ffmpeg.filter([card, video], "overlay", eof_action="repeat", repeatlast=1,
                             enable=f"lt(t,{tile.out_end_s - 1e-6:.6f})")
    return card


def build_graph(plan: GridPlan, project: Project, out: Path, font: Path | None, *,
                crf: int = 23, preset: str = "ultrafast") -> Any:
    """The ffmpeg-python output node of the whole render."""
    import ffmpeg

    d = plan.duration_s
    streams = []
    # microsecond time base on both overlay inputs: with the card's 1/fps, framesync would
    # round the source's timestamps to the nearest output frame instead of the one at or before
    cards = (ffmpeg.input(f"color=c={CARD_COLOR}:s={plan.tile_w}x{plan.tile_h}:r={_rate(plan.fps)}:d={d:.6f}",
                          f="lavfi").filter("settb", "1/1000000").filter_multi_output("split", len(plan.tiles)))
    for i, tile in enumerate(plan.tiles):
        streams.append(_tile_stream(plan, tile, cards.stream(i), font))
    if len(streams) == 1:
        grid = streams[0]
    else:
        layout = "|".join(f"{(i % plan.cols) * plan.tile_w}_{(i // plan.cols) * plan.tile_h}"
                          for i in range(len(streams)))
        grid = ffmpeg.filter(streams, "xstack", inputs=len(streams), layout=layout, fill="black")
    grid = grid.filter("pad", plan.width, plan.height, 0, plan.band, color="black")
    grid = grid.filter("trim", duration=f"{d:.6f}")
    big = max(12, plan.band // 2)
    reference = safe_text(project.reference or "reference")
    clock_text = f"shared %{{pts:hms:{plan.start_s:.6f}}}  ({reference} clock)"
    if plan.skipped:  # right of the shared clock, cut to the room left so that the two never overlap
        room = plan.width - 24 - round(measure_text(f"shared 00:00:00.000  ({reference} clock)", big))
        small = max(10, big * 2 // 3)
        line = wrap_caption(safe_text("not in the grid: " + ", ".join(plan.skipped)), room, small, max_lines=1)
        if room > 40:
            grid = grid.filter("drawtext", **_label(font, small, text=line[0], x="w-text_w-8",
                                                    y=(plan.band - big) // 2))
    grid = grid.filter("drawtext", **_label(font, big, text=clock_text, x=8, y=(plan.band - big) // 2))
    grid = _draw_captions(grid, plan, font)
    grid = grid.filter("format", "yuv420p")
    outputs = [grid]
    if plan.audio is not None:
        path, seek, delay, rate, sr = plan.audio
        audio = ffmpeg.input(str(path), ss=f"{seek:.6f}", t=f"{d / rate + 1:.6f}").audio
        audio = audio.filter("asetpts", "PTS-STARTPTS")
        if sr is not None and abs(rate - 1.0) > 1e-7:
            # play the source's samples at sr / rate: one local second lasts `rate` shared seconds
            # (the rate rounds to a whole Hz: under 0.03 ppm of error at 48 kHz)
            audio = audio.filter("asetrate", round(sr / rate))
        audio = audio.filter("aresample", 48000).filter("aformat", channel_layouts="stereo")
        if delay > 0:
            audio = audio.filter("adelay", delays=f"{round(delay * 1000)}", all=1)
        audio = audio.filter("apad").filter("atrim", duration=f"{d:.6f}")
        outputs.append(audio)
    comment = " | ".join(provenance_lines(project))
    kwargs: dict[str, Any] = {
        "vcodec": "libx264", "preset": preset, "crf": crf, "pix_fmt": "yuv420p", "r": _rate(plan.fps),
        "threads": X264_THREADS, "fflags": "+bitexact", "flags": "+bitexact",
        "x264-params": f"threads={X264_THREADS}",
        "movflags": "+faststart", "map_metadata": -1, "metadata": f"comment={comment}", "t": f"{d:.6f}",
        "f": "mp4",
    }
    if plan.audio is not None:
        kwargs.update({"acodec": "aac", "b:a": "128k", "ar": 48000})
    return ffmpeg.output(*outputs, str(out), **kwargs).global_args(
        "-hide_banner", "-nostdin", "-nostats", "-copyts", "-loglevel", "error", "-filter_threads", "1",
        "-filter_complex_threads", "1", "-progress", "pipe:1")


def _draw_captions(grid: Any, plan: GridPlan, font: Path | None) -> Any:
    """The event captions, line by line, in the strip below the tiles: never over a picture or its clock."""
    for cap in plan.captions:
        for n, line in enumerate(cap.lines):
            grid = grid.filter("drawtext", **_label(font, plan.caption_size, text=line, x=cap.x,
                                                    y=cap.y + n * cap.line_h, fontcolor="yellow",
                                                    enable=f"between(t,{cap.from_s:.6f},{cap.to_s:.6f})"))
    return grid


def write(project: Project, out: Path, *, fmt: str = "mp4", progress: Callable[[float, str], Any] | None = None,
          source: str | None = None, start: float | None = None, end: float | None = None, width: int = 1280,
          height: int = 720, fps: float = 30, caption_s: float = 2.0, crf: int = 23, preset: str = "ultrafast",
          tile_width: int | None = None, tile_height: int | None = None, **_: Any) -> None:
    """Render the grid video to ``out`` (atomically: a temporary file in its folder, then renamed)."""
    import imageio_ffmpeg

    try:
        indexes = _indexes(project, progress)
        plan = plan_grid(project, start=start, end=end, width=width, height=height, fps=fps, source=source,
                         tile_width=tile_width, tile_height=tile_height, indexes=indexes, caption_s=caption_s)
    except MediaError as exc:
        raise ExportError(f"{out.name}: {exc}") from exc
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp.mp4")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes 0600: give the video the mode of every other export (0644, or the old file's)
        os.chmod(tmp, out.stat().st_mode & 0o777 if out.exists() else 0o644)
        with tempfile.TemporaryDirectory(prefix="timesync-grid-") as work:
            font = font_file(Path(work))
            node = build_graph(plan, project, tmp, font, crf=crf, preset=preset)
            args = node.overwrite_output().compile(cmd=imageio_ffmpeg.get_ffmpeg_exe())
            run_ffmpeg(args, plan.duration_s, progress, out.name)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _indexes(project: Project, progress: Callable[[float, str], Any] | None) -> dict[str, Any]:
    """Each source's frame index (:func:`open_indexes`), saying so first: it can take a while on long files."""
    from timesync.project.locate import open_indexes

    if progress is not None:
        progress(0.0, f"indexing frames of {len(project.sources)} sources")
    return open_indexes(project)




