"""Rejected suggestions: a reviewer's "no" to a placement by device clocks only, kept as project data.

A placement that rests on device clocks only (its clock's method says
:data:`~timesync.align.device_clocks.UNVERIFIED`) is a suggestion: the app
offers it, dashed, for the reviewer to accept, refine by a tie, or reject
(issue 19). A rejection is stored on the source (``Source.extra["rejected_suggestions"]``,
a list of records, so it follows a rename and is saved with the project) and
is in the history (action ``"suggestion_rejected"``, who and when). A later
alignment that suggests the same placement again leaves the source not placed
(:func:`rejected_again`, used by ``Project.apply_alignment``); a clearly
different one (another offset or rate) is a new suggestion, offered again.

"The same" (:func:`same_suggestion`): offsets within :data:`SAME_OFFSET_S` and
rates within :data:`SAME_RATE`. Device clocks tell whole seconds (creation_time
tags, burned-in clocks), so a placement that moved by less than a second is the
same reading (a re-run, another solve of the same tags); one a second or more
away rests on another reading (another tag, a corrected zone) and is offered.

Sign convention: a clock maps local to shared seconds,
``shared = offset_s + rate * local`` (:class:`~timesync.clock.ClockMap`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from timesync.clock import ClockMap
from timesync.errors import ProjectError

__all__ = ["RejectionEdits", "REJECTED_KEY", "SAME_OFFSET_S", "SAME_RATE", "same_suggestion", "rejected_again",
           "rejection_reason"]

#: The key of a source's ``extra`` that holds its rejected suggestions.
REJECTED_KEY = "rejected_suggestions"
#: Two suggested offsets (s) closer than this are the same suggestion (see the module docstring).
SAME_OFFSET_S = 1.0
#: ... when their rates also differ by less than this (10 ppm).
SAME_RATE = 1e-5


def _unverified(clock: ClockMap | None) -> bool:
    from timesync.align.device_clocks import UNVERIFIED

    return clock is not None and UNVERIFIED in (clock.method or "")


def same_suggestion(record: dict[str, Any], clock: ClockMap) -> bool:
    """True when ``clock`` suggests the placement the rejection ``record`` said no to."""
    try:
        offset, rate = float(record["offset_s"]), float(record["rate"])
    except (KeyError, TypeError, ValueError):
        return False
    return abs(offset - clock.offset_s) < SAME_OFFSET_S and abs(rate - clock.rate) < SAME_RATE


def rejections(extra: dict[str, Any]) -> list[dict[str, Any]]:
    """The rejection records of a source's ``extra`` (a list, possibly empty)."""
    found = extra.get(REJECTED_KEY)
    return [dict(r) for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def rejected_again(extra: dict[str, Any], clock: ClockMap | None) -> dict[str, Any] | None:
    """The rejection ``clock`` repeats (a placement by device clocks only the reviewer
    rejected on this source, whose ``extra`` this is), or None."""
    if not _unverified(clock):
        return None
    return next((r for r in rejections(extra) if same_suggestion(r, clock)), None)


def rejection_reason(record: dict[str, Any]) -> str:
    """The not-placed reason of a source whose suggestion ``record`` was rejected."""
    by = f" ({record['by']})" if record.get("by") else ""
    return (f"the reviewer{by} rejected its placement by device clocks only ({record.get('method', '?')}, "
            f"offset {float(record.get('offset_s', 0.0)):+.3f} s)")


class RejectionEdits:
    """Reject a suggested placement, and take a rejection back (the Project's mixin)."""

    def reject_suggestion(self, name: str, *, author: str | None = None) -> dict[str, Any]:
        """Reject source ``name``'s placement by device clocks only: keep the rejection
        (history ``"suggestion_rejected"``), then leave the source not placed with the
        reason (history ``"clock_changed"``). Returns the record stored.

        ``ProjectError`` when the source's clock is not a placement by device clocks only.
        """
        old = self.source(name)
        clock = old.clock
        if not _unverified(clock):
            raise ProjectError(f"{self.label}: {old.name} is not placed by device clocks only; "
                               "there is no suggestion to reject")
        who = author or self.author
        record = {"kind": "device clocks", "method": clock.method, "offset_s": clock.offset_s, "rate": clock.rate,
                  "uncertainty_s": clock.uncertainty_s, "by": who, "at": self.now()}
        self._set_rejections(old.name, [*rejections(old.extra), record], who, "suggestion_rejected", None, record)
        self.set_source_clock(old.name, None, author=who, reason=rejection_reason(record))
        return record

    def withdraw_rejection(self, name: str, record: dict[str, Any], *, author: str | None = None) -> None:
        """Take back the rejection ``record`` of source ``name`` (an undo): a later alignment
        may offer that placement again. History ``"suggestion_rejection_withdrawn"``.
        Does not touch the clock (the caller puts it back)."""
        old = self.source(name)
        kept = rejections(old.extra)
        if record not in kept:
            raise ProjectError(f"{self.label}: {old.name} has no such rejected suggestion")
        kept.remove(record)
        self._set_rejections(old.name, kept, author or self.author, "suggestion_rejection_withdrawn", record, None)

    def _set_rejections(self, name: str, records: list[dict[str, Any]], who: str, action: str,
                        before: Any, after: Any) -> None:
        old = self.source(name)
        extra = {k: v for k, v in old.extra.items() if k != REJECTED_KEY}
        if records:
            extra[REJECTED_KEY] = records
        new = replace(old, extra=extra)
        self._replace_source(old, new)
        self._commit("source_changed", old.name, old, new, who, action=action,
                     history_before=before, history_after=after)
