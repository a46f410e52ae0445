"""Container metadata (creation_time, timecode) as coarse constraints.

Two files whose ``creation_time`` tags read C_a and C_b started, if both tags
mark the start of recording on clocks that agree, ``C_a - C_b`` seconds apart:
``t_b = (C_a - C_b) + t_a``. Neither is certain: device clocks are wrong by
seconds (and by hours when a zone is wrong), tags are often whole seconds, and
some devices stamp the *end* of the recording (when the file is finalized)
rather than its start. The measurement therefore carries
:data:`METADATA_SIGMA_S` (2 s) combined with half the difference between the
start and end hypotheses (which is the difference of the two durations when
both devices stamp the end); both hypotheses are kept in ``evidence``.
Timecode tags (``HH:MM:SS:FF``, ``;`` for drop-frame) relate two files the
same way.

The constraints handed to the solve (:func:`find_constraints`) add the prior on
two device clocks' difference (:data:`~timesync.align.device_clocks.DEVICE_CLOCK_SIGMA_S`,
15 min): the tags are never trusted blindly, a source they alone place is
labelled unverified, and any content evidence overrides them. :func:`prior`,
which only narrows the searches of other aligners (a narrowed search confirms
the best fit over all offsets, never picks a weaker one), states the
measurement sigma alone: the hypothesis "both clocks are right".

A reviewer's rough placement (a source dragged on the app's timeline, clock
method ``"manual, rough"``) narrows the same searches: inside
:func:`rough_search`, :func:`prior` of a pair with a rough source is the
offset the two clocks imply (:func:`rough_prior`), one sigma the rough one's,
with the same rule (the narrowed search confirms the highest peak, never
picks a lower one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from fractions import Fraction
from typing import Any

from timesync.align.constraints import AlignerReport, Constraint
from timesync.align.device_clocks import DEVICE_CLOCK_SIGMA_S, unset_clock
from timesync.clock import ClockMap
from timesync.timeutil import epoch_seconds

__all__ = ["timecode_seconds", "find_constraints", "prior", "rough_prior", "rough_search",
           "METADATA_SIGMA_S", "NO_METADATA", "ROUGH_NARROWING"]

#: One sigma (s) of an offset from two creation_time or timecode tags.
METADATA_SIGMA_S = 2.0
#: The note of a source with neither tag.
NO_METADATA = "no creation_time or timecode tag"

#: What a search narrowed by a rough placement says narrowed it (evidence ``narrowed_by``).
ROUGH_NARROWING = "rough placement"

#: The placements narrowing the searches of :func:`prior` (see :func:`rough_search`):
#: (clocks by source name, the names whose clock is rough).
_ROUGH: ContextVar[tuple[Mapping[str, ClockMap], frozenset[str]] | None] = ContextVar("rough", default=None)

_TIMECODE = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.,])(\d{2,3})$")


def timecode_seconds(timecode: str, fps: Fraction | float | None) -> float | None:
    """Seconds since midnight of an SMPTE timecode at frame rate ``fps``.

    ``HH:MM:SS:FF`` counts ``round(fps)`` frames a second; ``HH:MM:SS;FF``
    (drop-frame, 29.97 or 59.94 fps) skips frame labels 0 and 1 (0-3 at 59.94)
    each minute except every tenth. Returns None for a malformed timecode or
    no frame rate.
    """
    match = _TIMECODE.match(timecode.strip())
    if not match or not fps:
        return None
    hours, minutes, seconds, sep, frames = (match[1], match[2], match[3], match[4], match[5])
    hours, minutes, seconds, frames = int(hours), int(minutes), int(seconds), int(frames)
    nominal = round(float(fps))
    if minutes >= 60 or seconds >= 60 or frames >= nominal:
        return None
    label = ((hours * 60 + minutes) * 60 + seconds) * nominal + frames
    if sep in ";," and nominal in (30, 60):
        drop = 2 if nominal == 30 else 4
        total_minutes = hours * 60 + minutes
        label -= drop * (total_minutes - total_minutes // 10)
        return float(label * Fraction(1001, nominal * 1000))
    return label / float(fps)


def _creation_seconds(value: datetime) -> tuple[float, bool]:
    """Seconds since 1970-01-01 of a creation_time (naive counts as UTC, as burned-in clocks:
    :func:`timesync.timeutil.epoch_seconds`), and whether it has a zone."""
    return epoch_seconds(value), value.tzinfo is not None


def _pair(a: dict[str, Any], b: dict[str, Any], key: str, *, device_prior: bool = True) -> Constraint | None:
    """The constraint from tag ``key`` ('creation_time' or 'timecode') of sources a and b.

    With ``device_prior`` its sigma includes the device-clock prior; without, the
    measurement sigma alone (to narrow a search).
    """
    if a.get(key) is None or b.get(key) is None:
        return None
    if key == "creation_time" and a["zoned"] != b["zoned"]:
        return None
    start = a[key] - b[key]
    if key == "timecode" and abs(start) > 12 * 3600:
        start -= math.copysign(24 * 3600, start)  # across midnight
    end = (a[key] - a["duration"]) - (b[key] - b["duration"])
    hypotheses = {"both stamp the start": start, "both stamp the end": end}
    sigma = math.hypot(METADATA_SIGMA_S, (end - start) / 2) if key == "creation_time" else METADATA_SIGMA_S
    measured = sigma
    if device_prior:
        sigma = math.hypot(sigma, DEVICE_CLOCK_SIGMA_S)
    return Constraint(
        source=a["name"], other=b["name"], offset_s=start, uncertainty_s=sigma, kind="metadata",
        rate=1.0, score=1.0, rate_uncertainty=None, at_source_s=a["duration"] / 2,
        evidence={"tag": key, "values": [a[f"{key}_text"], b[f"{key}_text"]],
                  "hypotheses_s": {k: round(v, 6) for k, v in hypotheses.items()},
                  "sigma_s": round(sigma, 3), "measured_sigma_s": round(measured, 3),
                  "why_sigma": "tags are often whole seconds; some devices stamp the end of the recording "
                               "instead of its start" + ("; the prior on two device clocks' difference "
                                                         "(wrong by seconds to hours)" if device_prior else "")},
    )


def _facts(src: Any) -> dict[str, Any]:
    info = src.info
    tags = getattr(info, "tags", None)
    facts: dict[str, Any] = {"name": src.name, "duration": float(getattr(info, "duration_s", 0.0) or 0.0),
                             "creation_time": None, "timecode": None, "zoned": False}
    created = getattr(tags, "creation_time", None) if tags is not None else None
    if isinstance(created, datetime) and unset_clock(created):
        facts["unset"] = f"creation_time {created.isoformat()} is from a clock never set (not used)"
    elif isinstance(created, datetime):
        facts["creation_time"], facts["zoned"] = _creation_seconds(created)
        facts["creation_time_text"] = created.isoformat()
    timecode = getattr(tags, "timecode", None) if tags is not None else None
    video = getattr(info, "video", None)
    fps = getattr(video, "avg_fps", None) if video is not None else None
    if timecode:
        facts["timecode"] = timecode_seconds(str(timecode), fps)
        facts["timecode_text"] = str(timecode)
    return facts


@contextmanager
def rough_search(clocks: Mapping[str, ClockMap], rough: Sequence[str]) -> Iterator[None]:
    """Within this block (same thread), :func:`prior` of a pair with a source named in
    ``rough`` is :func:`rough_prior` of the two ``clocks`` (by source name as the aligners
    see them), instead of the tags; pairs without a rough source are untouched."""
    token = _ROUGH.set((dict(clocks), frozenset(rough)))
    try:
        yield
    finally:
        _ROUGH.reset(token)


def rough_prior(a: str, clock_a: ClockMap, b: str, clock_b: ClockMap) -> Constraint:
    """The offset two placements imply, as a narrowing constraint: ``source = b``,
    ``other = a``, ``t_a = offset_s + rate * t_b`` (local seconds) where both clocks give the
    same shared time; one sigma the two clocks' in quadrature (a rough placement's is
    seconds). Its kind is ``"manual"`` (a reviewer's placement) and its evidence says
    :data:`ROUGH_NARROWING`; it only narrows searches, the solve never sees it."""
    relation = clock_b.compose(clock_a.inverse())  # b's local -> shared -> a's local
    return Constraint(
        source=b, other=a, offset_s=relation.offset_s, uncertainty_s=relation.uncertainty_s,
        kind="manual", rate=relation.rate, score=0.0, rate_uncertainty=None,
        evidence={"narrowed_by": ROUGH_NARROWING,
                  "clocks": {b: clock_b.to_dict(), a: clock_a.to_dict()}})


def _rough(a: Any, b: Any) -> Constraint | None:
    """:func:`rough_prior` of sources ``a`` and ``b`` inside :func:`rough_search`, else None."""
    active = _ROUGH.get()
    if active is None:
        return None
    clocks, rough = active
    if not {a.name, b.name} & rough or a.name not in clocks or b.name not in clocks:
        return None
    return rough_prior(a.name, clocks[a.name], b.name, clocks[b.name])


def prior(a: Any, b: Any) -> Constraint | None:
    """What the tags of sources ``a`` and ``b`` say about their offset, or None.

    Returns the metadata constraint with ``source = b``, ``other = a``
    (``t_a = offset_s + t_b``, seconds), from creation_time if both files carry
    comparable ones, else from timecode. Used to narrow other searches: its
    sigma is the measurement's alone (both clocks assumed right), without the
    device-clock prior the solve's constraints carry. Inside :func:`rough_search`, a
    pair with a rough placement gets :func:`rough_prior` instead.
    """
    rough = _rough(a, b)
    if rough is not None:
        return rough
    if getattr(a, "info", None) is None or getattr(b, "info", None) is None:
        return None
    fa, fb = _facts(a), _facts(b)
    for key in ("creation_time", "timecode"):
        constraint = _pair(fb, fa, key, device_prior=False)
        if constraint is not None:
            return constraint
    return None


def find_constraints(sources: Sequence[Any], *, progress: Callable[[float, str], None] | None = None) \
        -> AlignerReport:
    """Coarse constraints from creation_time and timecode tags of every pair of sources.

    Parameters
    ----------
    sources : SourceMedia with ``name``, ``path``, ``info`` (MediaInfo with ``tags``).
    progress : optional ``progress(fraction, message)``.

    Returns
    -------
    AlignerReport
        Constraints of kind ``"metadata"``; ``findings[name]["metadata"]`` with the
        tags used; ``notes[name] = "no creation_time or timecode tag"`` where neither exists.
    """
    report = AlignerReport(method="metadata")
    facts = []
    for src in sources:
        if getattr(src, "info", None) is None:
            continue
        f = _facts(src)
        if f["creation_time"] is None and f["timecode"] is None:
            report.notes[src.name] = f.get("unset", NO_METADATA)
            continue
        report.findings[src.name] = {"metadata": {k: f[k + "_text"] for k in ("creation_time", "timecode")
                                                  if f.get(k) is not None}}
        facts.append(f)
    # each source to the first earlier one with a comparable tag (a star, not every
    # pair: a device's clock error is shared by all its pairs)
    for k, b in enumerate(facts):
        for key in ("creation_time", "timecode"):
            for a in facts[:k]:
                constraint = _pair(a, b, key)
                if constraint is not None:
                    report.constraints.append(constraint)
                    break
    if progress:
        progress(1.0, "metadata: done")
    return report
