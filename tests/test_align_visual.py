"""Flashes with sub-frame onsets, pattern matching, visual and audio-visual constraints."""

from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from synth.clips import ClipSpec, write_clip

from timesync.align import audiovisual
from timesync.align.flashes import detect, pattern, visual
from timesync.align.flashes.detect import detect_flashes
from timesync.align.flashes.pattern import EventSet, match_and_fit, match_events
from timesync.align.flashes.visual import NO_FLASHES
from timesync.media import probe

#: True times of the shots; clip A starts at true 0, clip B at true B_START.
SHOTS = np.array([0.62, 0.91, 1.84, 2.77, 2.97, 3.71, 4.53])
B_START = 0.4137
FLASH_S = 0.03


@pytest.fixture(scope="session")
def flash_clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flashes")
    a = ClipSpec(n_frames=150, fps=Fraction(30000, 1001), size=(160, 120), flashes=list(SHOTS),
                 flash_s=FLASH_S, impulses=list(SHOTS))
    b_shots = SHOTS[SHOTS > B_START + 0.05] - B_START
    b = ClipSpec(n_frames=110, fps=Fraction(25), size=(160, 120), flashes=list(b_shots), flash_s=FLASH_S,
                 flash_at=(0.3, 0.4))
    dark = ClipSpec(n_frames=60, fps=Fraction(25), size=(160, 120))
    return {"a": write_clip(folder / "a.mkv", a), "b": write_clip(folder / "b.mp4", b),
            "dark": write_clip(folder / "dark.mp4", dark), "b_shots": b_shots}


def test_flash_onsets_are_sub_frame(flash_clips):
    events = detect_flashes(flash_clips["b"])
    assert len(events) == len(flash_clips["b_shots"])
    onsets = np.array([e.onset_s(FLASH_S) for e in events])
    errors = onsets - flash_clips["b_shots"]
    sigmas = np.array([e.sigma_s for e in events])
    assert np.all(np.abs(errors) <= 3 * sigmas + 0.002)
    assert np.max(np.abs(errors)) < 0.008  # a fifth of a 40-ms frame
    lit = [int(np.floor((t + FLASH_S) * 25 - 1e-9) - np.floor(t * 25)) + 1 for t in flash_clips["b_shots"]]
    assert [e.frames for e in events] == lit  # frames each 30-ms flash overlaps at 25 fps


def test_no_flashes(flash_clips):
    assert detect_flashes(flash_clips["dark"]) == []


def test_match_needs_a_clear_winner():
    pattern = np.array([1.0, 1.3, 2.9, 3.1, 5.0])
    match = match_events(pattern, pattern + 7.25, tol_s=0.02)
    assert match.offset_s == pytest.approx(7.25)
    assert match.agreeing == 5
    strobe = np.arange(0, 10, 0.5)  # a periodic strobe: every shift by 0.5 s fits as well
    assert match_events(strobe, strobe + 3.1, tol_s=0.02) is None
    assert match_events(pattern[:2], pattern[:2] + 1, tol_s=0.02) is None  # two events prove nothing


def test_visual_and_audiovisual_constraints(flash_clips):
    sources = [SimpleNamespace(name=str(p), path=p, info=probe(p))
               for p in (flash_clips["a"], flash_clips["b"], flash_clips["dark"])]
    report = visual.find_constraints(sources)
    assert report.notes[str(flash_clips["dark"])] == NO_FLASHES
    heard = audiovisual.find_constraints(sources)
    by_kind = {c.kind: c for c in report.constraints + heard.constraints}
    assert set(by_kind) == {"visual", "audio-visual"}
    for c in by_kind.values():
        assert c.source == str(flash_clips["a"]) and c.other == str(flash_clips["b"])
        # t_b = t_a - B_START
        assert abs(c.offset_s + B_START) <= max(3 * c.uncertainty_s, 0.002), c
        assert c.uncertainty_s < 0.01
        assert c.rate_uncertainty is None
        assert c.evidence["events_agreeing"] == len(flash_clips["b_shots"])
    assert heard.findings[str(flash_clips["a"])]["impulses_heard"] == len(SHOTS)


def test_heard_impulses(flash_clips):
    onsets = audiovisual.heard_impulses(flash_clips["a"])
    assert np.max(np.abs(onsets - SHOTS)) < 0.002


# -- a busy scene: a panning texture with lights sweeping through it ----------------------------

#: True times of the flashes over the busy scene; clip A (25 fps) starts at true 0, B (15 fps) at BUSY_B_START.
BUSY_SHOTS = np.array([0.55, 1.31, 1.62, 2.48, 3.37, 3.9, 4.71, 5.42])
BUSY_B_START = 0.3719


def _busy_background(path, n_frames: int = 150, size: tuple[int, int] = (160, 120)):
    """A texture panning 2 px a frame with 12 bright lights sweeping through, 40 frames each.

    Every cell a light passes brightens and darkens again within a few frames,
    as a flash would: what the old detector took for flashes by the dozen.
    """
    import av
    import cv2

    rng = np.random.default_rng(5)
    width, height = size
    texture = cv2.GaussianBlur(rng.uniform(40, 200, (height, 4 * width)).astype(np.float32), (0, 0), 3)
    lights = [(int(rng.integers(-20, n_frames)), int(rng.integers(15, height - 15)), int(rng.choice([-1, 1])))
              for _ in range(12)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "ultrafast", "threads": "1"}
        for i in range(n_frames):
            x0 = (2 * i) % (3 * width)
            img = texture[:, x0:x0 + width].copy()
            for start, y, way in lights:
                if 0 <= i - start < 40:
                    cv2.circle(img, (width // 2 + way * (5 * (i - start) - 100), y), 6, 250.0, -1)
            rgb = np.repeat(np.clip(img, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def busy_clips(tmp_path_factory):
    """Flashes over the busy scene at 25 and 15 fps (B later), and at unrelated times at 15 fps.

    The scene plays at each clip's own frame rate, so its lights pass at
    unrelated times in the clips: like flashes seen by one camera only.
    """
    folder = tmp_path_factory.mktemp("busy")
    background = _busy_background(folder / "scene.mp4")
    b_shots = BUSY_SHOTS[BUSY_SHOTS > BUSY_B_START + 0.05] - BUSY_B_START
    unrelated = np.sort(np.random.default_rng(9).uniform(0.3, 5.3, 7))
    common = dict(size=(160, 120), flash_s=FLASH_S, background=background)
    a = ClipSpec(n_frames=150, fps=Fraction(25), flashes=list(BUSY_SHOTS), **common)
    b = ClipSpec(n_frames=84, fps=Fraction(15), flashes=list(b_shots), flash_at=(0.3, 0.4), **common)
    u = ClipSpec(n_frames=84, fps=Fraction(15), flashes=list(unrelated), flash_at=(0.3, 0.4), **common)
    return {"a": write_clip(folder / "a.mkv", a), "b": write_clip(folder / "b.mp4", b),
            "u": write_clip(folder / "u.mp4", u), "b_shots": b_shots, "u_shots": unrelated}


def _found(events, truth):
    """How many true flashes an event lies on (within its uncertainty), and the events lying on none."""
    onsets = np.array([e.onset_s(FLASH_S) for e in events])
    reach = np.array([(math.sqrt(3) if e.uniform else 3) * e.sigma_s + 0.002 for e in events])
    near = np.abs(onsets[:, None] - np.asarray(truth)[None, :]) <= reach[:, None]
    return int(near.any(axis=0).sum()), [e for e, hit in zip(events, near.any(axis=1), strict=True) if not hit]


def test_flashes_found_over_a_busy_scene(busy_clips):
    events_a = detect_flashes(busy_clips["a"])
    found, extra = _found(events_a, BUSY_SHOTS)
    assert (found, len(extra)) == (len(BUSY_SHOTS), 0)
    # 15 fps: a 30-ms flash lights one 67-ms frame (onset known to the frame) or two
    events_b = detect_flashes(busy_clips["b"])
    found, extra = _found(events_b, busy_clips["b_shots"])
    assert found >= len(busy_clips["b_shots"]) - 1 and extra == []
    assert {e.frames for e in events_b} == {1, 2}
    assert all(e.uniform == (e.frames == 1) for e in events_b)


def test_busy_scene_matched_at_two_frame_rates(busy_clips):
    constraint, why = visual.visual_constraint("a", detect_flashes(busy_clips["a"]),
                                               "b", detect_flashes(busy_clips["b"]))
    assert why is None
    # t_b = t_a - BUSY_B_START
    assert abs(constraint.offset_s + BUSY_B_START) <= 3 * constraint.uncertainty_s
    assert constraint.uncertainty_s < 0.005
    assert constraint.evidence["events_agreeing"] >= len(busy_clips["b_shots"]) - 1
    assert constraint.evidence["chance_log10"] < constraint.evidence["second_chance_log10"] - pattern.MIN_EVIDENCE_MARGIN


def test_unrelated_flash_times_do_not_match(busy_clips):
    events_u = detect_flashes(busy_clips["u"])
    assert _found(events_u, busy_clips["u_shots"])[1] == []
    constraint, why = visual.visual_constraint("a", detect_flashes(busy_clips["a"]), "u", events_u)
    assert constraint is None and why == "flashes of a and u do not match clearly"
    sources = [SimpleNamespace(name=str(p), path=p, info=probe(p)) for p in (busy_clips["a"], busy_clips["u"])]
    assert visual.find_constraints(sources).constraints == []
    assert audiovisual.find_constraints(sources).constraints == []


def test_match_needs_more_than_the_chance_runner_up():
    """Three coincidences where other offsets give two each are no match (the runner-up counts)."""
    a = np.array([1.0, 2.29, 3.83, 5.45, 5.87, 7.81])
    # offset 0.5 pairs 1.0, 2.29, 3.83; offset 1.1 pairs 5.45, 5.87; offset -0.7 pairs 5.87, 7.81; no
    # other offset pairs more than two
    b = np.array([1.5, 2.79, 4.33, 6.55, 6.97, 5.17, 7.11])
    sigma = 0.001
    found = match_and_fit(EventSet.instants(a, sigma), EventSet.instants(b, sigma), frame_s=0.04)
    assert found is None
    # with three more coincidences at 0.5 it is one
    a6, b6 = np.append(a, [9.0, 9.23, 9.71]), np.append(b, [9.5, 9.73, 10.21])
    match, fit = match_and_fit(EventSet.instants(a6, sigma), EventSet.instants(b6, sigma), frame_s=0.04)
    assert match.agreeing == 6 and match.second_best == 2
    assert fit.offset_s == pytest.approx(0.5, abs=1e-9)


def test_periodic_flashes_do_not_match():
    """A strobe: every shift by its period fits as well."""
    strobe = EventSet.instants(np.arange(0.2, 6, 0.25), 0.001)
    shifted = EventSet.instants(np.arange(0.2, 6, 0.25) + 0.25 * 3 + 0.013, 0.001)
    assert match_and_fit(strobe, shifted, frame_s=0.04) is None


def test_flash_duration_must_fit_how_often_flashes_lit_two_frames():
    """Flashes that lit two 33-ms frames 6 times in 8 last about 25 ms: not 1 ms, nor over a frame."""
    frame = 1 / 30

    def event(k: int, frames: int) -> detect.VisualEvent:
        t = 1 + k * 0.7
        return detect.VisualEvent(boundary_s=t, ratio=0.5 if frames == 1 else 0.4, sigma_s=0.001, frame=30 + k * 21,
                                  frames=frames, strength=100.0, cell=(0, 0), frame_s=frame, uniform=frames == 1)

    events = EventSet.of([event(k, 2 if k < 6 else 1) for k in range(8)])
    pairs = [(events, k) for k in range(8)]
    assert pattern._crossings_unlikely(pairs, 0.001)
    assert not pattern._crossings_unlikely(pairs, 0.025)
    assert pattern._crossings_unlikely(pairs, 1.5 * frame)
    # heard instants say nothing about it
    assert not pattern._crossings_unlikely([(EventSet.instants([1.0, 2.0], 0.001), k) for k in range(2)], 0.001)


def _light_bar(offset_s: float) -> list[detect.VisualEvent]:
    """A light bar's five-flash pattern repeating every 20 s for 80 s, seen ``offset_s`` later."""
    frame = 1 / 30
    times = [t + 20 * k + offset_s for k in range(4) for t in (0.3, 1.1, 1.75, 2.9, 4.2)]
    return [detect.VisualEvent(boundary_s=t, ratio=0.4, sigma_s=0.001, frame=round(t * 30), frames=2,
                               strength=100.0, cell=(0, 0), frame_s=frame, uniform=False) for t in times]


def test_metadata_narrows_a_repeating_flash_pattern():
    """A pattern that repeats every 20 s fits three offsets; tags that put the offset near
    +5 s (+- 2 s) pick the right one, and the constraint says that it rests on them."""
    from timesync.align.constraints import Constraint

    a, b = _light_bar(0.0), _light_bar(5.0)
    none, why = visual.visual_constraint("a.mp4", a, "b.mp4", b)
    assert none is None and "do not match clearly" in why
    tags = Constraint(source="a.mp4", other="b.mp4", offset_s=4.0, uncertainty_s=2.0, kind="metadata")
    constraint, _ = visual.visual_constraint("a.mp4", a, "b.mp4", b, tags)
    assert constraint.offset_s == pytest.approx(5.0, abs=3 * constraint.uncertainty_s)
    assert constraint.evidence["narrowed_by"] == "metadata"
    assert constraint.evidence["narrowed_to_s"] == [-4.5, 12.5]
    far = Constraint(source="a.mp4", other="b.mp4", offset_s=60.0, uncertainty_s=2.0, kind="metadata")
    assert visual.visual_constraint("a.mp4", a, "b.mp4", b, far)[0] is None  # no pattern there


def test_visual_and_audiovisual_are_aligners_of_their_own():
    """``"visual"`` selects the audio-visual aligner too (as before the split); each runs on its own."""
    from timesync import sync as sync_module

    visual_mod, av_mod = "timesync.align.flashes.visual", "timesync.align.audiovisual"
    assert sync_module._wanted(["visual"]) == [visual_mod, av_mod]
    assert sync_module._wanted(["audiovisual"]) == [av_mod]
    assert sync_module._wanted(["audio"]) == ["timesync.align.audio"]
    assert "audiovisual" not in visual.find_constraints.__globals__  # no call from one into the other


def test_flashes_are_kept_only_for_the_file_they_were_read_from(flash_clips, tmp_path):
    """The visual and audio-visual aligners share a video's flashes; a file replaced is read again."""
    import shutil

    video = tmp_path / "video.mp4"
    shutil.copyfile(flash_clips["b"], video)
    first = detect.flashes_in(video)
    assert first == detect_flashes(video) and len(first) == len(flash_clips["b_shots"])
    first.clear()  # the caller's copy
    assert len(detect.flashes_in(video)) == len(flash_clips["b_shots"])
    shutil.copyfile(flash_clips["dark"], video)  # another file under the same name
    assert detect.flashes_in(video) == []
