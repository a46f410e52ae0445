"""The sample-incident generator: exact file properties and a truth that matches the files.

A short incident (6 s, 320x180) is generated once per session; its files are
probed and decoded independently of the generator (plain PyAV, numpy), and
the committed ``sample_media/`` is checked against its ``truth.json``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from timesync.samples import build_scenario, generate, load_truth
from timesync.samples.audio import device_sound, scene_sound
from timesync.samples.encode import write_recording
from timesync.samples.scenario import FULL_BURSTS, SHORT_BURSTS
from timesync.samples.video import FrameRenderer, body_overlay_text, thermal_overlay_text

SHORT = {"duration_s": 6.0, "size": (320, 180)}
NAMES = ("bodycam_A.mp4", "bodycam_B.mp4", "helicopter.mp4")


@pytest.fixture(scope="session")
def short_incident(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("incident")
    truth = generate(out, **SHORT)
    return out, truth


def _source(truth: dict, name: str) -> dict:
    return next(s for s in truth["sources"] if s["path"] == name)


def _probe(path: Path) -> dict:
    """Independent facts about ``path``: stream rates, sizes and the sorted video PTS."""
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        facts = {
            "fps": v.average_rate,
            "time_base": v.time_base,
            "size": (v.codec_context.width, v.codec_context.height),
            "sample_rate": a.sample_rate,
            "channels": a.codec_context.channels,
            "audio_start": a.start_time,
            "creation_time": c.metadata.get("creation_time"),
        }
        facts["pts"] = sorted(p.pts for p in c.demux(v) if p.pts is not None)
    return facts


@functools.lru_cache(maxsize=8)
def _decode(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples and their rate; sample 0 must be at PTS 0."""
    with av.open(str(path)) as c:
        frames = list(c.decode(audio=0))
    assert frames[0].pts == 0, f"{path.name}: first audio PTS {frames[0].pts}"
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]), frames[0].sample_rate


def _lag_at_truth(dir_: Path, truth: dict, other: str, shared_s: float, half_s: float = 0.15) -> float:
    """Lag (48 kHz samples) of ``other``'s audio, placed by the truth, behind A's around ``shared_s``."""
    a, sr_a = _decode(dir_ / "bodycam_A.mp4")
    b, sr_b = _decode(dir_ / other)
    assert sr_a == 48_000
    src = _source(truth, other)
    n = np.arange(round((shared_s - half_s) * sr_a), round((shared_s + half_s) * sr_a))
    local_b = (n / sr_a - src["offset_s"]) / src["rate"]
    b_on_a = np.interp(local_b * sr_b, np.arange(b.size), b)
    ref = a[n]
    max_lag = 48
    scores = [np.dot(ref[max_lag:-max_lag], b_on_a[max_lag + k : b_on_a.size - max_lag + k]) for k in range(-max_lag, max_lag + 1)]
    k = int(np.argmax(scores))
    y0, y1, y2 = scores[k - 1 : k + 2]
    return k - max_lag + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)


# -- the short incident ----------------------------------------------------------------


def test_short_files_have_exact_frames_rates_and_sizes(short_incident):
    out, truth = short_incident
    # 6 s at 30 fps; B records 84/90 of 6 s = 5.6 s at 30000/1001 -> ceil(167.83);
    # the helicopter 95/90 of 6 s = 6.333 s at 25 fps -> ceil(158.33).
    expect = {
        "bodycam_A.mp4": (180, Fraction(30), (320, 180), 48_000),
        "bodycam_B.mp4": (168, Fraction(30000, 1001), (320, 180), 44_100),
        "helicopter.mp4": (159, Fraction(25), (240, 136), 48_000),
    }
    for name, (frames, fps, size, sr) in expect.items():
        facts = _probe(out / name)
        assert len(facts["pts"]) == frames, name
        assert facts["fps"] == fps, name
        assert facts["size"] == size, name
        assert facts["sample_rate"] == sr and facts["channels"] == 1, name
        step = Fraction(1) / fps / facts["time_base"]
        assert step.denominator == 1, name
        assert facts["pts"] == [i * int(step) for i in range(frames)], name
        assert facts["audio_start"] == 0, name
        src = _source(truth, name)
        assert src["video"]["frame_count"] == frames
        assert src["video"]["pts_step"] == int(step)
        assert src["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()


def test_short_truth_is_consistent(short_incident):
    _, truth = short_incident
    assert truth["reference"] == "bodycam_A.mp4"
    a = _source(truth, "bodycam_A.mp4")
    assert (a["offset_s"], a["rate"]) == (0.0, 1.0)
    b = _source(truth, "bodycam_B.mp4")
    assert b["offset_s"] == pytest.approx(7.3127 * 6 / 90, abs=1e-4)
    assert b["drift_ppm"] == pytest.approx(41.3, abs=1e-6)
    assert len(truth["shots"]) == sum(SHORT_BURSTS)
    shared = [s["shared_s"] for s in truth["shots"]]
    assert shared == sorted(shared)
    for shot in truth["shots"]:
        for src in truth["sources"]:
            local = shot["local_s"][src["path"]]
            assert 0.05 < local < src["duration_s"] - 0.05
            assert src["offset_s"] + src["rate"] * local == pytest.approx(shot["shared_s"], abs=1e-9)
        assert shot["flash_frames"]["helicopter.mp4"], "every shot flashes on the thermal camera"
    assert "not simulated" in truth["sound_travel"]


def test_short_audio_of_a_and_b_align_at_the_truth(short_incident):
    out, truth = short_incident
    for shot in truth["shots"]:
        lag = _lag_at_truth(out, truth, "bodycam_B.mp4", shot["shared_s"] + 0.02)
        assert abs(lag) < 1.0, f"shot at {shot['shared_s']:.4f}: lag {lag:.3f} samples"


def test_short_thermal_flash_brightness_follows_coverage(short_incident):
    out, truth = short_incident
    scn = build_scenario(**SHORT)
    heli = scn.device("helicopter.mp4")
    x, y = FrameRenderer(scn, heli).flash_position()
    with av.open(str(out / "helicopter.mp4")) as c:
        spot = np.array([f.to_ndarray(format="gray")[y - 1 : y + 2, x - 1 : x + 2].mean() for f in c.decode(video=0)])
    covered = {f["frame"]: f["coverage"] for s in truth["shots"] for f in s["flash_frames"]["helicopter.mp4"]}
    dark = np.median([v for i, v in enumerate(spot) if i not in covered])
    cov = np.array(list(covered.values()))
    rise = np.array([spot[i] for i in covered]) - dark
    # Brightness proportional to coverage: one gain through 0 fits every flash frame
    # (H.264 at crf 32 on a 3-pixel blob moves single values by up to ~20 levels).
    gain = float(np.dot(cov, rise) / np.dot(cov, cov))
    assert gain > 60
    assert np.corrcoef(cov, rise)[0, 1] > 0.95
    assert np.max(np.abs(rise - gain * cov)) < 25, list(zip(cov, rise, strict=True))
    assert all(spot[i] - dark < 6 for i in range(len(spot)) if i not in covered)


def test_overlay_seconds_tick_when_the_device_clock_passes_a_second():
    scn = build_scenario(**SHORT)
    for dev in scn.devices:
        text = body_overlay_text if dev.kind == "bodycam" else thermal_overlay_text
        ticks = [i for i in range(1, dev.frame_count) if text(dev, i) != text(dev, i - 1)]
        assert len(ticks) >= 5
        zero = dev.clock_at_local_zero()
        frac = zero.microsecond / 1e6
        for i in ticks:
            # The clock passes a whole second at local (k - frac); frame i is the first to start after it.
            t_prev, t_i = float(dev.frame_start(i - 1)), float(dev.frame_start(i))
            k = np.ceil(t_prev + frac)
            assert t_prev + frac < k <= t_i + frac + 1e-12


def test_generation_is_deterministic(tmp_path):
    first = generate(tmp_path / "one", duration_s=3.0, size=(160, 96))
    second = generate(tmp_path / "two", duration_s=3.0, size=(160, 96))
    assert first == second
    for name in (*NAMES, "truth.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def _dirty_heap(seed: int) -> None:
    """Leave freed heap chunks full of random bytes, as earlier work in a process would."""
    rng = np.random.default_rng(seed)
    junk = [rng.bytes(int(n)) for n in rng.integers(1_000, 400_000, size=250)]
    del junk


def test_encoding_ignores_heap_history(tmp_path):
    """libx264 reads memory it never wrote; a dirty heap must not change the bytes.

    Without zeroed allocations, three encodes after heap churn gave three
    different files in each of four processes (measured); with them, one.
    """
    scn = build_scenario(3.0, (160, 96), seed=20240517)
    dev = scn.devices[1]
    sound = device_sound(scene_sound(scn), dev)
    digests = set()
    for k in range(3):
        _dirty_heap(k)
        path = tmp_path / f"b{k}.mp4"
        write_recording(path, dev, FrameRenderer(scn, dev, mirror=True).render, sound, creation_time="2024-05-17T21:00:00Z")
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_full_scenario_has_twenty_shots_in_bursts():
    scn = build_scenario()
    assert scn.bursts == FULL_BURSTS and len(scn.shots_true_s) == 20
    gaps = np.diff(scn.shots_true_s)
    within = np.concatenate([gaps[sum(FULL_BURSTS[:b]) : sum(FULL_BURSTS[: b + 1]) - 1] for b in range(5)])
    assert within.min() >= 0.1 and within.max() <= 0.4


# -- the committed sample_media -----------------------------------------------------------


def test_committed_sample_media_matches_its_truth(sample_media_dir):
    truth = load_truth(sample_media_dir)
    assert len(truth["shots"]) == 20
    for src in truth["sources"]:
        path = sample_media_dir / src["path"]
        assert src["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), f"{path.name} changed since its truth was written"
        facts = _probe(path)
        assert len(facts["pts"]) == src["video"]["frame_count"]
        assert facts["pts"][0] == src["video"]["start_pts"] == 0
        assert str(facts["fps"]) == src["video"]["fps"]
        assert str(facts["time_base"]) == src["video"]["time_base"]
        assert facts["size"] == (src["video"]["width"], src["video"]["height"])
        assert facts["sample_rate"] == src["audio"]["sample_rate"]
        assert facts["creation_time"] == src["creation_time_in_file"]
    total = sum(p.stat().st_size for p in sample_media_dir.iterdir())
    assert total < 12.5e6
    for shot in truth["shots"][::5]:
        lag = _lag_at_truth(sample_media_dir, truth, "bodycam_B.mp4", shot["shared_s"] + 0.02)
        assert abs(lag) < 1.0, f"shot at {shot['shared_s']:.4f}: lag {lag:.3f} samples"


def test_cli_help_runs(capsys):
    from timesync.samples import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0 and "--out" in capsys.readouterr().out


def test_truth_json_is_plain_json(short_incident):
    out, truth = short_incident
    assert json.loads((out / "truth.json").read_text()) == truth


# -- the demo ---------------------------------------------------------------------------


def _tree_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.timeout(180)
def test_demo_syncs_the_short_incident_without_touching_it(short_incident, tmp_path, capsys):
    from timesync.demo import main

    samples, truth = short_incident
    before = _tree_digest(samples)
    out = tmp_path / "demo"
    assert main(["--out", str(out), "--samples", str(samples), "--methods", "audio", "-q"]) == 0
    assert _tree_digest(samples) == before
    project = json.loads((out / "incident.json").read_text())
    assert project["schema"] == "timesync.project/1"
    assert Path(project["reference"]).name == "bodycam_A.mp4"
    assert sorted(Path(s["path"]).name for s in project["sources"]) == sorted(NAMES)
    report = json.loads((out / "demo_report.json").read_text())
    assert [r["source"] for r in report["sources"]] == list(NAMES)
    assert report["sources"][0]["aligned"] and report["sources"][0]["error_ms"] == 0.0
    assert report["shots"]["true"] == len(truth["shots"])
    assert isinstance(report["overlays"], list)
    printed = capsys.readouterr().out
    assert "bodycam_B.mp4" in printed and "shots:" in printed


def test_demo_refuses_to_write_into_the_samples(short_incident):
    from timesync.demo import main

    samples, _ = short_incident
    assert main(["--out", str(samples / "demo"), "--samples", str(samples), "-q"]) == 3
    assert not (samples / "demo").exists()


def test_compare_overlays_reports_the_reading_error_in_ms():
    from timesync.demo import compare_overlays

    truth = {"sources": [{"path": "a.mp4", "overlay_clock": {"at_local_zero": "2024-05-17T21:02:33.220",
                                                           "at_local_zero_exact_utc": "2024-05-17T21:02:33.220000Z",
                                                           "error_s": 2.35}}]}
    found = {"sources": [{"path": "../x/a.mp4", "overlay_clock": {"at_local_zero": "2024-05-17T21:02:33.207", "uncertainty_s": 0.01}}]}
    (row,) = compare_overlays(found, truth)
    assert row["error_ms"] == pytest.approx(-13.0, abs=1e-3)


def test_match_shots_pairs_nearest_within_tolerance():
    from timesync.demo import match_shots

    got = match_shots([1.0004, 2.5, 3.0], [1.0, 2.0, 3.002])
    assert (got["matched"], got["missed_shared_s"], got["extra_shared_s"]) == (2, [2.0], [2.5])
    assert got["max_abs_error_ms"] == pytest.approx(2.0)


def test_short_overlay_changes_exactly_on_the_predicted_tick_frames(short_incident):
    """The burned-in seconds change on the first frame starting after the truth's clock passes a second."""
    out, truth = short_incident
    for src in truth["sources"]:
        w, h = src["video"]["width"], src["video"]["height"]
        box = (slice(0, h // 8), slice(0, w * 2 // 3)) if src["kind"] == "bodycam" else (slice(h * 7 // 8, h), slice(0, w))
        with av.open(str(out / src["path"])) as c:
            crops = [f.to_ndarray(format="gray")[box].astype(int) for f in c.decode(video=0)]
        changed = [i for i in range(1, len(crops)) if np.abs(crops[i] - crops[i - 1]).max() > 60]
        zero = src["overlay_clock"]["at_local_zero_exact_utc"]
        frac = float("0" + zero[zero.index("."):-1])  # seconds past the whole second at local 0
        fps = Fraction(src["video"]["fps"])
        ticks = np.arange(1, src["duration_s"] + 1) - frac  # local times of whole seconds
        predicted = [int(np.ceil(Fraction(t) * fps)) for t in ticks if 0 < t < len(crops) / fps]
        assert changed == [i for i in predicted if i < len(crops)], src["path"]
