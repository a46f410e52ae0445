"""timesync-app: the reviewer desktop app (PySide6).

The app observes the core's evented :class:`timesync.project.Project` and sends
every user edit back through the project's methods; frames, waveforms,
alignment and exports all come from the core (:mod:`timesync.media`,
:mod:`timesync.sync`, :mod:`timesync.export`). Nothing here decodes media or
aligns anything itself.

Modules
-------
clock        PlaybackClock: the one shared clock every view follows
frames       FrameWorker: exact frames of one source, decoded off the GUI thread
player       PlayerView (one source) and PlayerGrid (1 to 9 sources)
timeline     TimelineWidget: tracks placed by their ClockMap, ruler, playhead, events
annotations  AnnotationModel (table over the project's events) and its panel
sources      SourcesPanel: role, hash status, method, uncertainty
commands     QUndoCommands that call the project's methods
workers      alignment, export, verify and waveform jobs in worker threads
messages     MessageBar: in-window errors and notices (never blocking)
dialogs      export, settings, shortcut overlay
main_window  MainWindow: docks, toolbar, menus, autosave
app          main(): the ``timesync-app [PROJECT]`` console script
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
