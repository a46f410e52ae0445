"""Manual ties (the project's ``anchors``) as the exports and the report list them.

A tie says "local ``source_s`` in ``source`` is the same moment as local
``other_s`` in ``other``" (:class:`timesync.align.anchors.Anchor`). Each is
listed with the frame shown at each side (from the source's frame index,
container PTS; ``None`` for audio or a missing file), its one-sigma
uncertainty (as stated, or the default of one frame at 30 fps), how far it is
from the project's clocks (as :func:`timesync.align.anchors.anchor_residual`), and
who added it when (the project history's ``anchor_added`` entry).

The reviewer's other decision is listed beside them: each rejected suggestion
(a placement by device clocks only that a person said no to,
:mod:`timesync.project.rejections`), with what was rejected, by whom and when,
and whether the source is placed now.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from timesync.project import Project

__all__ = ["anchor_records", "anchor_line", "rejection_records", "rejection_line"]


def _frame(index: Any | None, local_s: float) -> int | None:
    """Number of the frame shown at ``local_s`` (s), or ``None`` (no index, or outside the video)."""
    ref = None if index is None else index.frame_at(local_s)
    return None if ref is None else int(ref.number)


def _added(project: Project, stored: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(who, when)`` of the latest ``anchor_added`` history entry that recorded this anchor."""
    for entry in reversed(project.history):
        after = entry.after if isinstance(entry.after, dict) else None
        if entry.action == "anchor_added" and after is not None and \
                {k: v for k, v in after.items() if k != "anchor"} == stored:
            return entry.who, entry.when
    return None, None


def anchor_records(project: Project, indexes: dict[str, Any | None] | None = None) -> list[dict[str, Any]]:
    """Every manual tie of ``project``, in its order (``number`` from 1, as messages count them).

    Parameters
    ----------
    project : Project
        Its ``anchors`` (named by project source names).
    indexes : dict or None
        Frame indexes by source name (:func:`timesync.project.locate.open_indexes`);
        opened here when ``None`` and the project has ties.

    Returns
    -------
    list of dict
        ``number, source, source_s, source_frame, other, other_s, other_frame,
        uncertainty_s`` (as stated; ``None``: the default), ``sigma_s`` (the one
        sigma used, s), ``residual_s`` (shared time of the other side minus the
        source side's, on the project's clocks, s; ``None`` when a side is not
        aligned), ``residual_sigma_s``, ``added_by``, ``added_at``.
    """
    from timesync.project.locate import open_indexes
    from timesync.workflow import project_anchors

    anchors = project_anchors(project)
    if not anchors:
        return []
    indexes = open_indexes(project) if indexes is None else indexes
    clocks = {s.name: s.clock for s in project.sources}
    raw = list(project.extra.get("anchors") or [])
    out = []
    for number, (anchor, stored) in enumerate(zip(anchors, raw, strict=True), start=1):
        a, b = clocks.get(anchor.source), clocks.get(anchor.other)
        residual = None if a is None or b is None else (
            b.to_shared(anchor.other_s) - a.to_shared(anchor.source_s),
            math.sqrt(anchor.sigma_s**2 + a.uncertainty_s**2 + b.uncertainty_s**2))
        who, when = _added(project, stored)
        out.append({
            "number": number, "source": anchor.source, "source_s": anchor.source_s,
            "source_frame": _frame(indexes.get(anchor.source), anchor.source_s),
            "other": anchor.other, "other_s": anchor.other_s,
            "other_frame": _frame(indexes.get(anchor.other), anchor.other_s),
            "uncertainty_s": anchor.uncertainty_s, "sigma_s": anchor.sigma_s,
            "residual_s": None if residual is None else residual[0],
            "residual_sigma_s": None if residual is None else residual[1],
            "added_by": who, "added_at": when,
        })
    return out


def anchor_line(record: dict[str, Any]) -> str:
    """One tie as a sentence: both sides with frames, its sigma, its residual."""
    def side(name: str, local_s: float, frame: int | None) -> str:
        return f"{name} at {local_s:.6f} s" + ("" if frame is None else f" (frame {frame})")

    stated = "stated" if record["uncertainty_s"] is not None else "default, one frame at 30 fps"
    text = (f"tie {record['number']}: {side(record['source'], record['source_s'], record['source_frame'])} = "
            f"{side(record['other'], record['other_s'], record['other_frame'])}, "
            f"uncertainty {record['sigma_s']:.6f} s (1 sigma, {stated})")
    if record["residual_s"] is not None:
        text += f"; off the project's clocks by {record['residual_s']:+.6f} s"
    if record["added_by"]:
        text += f"; added by {record['added_by']} at {record['added_at']}"
    return text


def rejection_records(project: Project) -> list[dict[str, Any]]:
    """Every rejected suggestion of ``project``, source by source in project order, oldest first.

    Returns
    -------
    list of dict
        ``source, kind, method, offset_s`` (the rejected placement's offset, s;
        sign as :class:`~timesync.clock.ClockMap`), ``rate``, ``uncertainty_s``
        (its stated one sigma, s), ``rejected_by``, ``rejected_at``, and
        ``placed_now`` (whether the source has a clock today, from other evidence
        or a tie).
    """
    from timesync.project.rejections import rejections

    out = []
    for source in project.sources:
        for record in rejections(source.extra):
            out.append({
                "source": source.name, "kind": record.get("kind"), "method": record.get("method"),
                "offset_s": record.get("offset_s"), "rate": record.get("rate"),
                "uncertainty_s": record.get("uncertainty_s"), "rejected_by": record.get("by"),
                "rejected_at": record.get("at"), "placed_now": source.clock is not None,
            })
    return out


def rejection_line(record: dict[str, Any]) -> str:
    """One rejected suggestion as a sentence: what was offered, who said no, and the source's state now."""
    offset = record["offset_s"]
    offered = "?" if not isinstance(offset, (int, float)) else f"{offset:+.6f} s"
    text = f"rejected suggestion: {record['source']} at offset {offered} ({record['method'] or 'device clocks'})"
    if record["rejected_by"]:
        text += f", rejected by {record['rejected_by']} at {record['rejected_at']}"
    return text + ("; placed now by other evidence" if record["placed_now"] else "; not placed now")
