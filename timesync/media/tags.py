"""Metadata tags of a container and its streams: creation time, timecode, device."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["MediaTags", "collect_tags", "parse_datetime"]

# Keys are looked up lowercased, first match wins: container keys, then streams.
_CREATION_KEYS = ("creation_time", "com.apple.quicktime.creationdate", "date", "date_recorded")
_TIMECODE_KEYS = ("timecode",)
_MAKE_KEYS = ("com.apple.quicktime.make", "make", "manufacturer", "com.android.manufacturer")
_MODEL_KEYS = ("com.apple.quicktime.model", "model", "com.android.model")
_SERIAL_KEYS = (
    "com.apple.quicktime.serialnumber",
    "com.apple.quicktime.serial",
    "com.apple.proapps.serialno",
    "serial_number",
    "serialnumber",
    "serial",
)
_ENCODER_KEYS = ("encoder", "com.apple.quicktime.software", "software", "encoded_by")

_EXIF_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T]")
_COMPACT_ZONE = re.compile(r"([+-]\d{2})(\d{2})$")


@dataclass(frozen=True)
class MediaTags:
    """Tags that help place a recording in time or identify the device.

    Attributes
    ----------
    creation_time : datetime or None
        Parsed from ``creation_time`` (or Apple's ``creationdate``...);
        timezone-aware only when the tag carries a zone (``Z`` or ``+hh:mm``).
        Device clocks are often wrong by seconds or hours: a hint, not truth.
    timecode : str or None
        SMPTE timecode string as stored (``HH:MM:SS:FF`` or ``;FF``).
    make, model, serial, encoder : str or None
        Device maker, model, serial number and writing software, where present.
    raw : dict of str to str
        Every tag: container tags by their key, stream tags as
        ``"stream<index>:<key>"``.
    """

    creation_time: datetime | None = None
    timecode: str | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    encoder: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``creation_time`` as ISO 8601 (with zone when known)."""
        return {
            "creation_time": self.creation_time.isoformat() if self.creation_time else None,
            "timecode": self.timecode,
            "make": self.make,
            "model": self.model,
            "serial": self.serial,
            "encoder": self.encoder,
            "raw": dict(self.raw),
        }


def parse_datetime(text: str) -> datetime | None:
    """A tag's date-time, or None when it cannot be read.

    Accepts ISO 8601 (``2024-05-17T21:02:33.000000Z``, ``...-0700``,
    ``2024-05-17 21:02:33``) and EXIF style (``2024:05:17 21:02:33``). The
    result is timezone-aware only when the text carries a zone.
    """
    value = text.strip()
    if not value:
        return None
    value = _EXIF_DATE.sub(r"\1-\2-\3T", value)
    value = _COMPACT_ZONE.sub(r"\1:\2", value) if "T" in value or " " in value else value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _first(tables: list[dict[str, str]], keys: tuple[str, ...]) -> str | None:
    for table in tables:
        for key in keys:
            value = table.get(key)
            if value and value.strip():
                return value.strip()
    return None


def collect_tags(container, warnings: list[str], name: str) -> MediaTags:
    """Read the tags of ``container`` (format first, then each stream in order)."""
    fmt = {str(k).lower(): str(v) for k, v in container.metadata.items()}
    raw = {str(k): str(v) for k, v in container.metadata.items()}
    tables = [fmt]
    for stream in container.streams:
        table = {str(k).lower(): str(v) for k, v in stream.metadata.items()}
        tables.append(table)
        raw.update({f"stream{stream.index}:{k}": str(v) for k, v in stream.metadata.items()})
    created_text = _first(tables, _CREATION_KEYS)
    created = parse_datetime(created_text) if created_text else None
    if created_text and created is None:
        warnings.append(f"{name}: creation_time tag {created_text!r} could not be parsed")
    return MediaTags(
        creation_time=created,
        timecode=_first(tables, _TIMECODE_KEYS),
        make=_first(tables, _MAKE_KEYS),
        model=_first(tables, _MODEL_KEYS),
        serial=_first(tables, _SERIAL_KEYS),
        encoder=_first(tables, _ENCODER_KEYS),
        raw=raw,
    )
