"""``html``: a self-contained, printable event report meant as a court exhibit.

In order:

1. a case block: case number, examiner and agency (``case``, ``examiner``,
   ``agency`` options; "not given" when absent), the project, the tool version
   and the time of the project's last change (never the export time, so a
   repeated export is byte-identical);
2. a summary table of every event: shared time, wall-clock time (when known),
   its uncertainty (one sigma, :func:`timesync.export.provenance.event_uncertainty`),
   apart its sound-travel bound (:func:`~timesync.export.provenance.event_travel_bound`),
   and what they rest on;
3. device clock findings: each device's burned-in clock compared with the
   reference's (:func:`timesync.workflow.clock_errors`), and the basis of
   the wall-clock times;
4. the provenance: every source's kind (its role, else what the probe found,
   :func:`timesync.export.provenance.source_kind`), file, SHA-256, hash status
   (CHANGED / MISSING in red), alignment method, offset, rate, uncertainty
   (one sigma, the statistics) and sound-travel bound (apart), with the stated
   assumption the bound rests on (:func:`~timesync.export.provenance.sound_travel`);
5. the manual ties (the project's anchors, :mod:`timesync.export.ties`): both
   sides with local time and frame number, uncertainty, residual on the
   project's clocks, who added it when; then the rejected suggestions
   (:func:`timesync.export.ties.rejection_records`), if any;
6. per event, a still from every source recording at that moment, at full
   resolution (PNG, base64-embedded; shown ``thumb_side`` CSS px wide, click to
   enlarge, click again to shrink: a checkbox, no script), captioned with the
   source's local time, frame number and PTS, read exactly with
   :class:`timesync.media.FrameReader`. Sources not recording (or not aligned,
   or whose file is missing) say so.

No scripts, no external resources. Print CSS: A4 pages, the summary table's
header repeated on each page, one event per page, stills never split.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

import timesync
from timesync.export.provenance import (
    event_travel_bound,
    event_uncertainty,
    sound_travel,
    source_kind,
    source_line,
    source_warnings,
    travel_bound,
)
from timesync.export.ties import anchor_records, rejection_records
from timesync.project.locate import Location, locate, open_indexes
from timesync.project.wallclock import wall_clock_of
from timesync.timeutil import format_hms

if TYPE_CHECKING:
    from timesync.project import Annotation, Project

CSS = """
body { font-family: "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; color: #111; margin: 1.5em; }
h1 { font-size: 16pt; margin-bottom: 0.2em; } h2 { font-size: 13pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; font-size: 9pt; margin: 0.4em 0; }
td, th { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.case th { width: 12em; }
thead { display: table-header-group; } tr { break-inside: avoid; page-break-inside: avoid; }
.warn { color: #a00; font-weight: bold; }
.mono { font-family: "Liberation Mono", monospace; word-break: break-all; font-size: 8pt; }
.stills { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; border: 1px solid #ccc; padding: 4px; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 8.5pt; }
.absent { display: flex; align-items: center; justify-content: center; background: #eee; color: #555; }
label.zoom { cursor: zoom-in; display: block; } label.zoom input { display: none; }
label.zoom img { display: block; height: auto; }
label.zoom input:checked + img { position: fixed; inset: 0; margin: auto; width: auto !important;
  max-width: 100vw; max-height: 100vh; z-index: 10; background: #000; cursor: zoom-out;
  box-shadow: 0 0 0 100vmax rgba(0, 0, 0, 0.85); }
p.hint { font-size: 8.5pt; color: #555; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { margin: 0; font-size: 9.5pt; } p.hint { display: none; }
  section.event { break-before: page; page-break-before: always; }
  h2 { break-after: avoid; page-break-after: avoid; }
  label.zoom input:checked + img { position: static; box-shadow: none; max-width: 100%; }
  img { max-width: 100%; }
}
"""


def _png_data_uri(image: Any) -> str:
    import cv2

    ok, buffer = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # pragma: no cover - OpenCV can always encode an RGB array
        raise ValueError("PNG encoding failed")
    return "data:image/png;base64," + base64.b64encode(buffer.tobytes()).decode("ascii")


def _case_html(project: Project, case: str | None, examiner: str | None, agency: str | None) -> list[str]:
    history = project.history
    rows = [("Case number", case), ("Examiner", examiner), ("Agency", agency), ("Project", project.label),
            ("Project as of", history[-1].when if history else "no recorded change"),
            ("Made with", f"timesync {timesync.__version__}"),
            ("Shared clock", f"the local time of {project.reference or 'the reference'}")]
    out = ["<table class='case'>"]
    for head, value in rows:
        cell = escape(value) if value else "<span class='warn'>not given</span>"
        out.append(f"<tr><th>{escape(head)}</th><td>{cell}</td></tr>")
    out.append("</table>")
    out += [f"<p class='warn'>WARNING: {escape(w)}</p>" for w in source_warnings(project)]
    return out


def _summary_html(project: Project) -> list[str]:
    wall = wall_clock_of(project)
    out = ["<h2>Summary of events</h2>", "<table class='summary'><thead><tr><th>event</th><th>type</th>"
           "<th>shared time</th><th>shared (s)</th><th>wall clock</th><th>uncertainty (s, 1&sigma;)</th>"
           "<th>sound-travel bound (s)</th><th>basis</th><th>observed in</th></tr></thead><tbody>"]
    for ann in project.annotations:
        sigma, basis = event_uncertainty(project, ann)
        bound = event_travel_bound(project, ann)
        span = format_hms(ann.shared_s) + ("" if ann.end_s is None else f" to {format_hms(ann.end_s)}")
        out.append(
            f"<tr><td><a href='#{escape(ann.id)}'>{escape(ann.id)}</a></td><td>{escape(ann.type)}</td>"
            f"<td class='num'>{span}</td><td class='num'>{ann.shared_s:.6f}</td>"
            f"<td class='num'>{escape(wall.text(ann.shared_s)) if wall else 'not known'}</td>"
            f"<td class='num'>{'unknown' if sigma is None else f'&plusmn;{sigma:.6f}'}</td>"
            f"<td class='num'>{_bound_text(bound)}</td>"
            f"<td>{escape(basis)}</td><td>{escape(ann.source or '')}</td></tr>")
    out.append("</tbody></table>")
    if not project.annotations:
        out.append("<p>No events.</p>")
    return out


def _clock_findings_html(project: Project) -> list[str]:
    from timesync.workflow import clock_errors

    out = ["<h2>Device clock findings</h2>"]
    findings = clock_errors(project)
    if findings:
        out.append("<p>Burned-in clocks, compared at the same moment on the shared clock "
                   "(a clock's error is not an error of the synchronization):</p><ul>")
        out += [f"<li>{escape(f.sentence)} (at shared {format_hms(f.at_shared_s)}).</li>" for f in findings]
        out.append("</ul>")
    else:
        out.append("<p>Fewer than two aligned sources show a burned-in clock that was read: no device "
                   "clock can be compared with another.</p>")
    wall = wall_clock_of(project)
    out.append(f"<p>Wall-clock times: {escape(wall.basis) if wall else 'not known (no wall clock recorded)'}"
               ".</p>")
    return out


def _provenance_html(project: Project) -> list[str]:
    out = [
        "<h2>Provenance</h2>",
        "<p><code>shared_s = offset_s + rate &times; local_s</code>; uncertainties are one standard "
        "deviation of the statistics (acoustic, visual, anchors). The sound-travel bound is apart: the "
        "largest error sound travel can cause, a bound, not a sigma; the true time is within the "
        "uncertainty (one sigma) plus the bound. A kind in italics is what the file's streams show (no "
        "role was recorded).</p>",
        f"<p class='travel'>Sound travel: {escape(sound_travel(project)['assumption'])}.</p>",
        "<table class='prov'><thead><tr><th>source</th><th>kind</th><th>SHA-256</th><th>hash</th><th>method</th>"
        "<th>offset (s)</th><th>rate</th><th>uncertainty (s, 1&sigma;)</th><th>sound-travel bound (s)</th>"
        "</tr></thead><tbody>",
    ]
    for src in project.sources:
        clock = src.clock
        status = src.hash_status
        status_html = f"<span class='warn'>{escape(status.upper())}</span>" if status in ("changed", "missing") \
            else escape(status)
        cells = ["NOT ALIGNED: " + escape(src.reason or "no reason given"), "", "", "", ""] if clock is None else [
            escape(clock.method), f"{clock.offset_s:+.6f}", f"{clock.rate:.9f}", f"{clock.uncertainty_s:.6f}",
            _bound_text(travel_bound(src, project.reference))]
        kind = escape(source_kind(src)) if src.role != "other" else f"<i>{escape(source_kind(src))}</i>"
        if src.name == project.reference:
            kind += "; reference"
        out.append(
            f"<tr><td>{escape(src.name)}<br><span class='mono'>{escape(src.path)}</span></td><td>{kind}</td>"
            f"<td class='mono'>{escape(src.sha256 or 'none recorded')}</td><td>{status_html}</td>"
            + "".join(f"<td class='num'>{c}</td>" if i else f"<td>{c}</td>" for i, c in enumerate(cells))
            + "</tr>")
    out.append("</tbody></table>")
    out.append("<!-- " + escape(" | ".join(source_line(s, project.reference) for s in project.sources)).replace("--", "- -") + " -->")
    return out


def _bound_text(bound: float | None) -> str:
    """A sound-travel bound for a table cell (s), or "not recorded"."""
    return "not recorded" if bound is None else f"&le;{bound:.6f}"


def _ties_html(project: Project, indexes: dict[str, Any]) -> list[str]:
    records = anchor_records(project, indexes)
    out = ["<h2>Manual ties</h2>"]
    if not records:
        return out + ["<p>None: no source was placed by hand.</p>"] + _rejections_html(project)
    out.append("<p>A tie says that a moment in one source is the same moment in another, as a person picked "
               "it; its uncertainty is one sigma (one frame at 30 fps unless stated). The residual is how far "
               "the tie is from the project's clocks (shared time of the second side minus the first's).</p>")
    out.append("<table class='ties'><thead><tr><th>tie</th><th>source</th><th>local (s)</th><th>frame</th>"
               "<th>= source</th><th>local (s)</th><th>frame</th><th>uncertainty (s, 1&sigma;)</th>"
               "<th>residual (s)</th><th>added</th></tr></thead><tbody>")
    for r in records:
        frames = ["audio" if f is None else str(f) for f in (r["source_frame"], r["other_frame"])]
        sigma = f"&plusmn;{r['sigma_s']:.6f}" + ("" if r["uncertainty_s"] is not None else " (default)")
        residual = "not aligned" if r["residual_s"] is None else \
            f"{r['residual_s']:+.6f} &plusmn; {r['residual_sigma_s']:.6f}"
        added = "not in the history" if not r["added_by"] else f"{escape(r['added_by'])}, {escape(r['added_at'])}"
        out.append(f"<tr><td>{r['number']}</td><td>{escape(r['source'])}</td><td class='num'>{r['source_s']:.6f}"
                   f"</td><td class='num'>{frames[0]}</td><td>{escape(r['other'])}</td>"
                   f"<td class='num'>{r['other_s']:.6f}</td><td class='num'>{frames[1]}</td>"
                   f"<td class='num'>{sigma}</td><td class='num'>{residual}</td><td>{added}</td></tr>")
    out.append("</tbody></table>")
    return out + _rejections_html(project)


def _rejections_html(project: Project) -> list[str]:
    """The rejected suggestions (placements by device clocks only a reviewer said no to), if any."""
    records = rejection_records(project)
    if not records:
        return []
    out = ["<h3>Rejected suggestions</h3>",
           "<p>A placement that rested on device clocks only, offered to the reviewer and rejected. "
           "A later alignment that suggests it again leaves the source not placed.</p>",
           "<table class='ties'><thead><tr><th>source</th><th>rejected offset (s)</th><th>method</th>"
           "<th>rejected</th><th>now</th></tr></thead><tbody>"]
    for r in records:
        offset = r["offset_s"]
        shown = f"{offset:+.6f}" if isinstance(offset, (int, float)) else "?"
        who = "not recorded" if not r["rejected_by"] else f"{escape(r['rejected_by'])}, {escape(r['rejected_at'] or '')}"
        out.append(f"<tr><td>{escape(r['source'])}</td><td class='num'>{shown}</td>"
                   f"<td>{escape(r['method'] or 'device clocks')}</td><td>{who}</td>"
                   f"<td>{'placed by other evidence' if r['placed_now'] else 'not placed'}</td></tr>")
    out.append("</tbody></table>")
    return out


def _still(project: Project, where: Location, readers: dict[str, Any], width: int, key: str) -> str:
    name = escape(where.source)
    box = f"style='width:{width}px;height:{round(width * 9 / 16)}px'"
    status = project.source(where.source).hash_status
    mark = f"<br><span class='warn'>file {status.upper()}</span>" if status in ("changed", "missing") else ""
    if not where.recording:
        return (f"<figure><div class='absent' {box}>{escape(where.status)}</div>"
                f"<figcaption>{name}{mark}</figcaption></figure>")
    local = format_hms(where.local_s or 0.0)
    reader = readers.get(where.source)
    if reader is None or where.frame is None:
        source = project.source(where.source)
        what = "file missing" if not project.resolve(source.name).is_file() else \
            "no picture" if source.has_video else "audio only"
        return (f"<figure><div class='absent' {box}>{what}</div>"
                f"<figcaption>{name}<br>local {local}{mark}</figcaption></figure>")
    image = reader.read(where.frame)
    height, full_w = image.shape[:2]
    return (f"<figure><label class='zoom' title='click to enlarge'><input type='checkbox' id='{key}'>"
            f"<img alt='{name} frame {where.frame}' style='width:{width}px' src='{_png_data_uri(image)}'></label>"
            f"<figcaption>{name}<br>local {local} &middot; frame {where.frame} &middot; PTS {where.frame_pts}"
            f"<br>{full_w}&times;{height} px{mark}</figcaption></figure>")


def _event_html(project: Project, ann: Annotation, indexes: dict[str, Any], readers: dict[str, Any],
                thumb_side: int) -> list[str]:
    wall = wall_clock_of(project)
    sigma, basis = event_uncertainty(project, ann)
    bound = event_travel_bound(project, ann)
    span = format_hms(ann.shared_s) + ("" if ann.end_s is None else f" to {format_hms(ann.end_s)}")
    facts = [f"shared {span} ({ann.shared_s:.6f} s)",
             "uncertainty unknown" if sigma is None else f"&plusmn;{sigma:.6f} s (1&sigma;, {escape(basis)})",
             "sound-travel bound not recorded" if bound is None else f"sound-travel bound &le;{bound:.6f} s"]
    if wall is not None:
        facts.append(f"wall clock {escape(wall.text(ann.shared_s))}")
    if ann.source:
        facts.append(f"observed in {escape(ann.source)}")
    facts.append(f"by {escape(ann.author or 'unknown')}, {escape(ann.created)}")
    out = [f"<section class='event' id='{escape(ann.id)}'>", f"<h2>{escape(ann.id)}: {escape(ann.type)}</h2>",
           f"<p>{'; '.join(facts)}</p>"]
    if ann.note:
        out.append(f"<p>{escape(ann.note)}</p>")
    out.append("<div class='stills'>")
    for n, src in enumerate(project.sources):
        where = locate(ann.shared_s, src, indexes.get(src.name))
        out.append(_still(project, where, readers, thumb_side, f"z-{escape(ann.id)}-{n}"))
    out += ["</div>", "</section>"]
    return out


def render(project: Project, *, fmt: str = "html", thumb_side: int = 320, case: str | None = None,
           examiner: str | None = None, agency: str | None = None,
           progress: Callable[[float, str], Any] | None = None, **_: Any) -> bytes:
    """The report as UTF-8 HTML bytes (``thumb_side``: CSS px width of each still on the page)."""
    from timesync.media import FrameReader

    indexes = open_indexes(project)
    readers: dict[str, Any] = {}
    try:
        for name, index in indexes.items():
            if index is not None:
                readers[name] = FrameReader(project.resolve(name), index=index)
        title = f"Event report: {escape(project.label)}"
        out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>", f"<title>{title}</title>",
               f"<style>{CSS}</style></head><body>", f"<h1>{title}</h1>"]
        out += _case_html(project, case, examiner, agency)
        out += _summary_html(project)
        out += _clock_findings_html(project)
        out += _provenance_html(project)
        out += _ties_html(project, indexes)
        annotations = project.annotations
        if annotations:
            out.append("<p class='hint'>Click a still to see it at full size; click again to shrink it.</p>")
        for i, ann in enumerate(annotations):
            out += _event_html(project, ann, indexes, readers, thumb_side)
            if progress is not None:
                progress((i + 1) / len(annotations), f"event {ann.id}")
        out.append("</body></html>")
    finally:
        for reader in readers.values():
            reader.close()
    return ("\n".join(out) + "\n").encode("utf-8")
