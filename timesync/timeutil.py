"""Explicit rounding between seconds and integer counts (samples, frames, ticks).

Never truncate a time with ``int()``: ``int(2.3 * 48000)`` is 110399. These
helpers round to the nearest integer on purpose (halves to even, as ``round``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

__all__ = ["seconds_to_samples", "seconds_to_pts", "pts_to_seconds", "format_hms", "epoch_seconds"]


def seconds_to_samples(t_s: float, sr: int) -> int:
    """Nearest sample index at ``t_s`` seconds for a sample rate ``sr`` (Hz)."""
    return round(t_s * sr)


def seconds_to_pts(t_s: float, time_base: Fraction) -> int:
    """Nearest integer PTS at ``t_s`` seconds in ``time_base`` units."""
    return round(Fraction(t_s) / time_base)


def pts_to_seconds(pts: int, time_base: Fraction) -> float:
    """Seconds of an integer PTS in ``time_base`` units."""
    return float(pts * time_base)


def format_hms(t_s: float, decimals: int = 3) -> str:
    """``[-]H:MM:SS.mmm`` for ``t_s`` seconds, rounded (not truncated) to ``decimals``."""
    sign = "-" if t_s < 0 else ""
    scale = 10**decimals
    total = round(abs(t_s) * scale)
    whole, frac = divmod(total, scale)
    hours, rem = divmod(whole, 3600)
    minutes, seconds = divmod(rem, 60)
    text = f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{frac:0{decimals}d}" if decimals else text


def epoch_seconds(value: datetime) -> float:
    """Seconds since 1970-01-01 UTC of a device clock's ``value``; a naive value counts as UTC.

    Device clocks (burned-in overlays, creation_time tags) often show no zone:
    only differences of these numbers are used, so the unknown zone cancels
    out as long as both values are naive or both are aware.
    """
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()
