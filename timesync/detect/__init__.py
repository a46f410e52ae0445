"""Detection in recordings: impulses and shots fired, on plain data (never a project).

* :func:`detect_impulses` (``impulses.py``): impulsive events in one track
  (numpy samples, ``samples, sr``), each an :class:`Impulse` with onset (to
  well under a millisecond), peak level, duration, features and a
  shot-likeness ``score`` in [0, 1].
* :func:`detect_shots` (``shots.py``): the impulses of every given track
  (:class:`TrackInput` arrays, or :class:`TrackStream` blocks read on demand),
  mapped to the shared clock with each track's ClockMap, associated across
  tracks (one shot heard by several cameras is one shot; burst order is never
  swapped), corrected for sound travel when positions or distances are given;
  returns a :class:`ShotTable` (``table.py``) with ``to_dict()``,
  ``to_json()``, ``to_csv()``, ``to_text()``.
* :func:`~timesync.detect.correction.shot_constraints`: clock constraints
  corrected for sound travel from shots fired at a known place.

A project's part lives in :mod:`timesync.workflow_shots`: its sources as
tracks, ``detect_project_shots`` (wall clock, "already annotated"),
``add_shots_to_project`` (the shots as "shot fired" events, idempotent: shots
already annotated within 5 ms are skipped) and ``correct_clocks``.

For the app: every :class:`Shot` is a candidate with a stable ``id``
(``"shot-<shared ms>"``) and ``accepted = None``; ``table.set_accepted(id,
True | False | None)`` records a reviewer's decision, and
``add_shots_to_project(project, table, require_accepted=True)`` writes only the
accepted ones. ``shot.sources[name]`` gives each source's local time, frame
number (container PTS based) and whether it heard the shot.
"""

from timesync.detect.impulses import Impulse, detect_impulses, shot_likeness, track_status
from timesync.detect.shots import TrackInput, TrackStream, detect_shots
from timesync.detect.table import Shot, ShotSource, ShotTable
from timesync.detect.travel import speed_of_sound

__all__ = [
    "Impulse",
    "detect_impulses",
    "shot_likeness",
    "track_status",
    "TrackInput",
    "TrackStream",
    "detect_shots",
    "Shot",
    "ShotSource",
    "ShotTable",
    "speed_of_sound",
]
