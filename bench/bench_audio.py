"""Audio alignment benchmark: timesync against audalign, audio-offset-finder, syncstart.

Builds incidents in ``bench/_work/audio`` from the real recordings in
``../shared/media`` (speech, birds, impulses), cut into short snippets and
re-assembled at random (gain, reversal, mixing) so that long material never
repeats periodically. Each recording of a case is one "device" hearing that
scene: its own start, clock rate (drift), sample rate, noise (SNR), band
limit, reverb (exponential-decay noise impulse response) and codec (AAC 32
kbps or PCM). Drift is made by band-limited polyphase resampling, so the truth
is exact: ``t_ref = offset + rate * t_source``.

Every tool runs in its own subprocess, with its wall time and peak resident
memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a wrapper process) and a
timeout. The peers are installed from PyPI into ``bench/.venv-peers`` (not
project dependencies). ffmpeg's bare decode of the same files
(``ffmpeg -i f -f null -``) is the floor.

Usage: ``python bench/bench_audio.py [--quick] [--no-peers] [--keep]``. Prints
the table and replaces the "Audio alignment" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from results_md import write_block
from scipy import signal

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MEDIA = REPO.parent / "shared" / "media"
WORK = HERE / "_work" / "audio"
PEERS_VENV = HERE / ".venv-peers"
START, END = "<!-- audio:start -->", "<!-- audio:end -->"
PEER_PACKAGES = ["audalign==1.3.1", "audio-offset-finder==0.5.5", "syncstart==1.1.1"]

#: A tool's answer off by more than this is wrong (seconds).
WRONG_S = 0.010


# -- material -------------------------------------------------------------------------


def load(name: str, sr: int) -> np.ndarray:
    """A real recording from ../shared/media as float32 mono at ``sr``."""
    with av.open(str(MEDIA / name)) as c:
        res = av.AudioResampler(format="flt", layout="mono", rate=sr)
        parts = [g.to_ndarray()[0] for f in c.decode(audio=0) for g in res.resample(f)]
        parts += [g.to_ndarray()[0] for g in res.resample(None)]
    x = np.concatenate(parts).astype(np.float32)
    return x / (np.max(np.abs(x)) + 1e-9)


def scene(
    seconds: float, sr: int, seed: int, kinds: tuple[str, ...] = ("speech", "birds", "impulses")
):
    """Non-repeating material: two layers of random snippets of the real recordings."""
    rng = np.random.default_rng(seed)
    pools = {
        "speech": load("pyannote_sample.wav", sr),
        "birds": load("birds_10s.wav", sr),
    }
    impulses = [load(n, sr) for n in ("boom.wav", "punch.wav", "car_door.wav")]
    n = int(round(seconds * sr))
    out = np.zeros(n, dtype=np.float32)
    layers = [k for k in kinds if k != "impulses"]
    for layer, gain in zip(layers * 2 if len(layers) == 1 else layers, (1.0, 0.5), strict=False):
        src = pools[layer]
        pos = int(rng.integers(0, sr))
        while pos < n:
            length = int(rng.uniform(0.3, 2.5) * sr)
            start = int(rng.integers(0, max(1, src.size - length)))
            seg = src[start : start + length] * (gain * rng.uniform(0.2, 1.0))
            if rng.random() < 0.3:
                seg = seg[::-1]
            end = min(n, pos + seg.size)
            out[pos:end] += seg[: end - pos]
            pos += int(seg.size * rng.uniform(0.7, 1.4))
    if "impulses" in kinds:
        for at in rng.uniform(0, seconds, int(seconds / 20)):
            imp = impulses[rng.integers(3)] * rng.uniform(0.3, 0.9)
            i = int(at * sr)
            e = min(n, i + imp.size)
            out[i:e] += imp[: e - i]
    return out


# -- devices -------------------------------------------------------------------------


@dataclass
class Device:
    """One recording of the scene: local t maps to scene time ``start_s + rate * t``."""

    name: str
    start_s: float
    duration_s: float
    sr: int
    drift_n: int | None = None  # rate = 1 + 1/drift_n (None: exact clock); negative: slow
    snr_db: float | None = 20.0
    band: tuple[float, float] | None = None
    reverb_s: float | None = None
    codec: str = "pcm"
    seed: int = 0

    @property
    def rate(self) -> float:
        return 1.0 if self.drift_n is None else 1.0 + 1.0 / self.drift_n

    @property
    def path(self) -> str:
        return self.name + (".m4a" if self.codec == "aac" else ".wav")


def render(dev: Device, mat: np.ndarray, mat_sr: int) -> np.ndarray:
    """Samples of ``dev`` from the scene material (band-limited resampling, exact times)."""
    i0 = round(dev.start_s * mat_sr)
    assert abs(i0 / mat_sr - dev.start_s) < 1e-12, "start on the material grid"
    need = int(math.ceil(dev.duration_s * dev.rate * mat_sr)) + mat_sr
    seg = mat[max(i0, 0) : i0 + need].astype(np.float64)
    if i0 < 0:
        seg = np.concatenate([np.zeros(-i0), seg])
    # output step in material samples = rate * mat_sr / sr = down / up
    step = Fraction(mat_sr, dev.sr) * (
        Fraction(1) if dev.drift_n is None else Fraction(dev.drift_n + 1, dev.drift_n)
    )
    up, down = step.denominator, step.numerator
    y = seg if up == down == 1 else signal.resample_poly(seg, up, down)
    y = y[: round(dev.duration_s * dev.sr)]
    rng = np.random.default_rng(dev.seed)
    if dev.reverb_s:
        t = np.arange(int(dev.reverb_s * dev.sr)) / dev.sr
        ir = rng.normal(0, 1, t.size) * np.exp(-6.9 * t / dev.reverb_s) * 0.08
        ir[0] = 1.0  # the direct sound arrives first: the truth is unchanged
        y = signal.fftconvolve(y, ir)[: y.size]
    if dev.band:
        sos = signal.butter(4, dev.band, btype="bandpass", fs=dev.sr, output="sos")
        y = signal.sosfiltfilt(sos, y)  # zero phase: no delay
    if dev.snr_db is not None:
        y = y + rng.normal(0, np.sqrt(np.mean(y**2)) * 10 ** (-dev.snr_db / 20), y.size)
    return (0.5 * y / (np.max(np.abs(y)) + 1e-9)).astype(np.float32)


def write(path: Path, x: np.ndarray, sr: int, codec: str) -> None:
    """Write mono float audio as PCM WAV or AAC (32 kbps) in M4A, blockwise."""
    with av.open(str(path), "w") as c:
        if codec == "aac":
            st = c.add_stream("aac", rate=sr)
            st.bit_rate = 32000
            fmt, block = "fltp", 1024
        else:
            st = c.add_stream("pcm_s16le", rate=sr)
            fmt, block = "s16", 4096
        st.layout = "mono"
        for i in range(0, x.size, block):
            chunk = x[i : i + block]
            data = (
                chunk[None, :]
                if fmt == "fltp"
                else np.round(chunk * 32767).astype(np.int16)[None, :]
            )
            frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
            frame.sample_rate = sr
            frame.pts = i
            frame.time_base = Fraction(1, sr)
            for p in st.encode(frame):
                c.mux(p)
        for p in st.encode():
            c.mux(p)


# -- cases ---------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    what: str
    devices: list[Device]
    mat_seconds: float
    mat_sr: int = 48000
    kinds: tuple[str, ...] = ("speech", "birds", "impulses")
    other_scene: set[str] = field(default_factory=set)  # devices hearing another scene
    min_snr_db: float = 0.0
    peers: bool = True
    timeout_s: float = 60.0

    @property
    def folder(self) -> Path:
        return WORK / self.name

    def truth(self, dev: Device) -> tuple[float, float] | None:
        """``(offset, rate)`` with ``t_ref = offset + rate * t_dev``; None if no common sound."""
        ref = self.devices[0]
        if dev.name in self.other_scene or ref.name in self.other_scene:
            return None
        return (dev.start_s - ref.start_s) / ref.rate, dev.rate / ref.rate

    def overlap_mid(self, dev: Device) -> float:
        """Local time of ``dev`` in the middle of its overlap with the reference (s)."""
        ref = self.devices[0]
        lo = max(dev.start_s, ref.start_s)
        hi = min(dev.start_s + dev.rate * dev.duration_s, ref.start_s + ref.duration_s)
        return ((lo + hi) / 2 - dev.start_s) / dev.rate


def cases(quick: bool) -> list[Case]:
    out = [
        Case(
            "speech_clean",
            "speech+birds, 16 kHz ref vs 48 kHz, +20 ppm, 15 dB",
            [
                Device("ref", 0.0, 90.0, 16000, snr_db=25, seed=1),
                Device("cam", 23.45675, 50.0, 48000, 50000, 15, seed=2),
            ],
            95,
        ),
        Case(
            "phone_aac_0db",
            "AAC 32 kbps both, phone band 300-3400 Hz, 0 dB SNR, -80 ppm, starts first",
            [
                Device("ref", 12.3, 80.0, 44100, None, 10, codec="aac", seed=3),
                Device("phone", 0.0, 70.0, 16000, -12500, 0, band=(300, 3400), codec="aac", seed=4),
            ],
            95,
        ),
        Case(
            "reverb_10min",
            "10 min overlap, reverb 0.6 s + 5 dB on 44.1 kHz, +100 ppm, offset 45 s",
            [
                Device("ref", 0.0, 660.0, 16000, None, 20, seed=5),
                Device("room", 45.0, 610.0, 44100, 10000, 5, reverb_s=0.6, seed=6),
            ],
            670,
        ),
        Case(
            "offset_10min",
            "90 s clip 9:58.76 into a 12 min ref, 48 kHz AAC, +50 ppm, 3 dB",
            [
                Device("ref", 0.0, 720.0, 48000, None, 20, codec="aac", seed=7),
                Device("clip", 598.765, 90.0, 48000, 20000, 3, codec="aac", seed=8),
            ],
            725,
        ),
        Case(
            "no_common",
            "two scenes that share no sound (birds vs speech), 16 kHz",
            [
                Device("ref", 0.0, 120.0, 16000, None, 15, seed=9),
                Device("elsewhere", 0.0, 120.0, 16000, None, 15, seed=10),
            ],
            125,
            kinds=("speech",),
            other_scene={"elsewhere"},
        ),
    ]
    if not quick:
        out.append(
            Case(
                "three_60min",
                "three 60-minute AAC recordings (16 kHz), offsets 4:17 and -2:33, 10 dB, band-limited",
                [
                    Device("ref", 153.3, 3600.0, 16000, None, 15, codec="aac", seed=11),
                    Device(
                        "b",
                        410.4235,
                        3600.0,
                        16000,
                        None,
                        10,
                        band=(200, 5000),
                        codec="aac",
                        seed=12,
                    ),
                    Device("c", 0.0, 3600.0, 16000, None, 10, codec="aac", seed=13),
                ],
                4020,
                mat_sr=16000,
                peers=True,
                timeout_s=90.0,
            )
        )
    return out


def build(case: Case) -> None:
    """Write the case's files (skipped when already built with the same description)."""
    stamp = case.folder / "case.json"
    desc = json.dumps(
        [d.__dict__ for d in case.devices] + [case.mat_seconds, case.mat_sr], sort_keys=True
    )
    if stamp.exists() and stamp.read_text() == desc:
        return
    case.folder.mkdir(parents=True, exist_ok=True)
    mat = scene(case.mat_seconds, case.mat_sr, seed=100, kinds=case.kinds)
    other = (
        scene(case.mat_seconds, case.mat_sr, seed=200, kinds=("birds",))
        if case.other_scene
        else None
    )
    for dev in case.devices:
        src = other if dev.name in case.other_scene else mat
        write(case.folder / dev.path, render(dev, src, case.mat_sr), dev.sr, dev.codec)
    stamp.write_text(desc)


# -- running tools -------------------------------------------------------------------

#: The script that runs a command and measures its process tree (shared with bench_footage).
_TREE = Path(__file__).with_name("tree_measured.py")


def measured(
    cmd: list[str], timeout: float, env: dict[str, str] | None = None, sample_memory: bool = True
) -> dict:
    """Run ``cmd`` under ``tree_measured.py``: rc, seconds, cpu_s, peak_mb, stdout, stderr.
    Without ``sample_memory`` the process tree is not sampled (peak_mb is then the kernel's
    peak RSS of the largest waited-for process only)."""
    flag = [] if sample_memory else ["--no-sample"]
    p = subprocess.run(
        [sys.executable, str(_TREE), *flag, str(timeout), *cmd],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    return json.loads(p.stdout)


def ffmpeg_floor(case: Case, sample_memory: bool = True) -> dict:
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    total, peak = 0.0, 0.0
    for d in case.devices:
        r = measured([exe, "-v", "error", "-i", str(case.folder / d.path), "-f", "null", "-"], 600,
                     sample_memory=sample_memory)
        total += r["seconds"]
        peak = max(peak, r["peak_mb"])
    return {"seconds": total, "peak_mb": peak}


def run_timesync(case: Case, sample_memory: bool = True) -> dict:
    out = case.folder / "project.json"
    files = [str(case.folder / d.path) for d in case.devices]
    cmd = [
        sys.executable,
        "-m",
        "timesync",
        "sync",
        *files,
        "--reference",
        files[0],
        "-o",
        str(out),
    ]
    r = measured(cmd + ["--methods", "audio", "-q"], 1800, sample_memory=sample_memory)
    answers = {}
    if out.exists() and r["rc"] in (0, 1):
        data = json.loads(out.read_text())
        for s in data["sources"]:
            name = Path(s["path"]).name
            answers[name] = (
                {"offset": s["offset_s"], "rate": s["rate"], "sigma": s["uncertainty_s"]}
                if s["aligned"]
                else None
            )
        out.unlink()
    r["answers"] = answers
    return r


_AUDALIGN_CODE = """
import sys, json, os, subprocess, tempfile, audalign as ad
a, b = sys.argv[1:3]
tmp = tempfile.mkdtemp()
def wav(f):  # pydub needs ffprobe for non-WAV input (not available pip-only): decode to WAV first
    if f.endswith(".wav"):
        return f
    out = os.path.join(tmp, os.path.basename(f) + ".wav")
    subprocess.run(["ffmpeg", "-v", "error", "-i", f, out], check=True)
    return out
wa, wb = wav(a), wav(b)
res = ad.align_files(wa, wb, recognizer=ad.RECOGNIZER())
sa, sb = res[os.path.basename(wa)], res[os.path.basename(wb)]
print(json.dumps({"offset": sb - sa}))
"""

PEER_CODE = {
    "audalign-correlation": _AUDALIGN_CODE.replace("RECOGNIZER", "CorrelationRecognizer"),
    "audalign-fingerprint": _AUDALIGN_CODE.replace("RECOGNIZER", "FingerprintRecognizer"),
    "audio-offset-finder": """
import sys, json
from audio_offset_finder.audio_offset_finder import find_offset_between_files
r = find_offset_between_files(sys.argv[1], sys.argv[2])
print(json.dumps({"offset": r["time_offset"], "score": r["standard_score"]}))
""",
    "syncstart": """
import sys, json, matplotlib
matplotlib.use("Agg")
matplotlib.use = lambda *a, **k: None  # syncstart forces TkAgg, absent here (headless)
import syncstart
a, b, take = sys.argv[1:4]
sys.argv = ["syncstart", a, b, "-q", "-t", take]
f, off = syncstart.file_offset()
print(json.dumps({"offset": float(off) if f == a else -float(off)}))
""",
}

FFPROBE_SHIM = """#!{python}
# minimal ffprobe stand-in for syncstart (pip-only machine): prints stream=sample_rate / avg_frame_rate
import sys, av
f = sys.argv[-1]
with av.open(f) as c:
    if "stream=sample_rate" in sys.argv:
        print("sample_rate=%d" % c.streams.audio[0].rate)
    else:
        print("avg_frame_rate=%s" % c.streams.video[0].average_rate)
"""


def peers_env() -> tuple[dict[str, str] | None, str]:
    """Create the peers' venv (once) and a PATH with ffmpeg (+ an ffprobe shim)."""
    py = PEERS_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    check = subprocess.run(
        [str(py), "-c", "import audalign, audio_offset_finder, syncstart"], capture_output=True
    )
    if check.returncode != 0:
        p = subprocess.run(
            [str(py), "-m", "pip", "install", "-q", *PEER_PACKAGES], capture_output=True, text=True
        )
        if p.returncode != 0:
            return None, "pip install failed: " + p.stderr.strip().splitlines()[-1]
    import imageio_ffmpeg

    bindir = WORK / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for name, target in (("ffmpeg", imageio_ffmpeg.get_ffmpeg_exe()),):
        link = bindir / name
        if not link.exists():
            link.symlink_to(target)
    shim = bindir / "ffprobe"
    shim.write_text(FFPROBE_SHIM.format(python=sys.executable))
    shim.chmod(0o755)
    env = dict(
        os.environ,
        PATH=f"{bindir}:{PEERS_VENV / 'bin'}:{os.environ.get('PATH', '')}",
        MPLBACKEND="Agg",
    )
    return env, str(py)


def run_peer(tool: str, case: Case, a: Device, b: Device, env, py: str) -> dict:
    fa, fb = str(case.folder / a.path), str(case.folder / b.path)
    take = str(int(max(a.duration_s, b.duration_s) + 1))
    r = measured([py, "-c", PEER_CODE[tool], fa, fb, take], case.timeout_s, env=env)
    r["answer"] = None
    if r["rc"] == 0:
        try:
            r["answer"] = {
                "offset": json.loads(r["stdout"].strip().splitlines()[-1])["offset"],
                "rate": 1.0,
            }
        except (ValueError, KeyError, IndexError, TypeError):
            r["rc"] = "bad output"
    return r


# -- scoring -------------------------------------------------------------------------


def score(case: Case, dev: Device, answer: dict | None) -> dict:
    """Error at the middle of the overlap (ms), drift error (ppm), and the verdict."""
    truth = case.truth(dev)
    if truth is None:
        return {
            "verdict": "refused (correct)" if answer is None else "CONFIDENT WRONG",
            "err_ms": None,
        }
    if answer is None:
        return {"verdict": "refused", "err_ms": None}
    t = case.overlap_mid(dev)
    err = (answer["offset"] + answer["rate"] * t) - (truth[0] + truth[1] * t)
    out = {"err_ms": abs(err) * 1e3, "drift_err_ppm": abs(answer["rate"] - truth[1]) * 1e6}
    sigma = answer.get("sigma")
    wrong = abs(err) > WRONG_S or (sigma is not None and abs(err) > 5 * sigma and abs(err) > 0.002)
    out["verdict"] = "CONFIDENT WRONG" if wrong else "ok"
    if sigma is not None:
        out["sigma_ms"] = sigma * 1e3
    return out


def fmt(x, spec: str) -> str:
    return "-" if x is None else format(x, spec)


#: The machine's 1-minute load average when main() started (stated in the report).
LOAD_AT_START = 0.0


def main() -> int:
    global LOAD_AT_START
    LOAD_AT_START = os.getloadavg()[0]
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="skip the 60-minute case")
    ap.add_argument(
        "--no-peers", action="store_true", help="run timesync and the ffmpeg floor only"
    )
    ap.add_argument(
        "--cases",
        default="",
        help="comma-separated case names to run (default all); "
        "bench/RESULTS.md is then left untouched",
    )
    ap.add_argument(
        "--speed",
        type=int,
        default=0,
        metavar="N",
        help="only time timesync and the ffmpeg floor on the 60-minute case, N times each, "
        "interleaved; writes the 'Audio alignment speed' section",
    )
    args = ap.parse_args()
    wanted = {c for c in args.cases.split(",") if c}
    if not MEDIA.is_dir():
        print(f"bench_audio: {MEDIA} is absent; nothing to do")
        return 0
    if args.speed:
        return speed_runs(args.speed)
    env, py = (None, "skipped (--no-peers)") if args.no_peers else peers_env()
    rows, summary = [], []
    ts_errors, drift_errors, wrong = [], [], 0
    for case in cases(args.quick):
        if wanted and case.name not in wanted:
            continue
        t0 = time.perf_counter()
        build(case)
        print(
            f"== {case.name}: {case.what} (built in {time.perf_counter() - t0:.0f} s)", flush=True
        )
        floor = ffmpeg_floor(case)
        ts = run_timesync(case)
        ref = case.devices[0]
        for dev in case.devices[1:]:
            ans = ts["answers"].get(Path(dev.path).name) if ts["rc"] in (0, 1) else None
            sc = score(case, dev, ans)
            if sc["verdict"] == "CONFIDENT WRONG":
                wrong += 1
            if sc.get("err_ms") is not None:
                ts_errors.append(sc["err_ms"])
                if ans and case.name in ("reverb_10min",):
                    drift_errors.append(sc["drift_err_ppm"])
            rows.append(
                (case.name, dev.name, "timesync", sc, ts["seconds"], ts["peak_mb"], ts["rc"])
            )
        summary.append((case.name, case.what, ts["seconds"], floor["seconds"], ts["peak_mb"]))
        if case.peers and env is not None:
            for tool in PEER_CODE:
                pr = run_peer(tool, case, ref, case.devices[1], env, py)
                sc = (
                    score(case, case.devices[1], pr["answer"])
                    if pr["rc"] == 0
                    else {"verdict": f"failed ({pr['rc']})"}
                )
                rows.append(
                    (
                        case.name,
                        case.devices[1].name,
                        tool,
                        sc,
                        pr["seconds"],
                        pr["peak_mb"],
                        pr["rc"],
                    )
                )
                if pr["rc"] not in (0,):
                    print(
                        f"   {tool}: {pr['rc']} {pr['stderr'].strip().splitlines()[-1:] if pr['stderr'] else ''}"
                    )
        for r in rows[-(len(case.devices) - 1 + (len(PEER_CODE) if case.peers and env else 0)) :]:
            print(
                f"   {r[2]:<22} {r[1]:<10} err {fmt(r[3].get('err_ms'), '.3f'):>9} ms  {r[4]:7.1f} s  {r[5]:6.0f} MB  {r[3]['verdict']}"
            )
        print(
            f"   ffmpeg decode floor {floor['seconds']:.1f} s; timesync {ts['seconds']:.1f} s",
            flush=True,
        )
    text = report(rows, summary, ts_errors, drift_errors, wrong, py if env is None else "installed")
    print(text)
    if not wanted:
        write_block(START, END, text)
    return 0


SPEED_START, SPEED_END = "<!-- audio-speed:start -->", "<!-- audio-speed:end -->"


def speed_runs(n: int) -> int:
    """Time ``timesync sync`` and the ffmpeg floor on the 60-minute case ``n`` times each,
    alternating, and report medians: one run of each is at the mercy of other load."""
    (case,) = [c for c in cases(False) if c.name == "three_60min"]
    build(case)
    load = os.getloadavg()[0]
    ts_s, floor_s = [], []
    for k in range(n):
        floor_s.append(ffmpeg_floor(case, sample_memory=False)["seconds"])
        ts = run_timesync(case, sample_memory=False)
        if ts["rc"] not in (0, 1):
            print(f"bench_audio: timesync failed ({ts['rc']})")
            return 1
        ts_s.append(ts["seconds"])
        print(f"   run {k + 1}: timesync {ts_s[-1]:.2f} s, floor {floor_s[-1]:.2f} s", flush=True)
    peak = run_timesync(case)["peak_mb"]  # one more run, its memory sampled
    med_ts, med_floor = float(np.median(ts_s)), float(np.median(floor_s))
    text = "\n".join([
        "### Audio alignment speed (60-minute case, repeated)",
        "",
        f"`python bench/bench_audio.py --speed {n}`: `timesync sync` (audio only) on the three "
        f"60-minute recordings and ffmpeg's bare decode of the same three files, {n} times each, "
        f"alternating, timed without sampling memory (that costs CPU); load average {load:.1f} at "
        f"the start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores.",
        "",
        "| | runs (s) | median s |",
        "|---|---|---:|",
        f"| timesync sync | {', '.join(f'{x:.1f}' for x in ts_s)} | {med_ts:.1f} |",
        f"| ffmpeg decode floor | {', '.join(f'{x:.1f}' for x in floor_s)} | {med_floor:.1f} |",
        "",
        f"Median ratio **{med_ts / med_floor:.2f}x** the floor (target 1.5x); peak memory "
        f"{peak:.0f} MB (PSS over the process tree, from one more run).",
    ])
    print(text)
    write_block(SPEED_START, SPEED_END, text)
    return 0


def report(rows, summary, ts_errors, drift_errors, wrong, peers_note) -> str:
    lines = [
        "## Audio alignment",
        "",
        "`python bench/bench_audio.py` (material: snippets of `../shared/media` speech, birds and impulses; "
        "truth exact by polyphase resampling). Error = |offset error| at the middle of the overlap. "
        f"'CONFIDENT WRONG' = an answer off by > {WRONG_S * 1e3:.0f} ms (or, for timesync, > 5 sigma and > 2 ms), "
        "or any answer on a pair with no common sound. Peers run with their defaults from `bench/.venv-peers`"
        f" ({peers_note}); each gets the reference and the first other source of a case, with a timeout of 60 s "
        "(90 s on the 60-minute case). Workarounds needed to run them pip-only: syncstart forces matplotlib's TkAgg "
        "(patched to Agg) and calls ffprobe (a PyAV shim answers the sample rate); audalign's pydub needs ffprobe "
        "for non-WAV input, so its runner decodes M4A to WAV with ffmpeg first (inside its timed run). Peers "
        "report no uncertainty and never refuse. Peak MB = the largest proportional set size (PSS) summed "
        "over the tool's process tree when it has worker processes (sampled every 0.1 s), else the kernel's peak RSS. "
        f"Load average when the run started: {LOAD_AT_START:.1f} on {os.cpu_count()} cores.",
        "",
        "| case | source | tool | error ms | sigma ms | drift err ppm | s | peak MB | verdict |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for case, dev, tool, sc, sec, mb, _rc in rows:
        lines.append(
            f"| {case} | {dev} | {tool} | {fmt(sc.get('err_ms'), '.3f')} | {fmt(sc.get('sigma_ms'), '.3f')} | "
            f"{fmt(sc.get('drift_err_ppm'), '.2f')} | {sec:.1f} | {mb:.0f} | {sc['verdict']} |"
        )
    lines += [
        "",
        "| case | what | timesync s | ffmpeg decode s | ratio | timesync peak MB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, what, ts, floor, mb in summary:
        lines.append(
            f"| {name} | {what} | {ts:.1f} | {floor:.1f} | {ts / max(floor, 1e-9):.2f} | {mb:.0f} |"
        )
    med = float(np.median(ts_errors)) if ts_errors else float("nan")
    lines += [
        "",
        f"timesync: median error {med:.4f} ms, worst {max(ts_errors, default=float('nan')):.4f} ms over "
        f"{len(ts_errors)} aligned sources; drift error over 10 min: "
        f"{', '.join(f'{d:.2f}' for d in drift_errors) or '-'} ppm; confident wrong answers: {wrong}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
