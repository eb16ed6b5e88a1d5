"""Widgets of the Signals & Kernels lab: generator forms, a batch editor, editable plots."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker, Qt, pyqtSignal
from PyQt6.QtGui import QValidator
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
from convlab.gui.widgets import InputCheck, format_array, parse_array

from .model import PARAM_DECIMALS, param_range

__all__ = ["CUSTOM", "EditViewBox", "GeneratorForm", "MatrixEdit", "RangeSpinBox",
           "editable_plot", "no_tab_stop"]

_SPLIT = re.compile(r"[,\s;]+")  # the separators parse_array accepts

#: What a generator menu reads when the signal (kernel) was typed or drawn.
CUSTOM = "custom"
CUSTOM_TIP = "typed or drawn by hand: pick a type (or press Generate) to replace it"

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


def no_tab_stop(plot: pg.GraphicsView) -> pg.GraphicsView:
    """Take a plot (and its viewport) out of the Tab chain: it has no keys to offer.

    Its numbers are reachable from the keyboard elsewhere (the text fields, the
    step slider and the derivative table); the mouse still drags and zooms it.
    """
    for widget in (plot, plot.viewport()):
        widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return plot


def editable_plot(title: str, x_label: str, y_label: str, parent: QWidget | None = None
                  ) -> tuple[pg.PlotWidget, EditViewBox]:
    """A themed, labelled PlotWidget (like :func:`plots.make_plot`) with an :class:`EditViewBox`."""
    box = EditViewBox()
    widget = pg.PlotWidget(parent=parent, viewBox=box)
    register_view(widget)
    style_plot(widget.getPlotItem(), title, x_label, y_label)
    no_tab_stop(widget)
    return widget, box


def _spin_for(param: Param) -> QSpinBox | QDoubleSpinBox:
    low, high = param_range(param)  # the range the model accepts
    if param.kind is int:
        spin = QSpinBox()
        spin.setRange(int(low), int(high))
    else:
        spin = QDoubleSpinBox()
        spin.setDecimals(PARAM_DECIMALS)
        spin.setSingleStep(0.1)
        spin.setRange(low, high)
    spin.setValue(param.default)
    return spin


class RangeSpinBox(QSpinBox):
    """A spin box that says so when typed digits would go beyond its range.

    A plain QSpinBox silently drops the keystroke (typing 99999 into a 1–16 box
    leaves 9); this one emits ``refused`` with a sentence naming the range.
    """

    refused = pyqtSignal(str)

    def validate(self, text: str | None, pos: int) -> tuple:
        result = super().validate(text, pos)
        if result[0] == QValidator.State.Invalid and text:
            digits = text.strip().removeprefix(self.prefix()).removesuffix(self.suffix())
            if digits.lstrip("-").isdigit():
                self.refused.emit(f"{self.accessibleName() or 'This box'} takes "
                                  f"{self.minimum()} to {self.maximum()}: {digits} is out of "
                                  f"range")
        return result


class GeneratorForm(QWidget):
    """A menu of generators from a registry plus a field per parameter.

    The menu and fields are built from :class:`convlab.core.signals.Generator`
    descriptions, so a new generator in the core shows up here by itself.
    ``changed`` is emitted when the user picks another generator or edits a
    parameter; :meth:`set_selection` (the model speaking) does not emit it.
    :meth:`set_custom` says the signal (kernel) is not the generator's any more
    (typed or drawn): the menu then reads "custom" and the fields are disabled.
    """

    changed = pyqtSignal()

    def __init__(self, registry: Mapping[str, Generator], what: str = "generator",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._registry = registry
        self._what = what  # "signal", "kernel": the start of each field's accessible name
        self._fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self._name = next(iter(registry))  # the generator in effect (the menu may say custom)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setAccessibleName(f"{what.capitalize()} type")
        for name, gen in registry.items():
            self.combo.addItem(name)
            self.combo.setItemData(self.combo.count() - 1, gen.description,
                                   Qt.ItemDataRole.ToolTipRole)
        layout.addRow("Type", self.combo)
        self.combo.currentTextChanged.connect(self._on_combo)
        self._rebuild(self.combo.currentText())

    def name(self) -> str:
        """The generator in effect (also while the menu reads "custom")."""
        return self._name

    def is_custom(self) -> bool:
        """Whether the menu offers (and shows) "custom": the values are not the generator's."""
        return self.combo.findText(CUSTOM) >= 0

    def set_custom(self, custom: bool) -> None:
        """Show "custom" in the menu and disable the fields (True), or the generator."""
        if custom == self.is_custom():
            return
        with QSignalBlocker(self.combo):
            if custom:
                self.combo.addItem(CUSTOM)
                self.combo.setItemData(self.combo.count() - 1, CUSTOM_TIP,
                                       Qt.ItemDataRole.ToolTipRole)
                self.combo.setCurrentText(CUSTOM)
            else:
                self.combo.removeItem(self.combo.findText(CUSTOM))
                self.combo.setCurrentText(self._name)
        for spin in self._fields.values():
            spin.setEnabled(not custom)

    def values(self) -> dict[str, int | float]:
        """Current parameter values, typed as the generator expects."""
        return {p.name: p.kind(self._fields[p.name].value())
                for p in self._registry[self.name()].params}

    def field(self, name: str) -> QSpinBox | QDoubleSpinBox:
        """The field of the selected generator's parameter ``name``."""
        return self._fields[name]

    def set_selection(self, name: str, values: Mapping[str, float]) -> None:
        """Show ``name`` with ``values`` (missing ones at their defaults), without emitting.

        Fields that show their value already are left alone (a field being typed in
        keeps its text and cursor).
        """
        if name != self._name:
            if not self.is_custom():
                with QSignalBlocker(self.combo):
                    self.combo.setCurrentText(name)
            self._rebuild(name)
        wanted = {**self._registry[name].defaults(), **values}
        shown = self.values()
        for p in self._registry[name].params:
            if shown[p.name] != p.kind(wanted[p.name]):
                spin = self._fields[p.name]
                with QSignalBlocker(spin):
                    spin.setValue(p.kind(wanted[p.name]))

    def _on_combo(self, name: str) -> None:
        if name == CUSTOM:  # picked by hand: nothing to apply
            return
        self._rebuild(name)  # the generator in effect now
        self.set_custom(False)
        self.changed.emit()

    def _rebuild(self, name: str) -> None:
        layout = self.layout()
        while layout.rowCount() > 1:
            layout.removeRow(1)
        self._fields.clear()
        self._name = name
        gen = self._registry[name]
        self.combo.setToolTip(gen.description)
        previous: QWidget = self.combo
        for p in gen.params:
            widget = _spin_for(p)
            low, high = param_range(p)
            widget.setToolTip(f"{p.help} ({low:g} to {high:g})")
            widget.setAccessibleName(f"{self._what.capitalize()} {p.name}")
            widget.setAccessibleDescription(f"{p.help}, {low:g} to {high:g}")
            widget.setEnabled(not self.is_custom())
            widget.valueChanged.connect(self.changed)
            self._fields[p.name] = widget
            layout.addRow(p.name, widget)
            # new fields join the end of the window's focus chain: put them after the menu
            QWidget.setTabOrder(previous, widget)
            previous = widget


class MatrixEdit(QPlainTextEdit):
    """Several signals, one per line (``"1, 2, 3"``), all of the same length.

    Checked like :class:`convlab.gui.widgets.ArrayEdit` (by an
    :class:`~convlab.gui.widgets.InputCheck`): bad text gives a red border and a
    tooltip, :meth:`value` keeps the last valid ``(rows, n)`` array, and
    ``valueChanged`` carries a new valid array. ``validator`` may add checks
    (raise ``ValueError`` with a message) once the rows have the same length.
    """

    valueChanged = pyqtSignal(object)

    def __init__(self, value: NDArray, validator: Callable[[NDArray], object] | None = None,
                 tooltip: str = "", parent: QWidget | None = None,
                 shape_check: Callable[[tuple[int, int]], object] | None = None) -> None:
        super().__init__(parent)
        self._validator = validator
        self._shape_check = shape_check  # (lines, numbers in the first) before reading the rest
        self.check = InputCheck(self, self._parse, self.valueChanged.emit, value, tooltip,
                                describe=lambda v: f"the last valid {v.shape[0]} signals")
        self.setPlaceholderText("one signal per line, e.g.\n1, 2, 3\n3, 2, 1")
        self.setValue(value)
        self.textChanged.connect(lambda: self.check.text_changed(self.toPlainText()))

    @property
    def error(self) -> str:
        """What is wrong with the text ("" when it is valid)."""
        return self.check.error

    def value(self) -> NDArray[np.float64]:
        """The last valid rows (a copy)."""
        return self.check.value

    def setValue(self, value: NDArray) -> None:
        """Set the rows from the model (does not emit ``valueChanged``)."""
        rows = self.check.set_value(value)
        with QSignalBlocker(self):
            self.setPlainText("\n".join(format_array(row) for row in rows))

    def _parse(self, text: str) -> NDArray[np.float64]:
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise ValueError("type at least one signal (one per line)")
        rows = []
        if self._shape_check is not None:
            self._shape_check((len(lines), len(_SPLIT.split(lines[0].strip().strip("[]()")))))
        for number, line in enumerate(lines, 1):
            try:
                rows.append(parse_array(line))
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from None
        lengths = {r.size for r in rows}
        if len(lengths) > 1:
            raise ValueError(f"every signal needs the same length; got lengths "
                             f"{', '.join(str(r.size) for r in rows)}")
        arr = np.stack(rows)
        if self._validator is not None:
            self._validator(arr)
        return arr
