"""``sync`` reads a placed video's flashes only in windows where a weaker constraint says the
unplaced video's flashes fall (issue 14 item 2), and whole where none does or it is wrong.

The incident: camera A (the reference: video with flashes, and sound) and recorder B hear the
same scene, so audio places them; camera U (no sound) sees the same muzzle flashes as A, so only
its flashes place it. A heard the shots: the audio-visual match of U's flashes against A's
impulses says where U's flashes fall in A (milliseconds), so A is read only around them.
Evidence that A was not scanned whole: the flash cache of
:func:`timesync.align.flashes.detect.flashes_in` holds no entry for it (as in test_sync_skips).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media_factory import make_audio
from synth.clips import ClipSpec, _backgrounds, _draw_flash
from test_align_audio import atoms, render

from timesync.align.flashes import detect
from timesync.sync import sync

SR = 48000
FPS = Fraction(25)
A_S, B_START, B_S = 60.0, 4.0, 50.0
U_START, U_S = 5.0, 50.0
#: True times (s) of the shots: two bursts half a minute apart (A's local time is true time).
SHOTS = np.array([10.05, 10.42, 11.13, 11.61, 40.2, 40.57, 41.38])


def _impulses(n: int, onsets: np.ndarray, rng) -> np.ndarray:
    track = np.zeros(n)
    decay = np.exp(-np.arange(round(0.05 * SR)) / (0.01 * SR))
    for t in onsets:
        k = round(t * SR)
        if 0 <= k < n:
            burst = 0.6 * rng.standard_normal(len(decay)) * decay
            track[k:k + len(burst)] += burst[:n - k]
    return track


def _write(path: Path, seconds: float, flashes: np.ndarray, audio: np.ndarray | None) -> str:
    """An H.264 clip (160x120, 25 fps, a keyframe every 2 s) flashing at ``flashes`` (local s),
    with 16-bit PCM ``audio`` (48 kHz) when given."""
    import av

    spec = ClipSpec(n_frames=round(seconds * FPS), fps=FPS, size=(160, 120), flashes=list(flashes),
                    flash_s=0.03)
    background = _backgrounds(spec)
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.time_base = 1 / FPS
        stream.codec_context.gop_size = 50
        stream.options = {"crf": "20", "preset": "ultrafast", "threads": "1"}
        sound = out.add_stream("pcm_s16le", rate=SR, layout="mono") if audio is not None else None
        for i in range(spec.n_frames):
            img = background(i)
            _draw_flash(img, spec, float(i / FPS), float((i + 1) / FPS))
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
        if sound is not None:
            track = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
            for start in range(0, len(track), 4800):
                chunk = av.AudioFrame.from_ndarray(track[None, start:start + 4800], format="s16", layout="mono")
                chunk.sample_rate, chunk.pts = SR, start
                out.mux(sound.encode(chunk))
            out.mux(sound.encode())
    return str(path)


def _incident(folder: Path, heard: str = "shots", *, a_sees: bool = True, b_hears: bool = False) -> dict[str, str]:
    """A, B and U; A hears the shots (``heard="shots"``), hears them 7 s late (``"late"``: a wrong
    audio-visual match) or hears none (``"none"``); A sees their flashes unless ``a_sees`` is False;
    B hears them too when ``b_hears``."""
    rng = np.random.default_rng(5)
    scene = atoms(80.0, seed=8, fmax=6000)

    def sound(start: float, seconds: float) -> np.ndarray:
        x = render(scene, start + np.arange(round(seconds * SR)) / SR)
        return x + rng.normal(0, 0.01, x.size)

    at = {"shots": SHOTS, "late": SHOTS + 7.0, "none": SHOTS[:0]}[heard]
    a_audio = sound(0.0, A_S)
    a_audio += _impulses(a_audio.size, at, rng)
    b_audio = sound(B_START, B_S)
    if b_hears:
        b_audio += _impulses(b_audio.size, SHOTS - B_START, rng)
    return {"A": _write(folder / "a.mkv", A_S, SHOTS if a_sees else SHOTS[:0], a_audio),
            "B": str(make_audio(folder / "b.wav", b_audio.astype(np.float32), SR)),
            "U": _write(folder / "u.mp4", U_S, SHOTS - U_START, None)}


@pytest.fixture(scope="module")
def incident(tmp_path_factory) -> dict[str, str]:
    return _incident(tmp_path_factory.mktemp("flash_windows"))


def _scanned(path: str) -> bool:
    resolved = str(Path(path).resolve())
    return any(key[0] == resolved for key in detect._FLASHES)


def _visual(res, name: str) -> dict:
    return next(c for c in res.source(name).constraints if c.kind == "visual")


def test_link_read_only_in_windows(incident):
    detect._FLASHES.clear()
    res = sync([incident["A"], incident["B"], incident["U"]], reference=incident["A"])
    assert res.all_aligned
    u = res.source(incident["U"])
    assert u.clock.offset_s == pytest.approx(U_START, abs=0.01)
    aligners = res.to_dict()["provenance"]["aligners"]
    assert aligners["visual"].startswith(f"ran for {incident['A']}, {incident['U']}; not needed for "
                                         f"{incident['B']} (placed by audio); read a.mkv in 2 windows, ")
    assert aligners["visual"].endswith(" s of 60 s, around u.mp4's flashes as placed by audio-visual +-3.0 s")
    assert aligners["audiovisual"].endswith("; the flashes of a.mkv, read in windows, not matched against "
                                            "heard impulses")
    windows = res.source(incident["A"]).findings["flash_windows"]
    assert windows["windows"] == 2 and windows["around"] == [incident["U"]]
    assert windows["narrowed_by"] == ["audio-visual"] and windows["half_width_s"] == [3.0]
    assert windows["frames"] == 1500
    assert 0 < windows["frames_decoded"] < 0.6 * windows["frames"]  # counted by scan.DecodeCount
    assert windows["seconds"] < 0.3 * windows["duration_s"]
    assert _scanned(incident["U"]) and not _scanned(incident["A"])  # A was never scanned whole
    evidence = _visual(res, incident["U"]).evidence
    assert evidence["read_in_windows"] == {incident["A"]: windows["read"]}
    assert evidence["events_agreeing"] == len(SHOTS)


def test_windows_give_the_whole_scan_result(incident):
    detect._FLASHES.clear()
    paths = [incident["A"], incident["B"], incident["U"]]
    windowed = sync(paths, reference=incident["A"])
    assert not _scanned(incident["A"])
    whole = sync(paths, reference=incident["A"], methods=["audio", "visual"])  # named: every video whole
    assert _scanned(incident["A"])
    got, want = _visual(windowed, incident["U"]), _visual(whole, incident["U"])
    assert got.offset_s == want.offset_s and got.uncertainty_s == want.uncertainty_s
    assert got.evidence["pairs_s"] == want.evidence["pairs_s"]
    assert got.evidence["flash_s"] == want.evidence["flash_s"]
    u_windowed, u_whole = windowed.source(incident["U"]).clock, whole.source(incident["U"]).clock
    assert u_windowed.offset_s == pytest.approx(u_whole.offset_s, abs=1e-6)
    assert u_windowed.uncertainty_s == pytest.approx(u_whole.uncertainty_s, rel=1e-6)


@pytest.mark.parametrize("heard, why", [
    ("late", "its 2 windows around u.mp4's flashes as placed by audio-visual +-3.0 s gave no clear flash "
             "match with u.mp4"),
    ("none", "no weaker constraint narrows where u.mp4's flashes fall in it"),
])
def test_wrong_or_missing_constraint_reads_the_link_whole(tmp_path, heard, why):
    paths = _incident(tmp_path, heard)
    detect._FLASHES.clear()
    res = sync([paths["A"], paths["B"], paths["U"]], reference=paths["A"])
    aligners = res.to_dict()["provenance"]["aligners"]
    assert aligners["visual"] == (f"ran for {paths['A']}, {paths['U']}; not needed for {paths['B']} "
                                  f"(placed by audio); read a.mkv whole: {why}")
    assert _scanned(paths["A"])
    assert "flash_windows" not in res.source(paths["A"]).findings
    visual = _visual(res, paths["U"])
    assert "read_in_windows" not in visual.evidence
    assert visual.offset_s == pytest.approx(U_START, abs=0.01)  # t_A = offset + t_U: the flashes place U


def test_windows_find_the_events_a_whole_scan_finds_there(incident):
    """Each window detected on its own (edges cutting through flashes included) gives the whole scan's
    events that start in it, with the index's frame numbers; the frames decoded are counted."""
    from timesync.align.flashes.windows import PAD_S, flashes_in_windows
    from timesync.align.overlay.scan import DecodeCount
    from timesync.media import FrameIndex

    path = incident["A"]
    index = FrameIndex.open(path)
    whole = detect.detect_flashes(path, index=index)
    assert len(whole) == len(SHOTS)
    spans = [(10.1, 11.2), (39.0, 40.3), (41.0, 47.0)]  # edges inside flashes' neighbourhoods
    count = DecodeCount()
    got = flashes_in_windows(path, index, spans, count=count)
    times = np.asarray(index.times)
    want = [e for e in whole if any(a <= times[e.frame] < b for a, b in spans)]
    assert [e.frame for e in want] == [e.frame for e in got] and len(got) == 4
    assert got == want
    decoded = sum(b - a + 2 * PAD_S for a, b in spans) * float(FPS)
    assert decoded <= count.frames < decoded + 3 * 50  # and at most a GOP back to each keyframe


def test_flashes_not_seen_in_the_windows_where_a_second_ear_puts_them_too(tmp_path):
    """A does not see the flashes; B heard the shots too: its impulses (through its audio constraint
    with A) put U's flashes in A's windows as A's own do, so A is not read whole."""
    paths = _incident(tmp_path, a_sees=False, b_hears=True)
    detect._FLASHES.clear()
    res = sync([paths["A"], paths["B"], paths["U"]], reference=paths["A"])
    assert res.all_aligned
    u = res.source(paths["U"])
    assert u.clock.method == "audio-visual" and u.clock.offset_s == pytest.approx(U_START, abs=0.01)
    aligners = res.to_dict()["provenance"]["aligners"]
    assert aligners["visual"].endswith("around u.mp4's flashes as placed by audio-visual +-3.0 s; u.mp4's "
                                       "flashes not seen there, the rest not read: the impulses b.wav heard "
                                       "place them there too")
    assert "read a.mkv in 2 windows, " in aligners["visual"]
    assert res.source(paths["A"]).findings["flash_windows"]["not_seen_confirmed_by"] == {paths["U"]: paths["B"]}
    assert not _scanned(paths["A"])
