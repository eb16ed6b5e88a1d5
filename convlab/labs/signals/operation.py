"""The Signals & Kernels lab's convolution settings: kind, mode, stride, dilation, padding.

:class:`OperationForm` binds one widget to each of the model's ``flip``,
``mode``, ``stride``, ``dilation``, ``padding_mode`` and ``show_all_modes``:
an edit sets the field, a change of the field updates the widget in its
``_on_<field>_changed`` slot.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QWidget,
)

import convlab.core as cc
from convlab.gui.theme import mark_error_text

from .model import MAX_DILATION, MAX_STRIDE, SignalsState
from .widgets import RangeSpinBox

__all__ = ["FLIP_ITEMS", "KIND_NOTES", "OperationForm"]

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
#: The "Kind" menu: its index is ``int(flip)`` (as in every lab).
FLIP_ITEMS = (
    ("cross-correlation (deep learning)",
     "z_i = Σ_j w_j·x_{i+j·d}: what CNN layers and the notebook's _convolve compute"),
    ("convolution (kernel flipped)",
     "true convolution: the kernel is reversed before sliding (numpy.convolve)"),
)


#: The sentence under the Kind menu, by ``flip``: what changes, and which one CNNs compute.
KIND_NOTES = {
    False: "<i>w</i> slides as it is: z<sub>i</sub> = Σ<sub>j</sub> w<sub>j</sub>·x<sub>i+j</sub>."
           " This is what deep-learning libraries (PyTorch, TensorFlow) compute and call "
           "“convolution”.",
    True: "The kernel is flipped before it slides (grey dashed stems in the kernel plot): "
          "z<sub>i</sub> = Σ<sub>j</sub> w<sub>k−1−j</sub>·x<sub>i+j</sub>. "
          "Deep-learning libraries compute cross-correlation instead.",
}


def _combo(items: list[tuple[str, str]], name: str, tooltip: str) -> QComboBox:
    """A menu of ``(text, item tooltip)`` pairs, called ``name`` by a screen reader."""
    combo = QComboBox()
    combo.setAccessibleName(name)
    for i, (text, tip) in enumerate(items):
        combo.addItem(text)
        combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    combo.setToolTip(tooltip)
    return combo


def _spin(maximum: int, name: str, tooltip: str) -> RangeSpinBox:
    spin = RangeSpinBox()
    spin.setAccessibleName(name)
    spin.setRange(1, maximum)
    spin.setToolTip(f"{tooltip} (1 to {maximum})")
    return spin


def _cycle(combo: QComboBox) -> None:
    combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())


class OperationForm(QGroupBox):
    """How ``x`` and ``w`` are combined, and whether all three modes are shown."""

    def __init__(self, state: SignalsState, parent: QWidget | None = None) -> None:
        super().__init__("Operation", parent)
        self._state = state
        form = QFormLayout(self)
        self.flip_combo = _combo(list(FLIP_ITEMS), "Kind",
                                 "Cross-correlation (CNNs) or true convolution (Ctrl+F)")
        form.addRow("Kind", self.flip_combo)
        self.kind_note = QLabel()
        self.kind_note.setWordWrap(True)
        self.kind_note.setTextFormat(Qt.TextFormat.RichText)
        form.addRow(self.kind_note)
        self.mode_combo = _combo([(m, _MODE_TIPS[m]) for m in cc.MODES], "Mode",
                                 "How much padding: valid, same or full (Ctrl+M cycles)")
        form.addRow("Mode", self.mode_combo)
        self.stride_spin = _spin(MAX_STRIDE, "Stride s",
                                 "Keep every s-th output, starting with z_0")
        form.addRow("Stride s", self.stride_spin)
        self.dilation_spin = _spin(MAX_DILATION, "Dilation d",
                                   "Spacing d between the samples the taps read")
        form.addRow("Dilation d", self.dilation_spin)
        self.padding_combo = _combo([(p, _PADDING_TIPS[p]) for p in cc.PADDING_MODES], "Padding",
                                    "What the padded samples hold (same and full modes)")
        form.addRow("Padding", self.padding_combo)
        self.range_note = QLabel()  # what a spin box refused ("Stride s takes 1 to 16 …")
        self.range_note.setWordWrap(True)
        mark_error_text(self.range_note)
        self.range_note.setVisible(False)
        form.addRow(self.range_note)
        for spin in (self.stride_spin, self.dilation_spin):
            spin.refused.connect(self._on_refused)
            spin.valueChanged.connect(lambda _value: self.range_note.setVisible(False))
        self.all_modes_check = QCheckBox("Show valid, same, full side by side")
        self.all_modes_check.setAccessibleName("Show valid, same and full side by side")
        self.all_modes_check.setToolTip("Compare the three modes' outputs (Ctrl+Shift+A)")
        form.addRow(self.all_modes_check)

        for name in ("flip", "mode", "stride", "dilation", "padding_mode", "show_all_modes"):
            slot = getattr(self, f"_on_{name}_changed")
            getattr(state.events, name).connect(slot)
            slot(getattr(state, name))
        self.flip_combo.currentIndexChanged.connect(self._on_flip_edited)
        self.mode_combo.currentTextChanged.connect(self._on_mode_edited)
        self.stride_spin.valueChanged.connect(self._on_stride_edited)
        self.dilation_spin.valueChanged.connect(self._on_dilation_edited)
        self.padding_combo.currentTextChanged.connect(self._on_padding_edited)
        self.all_modes_check.toggled.connect(self._on_all_modes_edited)

    # ------------------------------------------------------------------ shortcuts
    def cycle_flip(self) -> None:
        """Switch between cross-correlation and convolution."""
        _cycle(self.flip_combo)

    def cycle_mode(self) -> None:
        """valid → same → full → valid."""
        _cycle(self.mode_combo)

    def toggle_all_modes(self) -> None:
        self.all_modes_check.toggle()

    # ------------------------------------------------------------------ widgets → model
    def _on_flip_edited(self, index: int) -> None:
        self._state.flip = index == 1

    def _on_mode_edited(self, mode: str) -> None:
        self._state.mode = mode

    def _on_stride_edited(self, value: int) -> None:
        self._state.stride = value

    def _on_dilation_edited(self, value: int) -> None:
        self._state.dilation = value

    def _on_padding_edited(self, padding_mode: str) -> None:
        self._state.padding_mode = padding_mode

    def _on_refused(self, message: str) -> None:
        self.range_note.setText(message)
        self.range_note.setVisible(True)

    def _on_all_modes_edited(self, on: bool) -> None:
        self._state.show_all_modes = on

    # ------------------------------------------------------------------ model → widgets
    def _on_flip_changed(self, new: bool, old: Any = None) -> None:
        with QSignalBlocker(self.flip_combo):
            self.flip_combo.setCurrentIndex(int(new))
        self.kind_note.setText(KIND_NOTES[bool(new)])

    def _on_mode_changed(self, new: str, old: Any = None) -> None:
        with QSignalBlocker(self.mode_combo):
            self.mode_combo.setCurrentText(new)
        self.padding_combo.setEnabled(new != "valid")  # valid mode has no padding

    def _on_stride_changed(self, new: int, old: Any = None) -> None:
        with QSignalBlocker(self.stride_spin):
            self.stride_spin.setValue(new)

    def _on_dilation_changed(self, new: int, old: Any = None) -> None:
        with QSignalBlocker(self.dilation_spin):
            self.dilation_spin.setValue(new)

    def _on_padding_mode_changed(self, new: str, old: Any = None) -> None:
        with QSignalBlocker(self.padding_combo):
            self.padding_combo.setCurrentText(new)

    def _on_show_all_modes_changed(self, new: bool, old: Any = None) -> None:
        with QSignalBlocker(self.all_modes_check):
            self.all_modes_check.setChecked(new)
