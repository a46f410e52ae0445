"""TransportController: frame and event steps on the shared clock.

The home of the Playback actions' behaviour (the actions themselves are made in
:meth:`ui.window_chrome.WindowChrome._build_actions`, group "Playback"): play,
pause, shuttle and Home/End drive the :class:`~ui.clock.PlaybackClock` of
:meth:`TransportController.playback`; what needs the focused source or the
project is here.
"""

from __future__ import annotations

from timesync.clock import shared_frame_start
from ui.clock import PlaybackClock
from ui.controllers.base import Controller

__all__ = ["TransportController"]


class TransportController(Controller):
    """Steps through frames and events (see the module docstring).

    The play, shuttle, frame-step and Home/End keys drive :meth:`playback`: the
    focused view's own clock when that view is free (not placed, or unlinked:
    issue 19), else the shared clock.
    """

    def playback(self) -> PlaybackClock:
        """The clock the transport keys drive (see the class docstring)."""
        view = self.win.grid.focused_view
        return view.playback if view is not None and view.free else self.win.clock

    def toggle_play(self) -> None:
        """Play or pause :meth:`playback` (the Play button shows the shared clock's state)."""
        self.playback().toggle()
        self.win.act_play.setChecked(self.win.clock.playing)

    def shuttle(self, direction: int) -> None:
        """J/K/L on :meth:`playback` (:meth:`PlaybackClock.shuttle`)."""
        self.playback().shuttle(direction)

    def go_to_end(self, end: bool) -> None:
        """Home (``end=False``) or End of :meth:`playback`'s range."""
        playback = self.playback()
        playback.seek(playback.end_s if end else playback.start_s)

    def jump(self, seconds: float) -> None:
        """Move :meth:`playback` by ``seconds`` (its own local seconds for a free view; clamped)."""
        playback = self.playback()
        playback.seek(playback.time + seconds)

    def step_frame(self, direction: int) -> None:
        """Move :meth:`playback` to the next (+1) or previous (-1) frame start of the focused source."""
        view = self.win.grid.focused_view
        playback = self.playback()
        t = playback.time
        playback.pause()
        index = view.index if view is not None else None
        clock = view.view_map if view is not None else None
        if index is None or clock is None or len(index) == 0:
            playback.seek(t + direction / 30.0)
            return
        ref = index.frame_at_shared(clock, t)
        if ref is None:  # outside the recording: go to its first or last frame
            target = 0 if clock.to_local(t) < index.start_s else len(index) - 1
        else:
            target = min(max(ref.number + direction, 0), len(index) - 1)
        playback.seek(shared_frame_start(clock, index, target))

    def step_source(self, direction: int) -> None:
        """Per-source step: the focused view alone shows one frame later/earlier (clock unchanged).

        A free view steps its own clock (:meth:`step_frame`).
        """
        view = self.win.grid.focused_view
        if view is not None and view.free:
            self.step_frame(direction)
        elif view is not None:
            self.win.clock.pause()
            view.step_local(direction)

    def jump_event(self, direction: int) -> None:
        """Seek to the next (+1) or previous (-1) event."""
        playback = self.win.clock
        t = playback.time
        times = sorted({a.shared_s for a in self.project.annotations})
        if direction > 0:
            later = [x for x in times if x > t + 1e-6]
            if later:
                playback.seek(later[0])
        else:
            earlier = [x for x in times if x < t - 1e-6]
            if earlier:
                playback.seek(earlier[-1])

    def reset_view_zoom(self) -> None:
        """The focused view back to its whole frame."""
        view = self.win.grid.focused_view
        if view is not None:
            view.reset_zoom()
