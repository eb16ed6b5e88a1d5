"""The MNIST Detectors lab: the notebook's line-detector figure, alive.

Training digit #2 convolved with four 3×3 line detectors and thresholded at
1.5, as in the notebook; then browse digits, move the threshold, edit the
kernels, draw your own digit, and compute per-class statistics over the
whole data set in the background.

This module only builds the lab's parts, lays them out and wires them; each
part binds to the model (:class:`~.model.MnistState`) on its own:

* :mod:`.dataset` — the loaded digits, shared (:class:`~.dataset.DigitData`);
* :mod:`.selection` — which digit is shown: the browsing rules;
* :mod:`.live` — the detector figure of that digit, recomputed on every change;
* :mod:`.stats` — the statistics over the data set, computed in the background;
* :mod:`.data`, :mod:`.browser`, :mod:`.drawing`, :mod:`.detectors`,
  :mod:`.kernels` — the control boxes;
* :mod:`.figure`, :mod:`.inspector`, :mod:`.thumbnails`, :mod:`.stats_view` — the views
  (the statistics tab is built when first shown);
* :mod:`.notebook_code` — the notebook's code beside ConvLab's, in a window of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QFrame,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.exports import save_detector_npz
from convlab.gui.base import DataExport, LabPanel
from convlab.gui.digits import DigitData, shared_digits

from .browser import DigitBrowser
from .data import DataSourceBox
from .detectors import DetectorControls, use_notebook_settings
from .drawing import DrawingBox
from .figure import DetectorFigureView
from .inspector import Inspector
from .kernels import KernelEditor
from .layout import group
from .lazy import LazyPage
from .live import LiveFigure
from .model import MnistState
from .notebook_code import NotebookCodeButton
from .selection import DigitSelection
from .stats import StatisticsRun
from .stats_view import StatisticsPage
from .thumbnails import ThumbnailStrip

__all__ = ["MnistPanel", "MnistState"]

FIGURE_TAB_WIDTH = 640
#: Narrowest figure the side panels leave when the window is small: they scroll sideways
#: first (each down to SIDE_MIN_WIDTH).
FIGURE_MIN_WIDTH = 420
SIDE_MIN_WIDTH = 300


class MnistPanel(LabPanel):
    """Digits convolved with line detectors: figure, browser, kernels, drawing, statistics."""

    def __init__(self, parent: QWidget | None = None, data: DigitData | None = None) -> None:
        """``data``: the digits to work on (default: the application's, shared by the labs)."""
        super().__init__(parent)
        # take the height the window offers (not share it with the strip above the lab)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.model = MnistState()
        self.data = shared_digits() if data is None else data
        self.selection = DigitSelection(self.model, self.data)
        self.live = LiveFigure(self.selection, self)
        self.statistics = StatisticsRun(self.model, self.data, self.tasks, self)

        self.data_box = DataSourceBox(self.data, self.tasks)
        self.browser = DigitBrowser(self.selection)
        self.drawing = DrawingBox(self.selection)
        self.controls = DetectorControls(self.model)
        self.kernel_editor = KernelEditor(self.model)
        self.notebook_code = NotebookCodeButton(self.model)
        self.figure_view = DetectorFigureView(self.model, self.live)
        self.inspector = Inspector()
        self.thumbnails = ThumbnailStrip(self.selection)
        self.stats_tab = LazyPage(self._build_statistics_page)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Figure or statistics")
        self._lay_out()
        self._wire()
        self.data_box.search_copies()

    # -- building ----------------------------------------------------------
    def _lay_out(self) -> None:
        figure_tab = QSplitter(Qt.Orientation.Vertical)
        figure_tab.addWidget(self.figure_view)
        figure_tab.addWidget(self.inspector)
        figure_tab.setStretchFactor(0, 3)
        figure_tab.setStretchFactor(1, 2)
        figure_tab.setSizes([700, 300])  # the read-out shows a 3×3 sum without scrolling
        figure_page = QWidget()
        fl = QVBoxLayout(figure_page)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(figure_tab, 1)
        fl.addWidget(self.thumbnails)
        self.tabs.addTab(figure_page, "Figure")
        self.tabs.addTab(self.stats_tab, "Statistics over the data set")

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(self.data_box)
        ll.addWidget(self.browser)
        ll.addWidget(self.drawing, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.controls)
        rl.addWidget(group("Kernels", self.kernel_editor))
        rl.addWidget(self.notebook_code)
        rl.addStretch(1)
        self.left_scroll, self.right_scroll = _side_scroll(left), _side_scroll(right)
        self.splitter = splitter = QSplitter()
        splitter.addWidget(self.left_scroll)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.right_scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([splitter.widget(0).minimumWidth(), FIGURE_TAB_WIDTH,
                           splitter.widget(2).minimumWidth()])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(splitter)

    def _fit_sides(self) -> None:
        """Side panels as wide as their content at the current text size (presentation
        mode), as long as the figure keeps FIGURE_MIN_WIDTH; narrower ones scroll sideways."""
        sides = (self.left_scroll, self.right_scroll)
        for scroll in sides:
            _fit_width(scroll)
        total = self.splitter.width()
        if total <= 0:
            return
        want = [_content_width(scroll) for scroll in sides]
        room = max(total - FIGURE_MIN_WIDTH, 0)
        if sum(want) > room:  # squeeze both sides alike, down to their minimum
            over = sum(want) - room
            want = [max(scroll.minimumWidth(), w - over // 2) for scroll, w in zip(sides, want,
                                                                                  strict=True)]
        self.splitter.setSizes([want[0], max(total - sum(want), 0), want[1]])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # a smaller window: the sides give way first; a larger one: they get their room back
        squeezed = any(s.width() < _content_width(s) for s in (self.left_scroll,
                                                                self.right_scroll))
        if self.splitter.sizes()[1] < FIGURE_MIN_WIDTH or squeezed:
            QTimer.singleShot(0, self._fit_sides)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_fitted", False):
            self._fitted = True
            QTimer.singleShot(0, self._fit_sides)

    def _build_statistics_page(self) -> StatisticsPage:
        page = StatisticsPage(self.model, self.statistics)
        self.follow_theme(page.view.recolor)
        return page

    def _wire(self) -> None:
        self.follow_theme(self.figure_view.restyle_texts)
        self.follow_theme(self.inspector.restyle)
        self.follow_theme(lambda: QTimer.singleShot(0, self.kernel_editor.restyle))
        # after the new font has reached the widgets (their size hints follow it then)
        self.follow_theme(lambda: QTimer.singleShot(0, self._fit_sides))
        self.live.changed.connect(self.inspector.set_figure)
        self.inspector.set_figure(self.live.figure)  # hovering works before the first change
        self.figure_view.hovered.connect(self.inspector.show_pixel)
        self.figure_view.hovered.connect(
            lambda _r, _c: self.figure_view.setAccessibleDescription(self.inspector.summary())
        )
        self.data_box.loaded.connect(self.selection.use_dataset)
        self.data_box.message.connect(self.status_message)
        self.statistics.message.connect(self.status_message)
        self.add_shortcuts((
            ("Ctrl+Left", self.selection.previous),
            ("Ctrl+Right", self.selection.next),
            ("Ctrl+R", self.selection.random_digit),
            ("Ctrl+Shift+O", self.data_box.choose_folder),
            ("Ctrl+T", self.statistics.compute),
        ))

    # -- what is shown -------------------------------------------------------
    @property
    def figure(self) -> cc.DetectorFigure:
        """The detector figure shown now."""
        return self.live.figure

    def statistics_page(self) -> StatisticsPage:
        """The statistics tab's content (built now if the tab was never shown)."""
        return self.stats_tab.page()

    # -- LabPanel API --------------------------------------------------------
    def data_exports(self) -> list[DataExport]:
        return [DataExport("Responses and masks as NumPy .npz…", "NumPy arrays (*.npz)",
                           "convlab-detectors.npz", self.save_npz)]

    def save_npz(self, path: Path) -> None:
        """Save the current digit, kernels, responses and masks (see ``save_detector_npz``)."""
        save_detector_npz(path, self.live.figure)

    def get_state(self) -> dict[str, Any]:
        return self.model.to_dict()

    def revision(self) -> int:
        """Changes whenever :meth:`get_state` would return something different."""
        return self.model.revision

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore ``state``; a new data source loads in the background, then shows its digit."""
        new = MnistState.from_dict(state)  # raises before anything changes
        values = new.to_dict()
        source = values.pop("data_source")
        self.selection.apply(values)
        if source != self.model.data_source:
            self.data_box.load_source(source, index=new.index)

    def self_test(self) -> None:
        import scipy.signal

        saved = self.get_state()
        try:
            use_notebook_settings(self.model)
            self.model.display = "mask"
            self.selection.show_digit(2, "train")
            digit = self.data.split("train")[0][2] / 255
            for level in (cc.NOTEBOOK_THRESHOLD, 0.5):
                self.model.threshold = level
                for i, kernel in enumerate(cc.LINE_DETECTORS.values()):
                    want = scipy.signal.convolve2d(digit, kernel) > level
                    got = self.figure_view.displayed(i) > 0.5
                    assert np.array_equal(got, want), f"mask of detector {i} at {level} is wrong"
            self.kernel_editor.set_cell(3, 1, 1, 5.0)
            self.live.refresh()
            kernel = np.array(cc.LINE_DETECTORS["diagonal /"])
            kernel[1, 1] = 5.0
            want = scipy.signal.convolve2d(digit, kernel)
            assert np.allclose(self.live.figure.responses[3], want), "edited kernel's response"
            r, c = np.unravel_index(np.argmax(want), want.shape)
            self.figure_view.show_pixel(int(r), int(c))
            assert f"Σ = {want[r, c]:.3f}" in self.inspector.text(), "hover sum is wrong"
        finally:
            self.set_state(saved)


def _side_scroll(side: QWidget) -> QScrollArea:
    """``side`` in a vertical scroll area just wide enough for it (and its scroll bar)."""
    scroll = QScrollArea()
    scroll.setWidget(side)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its controls take the focus, not the area
    _fit_width(scroll)
    return scroll


def _content_width(scroll: QScrollArea) -> int:
    """The width ``scroll`` needs to show its side panel whole (with a vertical scroll bar)."""
    bar = scroll.verticalScrollBar().sizeHint().width()
    return scroll.widget().minimumSizeHint().width() + bar + 4


def _fit_width(scroll: QScrollArea) -> None:
    """The scroll area's minimum: its content's, up to SIDE_MIN_WIDTH (then it scrolls sideways)."""
    side = scroll.widget()
    side.layout().activate()
    side.setMinimumWidth(side.minimumSizeHint().width())  # scroll rather than squeeze
    scroll.setMinimumWidth(min(_content_width(scroll), SIDE_MIN_WIDTH))
