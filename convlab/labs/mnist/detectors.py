"""The "Detectors" box: what the responses show, the threshold, the mode and the operation.

:class:`DetectorControls` sets the model's ``display``, ``threshold``, ``mode``
and ``flip`` and shows them in one small slot per field. The Operation combo's
index means what it means in every lab: 0 = cross-correlation (``flip``
false), 1 = convolution (``flip`` true).
"""

from __future__ import annotations

from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSlider, QWidget

import convlab.core as cc

from .layout import button, fill, row
from .model import DISPLAYS, MAX_THRESHOLD, MnistState, batched, notebook_kernels

__all__ = ["FLIP_CHOICES", "THRESHOLD_SLIDER_RANGE", "THRESHOLD_STEP", "DetectorControls",
           "use_notebook_settings"]

#: The threshold slider's step and range: linear, where the masks change (responses of the
#: notebook's kernels on digits in [0, 1] lie within about ±6). The box beside it takes any
#: threshold from −MAX_THRESHOLD to MAX_THRESHOLD.
THRESHOLD_STEP = 0.05
THRESHOLD_SLIDER_RANGE = (-2.0, 6.0)
MODE_TIPS = {
    "full": "full: every overlap, output (H+k−1)×(W+k−1) — the notebook's choice",
    "same": "same: output the size of the digit",
    "valid": "valid: only where the kernel fits inside the digit",
}
#: The Operation combo's entries, in every lab's order: (text, flip).
FLIP_CHOICES = (("cross-correlation", False), ("convolution", True))


def use_notebook_settings(model: MnistState) -> None:
    """Threshold 1.5, full mode, true convolution, the four line detectors."""
    with batched(model):
        model.update({"threshold": cc.NOTEBOOK_THRESHOLD, "mode": "full", "flip": True,
                      "kernels": notebook_kernels()})


class DetectorControls(QGroupBox):
    """Display, threshold (slider and box), mode and operation of the four detectors."""

    def __init__(self, model: MnistState, parent: QWidget | None = None) -> None:
        super().__init__("Detectors", parent)
        self._model = model
        self.display_combo = QComboBox()
        for key, text in DISPLAYS.items():
            self.display_combo.addItem(text, key)
        self.display_combo.setToolTip(
            "Mask: pixels above the threshold. Raw response: the convolution itself "
            "(blue negative, red positive). Mask over digit: where the detector fires on the ink."
        )
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        low, high = THRESHOLD_SLIDER_RANGE
        self.threshold_slider.setRange(round(low / THRESHOLD_STEP), round(high / THRESHOLD_STEP))
        self.threshold_slider.setSingleStep(1)
        self.threshold_slider.setPageStep(round(0.5 / THRESHOLD_STEP))
        self.threshold_slider.setToolTip(
            f"Threshold: a pixel is on when its response is above it "
            f"({low:g} … {high:g} in steps of {THRESHOLD_STEP:g}; type any value in the box)"
        )
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(-MAX_THRESHOLD, MAX_THRESHOLD)
        self.threshold_spin.setDecimals(2)
        self.threshold_spin.setSingleStep(THRESHOLD_STEP)
        self.threshold_spin.setToolTip(
            f"Threshold (the notebook uses 1.5): type any value from {-MAX_THRESHOLD:g} "
            f"to {MAX_THRESHOLD:g}"
        )
        self.mode_combo = QComboBox()
        for mode in cc.CONV2D_MODES:
            self.mode_combo.addItem(mode, mode)
        self.mode_combo.setToolTip("\n".join(MODE_TIPS.values()))
        self.flip_combo = QComboBox()
        for text, flip in FLIP_CHOICES:
            self.flip_combo.addItem(text, flip)
        self.flip_combo.setToolTip(
            "True convolution rotates the kernel by 180° (scipy.signal.convolve2d, the notebook); "
            "cross-correlation does not (what PyTorch and Keras call convolution)"
        )
        self.notebook_button = button(
            "Notebook settings",
            "Threshold 1.5, full mode, true convolution, the four line detectors",
            lambda: use_notebook_settings(model),
        )
        for widget, text in ((self.display_combo, "Show"),
                             (self.threshold_slider, "Threshold slider"),
                             (self.threshold_spin, "Threshold"), (self.mode_combo, "Mode"),
                             (self.flip_combo, "Operation")):
            widget.setAccessibleName(text)
        form = QFormLayout()
        form.addRow("Show", self.display_combo)
        form.addRow("Threshold", row(self.threshold_slider, self.threshold_spin, stretch=0))
        form.addRow("Mode", self.mode_combo)
        form.addRow("Operation", self.flip_combo)
        fill(self, form, self.notebook_button)
        self._bind()

    def _bind(self) -> None:
        model = self._model
        self.display_combo.currentIndexChanged.connect(
            lambda _i: setattr(model, "display", self.display_combo.currentData())
        )
        self.threshold_slider.valueChanged.connect(
            lambda v: setattr(model, "threshold", v * THRESHOLD_STEP)
        )
        self.threshold_spin.valueChanged.connect(lambda v: setattr(model, "threshold", v))
        self.mode_combo.currentIndexChanged.connect(
            lambda _i: setattr(model, "mode", self.mode_combo.currentData())
        )
        self.flip_combo.currentIndexChanged.connect(
            lambda _i: setattr(model, "flip", self.flip_combo.currentData())
        )
        events = model.events
        events.display.connect(self._on_display_changed)
        events.threshold.connect(self._on_threshold_changed)
        events.mode.connect(self._on_mode_changed)
        events.flip.connect(self._on_flip_changed)
        self._on_display_changed(model.display, None)
        self._on_threshold_changed(model.threshold, None)
        self._on_mode_changed(model.mode, None)
        self._on_flip_changed(model.flip, None)

    # -- model → widgets ----------------------------------------------------
    def _on_display_changed(self, new: str, _old: str | None) -> None:
        with QSignalBlocker(self.display_combo):
            self.display_combo.setCurrentIndex(self.display_combo.findData(new))

    def _on_threshold_changed(self, new: float, _old: float | None) -> None:
        with QSignalBlocker(self.threshold_slider):
            self.threshold_slider.setValue(round(new / THRESHOLD_STEP))
        # While the user types "1.5", the box's value is already 1.0 after "1": writing the
        # value back would reformat the text ("1.00") under the cursor and eat the "." typed
        # next. So the box is rewritten only when it shows something else.
        if self.threshold_spin.value() != round(new, self.threshold_spin.decimals()):
            with QSignalBlocker(self.threshold_spin):
                self.threshold_spin.setValue(new)

    def _on_mode_changed(self, new: str, _old: str | None) -> None:
        with QSignalBlocker(self.mode_combo):
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(new))

    def _on_flip_changed(self, new: bool, _old: bool | None) -> None:
        with QSignalBlocker(self.flip_combo):
            self.flip_combo.setCurrentIndex(self.flip_combo.findData(new))
