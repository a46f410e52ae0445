"""``html``: a self-contained, printable event report.

The provenance block (tool version, every source's SHA-256, hash status, how it
was aligned and to what uncertainty), then for each event its times (shared
clock, wall clock when known) and a still from every source recording at that
moment (PNG, base64-embedded, longer side ``thumb_side`` px) captioned with the
source's local time and frame number, read exactly with
:class:`timesync.media.FrameReader`. Sources not recording (or not aligned, or
whose file is missing) say so. No scripts, no external resources.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from timesync.export.provenance import provenance, source_line
from timesync.project.locate import Location, locate, open_indexes
from timesync.project.wallclock import wall_clock_of
from timesync.timeutil import format_hms

if TYPE_CHECKING:
    from timesync.project import Annotation, Project

OPTIONS = ("thumb_side",)

CSS = """
body { font-family: sans-serif; font-size: 11pt; color: #111; margin: 1.5em; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.5em; border-bottom: 1px solid #999; }
table.prov { border-collapse: collapse; font-size: 9pt; }
table.prov td, table.prov th { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
.warn { color: #a00; font-weight: bold; }
.mono { font-family: monospace; word-break: break-all; }
.stills { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; border: 1px solid #ccc; padding: 4px; width: fit-content; }
figcaption { font-size: 9pt; }
.absent { display: flex; align-items: center; justify-content: center; background: #eee; color: #555; }
section.event { page-break-inside: avoid; break-inside: avoid; }
@media print { body { margin: 0; } }
"""


def _png_data_uri(image: Any) -> str:
    import cv2

    ok, buffer = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:  # pragma: no cover - OpenCV can always encode an RGB array
        raise ValueError("PNG encoding failed")
    return "data:image/png;base64," + base64.b64encode(buffer.tobytes()).decode("ascii")


def _provenance_html(project: Project) -> list[str]:
    record = provenance(project)
    out = [
        "<h2>Provenance</h2>",
        f"<p>timesync {escape(record['version'])}; project {escape(project.label)}; shared clock: local time of "
        f"{escape(str(project.reference or 'the reference'))}; <code>shared_s = offset_s + rate &times; local_s</code>; "
        "uncertainties are one standard deviation.</p>",
    ]
    wall = wall_clock_of(project)
    if wall is not None:
        out.append(f"<p>Wall clock: {escape(wall.basis)}.</p>")
    out.append("<table class='prov'><tr><th>source</th><th>role</th><th>SHA-256</th><th>hash</th>"
               "<th>method</th><th>offset (s)</th><th>rate</th><th>uncertainty (s)</th></tr>")
    for src in project.sources:
        clock = src.clock
        status = src.hash_status
        status_html = f"<span class='warn'>{escape(status.upper())}</span>" if status in ("changed", "missing") \
            else escape(status)
        cells = ["NOT ALIGNED: " + escape(src.reason or "no reason given"), "", "", ""] if clock is None else [
            escape(clock.method), f"{clock.offset_s:+.6f}", f"{clock.rate:.9f}", f"{clock.uncertainty_s:.6f}"]
        out.append(
            f"<tr><td>{escape(src.name)}<br><span class='mono'>{escape(src.path)}</span></td><td>{escape(src.role)}</td>"
            f"<td class='mono'>{escape(src.sha256 or 'none recorded')}</td><td>{status_html}</td>"
            + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        )
    out.append("</table>")
    out += [f"<p class='warn'>WARNING: {escape(w)}</p>" for w in record["warnings"]]
    out.append("<!-- " + escape(" | ".join(source_line(s) for s in project.sources)).replace("--", "- -") + " -->")
    return out


def _still(project: Project, where: Location, readers: dict[str, Any], thumb_side: int) -> str:
    name = escape(where.source)
    box = f"style='width:{thumb_side}px;height:{round(thumb_side * 9 / 16)}px'"
    if not where.recording:
        return f"<figure><div class='absent' {box}>{escape(where.status)}</div><figcaption>{name}</figcaption></figure>"
    local = format_hms(where.local_s or 0.0)
    reader = readers.get(where.source)
    if reader is None or where.frame is None:
        return (f"<figure><div class='absent' {box}>audio only</div>"
                f"<figcaption>{name}<br>local {local}</figcaption></figure>")
    image = reader.thumbnail(where.frame, max_side=thumb_side)
    return (f"<figure><img alt='{name} frame {where.frame}' src='{_png_data_uri(image)}'>"
            f"<figcaption>{name}<br>local {local} &middot; frame {where.frame}</figcaption></figure>")


def _event_html(project: Project, ann: Annotation, indexes: dict[str, Any], readers: dict[str, Any],
                thumb_side: int) -> list[str]:
    wall = wall_clock_of(project)
    span = format_hms(ann.shared_s) + ("" if ann.end_s is None else f" to {format_hms(ann.end_s)}")
    facts = [f"shared {span} ({ann.shared_s:.6f} s)"]
    if wall is not None:
        facts.append(f"wall clock {escape(wall.text(ann.shared_s))}")
    if ann.source:
        facts.append(f"observed in {escape(ann.source)}")
    facts.append(f"by {escape(ann.author or 'unknown')}, {escape(ann.created)}")
    out = ["<section class='event'>", f"<h2>{escape(ann.id)}: {escape(ann.type)}</h2>", f"<p>{'; '.join(facts)}</p>"]
    if ann.note:
        out.append(f"<p>{escape(ann.note)}</p>")
    out.append("<div class='stills'>")
    for src in project.sources:
        where = locate(ann.shared_s, src, indexes.get(src.name))
        out.append(_still(project, where, readers, thumb_side))
    out += ["</div>", "</section>"]
    return out


def render(project: Project, *, fmt: str = "html", thumb_side: int = 240,
           progress: Callable[[float, str], Any] | None = None, **_: Any) -> bytes:
    """The report as UTF-8 HTML bytes."""
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
        out += _provenance_html(project)
        annotations = project.annotations
        if not annotations:
            out.append("<p>No events.</p>")
        for i, ann in enumerate(annotations):
            out += _event_html(project, ann, indexes, readers, thumb_side)
            if progress is not None:
                progress((i + 1) / len(annotations), f"event {ann.id}")
        out.append("</body></html>")
    finally:
        for reader in readers.values():
            reader.close()
    return ("\n".join(out) + "\n").encode("utf-8")
