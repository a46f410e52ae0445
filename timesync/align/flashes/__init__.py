"""Flashes seen in videos, and matching patterns of events between sources.

Modules
-------
detect
    :func:`~timesync.align.flashes.detect.detect_flashes`: flashes, strobes and
    lights switched on, with sub-frame onsets (:class:`VisualEvent`).
guards
    the tests a brightening must pass to be taken as added light (no
    darkening around it, steady frames before and after...).
durations
    what the frames an event lit say of its flash's duration (for the matcher).
merge
    :func:`~timesync.align.flashes.merge.one_per_brightening`: one event for a
    light seen at several places at once.
pattern
    :func:`~timesync.align.flashes.pattern.match_and_fit`: the offset under which
    two event lists (flashes, or heard impulses as instants) form the same
    pattern; shared by the ``"visual"`` and ``"audio-visual"`` aligners.
visual
    The ``"visual"`` aligner (an entry of :data:`timesync.sync.ALIGNERS`):
    constraints between videos whose flashes match. The ``"audio-visual"``
    aligner (heard impulses against seen flashes) is
    :mod:`timesync.align.audiovisual`.
"""

from timesync.align.flashes.detect import VisualEvent, detect_flashes, flashes_in
from timesync.align.flashes.pattern import (
           MIN_AGREEING,
           EventMatch,
           EventSet,
           match_and_fit,
           match_events,
)

__all__ = ["VisualEvent", "detect_flashes", "flashes_in", "EventMatch", "EventSet", "match_and_fit",
           "match_events", "MIN_AGREEING"]
