"""The annotation list: a table model over the project's events, with filter and search.

:class:`AnnotationModel` observes the project (through the bridge) and edits go
back as undoable commands (:mod:`ui.commands`). :class:`AnnotationPanel` adds a
type filter, a search box and click-to-seek.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from timesync.errors import ProjectError
from timesync.project.annotation import Annotation
from timesync.timeutil import format_hms
from ui.bridge import ProjectBridge
from ui.commands import EditAnnotationCommand, RemoveAnnotationCommand, push
from ui.tables import fit_table
from ui.tile import uncertainty_text
from ui.timeline import event_colour

__all__ = ["AnnotationModel", "AnnotationFilter", "AnnotationPanel", "COLUMNS"]

#: (key, header) of each column.
COLUMNS = (
    ("id", "id"),
    ("shared_s", "time"),
    ("end_s", "end"),
    ("uncertainty", "±"),
    ("type", "type"),
    ("source", "source"),
    ("note", "note"),
    ("author", "author"),
)
_EDITABLE = {"type", "source", "note", "shared_s", "end_s"}
AnnotationIdRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2


class AnnotationModel(QAbstractTableModel):
    """One row per annotation, in the project's order (by time).

    Signals
    -------
    editFailed(str)
        An edit was refused by the project (the message says why).
    """

    editFailed = Signal(str)

    def __init__(self, bridge: ProjectBridge, undo: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._undo = undo
        self._rows: list[Annotation] = list(bridge.project.annotations)
        bridge.annotationsChanged.connect(self.reload)
        bridge.sourcesChanged.connect(self.reload)

    @property
    def project(self):
        """The project observed."""
        return self._bridge.project

    def reload(self) -> None:
        """Re-read the annotations from the project."""
        self.beginResetModel()
        self._rows = list(self._bridge.project.annotations)
        self.endResetModel()

    def annotation_at(self, row: int) -> Annotation:
        """The annotation of a row."""
        return self._rows[row]

    def row_of(self, annotation_id: str) -> int | None:
        """The row of an annotation id, if present."""
        return next((i for i, a in enumerate(self._rows) if a.id == annotation_id), None)

    # -- Qt model API ---------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and COLUMNS[index.column()][0] in _EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        ann = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if key == "uncertainty":
            return self._uncertainty(ann, role)
        value = getattr(ann, key)
        if role == Qt.ItemDataRole.DisplayRole:
            if key in ("shared_s", "end_s"):
                return "" if value is None else format_hms(value, 3)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.EditRole:
            if key in ("shared_s", "end_s"):
                return "" if value is None else f"{value:.6f}"
            return "" if value is None else str(value)
        if role == AnnotationIdRole:
            return ann.id
        if role == SortRole:
            if key == "id":
                return int(ann.id[1:]) if ann.id[1:].isdigit() else 0
            if key in ("shared_s", "end_s"):
                return -1e18 if value is None else value
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and key == "type":
            return QBrush(event_colour(ann.type))
        if role == Qt.ItemDataRole.ToolTipRole and key == "note":
            return ann.note or None
        return None

    def _uncertainty(self, ann: Annotation, role: int) -> Any:
        """The event time's one sigma with the sound-travel bound beside it (the exports' figures)."""
        from timesync.export import provenance as prov

        sigma, basis = prov.event_uncertainty(self.project, ann)
        bound = prov.event_travel_bound(self.project, ann)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return uncertainty_text(sigma, bound)
        if role == SortRole:
            return 1e18 if sigma is None else prov.total_uncertainty(sigma, bound) or sigma
        if role == Qt.ItemDataRole.ToolTipRole:
            travel = "not recorded" if bound is None else f"{bound * 1e3:.3f} ms at most"
            sig = "unknown" if sigma is None else f"{sigma * 1e3:.3f} ms"
            return f"one sigma {sig} ({basis}); sound travel: {travel}"
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        ann = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        try:
            new = _parse(key, value)
        except ValueError as exc:
            self.editFailed.emit(f"{ann.id}: {exc}")
            return False
        if new == getattr(ann, key):
            return False
        try:
            push(self._undo, EditAnnotationCommand(self._bridge.project, ann.id, **{key: new}))
        except ProjectError as exc:
            self.editFailed.emit(str(exc))
            return False
        return True


def _parse(key: str, value: Any) -> Any:
    text = "" if value is None else str(value).strip()
    if key in ("shared_s", "end_s"):
        if not text:
            if key == "shared_s":
                raise ValueError("an event needs a time")
            return None
        return _parse_seconds(text)
    if key == "source":
        return text or None
    return text


def _parse_seconds(text: str) -> float:
    """Seconds from ``123.45`` or ``[-]H:MM:SS.mmm`` / ``M:SS.mmm``."""
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    try:
        parts = [float(p) for p in body.split(":")]
    except ValueError:
        raise ValueError(f"{text!r} is not a time (seconds or H:MM:SS.mmm)") from None
    total = 0.0
    for part in parts:
        total = total * 60 + part
    return sign * total


class _ChoiceDelegate(QStyledItemDelegate):
    """A combo box editor with the choices a callable gives."""

    def __init__(self, choices, parent=None) -> None:
        super().__init__(parent)
        self._choices = choices

    def createEditor(self, parent, option, index):  # noqa: N802
        combo = QComboBox(parent)
        combo.addItems(list(self._choices()))
        return combo

    def setEditorData(self, editor, index):  # noqa: N802
        editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole) or "")

    def setModelData(self, editor, model, index):  # noqa: N802
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class AnnotationFilter(QSortFilterProxyModel):
    """Filter by type (``""`` = all) and by a search text over type, note, source, author and id."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._type = ""
        self._text = ""
        self.setSortRole(SortRole)

    def set_type(self, event_type: str) -> None:
        """Show only this type (``""``: every type)."""
        self._refilter(lambda: setattr(self, "_type", event_type))

    def set_text(self, text: str) -> None:
        """Show only rows containing ``text`` (case-insensitive)."""
        self._refilter(lambda: setattr(self, "_text", text.strip().lower()))

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            change()
            self.endFilterChange()
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802
        model = self.sourceModel()
        ann = model.annotation_at(row)
        if self._type and ann.type != self._type:
            return False
        if self._text:
            haystack = " ".join(str(x) for x in (ann.id, ann.type, ann.note, ann.source or "", ann.author)).lower()
            return self._text in haystack
        return True


class AnnotationPanel(QWidget):
    """Search, filter and edit the annotations; click a row to seek.

    Signals
    -------
    seekRequested(float)
        Shared seconds of the clicked annotation.
    annotationSelected(str)
        Its id.
    """

    seekRequested = Signal(float)
    annotationSelected = Signal(str)

    def __init__(self, bridge: ProjectBridge, undo: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._undo = undo
        self.model = AnnotationModel(bridge, undo, self)
        self.proxy = AnnotationFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("search notes, types, sources…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.type_filter = QComboBox(self)
        self.type_filter.currentIndexChanged.connect(self._on_type_filter)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setItemDelegateForColumn(3, _ChoiceDelegate(lambda: self._bridge.project.vocabulary, self))
        self.table.setItemDelegateForColumn(
            4, _ChoiceDelegate(lambda: [""] + [s.name for s in self._bridge.project.sources], self)
        )
        self.table.clicked.connect(self._on_clicked)
        self.fitter = fit_table(self.table, whole=("id", "time", "end", "±"))  # every column in view, elided in the middle, tooltips (ui/tables.py)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.type_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        bridge.vocabularyChanged.connect(self._fill_types)
        self._fill_types()
        self._keep: str | None = None
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)

    def _remember_selection(self) -> None:
        self._keep = self.selected_id()

    def _restore_selection(self) -> None:
        if self._keep is not None:
            self.select(self._keep)

    def _fill_types(self) -> None:
        current = self.type_filter.currentData() or ""
        self.type_filter.blockSignals(True)
        self.type_filter.clear()
        self.type_filter.addItem("all types", "")
        for name in self._bridge.project.vocabulary:
            self.type_filter.addItem(name, name)
        index = self.type_filter.findData(current)
        self.type_filter.setCurrentIndex(max(index, 0))
        self.type_filter.blockSignals(False)

    def _on_type_filter(self, _index: int) -> None:
        self.proxy.set_type(self.type_filter.currentData() or "")

    def _on_clicked(self, index) -> None:
        source_index = self.proxy.mapToSource(index)
        ann = self.model.annotation_at(source_index.row())
        self.annotationSelected.emit(ann.id)
        self.seekRequested.emit(ann.shared_s)

    def selected_id(self) -> str | None:
        """The id of the selected annotation, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.annotation_at(self.proxy.mapToSource(rows[0]).row()).id

    def select(self, annotation_id: str) -> None:
        """Select (and scroll to) an annotation."""
        row = self.model.row_of(annotation_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.selectRow(index.row())
            self.table.scrollTo(index)

    def delete_selected(self) -> bool:
        """Delete the selected annotation (undoable); False when none is selected."""
        annotation_id = self.selected_id()
        if annotation_id is None:
            return False
        push(self._undo, RemoveAnnotationCommand(self._bridge.project, annotation_id))
        return True
