"""``eaf``: an ELAN annotation document.

ELAN's time axis is the shared clock in milliseconds, shifted so that no
annotation is negative: ``elan_ms = round((shared_s - origin_s) * 1000)`` with
``origin_s = min(0, earliest event)`` (0 in the usual case). Every source is
linked as a ``MEDIA_DESCRIPTOR`` whose ``TIME_ORIGIN`` follows ELAN's meaning,
"the media time (ms) at annotation time 0": ``TIME_ORIGIN = round(-offset_ms)``
for a source at ``shared = offset + local`` -- its offset in ms with ELAN's sign.
ELAN cannot model drift (rate != 1); the exact clock is in the header
properties. One tier per event type of the vocabulary (empty ones too, for
further annotation in ELAN); a point event lasts 1 ms.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from timesync.export.provenance import provenance_lines

if TYPE_CHECKING:
    from timesync.project import Project

OPTIONS: tuple[str, ...] = ()

_MIME = {".mp4": "video/mp4", ".mov": "video/quicktime", ".m4v": "video/mp4", ".mkv": "video/x-matroska",
         ".avi": "video/x-msvideo", ".wav": "audio/x-wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
         ".mts": "video/mp2t", ".ts": "video/mp2t", ".webm": "video/webm"}


def _ms(t_s: float) -> int:
    return round(t_s * 1000)


def _document_date(project: Project) -> str:
    """The time of the project's last change (deterministic: not the export time)."""
    history = project.history
    return history[-1].when if history else "1970-01-01T00:00:00Z"


def render(project: Project, *, fmt: str = "eaf", **_: Any) -> bytes:
    """ELAN 3.0 XML bytes (UTF-8)."""
    anns = project.annotations
    origin_s = min([0.0] + [a.shared_s for a in anns])
    root = ET.Element("ANNOTATION_DOCUMENT", {
        "AUTHOR": "timesync", "DATE": _document_date(project), "FORMAT": "3.0", "VERSION": "3.0",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
    })
    header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    for source in project.sources:
        if source.clock is None:
            continue
        path = project.resolve(source.name)
        ET.SubElement(header, "MEDIA_DESCRIPTOR", {
            "MEDIA_URL": path.as_uri(),
            "MIME_TYPE": _MIME.get(path.suffix.lower(), "video/*"),
            "RELATIVE_MEDIA_URL": source.path if source.path.startswith(".") else f"./{source.path}",
            "TIME_ORIGIN": str(_ms(source.clock.to_local(origin_s))),
        })
    for n, line in enumerate(provenance_lines(project), start=1):
        prop = ET.SubElement(header, "PROPERTY", {"NAME": f"timesync_provenance_{n:02d}"})
        prop.text = line
    prop = ET.SubElement(header, "PROPERTY", {"NAME": "timesync_elan_zero_shared_s"})
    prop.text = f"{origin_s:.6f}"
    prop = ET.SubElement(header, "PROPERTY", {"NAME": "lastUsedAnnotationId"})
    prop.text = str(len(anns))
    order = ET.SubElement(root, "TIME_ORDER")
    slots: list[tuple[str, str]] = []
    for n, ann in enumerate(anns, start=1):
        start = _ms(ann.shared_s - origin_s)
        end = _ms(ann.end_s - origin_s) if ann.end_s is not None else start + 1
        end = max(end, start + 1)
        ids = (f"ts{2 * n - 1}", f"ts{2 * n}")
        ET.SubElement(order, "TIME_SLOT", {"TIME_SLOT_ID": ids[0], "TIME_VALUE": str(start)})
        ET.SubElement(order, "TIME_SLOT", {"TIME_SLOT_ID": ids[1], "TIME_VALUE": str(end)})
        slots.append(ids)
    types = list(project.vocabulary) + [a.type for a in anns if a.type not in project.vocabulary]
    for event_type in dict.fromkeys(types):
        tier = ET.SubElement(root, "TIER", {"LINGUISTIC_TYPE_REF": "timesync-event", "TIER_ID": event_type})
        for n, ann in enumerate(anns, start=1):
            if ann.type != event_type:
                continue
            wrap = ET.SubElement(tier, "ANNOTATION")
            item = ET.SubElement(wrap, "ALIGNABLE_ANNOTATION", {
                "ANNOTATION_ID": f"a{n}", "TIME_SLOT_REF1": slots[n - 1][0], "TIME_SLOT_REF2": slots[n - 1][1],
            })
            value = ET.SubElement(item, "ANNOTATION_VALUE")
            where = f" [{ann.source}]" if ann.source else ""
            value.text = f"{ann.id}{where}: {ann.note}" if ann.note else f"{ann.id}{where}"
    ET.SubElement(root, "LINGUISTIC_TYPE", {
        "GRAPHIC_REFERENCES": "false", "LINGUISTIC_TYPE_ID": "timesync-event", "TIME_ALIGNABLE": "true",
    })
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
