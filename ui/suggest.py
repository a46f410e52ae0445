"""Suggestions, never silent decisions (issue 19, item 4).

Two kinds of placement the evidence suggests but does not vouch for:

* **device clocks**: a source placed by device clocks only (metadata tags or
  burned-in clocks; its clock's method says
  :data:`~timesync.align.device_clocks.UNVERIFIED`). The timeline draws it
  dashed, "unverified"; the reviewer accepts it (its clock then has method
  :data:`~timesync.project.alignment_edits.ACCEPTED_METHOD`, kept by a later
  alignment that cannot place the source), refines it by a tie (T), or rejects
  it (the source is then not placed, with the reason; the rejection is project
  data, :mod:`timesync.project.rejections`, so a later alignment that suggests
  the same placement does not offer it again, while a clearly different one is
  offered).
* **audio candidate**: a source the audio search did not place, whose audio
  note names the refused best candidate (:func:`timesync.align.audio.refused_candidate`:
  the other source's local time against this one's, and the coarse score). The
  timeline draws where it would put the source, dashed, with the score: a place
  to look. The reviewer jumps the (unlinked) view there, or places the source
  roughly there (then ties it, or asks the aligners to search near it).

:class:`SuggestionCommand` records a decision (undoable, in the project
history: each is a clock change of the source, with who and when).

Sign convention: every clock maps a source's local seconds to shared seconds,
``shared = clock.to_shared(local)`` (:class:`~timesync.clock.ClockMap`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from timesync.align.audio import refused_candidate
from timesync.align.device_clocks import UNVERIFIED
from timesync.clock import ClockMap
from timesync.errors import ProjectError
from timesync.project import Project
from timesync.project.alignment_edits import ACCEPTED_METHOD, ROUGH_METHOD
from timesync.project.names import resolve_source
from timesync.project.rejections import rejected_again
from ui.commands import ProjectCommand
from ui.spec import format_uncertainty
from ui.tie import clock_snapshot, file_label, restore_clocks
from ui.timeline.rough import ROUGH_MIN_SIGMA_S

__all__ = ["Suggestion", "SuggestionCommand", "suggestions", "DEVICE_CLOCKS", "AUDIO_CANDIDATE",
           "CANDIDATE_SIGMA_S"]

DEVICE_CLOCKS = "device clocks"
AUDIO_CANDIDATE = "audio candidate"
#: One sigma (s) of a refused audio candidate placed roughly: a rough placement's
#: (:data:`ui.timeline.rough.ROUGH_MIN_SIGMA_S`), since the audio refused to vouch for it.
CANDIDATE_SIGMA_S = ROUGH_MIN_SIGMA_S


@dataclass(frozen=True)
class Suggestion:
    """A placement the evidence suggests for source ``name`` (see the module docstring).

    Attributes
    ----------
    name : str
        The source (project name).
    kind : str
        :data:`DEVICE_CLOCKS` or :data:`AUDIO_CANDIDATE`.
    clock : ClockMap
        The placement suggested (local -> shared seconds).
    score : float or None
        The audio candidate's coarse score (robust z); None for device clocks.
    why : str
        One sentence saying what suggests it.
    """

    name: str
    kind: str
    clock: ClockMap
    score: float | None
    why: str

    @property
    def label(self) -> str:
        """What the timeline writes on the dashed bar."""
        if self.kind == DEVICE_CLOCKS:
            return "unverified: device clocks only (accept, tie or reject)"
        return f"audio candidate, score {self.score:.1f}: a place to look"


def _device_clocks(name: str, clock: ClockMap) -> Suggestion:
    why = (f"{file_label(name)} is {UNVERIFIED} ({clock.method}, {format_uncertainty(clock.uncertainty_s)}): "
           "accept it, refine it by a tie (T), or reject it")
    return Suggestion(name, DEVICE_CLOCKS, clock, None, why)


def _audio_candidate(project: Project, name: str, note: str) -> Suggestion | None:
    """The refused audio candidate ``note`` names, placed through the other source's clock."""
    found = refused_candidate(note)
    if found is None:
        return None
    other, relation, score = found
    try:
        other = resolve_source(project, other)
    except ProjectError:  # the other source left the project
        return None
    other_clock = project.clock(other)
    if other_clock is None or other == name:
        return None
    clock = replace(relation.compose(other_clock), method="audio, refused candidate")
    why = (f"the audio search's best fit of {file_label(name)} with {file_label(other)} (coarse score {score:.1f}) "
           "was refused; it is a place to look, not a placement")
    return Suggestion(name, AUDIO_CANDIDATE, clock, score, why)


def suggestions(project: Project) -> dict[str, Suggestion]:
    """Each source's suggestion, by name: device-clock placements, refused audio candidates."""
    out: dict[str, Suggestion] = {}
    for source in project.sources:
        clock = source.clock
        if clock is not None and UNVERIFIED in (clock.method or ""):
            if rejected_again(source.extra, clock) is None:  # a placement rejected is not offered again
                out[source.name] = _device_clocks(source.name, clock)
        elif clock is None:
            notes = source.extra.get("notes")
            note = notes.get("audio") if isinstance(notes, dict) else None
            found = _audio_candidate(project, source.name, str(note)) if note else None
            if found is not None:
                out[source.name] = found
    return out


class SuggestionCommand(ProjectCommand):
    """Accept or reject a suggestion; undo puts every clock (and not-placed reason) back.

    Accepting a device-clock placement keeps its clock (and its uncertainty) with
    method :data:`ACCEPTED_METHOD`; rejecting it leaves the source not placed,
    with the reason, and keeps the rejection as project data
    (:meth:`Project.reject_suggestion <timesync.project.rejections.RejectionEdits.reject_suggestion>`:
    a later alignment that suggests the same placement leaves it not placed);
    undo takes the rejection back (it may be offered again). Accepting an audio
    candidate places the source roughly there (method :data:`ROUGH_METHOD`, one
    sigma :data:`CANDIDATE_SIGMA_S`): a tie or a search near it places it exactly. An audio candidate is not rejected (it is
    not a placement): a rough drag or a tie elsewhere replaces it.
    """

    def __init__(self, project: Project, suggestion: Suggestion, *, accept: bool) -> None:
        if not accept and suggestion.kind != DEVICE_CLOCKS:
            raise ProjectError(f"{file_label(suggestion.name)}: an audio candidate is a place to look, "
                               "not a placement; there is nothing to reject")
        super().__init__(f"{'accept' if accept else 'reject'} the {suggestion.kind} suggestion for "
                         f"{file_label(suggestion.name)}")
        self._project = project
        self.suggestion = suggestion
        self.accept = accept
        self._before = clock_snapshot(project)
        self._rejection: dict | None = None

    def apply(self) -> None:  # noqa: D102
        s, project = self.suggestion, self._project
        if project.clock(s.name) != (s.clock if s.kind == DEVICE_CLOCKS else None):
            raise ProjectError(f"{file_label(s.name)}: its placement changed since the suggestion was made; "
                               "nothing decided")
        if not self.accept:
            self._rejection = project.reject_suggestion(s.name)
        elif s.kind == DEVICE_CLOCKS:
            project.set_source_clock(s.name, s.clock, method=ACCEPTED_METHOD)
        else:
            rough = ClockMap(s.clock.offset_s, s.clock.rate, max(CANDIDATE_SIGMA_S, s.clock.uncertainty_s),
                             ROUGH_METHOD)
            project.set_source_clock(s.name, rough, method=None)

    def undo(self) -> None:  # noqa: D102
        if self._rejection is not None:
            self._project.withdraw_rejection(self.suggestion.name, self._rejection)
            self._rejection = None
        restore_clocks(self._project, self._before)
