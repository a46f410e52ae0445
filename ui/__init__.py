"""timesync-app: the reviewer desktop app (PySide6).

The app observes the core's evented :class:`timesync.project.Project` and sends
every user edit back through the project's methods; frames, waveforms,
alignment and exports all come from the core (:mod:`timesync.media`,
:mod:`timesync.sync`, :mod:`timesync.export`). Nothing here decodes media or
aligns anything itself.

Modules
-------
app             main(): the ``timesync-app [PROJECT]`` console script; the dark theme (theme.qss)
main_window     MainWindow: layout and wiring of the views and the controllers
window_chrome   the window's docks, actions and shortcuts, toolbar, menus and readouts
controllers     what the window does: files (autosave, recovery), media, alignment, shots, exports,
                annotate, transport, jobs
clock           PlaybackClock: the one shared clock every view follows
frames          FrameWorker: exact frames of one source, decoded off the GUI thread
player          PlayerView: one source, on the shared clock or (free) on its own local clock
grid            PlayerGrid: 1 to 9 views, the focused one and the one focused before it
tie             ties: two views' frames as a manual anchor, TieCommand (undoable, re-solves)
timeline        TimelineWidget: tracks placed by their ClockMap, ruler, playhead, events, frame thumbnails
                (axis arithmetic, lane and track painters, mouse: ui/timeline/)
thumbnails      ThumbnailLoader: the timeline's frame thumbnails, decoded off the GUI thread
annotations     AnnotationModel (table over the project's events) and its panel
sources         SourcesPanel: role, hash status, method, uncertainty
bridge          ProjectBridge: the project's change events as Qt signals
commands        QUndoCommands that call the project's methods
shots           ShotPanel: detected shot candidates to accept or reject, then add as events
workers         alignment, export, verify and waveform jobs in a thread pool
messages        MessageBar: in-window errors and notices (never blocking)
dialogs         export options, event keys, the shortcut overlay
spec            SourceSpec: what a view needs of a source; burned-in clock readings
sample_project  a project over sample_media/ (screenshots, benchmark)

Keys (also shown by ``?``)
--------------------------
Space play/pause · J/K/L shuttle (-4x..4x) · Left/Right or ,/. one frame of the
focused source (shared clock) · Shift+Left/Right one frame of the focused view
only · (a free view, i.e. not placed or unlinked: these keys drive its own
clock) · Ctrl+Left/Right jump 1 s, Ctrl+Shift+Left/Right 10 s · E / Shift+E
next/previous event · Home/End · S C W F M D V O add shot
fired, verbal command, warning, use of force, subject movement, person down,
vehicle, other at the playhead (Annotate > Event keys... changes them) · I mark
in, then a type key adds an interval from the mark to the playhead (Esc
cancels) · Delete removes the selected event · Alt+Left/Right nudge the
selected track one frame, Alt+Shift+Left/Right one millisecond · Ctrl+wheel
zoom the timeline, Ctrl+=/Ctrl+-/Ctrl+0 · G enlarge the focused view · Z reset
its zoom · U unlink the focused view (it steps on its own clock) or link it
again · T tie the focused view's frame to the frame of the view clicked before
(undoable) · Ctrl+Z / Ctrl+Shift+Z undo/redo · Ctrl+R run alignment · Ctrl+Shift+D
detect shots (in the "Shot candidates" list: A/Enter accept, R/Delete reject,
U undecided) · Ctrl+E export · Ctrl+S save.
"""

__all__ = ["__version__"]

__version__ = "0.2.0"
