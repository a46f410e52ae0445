"""The far-field side of impulse detection: muzzle blasts heard from tens to hundreds of metres.

Distance and buildings low-pass a blast and follow it with street echoes.
:func:`timesync.detect.detect_impulses` runs a second pass with a lower
high-pass (``far_highpass_hz``) and scores each impulse with
:func:`_far_likeness` as well: at sensor rates (``far_max_sr``, 16 kHz and
below) on the track itself, above it (body cams at 44.1/48 kHz) on a copy
decimated to ``far_max_sr`` or below, scored on the far-field score alone
(with ``far_lowpass``: most energy below 2 kHz, and ``far_loud``: an event at
full scale stands far out of its background). :func:`_merge_far` keeps the
better of the two passes per event (refusing, at 44.1/48 kHz, the far pass's
events that are the later part of a sound the full-rate pass heard begin, or
that hold high frequencies the full-rate pass did not hear: :func:`_far_alone`),
and :func:`_far_echo` refuses a far-field event's reflections.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy import signal

from timesync.detect.envelopes import _logistic

if TYPE_CHECKING:
    from timesync.detect.impulses import Impulse

#: A new event inside the refractory period replaces the previous one when
#: it is this much louder (dB).
REPLACE_DB = 3.0

#: A blast heard from afar is scored at most this high: without its high
#: frequencies a distant shot is less certain than one heard up close.
FAR_CAP = 0.8
#: Far-field blasts: onsets this close after a far-field event (s) are taken for its
#: echoes (street reflections) unless clearly louder.
FAR_ECHO_S = 0.3
#: A far blast lasts at least this long (ms; its envelope may dip between the direct
#: path and the reflections that follow it within 10-20 ms).
FAR_MIN_DURATION_MS = 8.0
#: Reflections off far buildings: up to this late (s) ...
LATE_ECHO_S = 1.5
#: ... and at least this much weaker (dB) than the blast.
LATE_ECHO_DB = 5.0
#: A far-field event's first arrival may be this much weaker (dB) than the louder
#: arrival that follows it ...
FIRST_ARRIVAL_DB = 12.0
#: ... and this much earlier (s): street reflections that outdo the direct path
#: follow it by 10-25 ms at 250-400 m (the FP5 live-fire tests).
FIRST_ARRIVAL_S = 0.03
#: Above ``far_max_sr`` (the far-field pass on a decimated copy) a far blast has at
#: most this fraction of its first 20 ms energy above 2 kHz (``far_lowpass``).
FAR_MAX_HF = 0.5
#: A decimated far-field event peaking this close to full scale (dBFS), or clipping
#: the full-rate track, is loud: as a far blast it must stand out of its background
#: by :data:`FAR_LOUD_PROMINENCE_DB` (``far_loud``).
FAR_LOUD_DBFS = -3.0
#: The prominence (dB) a loud far blast reaches: the live-fire blasts that clip a
#: sensor 80-140 m away stand 44-50 dB out; booms at full scale over speech or
#: birds 25-29 dB.
FAR_LOUD_PROMINENCE_DB = 35.0
#: A decimated far-field event with this fraction or more of its first 20 ms energy
#: above 2 kHz is not low-passed like a far blast (the live-fire blasts at 48 kHz:
#: 0.04 at most): the full-rate pass must hear it at the same onset too, or it is
#: no far blast (``far_unheard``).
FAR_ALONE_HF = 0.1


def _far_likeness(imp: Impulse) -> tuple[float, dict[str, float]]:
    """Shot-likeness of a muzzle blast heard from tens to hundreds of metres.

    Distance and buildings low-pass the blast: nothing is left above ~2 kHz, so
    the ``hf`` and ``top`` tests of the close-range score fail. What is left:
    a fast rise, a strong stand-out (``far_prominence``, 18 dB), a deep fall
    within 90 ms (``far_decay``, 10 dB), a duration over 15 ms (the street's
    reverberation may hold it up for seconds), and a
    broadband spectrum over what the recording holds (``far_flatness``: a
    sound effect or thud with nothing above a few kHz in a 48 kHz recording is
    not flat; not judged when the blast clipped the recording, whose flat
    tops make harmonics of their own), broad at low frequencies too
    (``far_low_flatness``: a thud rings at one resonance). The score is capped at :data:`FAR_CAP`; its echoes are
    refused (:func:`_far_echo`, within :data:`FAR_ECHO_S`).
    """
    dur_ms = imp.duration_s * 1e3
    comps = {
        "far_prominence": _logistic(imp.prominence_db, 18.0, 1.5),
        "far_decay": _logistic(imp.decay_db, 10.0, 1.0),
        # a clipped blast is a square wave: its harmonics are no spectrum to judge
        "far_flatness": 1.0 if imp.clipped else _logistic(imp.flatness, 0.22, 0.02),
        "far_low_flatness": _logistic(imp.low_flatness, 0.18, 0.02),
    }
    parts = [*comps.values(), _logistic(-imp.rise_s * 1e3, -1.0, 0.2),
             _logistic(dur_ms, FAR_MIN_DURATION_MS, 1.5)]
    return FAR_CAP * min(parts), comps




def _far_echo(imp: Impulse, peak_db: float, previous: list[Impulse], peaks_db: list[float]) -> bool:
    """True when ``imp``, scored as a far-field blast, is a reflection of an earlier one.

    ``previous`` and ``peaks_db`` are the events before it and their peak
    energies (dB); those already taken for echoes are no source of echoes.
    A reflection off the street follows its blast within :data:`FAR_ECHO_S`
    without being :data:`REPLACE_DB` louder; one off a far building comes
    up to :data:`LATE_ECHO_S` later, and :data:`LATE_ECHO_DB` weaker: it
    travelled further. (A next round of the same gun from the same spot
    comes as loud as the one before, within a few dB.)
    """
    if imp.components.get("near", 1.0) >= 0.5:
        return False
    for prev, prev_db in zip(reversed(previous), reversed(peaks_db), strict=True):
        dt = imp.onset_s - prev.onset_s
        if dt > LATE_ECHO_S:
            break
        if "far_echo" in prev.components or prev.components.get("near", 1.0) >= 0.5:
            continue
        if dt < FAR_ECHO_S and peak_db < prev_db + REPLACE_DB:
            return True
        if peak_db <= prev_db - LATE_ECHO_DB:
            return True
    return False


def _keep_first_arrival(imp: Impulse, peak_db: float, first: Impulse, first_db: float) -> None:
    """Give ``imp`` (a louder arrival that displaced ``first`` inside the refractory
    period) the onset of ``first``, the event's first arrival, when ``first`` is at
    most :data:`FIRST_ARRIVAL_DB` weaker (``peak_db``, ``first_db``: peak energies, dB)
    and at most :data:`FIRST_ARRIVAL_S` earlier.

    Heard from hundreds of metres between buildings, a blast's direct path is
    often the weaker one (diffracted over a roof) and a reflection arrives
    10-40 ms later, louder; the time of arrival that locates the shot is the
    first one. Something much weaker before a loud blast is not its first
    arrival but a ripple of what came before (a previous round's reverberation).
    The features and score stay the louder arrival's;
    ``components["first_arrival_lead_s"]`` records how much earlier (s) the
    onset was moved.
    """
    if peak_db - first_db > FIRST_ARRIVAL_DB or imp.onset_s - first.onset_s > FIRST_ARRIVAL_S:
        return
    imp.components["first_arrival_lead_s"] = imp.onset_s - first.onset_s
    imp.onset_s, imp.onset_sample = first.onset_s, first.onset_sample


#: An impulse of the far-field pass this close (s) to one of the main pass is the same event.
SAME_EVENT_S = 0.010


def _merge_far(main: list[Impulse], far: list[Impulse], refractory_s: float) -> list[Impulse]:
    """The main pass's impulses, with the far-field pass's (lower high-pass) where they tell more.

    The far-field pass hears low-passed blasts, and places their onsets
    earlier and better. Its impulse replaces the main pass's one for the same
    event (from :data:`SAME_EVENT_S` before the far-pass onset to the end of its
    refractory period ``refractory_s``, seconds: the far pass found nothing new
    starting there, and a far blast's first arrival may lead the main pass's
    onset) when the main one is not scored as a close-range shot; an impulse only the far pass found is kept when its
    far-field score is what carries it (the close-range score is the main
    pass's business).
    """
    out: list[Impulse] = []
    onsets = np.array([imp.onset_s for imp in far])
    others = [imp for imp in main if imp.components.get("near", 1.0) < 0.5]
    starts = (np.array([imp.onset_s for imp in others]), np.array([imp.peak_dbfs for imp in others]))
    used: set[int] = set()
    for imp in main:
        # same event: from SAME_EVENT_S before a far-pass onset to the end of its refractory period
        off = imp.onset_s - onsets if len(onsets) else onsets
        inside = np.nonzero((off >= -SAME_EVENT_S) & (off <= max(refractory_s, SAME_EVENT_S)))[0]
        j = int(inside[np.argmin(np.abs(off[inside]))]) if len(inside) else -1
        if j >= 0:
            if imp.components.get("near", 1.0) < 0.5 and far[j].score >= imp.score:
                if j not in used:  # (a first arrival and its louder follower: one event)
                    _earlier_onset(far[j], imp)
                    _far_alone(far[j], starts, refractory_s, heard=True)
                    out.append(far[j])
                used.add(j)
                continue
            used.add(j)
        out.append(imp)
    for j, imp in enumerate(far):
        if j not in used and imp.components.get("near", 1.0) < imp.score:
            _far_alone(imp, starts, refractory_s, heard=False)
            out.append(imp)
    return sorted(out, key=lambda i: i.onset_s)


def _far_alone(imp: Impulse, starts: tuple[np.ndarray, np.ndarray], refractory_s: float, heard: bool) -> None:
    """Cap, like an echo (half of :data:`FAR_CAP` times the score), a decimated far-field
    event that is part of a sound the full-rate pass heard begin before it, or that the
    full-rate pass did not hear at its onset (``heard`` False) while it is not low-passed
    like a far blast.

    ``starts`` are the sorted onsets (s) and peaks (dBFS) of the full-rate pass's impulses
    scored as no close-range shot. ``far_late``: one of them, at most :data:`FIRST_ARRIVAL_DB`
    weaker, began ``SAME_EVENT_S`` to ``refractory_s`` (s) before this onset (something
    much weaker before a blast is a ripple of what came before, or a bullet's crack,
    as on FP9 test 145 at 273 m: 29 dB weaker, 46 ms before the second round's arrival):
    the full-rate pass heard this sound start
    (a boom or slam builds up before its loudest low-frequency part; of a far blast the
    full-rate pass hears nothing earlier than the far pass, its highs being gone).
    ``far_unheard``: not ``heard``, it holds :data:`FAR_ALONE_HF` or more of its energy
    above 2 kHz, and what has high frequencies rises in the full-rate pass's 1 kHz
    high-pass too.
    """
    if not imp.components.get("decimated"):
        return
    lo, hi = np.searchsorted(starts[0], [imp.onset_s - refractory_s, imp.onset_s - SAME_EVENT_S])
    if hi > lo and np.any(starts[1][lo:hi] >= imp.peak_dbfs - FIRST_ARRIVAL_DB):
        imp.components["far_late"] = 1.0
    elif not heard and imp.hf_fraction >= FAR_ALONE_HF:
        imp.components["far_unheard"] = 1.0
    else:
        return
    imp.score = min(imp.score, 0.5 * FAR_CAP * imp.score)


def _clipped(x: np.ndarray, onset: int, sr: float, full_scale: float) -> bool:
    """Whether ``x`` sits at its full-scale level (3 samples or more) within 50 ms of ``onset``."""
    window = np.abs(x[onset : onset + round(0.05 * sr)])
    return bool(full_scale > 0.5 and np.count_nonzero(window >= 0.995 * full_scale) >= 3)


def _far_only(imp: Impulse, clipped: bool) -> None:
    """Score an impulse of the decimated far-field pass on its far-field score alone.

    ``clipped`` is measured at the full rate (decimation smooths flat tops into
    ringing). The close-range score is the main pass's, at the full rate: on the
    decimated copy its ``top`` band (sr/8) drops to 2 kHz, where bird calls
    pass it, so ``near`` is set to 0 (and ``decimated`` to 1). ``far_lowpass``: a blast heard from afar
    keeps most of its energy below 2 kHz (``hf_fraction`` under
    :data:`FAR_MAX_HF`; the live-fire blasts at 48 kHz: 0.04 at most), while a
    bird call or a high-pitched slam that the full-rate pass refused holds
    nearly all of its above. ``far_loud`` (:func:`_far_loud`): a loud event must
    stand far out of its background. An echo keeps its cap.
    """
    imp.clipped = clipped
    echo = "far_echo" in imp.components
    score, comps = _far_likeness(imp)
    comps["far_lowpass"] = _logistic(-imp.hf_fraction, -FAR_MAX_HF, 0.05)
    comps["far_loud"] = _far_loud(imp)
    score = min(score, FAR_CAP * comps["far_lowpass"], FAR_CAP * comps["far_loud"])
    imp.components.update(comps)
    imp.components["near"] = 0.0
    imp.components["decimated"] = 1.0
    imp.score = min(score, 0.5 * FAR_CAP * score) if echo else score


def _far_loud(imp: Impulse) -> float:
    """The ``far_loud`` component in [0, 1] of a decimated far-field event.

    An event that reaches the top of the recorder's range (peak at or above
    :data:`FAR_LOUD_DBFS`, or clipped at the full rate) was loud where it was
    recorded. A blast that loud from tens of metres or more stands far out of
    the street's sound (:data:`FAR_LOUD_PROMINENCE_DB`); a sound at full scale
    that rises only 25-30 dB over a loud scene is a boom or slam close by, the
    full-rate pass's business, which refused it. 1 for any quieter event.
    """
    loud = 1.0 if imp.clipped else _logistic(imp.peak_dbfs, FAR_LOUD_DBFS, 0.5)
    return 1.0 - loud * (1.0 - _logistic(imp.prominence_db, FAR_LOUD_PROMINENCE_DB, 1.5))


def _far_pass(x: np.ndarray, sr: float, t0_s: float, p: dict[str, float],
              scan: Callable[..., list[Impulse]]) -> list[Impulse] | None:
    """The far-field pass of :func:`timesync.detect.detect_impulses` (``scan``, its
    ``_scan``, with the high-pass at ``far_highpass_hz``), or None when it does not run.

    At or below ``far_max_sr`` it runs on ``x`` itself. Above it, with
    ``far_decimate`` set, it runs on a copy decimated by the smallest whole
    factor that brings the rate to ``far_max_sr`` or below (48 kHz -> 16 kHz,
    44.1 kHz -> 14.7 kHz), so a body camera's recording is judged like a
    sensor's; onsets keep their times (s) and ``onset_sample`` is mapped back
    to ``x``'s rate (rounded).
    """
    far_p = {**p, "highpass_hz": p["far_highpass_hz"]}
    if sr <= p["far_max_sr"]:
        return scan(x, sr, t0_s, far_p)
    if not p["far_decimate"]:
        return None
    q = math.ceil(sr / p["far_max_sr"])
    xd = signal.resample_poly(x, 1, q)
    if not np.any(xd):
        return None
    far = scan(xd, sr / q, t0_s, far_p)
    full_scale = float(np.max(np.abs(x)))
    for imp in far:
        imp.onset_sample = min(len(x) - 1, round(imp.onset_sample * q))
        _far_only(imp, _clipped(x, imp.onset_sample, sr, full_scale))
    return far


def _earlier_onset(far: Impulse, main: Impulse) -> None:
    """A decimated far-field event that replaces the main pass's one keeps the main
    pass's onset when that is earlier: the full-rate onset is the finer one (a burst's
    shot 1.9 ms late on the 16 kHz copy of a 48 kHz track)."""
    if far.components.get("decimated") and main.onset_s < far.onset_s:
        far.onset_s, far.onset_sample = main.onset_s, main.onset_sample
