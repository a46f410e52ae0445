"""Impulse detection in one audio track: onsets, levels and a shot-likeness score.

Everything here works on a numpy array of samples (float, full scale 1.0) at a
sample rate ``sr`` in Hz; time 0 is sample 0 plus ``t0_s``. Nothing here knows
about files or projects (see :mod:`timesync.detect.shots` for that).

The detector has three stages:

1. **Coarse detection** on a high-passed energy envelope (1 ms windows, 0.5 ms
   hop): a frame is a candidate when it stands above an adaptive threshold
   (running median + ``k`` robust sigmas (1.4826 MAD) over ~1 s, and at least
   ``min_prominence_db`` above the median) *and* its energy jumped by
   ``jump_db`` over the last few milliseconds. The refractory period is short
   (``refractory_s``, 50 ms) so bursts of shots 100 ms apart stay separate; a
   new onset inside the decay of a previous one is accepted because the jump
   test measures the rise over the *recent* past, not above the background.
   Echoes are told from new shots by level (``echo_db`` weaker inside the
   previous event's decay) and by waveform: an echo is a weaker copy of an
   event heard just before (normalised cross-correlation, see :func:`_is_echo`;
   a copy as loud is a next round of the same gun).
2. **Onset refinement** at full rate: the first sample whose high-passed
   magnitude exceeds the pre-event noise floor plus ``onset_fraction`` of the
   way to the local peak.
3. **Features and score**: rise time, high-frequency energy fraction, spectral
   flatness, duration, prominence and decay, combined into a shot-likeness
   score in [0, 1] (see :func:`shot_likeness`).

An :class:`Impulse` is a *proposal*: its ``accepted`` status starts as
``None`` and is set by a reviewer.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from timesync.detect.envelopes import (
    BG_PERCENTILE,
    PEAK_WINDOW_S,
    _background,
    _background_spectrum,
    _band_fraction,
    _duration_and_decay,
    _frame_energy_db,
    _highpass,
    _live_frames,
    _logistic,
    _low_flatness,
    _rise_time,
    _spectral_features,
    track_status,
)
from timesync.detect.farfield import (
    FAR_CAP,
    REPLACE_DB,
    _clipped,
    _far_echo,
    _far_likeness,
    _far_pass,
    _keep_first_arrival,
    _merge_far,
)

__all__ = ["Impulse", "detect_impulses", "shot_likeness", "track_status", "DEFAULTS", "BG_PERCENTILE", "PEAK_WINDOW_S"]

#: The energy envelope: windows of two hops, one every HOP_S seconds.
HOP_S = 0.0005
#: A rise is looked for over this long (s): what comes in the next RISE_S must
#: stand ``jump_db`` above the loudest of the 1-5 ms before.
RISE_S = 0.002

#: The far-field score wants some of a blast's energy above this (Hz).
MID_HZ = 500.0

#: Default detector parameters (seconds, dB, Hz), shared with the CLI and the bench.
DEFAULTS: dict[str, float] = {
    "highpass_hz": 1000.0,
    "far_highpass_hz": 300.0,
    "far_max_sr": 16000.0,
    "far_decimate": 1.0,
    "k_mad": 4.0,
    "min_prominence_db": 10.0,
    "max_threshold_db": 12.0,
    "jump_db": 6.0,
    "refractory_s": 0.05,
    "onset_fraction": 0.5,
    "echo_db": 10.0,
    "echo_window_s": 0.5,
    "min_peak_dbfs": -60.0,
}


@dataclass
class Impulse:
    """One impulsive event found in a track.

    Attributes
    ----------
    onset_s : float
        Onset time in seconds on the track's time axis (sample 0 is ``t0_s``).
    onset_sample : int
        Index of the onset sample in the analysed array.
    peak_dbfs : float
        Peak sample magnitude within 5 ms of the onset, dB re full scale (1.0).
    duration_s : float
        Seconds from the onset until the high-passed envelope falls back to
        30 dB below its peak or 3 dB above the background, whichever is higher.
    rise_s : float
        Seconds from the onset to half the maximum of the envelope above 300 Hz.
    hf_fraction : float
        Fraction of the energy of the first 20 ms above ``min(2 kHz, sr/6)``.
    top_fraction : float
        Fraction of the energy of the first 20 ms above ``sr / 8`` (6 kHz at
        48 kHz): a blast reaches the top of the band.
    flatness : float
        Spectral flatness (geometric / arithmetic mean power) of the first 20 ms
        in half-octave bands over 300 Hz .. 0.9 Nyquist, after removing the
        spectral tilt; 1 is white or pink noise, near 0 is tonal or band-limited.
    prominence_db : float
        High-passed energy above the running background, dB.
    decay_db : float
        Deepest fall of the (10 ms smoothed) high-passed energy below its peak
        within 10-90 ms after it, dB.
    clipped : bool
        The waveform sits at the track's full-scale level within 50 ms.
    mid_fraction : float
        Fraction of the first 20 ms energy in excess of the background above
        :data:`MID_HZ` (500 Hz), for the record (a far blast in a street keeps
        as little as a thud: it is not scored).
    low_flatness : float
        Spectral flatness over 40 Hz-1 kHz of the first 40 ms: a far blast is
        broad (0.2-0.6), a thud rings at one resonance (under 0.05).

    score : float
        Shot-likeness in [0, 1] (:func:`shot_likeness`).
    accepted : bool or None
        Reviewer status: ``None`` until someone accepts or rejects it.
    """

    onset_s: float
    onset_sample: int
    peak_dbfs: float
    duration_s: float
    rise_s: float
    hf_fraction: float
    top_fraction: float
    flatness: float
    prominence_db: float
    decay_db: float
    clipped: bool
    mid_fraction: float = 0.0
    low_flatness: float = 0.0
    score: float = 0.0
    accepted: bool | None = None
    components: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every attribute."""
        return asdict(self)


# -- score ----------------------------------------------------------------------


#: Weights of the score components (a weighted geometric mean).
DECISIVE = ("rise", "hf", "top", "flatness", "duration", "prominence")
WEIGHTS = {"rise": 1.5, "hf": 1.0, "top": 1.0, "flatness": 1.0, "duration": 1.0, "prominence": 0.5, "decay": 0.5}


def shot_likeness(imp: Impulse, far: bool = True) -> tuple[float, dict[str, float]]:
    """Score in [0, 1] of how gunshot-like an impulse is, with its components.

    Each component maps one feature to [0, 1] with a logistic ramp; the score is
    their weighted geometric mean (:data:`WEIGHTS`), so one clearly wrong
    feature pulls the score down hard:

    * ``rise``: the envelope above 300 Hz reaches half its maximum in under ~1 ms
      (muzzle blast: microseconds; door slams, punches, booms: tens of ms).
      Clipping only shortens the rise, so it survives flat tops.
    * ``hf``: at least ~10 % of the first 20 ms energy above min(2 kHz, sr/6)
      (booms and thuds are low-frequency dominated).
    * ``top``: at least ~7 % of it above sr/8 (6 kHz at 48 kHz): the blast
      reaches the top of the recorded band; thuds, punches and most impacts
      do not.
    * ``flatness``: broadband, not tonal (birds, whistles, sirens): the
      half-octave spectrum, once its tilt is removed, is flat.
    * ``duration``: between ~15 ms and ~1.5 s (camera shutters and clicks are
      shorter; sustained sounds longer).
    * ``prominence``: 14 dB or more above the running background (a click
      barely out of the scene's noise is not called a shot).
    * ``decay``: the energy falls by 10 dB or more within 90 ms.

    The score is ``sqrt(G * M)`` where ``G`` is the weighted geometric mean of
    all components and ``M`` the smallest of the decisive ones (rise, hf,
    top, flatness, duration, prominence): an impulse must pass every decisive
    test.
    """
    dur_ms = imp.duration_s * 1e3
    comps = {
        "rise": _logistic(-imp.rise_s * 1e3, -1.0, 0.2),
        "hf": _logistic(imp.hf_fraction, 0.10, 0.02),
        "top": _logistic(imp.top_fraction, 0.07, 0.015),
        "flatness": _logistic(imp.flatness, 0.35, 0.07),
        "duration": _logistic(dur_ms, 15.0, 3.0) * _logistic(-dur_ms, -1500.0, 150.0),
        "prominence": _logistic(imp.prominence_db, 14.0, 1.5),
        "decay": _logistic(imp.decay_db, 8.0, 2.0),
    }
    total_w = sum(WEIGHTS.values())
    log_g = sum(WEIGHTS[k] * math.log(max(v, 1e-9)) for k, v in comps.items()) / total_w
    worst = min(comps[k] for k in DECISIVE)
    near = math.sqrt(math.exp(log_g) * worst)
    comps["near"] = near
    if not far:
        return near, comps
    far_score, far_comps = _far_likeness(imp)
    comps.update(far_comps)
    return (near, comps) if near >= far_score else (far_score, comps)


def _coarse_onsets(
    e_db: np.ndarray, bg: np.ndarray, sigma: np.ndarray, per_s: float, p: dict[str, float],
    live: np.ndarray | None = None,
) -> list[int]:
    """Frames (``HOP_S`` hop) passing the level and jump tests (runs of frames, not yet thinned).

    Frames within 20 ms after digital silence (``live`` False) never pass: the
    start of the recorded noise is not an impulse."""
    thr = bg + np.clip(p["k_mad"] * sigma, p["min_prominence_db"], p["max_threshold_db"])
    n = len(e_db)
    rise = max(1, round(RISE_S * per_s))
    # what comes: the loudest window of the next RISE_S (a rise smeared by a
    # codec's pre-echo still reaches its top within it) ...
    ahead = ndimage.maximum_filter1d(e_db, size=rise + 1, origin=-(rise // 2), mode="nearest")
    # ... against what was: the loudest window between 5 ms and 1 ms before
    past = np.full(n, np.inf)
    span = max(1, round(0.004 * per_s))
    lag = 2  # frame n-2 is the window just before frame n's
    before = ndimage.maximum_filter1d(e_db, size=span + 1, origin=span // 2, mode="nearest")
    past[lag:] = before[: n - lag]
    jump = ahead - past
    ok = (ahead > thr) & (jump >= p["jump_db"])
    if live is not None and not live.all():
        dead = ndimage.maximum_filter1d((~live).astype(np.uint8), size=round(0.02 * per_s) + 1,
                                        origin=-(round(0.02 * per_s) // 2), mode="nearest")
        ok &= live & (np.roll(dead, round(0.02 * per_s) // 2 + 1) == 0)
    return [int(f) for f in np.nonzero(ok)[0]]


def _refine_onset(hp: np.ndarray, centre: int, sr: float, fraction: float) -> int:
    """First sample near ``centre`` whose |hp| rises ``fraction`` of the way from floor to peak."""
    pre_lo = max(0, centre - round(0.03 * sr))
    pre_hi = max(pre_lo + 1, centre - round(0.005 * sr))
    floor = float(np.sqrt(np.mean(hp[pre_lo:pre_hi] ** 2))) if pre_hi > pre_lo else 0.0
    lo = max(0, centre - round(0.005 * sr))
    hi = min(len(hp), centre + round(0.010 * sr))
    seg = np.abs(hp[lo:hi])
    if len(seg) == 0:
        return centre
    peak = float(seg.max())
    level = 3.0 * floor + fraction * max(peak - 3.0 * floor, 0.0)
    above = np.nonzero(seg > level)[0]
    return lo + int(above[0]) if len(above) else centre


def _ncc_max(seg: np.ndarray, ref: np.ndarray) -> float:
    """Largest |normalised cross-correlation| of ``ref`` with every same-length window of ``seg``."""
    n = len(ref)
    if len(seg) < n or n == 0:
        return 0.0
    num = np.correlate(seg, ref, mode="valid")
    csum = np.concatenate([[0.0], np.cumsum(seg.astype(np.float64) ** 2)])
    energy = csum[n:] - csum[:-n]
    den = np.sqrt(np.maximum(energy, 0.0) * float(np.dot(ref, ref)))
    ok = den > 0
    return float(np.max(np.abs(num[ok]) / den[ok])) if np.any(ok) else 0.0


#: The echo test searches the lag this far (s) either side of the onset delay.
ECHO_LAG_S = 0.004

#: An event that correlates this well with an earlier one ...
ECHO_NCC = 0.35
#: ... and is this much weaker (dB) is its echo. A reflection travelled further
#: than the sound it repeats; a second round of the same gun from the same spot
#: comes through the same streets, so its waveform repeats the first one's
#: (normalised correlation 0.8-0.95 at 300 m) at the same level: only the
#: level tells them apart.
ECHO_DROP_DB = 3.0


def _is_echo(
    hp: np.ndarray, onset: int, peak_db: float, previous: list[Impulse], peaks_db: list[float],
    sr: float, window_s: float,
) -> bool:
    """True when the event at ``onset`` repeats the waveform of an earlier one (a reflection).

    An echo is a delayed, weaker, filtered copy of a sound already heard: it
    correlates (:data:`ECHO_NCC`) and is :data:`ECHO_DROP_DB` weaker. A second
    round of one gun heard from afar correlates just as well (the streets
    shape both alike) but comes as loud. The first 10 ms of the
    high-passed waveform are compared with each event of the last
    ``window_s`` seconds (lag searched over ±``ECHO_LAG_S`` around the onset
    delay: an echo riding on a loud tail is often found a little late).
    """
    n = round(0.01 * sr)
    slack = max(1, round(ECHO_LAG_S * sr))
    seg = hp[max(0, onset - slack) : onset + n + slack]
    if onset + n > len(hp):
        return False
    for prev, prev_db in zip(reversed(previous), reversed(peaks_db), strict=True):
        if onset - prev.onset_sample > window_s * sr:
            break
        ref = hp[prev.onset_sample : prev.onset_sample + n]
        if len(ref) < n:
            continue
        ncc = _ncc_max(seg, ref)
        if ncc >= ECHO_NCC and peak_db <= prev_db - ECHO_DROP_DB:
            return True
    return False


def _candidate(
    x: np.ndarray, hp: np.ndarray, centre: int, sr: float, e_db: np.ndarray, bg: np.ndarray,
    per_s: float, full_scale: float, t0_s: float, p: dict[str, float],
) -> tuple[Impulse | None, float]:
    """The impulse whose coarse detection window ends at ``centre``, and its peak energy (dB)."""
    hop = max(1, round(HOP_S * sr))
    onset = _refine_onset(hp, centre, sr, p["onset_fraction"])
    imp = _features(x, hp, onset, sr, e_db, bg, per_s, full_scale, t0_s)
    if imp.peak_dbfs < p["min_peak_dbfs"]:
        return None, -math.inf
    _, _, peak_db = _duration_and_decay(e_db, bg, min(onset // hop, len(e_db) - 1), per_s)
    return imp, peak_db


def _rejected(
    imp: Impulse, peak_db: float, hp: np.ndarray, impulses: list[Impulse], peaks_db: list[float],
    sr: float, p: dict[str, float],
) -> bool:
    """True when ``imp`` is an echo of an earlier event (by level or by waveform)."""
    if impulses:
        prev = impulses[-1]
        inside = imp.onset_s < prev.onset_s + prev.duration_s
        if inside and peak_db < peaks_db[-1] - p["echo_db"]:
            return True  # a much weaker event inside the decay of the previous one
    return _is_echo(hp, imp.onset_sample, peak_db, impulses, peaks_db, sr, p["echo_window_s"])


def detect_impulses(
    samples: np.ndarray,
    sr: float,
    *,
    t0_s: float = 0.0,
    min_score: float = 0.0,
    **params: float,
) -> list[Impulse]:
    """Find impulsive events in a mono track.

    Parameters
    ----------
    samples : np.ndarray, shape (n,) or (n, channels)
        Audio, float with full scale 1.0 (channels are averaged).
    sr : number > 0
        Sample rate in Hz. Analyse at the native rate or 48 kHz.
    t0_s : float
        Time in seconds of sample 0 (onsets are ``t0_s + index / sr``).
    min_score : float in [0, 1]
        Drop impulses whose shot-likeness score is below this.
    **params
        Overrides of :data:`DEFAULTS` (``highpass_hz``, ``far_highpass_hz`` (0: no
        far-field pass), ``far_max_sr`` (Hz: the far-field pass and score run at
        this rate or below), ``far_decimate`` (1: a recording above ``far_max_sr``
        gets its far-field pass on a decimated copy; 0: none), ``k_mad``,
        ``min_prominence_db``, ``max_threshold_db``, ``jump_db``, ``refractory_s`` (s),
        ``onset_fraction``, ``echo_db``, ``echo_window_s`` (s), ``min_peak_dbfs``).

    Returns
    -------
    list of Impulse
        In time order, each with ``accepted=None``.
    """
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"detect_impulses: unknown parameter(s) {sorted(unknown)}")
    if not sr > 0:
        raise ValueError(f"detect_impulses: sample rate must be > 0, got {sr!r}")
    x = _mono(samples, sr)
    if x is None:
        return []
    p = {**DEFAULTS, **params}
    impulses = _scan(x, sr, t0_s, p)
    far = _far_pass(x, sr, t0_s, p, _scan) if 0 < p["far_highpass_hz"] < p["highpass_hz"] else None
    if far is not None:
        impulses = _merge_far(impulses, far, p["refractory_s"])
    return [imp for imp in impulses if imp.score >= min_score]


def _mono(samples: np.ndarray, sr: float) -> np.ndarray | None:
    """The track as one float64 channel (channels averaged, NaN as 0), or None when it
    is shorter than 50 ms or silent."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if len(x) < round(0.05 * sr) or not np.any(x):
        return None
    return np.nan_to_num(x)


def _scan(x: np.ndarray, sr: float, t0_s: float, p: dict[str, float]) -> list[Impulse]:
    """Every impulse of the mono track ``x`` (see :func:`detect_impulses`), scored, in time order.

    Coarse onsets are refined one by one; within the refractory period after a
    hit only a clearly louder event (by :data:`REPLACE_DB`) displaces it, and the
    displaced one comes back if the louder one is rejected. In the far-field
    pass the displaced event's onset is kept (:func:`_keep_first_arrival`):
    far from a shot the first, weaker arrival is the direct (or least
    obstructed) path and a street reflection follows it louder.
    """
    hp = _highpass(x, sr, p["highpass_hz"])
    hop = max(1, round(HOP_S * sr))
    per_s = sr / hop
    e_db = _frame_energy_db(hp, 2 * hop, hop)
    live = _live_frames(x, 2 * hop, hop, len(e_db))
    bg, sigma = _background(e_db, per_s, live=live)
    full_scale = float(np.max(np.abs(x)))
    impulses: list[Impulse] = []
    refractory = max(1, round(p["refractory_s"] * sr))
    peaks_db: list[float] = []
    last_hit = -refractory
    span = max(1, round(0.002 * per_s))
    far_pass = p["highpass_hz"] <= p["far_highpass_hz"] and sr <= p["far_max_sr"]
    for frame in _coarse_onsets(e_db, bg, sigma, per_s, p, live):
        centre = min(frame * hop + 2 * hop, len(x) - 1)  # the frame's window ends here
        displaced = None
        if centre - last_hit < refractory:
            # inside the refractory period: only a clearly louder event (a shot
            # after its own precursor or a stray echo) displaces the previous one
            if not impulses or float(e_db[frame : frame + span].max()) < peaks_db[-1] + REPLACE_DB:
                continue
            displaced = (impulses.pop(), peaks_db.pop())
        imp, peak_db = _candidate(x, hp, centre, sr, e_db, bg, per_s, full_scale, t0_s, p)
        if imp is None or _rejected(imp, peak_db, hp, impulses, peaks_db, sr, p):
            if displaced is not None:
                impulses.append(displaced[0])
                peaks_db.append(displaced[1])
            continue
        last_hit = centre
        imp.score, imp.components = shot_likeness(imp, far=sr <= p["far_max_sr"])
        if displaced is not None and far_pass:
            _keep_first_arrival(imp, peak_db, *displaced)
        if _far_echo(imp, peak_db, impulses, peaks_db):
            imp.score = min(imp.score, 0.5 * FAR_CAP * imp.score)
            imp.components["far_echo"] = 1.0
        impulses.append(imp)
        peaks_db.append(peak_db)
    return impulses


def _features(
    x: np.ndarray,
    hp: np.ndarray,
    onset: int,
    sr: float,
    e_db: np.ndarray,
    bg: np.ndarray,
    per_s: float,
    full_scale: float,
    t0_s: float,
) -> Impulse:
    """Measure one impulse starting at sample ``onset``."""
    hop = max(1, round(HOP_S * sr))
    frame = min(onset // hop, len(e_db) - 1)
    head = x[onset : onset + max(16, round(0.02 * sr))]
    front = x[onset : onset + max(1, round(PEAK_WINDOW_S * sr))]
    peak = float(np.max(np.abs(front))) if len(front) else 0.0
    duration, decay, peak_db = _duration_and_decay(e_db, bg, frame, per_s)
    bg_spec = _background_spectrum(x, onset, len(head))
    hf, top, flat = _spectral_features(head, sr, bg_spec)
    clipped = _clipped(x, onset, sr, full_scale)
    return Impulse(
        onset_s=t0_s + onset / sr,
        onset_sample=int(onset),
        peak_dbfs=20.0 * math.log10(peak) if peak > 0 else -math.inf,
        duration_s=duration,
        rise_s=_rise_time(x, onset, sr),
        hf_fraction=hf,
        top_fraction=top,
        flatness=flat,
        prominence_db=peak_db - float(bg[frame]),
        decay_db=decay,
        clipped=clipped,
        mid_fraction=_band_fraction(head, sr, bg_spec, MID_HZ),
        low_flatness=_low_flatness(x, onset, sr),
    )
