"""``eaf``: an ELAN annotation document (EAF 3.0).

How ELAN links media (read in ELAN's own media players): a medium with
``TIME_ORIGIN`` o (ms) is played at media time ``t + o`` when the document is
at time t, document times are never negative, and a player cannot seek a
medium before its start. So a non-negative origin skips the medium's first
o ms (it started earlier than document time 0), and a negative one would ask
for media time before the medium's start: for document times before the
medium starts, ELAN would seek it to its first frame and play it from there,
out of step with the others. This export never writes a negative origin.

Time axis: the shared clock in milliseconds from ``zero_s`` (property
``timesync_elan_zero_shared_s``): ``elan_ms = round((shared_s - zero_s) * 1000)``.
``zero_s`` is at or before the earliest event (no annotation is negative) and
at or after the start of every aligned source that starts by then (each gets
``TIME_ORIGIN >= 0``); within that range it is the shared time nearest 0, so
ELAN's times are the shared clock's whenever they can be, else a whole
millisecond when one fits (ELAN's times are then the shared clock's less a
whole number of ms). An aligned source
that starts after the earliest event would need a negative origin: it is not
linked, and a ``timesync_not_linked_NN`` property says so, with its start on
ELAN's axis.

Media: every linked source is a ``MEDIA_DESCRIPTOR``; ``RELATIVE_MEDIA_URL``
is the file relative to the .eaf's own folder (``./media/cam.mp4``,
``../case/cam.mp4``), ``MEDIA_URL`` its absolute ``file://`` URL.
``TIME_ORIGIN`` is "the media time (ms) at document time 0": the source's
local time at ``zero_s`` (``ClockMap.to_local``), rounded to the nearest whole
millisecond (ELAN keeps whole ms: ``xsd:long``, read as an integer); the exact
value and the rounding are stated in the ``timesync_time_origin_NN`` header
properties. Annotation times are rounded the same way, so an annotation and a
linked medium's frame agree within 1 ms. ELAN cannot model drift (rate != 1):
the property states how far that source slides over its length; the exact
clocks are in the provenance properties.

Tiers: one per event type in use (in vocabulary order), linguistic type
``timesync-event`` tied to the controlled vocabulary ``timesync-event-types``
(every type of the project), each annotation's value its type; a child tier
``<type> notes`` (symbolic association) holds ``id [source] at shared
H:MM:SS.mmm: note``. A point event lasts one frame of the reference
(``round(1000 / fps)`` ms, 40 ms when the reference has no frame rate) so that
it can be seen and clicked; its exact shared time is the annotation's start.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timesync.export.provenance import media_paths, provenance_lines
from timesync.project.store import atomic_write_bytes
from timesync.timeutil import format_hms

if TYPE_CHECKING:
    from timesync.project import Annotation, Project, Source

#: Duration (ms) of a point event when the reference has no frame rate.
DEFAULT_POINT_MS = 40
CV_ID = "timesync-event-types"
LANG = "und"

_MIME = {".mp4": "video/mp4", ".mov": "video/quicktime", ".m4v": "video/mp4", ".mkv": "video/x-matroska",
         ".avi": "video/x-msvideo", ".wav": "audio/x-wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
         ".mts": "video/mp2t", ".ts": "video/mp2t", ".webm": "video/webm"}


def _ms(t_s: float) -> int:
    return round(t_s * 1000)


def _document_date(project: Project) -> str:
    """The time of the project's last change (deterministic: not the export time)."""
    history = project.history
    return history[-1].when if history else "1970-01-01T00:00:00Z"


def point_ms(project: Project) -> int:
    """How long (ms) a point event lasts in ELAN: one frame of the reference, else :data:`DEFAULT_POINT_MS`."""
    name = project.reference
    fps = (project.source(name).probe.get("video") or {}).get("fps") if name else None
    if isinstance(fps, int | float) and fps > 0:
        return max(1, round(1000 / fps))
    return DEFAULT_POINT_MS


def _property(header: ET.Element, name: str, text: str) -> None:
    ET.SubElement(header, "PROPERTY", {"NAME": name}).text = text


def elan_zero_s(project: Project) -> float:
    """The shared time (s) of ELAN's document time 0 (see the module docstring).

    At or before the earliest event; at or after the start (``to_shared(0)``)
    of every aligned source that starts by then; the value nearest 0 in that
    range, a whole millisecond when the range holds one.
    """
    events = [a.shared_s for a in project.annotations]
    latest = min(events) if events else float("inf")
    starts = [s.clock.to_shared(0.0) for s in project.sources if s.clock is not None]
    linked = [t for t in starts if t <= latest]
    low = max(linked) if linked else -float("inf")
    if math.isfinite(low):  # a whole millisecond when one fits: document ms = shared ms - an integer
        whole = math.ceil(low * 1000 - 1e-6) / 1000
        low = whole if whole <= latest else low
    return min(max(0.0, low), latest)


def _origin_ms(source: Source, zero_s: float) -> float:
    """The source's exact local time (ms) at document time 0: its unrounded ``TIME_ORIGIN``."""
    return source.clock.to_local(zero_s) * 1000


def _origin_line(source: Source, exact_ms: float) -> str:
    """The ``timesync_time_origin_NN`` sentence: exact and written origin, and the drift ELAN ignores."""
    line = (f"{source.name}: exact {exact_ms:.3f} ms, written {round(exact_ms)} ms "
            "(rounded to the nearest ms; ELAN keeps whole ms)")
    clock, length = source.clock, source.duration_s
    if clock.rate != 1.0 and length is not None:
        slide = abs(1.0 - clock.rate) * length * 1000
        line += (f"; drift {clock.drift_ppm:+.3f} ppm is not modelled by ELAN: its media time slides "
                 f"{slide:.1f} ms over the file")
    return line


def _header(root: ET.Element, project: Project, zero_s: float, folder: Path, point: int) -> None:
    header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    origins, unlinked = [], []
    for source in project.sources:
        if source.clock is None:
            continue
        exact_ms = _origin_ms(source, zero_s)
        if round(exact_ms) < 0:
            start_ms = round((source.clock.to_shared(0.0) - zero_s) * 1000)
            unlinked.append(f"{source.name}: not linked; it starts at document time {start_ms} ms, after the "
                            f"earliest event, so its TIME_ORIGIN would be {round(exact_ms)} ms (negative), and "
                            "ELAN plays a medium at document time + TIME_ORIGIN and cannot play one before its "
                            "start: it would run out of step")
            continue
        relative, absolute = media_paths(project, source, folder)
        ET.SubElement(header, "MEDIA_DESCRIPTOR", {
            "MEDIA_URL": Path(absolute).as_uri(),
            "MIME_TYPE": _MIME.get(Path(absolute).suffix.lower(), "video/*"),
            "RELATIVE_MEDIA_URL": relative if relative.startswith((".", "/")) else f"./{relative}",
            "TIME_ORIGIN": str(round(exact_ms)),
        })
        origins.append(_origin_line(source, exact_ms))
    for n, line in enumerate(provenance_lines(project), start=1):
        _property(header, f"timesync_provenance_{n:02d}", line)
    for n, line in enumerate(origins, start=1):
        _property(header, f"timesync_time_origin_{n:02d}", line)
    for n, line in enumerate(unlinked, start=1):
        _property(header, f"timesync_not_linked_{n:02d}", line)
    _property(header, "timesync_elan_zero_shared_s",
              f"{zero_s:.6f} (document time = shared time - this, in ms, rounded to the nearest ms)")
    _property(header, "timesync_point_event_ms",
              f"{point} (one frame of the reference; a point event's exact time is its start)")
    _property(header, "lastUsedAnnotationId", str(2 * len(project.annotations)))


def _tiers(root: ET.Element, project: Project, anns: tuple[Annotation, ...], slots: list[tuple[str, str]],
           cve: dict[str, str]) -> None:
    used = {a.type for a in anns}
    types = [t for t in dict.fromkeys(list(project.vocabulary) + [a.type for a in anns]) if t in used]
    for event_type in types:
        tier = ET.SubElement(root, "TIER", {"LINGUISTIC_TYPE_REF": "timesync-event", "TIER_ID": event_type})
        notes = ET.Element("TIER", {"LINGUISTIC_TYPE_REF": "timesync-note", "PARENT_REF": event_type,
                                    "TIER_ID": f"{event_type} notes"})
        for n, ann in enumerate(anns, start=1):
            if ann.type != event_type:
                continue
            item = ET.SubElement(ET.SubElement(tier, "ANNOTATION"), "ALIGNABLE_ANNOTATION", {
                "ANNOTATION_ID": f"a{n}", "CVE_REF": cve[ann.type],
                "TIME_SLOT_REF1": slots[n - 1][0], "TIME_SLOT_REF2": slots[n - 1][1]})
            ET.SubElement(item, "ANNOTATION_VALUE").text = ann.type
            ref = ET.SubElement(ET.SubElement(notes, "ANNOTATION"), "REF_ANNOTATION", {
                "ANNOTATION_ID": f"a{len(anns) + n}", "ANNOTATION_REF": f"a{n}"})
            where = f" [{ann.source}]" if ann.source else ""
            head = f"{ann.id}{where} at shared {format_hms(ann.shared_s)}"
            ET.SubElement(ref, "ANNOTATION_VALUE").text = f"{head}: {ann.note}" if ann.note else head
        root.append(notes)


def _vocabulary(root: ET.Element, project: Project, cve: dict[str, str]) -> None:
    ET.SubElement(root, "LINGUISTIC_TYPE", {
        "CONTROLLED_VOCABULARY_REF": CV_ID, "GRAPHIC_REFERENCES": "false",
        "LINGUISTIC_TYPE_ID": "timesync-event", "TIME_ALIGNABLE": "true"})
    ET.SubElement(root, "LINGUISTIC_TYPE", {
        "CONSTRAINTS": "Symbolic_Association", "GRAPHIC_REFERENCES": "false",
        "LINGUISTIC_TYPE_ID": "timesync-note", "TIME_ALIGNABLE": "false"})
    ET.SubElement(root, "LANGUAGE", {"LANG_DEF": "http://cdb.iso.org/lg/CDB-00130975-001", "LANG_ID": LANG,
                                     "LANG_LABEL": "undetermined (und)"})
    ET.SubElement(root, "CONSTRAINT", {
        "DESCRIPTION": "1-1 association with a parent annotation", "STEREOTYPE": "Symbolic_Association"})
    cv = ET.SubElement(root, "CONTROLLED_VOCABULARY", {"CV_ID": CV_ID})
    ET.SubElement(cv, "DESCRIPTION", {"LANG_REF": LANG}).text = f"event types of {project.label}"
    for event_type, ident in cve.items():
        entry = ET.SubElement(cv, "CV_ENTRY_ML", {"CVE_ID": ident})
        ET.SubElement(entry, "CVE_VALUE", {"DESCRIPTION": "", "LANG_REF": LANG}).text = event_type


def render(project: Project, *, fmt: str = "eaf", folder: Path | None = None, **_: Any) -> bytes:
    """ELAN 3.0 XML bytes (UTF-8); media paths relative to ``folder`` (default: the project's)."""
    folder = project.base_dir if folder is None else Path(folder)
    anns = project.annotations
    zero_s = elan_zero_s(project)
    point = point_ms(project)
    root = ET.Element("ANNOTATION_DOCUMENT", {
        "AUTHOR": "timesync", "DATE": _document_date(project), "FORMAT": "3.0", "VERSION": "3.0",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
    })
    _header(root, project, zero_s, folder, point)
    order = ET.SubElement(root, "TIME_ORDER")
    slots: list[tuple[str, str]] = []
    for n, ann in enumerate(anns, start=1):
        start = _ms(ann.shared_s - zero_s)
        end = _ms(ann.end_s - zero_s) if ann.end_s is not None else start + point
        end = max(end, start + 1)
        ids = (f"ts{2 * n - 1}", f"ts{2 * n}")
        ET.SubElement(order, "TIME_SLOT", {"TIME_SLOT_ID": ids[0], "TIME_VALUE": str(start)})
        ET.SubElement(order, "TIME_SLOT", {"TIME_SLOT_ID": ids[1], "TIME_VALUE": str(end)})
        slots.append(ids)
    types = list(dict.fromkeys(list(project.vocabulary) + [a.type for a in anns]))
    cve = {t: f"cveid{i}" for i, t in enumerate(types, start=1)}
    _tiers(root, project, anns, slots, cve)
    _vocabulary(root, project, cve)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write(project: Project, out: Path, *, fmt: str = "eaf",
          progress: Callable[[float, str], Any] | None = None, **_: Any) -> None:
    """Write :func:`render` for ``out``'s folder to ``out`` atomically."""
    atomic_write_bytes(out, render(project, folder=out.parent))
    if progress is not None:
        progress(1.0, f"wrote {out.name}")
