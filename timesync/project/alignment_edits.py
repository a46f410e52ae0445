"""The alignment edits of a :class:`~timesync.project.model.Project`: a new alignment, manual
anchors, positions, and corrected clocks.

A mixin: :class:`AlignmentEdits` holds the methods, the Project holds the state
(``_sources``, ``extra``) and records each change with ``_commit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project.rejections import rejected_again, rejection_reason
from timesync.project.schema import alignment_fields
from timesync.project.source import Source

__all__ = ["AlignmentEdits", "ROUGH_METHOD", "ACCEPTED_METHOD", "BY_HAND", "keeps_acceptance"]

#: The clock method of a source placed roughly by hand (dragged on the app's timeline).
ROUGH_METHOD = "manual, rough"
#: The clock method of a placement by device clocks only that the reviewer accepted (the app's
#: suggestions): its offset and uncertainty are the device clocks', the decision the reviewer's.
ACCEPTED_METHOD = "manual, accepted suggestion"
#: Clock methods of a reviewer's own placement: kept by a new alignment that cannot place the source.
BY_HAND = ("manual", ROUGH_METHOD, ACCEPTED_METHOD)


def keeps_acceptance(old: ClockMap | None, new: ClockMap | None) -> bool:
    """True when ``old`` is a placement by device clocks the reviewer accepted
    (:data:`ACCEPTED_METHOD`) and ``new`` is the same placement suggested again by device
    clocks only (offset within 1e-6 s, rate within 1e-9): the decision stands. A different
    placement is a new suggestion for the reviewer to decide on."""
    from timesync.align.device_clocks import UNVERIFIED

    return (old is not None and new is not None and old.method == ACCEPTED_METHOD
            and UNVERIFIED in (new.method or "") and abs(old.offset_s - new.offset_s) < 1e-6
            and abs(old.rate - new.rate) < 1e-9)


class AlignmentEdits:
    """Take an alignment, add and remove anchors, set positions, correct a clock."""

    def apply_alignment(self, result: Any, *, author: str | None = None) -> list[str]:
        """Take a new alignment of this project's sources, keeping everything else.

        ``result`` is a :class:`timesync.sync.SyncResult` or a dict of its form
        (a project dict works too, which is how an undo puts the previous
        alignment back). For each of its sources found here (by name, stored
        path, or absolute path), the clock, the reason it is not aligned, the
        constraints that placed it, the clock's sound-travel bound (``travel_bound_s``), its overlay clock and the file's warnings
        (when the entry has a ``warnings`` list) are replaced, so the clock and
        the evidence for it always agree; its ``provenance`` replaces
        the project's (``"provenance": None`` removes it); the aligners' notes
        on it (the entry's ``notes``) replace the old ones. A source placed by
        hand (clock method ``"manual"``, ``"manual, rough"`` from a drag, or an accepted
        suggestion: :data:`BY_HAND`)
        that the new alignment cannot place keeps its clock (and the new notes);
        one the new alignment places takes the new clock, but an accepted placement
        by device clocks that the same clocks suggest again stays accepted
        (:func:`keeps_acceptance`), and a placement by device clocks only that the reviewer
        rejected, suggested again, leaves the source not placed
        (:func:`timesync.project.rejections.rejected_again`). Annotations, roles and names are untouched. Each
        changed source is one history entry (action ``"alignment_applied"``)
        and emits ``clock_changed``.

        Returns
        -------
        list of str
            The names of the sources that changed.
        """
        data = result.to_dict() if hasattr(result, "to_dict") else result
        if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
            raise ProjectError("alignment: expected a sync result with a 'sources' list")
        who = author or self.author
        changed = []
        for entry in data["sources"]:
            old = self._find_source(str(entry.get("path", ""))) if isinstance(entry, dict) else None
            if old is None:
                continue
            fields = alignment_fields(entry)
            fields["extra"] = _with_notes(old.extra, entry.get("notes"))
            rejected = rejected_again(old.extra, fields["clock"])
            if rejected is not None:  # the reviewer said no to this very placement: it stays not placed
                fields.update(clock=None, reason=f"{rejection_reason(rejected)}; suggested again by this alignment")
            by_hand = fields["clock"] is None and old.clock is not None and old.clock.method in BY_HAND
            if by_hand or keeps_acceptance(old.clock, fields["clock"]):
                # a reviewer's own placement stays until evidence places the source (an accepted
                # placement by device clocks, until other evidence than the same clocks does)
                fields = {"extra": fields["extra"]}
            else:  # the new clock comes with its own sound-travel bound (or none)
                bound = entry.get("travel_bound_s") if fields["clock"] is not None else None
                fields["extra"] = _with_travel_bound(fields["extra"], bound)
            new = replace(old, **fields)
            if new == old:
                continue
            self._replace_source(old, new)
            self._commit("clock_changed", old.name, old.clock, new.clock, who, action="alignment_applied",
                         history_before=_alignment_summary(old), history_after=_alignment_summary(new))
            changed.append(old.name)
        provenance = data.get("provenance")
        if "provenance" in data and provenance != self.extra.get("provenance"):
            before = self.extra.get("provenance")
            if isinstance(provenance, dict):
                self.extra["provenance"] = provenance
            else:  # None: the alignment put back had no provenance
                self.extra.pop("provenance", None)
            self._commit("provenance_changed", "project", before, provenance, who, action="alignment_applied",
                         history_before=(before or {}).get("timesync_version"),
                         history_after=(provenance or {}).get("timesync_version"))
        return changed

    def add_anchor(self, anchor: dict[str, Any], *, author: str | None = None) -> dict[str, Any]:
        """Append a manual anchor (``Anchor.to_dict()``, sources named as in this project) to
        ``extra["anchors"]``; always one history entry (action ``"anchor_added"``, target
        ``"anchors"``, ``after`` the anchor and its number), whether or not a clock moves.
        Emits ``anchors_changed``. Returns the anchor as stored. Solving is the caller's
        (:func:`timesync.workflow.add_anchor`)."""
        for key in ("source", "other"):
            self.source(str(anchor.get(key)))
        stored = dict(anchor)
        before = list(self.extra.get("anchors") or [])
        self.extra["anchors"] = [*before, stored]
        self._commit("anchors_changed", "anchors", before, list(self.extra["anchors"]), author or self.author,
                     action="anchor_added", history_before=None,
                     history_after={"anchor": len(before) + 1, **stored})
        return stored

    def remove_anchor(self, number: int, *, author: str | None = None) -> dict[str, Any]:
        """Remove manual anchor ``number`` (1-based, as messages count them); one history entry
        (action ``"anchor_removed"``, ``before`` the anchor and its number). Returns the anchor."""
        before = list(self.extra.get("anchors") or [])
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(before):
            raise ProjectError(f"{self.label}: no anchor {number!r} (the project has {len(before)})")
        removed = before[number - 1]
        self.extra["anchors"] = before[: number - 1] + before[number:]
        self._commit("anchors_changed", "anchors", before, list(self.extra["anchors"]), author or self.author,
                     action="anchor_removed", history_before={"anchor": number, **removed}, history_after=None)
        return removed

    # -------------------------------------------------------------- positions
    def set_position(self, group: str, name: str, position: Sequence[float] | None, *,
                     author: str | None = None) -> tuple[float, ...] | None:
        """Set (or with ``None`` clear) a position, metres, local east/north/up
        (:mod:`timesync.project.positions`). ``group`` is ``"sources"`` (``name``
        a source, by name, path or unique file name) or ``"sounds"`` (a sound
        source such as ``"shooter"``). One history entry (``position_set``) when it changes.
        """
        from timesync.project.names import resolve_source
        from timesync.project.positions import GROUPS, checked_position, section

        if group not in GROUPS:
            raise ProjectError(f"{self.label}: positions are of {' or '.join(GROUPS)}, not {group!r}")
        if group == "sources":
            name = resolve_source(self, name)
        new = None if position is None else checked_position(position, name)
        data = section(self.extra)
        old = data[group].get(name)
        if (None if old is None else list(old)) == (None if new is None else list(new)):
            return new
        if new is None:
            data[group].pop(name, None)
        else:
            data[group][name] = list(new)
        self.extra["positions"] = data
        self._commit("positions_changed", f"positions.{group}.{name}", old, None if new is None else list(new),
                     author or self.author, action="position_set")
        return new

    def correct_clock(self, name: str, clock: ClockMap, travel_bound_s: float, reason: str, *,
                      constraints: Sequence[dict[str, Any]] | None = None, author: str | None = None) -> Source:
        """Replace a source's clock, its sound-travel bound (s) and (optionally) its stored
        constraints after a correction; one history entry (``clock_corrected``) with ``reason``."""
        old = self.source(name)
        extra = dict(old.extra)
        before = {"clock": None if old.clock is None else old.clock.to_dict(),
                  "travel_bound_s": extra.get("travel_bound_s")}
        extra["travel_bound_s"] = float(travel_bound_s)
        changes: dict[str, Any] = {"clock": clock, "reason": "", "extra": extra}
        if constraints is not None:
            changes["constraints"] = tuple(constraints)
        new = replace(old, **changes)
        self._replace_source(old, new)
        after = {"clock": clock.to_dict(), "travel_bound_s": float(travel_bound_s), "reason": reason}
        self._commit("clock_changed", old.name, old.clock, clock, author or self.author, action="clock_corrected",
                     history_before=before, history_after=after)
        return new


def _with_notes(extra: dict[str, Any], notes: Any) -> dict[str, Any]:
    """``extra`` with the aligners' ``notes`` of a new alignment (none: the key removed)."""
    out = {k: v for k, v in extra.items() if k != "notes"}
    if isinstance(notes, dict) and notes:
        out["notes"] = {str(k): str(v) for k, v in notes.items()}
    return out


def _with_travel_bound(extra: dict[str, Any], bound: Any) -> dict[str, Any]:
    """``extra`` with the sound-travel bound (s) of a new clock: a stale bound of the old clock never
    stays with the new one (none given: the key removed)."""
    out = {k: v for k, v in extra.items() if k != "travel_bound_s"}
    if isinstance(bound, (int, float)) and not isinstance(bound, bool) and bound > 0:
        out["travel_bound_s"] = float(bound)
    return out


def _alignment_summary(source: Source) -> dict[str, Any]:
    """What the history records of a source's alignment."""
    return {
        "clock": None if source.clock is None else source.clock.to_dict(),
        "reason": source.reason,
        "constraints": len(source.constraints),
        "methods": sorted({str(c.get("kind", "")) for c in source.constraints}),
    }

