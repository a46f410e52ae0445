"""The far-field side of impulse detection: muzzle blasts heard from tens to hundreds of metres.

Distance and buildings low-pass a blast and follow it with street echoes. At
sensor rates (``far_max_sr``, 16 kHz and below) :func:`timesync.detect.detect_impulses`
runs a second pass with a lower high-pass (``far_highpass_hz``) and scores each
impulse with :func:`_far_likeness` as well; :func:`_merge_far` keeps the better
of the two passes per event, and :func:`_far_echo` refuses a far-field event's
reflections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

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
    used: set[int] = set()
    for imp in main:
        # same event: from SAME_EVENT_S before a far-pass onset to the end of its refractory period
        off = imp.onset_s - onsets if len(onsets) else onsets
        inside = np.nonzero((off >= -SAME_EVENT_S) & (off <= max(refractory_s, SAME_EVENT_S)))[0]
        j = int(inside[np.argmin(np.abs(off[inside]))]) if len(inside) else -1
        if j >= 0:
            if imp.components.get("near", 1.0) < 0.5 and far[j].score >= imp.score:
                if j not in used:  # (a first arrival and its louder follower: one event)
                    out.append(far[j])
                used.add(j)
                continue
            used.add(j)
        out.append(imp)
    for j, imp in enumerate(far):
        if j not in used and imp.components.get("near", 1.0) < imp.score:
            out.append(imp)
    return sorted(out, key=lambda i: i.onset_s)
