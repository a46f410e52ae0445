"""Shot candidates: the core's detected shots, for a reviewer to accept or reject.

:class:`ShotPanel` lists the :class:`timesync.detect.ShotTable` that
``timesync.workflow_shots.detect_project_shots`` returned (run by the main window in a job):
number, shared time, score and the reviewer's decision. Clicking a row seeks
the playhead to the shot; A or Enter accepts it, R or Delete rejects it, U
clears the decision. Decisions are recorded in the table with
``table.set_accepted``; "Add accepted as events" asks the window to write the
accepted ones through one undoable command. Nothing here detects anything.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from timesync.timeutil import format_hms
from ui.spec import format_uncertainty
from ui.tables import fit_table
from ui.timeline import SHOT_MARKER_COLOURS

__all__ = ["ShotPanel", "status_text"]

_ACCEPT_KEYS = {Qt.Key.Key_A, Qt.Key.Key_Return, Qt.Key.Key_Enter}
_REJECT_KEYS = {Qt.Key.Key_R, Qt.Key.Key_Delete, Qt.Key.Key_Backspace}
_CLEAR_KEYS = {Qt.Key.Key_U}


def status_text(accepted: bool | None, annotated: bool = False) -> str:
    """The status column: "accepted", "rejected" or "undecided" (", annotated" when already an event)."""
    text = {True: "accepted", False: "rejected", None: "undecided"}[accepted]
    return f"{text}, annotated" if annotated else text


class _ShotTableView(QTableWidget):
    """The list; takes A/R/Enter/Delete/U itself (before the window's shortcuts see them)."""

    decide = Signal(object)  # True, False or None

    def event(self, event: QEvent) -> bool:  # noqa: D102
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier) and \
                    Qt.Key(event.key()) in _ACCEPT_KEYS | _REJECT_KEYS | _CLEAR_KEYS:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = Qt.Key(event.key())
        if key in _ACCEPT_KEYS:
            self.decide.emit(True)
        elif key in _REJECT_KEYS:
            self.decide.emit(False)
        elif key in _CLEAR_KEYS:
            self.decide.emit(None)
        else:
            super().keyPressEvent(event)


class ShotPanel(QWidget):
    """The "Shot candidates" dock's content (see the module docstring).

    Signals
    -------
    seekRequested(float)
        Shared seconds of the clicked candidate.
    decisionsChanged()
        A candidate was accepted, rejected or cleared (the timeline redraws).
    addRequested()
        The reviewer asked to add the accepted candidates as events.
    """

    seekRequested = Signal(float)
    decisionsChanged = Signal()
    addRequested = Signal()

    HEADERS = ("#", "shared time", "score", "status")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = None
        self.summary = QLabel("no detection run yet (Annotate > Detect shots…)", self)
        self.summary.setWordWrap(True)
        self.view = _ShotTableView(0, len(self.HEADERS), self)
        self.view.setHorizontalHeaderLabels(list(self.HEADERS))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.decide.connect(self.decide_selected)
        self.fitter = fit_table(self.view, whole=self.HEADERS)
        self.view.setMinimumHeight(8 * self.view.verticalHeader().defaultSectionSize())  # not two rows: eight
        self.view.currentCellChanged.connect(lambda row, *_: self._seek_row(row))
        self.view.cellClicked.connect(lambda row, _col: self._seek_row(row))
        self.accept_button = QPushButton("Accept (A)", self)
        self.accept_button.clicked.connect(lambda: self.decide_selected(True))
        self.reject_button = QPushButton("Reject (R)", self)
        self.reject_button.clicked.connect(lambda: self.decide_selected(False))
        self.add_button = QPushButton("Add accepted as events", self)
        self.add_button.clicked.connect(self.addRequested.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self._refresh_buttons()

    # -- data -----------------------------------------------------------------
    def set_table(self, table) -> None:
        """Show a :class:`timesync.detect.ShotTable` (``None`` clears the list)."""
        self.table = table
        shots = table.shots if table is not None else []
        self.view.setRowCount(len(shots))
        for row, shot in enumerate(shots):
            when = f"{format_hms(shot.shared_s, 3)} {format_uncertainty(shot.uncertainty_s)}"  # every time with its sigma
            cells = (str(shot.number), when, f"{shot.score:.2f}", "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, shot.id)
                if col == 1:
                    item.setToolTip(f"{shot.shared_s:.6f} s shared ± {shot.uncertainty_s * 1e3:.2f} ms; "
                                    f"heard by {', '.join(shot.heard_by) or 'none'}")
                self.view.setItem(row, col, item)
            self._paint_row(row)
        if table is None:
            self.summary.setText("no detection run yet (Annotate > Detect shots…)")
        else:
            problems = [f"{name}: {status}" for name, status in table.per_source.items() if status != "ok"]
            text = f"{len(shots)} candidate(s); {table.time_basis}"
            self.summary.setText(text + ("; " + "; ".join(problems) if problems else ""))
        self._refresh_buttons()

    def shot_ids(self) -> list[str]:
        """Candidate ids in list order."""
        return [self.view.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.view.rowCount())]

    def select(self, shot_id: str) -> bool:
        """Select a candidate's row (seeks to it); False if it is not listed."""
        ids = self.shot_ids()
        if shot_id not in ids:
            return False
        row = ids.index(shot_id)
        self.view.setCurrentCell(row, 0)
        self.view.selectRow(row)
        self._seek_row(row)
        return True

    def selected_id(self) -> str | None:
        """The selected candidate's id, or ``None``."""
        row = self.view.currentRow()
        return self.shot_ids()[row] if 0 <= row < self.view.rowCount() else None

    def decide(self, shot_id: str, accepted: bool | None) -> None:
        """Record a decision in the table (``table.set_accepted``) and show it."""
        if self.table is None:
            return
        self.table.set_accepted(shot_id, accepted)
        ids = self.shot_ids()
        if shot_id in ids:
            self._paint_row(ids.index(shot_id))
        self._refresh_buttons()
        self.decisionsChanged.emit()

    def decide_selected(self, accepted: bool | None) -> None:
        """Decide the selected candidate, then move to the next one."""
        shot_id = self.selected_id()
        if shot_id is None:
            return
        self.decide(shot_id, accepted)
        row = self.view.currentRow()
        if row + 1 < self.view.rowCount():
            self.view.setCurrentCell(row + 1, 0)

    def refresh(self) -> None:
        """Repaint every row's status (after the table changed, e.g. shots marked annotated)."""
        for row in range(self.view.rowCount()):
            self._paint_row(row)
        self._refresh_buttons()

    # -- internals --------------------------------------------------------------
    def _paint_row(self, row: int) -> None:
        shot = self.table.shot(self.view.item(row, 0).data(Qt.ItemDataRole.UserRole))
        self.view.item(row, 3).setText(status_text(shot.accepted, bool(shot.annotated)))
        brush = QBrush(SHOT_MARKER_COLOURS[shot.accepted])
        for col in range(len(self.HEADERS)):
            self.view.item(row, col).setForeground(brush)

    def _refresh_buttons(self) -> None:
        shots = self.table.shots if self.table is not None else []
        has = bool(shots)
        self.accept_button.setEnabled(has)
        self.reject_button.setEnabled(has)
        accepted = sum(1 for s in shots if s.accepted is True)
        self.add_button.setEnabled(accepted > 0)
        self.add_button.setText(f"Add {accepted} accepted as events" if accepted else "Add accepted as events")

    def _seek_row(self, row: int) -> None:
        if self.table is None or not 0 <= row < self.view.rowCount():
            return
        shot = self.table.shot(self.view.item(row, 0).data(Qt.ItemDataRole.UserRole))
        self.seekRequested.emit(shot.shared_s)
