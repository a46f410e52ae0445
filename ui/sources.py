"""The sources panel: each source's role, hash status, alignment method, uncertainty and warnings.

A source whose file gave warnings (cut short, damaged packets, timestamp gaps:
``Source.warnings``) shows a warning icon by its name, "⚠ N warnings" in the
``warnings`` column, and the sentences as the tooltip of both cells.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from timesync.errors import ProjectError
from timesync.project.source import ROLES, Source
from timesync.timeutil import format_hms
from ui.bridge import ProjectBridge
from ui.commands import SetRoleCommand, push
from ui.spec import format_uncertainty
from ui.tables import fit_table

__all__ = ["SourcesModel", "SourcesPanel", "SOURCE_COLUMNS", "format_uncertainty", "warning_count"]

SOURCE_COLUMNS = ("name", "role", "hash", "± (1σ)", "offset", "drift", "method", "warnings", "note")
_WARNING_COLOUR = QColor(240, 190, 60)
_STATUS_COLOURS = {
    "verified": QColor(110, 200, 120),
    "changed": QColor(240, 90, 80),
    "missing": QColor(240, 90, 80),
    "unverified": QColor(200, 180, 90),
}


class SourcesModel(QAbstractTableModel):
    """One row per source, observing the project."""

    editFailed = Signal(str)

    def __init__(self, bridge: ProjectBridge, undo: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._undo = undo
        self._rows: list[Source] = list(bridge.project.sources)
        bridge.sourcesChanged.connect(self.reload)

    def reload(self) -> None:
        """Re-read the sources."""
        self.beginResetModel()
        self._rows = list(self._bridge.project.sources)
        self.endResetModel()

    def source_at(self, row: int) -> Source:
        """The source of a row."""
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(SOURCE_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return SOURCE_COLUMNS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() and index.column() == 1 else base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        source = self._rows[index.row()]
        column = SOURCE_COLUMNS[index.column()]
        reference = source.name == self._bridge.project.reference
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(source, column, reference)
        if role == Qt.ItemDataRole.DecorationRole and column == "name" and source.warnings:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "warnings" and source.warnings:
                return QBrush(_WARNING_COLOUR)
            if column == "hash":
                return QBrush(_STATUS_COLOURS.get(source.hash_status, QColor(200, 200, 200)))
            if column == "method" and source.method == "manual":
                return QBrush(QColor(255, 180, 80))
            if not source.aligned and column in ("method", "note"):
                return QBrush(QColor(240, 150, 90))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(source, column)
        return None

    @staticmethod
    def _tooltip(source: Source, column: str) -> str:
        """The file's identity (name cell) and its warnings, one sentence a line."""
        lines: list[str] = []
        if column != "warnings":
            lines += [source.name, source.path, f"SHA-256 {source.sha256 or 'not recorded'}"]
        if source.warnings:
            lines.append(warning_count(len(source.warnings)) + ":")
            lines += [f"• {w}" for w in source.warnings]
        return "\n".join(lines)

    @staticmethod
    def _text(source: Source, column: str, reference: bool) -> str:
        clock = source.clock
        if column == "name":
            return Path(source.name).name + ("  (reference)" if reference else "")
        if column == "role":
            return source.role
        if column == "hash":
            return source.hash_status
        if column == "method":
            return source.method if clock is not None else "not aligned"
        if column == "offset":
            return "" if clock is None else format_hms(clock.offset_s, 4)
        if column == "± (1σ)":  # the sound-travel bound, when there is one, apart (a bound, not a sigma)
            bound = source.extra.get("travel_bound_s") if clock is not None else None
            travel = f"  + sound travel ≤ {bound * 1e3:.1f} ms" if isinstance(bound, int | float) and bound > 0 else ""
            return format_uncertainty(source.uncertainty_s) + travel
        if column == "drift":
            return "" if clock is None else f"{clock.drift_ppm:+.1f} ppm"
        if column == "warnings":
            return f"⚠ {warning_count(len(source.warnings))}" if source.warnings else ""
        return source.reason

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or index.column() != 1 or role != Qt.ItemDataRole.EditRole:
            return False
        source = self._rows[index.row()]
        if value == source.role:
            return False
        try:
            push(self._undo, SetRoleCommand(self._bridge.project, source.name, str(value)))
        except ProjectError as exc:
            self.editFailed.emit(str(exc))
            return False
        return True


def warning_count(n: int) -> str:
    """``"1 warning"``, ``"3 warnings"``."""
    return f"{n} warning" + ("" if n == 1 else "s")


class _RoleDelegate(QStyledItemDelegate):
    def createEditor(self, parent, option, index):  # noqa: N802
        combo = QComboBox(parent)
        combo.addItems(list(ROLES))
        return combo

    def setEditorData(self, editor, index):  # noqa: N802
        editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole))

    def setModelData(self, editor, model, index):  # noqa: N802
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class SourcesPanel(QWidget):
    """The sources table; selecting a row emits ``sourceSelected(name)``."""

    sourceSelected = Signal(str)

    def __init__(self, bridge: ProjectBridge, undo: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self.model = SourcesModel(bridge, undo, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setItemDelegateForColumn(1, _RoleDelegate(self))
        self.table.clicked.connect(lambda index: self.sourceSelected.emit(self.model.source_at(index.row()).name))
        self.fitter = fit_table(self.table, whole=("hash", "± (1σ)", "offset", "drift"))  # every column in view, elided in the middle, tooltips (ui/tables.py)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
