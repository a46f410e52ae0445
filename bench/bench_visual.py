"""Visual and overlay alignment: accuracy against truth and overlay reading speed.

1. The sample incident (``sample_media/``, with ``truth.json``): each burned-in
   clock read against the truth (``at_local_zero``), the reading speed, every
   visual and audio-visual constraint's error, the helicopter placed by a solve
   over the non-audio evidence only, and each device's clock error relative to
   bodycam_A's once aligned (at the true alignment).
2. Cases built from ``../shared/media`` videos (bikes.mp4, carphone.mp4,
   tree.avi) in a temporary folder: a clock drawn with cv2.putText ticking at a
   known time and flashes brightening known parts of frame intervals, two clips
   per video at different frame rates and start times; flashes found per clip,
   and a third clip with flashes at unrelated times (must not match).
3. Simulated flash lists: at unrelated times in two videos, how often the
   matcher still pairs them (each such match is a wrong answer); at the same
   times, how often the match lies within 3 sigma of the truth.

Prints the figures and writes the "Visual and overlay alignment" section of
``bench/RESULTS.md`` between ``<!-- visual:start -->`` and ``<!-- visual:end -->``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from results_md import write_block  # noqa: E402

from tests.synth.clips import ClipSpec, write_clip  # noqa: E402
from timesync.align import audiovisual  # noqa: E402
from timesync.align.flashes import detect, pattern, visual  # noqa: E402
from timesync.align.overlay import read as overlay  # noqa: E402
from timesync.align.overlay.parse import reading_seconds  # noqa: E402
from timesync.align.overlay.read import parse_clock_value  # noqa: E402
from timesync.media import FrameIndex, probe  # noqa: E402

START, END = "<!-- visual:start -->", "<!-- visual:end -->"
#: Duration of the flashes drawn in the cases built from ../shared/media (s).
FLASH_S = 0.03


def _true_pair_offset(truth: dict, a: str, b: str, at_a: float) -> float:
    """True ``t_b - t_a`` at local ``at_a`` of a (project convention, both to the shared clock)."""
    ta, tb = truth[a], truth[b]
    shared = ta["offset_s"] + ta["rate"] * at_a
    return (shared - tb["offset_s"]) / tb["rate"] - at_a


def sample_incident(folder: Path) -> dict:
    from timesync.align.solve import solve
    from timesync.clock import ClockMap
    from timesync.sync import SourceResult, SyncResult
    from timesync.workflow import clock_errors

    truth = json.loads((folder / "truth.json").read_text())
    by_name = {s["path"]: s for s in truth["sources"]}
    sources = [SimpleNamespace(name=name, path=folder / name, info=probe(folder / name)) for name in by_name]
    overlay._ocr_engine()  # load the OCR model once, outside the timings
    rows, clocks = [], {}
    for src in sources:
        FrameIndex.open(src.path)
        started, cpu = time.perf_counter(), time.process_time()
        clock = overlay.read_overlay_clock(src.path, name=src.name)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        exact = by_name[src.name]["overlay_clock"]["at_local_zero_exact_utc"]
        true_zero = parse_clock_value(exact if clock.zone is not None else exact.rstrip("Z"))[0]
        err = None if clock.fit is None else clock.fit.at_zero - true_zero
        clocks[src.name] = clock
        rows.append({"source": src.name, "size": f"{src.info.video.width}x{src.info.video.height}",
                     "layout": clock.layout, "ticks": clock.fit.ticks if clock.fit else 0,
                     "error_ms": None if err is None else err * 1000,
                     "sigma_ms": clock.fit.uncertainty_s * 1000 if clock.fit else None,
                     "speed": src.info.duration_s / wall, "cpu_speed": src.info.duration_s / cpu,
                     "wall_s": wall, "note": clock.note})
    started = time.perf_counter()
    report = _flash_constraints(sources)
    visual_wall = time.perf_counter() - started
    cons = []
    for c in report.constraints:
        est = c.offset_s + (c.rate - 1) * c.at_source_s
        true = _true_pair_offset(by_name, c.source, c.other, c.at_source_s)
        cons.append({"kind": c.kind, "pair": f"{c.source} -> {c.other}", "error_ms": (est - true) * 1000,
                     "sigma_ms": c.uncertainty_s * 1000, "events": c.evidence["events_agreeing"]})
    # the helicopter through flashes and heard shots only (no shared audio, no overlay, no metadata)
    names = list(by_name)
    sol = solve(names, report.constraints, "bodycam_A.mp4",
                durations={s.name: s.info.duration_s for s in sources})
    heli = sol.clocks.get("helicopter.mp4")
    heli_err = None
    if heli is not None:
        mid = by_name["helicopter.mp4"]["duration_s"] / 2
        t = by_name["helicopter.mp4"]
        heli_err = (heli.to_shared(mid) - (t["offset_s"] + t["rate"] * mid)) * 1000
    # clock errors once aligned (at the true alignment), relative to bodycam_A's clock
    result = SyncResult("bodycam_A.mp4", [
        SourceResult(name=n, sha256=None, aligned=True, clock=ClockMap(by_name[n]["offset_s"], by_name[n]["rate"]),
                     findings={"overlay_clock": clocks[n].finding()}) for n in names if clocks[n].fit])
    errs = []
    for finding in clock_errors(result):
        ta, tb = by_name[finding.relative_to], by_name[finding.source]
        true = tb["overlay_clock"]["error_s"] - ta["overlay_clock"]["error_s"]
        errs.append({"source": finding.source, "error_s": finding.error_s, "true_s": true,
                     "diff_ms": (finding.error_s - true) * 1000, "sentence": finding.sentence})
    return {"overlays": rows, "constraints": cons, "visual_wall_s": visual_wall,
            "helicopter_error_ms": heli_err, "helicopter_sigma_ms": heli.uncertainty_s * 1000 if heli else None,
            "clock_errors": errs, "duration_s": sum(s.info.duration_s for s in sources)}


def _flash_constraints(sources: list) -> SimpleNamespace:
    """The ``"visual"`` and ``"audio-visual"`` aligners' constraints (as ``timesync sync --methods visual``)."""
    return SimpleNamespace(constraints=visual.find_constraints(sources).constraints
                           + audiovisual.find_constraints(sources).constraints)


def shared_cases(media: Path, work: Path) -> list[dict]:
    rng = np.random.default_rng(11)
    unrelated_rng = np.random.default_rng(12)
    out = []
    for name, fps_a, fps_b in (("bikes.mp4", Fraction(25), Fraction(30000, 1001)),
                               ("carphone.mp4", Fraction(30000, 1001), Fraction(25)),
                               ("tree.avi", Fraction(15), Fraction(24))):
        if not (media / name).is_file():
            continue
        shots = np.sort(rng.uniform(0.6, 9.0, 8))
        b_start = float(rng.uniform(0.3, 1.2))
        clock_a = datetime(2024, 5, 17, 21, 2, 33) + timedelta(seconds=float(rng.uniform(0, 1)))
        clock_b = clock_a + timedelta(seconds=b_start + 3.85)  # B's clock 3.85 s ahead of A's
        a = ClipSpec(n_frames=int(10 * fps_a), fps=fps_a, size=(320, 240), clock_at_zero=clock_a,
                     clock_suffix="CAM-A", flashes=list(shots), flash_s=FLASH_S, impulses=list(shots),
                     background=media / name)
        b_shots = shots[shots > b_start + 0.05] - b_start
        b = ClipSpec(n_frames=int(9 * fps_b), fps=fps_b, size=(320, 240), clock_at_zero=clock_b,
                     clock_format="%d.%m.%Y %H:%M:%S", clock_at="bottom", flashes=list(b_shots),
                     flash_s=FLASH_S, flash_at=(0.35, 0.45), background=media / name)
        pa = write_clip(work / f"{Path(name).stem}_A.mkv", a)
        pb = write_clip(work / f"{Path(name).stem}_B.mp4", b)
        row = {"video": name, "fps": f"{float(fps_a):.3f}/{float(fps_b):.3f}"}
        for tag, path, zero in (("A", pa, clock_a), ("B", pb, clock_b)):
            clock = overlay.read_overlay_clock(path)
            row[f"overlay_{tag}_ms"] = None if clock.fit is None else \
                (clock.fit.at_zero - reading_seconds(zero)) * 1000
            row[f"overlay_{tag}_sigma_ms"] = None if clock.fit is None else clock.fit.uncertainty_s * 1000
            row[f"note_{tag}"] = clock.note
        srcs = [SimpleNamespace(name=str(p), path=p, info=probe(p)) for p in (pa, pb)]
        report = _flash_constraints(srcs)
        for c in report.constraints:
            if c.source == str(pa):
                row[f"{c.kind}_ms"] = (c.offset_s + b_start) * 1000
                row[f"{c.kind}_sigma_ms"] = c.uncertainty_s * 1000
                if c.kind == "visual":
                    row["visual_evidence"] = c.evidence
        events_a, events_b = detect.detect_flashes(pa), detect.detect_flashes(pb)
        if "visual_evidence" not in row:  # no clear match: what the best hypothesis was, and why it fell short
            row["visual_rejected"] = _best_rejected(str(pa), events_a, str(pb), events_b, b_start)
        row["flashes_A"] = _detections(events_a, shots, fps_a)
        row["flashes_B"] = _detections(events_b, b_shots, fps_b)
        # the same B with flashes at unrelated times: must give no clear match
        unrelated = np.sort(unrelated_rng.uniform(0.6, 9.0, 8))
        u = dataclasses.replace(b, flashes=list(unrelated[unrelated > 0.05]))
        pu = write_clip(work / f"{Path(name).stem}_U.mp4", u)
        constraint, _why = visual.visual_constraint(str(pa), events_a, str(pu), detect.detect_flashes(pu))
        row["unrelated"] = None if constraint is None else (constraint.offset_s * 1000, constraint.uncertainty_s * 1000)
        out.append(row)
    return out


def _best_rejected(name_a: str, events_a: list, name_b: str, events_b: list, b_start: float) -> dict | None:
    """The best visual hypothesis without the evidence margin (for the report only), or None."""
    kept = pattern.MIN_EVIDENCE_MARGIN
    pattern.MIN_EVIDENCE_MARGIN = -float("inf")
    try:
        constraint, _why = visual.visual_constraint(name_a, events_a, name_b, events_b)
    finally:
        pattern.MIN_EVIDENCE_MARGIN = kept
    if constraint is None:
        return None
    return {"error_ms": (constraint.offset_s + b_start) * 1000, "sigma_ms": constraint.uncertainty_s * 1000,
            **constraint.evidence}


def _detections(events: list, truth: np.ndarray, fps: Fraction) -> dict:
    """Distinct flashes an event lies on (within its uncertainty), events on none.

    Flashes whose lit frames touch (less than a flash and a frame apart) light
    one run of frames, seen as one event at the first one's onset: they count
    as one distinct flash. ``one_frame``: found events lit in one frame only
    (their onset known to that frame, not better).
    """
    frame_s = 1 / float(fps)
    distinct = [t for k, t in enumerate(truth) if k == 0 or t - truth[k - 1] >= FLASH_S + frame_s]
    onsets = np.array([e.onset_s(FLASH_S) for e in events])
    reach = np.array([(3 ** 0.5 if e.uniform else 3) * e.sigma_s + 0.002 for e in events])
    near = np.abs(onsets[:, None] - np.array(distinct)[None, :]) <= reach[:, None] if len(events) else \
        np.zeros((0, len(distinct)), bool)
    on_truth = near.any(axis=1)
    return {"found": int(near.any(axis=0).sum()), "distinct": len(distinct), "flashes": len(truth),
            "extra": int((~on_truth).sum()), "events": len(events),
            "one_frame": sum(1 for e, hit in zip(events, on_truth, strict=True) if hit and e.frames == 1)}


def _simulated_events(onsets: np.ndarray, fps: float, noise_s: float, rng) -> list:
    """The events a detector gives for FLASH_S flashes at ``onsets`` seen at ``fps``.

    Lit in one frame: onset known to the frame (uniform); over two: the
    boundary, and the energy split as the ratio, the boundary read with a
    normal error ``noise_s``.
    """
    frame = 1 / fps
    events = []
    for t in onsets:
        n = int(np.floor(t / frame))
        start, end = n * frame, (n + 1) * frame
        common = dict(frame=n, strength=100.0, cell=(0, 0), frame_s=frame)
        if t + FLASH_S <= end:
            events.append(detect.VisualEvent(boundary_s=start + frame / 2, ratio=0.5, sigma_s=frame / 12 ** 0.5,
                                             frames=1, uniform=True, **common))
        else:
            events.append(detect.VisualEvent(boundary_s=end + rng.normal(0, noise_s), ratio=(end - t) / FLASH_S,
                                             sigma_s=noise_s, frames=2, **common))
    return sorted(events, key=lambda e: e.boundary_s)


def chance_matches(trials: int = 300, seed: int = 3) -> list[dict]:
    """Simulated flash lists: unrelated (every match is wrong) and related (is the sigma honest?).

    Per trial: 10-s and 9-s videos at two of 15/24/25/29.97 fps with ``k``
    flashes each plus ``extra`` more (brightenings the other video did not
    see), the B list 0.3-1.2 s later; unrelated: B's flashes at other random
    times; related: the same flashes.
    """
    rng = np.random.default_rng(seed)
    out = []
    for k, extra in ((4, 1), (6, 3), (8, 0), (8, 6), (12, 3)):
        row = {"flashes": k, "extra": extra, "trials": trials, "wrong": 0, "none": 0, "within": 0, "beyond": 0}
        for related in (False, True):
            for _ in range(trials):
                fps_a, fps_b = rng.choice([15.0, 24.0, 25.0, 30000 / 1001], 2)
                shift = rng.uniform(0.3, 1.2)
                shots = np.sort(rng.uniform(0.6, 9.0, k))
                a = np.sort(np.append(shots, rng.uniform(0.6, 9.0, extra)))
                b = np.append(shots if related else rng.uniform(0.6, 9.0, k), rng.uniform(0.6, 9.0, extra)) - shift
                ev_a = _simulated_events(a, fps_a, 0.0007, rng)
                ev_b = _simulated_events(np.sort(b[b > 0.05]), fps_b, 0.0007, rng)
                if len(ev_b) < pattern.MIN_AGREEING:
                    continue
                constraint = visual.visual_constraint("a", ev_a, "b", ev_b)[0]
                if not related:
                    row["wrong"] += constraint is not None
                elif constraint is None:
                    row["none"] += 1
                else:  # t_b = t_a - shift
                    row["within" if abs(constraint.offset_s + shift) <= 3 * constraint.uncertainty_s else "beyond"] += 1
        out.append(row)
    return out


FLASH_START, FLASH_END = "<!-- visual-flashes:start -->", "<!-- visual-flashes:end -->"


def real_flash_pairs(folder: Path, seeds: range = range(40)) -> list[dict]:
    """Pairs of cameras of a real video with 3-5 lights each (tests/flashes_real_media.py), one per seed.

    Per pair: placed (the visual constraint within half a frame of the slower
    camera of the truth), refused (no constraint), or wrong (further off);
    confidently wrong: wrong by more than three of its own sigmas.
    """
    sys.path.insert(0, str(REPO / "tests"))
    import flashes_real_media as fm

    if not all((fm.MEDIA / v).is_file() for v in fm.VIDEOS):
        return []
    rows, events = [], []
    for seed in seeds:
        pair = fm.random_pair(seed, folder)
        ev_a, ev_b = detect.detect_flashes(pair.path_a), detect.detect_flashes(pair.path_b)
        half = 0.5 * max(float(np.median(np.diff(c.times))) for c in (pair.cam_a, pair.cam_b))
        found = None
        if min(len(ev_a), len(ev_b)) >= pattern.MIN_AGREEING:
            found = visual.visual_constraint("a", ev_a, "b", ev_b)[0]
        err = None if found is None else found.offset_s - pair.offset
        rows.append({"seed": seed, "video": pair.video, "looks": f"{pair.cam_a.look}/{pair.cam_b.look}",
                     "error_ms": None if err is None else err * 1000, "half_ms": half * 1000,
                     "placed": err is not None and abs(err) <= half,
                     "confidently_wrong": err is not None and abs(err) > max(half, 3 * found.uncertainty_s),
                     "events": (len(ev_a), len(ev_b)), "lights": len(pair.lights)})
        for p in (pair.path_a, pair.path_b):
            p.unlink()
        events.append((ev_a, ev_b))
    # unrelated: camera A of one seed against camera B of each of the next two (other videos)
    for k, row in enumerate(rows):
        row["unrelated_matched"] = sum(
            visual.visual_constraint("a", events[k][0], "b", events[(k + d) % len(rows)][1])[0] is not None
            for d in (1, 2) if min(len(events[k][0]), len(events[(k + d) % len(rows)][1])) >= pattern.MIN_AGREEING)
    return rows


def write_flash_section(rows: list[dict], label: str = "") -> str:
    lines = ["### Real-video flashes (tests/flashes_real_media.py)", "",
             f"`bench/bench_visual.py --flashes`, {datetime.now().date()}{label}. Two cameras of bikes.mp4, "
             "carphone.mp4 or tree.avi per seed (15-60 fps, 30 % variable frame rate, crops, sizes 160-320 wide; "
             "colour, dark, grey, thermal or low-resolution), 3-5 lights of 15-500 ms each (whole-frame gain, "
             "wash to white, Gaussian spot, light bar). No shared audio: flashes only. Placed = within half a "
             "frame of the slower camera; confidently wrong = off by more than that and 3 sigma. Parameters were "
             "set on even seeds; odd seeds are the held-out half. Unrelated = camera A of a seed against camera B "
             "of the next two seeds (another video, other lights): every match is wrong.", "",
             "| half | pairs | placed | refused | wrong | confidently wrong | unrelated: matched (wrong) |",
             "|---|---|---|---|---|---|---|"]
    if not rows:
        return "\n".join(lines[:3] + ["The real videos were absent: not measured.", ""])
    for name, parity in (("tuning (even seeds)", 0), ("held out (odd seeds)", 1)):
        part = [r for r in rows if r["seed"] % 2 == parity]
        placed = sum(r["placed"] for r in part)
        refused = sum(r["error_ms"] is None for r in part)
        wrong = len(part) - placed - refused
        lines.append(f"| {name} | {len(part)} | {placed} ({100 * placed / max(1, len(part)):.0f} %) | {refused} "
                     f"| {wrong} | {sum(r['confidently_wrong'] for r in part)} "
                     f"| {sum(r['unrelated_matched'] for r in part)} / {2 * len(part)} |")
    return "\n".join(lines + [""])


def _fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def write_section(sample: dict | None, cases: list[dict], chance: list[dict]) -> str:
    load = os.getloadavg()[0]
    lines = ["## Visual and overlay alignment", "",
             f"`bench/bench_visual.py`, {datetime.now().date()}, {platform.machine()}, 2 cores shared "
             f"(load average {load:.1f}), Python {platform.python_version()}.", ""]
    if sample:
        lines += ["### Sample incident (sample_media/)", "",
                  "Burned-in clocks (error of the value read at local 0 against truth; speed = seconds of video "
                  "per wall second, and per CPU second of the process (all its threads), which is what "
                  "a machine not shared would give at most; OCR model loaded, frame index cached):", "",
                  "| source | size | layout | ticks | error ms | sigma ms | speed (wall) | speed (CPU) |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in sample["overlays"]:
            lines.append(f"| {r['source']} | {r['size']} | {r['layout']} | {r['ticks']} | {_fmt(r['error_ms'])} "
                         f"| {_fmt(r['sigma_ms'])} | {_fmt(r['speed'], 1)}x | {_fmt(r['cpu_speed'], 1)}x |")
        lines += ["", "Constraints from flashes and heard shots (error of t_other - t_source against truth):", "",
                  "| kind | pair | events | error ms | sigma ms |", "|---|---|---|---|---|"]
        for c in sample["constraints"]:
            lines.append(f"| {c['kind']} | {c['pair']} | {c['events']} | {_fmt(c['error_ms'], 3)} "
                         f"| {_fmt(c['sigma_ms'], 3)} |")
        lines += ["", f"Helicopter placed by a solve over these constraints only (no shared audio): error "
                  f"{_fmt(sample['helicopter_error_ms'], 3)} ms at mid-recording, sigma "
                  f"{_fmt(sample['helicopter_sigma_ms'], 3)} ms (target: within 20 ms). Flash and impulse "
                  f"detection over all sources: {sample['visual_wall_s']:.1f} s for "
                  f"{sample['duration_s']:.0f} s of recordings.", "",
                  "Device clock errors relative to bodycam_A's clock, at the true alignment:", "",
                  "| source | found s | truth s | difference ms |", "|---|---|---|---|"]
        for e in sample["clock_errors"]:
            lines.append(f"| {e['source']} | {e['error_s']:+.3f} | {e['true_s']:+.3f} | {e['diff_ms']:+.1f} |")
        lines += ["", "Sentences: " + "; ".join(e["sentence"] for e in sample["clock_errors"]) + ".", ""]
    else:
        lines += ["The sample incident (sample_media/truth.json) was absent: not measured.", ""]
    if cases:
        lines += ["### Cases built from ../shared/media videos", "",
                  "Two 320x240 clips per video (A: clock top, flashes, shots in PCM audio; B: day-first clock "
                  "at the bottom, flashes elsewhere, a later start), 30-ms flashes at 8 random times. The video "
                  "plays at each clip's own frame rate, so its own brightenings (headlights, cuts) fall at "
                  "unrelated times in A and B.", "",
                  "Errors against truth in ms, (one sigma); visual = flashes of A against flashes of B, "
                  "audio-visual = shots heard in A against flashes seen in B; n/a = no clear match "
                  "(reported as such, not a guess).", "",
                  "| video | fps A/B | overlay A ms | overlay B ms | visual ms | audio-visual ms |",
                  "|---|---|---|---|---|---|"]
        for r in cases:
            lines.append(
                f"| {r['video']} | {r['fps']} | {_fmt(r['overlay_A_ms'])} ({_fmt(r['overlay_A_sigma_ms'])}) | "
                f"{_fmt(r['overlay_B_ms'])} ({_fmt(r['overlay_B_sigma_ms'])}) | "
                f"{_fmt(r.get('visual_ms'))} ({_fmt(r.get('visual_sigma_ms'))}) | "
                f"{_fmt(r.get('audio-visual_ms'))} ({_fmt(r.get('audio-visual_sigma_ms'))}) |")
        notes = [f"{r['video']} {k[-1]}: {r[k]}" for r in cases for k in ("note_A", "note_B") if r.get(k)]
        if notes:
            lines += ["", "Notes: " + "; ".join(notes) + "."]
        lines += ["", "Flash detection per clip (found/distinct = flashes an event lies on within its uncertainty, "
                  "of the flashes drawn in the clip counted as one where their lit frames touch (they light one "
                  "run of frames); extra = events on no true flash; one-frame = found "
                  "events lit in one frame only, whose onset is known to that frame, not better) and the visual "
                  "match (pairs agreeing; runner-up = pairs under the best other offset; chance = log10 of how "
                  "likely the pairs are as coincidences of unrelated events, needed at least "
                  f"{pattern.MIN_EVIDENCE_MARGIN:g} below the runner-up's); unrelated = A against a B with flashes "
                  "at unrelated times (must be no match):", "",
                  "| video | A found/distinct | A extra | A one-frame | B found/distinct | B extra | B one-frame "
                  "| pairs (runner-up) | chance log10 (runner-up) | unrelated |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in cases:
            fa, fb, ev = r["flashes_A"], r["flashes_B"], r.get("visual_evidence") or r.get("visual_rejected")
            match = "none | none" if ev is None else \
                f"{ev['events_agreeing']} ({ev['second_best']}) | {ev['chance_log10']:.1f} ({ev['second_chance_log10']:.1f})"
            if r.get("visual_rejected"):
                match += (f" not enough: the best offset ({r['visual_rejected']['error_ms']:+.1f} ms from the truth, "
                          f"sigma {r['visual_rejected']['sigma_ms']:.1f}) not reported")
            unrelated = "no match" if r["unrelated"] is None else \
                f"MATCHED {r['unrelated'][0]:.1f} ms ({r['unrelated'][1]:.1f})"
            lines.append(f"| {r['video']} | {fa['found']}/{fa['distinct']} | {fa['extra']} | {fa['one_frame']} | "
                         f"{fb['found']}/{fb['distinct']} | {fb['extra']} | {fb['one_frame']} | {match} | {unrelated} |")
        lines.append("")
    if chance:
        lines += ["### Simulated flash lists: chance matches and honest sigmas", "",
                  "Two videos (10 s and 9 s, two of 15/24/25/29.97 fps; 30-ms flashes lit in one frame, onset known "
                  "to the frame, or over two, boundary read to 0.7 ms) with flashes a video plus extra brightenings "
                  "seen in one video only. Unrelated: the second video's flashes at other random times, so every "
                  "match is a wrong answer. Related: the same flashes, the match against truth in its own sigma:",
                  "", "| flashes a video | extra a video | trials each | unrelated: matched (wrong) "
                  "| related: no match | within 3 sigma | beyond 3 sigma |", "|---|---|---|---|---|---|---|"]
        for c in chance:
            lines.append(f"| {c['flashes']} | {c['extra']} | {c['trials']} | {c['wrong']} | {c['none']} "
                         f"| {c['within']} | {c['beyond']} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    if "--flashes" in sys.argv:  # the real-video flash section only
        with tempfile.TemporaryDirectory(prefix="bench_flashes_") as tmp:
            count = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 40
            rows = real_flash_pairs(Path(tmp), range(count))
        for r in rows:
            print(r)
        section = write_flash_section(rows)
        print(section)
        if "--no-write" not in sys.argv:
            write_block(FLASH_START, FLASH_END, section)
        return 0
    sample_dir = REPO / "sample_media"
    if len(sys.argv) > 1:
        sample_dir = Path(sys.argv[1])
    sample = sample_incident(sample_dir) if (sample_dir / "truth.json").is_file() else None
    with tempfile.TemporaryDirectory(prefix="bench_visual_") as tmp:
        cases = shared_cases(REPO.parent / "shared" / "media", Path(tmp))
    section = write_section(sample, cases, chance_matches())
    print(section)
    write_block(START, END, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
