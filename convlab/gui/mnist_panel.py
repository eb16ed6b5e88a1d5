"""The MNIST Detectors lab: the notebook's line-detector figure, alive.

Training digit #2 convolved with four 3×3 line detectors and thresholded at
1.5, as in the notebook; then browse digits, move the threshold, edit the
kernels, draw your own digit, and compute per-class statistics over the
whole data set in the background.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker, Qt, QTimer
from PyQt6.QtGui import QFont, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.core._validation import as_finite_array, check_choice
from convlab.exports import save_detector_npz

from .base import DataExport, LabPanel
from .mnist_canvas import DrawCanvas
from .mnist_figure import DISPLAYS, DetectorFigureView, ThumbnailStrip, inspector_html
from .mnist_kernels import MAX_KERNEL_SIZE, KernelEditor
from .mnist_stats import StatisticsView

__all__ = ["MnistPanel", "MnistState"]

THRESHOLD_STEP = 0.05
THRESHOLD_RANGE = 10.0
STATS_SPLITS = {"train": "training set", "test": "test set", "both": "train + test"}
MODE_TIPS = {
    "full": "full: every overlap, output (H+k−1)×(W+k−1) — the notebook's choice",
    "same": "same: output the size of the digit",
    "valid": "valid: only where the kernel fits inside the digit",
}


def _notebook_kernels() -> list[list[list[float]]]:
    return [k.tolist() for k in cc.LINE_DETECTORS.values()]


@dataclass
class MnistState:
    """Everything the lab shows, as JSON-safe values.

    ``data_source`` is ``None`` for the bundled sample, else the folder or file
    given to :func:`convlab.core.load_mnist`. ``index`` is the digit's index
    in its split; ``digit_source`` is ``"dataset"`` or ``"drawing"``.
    """

    data_source: str | None = None
    split: str = "train"
    label_filter: int | None = None
    index: int = 2
    digit_source: str = "dataset"
    drawing: list[list[float]] = field(default_factory=lambda: np.zeros((28, 28)).tolist())
    threshold: float = cc.NOTEBOOK_THRESHOLD
    mode: str = "full"
    flip: bool = True
    display: str = "mask"
    kernels: list[list[list[float]]] = field(default_factory=_notebook_kernels)
    stats_split: str = "train"

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MnistState:
        """Validate ``raw`` (as :meth:`MnistPanel.get_state` wrote it); ValueError if bad."""
        if not isinstance(raw, dict):
            raise ValueError(f"MNIST lab state must be a mapping, got {type(raw).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - names
        if unknown:
            raise ValueError(f"unknown MNIST lab settings: {', '.join(sorted(unknown))}")
        state = cls(**{**dataclasses.asdict(cls()), **raw})
        check_choice(state.split, "split", ("train", "test"))
        check_choice(state.digit_source, "digit source", ("dataset", "drawing"))
        check_choice(state.mode, "mode", cc.CONV2D_MODES)
        check_choice(state.display, "display", tuple(DISPLAYS))
        check_choice(state.stats_split, "statistics split", tuple(STATS_SPLITS))
        if state.label_filter is not None and state.label_filter not in range(10):
            raise ValueError(f"label filter must be 0…9 or none, got {state.label_filter!r}")
        if isinstance(state.index, bool) or not isinstance(state.index, int) or state.index < 0:
            raise ValueError(f"digit index must be a whole number ≥ 0, got {state.index!r}")
        if not isinstance(state.flip, bool):
            raise ValueError(f"flip must be true or false, got {state.flip!r}")
        if state.data_source is not None and not isinstance(state.data_source, str):
            raise ValueError("data source must be a path or none")
        as_finite_array(state.threshold, "threshold", ndims=(0,))
        drawing = as_finite_array(state.drawing, "drawing", ndims=(2,))
        if drawing.shape != (28, 28) or drawing.min() < 0 or drawing.max() > 1:
            raise ValueError("drawing must be 28×28 values in [0, 1]")
        bank = as_finite_array(state.kernels, "kernels", ndims=(3,))
        n = bank.shape[1]
        if bank.shape != (len(cc.LINE_DETECTORS), n, n) or not 1 <= n <= MAX_KERNEL_SIZE:
            raise ValueError(f"kernels must be 4 square kernels of size 1…7, got {bank.shape}")
        state.threshold = float(state.threshold)
        return state


def _find_copies(*, progress, cancel) -> list[cc.MnistCandidate]:
    """Background job: look for Keras / torchvision copies (see ``find_local_copies``)."""
    cc.check_cancel(cancel)
    return cc.find_local_copies()


def _statistics_job(
    data: cc.MnistDataset,
    split: str,
    kernels: dict[str, NDArray],
    level: float,
    mode: str,
    flip: bool,
    *,
    progress,
    cancel,
) -> cc.DetectorStats:
    """Background job: detector statistics over one split or both."""
    if split == "both":
        images = np.concatenate([data.train_images, data.test_images])
        labels = np.concatenate([data.train_labels, data.test_labels])
    else:
        images, labels = data.split(split)
    return cc.detector_statistics(
        images, labels, kernels, level, mode, flip, progress=progress, cancel=cancel
    )


def _group(title: str, *widgets_or_layouts) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for item in widgets_or_layouts:
        if isinstance(item, QWidget):
            layout.addWidget(item)
        else:
            layout.addLayout(item)
    return box


def _row(*widgets: QWidget, stretch: int | None = None) -> QHBoxLayout:
    layout = QHBoxLayout()
    for w in widgets:
        layout.addWidget(w)
    if stretch is not None:
        layout.setStretch(stretch, 1)
    return layout


def _button(text: str, tip: str, slot, shortcut: str | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
    button.clicked.connect(slot)
    return button


class MnistPanel(LabPanel):
    """Digits convolved with line detectors: figure, browser, kernels, drawing, statistics."""

    title = "MNIST Detectors"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = MnistState()
        self.data = cc.load_mnist()  # bundled sample: ~20 ms, no thread needed
        self.figure: cc.DetectorFigure | None = None
        self.stats: cc.DetectorStats | None = None
        self._data_task = None
        self._stats_task = None
        self._pending_index: int | None = None
        self._hover: tuple[int, int] | None = None
        self._filtered_cache: tuple[tuple, NDArray] | None = None
        self._candidates: list[cc.MnistCandidate] = []
        self._random = np.random.default_rng()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(15)
        self._redraw_timer.timeout.connect(self.refresh)

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

        self.stats_view = StatisticsView(names)
        self.follow_theme(self.stats_view.recolor)
        self.tabs = QTabWidget()
        self.tabs.addTab(figure_page, "Figure")
        self.tabs.addTab(self._build_stats_page(), "Statistics over the data set")

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(self.data_box)
        ll.addWidget(self.browser_box)
        ll.addWidget(self.canvas_box, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.detector_box)
        rl.addWidget(_group("Kernels", self.kernel_editor))
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
        self.tasks.start(_find_copies, on_result=self._on_copies, name="find MNIST copies")

    # ------------------------------------------------------------------ build
    def _build_data_box(self) -> None:
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setToolTip("Where the digits come from")
        self.data_error = QLabel()
        self.data_error.setWordWrap(True)
        self.data_error.setStyleSheet("color: #D32F2F;")
        self.data_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_error.hide()
        self.bundled_button = _button(
            "Sample", "Use the bundled sample (1,000 + 1,000 digits)", self.load_bundled
        )
        self.open_button = _button(
            "Open folder…",
            "Load the four MNIST files (IDX, gzipped or not) from a folder, "
            "or a Keras mnist.npz",
            self.choose_folder,
            "Ctrl+Shift+O",
        )
        self.copies = QComboBox()
        self.copies.setToolTip("Copies of MNIST found on this computer (Keras, torchvision)")
        self.copies.setPlaceholderText("no copies found")
        self.copies.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.use_copy = _button("Use", "Load the selected copy", self._load_copy)
        self.use_copy.setEnabled(False)
        self.download_button = _button(
            "Download full MNIST",
            "Download the 70,000 digits (about 11 MB) into ConvLab's cache, "
            "checking every file's SHA-256",
            self.download,
        )
        self.data_cancel = _button("Cancel", "Stop loading or downloading", self._cancel_data)
        self.data_cancel.setEnabled(False)
        self.data_progress = QProgressBar()
        self.data_progress.setRange(0, 1000)
        self.data_progress.setTextVisible(False)
        self.data_progress.setMaximumHeight(8)
        self.data_progress.hide()
        self.data_box = _group(
            "Data",
            self.source_label,
            self.data_error,
            _row(self.bundled_button, self.open_button),
            _row(self.copies, self.use_copy, stretch=0),
            _row(self.download_button, self.data_cancel, stretch=0),
            self.data_progress,
        )

    def _build_browser(self) -> None:
        self.split_combo = QComboBox()
        self.split_combo.addItem("training set", "train")
        self.split_combo.addItem("test set", "test")
        self.split_combo.setToolTip("Browse the training or the test digits")
        self.filter_combo = QComboBox()
        self.filter_combo.addItem("all labels", None)
        for c in range(10):
            self.filter_combo.addItem(f"only {c}s", c)
        self.filter_combo.setToolTip("Show only digits with this label")
        self.position_spin = QSpinBox()
        self.position_spin.setPrefix("#")
        self.position_spin.setToolTip("Position in the (filtered) list of digits")
        self.position_slider = QSlider(Qt.Orientation.Horizontal)
        self.position_slider.setToolTip("Scroll through the digits")
        self.label_label = QLabel()
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.3)
        big.setBold(True)
        self.label_label.setFont(big)
        self.label_label.setToolTip("The digit's label (what it is meant to be)")
        self.index_label = QLabel()
        self.index_label.setToolTip("Which digit of the data set is shown")
        self.prev_button = _button("◀ Prev", "Previous digit", self.previous, "Ctrl+Left")
        self.random_button = _button("Random", "A random digit", self.random_digit, "Ctrl+R")
        self.next_button = _button("Next ▶", "Next digit", self.next, "Ctrl+Right")
        self.browser_box = _group(
            "Digit",
            _row(self.split_combo, self.filter_combo),
            _row(self.position_spin, self.label_label, stretch=1),
            self.position_slider,
            self.index_label,
            _row(self.prev_button, self.random_button, self.next_button),
        )
        self.split_combo.currentIndexChanged.connect(
            lambda _i: self._set_browse(split=self.split_combo.currentData())
        )
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self._set_browse(label_filter=self.filter_combo.currentData())
        )
        self.position_spin.valueChanged.connect(self.go_to_position)
        self.position_slider.valueChanged.connect(self.go_to_position)

    def _build_canvas_box(self) -> None:
        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self._on_drawing)
        self.clear_button = _button("Clear", "Wipe the canvas", self.canvas.clear)
        self.recenter_button = _button(
            "Centre", "Move the drawing's centre of mass to the middle", self.canvas.recenter
        )
        self.copy_button = _button(
            "Copy digit", "Put the data-set digit on the canvas to edit it", self._copy_digit
        )
        self.auto_center = QCheckBox("Centre after each stroke (like MNIST)")
        self.auto_center.setChecked(True)
        self.auto_center.setToolTip(
            "MNIST digits were shifted so their centre of mass is the image centre"
        )
        self.auto_center.toggled.connect(
            lambda on: setattr(self.canvas, "recenter_on_release", on)
        )
        self.use_drawing = QCheckBox("Show my drawing")
        self.use_drawing.setToolTip("Feed the detectors your drawing instead of the data-set digit")
        self.use_drawing.toggled.connect(
            lambda on: self._set_digit_source("drawing" if on else "dataset")
        )
        self.canvas_box = _group(
            "Draw a digit",
            self.canvas,
            _row(self.clear_button, self.recenter_button, self.copy_button),
            self.auto_center,
            self.use_drawing,
        )

    def _build_detector_box(self) -> None:
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
        self.threshold_spin.setRange(-1000.0, 1000.0)
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
        self.notebook_button = _button(
            "Notebook settings",
            "Threshold 1.5, full mode, true convolution, the four line detectors",
            self.notebook_settings,
        )
        form = QFormLayout()
        form.addRow("Show", self.display_combo)
        form.addRow("Threshold", _row(self.threshold_slider, self.threshold_spin, stretch=0))
        form.addRow("Mode", self.mode_combo)
        form.addRow("Operation", self.flip_combo)
        self.detector_box = _group("Detectors", form, self.notebook_button)
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

    def _build_stats_page(self) -> QWidget:
        self.stats_split_combo = QComboBox()
        for key, text in STATS_SPLITS.items():
            self.stats_split_combo.addItem(text, key)
        self.stats_split_combo.setToolTip("Which digits to summarize")
        self.stats_split_combo.currentIndexChanged.connect(
            lambda _i: setattr(self.state, "stats_split", self.stats_split_combo.currentData())
        )
        self.stats_button = _button(
            "Compute",
            "Convolve every digit with the four kernels and summarize per class, "
            "with the current threshold, mode and kernels",
            self.compute_statistics,
            "Ctrl+T",
        )
        self.stats_cancel = _button("Cancel", "Stop the computation", self.cancel_statistics)
        self.stats_cancel.setEnabled(False)
        self.stats_progress = QProgressBar()
        self.stats_progress.setRange(0, 1000)
        self.stats_progress.setFormat("%p %")
        self.stats_status = QLabel("Not computed yet.")
        self.stats_status.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Over the"))
        top.addWidget(self.stats_split_combo)
        top.addWidget(self.stats_button)
        top.addWidget(self.stats_cancel)
        top.addWidget(self.stats_progress, 1)
        layout.addLayout(top)
        layout.addWidget(self.stats_status)
        layout.addWidget(self.stats_view, 1)
        return page

    def _add_shortcuts(self) -> None:
        for keys, slot in (
            ("Ctrl+Left", self.previous),
            ("Ctrl+Right", self.next),
            ("Ctrl+R", self.random_digit),
            ("Ctrl+Shift+O", self.choose_folder),
            ("Ctrl+T", self.compute_statistics),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # ------------------------------------------------------------- model → view
    def _sync_widgets(self) -> None:
        """Put the state into every control (without triggering their signals)."""
        s = self.state
        filtered = self.filtered_indices()
        position = self.position()
        blockers = [
            QSignalBlocker(w)
            for w in (
                self.split_combo,
                self.filter_combo,
                self.position_spin,
                self.position_slider,
                self.display_combo,
                self.threshold_slider,
                self.threshold_spin,
                self.mode_combo,
                self.flip_combo,
                self.use_drawing,
                self.stats_split_combo,
            )
        ]
        self.split_combo.setCurrentIndex(self.split_combo.findData(s.split))
        self.filter_combo.setCurrentIndex(0 if s.label_filter is None else s.label_filter + 1)
        last = max(len(filtered) - 1, 0)
        self.position_spin.setRange(0, last)
        self.position_spin.setSuffix(f" of {len(filtered):,}")
        self.position_slider.setRange(0, last)
        self.position_spin.setValue(position)
        self.position_slider.setValue(position)
        self.display_combo.setCurrentIndex(self.display_combo.findData(s.display))
        self.threshold_slider.setValue(round(s.threshold / THRESHOLD_STEP))
        self.threshold_spin.setValue(s.threshold)
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(s.mode))
        self.flip_combo.setCurrentIndex(0 if s.flip else 1)
        self.use_drawing.setChecked(s.digit_source == "drawing")
        self.stats_split_combo.setCurrentIndex(self.stats_split_combo.findData(s.stats_split))
        del blockers
        self._show_label()
        self._update_thumbnails()

    def _show_label(self) -> None:
        s = self.state
        images, labels = self.data.split(s.split)
        if s.digit_source == "drawing":
            self.label_label.setText("your drawing")
            self.index_label.setText(f"(browsing {s.split} digit #{s.index:,})")
        elif len(self.filtered_indices()):
            self.label_label.setText(f"label {int(labels[s.index])}")
            self.index_label.setText(f"{s.split} digit #{s.index:,} of {len(images):,}")
        else:
            self.label_label.setText("—")
            self.index_label.setText(f"no digit labelled {s.label_filter} in this split")

    def _show_source(self) -> None:
        self.source_label.setText(f"<b>Source:</b> {self.data.source}")

    def _update_thumbnails(self) -> None:
        filtered = self.filtered_indices()
        if not len(filtered):
            self.thumbnails.set_digits(np.zeros((0, 28, 28), np.uint8), [], -1)
            return
        pos = self.position()
        slots = self.thumbnails.slots
        start = min(max(pos - slots // 2, 0), max(len(filtered) - slots, 0))
        positions = list(range(start, min(start + slots, len(filtered))))
        images, _ = self.data.split(self.state.split)
        self.thumbnails.set_digits(images[filtered[positions]], positions, pos)

    def schedule_refresh(self) -> None:
        """Recompute and redraw soon (coalesces bursts such as drawing strokes)."""
        self._redraw_timer.start()

    def refresh(self) -> None:
        """Recompute the figure for the current digit and settings, and show it."""
        self._redraw_timer.stop()
        s = self.state
        self.figure = cc.detector_figure(
            self.current_digit(), self.kernels(), s.threshold, s.mode, s.flip
        )
        self.figure_view.set_figure(self.figure, s.display)
        self._update_inspector()
        self._update_stats_status()

    # ------------------------------------------------------------- digits
    def filtered_indices(self) -> NDArray:
        """Indices (in the current split) of the digits the browser walks through."""
        key = (id(self.data), self.state.split, self.state.label_filter)
        if self._filtered_cache is None or self._filtered_cache[0] != key:
            _, labels = self.data.split(self.state.split)
            if self.state.label_filter is None:
                indices = np.arange(len(labels))
            else:
                indices = np.flatnonzero(labels == self.state.label_filter)
            self._filtered_cache = (key, indices)
        return self._filtered_cache[1]

    def position(self) -> int:
        """Where the current digit is in :meth:`filtered_indices`."""
        filtered = self.filtered_indices()
        return int(min(np.searchsorted(filtered, self.state.index), max(len(filtered) - 1, 0)))

    def current_digit(self) -> NDArray:
        """The digit fed to the detectors: uint8 from the data set, or the drawing."""
        if self.state.digit_source == "drawing":
            return self.canvas.image()
        images, _ = self.data.split(self.state.split)
        filtered = self.filtered_indices()
        if not len(filtered):
            return np.zeros((28, 28), np.uint8)
        return images[self.state.index]

    def current_label(self) -> int | None:
        if self.state.digit_source == "drawing" or not len(self.filtered_indices()):
            return None
        return int(self.data.split(self.state.split)[1][self.state.index])

    def go_to_position(self, position: int) -> None:
        """Show the digit at ``position`` of the filtered list."""
        filtered = self.filtered_indices()
        if not len(filtered):
            return
        position = min(max(int(position), 0), len(filtered) - 1)
        self.state.index = int(filtered[position])
        self.state.digit_source = "dataset"
        self._sync_widgets()
        self.refresh()

    def show_digit(self, index: int, split: str | None = None) -> None:
        """Show digit ``index`` of ``split`` (clears the label filter if it hides it)."""
        split = split or self.state.split
        images, labels = self.data.split(split)
        if not 0 <= index < len(images):
            raise ValueError(f"{split} has digits 0…{len(images) - 1}, not {index}")
        self.state.split = split
        if self.state.label_filter is not None and labels[index] != self.state.label_filter:
            self.state.label_filter = None
        self.state.index = int(index)
        self.state.digit_source = "dataset"
        self._sync_widgets()
        self.refresh()

    def previous(self) -> None:
        self.go_to_position(self.position() - 1)

    def next(self) -> None:
        self.go_to_position(self.position() + 1)

    def random_digit(self) -> None:
        filtered = self.filtered_indices()
        if len(filtered):
            self.go_to_position(int(self._random.integers(len(filtered))))

    def _set_browse(self, **changes) -> None:
        for key, value in changes.items():
            setattr(self.state, key, value)
        filtered = self.filtered_indices()
        if len(filtered):
            # keep the digit if it matches, else the next matching one
            pos = min(int(np.searchsorted(filtered, self.state.index)), len(filtered) - 1)
            self.state.index = int(filtered[pos])
        self.state.digit_source = "dataset"
        self._sync_widgets()
        self.refresh()

    # ------------------------------------------------------------- detectors
    def kernels(self) -> dict[str, NDArray]:
        return self.kernel_editor.kernels()

    def set_threshold(self, level: float) -> None:
        """New threshold: only the masks change, so only they are redrawn (fast)."""
        level = float(level)
        if level == self.state.threshold:
            return
        self.state.threshold = level
        with QSignalBlocker(self.threshold_slider), QSignalBlocker(self.threshold_spin):
            self.threshold_slider.setValue(round(level / THRESHOLD_STEP))
            self.threshold_spin.setValue(level)
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
        with QSignalBlocker(self.display_combo):
            self.display_combo.setCurrentIndex(self.display_combo.findData(display))
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
        self.state.kernels = _notebook_kernels()
        self._sync_widgets()
        self.refresh()

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

    # ------------------------------------------------------------- drawing
    def _on_drawing(self) -> None:
        self.state.drawing = np.round(self.canvas.image(), 4).tolist()
        self._set_digit_source("drawing")

    def _set_digit_source(self, source: str) -> None:
        if source != self.state.digit_source:
            self.state.digit_source = source
            with QSignalBlocker(self.use_drawing):
                self.use_drawing.setChecked(source == "drawing")
            self._show_label()
        self.schedule_refresh()

    def _copy_digit(self) -> None:
        images, _ = self.data.split(self.state.split)
        self.canvas.set_image(images[self.state.index])

    # ------------------------------------------------------------- data
    def load_bundled(self) -> None:
        self.load_source(None)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the four MNIST files")
        if folder:
            self.load_source(folder)

    def _load_copy(self) -> None:
        index = self.copies.currentIndex()
        if 0 <= index < len(self._candidates):
            self.load_source(str(self._candidates[index].path))

    def _on_copies(self, candidates: list[cc.MnistCandidate]) -> None:
        self._candidates = list(candidates)
        self.copies.clear()
        for cand in self._candidates:
            self.copies.addItem(f"{cand.kind}: {cand.path}")
            self.copies.setItemData(
                self.copies.count() - 1, cand.description, Qt.ItemDataRole.ToolTipRole
            )
        if self._candidates:
            self.copies.setCurrentIndex(0)
        self.use_copy.setEnabled(bool(self._candidates))

    def load_source(self, source: str | Path | None) -> None:
        """Load MNIST from ``source`` in the background; on failure keep the current data."""
        self._cancel_data()
        self._data_busy(True, "Loading…")
        self._data_task = self.tasks.start(
            cc.load_mnist,
            None if source is None else str(source),
            on_result=lambda data, src=source: self._on_loaded(data, src),
            on_error=self._on_data_error,
            on_progress=self._on_data_progress,
            on_cancelled=lambda: self.status_message.emit("Loading cancelled"),
            on_finished=lambda: self._data_busy(False),
            name="load MNIST",
        )

    def download(self) -> None:
        """Download the full set (verified) off the GUI thread, then load it."""
        self._cancel_data()
        self._data_busy(True, "Downloading MNIST…")
        self._data_task = self.tasks.start(
            cc.download_mnist,
            on_result=self._on_downloaded,
            on_error=self._on_data_error,
            on_progress=self._on_data_progress,
            on_cancelled=lambda: self.status_message.emit("Download cancelled"),
            on_finished=lambda: self._data_busy(False),
            name="download MNIST",
        )

    def _on_downloaded(self, folder: Path) -> None:
        QTimer.singleShot(0, lambda: self.load_source(folder))

    def _cancel_data(self) -> None:
        if self._data_task is not None and self._data_task.is_running():
            self._data_task.cancel()

    def _data_busy(self, busy: bool, message: str = "") -> None:
        if self._data_task is not None and not busy and self._data_task.is_running():
            return
        for w in (self.bundled_button, self.open_button, self.download_button):
            w.setEnabled(not busy)
        self.use_copy.setEnabled(not busy and bool(self._candidates))
        self.data_cancel.setEnabled(busy)
        self.data_progress.setVisible(busy)
        self.data_progress.setValue(0)
        if busy:
            self.data_error.hide()
            self.status_message.emit(message)

    def _on_data_progress(self, fraction: float, message: str) -> None:
        self.data_progress.setValue(round(1000 * fraction))
        if message:
            self.data_progress.setToolTip(message)

    def _on_data_error(self, message: str, _details: str) -> None:
        self.data_error.setText(f"Could not load: {message}\nStill using {self.data.source}.")
        self.data_error.show()
        self.status_message.emit(f"Could not load MNIST: {message}")

    def _on_loaded(self, data: cc.MnistDataset, source: str | Path | None) -> None:
        self.data = data
        self.state.data_source = None if source is None else str(source)
        self._filtered_cache = None
        self.cancel_statistics()
        self.stats = None
        self.stats_status.setText("Not computed for these digits yet: press Compute.")
        images, _ = self.data.split(self.state.split)
        wanted = self._pending_index if self._pending_index is not None else self.state.index
        self._pending_index = None
        self.state.index = min(wanted, len(images) - 1)
        self.data_error.hide()
        self._show_source()
        self._sync_widgets()
        self.refresh()
        self.status_message.emit(f"Loaded {data.source}")

    # ------------------------------------------------------------- statistics
    def compute_statistics(self) -> None:
        """Per-class statistics over the chosen split, in the background."""
        if self._stats_task is not None and self._stats_task.is_running():
            return
        s = self.state
        self.stats_button.setEnabled(False)
        self.stats_cancel.setEnabled(True)
        self.stats_progress.setValue(0)
        self.stats_status.setText("Computing…")
        self._stats_task = self.tasks.start(
            _statistics_job,
            self.data,
            s.stats_split,
            self.kernels(),
            s.threshold,
            s.mode,
            s.flip,
            on_result=self._on_stats,
            on_error=lambda msg, _d: self.stats_status.setText(f"Failed: {msg}"),
            on_progress=lambda f, _m: self.stats_progress.setValue(round(1000 * f)),
            on_cancelled=lambda: self.stats_status.setText("Cancelled."),
            on_finished=self._stats_done,
            name="detector statistics",
        )

    def cancel_statistics(self) -> None:
        if self._stats_task is not None and self._stats_task.is_running():
            self._stats_task.cancel()

    def _stats_done(self) -> None:
        self.stats_button.setEnabled(True)
        self.stats_cancel.setEnabled(False)

    def _on_stats(self, stats: cc.DetectorStats) -> None:
        self.stats = stats
        self.stats_view.set_stats(stats)
        self.stats_progress.setValue(1000)
        self._update_stats_status()
        self.status_message.emit("Detector statistics ready")

    def _update_stats_status(self) -> None:
        stats, s = self.stats, self.state
        if stats is None:
            return
        same = (
            stats.level == s.threshold
            and stats.mode == s.mode
            and stats.flip == s.flip
            and np.array_equal(stats.kernels, np.array(s.kernels, dtype=float))
        )
        text = f"{int(stats.counts.sum()):,} digits from {self.data.source}."
        if not same:
            text += " Settings changed since: press Compute to update."
        self.stats_status.setText(text)

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
