"""Audio alignment on incidents made from real recordings (issue 12, items 1 and 2).

Each case is built by ``tests/test_audio_real_scenes.py`` (numpy/scipy + PyAV, no
timesync code) from the real sounds in ``../shared/media``, in a few seeded
variants. Parameters were set on even seeds; the tests run the odd ones. Every
aligned source must be within 1 ms of the truth at the middle of its overlap;
unrelated scenes, a siren loop and silence must be refused, with the figures
behind the refusal in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from test_audio_real_scenes import (
    MEDIA,
    SCENE_SR,
    Device,
    crowd,
    hear,
    impulses,
    music,
    noisy,
    place,
    reverb,
    speech_stream,
    truth,
    wind,
    write,
)

from timesync.sync import sync

pytestmark = pytest.mark.skipif(
    not (MEDIA / "pyannote_sample.wav").is_file(), reason=f"real recordings absent: {MEDIA}"
)

SEEDS = (1, 3)  # report seeds; 0 and 2 were used to set parameters


@dataclass
class Case:
    """Files of one incident: the reference first; truth per other file, None = refuse."""

    files: list[Path]
    truth: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    overlap: dict[str, tuple[float, float]] = field(default_factory=dict)


def _add(case: Case, path: Path, a: Device, b: Device, lo: float = 0.0, hi: float | None = None):
    case.files.append(path)
    case.truth[str(path)] = truth(a, b)
    case.overlap[str(path)] = (max(lo, a.s0 - b.s0), min(hi or b.seconds, a.s0 + a.seconds - b.s0))


def _ppm(rng, lo, hi):
    return 1 + rng.choice([-1, 1]) * rng.uniform(lo, hi) * 1e-6


def impulses_over_wind(rng, folder: Path) -> Case:
    """A dozen impacts (gunshot, door, boom, punch) over quiet wind, each mic its own wind."""
    scene = np.zeros(75 * SCENE_SR)
    shots = impulses()
    for t in np.sort(rng.uniform(5, 68, 12)):
        place(scene, shots[rng.integers(len(shots))], t, rng.uniform(0.3, 1.0))
    a = Device(0.0, 72.0, 48000)
    b = Device(rng.uniform(-2, 8), 60.0, int(rng.choice([16000, 44100])), _ppm(rng, 5, 40))
    case = Case([])
    for dev, name in ((a, "a.wav"), (b, "b.wav")):
        x = hear(reverb(rng, scene, 0.3, wet=0.5), dev)
        x = x + 0.01 * wind(rng, x.size, dev.sr)
        path = write(folder / name, x, dev.sr)
        case.files.append(path) if dev is a else _add(case, path, a, b)
    return case


def speech_crowd_wind_aac(rng, folder: Path) -> Case:
    """Speech and crowd under strong wind at 0 dB SNR, both AAC at 32 kb/s."""
    n = 45
    scene = speech_stream(rng, n) + 0.5 * crowd(rng, n)
    a = Device(0.0, 40.0, 48000)
    b = Device(rng.uniform(-3, 3), 38.0, 48000, _ppm(rng, 10, 80))
    case = Case([])
    for dev, name in ((a, "a.m4a"), (b, "b.m4a")):
        x = noisy(rng, hear(scene, dev), 0.0, dev.sr, kind="wind")
        path = write(folder / name, x, dev.sr, "aac", 32000)
        case.files.append(path) if dev is a else _add(case, path, a, b)
    return case


def reverberant_bar(rng, folder: Path) -> Case:
    """Music and speech in a reverberant bar, tens of ppm of drift, each mic its own room."""
    n = 75
    scene = music(rng, n) + speech_stream(rng, n)
    a = Device(0.0, 70.0, 44100)
    b = Device(rng.uniform(2, 8), 60.0, 48000, _ppm(rng, 20, 60))
    case = Case([])
    for dev, name in ((a, "a.wav"), (b, "b.wav")):
        x = noisy(rng, hear(reverb(rng, scene, rng.uniform(0.8, 1.2)), dev), 5.0, dev.sr)
        path = write(folder / name, x, dev.sr)
        case.files.append(path) if dev is a else _add(case, path, a, b)
    return case


def shared_20s(rng, folder: Path) -> Case:
    """Two cameras that share only about 20 s (speech and three impacts) in 3 minutes."""
    event = speech_stream(rng, 20)
    shots = impulses()
    for t in rng.uniform(1, 19, 3):
        place(event, shots[rng.integers(len(shots))], t, 0.8)
    at_a, at_b = rng.uniform(60, 140), rng.uniform(40, 120)
    own_a = 0.3 * music(rng, 180) + 0.05 * wind(rng, 180 * SCENE_SR, SCENE_SR)
    own_b = 0.3 * crowd(rng, 160, voices=3) + 0.05 * wind(rng, 160 * SCENE_SR, SCENE_SR)
    place(own_a, event, at_a)
    place(own_b, event, at_b)
    a, b = Device(0.0, 180.0, 48000), Device(0.0, 160.0, 48000)
    pa = write(folder / "a.wav", noisy(rng, hear(own_a, a), 20, 48000), 48000)
    pb = write(folder / "b.wav", noisy(rng, hear(own_b, b), 20, 48000), 48000)
    case = Case([pa, pb])
    case.truth[str(pb)] = (at_a - at_b, 1.0)
    case.overlap[str(pb)] = (at_b, at_b + 20)
    return case


def unrelated(rng, folder: Path) -> Case:
    """Two scenes that share no sound: impacts and speech here, music and crowd there."""
    x = speech_stream(rng, 40)
    shots = impulses()
    for t in rng.uniform(2, 38, 8):
        place(x, shots[rng.integers(len(shots))], t, 0.8)
    y = 0.5 * music(rng, 40) + crowd(rng, 40)
    pa = write(folder / "a.wav", noisy(rng, x, 15, SCENE_SR), SCENE_SR)
    pb = write(folder / "b.wav", noisy(rng, y, 15, SCENE_SR), SCENE_SR)
    return Case([pa, pb], {str(pb): None})


def siren_loop(rng, folder: Path) -> Case:
    """A siren (a wail repeating every 1.6 s) heard by both, nothing else: ambiguous."""
    t = np.arange(40 * SCENE_SR) / SCENE_SR
    f = 900 + 400 * np.sin(2 * np.pi * t / 1.6)
    scene = np.sin(2 * np.pi * np.cumsum(f) / SCENE_SR)
    a, b = Device(0.0, 35.0), Device(rng.uniform(1, 4), 30.0)
    pa = write(folder / "a.wav", noisy(rng, hear(scene, a), 20, 48000), 48000)
    pb = write(folder / "b.wav", noisy(rng, hear(scene, b), 20, 48000), 48000)
    return Case([pa, pb], {str(pb): None})


def silent_track(rng, folder: Path) -> Case:
    """A recording whose audio is digital silence, beside one with sound."""
    pa = write(folder / "a.wav", speech_stream(rng, 20), SCENE_SR)
    pb = write(folder / "b.wav", np.zeros(20 * SCENE_SR), SCENE_SR)
    return Case([pa, pb], {str(pb): None})


REFUSED = {"unrelated": unrelated, "siren_loop": siren_loop, "silent_track": silent_track}


def _incident(rng, seconds: float) -> np.ndarray:
    """A busy incident: speech, crowd and a few impacts."""
    x = speech_stream(rng, seconds) + 0.4 * crowd(rng, seconds, voices=3)
    shots = impulses()
    for t in rng.uniform(1, seconds - 1, max(int(seconds // 10), 2)):
        place(x, shots[rng.integers(len(shots))], t, 0.8)
    return x


def pre_event_buffer(rng, folder: Path) -> Case:
    """A body cam whose pre-event buffer (30-120 s of video) has digitally silent audio."""
    from media_factory import AudioSpec, make_video

    head = float(rng.uniform(30, 120))
    scene = _incident(rng, head + 40)
    a = Device(head - 10, 45.0, 48000)
    b = Device(0.0, head + 25, 48000, _ppm(rng, 5, 50))
    pa = write(folder / "a.wav", noisy(rng, hear(scene, a), 15, 48000), 48000)
    xb = noisy(rng, hear(scene, b), 15, 48000)
    xb[: round(head * 48000)] = 0.0
    fps = 5
    pb = make_video(folder / "bodycam.mp4", n_frames=int(b.seconds * fps), fps=Fraction(fps),
                    size=(64, 48), audio=AudioSpec(xb.astype(np.float32), sr=48000))
    case = Case([pa])
    _add(case, pb, a, b, lo=head)
    return case


def split_files(rng, folder: Path) -> Case:
    """A device recording split into two consecutive files (40 s each)."""
    scene = _incident(rng, 95)
    a = Device(0.0, 92.0, 48000)
    rate = _ppm(rng, 5, 50)
    s0 = float(rng.uniform(2, 8))
    case = Case([write(folder / "a.wav", noisy(rng, hear(scene, a), 15, 48000), 48000)])
    for k in range(2):
        part = Device(s0 + rate * 40.0 * k, 40.0, 44100, rate)
        _add(case, write(folder / f"part{k}.wav", noisy(rng, hear(scene, part), 15, 44100),
                         44100), a, part)
    return case


def mid_incident(rng, folder: Path) -> Case:
    """Recordings that start and stop in the middle of the incident (mid-word, mid-shot)."""
    scene = _incident(rng, 70)
    a = Device(0.0, 70.0, 48000)
    b = Device(rng.uniform(10, 30), rng.uniform(12, 25), 48000, _ppm(rng, 5, 50))
    c = Device(-rng.uniform(2, 6), 30.0, 32000, _ppm(rng, 5, 50))  # started before a
    case = Case([write(folder / "a.wav", noisy(rng, hear(scene, a), 15, 48000), 48000)])
    for dev, name in ((b, "b.wav"), (c, "c.wav")):
        _add(case, write(folder / name, noisy(rng, hear(scene, dev), 15, dev.sr), dev.sr), a, dev)
    return case


def telephone_911(rng, folder: Path) -> Case:
    """A 911 call (8 kHz G.711 mu-law, 300-3400 Hz) and a body cam beside the caller."""
    caller = speech_stream(rng, 50)
    room = 0.3 * crowd(rng, 50, voices=3)
    shots = impulses()
    for t in rng.uniform(2, 48, 4):
        place(room, shots[rng.integers(len(shots))], t, 0.6)
    a = Device(0.0, 48.0, 48000)
    b = Device(rng.uniform(2, 10), 35.0, 8000, _ppm(rng, 20, 100), band=(300, 3400))
    pa = write(folder / "bodycam.m4a", noisy(rng, hear(0.5 * caller + room, a), 10, 48000),
               48000, "aac", 64000)
    pb = write(folder / "call.wav", noisy(rng, hear(caller + 0.3 * room, b), 20, 8000), 8000,
               "pcm_mulaw")
    case = Case([pa])
    _add(case, pb, a, b)
    return case


def squelch_radio(rng, folder: Path) -> Case:
    """Squelch-gated radio (silent but for a few transmissions) and a body cam hearing it."""
    n = 100
    tx = np.zeros(n * SCENE_SR)
    gate = np.zeros(n * SCENE_SR, dtype=bool)
    at = float(rng.uniform(3, 10))
    while at < n - 8:
        dur = float(rng.uniform(2, 5))
        i0, i1 = round(at * SCENE_SR), round((at + dur) * SCENE_SR)
        tx[i0:i1] = speech_stream(rng, dur + 0.1)[: i1 - i0]
        gate[i0:i1] = True
        at += dur + float(rng.uniform(12, 25))
    a = Device(0.0, 95.0, 48000)
    b = Device(rng.uniform(-3, 3), 90.0, 16000, _ppm(rng, 5, 50), band=(300, 3000))
    room = 0.3 * crowd(rng, n, voices=3) + 0.1 * wind(rng, n * SCENE_SR, SCENE_SR)
    pa = write(folder / "bodycam.wav",
               noisy(rng, hear(0.5 * reverb(rng, tx, 0.4) + room, a), 20, 48000), 48000)
    xb = noisy(rng, hear(tx, b), 25, 16000)
    flat = Device(b.s0, b.seconds, b.sr, b.rate)  # the gate itself is not band-limited
    xb[hear(gate.astype(float), flat) < 0.5] = 0.0  # squelch: digital zero between transmissions
    pb = write(folder / "radio.wav", xb, 16000)
    case = Case([pa])
    _add(case, pb, a, b)
    return case


PLACED = {
    "impulses_over_wind": impulses_over_wind,
    "speech_crowd_wind_aac": speech_crowd_wind_aac,
    "reverberant_bar": reverberant_bar,
    "shared_20s": shared_20s,
    "pre_event_buffer": pre_event_buffer,
    "split_files": split_files,
    "mid_incident": mid_incident,
    "telephone_911": telephone_911,
    "squelch_radio": squelch_radio,
}


def build(name: str, seed: int, folder: Path) -> Case:
    """Case ``name`` with variant ``seed``, written into ``folder``."""
    builder = {**PLACED, **REFUSED}[name]
    return builder(np.random.default_rng([seed, sorted({**PLACED, **REFUSED}).index(name)]),
                   folder)


def outcome(case: Case) -> dict[str, dict]:
    """Sync the case on audio alone; per other file: aligned, error (ms) at the middle of
    its overlap (ClockMap of the result against the truth), reason and notes."""
    result = sync([str(p) for p in case.files], reference=str(case.files[0]), methods=["audio"])
    out = {}
    for name, want in case.truth.items():
        src = result.source(name)
        err = None
        if src.aligned and want is not None:
            lo, hi = case.overlap[name]
            mid = (lo + hi) / 2
            err = abs(src.clock.to_shared(mid) - (want[0] + want[1] * mid)) * 1e3
        out[name] = {"aligned": src.aligned, "err_ms": err, "reason": src.reason,
                     "notes": dict(src.notes), "findings": src.findings}
    return out


@pytest.fixture(scope="session")
def real_case(tmp_path_factory):
    """``get(name, seed) -> (case, outcome)``, each built and synced once per session."""
    done: dict[tuple[str, int], tuple[Case, dict]] = {}

    def get(name: str, seed: int) -> tuple[Case, dict]:
        if (name, seed) not in done:
            case = build(name, seed, tmp_path_factory.mktemp(f"{name}-{seed}"))
            done[name, seed] = (case, outcome(case))
        return done[name, seed]

    return get


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(PLACED))
def test_placed_within_a_millisecond(real_case, name, seed):
    """Issue 12: impacts over quiet wind, speech and crowd under 0 dB wind in 32 kb/s AAC,
    a reverberant bar with tens of ppm, 20 s shared in 3 minutes (item 1); a silent
    pre-event buffer, split files, starts and stops mid-incident, G.711 8 kHz, squelch
    radio (item 2): every source within 1 ms of the truth."""
    _case, out = real_case(name, seed)
    for path, o in out.items():
        assert o["aligned"], f"{Path(path).name}: {o['reason']}"
        assert o["err_ms"] < 1.0, f"{Path(path).name}: off by {o['err_ms']:.3f} ms"


_REFUSAL_WORDS = {
    "unrelated": ("coarse score", "< 9"),
    "siren_loop": ("ambiguous", "second peak", "limit 60%", "coarse score"),
    "silent_track": ("no usable audio",),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_the_figures(real_case, name, seed):
    """Different scenes, a siren loop and silence are refused; the note says why, with
    the numbers (score against its threshold, the ambiguity against its limit)."""
    _case, out = real_case(name, seed)
    for path, o in out.items():
        assert not o["aligned"], f"{Path(path).name} was aligned"
        note = o["notes"].get("audio", "")
        for word in _REFUSAL_WORDS[name]:
            assert word in note, f"{word!r} not in the note {note!r}"


def test_a_fine_stage_refusal_names_windows_and_thresholds(real_case, monkeypatch, tmp_path):
    """When the fine stage refuses, the note names the coarse score and its threshold, the
    windows used, on shared content, usable and agreeing, and the agreement threshold."""
    from timesync.align.audio import fine as audio_fine

    case, _out = real_case("impulses_over_wind", SEEDS[0])
    monkeypatch.setattr(audio_fine, "CONTENT_MIN_PSR", 1e9)
    monkeypatch.setattr(audio_fine, "WINDOW_MIN_PSR", 1e9)
    note = outcome(case)[str(case.files[1])]["notes"]["audio"]
    for word in ("coarse score", "threshold 9", "fine windows", "on shared content",
                 "0 usable", "0 agreeing", "threshold 50%"):
        assert word in note, f"{word!r} not in {note!r}"
