"""Heard here, seen there: impulses in one source's audio against flashes in another's video.

A gunshot is heard by a body cam and its muzzle flash seen by a helicopter
camera. One such coincidence proves nothing; a pattern of several, with the
same intervals in both, does. The impulse onsets come from
:func:`timesync.detect.detect_impulses`; the flashes from
:func:`timesync.align.flashes.detect.detect_flashes`; the pattern matching and the
fit (offset and flash duration) are those of :mod:`timesync.align.flashes.pattern`,
which the ``"visual"`` aligner uses too. This is an aligner of its own in
:data:`timesync.sync.ALIGNERS`, run after ``"visual"`` (``--methods visual``
selects both); a video's flashes are read once for the two
(:func:`timesync.align.flashes.detect.flashes_in`).

Sound travels about 2.9 ms per metre: an impulse is heard later than its flash
is seen by the distance to the microphone over the speed of sound. That delay
is not corrected here (positions are not known to the aligner); it is named in
each constraint's evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from timesync.align.constraints import AlignerReport, Constraint
from timesync.align.flashes.detect import VisualEvent
from timesync.align.flashes.fit import rate_evidence
from timesync.align.flashes.pattern import EventSet, match_and_fit

__all__ = ["heard_impulses", "audiovisual_constraint", "find_constraints"]

#: Sample rate (Hz) the audio is analysed at.
ANALYSIS_SR = 48000
#: Impulses kept per source (the most shot-like first).
MAX_IMPULSES = 300
#: Onset uncertainty of a detected impulse (s): the detector's onset refinement.
IMPULSE_SIGMA_S = 0.0005
#: One sigma (s) common to all pairs of a match: where the impulse detector puts an
#: onset and where a flash starts are defined differently (measured ~2-3 ms on the
#: sample incident, whose sound travel time is zero).
ONSET_SYSTEMATIC_S = 0.003


def heard_impulses(path: str | Path, *, min_score: float = 0.3) -> np.ndarray:
    """Onsets (local seconds) of the impulses heard in a file's audio, in time order.

    Uses :func:`timesync.detect.detect_impulses` block by block over the audio
    (bounded memory), keeping those whose shot-likeness is at least ``min_score``.
    """
    from timesync.detect import detect_impulses
    from timesync.media import iter_audio_blocks

    found = []
    for start, block in iter_audio_blocks(path, sr=ANALYSIS_SR, block_s=60.0):
        for imp in detect_impulses(block, ANALYSIS_SR, t0_s=start):
            if imp.score >= min_score:
                found.append((imp.score, imp.onset_s))
    found.sort(reverse=True)
    return np.sort(np.array([t for _, t in found[:MAX_IMPULSES]], float))


def audiovisual_constraint(audio_name: str, onsets: np.ndarray, video_name: str,
                           flashes: list[VisualEvent]) -> Constraint | None:
    """An ``"audio-visual"`` constraint: ``t_video = offset + rate * t_audio``, or None.

    ``rate`` is 1 (``rate_uncertainty`` None) unless the pairs span enough time to
    measure it (:mod:`timesync.align.flashes.fit`); then the evidence also gives
    ``rate_per_travel_s``, how far sound travel may move that rate (see
    :func:`timesync.align.flashes.fit.rate_evidence`).

    None unless at least :data:`timesync.align.flashes.pattern.MIN_AGREEING` heard
    impulses and seen flashes agree under one offset that clearly beats all
    others (:func:`timesync.align.flashes.pattern.match_and_fit`). The uncertainty adds
    :data:`ONSET_SYSTEMATIC_S` for the different onset definitions of a heard
    impulse and a seen flash.
    """
    frame_s = float(np.median([e.frame_s for e in flashes]))
    found = match_and_fit(EventSet.instants(onsets, IMPULSE_SIGMA_S), EventSet.of(flashes), frame_s=frame_s)
    if found is None:
        return None
    match, fit = found
    heard = np.array([onsets[i] for i, _ in match.pairs], float)
    seen = np.array([flashes[j].sigma_s for _, j in match.pairs], float)
    weights = 1 / (IMPULSE_SIGMA_S**2 + seen**2)
    return Constraint(
        source=audio_name, other=video_name, offset_s=fit.offset_s,
        uncertainty_s=math.hypot(fit.uncertainty_s, ONSET_SYSTEMATIC_S),
        kind="audio-visual", rate=fit.rate, score=float(match.agreeing), rate_uncertainty=fit.rate_uncertainty,
        at_source_s=fit.at_a_s,
        evidence={"events_agreeing": match.agreeing, "second_best": match.second_best,
                  "flash_s": round(fit.flash_s, 5), "flash_fitted": fit.flash_fitted,
                  "residual_rms_s": round(fit.residual_rms_s, 6),
                  **rate_evidence(fit, heard, weights), "onset_systematic_s": ONSET_SYSTEMATIC_S,
                  "sound_travel": "not corrected: a heard impulse lags its flash by ~2.9 ms per metre "
                                  "between the event and the microphone",
                  "pairs_s": [[round(float(onsets[i]), 4), round(flashes[j].onset_s(fit.flash_s), 4)]
                              for i, j in match.pairs[:50]]},
    )


def find_constraints(sources: Sequence[Any], *, progress: Callable[[float, str], None] | None = None,
                     flashes: dict[str, list[VisualEvent]] | None = None,
                     heard: Mapping[str, np.ndarray] | None = None) -> AlignerReport:
    """Audio-visual constraints between every source's impulses and every other video's flashes.

    Parameters
    ----------
    sources : SourceMedia with ``name``, ``path``, ``info``.
    progress : optional ``progress(fraction, message)``.
    flashes : flashes already detected per source name; when None, those of every video with
        at least :data:`timesync.align.flashes.pattern.MIN_AGREEING` of them
        (:func:`timesync.align.flashes.visual.video_flashes`).
    heard : impulse onsets (local s, :func:`heard_impulses`) already read per source name;
        the other sources' are read here.

    Returns
    -------
    AlignerReport
        ``findings[name]["impulses_heard"]``: number of impulses used.
    """
    from timesync.errors import TimesyncError

    report = AlignerReport(method="audio-visual")
    if flashes is None:
        from timesync.align.flashes.visual import video_flashes

        flashes = video_flashes(sources)
    known, heard = heard or {}, {}
    for i, src in enumerate(sources):
        info = getattr(src, "info", None)
        if info is not None and getattr(info, "audio", None) is None:
            continue
        if not any(name != src.name for name in flashes):
            continue
        if progress:
            progress(i / max(1, len(sources)), f"audio-visual: impulses in {src.name}")
        try:
            onsets = known[src.name] if src.name in known else heard_impulses(src.path)
        except (TimesyncError, OSError, ValueError) as exc:
            report.notes[src.name] = f"impulses not read: {exc}"
            continue
        report.findings.setdefault(src.name, {})["impulses_heard"] = len(onsets)
        heard[src.name] = onsets
    for audio_name, onsets in heard.items():
        for video_name, events in flashes.items():
            if video_name == audio_name or len(onsets) < 3 or not math.isfinite(float(np.sum(onsets))):
                continue
            constraint = audiovisual_constraint(audio_name, onsets, video_name, events)
            if constraint is not None:
                report.constraints.append(constraint)
    return report
