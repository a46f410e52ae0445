"""The main window's behaviour, one controller per concern (the window keeps layout and wiring).

Each controller is a ``QObject`` child of :class:`ui.main_window.MainWindow`
built with the window: it reads the window's shared parts (the project through
its :class:`~ui.bridge.ProjectBridge`, the undo stack, the message bar, the
status bar, the job runner) and writes only through the project's methods,
mostly as undoable :mod:`ui.commands`. The views observe the project's change
events (through the bridge) and redraw; no controller redraws a view itself.

Modules
-------
base        Controller: what every controller reaches of the window
jobs        JobRunner: workers with the status-bar progress and Cancel button
files       FileController: new, open, save, autosave and recovery, recent files
media       MediaController: add media (hashing), hash checks, waveforms, hand placement
alignment   AlignmentController: run alignment, adopt or apply its result (timesync.workflow)
shots       ShotsController: detect shot candidates, add the accepted ones as events
exports     ExportController: the export dialog and the export job
annotate    AnnotateController: events at the playhead, mark-in, event-type keys
transport   TransportController: frame and event steps (the playback actions' home)
placement   PlacementController: unlink a view (U), tie two views' frames (T), issue 19
"""

from ui.controllers.alignment import AlignmentController
from ui.controllers.annotate import AnnotateController
from ui.controllers.base import Controller
from ui.controllers.exports import ExportController
from ui.controllers.files import FileController
from ui.controllers.jobs import JobRunner
from ui.controllers.media import MediaController
from ui.controllers.placement import PlacementController
from ui.controllers.shots import ShotsController
from ui.controllers.transport import TransportController

__all__ = [
    "Controller",
    "JobRunner",
    "FileController",
    "MediaController",
    "AlignmentController",
    "ShotsController",
    "ExportController",
    "AnnotateController",
    "TransportController",
    "PlacementController",
]
