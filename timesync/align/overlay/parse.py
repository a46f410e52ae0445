"""Parsing the text of a burned-in date/time overlay.

The OCR of an overlay line (``"2024-05-17 21:02:33  AXON-B1 X81234567"``) is
parsed into a :class:`ClockReading`: the wall-clock value it shows, the layout
it was written in, and the zone if one is shown. Supported layouts:

* dates ``YYYY-MM-DD`` (also with ``/`` or ``.``), ``MM/DD/YYYY``,
  ``DD/MM/YYYY``, ``DD.MM.YYYY``, ``DD-MM-YYYY``; two readings of ``NN/NN/YYYY``
  with both numbers <= 12 are ambiguous: :func:`resolve_date_order` settles the
  order from all readings of a file or reports it as ambiguous;
* times ``HH:MM:SS`` (24 h) or ``hh:mm:ss AM/PM`` (12 h), fractional seconds
  ``HH:MM:SS.fff`` where shown;
* a trailing zone ``Z``, ``UTC``, ``GMT``, ``+HH:MM``, ``-HHMM``;
* no date at all only as airborne overlays show it, ``HH:MM:SS.t Z`` (tenths and
  a zone, among latitude/longitude and altitude/heading text): dated 1970-01-01,
  its date left relative (:func:`has_date`).

Common OCR confusions inside the digits (``O`` for 0, ``l``/``I`` for 1...)
are mended only where the date/time pattern needs a digit. A field that lost a
digit is not mended but rejected: year-first dates and their 24-hour times,
and the dateless airborne times, are written with two digits per field
(``2022/2/14 2:27:15`` is a misread of ``2022/12/14 22:27:15`` or the like).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from timesync.timeutil import epoch_seconds

__all__ = ["ClockReading", "parse_clock_text", "resolve_date_order", "reading_seconds", "has_date", "whole_days"]

_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1",
                            "i": "1", "Z": "2", "S": "5", "s": "5", "B": "8", "G": "6", "g": "9"})
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                         "\u2212": "-", "\uff1a": ":", ";": ":"})

_D = r"[0-9OoDQIl|iSsBGgZ]"  # characters that may be a digit misread
_DATE_YMD = re.compile(rf"(?<![0-9])({_D}{{4}})\s?([-/.])\s?({_D}{{1,2}})\s?[-/.]\s?({_D}{{1,2}})(?![0-9])")
_DATE_XXY = re.compile(rf"(?<![0-9])({_D}{{1,2}})\s?([-/.])\s?({_D}{{1,2}})\s?[-/.]\s?({_D}{{4}})(?![0-9])")
_TIME = re.compile(
    rf"(?<![0-9])({_D}{{1,2}})\s?:\s?({_D}{{2}})\s?:\s?({_D}{{2}})"
    r"(?:[.,](\d{1,6}))?"
    r"(?:\s*([AaPp])\.?\s?[Mm]\.?)?"
    r"(?:\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})(?![0-9]))?"
)

#: A date and a time read without the space between them (``2024-11-0321:02:33``):
#: OCR drops narrow gaps; a two-digit day or a four-digit year then runs into the hour.
_GLUED = re.compile(r"((?<![0-9])[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{2}|(?<![0-9])[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4})"
                    r"([0-9]{1,2}\s?:\s?[0-9]{2}\s?:)")

#: A date followed by a time whose colons OCR dropped or read as dots (``2022/03/1418.3505``):
#: six digits right after a whole date are ``HH MM SS`` (each field is still range-checked).
_DATE_TIME_DIGITS = re.compile(r"((?<![0-9])[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{2}|(?<![0-9])[0-9]{1,2}[-/.][0-9]{1,2}"
                               r"[-/.][0-9]{4})\s?([0-9]{2})[.:]?([0-9]{2})[.:]?([0-9]{2})(?![0-9])")
#: A time whose second colon OCR dropped (``18:0450``): the minutes and seconds are two digits each.
_SECONDS_COLON = re.compile(r"([0-9]{1,2}:[0-9]{2})([0-9]{2})(?![0-9])")
#: Dateless (airborne) lines only: a dropped first colon (``1054:24.8Z``) and a ``Z`` read as 2 or 7
#: after the tenths (``10:54:24.82``).
_HOUR_COLON = re.compile(r"(?<![0-9])([0-9]{2})([0-9]{2}):([0-9]{2}[.,][0-9])")
_TENTHS_ZONE = re.compile(r"((?<![0-9])[0-9]{1,2}:[0-9]{2}:[0-9]{2}[.,][0-9])[27](?![0-9A-Za-z])")
#: Dateless (airborne) lines whose separators OCR read as dots, doubled or dropped, and whose ``Z`` it read
#: as ``2``, ``7`` or ``z`` (``07.533982``, ``01:.3941.22``, ``07:48.29.5z``, ``07:483412``): two digits an
#: hour, minute and second, one tenth and the zone, the hour's separator seen. Tried only when the line
#: does not read as it is; a wrong mend gives a value the ticks do not count, which the fit leaves out.
_AIRBORNE_LOOSE = re.compile(r"(?<![0-9])([0-9]{2})[.:]{1,2}([0-9]{2})[.:]{0,2}([0-9]{2})[.,]?([0-9OoDQ])[Zz27]"
                             r"(?![0-9A-Za-z])")


@dataclass(frozen=True)
class ClockReading:
    """One parsed overlay reading.

    Attributes
    ----------
    value : datetime
        The wall-clock value shown (naive when the overlay shows no zone,
        tz-aware otherwise), including fractional seconds when shown.
    layout : str
        The layout, e.g. ``"YYYY-MM-DD HH:MM:SS"`` or ``"MM/DD/YYYY hh:mm:ss AM Z"``.
    date_fields : tuple[int, int, int] or None
        The raw ``(first, second, year)`` numbers of an ``NN/NN/YYYY`` date,
        kept so that :func:`resolve_date_order` can settle day/month order.
    fraction_shown : bool
        True when the overlay shows fractional seconds.
    text : str
        The OCR text this was read from.
    short : tuple[bool, bool]
        Whether the date, and the hour, were read with a digit fewer than
        written (see :func:`parse_clock_text`, ``strict=False``).
    """

    value: datetime
    layout: str
    date_fields: tuple[int, int, int] | None
    fraction_shown: bool
    text: str
    short: tuple[bool, bool] = (False, False)


def _digits(text: str) -> str:
    return text.translate(_DIGIT_FIX)


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    body = text[1:].replace(":", "")
    hours, minutes = int(body[:2]), int(body[2:])
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _date(text: str) -> tuple[tuple[int, int, int], str, tuple[int, int, int] | None, bool] | None:
    """(year, month, day), layout, raw ambiguous fields, whether a field lost a digit; or None.

    Year-first dates are written ISO-like, two digits a field: one read with a
    one-digit month or day lost a digit (``2022/2/14`` for ``2022/12/14`` or ``2022/02/14``).
    """
    match = _DATE_YMD.search(text)
    if match:
        short = len(match[3]) != 2 or len(match[4]) != 2
        year, sep, month, day = int(_digits(match[1])), match[2], int(_digits(match[3])), int(_digits(match[4]))
        return (year, month, day), f"YYYY{sep}MM{sep}DD", None, short
    match = _DATE_XXY.search(text)
    if not match:
        return None
    first, sep, second, year = int(_digits(match[1])), match[2], int(_digits(match[3])), int(_digits(match[4]))
    if first > 12 >= second:
        return (year, second, first), f"DD{sep}MM{sep}YYYY", None, False
    if second > 12 >= first:
        return (year, first, second), f"MM{sep}DD{sep}YYYY", None, False
    # Both <= 12: the separator's custom decides for now ('/' US month first;
    # '.' and '-' day first); resolve_date_order may change it.
    if sep == "/":
        return (year, first, second), f"MM{sep}DD{sep}YYYY", (first, second, year), False
    return (year, second, first), f"DD{sep}MM{sep}YYYY", (first, second, year), False


def parse_clock_text(text: str, *, strict: bool = True) -> ClockReading | None:
    """Parse one OCR'd overlay line; None when it holds no valid date and time.

    Parameters
    ----------
    text : str
        The recognized text, possibly with other words (device id...).
    strict : bool
        True: a field read with a digit fewer than such overlays write (a one-digit
        month or day in a year-first date, a one-digit hour in its 24-hour time
        or in an airborne time) makes it no reading. False: such a reading is
        returned with ``short`` set, for the caller to check against the other
        readings of the file (a lost leading zero leaves the value right).

    Returns
    -------
    ClockReading or None
        None when no date or no time is found, or a field is out of range
        (month 13, minute 61...), which is how most misreads are rejected.
    """
    clean = _DATE_TIME_DIGITS.sub(r"\1 \2:\3:\4", text.translate(_DASHES).strip())
    clean = _GLUED.sub(r"\1 \2", _SECONDS_COLON.sub(r"\1:\2", clean))
    date = _date(clean)
    tmatch = _TIME.search(clean) if date is not None else _time_only(clean)
    if tmatch is None:
        return None
    # a 24-hour time after a year-first date, or an airborne one, is written HH
    short = (bool(date and date[3]), (date is None or date[1].startswith("YYYY")) and not tmatch[5]
             and len(tmatch[1]) != 2)
    if strict and any(short):
        return None
    (year, month, day), date_layout, ambiguous, _short = date or ((1970, 1, 1), "", None, False)
    hour, minute, second = (int(_digits(tmatch[i])) for i in (1, 2, 3))
    frac_text, ampm, zone_text = tmatch[4], tmatch[5], tmatch[6]
    time_layout = "HH:MM:SS"
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.upper() == "P" else 0)
        time_layout = "hh:mm:ss AM"
    micro = 0
    if frac_text:
        micro = round(int(frac_text) * 10 ** (6 - len(frac_text)))
        time_layout = time_layout.replace("SS", "SS." + "f" * len(frac_text)).replace(
            "ss", "ss." + "f" * len(frac_text))
    tz = _zone(zone_text)
    if zone_text and tz is None:
        return None
    try:
        value = datetime(year, month, day, hour, minute, second, min(micro, 999999), tzinfo=tz)
    except ValueError:
        return None
    if not 1970 <= year <= 2100:
        return None
    layout = f"{date_layout} {time_layout}".strip() + (f" {zone_text}" if zone_text else "")
    return ClockReading(value, layout, ambiguous, bool(frac_text), text, short)


def _time_only(clean: str) -> re.Match[str] | None:
    """The time of an overlay that shows no date: only ``HH:MM:SS.t`` with a zone (``Z``).

    Airborne overlays show the time with tenths and ``Z`` on a line of its own,
    latitude/longitude and altitude/heading on the lines around it; a bare
    ``HH:MM:SS`` (or a ``DD:MM:SS.s`` coordinate without a zone) is not taken
    for a clock. The reading is dated 1970-01-01 (:func:`has_date` is False):
    its date is left relative, and comparisons with another clock take the day
    nearest to that clock's (within 12 h).
    """
    clean = _TENTHS_ZONE.sub(r"\1Z", _HOUR_COLON.sub(r"\1:\2:\3", clean))
    for text in (clean, _AIRBORNE_LOOSE.sub(lambda m: f"{m[1]}:{m[2]}:{m[3]}.{_digits(m[4])}Z", clean)):
        for match in _TIME.finditer(text):
            if match[4] and match[6] and not match[5]:
                return match
    return None


def has_date(layout: str | None) -> bool:
    """True when an overlay ``layout`` shows a date (False: time of day only, date left relative)."""
    return bool(layout) and "YYYY" in layout


def resolve_date_order(readings: list[ClockReading]) -> tuple[list[ClockReading], str | None]:
    """Settle day/month order of ``NN/NN/YYYY`` readings from all readings of a file.

    If any reading of the same layout has a first number > 12, the layout is
    day-first; if any has a second number > 12, month-first. Otherwise the
    order stays the separator's custom and a sentence saying so is returned.

    Returns
    -------
    (readings, note)
        Readings rewritten to the settled order; ``note`` is None when the
        order is certain (or no date is ambiguous).
    """
    ambiguous = [r for r in readings if r.date_fields is not None]
    if not ambiguous:
        return readings, None
    day_first = any(r.layout.startswith("DD") and r.date_fields is None for r in readings)
    month_first = any(r.layout.startswith("MM") and r.date_fields is None for r in readings)
    if day_first == month_first:
        guess = ambiguous[0].layout.split(" ")[0]
        note = None if day_first else (
            f"day/month order of the overlay date is ambiguous; read as {guess}")
        if not day_first:
            return readings, note
        # both orders seen: readings disagree; keep each as parsed and report
        return readings, "overlay readings disagree on day/month order"
    out = []
    for r in readings:
        if r.date_fields is None:
            out.append(r)
            continue
        first, second, year = r.date_fields
        month, day = (second, first) if day_first else (first, second)
        sep = r.layout[2]
        date_layout = f"DD{sep}MM{sep}YYYY" if day_first else f"MM{sep}DD{sep}YYYY"
        try:
            value = r.value.replace(month=month, day=day)
        except ValueError:
            continue
        out.append(ClockReading(value, date_layout + r.layout[10:], None, r.fraction_shown, r.text, r.short))
    return out, None


def reading_seconds(value: datetime) -> float:
    """Seconds since 1970-01-01 of a reading's value (naive values count as UTC):
    :func:`timesync.timeutil.epoch_seconds`."""
    return epoch_seconds(value)


def whole_days(difference_s: float, dated: bool) -> float:
    """The whole days (s) to take off a difference of two clocks when one shows no date (0 when both do)."""
    return 0.0 if dated else 86400.0 * round(difference_s / 86400.0)
