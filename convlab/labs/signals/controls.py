"""The Signals & Kernels lab's control column: signal, kernel, operation and batch forms.

:class:`ControlsMixin` builds the column, copies the state into it
(:meth:`~ControlsMixin._sync_widgets`) and writes every edit back into the
panel's :class:`~convlab.labs.signals.model.SignalsState`, then schedules a
redraw. It is mixed into :class:`~convlab.labs.signals.panel.SignalsPanel`,
whose ``state``, ``status_message``, ``_schedule`` and ``_on_draw_toggled`` it uses.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.theme import ERROR_COLOR
from convlab.gui.widgets import ArrayEdit

from .model import (
    MAX_DILATION,
    MAX_KERNEL,
    MAX_SIGNAL,
    MAX_STRIDE,
    SignalsView,
    fmt,
)
from .widgets import GeneratorForm, MatrixEdit

__all__ = ["ControlsMixin"]

_MODE_TIPS = {
    "valid": "no padding: only positions where the whole kernel fits (the notebook's choice)",
    "same": "pad so the output is as long as the signal (at stride 1)",
    "full": "pad d·(k−1) on both sides: every partial overlap",
}
_PADDING_TIPS = {
    "zeros": "padded samples are 0",
    "reflect": "mirror the signal at its ends, without repeating the edge sample",
    "replicate": "repeat the edge sample",
    "circular": "wrap around: the signal repeats",
}
_FLIP_ITEMS = (
    ("cross-correlation (deep learning)", False,
     "z_i = Σ_j w_j·x_{i+j·d}: what CNN layers and the notebook's _convolve compute"),
    ("convolution (kernel flipped)", True,
     "true convolution: the kernel is reversed before sliding (numpy.convolve)"),
)


def _check_length(limit: int, what: str):
    def check(arr: np.ndarray) -> None:
        if arr.size > limit:
            raise ValueError(f"at most {limit} {what}")
    return check


class ControlsMixin:
    """The control column of :class:`~convlab.labs.signals.panel.SignalsPanel`."""

    def _build_controls(self) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)

        sig = QGroupBox("Signal x")
        form = QVBoxLayout(sig)
        self.x_edit = ArrayEdit(self.state.x, _check_length(MAX_SIGNAL, "samples"),
                                "The signal's samples x_0, x_1, … separated by commas or spaces")
        self.x_edit.valueChanged.connect(self._on_x)
        form.addWidget(self.x_edit)
        self.gen_form = GeneratorForm(cc.SIGNAL_GENERATORS)
        self.gen_form.changed.connect(self._on_generator_params)
        form.addWidget(self.gen_form)
        row = QHBoxLayout()
        self.generate_button = QPushButton("&Generate")
        self.generate_button.setToolTip("Replace the signal by the chosen generator's (Ctrl+G)")
        self.generate_button.clicked.connect(self.generate_signal)
        self.draw_check = QCheckBox("&Draw with the mouse")
        self.draw_check.setToolTip("Drag on the signal plot to set the samples under the "
                                   "pointer (Ctrl+D)")
        self.draw_check.toggled.connect(self._on_draw_toggled)
        row.addWidget(self.generate_button)
        row.addWidget(self.draw_check)
        form.addLayout(row)
        col.addWidget(sig)

        ker = QGroupBox("Kernel w (drag its stems in the plot)")
        form = QVBoxLayout(ker)
        self.w_edit = ArrayEdit(self.state.w, _check_length(MAX_KERNEL, "taps"),
                                "The kernel's taps w_0, w_1, …; or drag a stem in the kernel plot")
        self.w_edit.valueChanged.connect(self._on_w)
        form.addWidget(self.w_edit)
        self.preset_form = GeneratorForm(cc.KERNEL_PRESETS)
        self.preset_form.changed.connect(self._on_preset_params)
        form.addWidget(self.preset_form)
        self.preset_button = QPushButton("Use &preset")
        self.preset_button.setToolTip("Replace the kernel by the chosen preset (Ctrl+K)")
        self.preset_button.clicked.connect(self.apply_preset)
        form.addWidget(self.preset_button)
        col.addWidget(ker)

        op = QGroupBox("Operation")
        form = QFormLayout(op)
        self.flip_combo = QComboBox()
        for i, (text, _flip, tip) in enumerate(_FLIP_ITEMS):
            self.flip_combo.addItem(text)
            self.flip_combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.flip_combo.setToolTip("Cross-correlation (CNNs) or true convolution (Ctrl+F)")
        self.flip_combo.currentIndexChanged.connect(self._on_operation)
        form.addRow("Kind", self.flip_combo)
        self.mode_combo = QComboBox()
        for i, mode in enumerate(cc.MODES):
            self.mode_combo.addItem(mode)
            self.mode_combo.setItemData(i, _MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setToolTip("How much padding: valid, same or full (Ctrl+M cycles)")
        self.mode_combo.currentIndexChanged.connect(self._on_operation)
        form.addRow("Mode", self.mode_combo)
        self.stride_spin = QSpinBox()
        self.stride_spin.setRange(1, MAX_STRIDE)
        self.stride_spin.setToolTip("Keep every s-th output, starting with z_0")
        self.stride_spin.valueChanged.connect(self._on_operation)
        form.addRow("Stride s", self.stride_spin)
        self.dilation_spin = QSpinBox()
        self.dilation_spin.setRange(1, MAX_DILATION)
        self.dilation_spin.setToolTip("Spacing d between the samples the taps read")
        self.dilation_spin.valueChanged.connect(self._on_operation)
        form.addRow("Dilation d", self.dilation_spin)
        self.padding_combo = QComboBox()
        for i, pm in enumerate(cc.PADDING_MODES):
            self.padding_combo.addItem(pm)
            self.padding_combo.setItemData(i, _PADDING_TIPS[pm], Qt.ItemDataRole.ToolTipRole)
        self.padding_combo.setToolTip("What the padded samples hold (same and full modes)")
        self.padding_combo.currentIndexChanged.connect(self._on_operation)
        form.addRow("Padding", self.padding_combo)
        self.all_modes_check = QCheckBox("Show valid, same, full side by side")
        self.all_modes_check.setToolTip("Compare the three modes' outputs (Ctrl+Shift+A)")
        self.all_modes_check.toggled.connect(self._on_operation)
        form.addRow(self.all_modes_check)
        col.addWidget(op)

        bat = QGroupBox("Batch: convolve(X, w)")
        form = QVBoxLayout(bat)
        self.batch_check = QCheckBox("Show a batch of signals")
        self.batch_check.setToolTip("Apply the kernel to several signals at once, like the "
                                    "notebook's convolve(X, w) (Ctrl+B)")
        self.batch_check.toggled.connect(self._on_batch_toggled)
        form.addWidget(self.batch_check)
        self.batch_edit = MatrixEdit(np.asarray(self.state.batch_x),
                                     "The batch X: one signal per line, all the same length",
                                     MAX_SIGNAL)
        self.batch_edit.setMaximumHeight(110)
        self.batch_edit.setLineWrapMode(MatrixEdit.LineWrapMode.NoWrap)
        self.batch_edit.valueChanged.connect(self._on_batch_x)
        form.addWidget(self.batch_edit)
        self.batch_error = QLabel()
        self.batch_error.setWordWrap(True)
        self.batch_error.setStyleSheet(f"color: {ERROR_COLOR};")
        form.addWidget(self.batch_error)
        col.addWidget(bat)

        col.addStretch(1)
        return box

    def _sync_widgets(self) -> None:
        s = self.state
        widgets = (self.flip_combo, self.mode_combo, self.stride_spin, self.dilation_spin,
                   self.padding_combo, self.all_modes_check, self.batch_check, self.gen_form,
                   self.preset_form)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.x_edit.setValue(s.x)
        self.w_edit.setValue(s.w)
        self.flip_combo.setCurrentIndex(1 if s.flip else 0)
        self.mode_combo.setCurrentText(s.mode)
        self.stride_spin.setValue(s.stride)
        self.dilation_spin.setValue(s.dilation)
        self.padding_combo.setCurrentText(s.padding_mode)
        self.all_modes_check.setChecked(s.show_all_modes)
        self.batch_check.setChecked(s.batch)
        self.batch_edit.setValue(np.asarray(s.batch_x))
        self.gen_form.set_selection(s.generator, s.generator_params)
        self.preset_form.set_selection(s.preset, s.preset_params)
        del blockers
        self.padding_combo.setEnabled(s.mode != "valid")

    def _on_x(self, arr: np.ndarray) -> None:
        self.state.x = arr.tolist()
        self._schedule()

    def _on_w(self, arr: np.ndarray) -> None:
        self.state.w = arr.tolist()
        self._schedule()

    def _on_operation(self) -> None:
        s = self.state
        s.flip = _FLIP_ITEMS[self.flip_combo.currentIndex()][1]
        s.mode = self.mode_combo.currentText()
        s.stride = self.stride_spin.value()
        s.dilation = self.dilation_spin.value()
        s.padding_mode = self.padding_combo.currentText()
        s.show_all_modes = self.all_modes_check.isChecked()
        self.padding_combo.setEnabled(s.mode != "valid")
        self._schedule()

    def _on_batch_toggled(self, on: bool) -> None:
        self.state.batch = on
        self._schedule()

    def _on_batch_x(self, arr: np.ndarray) -> None:
        self.state.batch_x = arr.tolist()
        self._schedule()

    def _on_generator_params(self) -> None:
        self.state.generator = self.gen_form.name()
        self.state.generator_params = self.gen_form.values()

    def _on_preset_params(self) -> None:
        self.state.preset = self.preset_form.name()
        self.state.preset_params = self.preset_form.values()

    def generate_signal(self) -> None:
        """Replace the signal by the selected generator's output."""
        self._on_generator_params()
        try:
            x = self.gen_form.generate()
        except ValueError as exc:
            self.status_message.emit(f"Cannot generate {self.gen_form.name()}: {exc}")
            return
        self._set_x(np.round(x, 4))
        self.status_message.emit(f"Signal: {self.gen_form.name()} ({x.size} samples)")

    def apply_preset(self) -> None:
        """Replace the kernel by the selected preset."""
        self._on_preset_params()
        try:
            w = self.preset_form.generate()
        except ValueError as exc:
            self.status_message.emit(f"Cannot make {self.preset_form.name()}: {exc}")
            return
        self._set_w(w)
        self.status_message.emit(f"Kernel: {self.preset_form.name()} = [{', '.join(map(fmt, w))}]")

    def _set_x(self, x: np.ndarray) -> None:
        self.state.x = np.asarray(x, dtype=float).tolist()
        self.x_edit.setValue(self.state.x)
        self._schedule()

    def _set_w(self, w: np.ndarray) -> None:
        self.state.w = np.asarray(w, dtype=float).tolist()
        self.w_edit.setValue(self.state.w)
        self._schedule()

    def _show_batch_status(self, view: SignalsView) -> None:
        """Enable the batch editor when the batch is shown; say what is wrong with it."""
        self.batch_edit.setEnabled(self.state.batch)
        self.batch_error.setText(view.batch_error)
        self.batch_error.setVisible(bool(view.batch_error))
