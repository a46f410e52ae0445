"""``python -m timesync.demo --out out/demo``: sync the sample incident and compare with its truth.

Runs the alignment (:func:`timesync.sync.sync`), detects shots
(:mod:`timesync.workflow_shots`), writes ``incident.json`` (the project JSON of
DESIGN.md) and the exports (csv, html, vtt, otio, eaf) into the output
folder, then prints a short summary: each source's offset and drift against
the truth (errors in ms and in sigmas) and the shots found against the true
ones. A step that fails on the input (alignment, shots, an export) is
reported as such, and the demo goes on.

It reads ``sample_media/`` (or ``--samples``) and never writes there. When no
sample incident exists, one is generated into ``OUT/media``. Exit status 0
unless the sample incident cannot be found or made (3).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timesync.clock import BurnedInClock, ClockMap
from timesync.errors import TimesyncError

__all__ = ["DemoReport", "run_demo", "compare_clocks", "compare_overlays", "match_shots", "format_summary", "main"]

REPO_SAMPLES = Path(__file__).resolve().parents[1] / "sample_media"
#: Exports written: format -> file name.
EXPORTS = {"csv": "incident.csv", "html": "incident.html", "vtt": "incident.vtt", "otio": "incident.otio", "eaf": "incident.eaf"}
#: A detected shot matches a true one within this (s) on the shared clock.
SHOT_MATCH_S = 0.010

Progress = Callable[[float, str], None]


@dataclass
class DemoReport:
    """What the demo did: files written, per-source comparison, shots, and what was missing."""

    out: Path
    project_path: Path | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    overlays: list[dict[str, Any]] = field(default_factory=list)
    shots: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (written as ``demo_report.json``)."""
        return {
            "project": str(self.project_path) if self.project_path else None,
            "sources": self.sources,
            "overlays": self.overlays,
            "shots": self.shots,
            "exports": self.exports,
            "unavailable": self.unavailable,
        }


def _stderr_progress(fraction: float, message: str) -> None:
    print(f"demo: {fraction:4.0%} {message}", file=sys.stderr, flush=True)


def _short(name: str) -> str:
    return Path(name).name


# -- comparisons with the truth ---------------------------------------------------------


def compare_clocks(found: dict[str, Any], truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Per source: found offset/rate vs true ones, errors in ms and sigmas.

    ``found`` is a project JSON dict; sources are matched by file name. The
    error is taken at the middle of each source (``shared`` found minus true),
    where a fitted clock is most precise.
    """
    by_name = {_short(s["path"]): s for s in found.get("sources", [])}
    rows = []
    for t in truth["sources"]:
        s = by_name.get(t["path"])
        row: dict[str, Any] = {"source": t["path"], "true_offset_s": t["offset_s"], "true_rate": t["rate"]}
        if s is None or not s.get("aligned") or s.get("offset_s") is None:
            row.update(aligned=False, reason=(s or {}).get("reason", "not in the project"))
            rows.append(row)
            continue
        mid = t["duration_s"] / 2
        rate = s.get("rate") or 1.0
        err = ClockMap(s["offset_s"], rate).to_shared(mid) - ClockMap(t["offset_s"], t["rate"]).to_shared(mid)
        sigma = s.get("uncertainty_s") or 0.0
        row.update(
            aligned=True,
            method=s.get("method"),
            offset_s=s["offset_s"],
            rate=rate,
            uncertainty_s=sigma,
            error_ms=err * 1e3,
            drift_error_ppm=(rate - t["rate"]) * 1e6,
            error_sigmas=abs(err) / sigma if sigma > 0 else (0.0 if err == 0 else math.inf),
        )
        rows.append(row)
    return rows


def _iso_seconds(text: str) -> float:
    """Seconds since the epoch of an ISO 8601 time (no zone read as UTC)."""
    from datetime import UTC, datetime

    dt = datetime.fromisoformat(text)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def compare_overlays(found: dict[str, Any], truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Per source whose burned-in clock was read: found vs true reading at local 0 (ms)."""
    by_name = {_short(s["path"]): s for s in found.get("sources", [])}
    rows = []
    for t in truth["sources"]:
        oc = BurnedInClock.from_dict((by_name.get(t["path"]) or {}).get("overlay_clock"))
        if oc is None:
            continue
        true_text = t["overlay_clock"]["at_local_zero_exact_utc"]
        err = _iso_seconds(oc.at_local_zero) - _iso_seconds(true_text)
        rows.append({
            "source": t["path"],
            "at_local_zero": oc.at_local_zero,
            "true_at_local_zero": t["overlay_clock"]["at_local_zero"],
            "error_ms": err * 1e3,
            "uncertainty_s": oc.uncertainty_s,
            "true_clock_error_s": t["overlay_clock"]["error_s"],
        })
    return rows


def match_shots(found_s: list[float], truth_s: list[float], within_s: float = SHOT_MATCH_S) -> dict[str, Any]:
    """Greedy nearest matching of found shot times to true ones (shared seconds)."""
    left = sorted(found_s)
    errors, missed = [], []
    for t in truth_s:
        best = min(left, key=lambda f: abs(f - t), default=None)
        if best is not None and abs(best - t) <= within_s:
            errors.append(best - t)
            left.remove(best)
        else:
            missed.append(t)
    return {
        "true": len(truth_s),
        "found": len(found_s),
        "matched": len(errors),
        "missed_shared_s": missed,
        "extra_shared_s": left,
        "mean_abs_error_ms": 1e3 * float(sum(abs(e) for e in errors) / len(errors)) if errors else None,
        "max_abs_error_ms": 1e3 * max((abs(e) for e in errors), default=0.0) if errors else None,
    }


# -- steps ------------------------------------------------------------------------------


def _samples_folder(samples: Path | None, out: Path) -> Path:
    folder = samples or REPO_SAMPLES
    if (folder / "truth.json").is_file():
        return folder
    if samples is not None:
        raise FileNotFoundError(f"{folder}: no truth.json: not a sample incident folder")
    from timesync.samples import generate

    media = out / "media"
    print(f"demo: {folder} has no sample incident; generating one into {media} (a few minutes)", file=sys.stderr)
    generate(media, verbose=True)
    return media


def _unaligned(paths: list[str], reference: str, reason: str) -> dict[str, Any]:
    """A project dict where only the reference is placed (no alignment ran)."""
    from timesync.project.schema import unaligned_document

    return unaligned_document(paths, reference, reason)


def _sync(paths: list[str], reference: str, report: DemoReport, progress: Progress,
          methods: list[str] | None = None) -> Any:
    """The SyncResult, or a project dict with only the reference placed when sync fails."""
    from timesync.sync import sync

    try:
        return sync(paths, reference=reference, progress=progress, methods=methods)
    except TimesyncError as exc:
        reason = f"alignment failed: {exc}"
    report.unavailable["alignment"] = reason
    return _unaligned(paths, reference, reason)


def _shots(project: Any, report: DemoReport, progress: Progress) -> list[float]:
    from timesync.workflow_shots import add_shots_to_project, detect_project_shots

    try:
        table = detect_project_shots(project, progress=progress)
    except TimesyncError as exc:
        report.unavailable["shots"] = f"shot detection failed: {exc}"
        return []
    add_shots_to_project(project, table)
    return [s.shared_s for s in table.shots if s.score >= 0.5]


def _exports(project: Any, out: Path, report: DemoReport) -> None:
    from timesync.errors import ExportError
    from timesync.export import FORMATS, export

    for fmt, name in EXPORTS.items():
        if fmt not in FORMATS:
            report.unavailable[f"export {fmt}"] = "unknown format"
            continue
        try:
            report.exports[fmt] = str(export(project, fmt, out / name, force=True))
        except ExportError as exc:
            report.unavailable[f"export {fmt}"] = str(exc)


def run_demo(
    out: Path | str,
    *,
    samples: Path | str | None = None,
    progress: Progress | None = None,
    methods: list[str] | None = None,
) -> DemoReport:
    """Sync the sample incident into folder ``out``; return what was done and how it compares.

    Parameters
    ----------
    out : path
        Output folder (created); must not be inside the samples folder.
    samples : path, optional
        A generated sample-incident folder (default: the repository's ``sample_media``).
    progress : callable(fraction, message), optional
    methods : list of str, optional
        Aligners to run (``"audio"``, ``"overlay"``...); all by default.
    """
    from timesync.project import Project
    from timesync.samples import load_truth

    out = Path(out).absolute()
    prog = progress or (lambda f, m: None)
    folder = _samples_folder(Path(samples) if samples else None, out).absolute()
    if out == folder or folder in out.parents:
        raise ValueError(f"{out}: the demo never writes into the sample folder {folder}")
    out.mkdir(parents=True, exist_ok=True)
    truth = load_truth(folder)
    report = DemoReport(out=out)
    paths = [os.path.relpath(folder / s["path"]) for s in truth["sources"]]
    reference = os.path.relpath(folder / truth["reference"])
    result = _sync(paths, reference, report, prog, methods)
    project_path = out / "incident.json"
    project = Project.from_sync_result(result, project_path=project_path)
    shot_times: list[float] = []
    if "alignment" not in report.unavailable:
        shot_times = _shots(project, report, prog)
    report.project_path = project.save(project_path)
    data = project.to_dict()
    _exports(project, out, report)
    report.sources = compare_clocks(data, truth)
    report.overlays = compare_overlays(data, truth)
    report.shots = match_shots(shot_times, [s["shared_s"] for s in truth["shots"]])
    (out / "demo_report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return report


def format_summary(report: DemoReport) -> str:
    """The human summary printed by the demo."""
    lines = [f"project: {report.project_path}", "", f"{'source':16s} {'offset s':>12s} {'true s':>12s} {'error ms':>9s} {'sigma ms':>9s} {'drift err ppm':>13s} {'|err|/sigma':>11s}  method"]
    for r in report.sources:
        if not r["aligned"]:
            lines.append(f"{r['source']:16s} {'—':>12s} {r['true_offset_s']:12.6f}   not aligned: {r.get('reason', '')}")
            continue
        lines.append(
            f"{r['source']:16s} {r['offset_s']:12.6f} {r['true_offset_s']:12.6f} {r['error_ms']:9.3f} "
            f"{r['uncertainty_s'] * 1e3:9.3f} {r['drift_error_ppm']:13.2f} {r['error_sigmas']:11.2f}  {r['method']}"
        )
    if report.overlays:
        lines.append("")
        lines.append("burned-in clocks (reading at local 0; true device-clock error in brackets):")
        for o in report.overlays:
            sigma = f" (sigma {o['uncertainty_s'] * 1e3:.1f} ms)" if o.get("uncertainty_s") is not None else ""
            lines.append(
                f"  {o['source']:16s} {o['at_local_zero']:26s} true {o['true_at_local_zero']:26s} "
                f"error {o['error_ms']:+.1f} ms{sigma}  [clock {o['true_clock_error_s']:+.2f} s]"
            )
    sh = report.shots
    lines.append("")
    if sh.get("found"):
        lines.append(
            f"shots: {sh['matched']}/{sh['true']} true shots found within {SHOT_MATCH_S * 1e3:.0f} ms "
            f"({sh['found']} detected; mean error {sh['mean_abs_error_ms'] or 0:.2f} ms, max {sh['max_abs_error_ms'] or 0:.2f} ms)"
        )
    else:
        lines.append(f"shots: none detected ({sh.get('true', 0)} true shots)")
    if report.exports:
        lines.append("exports: " + ", ".join(Path(p).name for p in report.exports.values()))
    for what, why in report.unavailable.items():
        lines.append(f"not available: {what}: {why}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; exit 0, or 3 when the sample incident cannot be found or made."""
    from timesync.commands.sync import aligner_names

    parser = argparse.ArgumentParser(prog="python -m timesync.demo", description="Sync the sample incident, write incident.json and exports, compare with its truth.")
    parser.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    parser.add_argument("--samples", default=None, help="sample incident folder (default: the repository's sample_media)")
    parser.add_argument("--methods", default=None, help=f"comma-separated aligners ({','.join(aligner_names())}); "
                        "all by default")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    try:
        report = run_demo(args.out, samples=args.samples, progress=None if args.quiet else _stderr_progress,
                          methods=methods)
    except (FileNotFoundError, ValueError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 3
    print(format_summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
