"""The Signals & Kernels lab's signal and kernel editors, bound to the lab's model.

:class:`SignalEditor` edits ``x`` (typed samples, a generator and its
parameters, the switch for drawing with the mouse); :class:`KernelEditor`
edits ``w`` (typed taps, a preset and its parameters). An edit sets the model's
field; a change of the field (from anywhere: a plot, a loaded session) comes
back through a small ``_on_<field>_changed`` slot that updates one widget.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.theme import mark_error_text
from convlab.gui.widgets import ArrayEdit, format_array

from .model import SignalsState, check_kernel, check_signal, fmt
from .widgets import GeneratorForm

__all__ = ["KernelEditor", "SignalEditor"]


def _show_array(edit: ArrayEdit, values: list[float]) -> None:
    """Put the model's ``values`` in ``edit`` unless it shows them already (its own edit)."""
    if not np.array_equal(edit.value(), values):
        edit.setValue(values)


def _describe(values: np.ndarray) -> str:
    """The last valid value, short: a long signal is not listed over the plot."""
    if values.size <= 8:
        return format_array(values)
    return f"the last valid {values.size} values ({format_array(values[:3])}, …)"


class _ErrorLine(QLabel):
    """Under a text field: what is wrong with its text, in red (hidden when nothing is)."""

    def __init__(self, edit: ArrayEdit) -> None:
        super().__init__()
        self._edit = edit
        self.setWordWrap(True)
        mark_error_text(self)
        self.setVisible(False)
        edit.check.describe = _describe
        edit.textEdited.connect(self.follow)  # after the field checked its text

    def follow(self) -> None:
        self.setText(self._edit.error)
        self.setVisible(bool(self._edit.error))


class SignalEditor(QGroupBox):
    """The signal ``x``: its samples, a generator to replace them, mouse drawing on or off."""

    #: A message for the status bar.
    status = pyqtSignal(str)
    #: Drawing on the signal plot with the mouse was switched on (True) or off.
    drawing_toggled = pyqtSignal(bool)

    def __init__(self, state: SignalsState, parent: QWidget | None = None) -> None:
        super().__init__("Signal x", parent)
        self._state = state
        layout = QVBoxLayout(self)
        self.edit = ArrayEdit(state.x, check_signal,
                              "The signal's samples x_0, x_1, … separated by commas or spaces")
        self.edit.setAccessibleName("Signal x samples")
        layout.addWidget(self.edit)
        self.error_label = _ErrorLine(self.edit)
        layout.addWidget(self.error_label)
        self.form = GeneratorForm(cc.SIGNAL_GENERATORS, "signal")
        self.form.set_selection(state.generator, state.generator_params)
        self.form.set_custom(not state.signal_is_generated())
        layout.addWidget(self.form)
        row = QHBoxLayout()
        self.generate_button = QPushButton("&Generate")
        self.generate_button.setToolTip("Replace the signal by the chosen generator's (Ctrl+G)")
        self.generate_button.setAccessibleName("Generate signal")
        self.draw_check = QCheckBox("&Draw with the mouse")
        self.draw_check.setAccessibleName("Draw the signal with the mouse")
        self.draw_check.setToolTip("Drag on the signal plot to set the samples under the "
                                   "pointer (Ctrl+D)")
        row.addWidget(self.generate_button)
        row.addWidget(self.draw_check)
        layout.addLayout(row)

        self.edit.valueChanged.connect(self._on_edit)
        self.form.changed.connect(self._on_form_edited)
        self.generate_button.clicked.connect(self.generate)
        self.draw_check.toggled.connect(self._on_draw_toggled)
        state.events.x.connect(self._on_x_changed)
        state.events.generator.connect(self._on_generator_changed)
        state.events.generator_params.connect(self._on_generator_params_changed)

    def generate(self) -> None:
        """Replace the signal by the selected generator's output."""
        name = self._state.generator
        try:
            self._state.x = x = self._state.generated_signal()
        except ValueError as exc:
            self.status.emit(f"Cannot generate {name}: {exc}")
            return
        self.status.emit(f"Signal: {name} ({x.size} samples)")

    def toggle_drawing(self) -> None:
        """Switch drawing on the signal plot on or off."""
        self.draw_check.toggle()

    def _on_edit(self, values: np.ndarray) -> None:
        self._state.x = values

    def _on_form_edited(self) -> None:
        """A type or parameter picked: take it, and apply it to the signal at once."""
        self._state.update({"generator": self.form.name(),
                            "generator_params": self.form.values()})
        self.generate()

    def _on_draw_toggled(self, on: bool) -> None:
        self.drawing_toggled.emit(on)
        self.status.emit("Drag on the signal plot to draw samples" if on else
                         "Drawing off: drag to pan the signal plot")

    def _on_x_changed(self, new: list[float], old: Any = None) -> None:
        _show_array(self.edit, new)
        self.error_label.follow()
        self.form.set_custom(not self._state.signal_is_generated())

    def _on_generator_changed(self, new: str, old: Any = None) -> None:
        self.form.set_selection(new, self._state.generator_params)
        self.form.set_custom(not self._state.signal_is_generated())

    def _on_generator_params_changed(self, new: dict, old: Any = None) -> None:
        self.form.set_selection(self._state.generator, new)
        self.form.set_custom(not self._state.signal_is_generated())


class KernelEditor(QGroupBox):
    """The kernel ``w``: its taps and a preset to replace them."""

    #: A message for the status bar.
    status = pyqtSignal(str)

    def __init__(self, state: SignalsState, parent: QWidget | None = None) -> None:
        super().__init__("Kernel w (drag its stems in the plot)", parent)
        self._state = state
        layout = QVBoxLayout(self)
        self.edit = ArrayEdit(state.w, check_kernel,
                              "The kernel's taps w_0, w_1, …; or drag a stem in the kernel plot")
        self.edit.setAccessibleName("Kernel w taps")
        layout.addWidget(self.edit)
        self.error_label = _ErrorLine(self.edit)
        layout.addWidget(self.error_label)
        self.form = GeneratorForm(cc.KERNEL_PRESETS, "kernel")
        self.form.set_selection(state.preset, state.preset_params)
        self.form.set_custom(not state.kernel_is_preset())
        layout.addWidget(self.form)
        self.preset_button = QPushButton("Use &preset")
        self.preset_button.setToolTip("Replace the kernel by the chosen preset (Ctrl+K)")
        self.preset_button.setAccessibleName("Use kernel preset")
        layout.addWidget(self.preset_button)

        self.edit.valueChanged.connect(self._on_edit)
        self.form.changed.connect(self._on_form_edited)
        self.preset_button.clicked.connect(self.apply_preset)
        state.events.w.connect(self._on_w_changed)
        state.events.preset.connect(self._on_preset_changed)
        state.events.preset_params.connect(self._on_preset_params_changed)

    def apply_preset(self) -> None:
        """Replace the kernel by the selected preset."""
        name = self._state.preset
        try:
            self._state.w = w = self._state.preset_kernel()
        except ValueError as exc:
            self.status.emit(f"Cannot make {name}: {exc}")
            return
        self.status.emit(f"Kernel: {name} = [{', '.join(map(fmt, w))}]")

    def _on_edit(self, values: np.ndarray) -> None:
        self._state.w = values

    def _on_form_edited(self) -> None:
        """A preset or parameter picked: take it, and apply it to the kernel at once."""
        self._state.update({"preset": self.form.name(), "preset_params": self.form.values()})
        self.apply_preset()

    def _on_w_changed(self, new: list[float], old: Any = None) -> None:
        _show_array(self.edit, new)
        self.error_label.follow()
        self.form.set_custom(not self._state.kernel_is_preset())

    def _on_preset_changed(self, new: str, old: Any = None) -> None:
        self.form.set_selection(new, self._state.preset_params)
        self.form.set_custom(not self._state.kernel_is_preset())

    def _on_preset_params_changed(self, new: dict, old: Any = None) -> None:
        self.form.set_selection(self._state.preset, new)
        self.form.set_custom(not self._state.kernel_is_preset())
