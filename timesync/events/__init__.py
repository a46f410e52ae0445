"""Events found in recordings: impulses and shots fired.

* :func:`detect_impulses` (``impulses.py``): impulsive events in one track
  (numpy samples), with onset, level, features and a shot-likeness score.
* :func:`detect_shots` (``shots.py``): impulses of every source of a project,
  mapped to the shared clock, associated across sources (one shot heard by
  several cameras is one shot), corrected for sound travel when positions or
  distances are given; returns a :class:`ShotTable` (``table.py``).
"""

from timesync.events.impulses import Impulse, detect_impulses, shot_likeness

__all__ = ["Impulse", "detect_impulses", "shot_likeness"]
