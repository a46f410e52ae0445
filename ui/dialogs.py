"""Dialogs and overlays: export options, annotation keys, the shortcut overlay."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from timesync.export.registry import RegistryView

__all__ = ["EXPORT_FORMATS", "FORMAT_OPTIONS", "ExportDialog", "KeysDialog"]

#: format -> (description, file suffix): a live view of :data:`timesync.export.registry.REGISTRY`.
EXPORT_FORMATS: Mapping[str, tuple[str, str]] = RegistryView(lambda f: (f.description, f.extension))

#: Options of each format the dialog offers (see :mod:`timesync.export.registry`): (name, label, kind,
#: minimum, maximum, decimals). A number left at its minimum, or a source left at "(reference)", is not
#: passed (the core's default). A live view of the registry (formats with options only).
FORMAT_OPTIONS: Mapping[str, list[tuple[str, str, str, float, float, int]]] = RegistryView(
    lambda f: [tuple(o) for o in f.form], keep=lambda f: bool(f.form))


class ExportDialog(QDialog):
    """Choose a format, an output file and the format's options.

    :meth:`values` returns ``(fmt, out_path, force, options)`` for
    :func:`timesync.export.export`; options left at "default" are not passed.
    """

    def __init__(self, parent: QWidget | None = None, *, fmt: str = "csv", folder: Path | None = None,
                 stem: str = "incident", sources: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self._folder = folder or Path.cwd()
        self._stem = stem
        self._sources = list(sources or [])
        self.format = QComboBox(self)
        for name, (text, _suffix) in EXPORT_FORMATS.items():
            self.format.addItem(f"{name}: {text}", name)
        self.out = QLineEdit(self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        self.force = QCheckBox("overwrite an existing file", self)
        form = QFormLayout()
        form.addRow("format", self.format)
        form.addRow("file", out_row)
        form.addRow("", self.force)
        self._options_box = QWidget(self)
        self._options_form = QFormLayout(self._options_box)
        self._options_form.setContentsMargins(0, 0, 0, 0)
        self.option_widgets: dict[str, QWidget] = {}
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._options_box)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._on_format)
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        self._on_format()

    def _on_format(self) -> None:
        fmt = self.format.currentData()
        suffix = EXPORT_FORMATS[fmt][1]
        current = self.out.text().strip()
        base = Path(current) if current else self._folder / f"{self._stem}-export"
        self.out.setText(str(base.with_suffix(suffix)))
        while self._options_form.rowCount():
            self._options_form.removeRow(0)
        self.option_widgets = {}
        for name, label, kind, low, high, decimals in FORMAT_OPTIONS.get(fmt, []):
            widget = self._option_widget(kind, low, high, decimals)
            self.option_widgets[name] = widget
            self._options_form.addRow(label, widget)
        self._options_box.setVisible(bool(self.option_widgets))

    def _option_widget(self, kind: str, low: float, high: float, decimals: int) -> QWidget:
        if kind == "source":
            combo = QComboBox(self)
            combo.addItem("(reference)", None)
            for name in self._sources:
                combo.addItem(name, name)
            return combo
        spin = QDoubleSpinBox(self) if kind == "float" else QSpinBox(self)
        if kind == "float":
            spin.setDecimals(decimals)
        spin.setRange(low, high) if kind == "float" else spin.setRange(int(low), int(high))
        spin.setSpecialValueText("default")
        spin.setValue(spin.minimum())
        return spin

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out.text())
        if path:
            self.out.setText(path)

    def values(self) -> tuple[str, Path, bool, dict[str, Any]]:
        """``(fmt, out, force, options)``."""
        fmt = self.format.currentData()
        options: dict[str, Any] = {}
        for name, widget in self.option_widgets.items():
            if isinstance(widget, QComboBox):
                if widget.currentData() is not None:
                    options[name] = widget.currentData()
            elif widget.value() != widget.minimum():
                options[name] = widget.value()
        return fmt, Path(self.out.text().strip()), self.force.isChecked(), options


class KeysDialog(QDialog):
    """Edit the one-key shortcut of each event type."""

    def __init__(self, keys: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Annotation keys")
        self._edits: dict[str, QKeySequenceEdit] = {}
        form = QFormLayout()
        for event_type, key in keys.items():
            edit = QKeySequenceEdit(QKeySequence(key), self)
            self._edits[event_type] = edit
            form.addRow(event_type, edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def keys(self) -> dict[str, str]:
        """``{event type: key}`` as edited (empty string: no key)."""
        return {t: e.keySequence().toString() for t, e in self._edits.items()}


