"""The MNIST Detectors lab: the notebook's line-detector figure, alive.

Training digit #2 convolved with four 3×3 line detectors and thresholded at
1.5, as in the notebook; then browse digits, move the threshold, edit the
kernels, draw your own digit, and compute per-class statistics over the
whole data set in the background.

The panel is assembled from one mixin per area of the window, each in its own
module with that area's widgets and behaviour:

* :mod:`.mnist_data` — the "Data" box: bundled sample, folder, detected copies, download;
* :mod:`.mnist_digits` — the digit browser and the drawing canvas;
* :mod:`.mnist_detectors` — display, threshold, mode, operation and the hover read-out;
* :mod:`.mnist_stats` — the statistics tab and its background computation.

This module lays them out, keeps the widgets in step with :class:`MnistState`
(:mod:`.mnist_model`) and implements the :class:`~convlab.gui.base.LabPanel` API.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QComboBox,
    QLabel,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.exports import save_detector_npz
from convlab.gui.base import DataExport, LabPanel
from convlab.gui.widgets import Throttle

from .data import DataSourceMixin
from .detectors import THRESHOLD_STEP, DetectorControlsMixin
from .digits import DigitBrowserMixin
from .figure import DetectorFigureView, ThumbnailStrip
from .kernels import KernelEditor
from .layout import group
from .model import MnistState
from .stats import StatisticsMixin

__all__ = ["THRESHOLD_STEP", "MnistPanel", "MnistState"]

REDRAW_MS = 16  # at most one redraw per frame (~60 Hz) during drags and strokes


class MnistPanel(
    DataSourceMixin, DigitBrowserMixin, DetectorControlsMixin, StatisticsMixin, LabPanel
):
    """Digits convolved with line detectors: figure, browser, kernels, drawing, statistics."""

    title = "MNIST Detectors"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = MnistState()
        self.data = cc.load_mnist()  # bundled sample: ~20 ms, no thread needed
        self.figure: cc.DetectorFigure | None = None
        self.stats: cc.DetectorStats | None = None
        self._redraw_throttle = Throttle(self.refresh, REDRAW_MS, self)

        names = list(cc.LINE_DETECTORS)
        self._build_data_box()
        self._build_browser()
        self._build_canvas_box()
        self._build_detector_box()
        self.kernel_editor = KernelEditor()
        self.figure_view = DetectorFigureView(names)
        self.follow_theme(self.figure_view.restyle_texts)
        self.figure_view.setToolTip(
            "Each detector's kernel (values in the cells) beside its response; "
            "hover a pixel to see the sum that makes it"
        )
        self.figure_view.hovered.connect(self._on_hover)
        self.inspector = QLabel("Hover a response pixel (or the digit) to see how it is computed.")
        self.inspector.setTextFormat(Qt.TextFormat.RichText)
        self.inspector.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        self.inspector.setFont(mono)
        inspector_scroll = QScrollArea()
        inspector_scroll.setWidget(self.inspector)
        inspector_scroll.setWidgetResizable(True)
        inspector_scroll.setMinimumHeight(150)
        self.thumbnails = ThumbnailStrip()
        self.thumbnails.clicked.connect(self.go_to_position)

        figure_tab = QSplitter(Qt.Orientation.Vertical)
        figure_tab.addWidget(self.figure_view)
        figure_tab.addWidget(inspector_scroll)
        figure_tab.setStretchFactor(0, 4)
        figure_tab.setStretchFactor(1, 1)
        figure_page = QWidget()
        fl = QVBoxLayout(figure_page)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(figure_tab, 1)
        fl.addWidget(self.thumbnails)

        self.tabs = QTabWidget()
        self.tabs.addTab(figure_page, "Figure")
        self.tabs.addTab(self._build_stats_page(names), "Statistics over the data set")

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(self.data_box)
        ll.addWidget(self.browser_box)
        ll.addWidget(self.canvas_box, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.detector_box)
        rl.addWidget(group("Kernels", self.kernel_editor))
        rl.addStretch(1)
        for combo in self.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(6)
        splitter = QSplitter()
        widths = []
        for side in (left, self.tabs, right):
            if side is self.tabs:
                splitter.addWidget(side)
                widths.append(640)
                continue
            scroll = QScrollArea()
            scroll.setWidget(side)
            scroll.setWidgetResizable(True)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            width = side.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4
            scroll.setMinimumWidth(width)
            widths.append(width)
            splitter.addWidget(scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes(widths)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(splitter)

        self.kernel_editor.kernelChanged.connect(lambda _i: self._on_kernels())
        self.kernel_editor.bankChanged.connect(self._on_kernels)
        self._add_shortcuts()
        self._show_source()
        self._sync_widgets()
        self.refresh()
        self._search_copies()

    def _add_shortcuts(self) -> None:
        self.add_shortcuts((
            ("Ctrl+Left", self.previous),
            ("Ctrl+Right", self.next),
            ("Ctrl+R", self.random_digit),
            ("Ctrl+Shift+O", self.choose_folder),
            ("Ctrl+T", self.compute_statistics),
        ))

    # ------------------------------------------------------------- model → view
    def _sync_widgets(self) -> None:
        """Put the state into every control (without triggering their signals)."""
        self._sync_browser_widgets()
        self._sync_detector_widgets()
        self._sync_stats_widgets()

    def schedule_refresh(self) -> None:
        """Recompute and redraw now, then at most once a frame (drawing strokes, drags)."""
        self._redraw_throttle.request()

    def refresh(self) -> None:
        """Recompute the figure for the current digit and settings, and show it."""
        self._redraw_throttle.cancel()
        s = self.state
        self.figure = cc.detector_figure(
            self.current_digit(), self.kernels(), s.threshold, s.mode, s.flip
        )
        self.figure_view.set_figure(self.figure, s.display)
        self._update_inspector()
        self._update_stats_status()

    # ------------------------------------------------------------- LabPanel API
    def data_exports(self) -> list[DataExport]:
        return [DataExport("Responses and masks as NumPy .npz…", "NumPy arrays (*.npz)",
                           "convlab-detectors.npz", self.save_npz)]

    def save_npz(self, path: Path) -> None:
        """Save the current digit, kernels, responses and masks (see ``save_detector_npz``)."""
        save_detector_npz(path, self.figure)

    def get_state(self) -> dict[str, Any]:
        return dataclasses.asdict(self.state)

    def set_state(self, state: dict[str, Any]) -> None:
        new = MnistState.from_dict(state)  # raises before anything changes
        old_source = self.state.data_source
        self.state = new
        with QSignalBlocker(self.canvas):
            self.canvas.set_image(np.array(new.drawing))
        with QSignalBlocker(self.kernel_editor):
            self.kernel_editor.set_kernels([np.array(k) for k in new.kernels])
        self.canvas.update()
        images, _ = self.data.split(new.split)
        if new.data_source != old_source:
            self._pending_index = new.index
            self.state.data_source = old_source
            self.load_source(new.data_source)
        self.state.index = min(new.index, len(images) - 1)
        self._filtered_cache = None
        self._sync_widgets()
        self.refresh()

    def self_test(self) -> None:
        import scipy.signal

        saved = self.get_state()
        try:
            self.notebook_settings()
            self.set_display("mask")
            self.show_digit(2, "train")
            digit = self.data.train_images[2] / 255
            for level in (cc.NOTEBOOK_THRESHOLD, 0.5):
                self.threshold_slider.setValue(round(level / THRESHOLD_STEP))
                for i, kernel in enumerate(cc.LINE_DETECTORS.values()):
                    want = scipy.signal.convolve2d(digit, kernel) > level
                    got = self.figure_view.displayed(i) > 0.5
                    assert np.array_equal(got, want), f"mask of detector {i} at {level} is wrong"
            self.kernel_editor.set_cell(3, 1, 1, 5.0)
            self.refresh()
            kernel = np.array(cc.LINE_DETECTORS["diagonal /"])
            kernel[1, 1] = 5.0
            want = scipy.signal.convolve2d(digit, kernel)
            assert np.allclose(self.figure.responses[3], want), "edited kernel's response is wrong"
            r, c = np.unravel_index(np.argmax(want), want.shape)
            self.figure_view.show_pixel(int(r), int(c))
            assert f"Σ = {want[r, c]:.3f}" in self.inspector.text(), "hover sum is wrong"
        finally:
            self.set_state(saved)
