"""Each source's impulses for the shot table: per-source detection, in blocks of bounded memory.

:func:`detect_in_blocks` runs :func:`timesync.detect.detect_impulses` over a
stream of audio blocks; tracks given as samples (:class:`TrackInput`) or as a
stream of blocks opened on demand (:class:`TrackStream`, what
:mod:`timesync.workflow_shots` makes of a project's sources) become
:class:`_Track` objects (:func:`load_tracks`), which
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
from timesync.errors import MediaError, ProjectError

__all__ = ["TrackInput", "TrackStream", "load_tracks", "detect_in_blocks", "ONSET_SIGMA_S", "MAX_SR"]

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


#: What :attr:`TrackStream.listen` gives: ``(sr, blocks)``, the analysis rate (Hz) and the
#: audio as contiguous ``(t0_s, samples)`` blocks (local seconds, mono float), or a track
#: status saying why there is nothing to listen to.
Heard = tuple[float, Iterable[tuple[float, np.ndarray]]] | str


@dataclass
class TrackStream:
    """One source whose audio is read block by block (bounded memory) when it is listened to.

    Attributes
    ----------
    name : str
        Source name used in the table.
    clock : ClockMap or None
        Local -> shared time; ``None`` when not aligned.
    listen : callable(sr_max) -> Heard
        Opens the audio at no more than ``sr_max`` Hz: ``(sr, blocks)``; or the
        track's status when there is none ("not aligned", "missing: ...", "no
        audio"). A ``MediaError``, raised by it or while the blocks are read,
        makes the status "unreadable: <the error>".
    locate : callable(local_s) -> (status, frame or None), optional
        Where a local time (s) falls in the recording: "recording", "not
        recording", ... and the frame number there (``None``: no frames).
    """

    name: str
    clock: ClockMap | None
    listen: Callable[[int], Heard]
    locate: Callable[[float], tuple[str, int | None]] | None = None


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


def load_tracks(
    sources: Sequence[TrackInput | TrackStream],
    sr_max: int,
    params: dict,
    progress: Progress | None = None,
) -> list[_Track]:
    """Every source's track with its impulses, in the order given.

    ``TrackInput`` arrays are analysed whole; each ``TrackStream`` is listened to
    block by block (``progress(i / n, "shots: listening to NAME")`` first), at
    its own rate up to ``sr_max`` Hz. ``params``: :func:`detect_impulses` parameters.
    """
    sources = list(sources)
    if not all(isinstance(s, TrackInput | TrackStream) for s in sources):
        raise ProjectError("detect_shots needs TrackInput or TrackStream sources "
                           "(a project: timesync.workflow_shots.detect_project_shots)")
    out = []
    for i, source in enumerate(sources):
        if isinstance(source, TrackStream):
            if progress:
                progress(i / max(len(sources), 1), f"shots: listening to {source.name}")
            out.append(_stream_track(source, sr_max, params))
        else:
            out.append(_input_track(source, params))
    return out


def _stream_track(stream: TrackStream, sr_max: int, params: dict) -> _Track:
    """A stream's track: its status when there is nothing to listen to, else its impulses."""
    track = _Track(stream.name, stream.clock, "ok", locate=stream.locate)
    try:
        heard = stream.listen(sr_max)
        if isinstance(heard, str):
            track.status = heard
            return track
        track.sr = float(heard[0])
        track.impulses, track.status = detect_in_blocks(heard[1], track.sr, **params)
    except MediaError as exc:
        track.status = f"unreadable: {exc}"
    return track


def _input_track(inp: TrackInput, params: dict) -> _Track:
    """A track given as samples: its status, and its impulses (also when it is not aligned)."""
    from timesync.detect.impulses import track_status

    def where(local_s: float) -> tuple[str, int | None]:
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
    return track
