"""Render one case (its files and ``truth.json``) from its plan, cached by seed and version.

``truth.json`` (schema ``timesync-bench.corpus/1``) holds the plan and, per
source (file), in the order the files are given to the aligner:

- ``start_true_s``, ``rate_true`` (true seconds per local second), ``duration_s`` (local);
- ``offset_s`` and ``rate`` against the first source, in the project's convention
  ``t_first = offset_s + rate * t_source``;
- ``audio`` / ``video`` / ``overlay`` facts (codec, rate, fps, frame length, the
  burned-in clock's style, device error and value at local 0 for each steady stretch);
- ``evidence``: the other source it shares the most with (``partner``), the
  seconds of audible sound and the flashes they share, whether both burn in a
  clock, and the ``kind`` this makes: ``audio`` (>= 15 s of shared audible
  sound), ``audio-short`` (less), ``visual`` (>= 3 shared flashes, no sound),
  ``visual-few``, ``clock`` (burned-in clocks only) or ``unrelated`` (nothing).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import numpy as np

from corpus import CACHE, VERSION, encode, picture, sound
from corpus.plan import make_plan

SCHEMA = "timesync-bench.corpus/1"


def case_dir(seed: int, quick: bool, root: Path = CACHE) -> Path:
    """Where case ``seed`` is cached: ``<root>/v<VERSION>[-quick]/seed-NNN``."""
    return root / (f"v{VERSION}" + ("-quick" if quick else "")) / f"seed-{seed:03d}"


def build_case(seed: int, quick: bool = False, root: Path = CACHE) -> Path:
    """Build case ``seed`` unless it is cached already; its folder (holding ``truth.json``)."""
    out = case_dir(seed, quick, root)
    truth_path = out / "truth.json"
    if truth_path.exists():
        try:
            if json.loads(truth_path.read_text()).get("version") == VERSION:
                return out
        except ValueError:
            pass
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    truth = render(make_plan(seed, quick), tmp)
    (tmp / "truth.json").write_text(json.dumps(truth, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def _worlds(plan: dict, rng: np.random.Generator) -> dict:
    worlds = {}
    for key, spec in (("main", plan["scene"]), ("own", plan["other_scene"])):
        if spec and any(f["audio"] and f["audio"]["scene"] == key for f in plan["files"]):
            worlds[key] = sound.scene(rng, plan["world_s"], plan["world_rate"], spec["content"], spec["hits"],
                                      spec["sparse"], spec["hit_every_s"])
    return worlds


def _track(f: dict, plan: dict, worlds: dict, rng: np.random.Generator) -> np.ndarray:
    a, wr = f["audio"], plan["world_rate"]
    fs = a["fs"]
    n = int(round(f["true_len_s"] / f["rate"] * fs))
    crowd = (plan["scene"] or {}).get("crowd_pool", "speech_b")
    noise = sound.bed(rng, a["bed"], fs, n, crowd)
    if a["scene"] in worlds:
        world, audible = worlds[a["scene"]]
        if a["reverb"]:
            world = sound.reverberate(world, sound.room(rng, wr))
        heard = sound.capture(world, wr, f["start_true_s"], f["rate"], fs, n)
        mask = np.zeros(n, bool)
        for lo, hi in audible:
            i0 = max(0, int((lo - f["start_true_s"]) / f["rate"] * fs))
            i1 = min(n, int((hi - f["start_true_s"]) / f["rate"] * fs))
            mask[i0:i1] = i0 < i1
        power = float(np.mean(heard[mask] ** 2)) if mask.any() else float(np.mean(heard ** 2))
        x = heard + noise * np.sqrt(power / 10 ** (a["snr_db"] / 10))
    else:
        x = noise * 0.05
    head = int(round(a["silent_head_s"] * fs))
    x[:head] = noise[:head] * 1e-4
    peak = float(np.max(np.abs(x))) or 1.0
    return (x * float(rng.uniform(0.3, 0.9)) / peak).astype(np.float32)


def _write_audio_file(base: Path, f: dict, x: np.ndarray) -> list[tuple[str, float, int]]:
    """Write one recording (or its two parts); ``(name, local start in the recording, samples)`` of each."""
    a = f["audio"]
    ext = encode.EXTENSIONS[a["codec"]]
    cut = [0, len(x)]
    if f["split_at_local_s"]:
        cut = [0, int(round(f["split_at_local_s"] * a["fs"])), len(x)]
    parts = []
    for k in range(len(cut) - 1):
        name = base.name + (f"_part{k + 1}" if len(cut) > 2 else "") + ext
        encode.write_audio(base.with_name(name), x[cut[k]: cut[k + 1]], a["fs"], a["codec"], a["bitrate"])
        parts.append((name, cut[k] / a["fs"], cut[k + 1] - cut[k]))
    return parts


def _write_video_file(base: Path, f: dict, plan: dict, x: np.ndarray | None) -> str:
    v = f["video"]
    fps = Fraction(*v["fps"])
    n = int(round(f["true_len_s"] / f["rate"] * float(fps)))
    cam = {"clip": v["clip"], "width": v["width"], "fps": float(fps), "frames": n,
           "start_true_s": f["start_true_s"], "rate": f["rate"], "clip_offset_s": v["clip_offset_s"]}
    first = next(picture.frames({**cam, "frames": 1}, [], None))
    overlay = None if f["overlay"] is None else {**f["overlay"], "utc_at_true_zero": plan["utc_at_true_zero"]}
    flashes = plan["flashes"] if v["sees_flashes"] else []
    frames = picture.frames(cam, flashes, overlay)
    name = base.name + ".mp4"
    fs = f["audio"]["fs"] if f["audio"] else 48000
    encode.write_video(base.with_name(name), frames, fps, (first.shape[1], first.shape[0]), x, fs,
                       f["audio"]["bitrate"] if f["audio"] else 96000)
    return name


def render(plan: dict, folder: Path) -> dict:
    """Write every file of ``plan`` into ``folder``; the truth dict."""
    from corpus.truth import describe

    rng = np.random.default_rng([plan["seed"], 99])
    worlds = _worlds(plan, rng)
    sources = []
    for i, f in enumerate(plan["files"]):
        base = folder / f"s{i}_{f['type']}"
        x = _track(f, plan, worlds, rng) if f["audio"] else None
        if f["type"] == "video":
            parts = [(_write_video_file(base, f, plan, x), 0.0, None)]
        else:
            parts = _write_audio_file(base, f, x)
        for name, local0, samples in parts:
            damaged = encode.damage(folder / name, rng) if f["corrupt"] else []
            sources.append({"name": name, "file": i, "local_in_recording_s": local0, "samples": samples,
                            "damaged_at_bytes": damaged})
    audible = {k: w[1] for k, w in worlds.items()}
    return {"schema": SCHEMA, "version": VERSION, "seed": plan["seed"], "half": plan["half"],
            "family": plan["family"], "plan": plan,
            "utc_at_true_zero": datetime.fromtimestamp(plan["utc_at_true_zero"], UTC).isoformat(),
            "sources": describe(plan, sources, audible)}


def build_timed(args: tuple[int, bool, str]) -> tuple[int, str, float]:
    """``build_case`` of ``(seed, quick, root)``: ``(seed, folder or 'FAILED: why', seconds)``."""
    import time

    seed, quick, root = args
    started = time.perf_counter()
    try:
        folder = str(build_case(seed, quick, Path(root)))
    except Exception as exc:  # one case's failure must not stop the others; reported by the caller
        folder = f"FAILED: {type(exc).__name__}: {exc}"
    return seed, folder, time.perf_counter() - started


def build_many(seeds: list[int], quick: bool = False, jobs: int = 2, root: Path = CACHE,
               log=print) -> dict[int, Path]:
    """Build (or find cached) every case of ``seeds`` on ``jobs`` processes; folder by seed."""
    from concurrent.futures import ProcessPoolExecutor

    out: dict[int, Path] = {}
    work = [(s, quick, str(root)) for s in seeds]
    if jobs <= 1:
        results = map(build_timed, work)
        for seed, folder, took in results:
            keep(out, seed, folder, took, log)
        return out
    with ProcessPoolExecutor(jobs) as pool:
        for seed, folder, took in pool.map(build_timed, work):
            keep(out, seed, folder, took, log)
    return out


def keep(out: dict, seed: int, folder: str, took: float, log) -> None:
    """Log one build; record its folder in ``out`` unless it failed."""
    log(f"case {seed:3d}: {folder} ({took:.1f} s)")
    if not folder.startswith("FAILED"):
        out[seed] = Path(folder)
