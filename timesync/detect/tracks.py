"""Each source's impulses for the shot table: per-source detection, in blocks of bounded memory.

:func:`detect_in_blocks` runs :func:`timesync.detect.detect_impulses` over a
stream of audio blocks; a project's sources (decoded here) or tracks given as
samples (:class:`TrackInput`) become :class:`_Track` objects, which
:mod:`timesync.detect.associate` groups into shots
(:func:`timesync.detect.shots.detect_shots`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from timesync.clock import IDENTITY, ClockMap
from timesync.detect.impulses import Impulse, detect_impulses
from timesync.errors import MediaError

__all__ = ["TrackInput", "detect_in_blocks", "ONSET_SIGMA_S", "MAX_SR"]

#: One-sigma uncertainty of a detected onset on its own track, seconds.
ONSET_SIGMA_S = 0.00025
#: Highest analysis rate (Hz); sources recorded below it are analysed at their own rate.
MAX_SR = 48000

Progress = Callable[[float, str], None]


@dataclass
class TrackInput:
    """One source given as samples rather than through a project.

    Attributes
    ----------
    name : str
        Source name used in the table.
    samples : ndarray or None
        Mono float audio (full scale 1.0); ``None`` for a source without audio.
    sr : float
        Sample rate, Hz.
    clock : ClockMap or None
        Local -> shared time; ``None`` when not aligned.
    t0_s : float
        Local time (s) of sample 0.
    frame_index : FrameIndex or None
        For frame numbers (``None``: audio-only, no frames).
    """

    name: str
    samples: np.ndarray | None
    sr: float
    clock: ClockMap | None = IDENTITY
    t0_s: float = 0.0
    frame_index: Any | None = None


@dataclass
class _Track:
    """A source as the association sees it."""

    name: str
    clock: ClockMap | None
    status: str
    impulses: list[Impulse] = field(default_factory=list)
    locate: Callable[[float], tuple[str, int | None]] | None = None
    sr: float | None = None

    def arrival(self, imp: Impulse) -> float:
        assert self.clock is not None
        return self.clock.to_shared(imp.onset_s)

    @property
    def sigma(self) -> float:
        u = self.clock.uncertainty_s if self.clock is not None else 0.0
        return math.hypot(u, ONSET_SIGMA_S)


def _merge_status(old: str, new: str) -> str:
    """Combine the status of two blocks of one track (clipped and noisy win over ok, ok over silent)."""
    rank = {"clipped": 3, "very noisy": 2, "ok": 1, "silent": 0}
    key = lambda s: rank.get(s.split(":")[0], 1)  # noqa: E731
    return new if key(new) > key(old) else old


def detect_in_blocks(
    blocks: Iterable[tuple[float, np.ndarray]],
    sr: float,
    *,
    context_s: float = 2.0,
    lookahead_s: float = 1.0,
    pass_s: float = 10.0,
    **params: float,
) -> tuple[list[Impulse], str]:
    """:func:`detect_impulses` over a stream of contiguous blocks, with bounded memory.

    Each pass sees ``context_s`` seconds before the new samples (for the
    background and the echo/refractory tests) and keeps onsets up to
    ``lookahead_s`` before the end of what it has (so each impulse is measured
    with its tail); a pass runs once ``pass_s`` seconds of new audio have
    come in. Returns the impulses (local times) and the track status
    (:func:`timesync.detect.impulses.track_status`, merged over blocks).
    """
    from timesync.detect.impulses import track_status

    buf = np.zeros(0, np.float64)
    buf_start: int | None = None  # sample index (from the first block) of buf[0]
    t_first = 0.0
    kept: list[Impulse] = []
    accepted_until = -1  # sample index from which new onsets are kept
    status = "silent"
    ctx, ahead = round(context_s * sr), round(lookahead_s * sr)

    def run(final: bool) -> None:
        nonlocal accepted_until
        found = detect_impulses(buf, sr, t0_s=0.0, **params)
        upto = buf_start + len(buf) - (0 if final else ahead)
        for imp in found:
            at = buf_start + imp.onset_sample
            if accepted_until <= at < upto:
                imp.onset_sample = at
                imp.onset_s = t_first + at / sr
                kept.append(imp)
        accepted_until = max(accepted_until, upto)

    for t0, block in blocks:
        block = np.asarray(block, dtype=np.float64)
        if buf_start is None:
            buf_start, t_first = 0, float(t0)
        status = _merge_status(status, track_status(block, sr)) if len(block) else status
        buf = np.concatenate([buf, block])
        if len(buf) >= ctx + 2 * ahead + round(pass_s * sr):
            run(final=False)
            drop = max(0, accepted_until - ctx - buf_start)
            buf, buf_start = buf[drop:], buf_start + drop
    if buf_start is not None and len(buf):
        run(final=True)
    return kept, status


def _source_tracks_from_project(project: Any, sr_max: int, params: dict, progress: Progress | None) -> list[_Track]:
    from timesync.media import iter_audio_blocks, probe
    from timesync.project import locate, open_indexes

    indexes = open_indexes(project)
    tracks = []
    n = len(project.sources)
    for i, source in enumerate(project.sources):
        if progress:
            progress(i / max(n, 1), f"shots: listening to {source.name}")
        index = indexes.get(source.name)

        def where(local_s: float, source=source, index=index) -> tuple[str, int | None]:
            if source.clock is None:
                return "not aligned", None
            loc = locate(source.clock.to_shared(local_s), source, index)
            return loc.status, loc.frame

        track = _Track(source.name, source.clock, "ok", locate=where)
        tracks.append(track)
        if source.clock is None:  # its shots could not be placed on the shared clock
            track.status = f"not aligned{': ' + source.reason if source.reason else ''}"
            continue
        path = project.resolve(source.name)
        if not path.is_file():
            track.status = f"missing: {path} is not there"
            continue
        try:
            info = probe(path, sha256=source.sha256)
        except MediaError as exc:
            track.status = f"unreadable: {exc}"
            continue
        if info.audio is None:
            track.status = "no audio"
            continue
        native = info.audio.sample_rate or sr_max
        track.sr = float(min(int(native), sr_max))
        try:
            blocks = iter_audio_blocks(path, sr=int(track.sr), block_s=30.0)
            track.impulses, track.status = detect_in_blocks(blocks, track.sr, **params)
        except MediaError as exc:
            track.status = f"unreadable: {exc}"
    return tracks


def _tracks_from_inputs(inputs: Sequence[TrackInput], params: dict) -> list[_Track]:
    from timesync.detect.impulses import track_status

    tracks = []
    for inp in inputs:
        def where(local_s: float, inp=inp) -> tuple[str, int | None]:
            if inp.clock is None:
                return "not aligned", None
            if inp.frame_index is not None:
                ref = inp.frame_index.frame_at(local_s)
                return ("recording", int(ref.number)) if ref is not None else ("not recording", None)
            if inp.samples is None:
                return "not recording", None
            inside = inp.t0_s <= local_s < inp.t0_s + len(inp.samples) / inp.sr
            return ("recording" if inside else "not recording"), None

        track = _Track(inp.name, inp.clock, "ok", locate=where, sr=inp.sr)
        if inp.samples is None or len(inp.samples) == 0:
            track.status = "no audio"
        else:
            track.status = track_status(inp.samples, inp.sr)
            track.impulses = detect_impulses(inp.samples, inp.sr, t0_s=inp.t0_s, **params)
            if inp.clock is None:
                track.status = "not aligned"
        tracks.append(track)
    return tracks
