"""Aligning a project: the one home of "sync, then adopt", the anchor re-solve and clock findings.

The CLI (``timesync sync``, ``timesync anchor``) and the app only parse their
input, call these functions and show the answer:

* :func:`align_project` runs :func:`timesync.sync.sync` over files or over a
  project's sources, with the project's manual anchors (``sync(anchors=)``,
  one solve), then makes a new project (:func:`fresh_project`: the project
  held nothing but its set-up) or takes the alignment into the project
  (:meth:`Project.apply_alignment`). The app splits it in two, because the
  sync runs in a worker: :func:`alignment_request` (what to sync, made on the
  GUI thread), :meth:`AlignmentRequest.run` (the worker), :func:`adopt` or
  :func:`fresh_project` (back on the GUI thread).
* :func:`resolve` solves a saved project's clocks again from the constraints
  stored in it plus every anchor (no media is read); :func:`add_anchor` records
  an anchor and re-solves.
* :func:`clock_errors` states each device clock's error once a
  :class:`~timesync.sync.SyncResult` is aligned (burned-in clocks).

Sign convention: ``shared = offset_s + rate * local`` (:class:`~timesync.clock.ClockMap`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from timesync.align.anchors import Anchor, anchor_constraints
from timesync.align.constraints import Constraint
from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project import Project
from timesync.project.alignment_edits import ROUGH_METHOD, keeps_acceptance
from timesync.project.names import resolve_source
from timesync.project.rejections import rejected_again

__all__ = [
    "Alignment",
    "AlignmentRequest",
    "Resolution",
    "align_project",
    "alignment_request",
    "rough_sources",
    "ROUGH_METHOD",
    "adopt",
    "fresh_project",
    "stored_constraints",
    "resolve",
    "add_anchor",
    "remove_anchor",
    "clock_errors",
]

Progress = Callable[[float, str], None]

#: History actions that only set a project up: a project with no others (and no
#: events) is replaced by the alignment's new project rather than changed.
SETUP_ACTIONS = frozenset({"source_added", "reference_changed", "source_role_changed"})


class Alignment:
    """What :func:`align_project` or :func:`adopt` did.

    Attributes
    ----------
    result : SyncResult or dict
        The sync's answer.
    project : Project
        The project holding the alignment. A new one when ``new_project``;
        made from ``result`` when first asked for (so a result whose sources
        no project can hold is still shown).
    new_project : bool
        True when the project is made from the result, False when the result
        was applied to the given project.
    changed : list[str]
        The sources whose alignment changed (every source of a new project).
    """

    def __init__(self, result: Any, project: Project | None, new_project: bool, changed: list[str],
                 project_path: str | os.PathLike[str] | None = None) -> None:
        self.result = result
        self.new_project = new_project
        self.changed = changed
        self._project = project
        self._project_path = project_path

    @property
    def project(self) -> Project:
        """The aligned project (see the class docstring)."""
        if self._project is None:
            self._project = Project.from_sync_result(self.result, project_path=self._project_path)
        return self._project


@dataclass(frozen=True)
class AlignmentRequest:
    """What to sync for a project: its files, its reference and its anchors as constraints.

    ``paths`` are absolute file paths (the sync's source names), ``reference``
    one of them or None, ``anchors`` the project's manual anchors named by those paths.
    ``rough`` names (by path) the sources placed roughly by hand whose searches are
    narrowed to near that placement, ``clocks`` the project's clocks by path
    (:func:`timesync.align.metadata.rough_search`).
    """

    paths: tuple[str, ...]
    reference: str | None = None
    anchors: tuple[Constraint, ...] = ()
    rough: tuple[str, ...] = ()
    clocks: tuple[tuple[str, ClockMap], ...] = ()
    max_distance_m: float | None = None

    def run(self, progress: Progress | None = None, methods: Iterable[str] | None = None) -> Any:
        """:func:`timesync.sync.sync` over the request (searches of a pair with a ``rough``
        source narrowed to near its placement); returns its ``SyncResult``."""
        from timesync.align.metadata import rough_search
        from timesync.sync import sync

        more = {} if self.max_distance_m is None else {"max_distance_m": self.max_distance_m}
        with rough_search(dict(self.clocks), self.rough):
            return sync(list(self.paths), reference=self.reference, progress=progress,
                        anchors=list(self.anchors), methods=methods, **more)


def rough_sources(project: Project) -> list[str]:
    """The project's sources placed roughly by hand (clock method :data:`ROUGH_METHOD`)."""
    return [s.name for s in project.sources if s.clock is not None and s.clock.method == ROUGH_METHOD]


def _narrowed(project: Project, near: Iterable[str] | None) -> list[str]:
    """The rough sources whose searches are narrowed: every one, or those of ``near``
    (each must be placed roughly: ``ProjectError`` otherwise)."""
    rough = rough_sources(project)
    if near is None:
        return rough
    wanted = [resolve_source(project, str(n)) for n in near]
    for name in wanted:
        if name not in rough:
            raise ProjectError(f"{project.label}: {name} is not placed roughly by hand (method "
                               f"{ROUGH_METHOD!r}), so there is no position to search near")
    return wanted


def alignment_request(project: Project, near: Iterable[str] | None = None) -> AlignmentRequest:
    """The sync to run for ``project``: every source's file, the reference, the anchors.

    Anchors naming a source the project no longer has are left out, and so
    are those an earlier anchor of their pair rules out
    (:func:`timesync.align.anchors.pair_conflicts`). The searches of each source
    placed roughly by hand (``near``: only of those named) are narrowed to near that
    placement, as creation_time tags narrow them (:func:`timesync.align.metadata.prior`).
    The sound-travel distance (``max_distance_m``) is the one the project's last
    alignment used, so a re-alignment states the same travel bound.
    """
    from timesync.align.anchors import pair_conflicts

    by_name = {s.name: str(project.resolve(s.name)) for s in project.sources}
    rough = tuple(by_name[n] for n in _narrowed(project, near))
    clocks = tuple((by_name[s.name], s.clock) for s in project.sources if s.clock is not None)
    stored = project_anchors(project)
    ruled_out = {c.index for c in pair_conflicts(stored)}
    anchors = []
    for i, anchor in enumerate(stored):
        if i not in ruled_out and anchor.source in by_name and anchor.other in by_name:
            anchors.append(Anchor(by_name[anchor.source], anchor.source_s, by_name[anchor.other],
                                  anchor.other_s, anchor.uncertainty_s))
    reference = by_name.get(project.reference) if project.reference else None
    return AlignmentRequest(tuple(by_name.values()), reference, tuple(anchor_constraints(anchors)),
                            rough if rough else (), clocks if rough else (), stored_max_distance(project))


def stored_max_distance(project: Project) -> float | None:
    """The ``max_distance_m`` (m) of the project's last alignment (its provenance), or None
    (none recorded, or not a finite distance >= 0: the default applies)."""
    provenance = project.extra.get("provenance")
    params = provenance.get("parameters") if isinstance(provenance, dict) else None
    value = params.get("max_distance_m") if isinstance(params, dict) else None
    try:
        distance = None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None
    return distance if distance is not None and math.isfinite(distance) and distance >= 0 else None


def fresh_project(project: Project, result: Any) -> Project | None:
    """A new project made from ``result`` when ``project`` holds only its set-up, else None.

    "Only its set-up": no events, no anchors, and a history of nothing but
    :data:`SETUP_ACTIONS`. The new project takes ``project``'s path and the
    roles set on its sources. None means: apply ``result`` to ``project``
    (:func:`adopt`, or the app's undoable command).
    """
    setup_only = all(h.action in SETUP_ACTIONS for h in project.history)
    if project.annotations or project.extra.get("anchors") or not setup_only:
        return None
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    fresh = Project.from_sync_result(data, project_path=project.path)
    for source in project.sources:  # the sync named the sources by their files' paths
        path = str(project.resolve(source.name))
        if source.role != "other" and fresh.has_source(path):
            fresh.set_source_role(path, source.role)
    return fresh


def adopt(project: Project, result: Any, *, author: str | None = None) -> Alignment:
    """Take ``result`` (a SyncResult or its dict) for ``project``: a new project, or applied to it."""
    fresh = fresh_project(project, result)
    if fresh is not None:
        return Alignment(result, fresh, True, [s.name for s in fresh.sources])
    changed = project.apply_alignment(result, author=author)
    return Alignment(result, project, False, changed)


def align_project(
    project_or_paths: Project | Sequence[str | os.PathLike[str]],
    *,
    reference: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    methods: Iterable[str] | None = None,
    project_path: str | os.PathLike[str] | None = None,
    author: str | None = None,
    max_distance_m: float | None = None,
    near: Iterable[str] | None = None,
) -> Alignment:
    """Align files (a new project) or a project's sources (with its anchors).

    Parameters
    ----------
    project_or_paths : Project or sequence of path
        A project: its sources are synced with its reference (unless
        ``reference`` is given) and its manual anchors, then adopted
        (:func:`adopt`). Paths: synced, and a new project made from the result.
    reference, progress, methods
        As for :func:`timesync.sync.sync`.
    project_path : path, optional
        For paths: the file the new project will be saved to (source paths are
        made relative to its folder). Nothing is saved here.
    author : str, optional
        Who applies the alignment (project history).
    max_distance_m : float >= 0, optional
        The sound-travel distance of :func:`timesync.sync.sync`; for a project,
        default the one its last alignment used (:func:`stored_max_distance`).
    near : iterable of str, optional
        For a project: the sources placed roughly by hand whose searches are narrowed
        to near that placement (default: every one; see :func:`alignment_request`).
    """
    if isinstance(project_or_paths, Project):
        request = alignment_request(project_or_paths, near)
        if reference is not None:
            request = replace(request, reference=os.fspath(reference))
        if max_distance_m is not None:
            request = replace(request, max_distance_m=max_distance_m)
        return adopt(project_or_paths, request.run(progress, methods), author=author)
    from timesync.sync import sync

    more = {} if max_distance_m is None else {"max_distance_m": max_distance_m}  # sound-travel bound (sync)
    result = sync(project_or_paths, reference=reference, progress=progress, methods=methods, **more)
    return Alignment(result, None, True, [s.name for s in result.sources], project_path)


# -- anchors on a saved project -------------------------------------------------------------------

def project_anchors(project: Project) -> list[Anchor]:
    """The project's ``"anchors"`` list as :class:`Anchor`; ``ProjectError`` names a bad entry."""
    raw = project.extra.get("anchors") or []
    if not isinstance(raw, list):
        raise ProjectError(f"{project.label}: anchors must be a list, got {type(raw).__name__}")
    out = []
    for i, entry in enumerate(raw):
        try:
            out.append(Anchor.from_dict(entry))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProjectError(f"{project.label}: anchors[{i}] is not an anchor ({exc})") from None
    return out


def stored_constraints(project: Project) -> list[Constraint]:
    """The non-manual constraints stored in the project, once each, named by project source names."""
    names = [s.name for s in project.sources]
    out = []
    for i, src in enumerate(project.sources):
        for entry in src.constraints:
            kind = entry.get("kind")
            if kind == "manual":
                continue  # anchors are re-derived from the anchors list
            try:
                other = resolve_source(project, str(entry.get("with")))
            except ProjectError:  # a constraint naming no source of the project is skipped
                continue
            if other == src.name or names.index(other) < i:
                continue  # the same constraint seen from the other side
            try:
                out.append(Constraint(
                    source=src.name, other=other, offset_s=float(entry["offset_s"]),
                    uncertainty_s=float(entry["uncertainty_s"]), kind=kind,
                    rate=float(entry.get("rate") or 1.0), score=float(entry.get("score") or 0.0),
                    rate_uncertainty=None if entry.get("rate_uncertainty") is None
                    else float(entry["rate_uncertainty"]),
                    at_source_s=float(entry.get("at_source_s") or 0.0),
                    travel_bound_s=float(entry.get("travel_bound_s") or 0.0)))
            except (KeyError, TypeError, ValueError):
                continue
    return out


@dataclass
class Resolution:
    """The answer of :func:`resolve`.

    Attributes
    ----------
    placed : int
        How many sources are on the shared clock.
    unplaced : list[str]
        The sources that are not.
    disagreements : list[str]
        One sentence (figures in ms) per anchor that contradicts the other
        anchors or the evidence, and per disagreement of the solve that involves
        an anchor. Empty when everything agrees.
    left_out : list[int]
        The anchors (0-based, in the project's list) kept out of the solve
        because they contradict the others; each has a sentence in ``disagreements``.
    """

    placed: int
    unplaced: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    left_out: list[int] = field(default_factory=list)


def _contradicting_anchor(anchors: Sequence[Anchor], left_out: dict[int, str], solution: Any) -> tuple[int, str] | None:
    """When the solve dropped an anchor pair's constraint: the anchor of that pair farthest
    from the solution (in sigmas; the later one between equals) and its sentence."""
    from timesync.align.anchors import anchor_residual, describe

    dropped = [d for d in solution.dropped if d["constraint"]["kind"] == "manual"]
    pairs = {frozenset((d["constraint"]["source"], d["constraint"]["with"])) for d in dropped}
    worst: tuple[float, int, float] | None = None
    for i, anchor in enumerate(anchors):
        if i in left_out or frozenset((anchor.source, anchor.other)) not in pairs:
            continue
        found = anchor_residual(anchor, solution.clocks)
        if found is not None and (worst is None or abs(found[0]) / found[1] >= worst[0]):
            worst = (abs(found[0]) / found[1], i, found[0])
    if worst is None:
        return None
    sigmas, i, residual = worst
    return i, (f"{describe(anchors[i], i)} is {residual * 1e3:+.1f} ms from the other evidence "
               f"({sigmas:.1f} sigma); left out of the solve")


def _solve_with_anchors(project: Project, anchors: Sequence[Anchor]) -> tuple[Any, dict[int, str]]:
    """Solve with every anchor that stands; returns the solution and the anchors left out (with why)."""
    from timesync.align.anchors import pair_conflicts
    from timesync.align.solve import solve

    names = [s.name for s in project.sources]
    reference = project.reference or (names[0] if names else None)
    if reference is None:
        raise ProjectError(f"{project.label}: the project has no sources")
    durations = {s.name: s.duration_s for s in project.sources if s.duration_s}
    stored = stored_constraints(project)
    left_out = {c.index: c.sentence + "; left out of the solve" for c in pair_conflicts(anchors)}
    while True:
        used = [a for i, a in enumerate(anchors) if i not in left_out]
        solution = solve(names, stored + anchor_constraints(used), reference, durations=durations)
        worst = _contradicting_anchor(anchors, left_out, solution)
        if worst is None:
            return solution, left_out
        left_out[worst[0]] = worst[1]


def resolve(project: Project, *, author: str | None = None) -> Resolution:
    """Solve the project's clocks from its stored constraints and anchors; set every changed clock.

    An anchor that contradicts an earlier anchor of its pair
    (:func:`timesync.align.anchors.pair_conflicts`), or that the solve would
    drop as contradicting the evidence, is left out of the solve (one at a
    time, the farthest first, so the others still count) and reported in
    :attr:`Resolution.disagreements`, as are the solve's disagreements that
    involve an anchor. A clock equal to the old one up to rounding (1e-9 s,
    1e-12 in rate) is left as it is (no history entry), and so is a placement by
    device clocks the reviewer accepted that the solve gives again
    (:func:`timesync.project.alignment_edits.keeps_acceptance`). A source the solve
    cannot place keeps its clock (a rough placement by hand stays), and one whose
    placement by device clocks only the reviewer rejected stays not placed
    (:func:`timesync.project.rejections.rejected_again`).
    """
    anchors = project_anchors(project)
    solution, left_out = _solve_with_anchors(project, anchors)
    unplaced = []
    for name in [s.name for s in project.sources]:
        clock = solution.clocks.get(name)
        if clock is None:
            unplaced.append(name)
            continue
        if rejected_again(project.source(name).extra, clock) is not None:
            unplaced.append(name)  # the reviewer rejected this placement by device clocks only
            continue
        old = project.clock(name)
        if keeps_acceptance(old, clock):
            continue  # the reviewer accepted this placement by device clocks: it stands
        if old is not None and old.method == clock.method and abs(old.offset_s - clock.offset_s) < 1e-9 \
                and abs(old.rate - clock.rate) < 1e-12 and abs(old.uncertainty_s - clock.uncertainty_s) < 1e-9:
            continue  # the same clock up to rounding: no history entry
        project.set_source_clock(name, clock, author=author, method=clock.method)
    notes = [left_out[i] for i in sorted(left_out)]
    notes += [d["note"] for d in solution.disagreements if "manual" in d["kinds"]]
    return Resolution(len(project.sources) - len(unplaced), unplaced, notes, sorted(left_out))


def check_anchor(project: Project, anchor: Anchor) -> None:
    """``ProjectError`` (one sentence) unless both sources are the project's and both times
    lie in their recordings (``0 <= t <= duration``)."""
    from timesync.align.anchors import check_anchor_time

    for name, seconds in ((anchor.source, anchor.source_s), (anchor.other, anchor.other_s)):
        source = project.source(name)
        try:
            check_anchor_time(source.name, seconds, source.duration_s)
        except ValueError as exc:
            raise ProjectError(f"{project.label}: {exc}") from None


def add_anchor(project: Project, anchor: Anchor, *, author: str | None = None,
               record: dict[str, Any] | None = None) -> Resolution:
    """Check ``anchor`` (named by project source names), record it (history ``anchor_added``,
    whether or not it moves a clock) and solve again (:func:`resolve`). ``record``: more
    keys stored with the anchor and in its history entry (the app: the frames tied, a warning)."""
    check_anchor(project, anchor)
    project.add_anchor({**(record or {}), **anchor.to_dict()}, author=author)
    return resolve(project, author=author)


def remove_anchor(project: Project, number: int, *, author: str | None = None) -> tuple[Anchor, Resolution]:
    """Remove anchor ``number`` (1-based) from the project (history ``anchor_removed``) and solve again."""
    removed = Anchor.from_dict(project.remove_anchor(number, author=author))
    return removed, resolve(project, author=author)


# -- clock findings -------------------------------------------------------------------------------

def clock_errors(result: Any) -> list:
    """Each aligned device's clock error relative to the reference device's clock.

    Parameters
    ----------
    result : SyncResult or Project
        An alignment, or a project (its sources' stored clocks and
        ``overlay_clock``); a source counts when it is aligned and its overlay
        clock has an ``at_local_zero``.

    Returns
    -------
    list[ClockErrorFinding]
        One per such source other than the one compared against: the
        reference if it has a clock, else the first aligned source with one.
        Empty when fewer than two sources count.
    """
    from timesync.clock import BurnedInClock

    clocked = [(name, clock, overlay) for name, clock, overlay in _overlay_clocks(result)
               if clock is not None and BurnedInClock.from_dict(overlay) is not None]
    if len(clocked) < 2:
        return []
    from timesync.align.overlay import clock_error  # only now: it brings the overlay reader and cv2

    clocked.sort(key=lambda c: c[0] != result.reference)
    base = clocked[0]
    return [clock_error(name, clock, overlay, *base) for name, clock, overlay in clocked[1:]]


def _overlay_clocks(result: Any) -> list[tuple[str, Any, dict | None]]:
    """(name, clock or None, overlay clock dict or None) of each source of a SyncResult or a Project."""
    if hasattr(result, "annotations"):  # a Project: what its file stores
        return [(s.name, s.clock, s.overlay_clock) for s in result.sources]
    return [(s.name, s.clock if s.aligned else None, s.findings.get("overlay_clock")) for s in result.sources]
