"""The timeline: one track per source placed by its ClockMap, on the shared clock.

Layout, top to bottom: the ruler (shared time; a second row in wall-clock time
when a burned-in clock is known), the events lane (points and intervals,
coloured by type), then one track per source with its audio envelope.

Once zoomed in so that a thumbnail (:data:`THUMB_W` px) fits every
:data:`THUMB_MAX_SLOT_S` seconds or less, each video track shows small frame
thumbnails: the ruler is cut into slots of a 1-2-5 step at least
``THUMB_W`` px wide, and the slot starting at shared ``t`` shows the frame
``FrameIndex.frame_at_shared(clock, t)`` names. Thumbnails come from a
:class:`~ui.thumbnails.ThumbnailLoader` (off the GUI thread), are cached per
(source, frame number) and asked for lazily, only for the visible slots.

Mouse: click or drag on the ruler, the events lane or an empty place seeks;
drag a track sideways to move its offset (a manual correction, committed on
release through ``clockEdited``); click an event to select it. Wheel scrolls,
ctrl+wheel zooms about the cursor from the whole incident down to single frames.
Keys (when the timeline has focus, and from the main window's menus):
alt+left/right nudges the selected track by one frame, alt+shift+left/right
by one millisecond.

A hand-placed source gets method "manual" and an honest one-sigma uncertainty:
a placement judged by eye is good to about a frame of that source, so
``sigma = frame_s / sqrt(12)`` (a uniform error over one frame), combined in
quadrature with the same for one screen pixel when dragged. The aligner's
(often far smaller) uncertainty no longer describes a moved source.

Modules
-------
axis        TimeAxis: shared seconds <-> x, zoom and ticks (pure arithmetic); layout sizes; manual_clock
items       TimelineEvent, ShotMarker, Track: what is drawn
lanes       painters of the ruler, the events lane (events, shot candidates), event lines, playhead
tracks      painter of a source track: header, bar, thumbnails, waveform, frame ticks
thumbnails  which thumbnail slots are visible; the cache; the loader's answers (a widget mixin)
mouse       hit tests, seek, track drag, wheel, nudge keys (a widget mixin)
widget      TimelineWidget: data, view, paint order
panel       TimelinePanel: the widget and its scroll bar
"""

from ui.timeline.axis import (
           EVENTS_H,
           HEADER_W,
           MAX_PPS,
           RULER_H,
           TRACK_H,
           TimeAxis,
           manual_clock,
           nice_step,
)
from ui.timeline.items import ShotMarker, TimelineEvent, Track
from ui.timeline.lanes import SHOT_MARKER_COLOURS, event_colour
from ui.timeline.panel import TimelinePanel
from ui.timeline.thumbnails import THUMB_CACHE_MAX, THUMB_MAX_SLOT_S
from ui.timeline.tracks import THUMB_W
from ui.timeline.widget import TimelineWidget

__all__ = ["TimelineWidget", "TimelinePanel", "TimelineEvent", "ShotMarker", "Track", "TimeAxis", "event_colour",
           "nice_step", "manual_clock", "SHOT_MARKER_COLOURS", "HEADER_W", "RULER_H", "EVENTS_H",
           "TRACK_H", "MAX_PPS", "THUMB_W", "THUMB_MAX_SLOT_S", "THUMB_CACHE_MAX"]
