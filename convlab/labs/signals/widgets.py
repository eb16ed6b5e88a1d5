"""Widgets of the Signals & Kernels lab: generator forms, a batch editor, editable plots."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from convlab.core.signals import Generator, Param
from convlab.gui.plots import register_view, style_plot
from convlab.gui.widgets import ValidatedInput, format_array, parse_array

__all__ = ["EditViewBox", "GeneratorForm", "MatrixEdit", "editable_plot"]

#: ``editor(x, y, phase) -> used`` with phase "start", "move", "finish" or "click".
Editor = Callable[[float, float, str], bool]


class EditViewBox(pg.ViewBox):
    """A ViewBox whose left-button drags and clicks go to ``editor`` when one is set.

    ``editor(x, y, phase)`` gets data coordinates and ``"start"``, ``"move"``,
    ``"finish"`` or ``"click"``; it returns whether it used the gesture. A drag
    whose start it declines pans and zooms as usual, as does every drag without
    an editor. Right-click keeps pyqtgraph's menu (with Export…).
    """

    def __init__(self) -> None:
        super().__init__()
        self.editor: Editor | None = None
        self._editing = False

    def _view_point(self, scene_pos) -> tuple[float, float]:
        p = self.mapSceneToView(scene_pos)
        return p.x(), p.y()

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and ev.isStart():
            self._editing = self.editor is not None and self.editor(
                *self._view_point(ev.buttonDownScenePos()), "start")
        if not self._editing or self.editor is None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        self.editor(*self._view_point(ev.scenePos()), "finish" if ev.isFinish() else "move")
        if ev.isFinish():
            self._editing = False

    def mouseClickEvent(self, ev) -> None:
        if (self.editor is None or ev.button() != Qt.MouseButton.LeftButton
                or not self.editor(*self._view_point(ev.scenePos()), "click")):
            super().mouseClickEvent(ev)
            return
        ev.accept()


def editable_plot(title: str, x_label: str, y_label: str, parent: QWidget | None = None
                  ) -> tuple[pg.PlotWidget, EditViewBox]:
    """A themed, labelled PlotWidget (like :func:`plots.make_plot`) with an :class:`EditViewBox`."""
    box = EditViewBox()
    widget = pg.PlotWidget(parent=parent, viewBox=box)
    register_view(widget)
    style_plot(widget.getPlotItem(), title, x_label, y_label)
    return widget, box


def _spin_for(param: Param) -> QSpinBox | QDoubleSpinBox:
    if param.kind is int:
        spin = QSpinBox()
        spin.setRange(int(param.minimum if param.minimum is not None else -10**6),
                      int(param.maximum if param.maximum is not None else 10**6))
    else:
        spin = QDoubleSpinBox()
        spin.setDecimals(2)
        spin.setSingleStep(0.1)
        spin.setRange(param.minimum if param.minimum is not None else -1e6,
                      param.maximum if param.maximum is not None else 1e6)
    spin.setValue(param.default)
    return spin


class GeneratorForm(QWidget):
    """A menu of generators from a registry plus a field per parameter.

    The menu and fields are built from :class:`convlab.core.signals.Generator`
    descriptions, so a new generator in the core shows up here by itself.
    """

    changed = pyqtSignal()

    def __init__(self, registry: Mapping[str, Generator], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._registry = registry
        self._fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        for name, gen in registry.items():
            self.combo.addItem(name)
            self.combo.setItemData(self.combo.count() - 1, gen.description,
                                   Qt.ItemDataRole.ToolTipRole)
        self.layout_.addRow("Type", self.combo)
        self.combo.currentTextChanged.connect(self._rebuild)
        self._rebuild(self.combo.currentText())

    def name(self) -> str:
        return self.combo.currentText()

    def values(self) -> dict[str, int | float]:
        """Current parameter values, typed as the generator expects."""
        return {p.name: p.kind(self._fields[p.name].value())
                for p in self._registry[self.name()].params}

    def set_selection(self, name: str, values: Mapping[str, float]) -> None:
        """Select ``name`` and fill its fields (missing ones keep their defaults)."""
        with QSignalBlocker(self.combo):
            self.combo.setCurrentText(name)
        self._rebuild(name, emit=False)
        for p in self._registry[name].params:
            if p.name in values:
                self._fields[p.name].setValue(p.kind(values[p.name]))

    def generate(self) -> NDArray[np.float64]:
        """Call the selected generator; ``ValueError`` if the parameters do not go together."""
        return self._registry[self.name()](**self.values())

    def _rebuild(self, name: str, emit: bool = True) -> None:
        while self.layout_.rowCount() > 1:
            self.layout_.removeRow(1)
        self._fields.clear()
        gen = self._registry[name]
        self.combo.setToolTip(gen.description)
        for p in gen.params:
            widget = _spin_for(p)
            widget.setToolTip(p.help)
            widget.valueChanged.connect(self.changed)
            self._fields[p.name] = widget
            self.layout_.addRow(p.name, widget)
        if emit:
            self.changed.emit()


class MatrixEdit(ValidatedInput, QPlainTextEdit):
    """Several signals, one per line (``"1, 2, 3"``), all of the same length.

    Like :class:`convlab.gui.widgets.ArrayEdit` (both are
    :class:`~convlab.gui.widgets.ValidatedInput`): bad text gives a red border
    and a tooltip, :meth:`value` keeps the last valid ``(rows, n)`` array, and
    ``valueChanged`` carries a new valid array.
    """

    valueChanged = pyqtSignal(object)
    _STYLE_CLASS = "QPlainTextEdit"

    def __init__(self, value: NDArray, tooltip: str = "", max_len: int = 500,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tooltip = tooltip
        self._max_len = max_len
        self._value = np.asarray(value, dtype=float)
        self.setToolTip(tooltip)
        self.setPlaceholderText("one signal per line, e.g.\n1, 2, 3\n3, 2, 1")
        self.setValue(self._value)
        self.textChanged.connect(lambda: self._on_text_changed(self.toPlainText()))

    def setValue(self, value: NDArray) -> None:
        self._value = np.asarray(value, dtype=float).copy()
        with QSignalBlocker(self):
            self.setPlainText("\n".join(format_array(row) for row in self._value))
        self._set_error("")

    def _describe_value(self) -> str:
        return f"the last valid {self._value.shape[0]} signals"

    def _parse(self, text: str) -> NDArray[np.float64]:
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise ValueError("type at least one signal (one per line)")
        rows = []
        for number, line in enumerate(lines, 1):
            try:
                rows.append(parse_array(line))
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from None
        lengths = {r.size for r in rows}
        if len(lengths) > 1:
            raise ValueError(f"every signal needs the same length; got lengths "
                             f"{', '.join(str(r.size) for r in rows)}")
        if rows[0].size > self._max_len:
            raise ValueError(f"at most {self._max_len} samples per signal")
        return np.stack(rows)
