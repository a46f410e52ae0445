"""One case's random description (a JSON-able dict) from its seed; nothing is rendered here.

Families (``FAMILIES[(seed // 2) % 8]``, so the even and odd halves hold the same mix):

- ``audio-pair``: two sound recordings of one scene (speech, birds, impulses);
- ``audio-group``: three or four, perhaps one split into two files, perhaps one unrelated;
- ``audio-long``: two or three long recordings (5 to 60 minutes overlap, 8-16 kHz);
- ``sparse``: a quiet scene of door slams, punches, booms and real gunshots only;
- ``bodycam``: two or three videos with sound, burned-in clocks, sometimes flashes;
- ``visual``: two or three videos with no shared sound, placed by their flashes;
- ``clock-only``: two videos that share only their burned-in clocks;
- ``unrelated``: two recordings of different scenes (must be refused).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from corpus import VERSION, half

FAMILIES = ("audio-pair", "audio-group", "audio-long", "sparse", "bodycam", "visual", "clock-only", "unrelated")
RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000)
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
FPS = (Fraction(25), Fraction(30000, 1001), Fraction(30), Fraction(15), Fraction(24000, 1001))
CLIPS = ("bikes.mp4", "carphone.mp4", "tree.avi")
WIDTHS = (320, 480, 640)
BEDS = ("wind", "crowd", "traffic", "hiss")
LONG_MIN = (5, 12, 25, 60)


def family(seed: int) -> str:
    """The case family of ``seed``."""
    return FAMILIES[(seed // 2) % len(FAMILIES)]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _codec(rng: np.random.Generator, max_rate: int) -> dict:
    codec = str(rng.choice(["aac", "aac", "mp3", "opus", "pcm", "g711u", "g711a"]))
    if codec.startswith("g711"):
        return {"codec": codec, "fs": 8000, "bitrate": None}
    rates = [r for r in (OPUS_RATES if codec == "opus" else RATES) if r <= max_rate] or [8000]
    fs = int(rng.choice(rates))
    bitrate = {"aac": int(rng.choice([24, 32, 48, 64, 96, 128, 192, 256])) * 1000,
               "mp3": int(rng.choice([32, 64, 96, 128, 192])) * 1000,
               "opus": int(rng.choice([16, 24, 32, 64, 96])) * 1000}.get(codec)
    if codec == "aac" and fs <= 16000:
        bitrate = min(bitrate, 64000)
    return {"codec": codec, "fs": fs, "bitrate": bitrate}


def _device_error(rng: np.random.Generator) -> float:
    pick = rng.uniform()
    if pick < 0.5:
        return round(float(rng.uniform(-5, 5)), 3)
    if pick < 0.8:
        return round(float(rng.uniform(-300, 300)), 3)
    return round(float(rng.uniform(-3 * 3600, 3 * 3600)), 3)


def _overlay(rng: np.random.Generator, style: str, zone_minutes: int, duration_s: float, start: float) -> dict:
    ov = {"style": style, "device_error_s": _device_error(rng), "zone_minutes": 0,
          "box": style in ("bodycam", "dvr_mdy", "dvr_dmy"), "alpha": 1.0, "size": float(rng.uniform(0.9, 1.3)),
          "corner": [float(rng.choice([0.0, 0.02])), float(rng.choice([0.0, 1.0]))],
          "device_id": str(rng.choice(["AXON BODY 3 X6031", "WGRD V300 0412", "CH01 CAM-2", "DVR 04"])) +
          str(int(rng.integers(10, 99))), "jumps": []}
    if style == "bodycam":
        ov["zone_minutes"] = int(rng.choice([0, zone_minutes]))
        ov["separator"] = str(rng.choice([" ", "T"]))
    elif style in ("dvr_mdy", "dvr_dmy"):
        ov["zone_minutes"] = zone_minutes  # shown as local time, no zone
    elif style == "small":
        ov.update(alpha=float(rng.uniform(0.45, 0.75)), size=float(rng.uniform(0.8, 1.0)))
    else:
        lat, lon = rng.uniform(25, 48), rng.uniform(70, 122)
        ov["position"] = f"N{int(lat):02d} {60 * (lat % 1):06.3f} W{int(lon):03d} {60 * (lon % 1):06.3f}"
        ov["altitude"] = f"ALT {int(rng.integers(300, 3000)):05d} FT"
        ov["corner"] = [0.02, float(rng.choice([0.0, 1.0]))]
    if rng.uniform() < 0.25:
        ov["jumps"].append({"at_true_s": round(start + float(rng.uniform(0.3, 0.7)) * duration_s, 3),
                            "jump_s": float(rng.choice([-3600, -1, 1, 2, 7, 30, 3600]))})
    return ov


def _spans(rng: np.random.Generator, n: int, overlap: float, lead_max: float) -> list[tuple[float, float, float]]:
    """``(start_true_s, true_len_s, rate)`` of ``n`` recordings that all share ``[lead_max, lead_max + overlap]``."""
    out = []
    for _ in range(n):
        lead, tail = float(rng.uniform(0, lead_max)), float(rng.uniform(0, lead_max))
        rate = 1.0 + float(rng.uniform(-150, 150)) * 1e-6
        out.append((round(lead_max - lead, 6), overlap + lead + tail, rate))
    return out


def _sound(rng: np.random.Generator, max_rate: int, scene: str | None, quiet: bool = False) -> dict:
    snr = float(rng.uniform(5, 30)) if quiet else float(rng.uniform(-5, 30))
    head = float(rng.choice([0.0, 0.0, 0.0, float(rng.uniform(2, 30))]))
    return {**_codec(rng, max_rate), "snr_db": round(snr, 2), "bed": str(rng.choice(BEDS)),
            "reverb": bool(rng.uniform() < 0.6), "silent_head_s": round(head, 3), "scene": scene}


def _audio_file(rng, span, max_rate, scene, quiet=False) -> dict:
    return {"type": "audio", "start_true_s": span[0], "true_len_s": span[1], "rate": span[2],
            "audio": _sound(rng, max_rate, scene, quiet), "video": None, "overlay": None,
            "corrupt": bool(rng.uniform() < 0.12), "split_at_local_s": None}


def _video_file(rng, span, scene, flashes: bool, style: str | None, zone: int, max_len: float) -> dict:
    fps = FPS[int(rng.integers(len(FPS)))]
    sound = None
    if scene is not None or rng.uniform() < 0.6:
        sound = {**_sound(rng, 48000, scene), "codec": "aac", "fs": int(rng.choice([16000, 32000, 44100, 48000])),
                 "bitrate": int(rng.choice([64, 96, 128])) * 1000}
        if scene is None:
            sound["bed"] = str(rng.choice(["wind", "traffic", "hiss"]))  # its own noise only
    true_len = min(span[1], max_len)
    return {"type": "video", "start_true_s": span[0], "true_len_s": true_len, "rate": span[2], "audio": sound,
            "video": {"clip": str(rng.choice(CLIPS)), "width": int(rng.choice(WIDTHS)),
                      "fps": [fps.numerator, fps.denominator], "clip_offset_s": float(rng.uniform(0, 4)),
                      "sees_flashes": flashes},
            "overlay": None if style is None else _overlay(rng, style, zone, true_len, span[0]),
            "corrupt": False, "split_at_local_s": None}


def _flashes(rng: np.random.Generator, lo: float, hi: float, count: int) -> list[dict]:
    times = np.sort(rng.uniform(lo + 1.0, hi - 1.0, count))
    for k in range(1, len(times)):
        times[k] = max(times[k], times[k - 1] + 1.5)
    out = []
    for t in times[times < hi - 0.6]:
        local = bool(rng.uniform() < 0.4)
        out.append({"at_true_s": round(float(t), 6), "duration_s": round(_log_uniform(rng, 1 / 30, 0.5), 4),
                    "local": local, "strength": float(rng.uniform(0.5, 0.9)),
                    "x": float(rng.uniform(0.25, 0.75)), "y": float(rng.uniform(0.3, 0.7)),
                    "r": float(rng.uniform(0.12, 0.3))})
    return out


def _scene(rng: np.random.Generator, sparse: bool) -> dict:
    speech = str(rng.choice(["speech_a", "speech_b"]))
    content = [] if sparse else [speech] + (["birds"] if rng.uniform() < 0.5 else [])
    hits = ["hits_a", "hits_b", "shots"] if sparse else list(rng.choice(["hits_a", "shots"], 1))
    return {"content": content, "hits": hits, "sparse": sparse,
            "hit_every_s": float(rng.uniform(4, 20) if sparse else rng.uniform(8, 30)),
            "crowd_pool": "speech_b" if speech == "speech_a" else "speech_a"}


def _other_scene(main: dict) -> dict:
    """A scene from the pools ``main`` does not use (the other speech half, the boom, birds if unused)."""
    speech = main["crowd_pool"]
    content = [speech] + ([] if "birds" in main["content"] else ["birds"])
    return {"content": content, "hits": ["hits_b"], "sparse": False, "hit_every_s": 15.0,
            "crowd_pool": "speech_a" if speech == "speech_b" else "speech_b"}


def _audio_family(rng, fam: str, quick: bool, seed: int) -> tuple[dict | None, list[dict], float]:
    sparse = fam == "sparse"
    main = _scene(rng, sparse)
    if fam == "audio-long":
        overlap = 60.0 * LONG_MIN[(seed // 16) % len(LONG_MIN)]
        overlap = min(overlap, 150.0) if quick else overlap
        max_rate, n, lead = (16000 if overlap <= 720 else 8000), int(rng.integers(2, 4)), 120.0
    else:
        overlap = _log_uniform(rng, 15, 90 if quick else 400)
        max_rate, lead = 48000, min(60.0, overlap)
        n = 2 if fam in ("audio-pair", "sparse") else int(rng.integers(3, 5))
    files = [_audio_file(rng, s, max_rate, "main", quiet=sparse) for s in _spans(rng, n, overlap, lead)]
    if fam == "audio-group" and rng.uniform() < 0.5:
        files[-1]["audio"]["scene"] = "own"
    if fam == "audio-group" and rng.uniform() < 0.6:
        f = files[1]
        f["split_at_local_s"] = round(float(rng.uniform(0.3, 0.7)) * f["true_len_s"] / f["rate"], 3)
    files[0]["corrupt"] = False
    return main, files, overlap


def _video_family(rng, fam: str, quick: bool) -> tuple[dict | None, list[dict], list[dict], float]:
    overlap = float(rng.uniform(20, 40 if quick else 75))
    n = 2 if fam == "clock-only" else int(rng.integers(2, 4))
    zone = int(rng.choice([-300, -360, -420, -480, 0, 60, 120, 330]))
    spans = _spans(rng, n, overlap, 15.0)
    with_flash = fam == "visual" or (fam == "bodycam" and rng.uniform() < 0.5)
    scene = _scene(rng, False) if fam == "bodycam" else None
    styles = ["bodycam", "dvr_mdy", "dvr_dmy", "small"] if fam == "bodycam" else list(
        ("bodycam", "dvr_mdy", "dvr_dmy", "small", "airborne"))
    files = []
    for k, span in enumerate(spans):
        style = str(rng.choice(styles)) if (fam != "visual" or rng.uniform() < 0.7) else None
        if fam == "visual" and k == n - 1 and rng.uniform() < 0.6:
            style = "airborne"
        files.append(_video_file(rng, span, "main" if scene else None, with_flash, style, zone, overlap + 30.0))
    if fam == "clock-only" and rng.uniform() < 0.5:  # half the pairs: two devices of one make
        files[1]["overlay"] = _overlay(rng, files[0]["overlay"]["style"], zone, files[1]["true_len_s"],
                                       files[1]["start_true_s"])
    flashes = _flashes(rng, 15.0, 15.0 + overlap, int(rng.integers(3, 9))) if with_flash else []
    return scene, files, flashes, overlap


def _unrelated(rng) -> tuple[dict, list[dict], float]:
    main = _scene(rng, False)
    spans = _spans(rng, 2, float(rng.uniform(20, 120)), 10.0)
    files = [_audio_file(rng, spans[0], 48000, "main"), _audio_file(rng, spans[1], 48000, "own")]
    for f in files:
        f["corrupt"] = False
    return main, files, spans[0][1]


def make_plan(seed: int, quick: bool = False) -> dict:
    """The description of case ``seed`` (``quick`` caps its length at a few minutes)."""
    rng = np.random.default_rng([seed, 12_06])
    fam = family(seed)
    flashes: list[dict] = []
    if fam in ("bodycam", "visual", "clock-only"):
        main, files, flashes, overlap = _video_family(rng, fam, quick)
    elif fam == "unrelated":
        main, files, overlap = _unrelated(rng)
    else:
        main, files, overlap = _audio_family(rng, fam, quick, seed)
    world_s = max(f["start_true_s"] + f["true_len_s"] for f in files) + 1.0
    rates = [f["audio"]["fs"] for f in files if f["audio"]]
    return {"seed": seed, "half": half(seed), "family": fam, "version": VERSION, "quick": quick,
            "world_s": round(world_s, 3), "world_rate": max(rates) if rates else 16000,
            "overlap_s": round(overlap, 3), "scene": main,
            "other_scene": _other_scene(main) if main else None,
            "utc_at_true_zero": float(rng.integers(1_546_300_800, 1_767_225_600)),
            "flashes": flashes, "files": files}
