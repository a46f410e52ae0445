"""Benchmark of shot detection: the sample incident, and mixtures with real non-shot impulses.

1. The sample incident (``sample_media/``, if generated): the sources placed with
   their true clocks, ``detect_project_shots`` run over the project; shots found, false
   shots, onset error against ``truth.json``, and the frames against the
   muzzle-flash frames.
2. Mixtures: 20 s of a real background (speech ``pyannote_sample.wav`` or
   birds ``birds_10s.wav`` from ``../shared/media``) with 8 synthetic gunshots
   (two bursts 100-200 ms apart) and 6 real non-shot impulses (``boom.wav``,
   ``car_door.wav``, ``punch.wav``, twice each, at the same peak level as the
   shots), at three SNRs (shot peak over background RMS), with and without a
   clipping microphone, stored as PCM and as AAC at 64 kb/s (what body cams
   write). Counts: shots found (onset within 5 ms), onset error, false shots
   (a detection near no shot), and non-shots reported as shots.

Honesty: the mixtures come in two halves of 48 (``--half``), each two sets of
24 (every background, SNR, microphone and codec once). ``tuning``: the original
set (seed 20261125, the non-shots at 3.5, 5.0, 8.0, 9.5, 13.5 and 16.0 s in the
order boom, car door, punch, twice; the only set before 2026-12-02) and seed
20261203 with each non-shot moved by up to 0.4 s and their order shuffled per
mixture; the detector's far-field rules (``far_lowpass``, ``far_loud``,
``far_unheard``) were set looking at these. ``held-out``: seeds 20261202 and
20261204, made the same way, not looked at while setting parameters (only
their totals were read); the figures to quote. ``--half all`` (default) runs
both and reports each half and the sum.

Prints the figures and rewrites the "Shots fired" section of bench/RESULTS.md
(not with ``--no-write``, nor with a single ``--half``).
Run: ``.venv/bin/python bench/bench_shots.py [--half tuning|held-out|all] [--no-write]``.
"""

from __future__ import annotations

import io
import json
import platform
import sys
import time
from pathlib import Path

import av
import numpy as np
from scipy import signal
from scipy.io import wavfile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from results_md import write_block  # noqa: E402

from tests.synth import sounds as syn  # noqa: E402
from timesync.clock import ClockMap  # noqa: E402
from timesync.detect.impulses import detect_impulses  # noqa: E402
from timesync.workflow_shots import detect_project_shots  # noqa: E402

SHARED = REPO.parent / "shared" / "media"
SAMPLE = REPO / "sample_media"
START, END = "<!-- shots:start -->", "<!-- shots:end -->"
SR = 48000
MIN_SCORE = 0.5
NON_SHOTS = ("boom.wav", "car_door.wav", "punch.wav")
#: The halves of the mixtures: per set of 24, its seed and whether the non-shots move and shuffle.
HALVES = {"tuning": ((20261125, False), (20261203, True)), "held-out": ((20261202, True), (20261204, True))}


# -- sample incident ------------------------------------------------------------------


def bench_sample() -> dict | None:
    if not (SAMPLE / "truth.json").is_file():
        return None
    from timesync.project import Project

    truth = json.loads((SAMPLE / "truth.json").read_text())
    project = Project(base_dir=SAMPLE, author="bench",
                      wall_clock={"utc_at_shared_zero": truth["utc_at_shared_zero"], "uncertainty_s": 0.0})
    for src in truth["sources"]:
        clock = ClockMap(src["offset_s"], src["rate"], 0.0003, "truth")
        project.add_source(SAMPLE / src["path"], clock=clock, sha256=src["sha256"], probe=False)
    t0 = time.perf_counter()
    table = detect_project_shots(project, min_score=MIN_SCORE)
    took = time.perf_counter() - t0
    true_s = [s["shared_s"] for s in truth["shots"]]
    errors, false, flash_ok, flash_n = [], 0, 0, 0
    for shot in table.shots:
        j = int(np.argmin([abs(t - shot.shared_s) for t in true_s]))
        if abs(true_s[j] - shot.shared_s) < 0.005:
            errors.append(shot.shared_s - true_s[j])
            for name, frames in truth["shots"][j]["flash_frames"].items():
                src = shot.sources.get(name)
                if src is not None and src.heard:
                    flash_n += 1
                    flash_ok += src.frame in [f["frame"] for f in frames]
        else:
            false += 1
    audio_s = sum(s["duration_s"] for s in truth["sources"])
    return {
        "true": len(true_s),
        "found": len(errors),
        "false": false,
        "max_ms": 1e3 * max(map(abs, errors)) if errors else None,
        "mean_ms": 1e3 * float(np.mean(np.abs(errors))) if errors else None,
        "flash": (flash_ok, flash_n),
        "per_source": table.per_source,
        "seconds": took,
        "audio_s": audio_s,
    }


# -- mixtures --------------------------------------------------------------------------


def _load(name: str) -> np.ndarray:
    sr_in, raw = wavfile.read(SHARED / name)
    x = (raw.astype(np.float64) - 128.0) / 128.0 if raw.dtype == np.uint8 else raw / 32768.0
    if x.ndim == 2:
        x = x.mean(axis=1)
    return signal.resample_poly(x, SR, sr_in) if sr_in != SR else x


def _aac(x: np.ndarray, bit_rate: int = 64000) -> np.ndarray:
    """Encode to AAC (FFmpeg's encoder, as the body cams of the sample) and decode back, aligned by PTS."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=SR, layout="mono")
        stream.bit_rate = bit_rate
        for i in range(0, len(x), 1024):
            frame = av.AudioFrame.from_ndarray(x[None, i : i + 1024].astype(np.float32), format="flt", layout="mono")
            frame.sample_rate, frame.pts = SR, i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    buf.seek(0)
    y = np.zeros(len(x))
    with av.open(buf) as inp:
        st = inp.streams.audio[0]
        for frame in inp.decode(st):
            a = frame.to_ndarray().reshape(-1).astype(np.float64)
            k = round(frame.pts * st.time_base * SR)
            if k < 0:
                a, k = a[-k:], 0
            m = min(len(a), len(y) - k)
            if m > 0:
                y[k : k + m] = a[:m]
    return y


def _case(rng: np.random.Generator, background: np.ndarray, snr_db: float, clip_db: float | None,
          non_shots: dict[str, np.ndarray], shuffle: bool = False,
          ) -> tuple[np.ndarray, list[int], list[tuple[int, int]], list[str]]:
    """One 20 s mixture: (samples, shot onsets, non-shot (start, end) spans, their names).

    With ``shuffle`` (the held-out half) each non-shot moves by up to 0.4 s and
    their order is drawn at random (after the shots, so the shots' draws are those
    of an unshuffled mixture of the same generator state)."""
    n = 20 * SR
    reps = int(np.ceil(n / len(background)))
    bg = np.tile(background, reps)[:n].copy()
    peak = 0.25
    bg = syn.mix_at_snr(bg, peak, snr_db)
    shots = [1.0, 1.15, 1.3, 1.42, 6.0, 11.0, 11.1, 11.28]
    others = [3.5, 5.0, 8.0, 9.5, 13.5, 16.0]
    x = bg
    onsets = []
    for t in shots:
        t += rng.uniform(-0.05, 0.05) if t in (1.0, 6.0, 11.0) else 0.0
        k = round(t * SR)
        syn.place(x, syn.gunshot(SR, rng), k, peak)
        onsets.append(k)
    onsets = sorted(onsets)
    spans = []
    names = list(non_shots) * 2
    if shuffle:
        others = [t + rng.uniform(-0.4, 0.4) for t in others]
        names = [names[i] for i in rng.permutation(len(names))]
    for t, name in zip(others, names, strict=True):
        ev = non_shots[name]
        k = round(t * SR)
        syn.place(x, ev / np.max(np.abs(ev)), k, peak)
        spans.append((k, k + len(ev)))
    if clip_db is not None:
        x = syn.clip(x / peak * 10 ** (clip_db / 20), 1.0)  # shots 6 dB over the clip level
    return x, onsets, spans, names


def mixtures(half: str = "tuning", seeds: set[int] | None = None):
    """The mixtures of one half (:data:`HALVES`), in order, without their AAC round trip:
    yields ``(seed, background name, SNR dB, clip dB or None, codec, samples, shot onsets,
    non-shot spans, non-shot names)``; the caller encodes ``codec == "aac"`` (:func:`_aac`).
    ``seeds``: only the sets of these seeds."""
    backgrounds = {"speech": _load("pyannote_sample.wav"), "birds": _load("birds_10s.wav")}
    non_shots = {name: _load(name) for name in NON_SHOTS}
    for seed, shuffle in HALVES[half]:
        if seeds and seed not in seeds:
            continue
        rng = np.random.default_rng(seed)
        for bg_name, bg in backgrounds.items():
            for snr in (20.0, 30.0, 40.0):
                for clip_db in (None, 6.0):
                    for codec in ("pcm", "aac"):
                        yield (seed, bg_name, snr, clip_db, codec,
                               *_case(rng, bg, snr, clip_db, non_shots, shuffle))


def _score_mixture(found: list, onsets: list[int], spans: list[tuple[int, int]]):
    """(onset errors s, false shots, shots hit, per non-shot: reported) of one mixture's detections."""
    tol = 0.005 * SR
    errs, false = [], 0
    for imp in found:
        d = min(onsets, key=lambda k, imp=imp: abs(k - imp.onset_sample))
        if abs(d - imp.onset_sample) <= tol:
            errs.append((imp.onset_sample - d) / SR)
        elif not any(a - tol <= imp.onset_sample < b for a, b in spans):
            false += 1
    hit = {min(onsets, key=lambda k, imp=imp: abs(k - imp.onset_sample)) for imp in found
           if min(abs(k - imp.onset_sample) for k in onsets) <= tol}
    reported = [any(a - tol <= imp.onset_sample < b for imp in found) for a, b in spans]
    return errs, false, hit, reported


def bench_mixtures(half: str = "tuning", seeds: set[int] | None = None) -> dict:
    """The figures of one half of the mixtures (:data:`HALVES`)."""
    rows = []
    totals = {"shots": 0, "found": 0, "false": 0, "non": 0, "non_reported": 0, "errors": [], "audio_s": 0.0,
              "seconds": 0.0, "per_kind": {name: [0, 0] for name in NON_SHOTS}, "per_set": {}}
    for seed, bg_name, snr, clip_db, codec, x, onsets, spans, names in mixtures(half, seeds):
        if codec == "aac":
            x = _aac(x)
        t0 = time.perf_counter()
        found = [i for i in detect_impulses(x, SR) if i.score >= MIN_SCORE]
        totals["seconds"] += time.perf_counter() - t0
        totals["audio_s"] += len(x) / SR
        errs, false, hit, reported = _score_mixture(found, onsets, spans)
        for kind, rep in zip(names, reported, strict=True):
            totals["per_kind"][kind][0] += rep
            totals["per_kind"][kind][1] += 1
        rows.append((bg_name, snr, "clipped" if clip_db else "clean", codec, len(hit), len(onsets),
                     1e3 * max(map(abs, errs)) if errs else float("nan"), false, sum(reported), len(spans)))
        totals["shots"] += len(onsets)
        totals["found"] += len(hit)
        totals["false"] += false
        totals["non"] += len(spans)
        totals["non_reported"] += sum(reported)
        totals["errors"] += errs
        per_set = totals["per_set"].setdefault(seed, [0, 0, 0, 0, 0])
        for i, v in enumerate((len(hit), len(onsets), false, sum(reported), len(spans))):
            per_set[i] += v
    return {"rows": rows, **totals}


# -- report -----------------------------------------------------------------------------


def _fmt(x: float | None, nd: int = 3) -> str:
    return "n/a" if x is None or x != x else f"{x:.{nd}f}"


def _sample_lines(sample: dict | None) -> list[str]:
    if sample is None:
        return ["Sample incident: not generated (run `python -m timesync.samples`).", ""]
    ok, n = sample["flash"]
    return [
        "**Sample incident** (true clocks; AAC 64 kb/s body cams at 48 and 44.1 kHz, helicopter rotor only):",
        "",
        "| shots | found | false shots | max onset error | mean onset error | frame = muzzle-flash frame | time |",
        "|---|---|---|---|---|---|---|",
        f"| {sample['true']} | {sample['found']} | {sample['false']} | {_fmt(sample['max_ms'])} ms | "
        f"{_fmt(sample['mean_ms'])} ms | {ok}/{n} | {sample['seconds']:.1f} s for {sample['audio_s']:.0f} s of audio |",
        "",
        "Per source: " + ", ".join(f"{k}: {v}" for k, v in sample["per_source"].items()) + ".",
        "",
    ]


def _summary_lines(mix: dict) -> list[str]:
    """The counts of one half (or of the sum of both)."""
    errs = np.abs(mix["errors"]) * 1e3
    non_rate = mix["non_reported"] / max(mix["non"], 1)
    return [
        f"- shots found: {mix['found']}/{mix['shots']} ({100 * mix['found'] / mix['shots']:.1f} %); "
        f"onset error mean {errs.mean():.3f} ms, 95th percentile {np.percentile(errs, 95):.3f} ms, "
        f"max {errs.max():.3f} ms",
        f"- false shots (near no shot and no non-shot): {mix['false']}",
        f"- non-shots reported as shots: {mix['non_reported']}/{mix['non']} ({100 * non_rate:.1f} %; "
        + ", ".join(f"{k.removesuffix('.wav')} {a}/{b}" for k, (a, b) in mix["per_kind"].items()) + ")",
        f"- speed: {mix['audio_s'] / max(mix['seconds'], 1e-9):.0f}x real time (detection only, one core)",
        *(f"- seed {seed}: shots found {a}/{n}, false shots {f}, non-shots reported {r}/{m}"
          for seed, (a, n, f, r, m) in mix.get("per_set", {}).items()),
    ]


def _combined(mixes: dict[str, dict]) -> dict:
    """The sum of the halves' counts."""
    out = {"rows": [], "shots": 0, "found": 0, "false": 0, "non": 0, "non_reported": 0, "errors": [],
           "audio_s": 0.0, "seconds": 0.0, "per_kind": {name: [0, 0] for name in NON_SHOTS}}
    for mix in mixes.values():
        for key in ("rows", "shots", "found", "false", "non", "non_reported", "errors", "audio_s", "seconds"):
            out[key] += mix[key]
        out.setdefault("per_set", {}).update(mix["per_set"])
        for name, (a, b) in mix["per_kind"].items():
            out["per_kind"][name][0] += a
            out["per_kind"][name][1] += b
    return out


def _mixture_lines(mixes: dict[str, dict] | None) -> list[str]:
    if mixes is None:
        return ["Mixtures: `../shared/media` absent.", ""]
    lines = [
        "**Mixtures** (20 s each: 8 synthetic gunshots incl. bursts 100-180 ms apart, 6 real non-shots "
        "(boom, car door, punch) at the shots' peak level, real speech or birds background; "
        "SNR = shot peak over background RMS; clipped = shots 6 dB over the clip level; "
        "AAC = 64 kb/s round trip). Two halves of 48: `tuning` (seeds 20261125, the original set, and "
        "20261203; the far-field rules were set on them) and `held-out` (seeds 20261202 and 20261204, "
        "not looked at while setting them); in all but the original set the non-shots move by up to "
        "0.4 s and come in a shuffled order:",
        "",
    ]
    for half, mix in mixes.items():
        lines += [f"*{half}*:", "", *_summary_lines(mix), ""]
    if len(mixes) > 1:
        lines += ["*both halves*:", "", *_summary_lines(_combined(mixes)), ""]
    for half, mix in mixes.items():
        lines += [f"| {half}: background | SNR dB | mic | codec | shots found | max onset error ms | false "
                  "| non-shots reported |", "|---|---|---|---|---|---|---|---|"]
        for bg, snr, mic, codec, hit, n, emax, false, rep, nn in mix["rows"]:
            lines.append(f"| {bg} | {snr:.0f} | {mic} | {codec} | {hit}/{n} | {_fmt(emax)} | {false} | {rep}/{nn} |")
        lines.append("")
    lines += ["The non-shot recordings are 11 kHz sound effects: they hold nothing above 5.5 kHz, which the "
              "`top` feature (energy above sr/8) uses; a real door slam recorded at 48 kHz is a harder case.",
              ""]
    return lines


def report(sample: dict | None, mixes: dict[str, dict] | None) -> str:
    """The "Shots fired" section: the sample incident and the mixtures by half."""
    lines = ["## Shots fired", "",
             f"`bench/bench_shots.py`, {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
             f"min score {MIN_SCORE}.", ""]
    return "\n".join(lines + _sample_lines(sample) + _mixture_lines(mixes))


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=[*HALVES, "all"], default="all",
                    help="which mixtures: the tuning half, the held-out half, or both (default)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    ap.add_argument("--no-sample", action="store_true", help="skip the sample incident")
    ap.add_argument("--seed", type=int, action="append", help="only the mixture sets of this seed (repeatable)")
    args = ap.parse_args(argv)
    sample = None if args.no_sample else bench_sample()
    halves = list(HALVES) if args.half == "all" else [args.half]
    seeds = set(args.seed or [])
    halves = [h for h in halves if not seeds or seeds & {seed for seed, _ in HALVES[h]}]
    mixes = {half: bench_mixtures(half, seeds) for half in halves} if SHARED.is_dir() else None
    text = report(sample, mixes)
    print(text)
    if not args.no_write and args.half == "all" and not args.no_sample and not seeds:
        write_block(START, END, text)
    ok = True
    if sample is not None:
        ok &= sample["found"] == sample["true"] and sample["false"] <= 1 and (sample["max_ms"] or 0) < 1.0
    for mix in (mixes or {}).values():
        ok &= mix["non_reported"] / max(mix["non"], 1) < 0.10
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
