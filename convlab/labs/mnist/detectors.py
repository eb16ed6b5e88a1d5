"""The MNIST lab's detector settings: display, threshold, mode, operation, hover read-out.

:class:`DetectorControlsMixin` builds the "Detectors" box and applies its
settings to the figure; a threshold change only re-thresholds the responses
already computed. It is mixed into :class:`~convlab.labs.mnist.panel.MnistPanel`,
whose ``state``, ``figure``, ``figure_view``, ``kernel_editor``, ``inspector``
and ``refresh`` it uses.
"""

from __future__ import annotations

import dataclasses

from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSlider

import convlab.core as cc
from convlab.core.validation import check_choice

from .figure import inspector_html
from .layout import button, group, row
from .model import DISPLAYS, MAX_THRESHOLD, notebook_kernels

__all__ = ["THRESHOLD_STEP", "DetectorControlsMixin"]

THRESHOLD_STEP = 0.05
THRESHOLD_RANGE = 10.0
MODE_TIPS = {
    "full": "full: every overlap, output (H+k−1)×(W+k−1) — the notebook's choice",
    "same": "same: output the size of the digit",
    "valid": "valid: only where the kernel fits inside the digit",
}


class DetectorControlsMixin:
    """The "Detectors" box of :class:`~convlab.labs.mnist.panel.MnistPanel` and its settings."""

    # ------------------------------------------------------------- build
    def _build_detector_box(self) -> None:
        self._hover: tuple[int, int] | None = None  # response pixel the inspector explains
        self.display_combo = QComboBox()
        for key, text in DISPLAYS.items():
            self.display_combo.addItem(text, key)
        self.display_combo.setToolTip(
            "Mask: pixels above the threshold. Raw response: the convolution itself "
            "(blue negative, red positive). Mask over digit: where the detector fires on the ink."
        )
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        steps = round(THRESHOLD_RANGE / THRESHOLD_STEP)
        self.threshold_slider.setRange(-steps, steps)
        self.threshold_slider.setToolTip("Threshold: a pixel is on when its response is above it")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(-MAX_THRESHOLD, MAX_THRESHOLD)
        self.threshold_spin.setDecimals(2)
        self.threshold_spin.setSingleStep(THRESHOLD_STEP)
        self.threshold_spin.setToolTip("Threshold (the notebook uses 1.5)")
        self.mode_combo = QComboBox()
        for mode in cc.CONV2D_MODES:
            self.mode_combo.addItem(mode, mode)
        self.mode_combo.setToolTip("\n".join(MODE_TIPS.values()))
        self.flip_combo = QComboBox()
        self.flip_combo.addItem("convolution", True)
        self.flip_combo.addItem("cross-correlation", False)
        self.flip_combo.setToolTip(
            "True convolution rotates the kernel by 180° (scipy.signal.convolve2d, the notebook); "
            "cross-correlation does not (what PyTorch and Keras call convolution)"
        )
        self.notebook_button = button(
            "Notebook settings",
            "Threshold 1.5, full mode, true convolution, the four line detectors",
            self.notebook_settings,
        )
        form = QFormLayout()
        form.addRow("Show", self.display_combo)
        form.addRow("Threshold", row(self.threshold_slider, self.threshold_spin, stretch=0))
        form.addRow("Mode", self.mode_combo)
        form.addRow("Operation", self.flip_combo)
        self.detector_box = group("Detectors", form, self.notebook_button)
        self.display_combo.currentIndexChanged.connect(
            lambda _i: self.set_display(self.display_combo.currentData())
        )
        self.threshold_slider.valueChanged.connect(
            lambda v: self.set_threshold(v * THRESHOLD_STEP)
        )
        self.threshold_spin.valueChanged.connect(self.set_threshold)
        self.mode_combo.currentIndexChanged.connect(
            lambda _i: self._set_conv(mode=self.mode_combo.currentData())
        )
        self.flip_combo.currentIndexChanged.connect(
            lambda _i: self._set_conv(flip=self.flip_combo.currentData())
        )

    def _sync_detector_widgets(self) -> None:
        """Put the state's display, threshold, mode and operation into the Detectors box."""
        s = self.state
        with (
            QSignalBlocker(self.display_combo),
            QSignalBlocker(self.threshold_slider),
            QSignalBlocker(self.threshold_spin),
            QSignalBlocker(self.mode_combo),
            QSignalBlocker(self.flip_combo),
        ):
            self.display_combo.setCurrentIndex(self.display_combo.findData(s.display))
            self.threshold_slider.setValue(round(s.threshold / THRESHOLD_STEP))
            self.threshold_spin.setValue(s.threshold)
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(s.mode))
            self.flip_combo.setCurrentIndex(0 if s.flip else 1)

    # ------------------------------------------------------------- settings
    def kernels(self) -> dict[str, NDArray]:
        return self.kernel_editor.kernels()

    def set_threshold(self, level: float) -> None:
        """New threshold: only the masks change, so only they are redrawn (fast)."""
        level = float(level)
        if level == self.state.threshold:
            return
        self.state.threshold = level
        self._sync_detector_widgets()
        if self.figure is not None:
            self.figure = dataclasses.replace(
                self.figure, masks=self.figure.responses > level, level=level
            )
            self.figure_view.figure = self.figure
            self.figure_view.update_responses()
            self._update_inspector()
        self._update_stats_status()

    def set_display(self, display: str) -> None:
        check_choice(display, "display", tuple(DISPLAYS))
        self.state.display = display
        self._sync_detector_widgets()
        self.figure_view.display = display
        self.figure_view.update_responses()

    def _set_conv(self, **changes) -> None:
        for key, value in changes.items():
            setattr(self.state, key, value)
        self.refresh()

    def _on_kernels(self) -> None:
        self.state.kernels = [k.tolist() for k in self.kernels().values()]
        self.schedule_refresh()

    def notebook_settings(self) -> None:
        """Threshold 1.5, full mode, convolution, the line detectors."""
        self.state.threshold = cc.NOTEBOOK_THRESHOLD
        self.state.mode = "full"
        self.state.flip = True
        with QSignalBlocker(self.kernel_editor):
            self.kernel_editor.reset_to_notebook()
        self.state.kernels = notebook_kernels()
        self._sync_widgets()
        self.refresh()

    # ------------------------------------------------------------- hover read-out
    def _on_hover(self, r: int, c: int) -> None:
        if r < 0 or self.figure is None:
            return
        self._hover = (r, c)
        self._update_inspector()

    def _update_inspector(self) -> None:
        """Rewrite the hover read-out for the current figure (the pixel stays)."""
        if self._hover is None or self.figure is None:
            return
        r, c = self._hover
        out_h, out_w = self.figure.responses.shape[1:]
        if r < out_h and c < out_w:
            self.inspector.setText(inspector_html(self.figure, r, c))
