"""The Signals & Kernels lab: define a signal and a kernel, watch ``x * w`` being made.

Every number shown comes from :mod:`convlab.core` (through
:func:`convlab.gui.signals_model.compute_view`), so a notebook with
``import convlab.core as cc`` reproduces it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QSignalBlocker, Qt, QTimer
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.exports import write_signals_csv

from .base import DataExport, LabPanel
from .plots import Stems, make_plot
from .signals_model import (
    MAX_DILATION,
    MAX_KERNEL,
    MAX_SIGNAL,
    MAX_STRIDE,
    SignalsState,
    SignalsView,
    compute_view,
    fmt,
)
from .signals_widgets import GeneratorForm, MatrixEdit, editable_plot
from .theme import series_color, theme_manager
from .widgets import ArrayEdit

__all__ = ["SignalsPanel"]

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
_MAX_LABELLED_TICKS = 24  # up to this many samples, label every index on the x axis
_REDRAW_MS = 16  # coalesce bursts of edits into one redraw per frame (~60 Hz)
_PLAY_MS = 700


def _index_ticks(plot: pg.PlotWidget, count: int, start: int = 0) -> None:
    """Whole-number ticks (one per sample) on a short stem plot, automatic ones on long."""
    axis = plot.getPlotItem().getAxis("bottom")
    if 0 < count <= _MAX_LABELLED_TICKS:
        axis.setTicks([[(i, str(i)) for i in range(start, start + count)], []])
    else:
        axis.setTicks(None)


def _stack_offsets(rows: np.ndarray) -> np.ndarray:
    """Vertical offsets that stack ``rows`` top to bottom without overlap, with a gap."""
    offsets = np.zeros(rows.shape[0])
    if rows.size == 0:
        return offsets
    top, bottom = rows.max(axis=1), rows.min(axis=1)
    spread = float(np.max(top - bottom))
    gap = 0.25 * spread if spread > 0 else 1.0
    for b in range(1, rows.shape[0]):
        offsets[b] = offsets[b - 1] + bottom[b - 1] - top[b] - gap
    return offsets


def _check_length(limit: int, what: str):
    def check(arr: np.ndarray) -> None:
        if arr.size > limit:
            raise ValueError(f"at most {limit} {what}")
    return check


class SignalsPanel(LabPanel):
    """Signal, kernel, their convolution, step by step, with its derivative and a batch."""

    title = "Signals && Kernels"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = SignalsState()
        self.view: SignalsView | None = None
        self._drag_tap: int | None = None
        self._last_draw_t: int | None = None

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(_REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)
        self.play_timer = QTimer(self)
        self.play_timer.setInterval(_PLAY_MS)
        self.play_timer.timeout.connect(self._advance)

        controls = self._build_controls()
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(controls.sizeHint().width() + 24)
        scroll.setMaximumWidth(controls.sizeHint().width() + 40)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self._build_plots(), 1)
        right_layout.addWidget(self._build_step_area())

        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(right, 1)

        self._build_shortcuts()
        self.follow_theme(self._apply_colors)
        self._apply_colors()
        self._sync_widgets()
        self.refresh()

    # ------------------------------------------------------------------ building
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
        self.all_modes_check.setToolTip("Compare the three modes' outputs (Ctrl+3)")
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
        self.batch_error.setStyleSheet("color: #D32F2F")
        form.addWidget(self.batch_error)
        col.addWidget(bat)

        col.addStretch(1)
        return box

    def _build_plots(self) -> QWidget:
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)

        self.signal_plot, self.signal_box = editable_plot(
            "Signal x (shaded: the window of z_i)", "sample t", "x_t")
        sp = self.signal_plot.getPlotItem()
        self.window_region = pg.LinearRegionItem(movable=False)
        self.window_region.setZValue(-10)
        sp.addItem(self.window_region)
        self.x_stems = Stems(sp, series_color(0), size=8)
        self.pad_points = pg.ScatterPlotItem(size=8, symbol="o")
        sp.addItem(self.pad_points)
        self.window_points = pg.ScatterPlotItem(size=14, symbol="o")
        sp.addItem(self.window_points)
        self.signal_plot.setToolTip("The signal x. Shaded: the samples under the kernel for z_i; "
                                    "hollow: padding samples. Tick 'Draw with the mouse' to drag "
                                    "new values in; right-click → Export… saves PNG or SVG")
        split.addWidget(self.signal_plot)

        row = QSplitter(Qt.Orientation.Horizontal)
        self.kernel_plot, self.kernel_box = editable_plot(
            "Kernel w", "tap j", "w_j")
        self.kernel_box.editor = self._on_kernel_edit
        kp = self.kernel_plot.getPlotItem()
        self.flipped_stems = Stems(kp, series_color(6), size=6, width=1)
        self.w_stems = Stems(kp, series_color(1), size=11)
        self.kernel_plot.setToolTip("Drag a stem up or down (or click at a height) to set that "
                                    "tap; grey stems show the kernel reversed when convolving")
        row.addWidget(self.kernel_plot)
        self.output_plot = make_plot("Output z", "output index i", "z_i")
        self.z_stems = Stems(self.output_plot.getPlotItem(), series_color(2), size=8)
        self.z_current = pg.ScatterPlotItem(size=16, symbol="o")
        self.output_plot.getPlotItem().addItem(self.z_current)
        self.output_plot.setToolTip("The output z; the ringed sample is the z_i being stepped "
                                    "through below")
        row.addWidget(self.output_plot)
        row.setSizes([350, 550])
        split.addWidget(row)

        self.modes_row = QWidget()
        modes_layout = QHBoxLayout(self.modes_row)
        modes_layout.setContentsMargins(0, 0, 0, 0)
        self.mode_plots: dict[str, pg.PlotWidget] = {}
        self.mode_stems: dict[str, Stems] = {}
        for i, mode in enumerate(cc.MODES):
            plot = make_plot(mode, "output index i", "z_i")
            self.mode_plots[mode] = plot
            self.mode_stems[mode] = Stems(plot.getPlotItem(), series_color(2 + i), size=6)
            modes_layout.addWidget(plot)
        split.addWidget(self.modes_row)

        self.batch_row = QSplitter(Qt.Orientation.Horizontal)
        self.batch_x_plot = make_plot("Batch X (one row per signal, stacked)", "sample t",
                                      "row (offset)")
        self.batch_z_plot = make_plot("convolve(X, w), stacked", "output index i",
                                      "row (offset)")
        self.batch_row.addWidget(self.batch_x_plot)
        self.batch_row.addWidget(self.batch_z_plot)
        self.batch_x_items: list[pg.PlotDataItem] = []
        self.batch_z_items: list[pg.PlotDataItem] = []
        self.batch_offsets: dict[str, np.ndarray] = {}
        self._batch_key: tuple | None = None
        split.addWidget(self.batch_row)

        split.setSizes([300, 260, 200, 240])
        return split

    def _build_step_area(self) -> QWidget:
        area = QWidget()
        row = QHBoxLayout(area)
        row.setContentsMargins(0, 0, 0, 0)

        step = QGroupBox("Step through: z_i, one window at a time")
        col = QVBoxLayout(step)
        line = QHBoxLayout()
        self.play_button = QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Slide the window along the signal (Space)")
        self.play_button.toggled.connect(self._on_play)
        self.step_slider = QSlider(Qt.Orientation.Horizontal)
        self.step_slider.setToolTip("Which output z_i to take apart (Alt+← / Alt+→)")
        self.step_slider.valueChanged.connect(self._on_step)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(90)
        line.addWidget(self.play_button)
        line.addWidget(self.step_slider, 1)
        line.addWidget(self.step_label)
        col.addLayout(line)
        self.equation_label = QLabel()
        self.equation_label.setTextFormat(Qt.TextFormat.RichText)
        self.equation_label.setWordWrap(True)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.equation_label.setToolTip("The sum for the chosen output, with the numbers filled in")
        col.addWidget(self.equation_label)
        self.length_label = QLabel()
        self.length_label.setTextFormat(Qt.TextFormat.RichText)
        self.length_label.setWordWrap(True)
        self.length_label.setToolTip("Output length: n samples, padding p_L and p_R, kernel of "
                                     "k taps with dilation d, stride s")
        col.addWidget(self.length_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #D32F2F")
        col.addWidget(self.error_label)
        row.addWidget(step, 1)

        deriv = QGroupBox("Derivative ∂z_i/∂w_j")
        dl = QVBoxLayout(deriv)
        self.derivative_table = QTableWidget(0, 4)
        self.derivative_table.setHorizontalHeaderLabels(["w_j", "reads", "∂z_i/∂w_j", "w_j·x"])
        self.derivative_table.setToolTip(
            "z_i is linear in the kernel: its derivative with respect to w_j is the sample "
            "tap j multiplies (0 on zero padding) — the gradient a CNN uses to learn w")
        self.derivative_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.derivative_table.horizontalHeader()
        header.setMinimumSectionSize(header.fontMetrics().horizontalAdvance("∂z_i/∂w_j") + 12)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.derivative_table.setSizePolicy(QSizePolicy.Policy.Expanding,
                                            QSizePolicy.Policy.Preferred)
        self.derivative_table.setMaximumHeight(150)
        dl.addWidget(self.derivative_table)
        row.addWidget(deriv, 1)
        return area

    def _build_shortcuts(self) -> None:
        def shortcut(keys, slot) -> None:
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)

        shortcut("Space", self.play_button.toggle)
        shortcut("Alt+Right", lambda: self.step_slider.setValue(self.step_slider.value() + 1))
        shortcut("Alt+Left", lambda: self.step_slider.setValue(self.step_slider.value() - 1))
        shortcut("Ctrl+G", self.generate_signal)
        shortcut("Ctrl+K", self.apply_preset)
        shortcut("Ctrl+D", self.draw_check.toggle)
        shortcut("Ctrl+B", self.batch_check.toggle)
        shortcut("Ctrl+3", self.all_modes_check.toggle)
        shortcut("Ctrl+F", lambda: self.flip_combo.setCurrentIndex(
            1 - self.flip_combo.currentIndex()))
        shortcut("Ctrl+M", lambda: self.mode_combo.setCurrentIndex(
            (self.mode_combo.currentIndex() + 1) % self.mode_combo.count()))

    def _apply_colors(self) -> None:
        mgr = theme_manager()
        theme = mgr.theme
        font = QApplication.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.equation_label.setFont(font)
        self.x_stems.set_color(series_color(0))
        self.w_stems.set_color(series_color(1))
        self.flipped_stems.set_color(theme.muted)
        self.z_stems.set_color(series_color(2))
        for i, mode in enumerate(cc.MODES):
            self.mode_stems[mode].set_color(series_color(2 + i))
        self.pad_points.setPen(pg.mkPen(theme.muted, width=2))
        self.pad_points.setBrush(pg.mkBrush(theme.background))
        self.window_points.setPen(pg.mkPen(theme.foreground, width=2))
        self.window_points.setBrush(pg.mkBrush(None))
        self.z_current.setPen(pg.mkPen(theme.foreground, width=2))
        self.z_current.setBrush(pg.mkBrush(None))
        color = pg.mkColor(theme.highlight)
        color.setAlpha(110 if theme.dark else 90)
        self.window_region.setBrush(pg.mkBrush(color))
        for line in self.window_region.lines:
            line.setPen(pg.mkPen(None))
        if self.view is not None:
            self._draw_batch(self.view, restyle=True)

    # ------------------------------------------------------------------ model → widgets
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

    # ------------------------------------------------------------------ widgets → model
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

    def _on_step(self, value: int) -> None:
        self.state.step = max(0, value)
        self._schedule()

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("❚❚ Pause" if on else "▶ Play")
        if on:
            self.play_timer.start()
        else:
            self.play_timer.stop()

    def _advance(self) -> None:
        top = self.step_slider.maximum()
        self.step_slider.setValue(0 if self.step_slider.value() >= top else
                                  self.step_slider.value() + 1)

    def _on_draw_toggled(self, on: bool) -> None:
        self.signal_box.editor = self._on_draw if on else None
        self.status_message.emit("Drag on the signal plot to draw samples" if on else
                                 "Drawing off: drag to pan the signal plot")

    def _on_draw(self, t: float, y: float, phase: str) -> bool:
        """Mouse drawing on the signal plot: set the samples under the pointer to ``y``."""
        x = np.asarray(self.state.x, dtype=float)
        if phase == "start":
            self.signal_box.disableAutoRange(pg.ViewBox.YAxis)
            self._last_draw_t = None
        elif phase == "finish":
            self.signal_box.enableAutoRange(pg.ViewBox.YAxis)
        ti = int(np.clip(round(t), 0, x.size - 1))
        y = round(y, 2)
        if self._last_draw_t is None or phase == "click":
            x[ti] = y
        else:  # a fast drag skips samples: fill them on a straight line
            lo, hi = sorted((self._last_draw_t, ti))
            start_y = x[self._last_draw_t]
            span = np.arange(lo, hi + 1)
            x[span] = np.round(np.interp(span, [self._last_draw_t, ti], [start_y, y]), 2)
        self._last_draw_t = None if phase in ("finish", "click") else ti
        self._set_x(x)
        return True

    def _on_kernel_edit(self, t: float, y: float, phase: str) -> bool:
        """Dragging (or clicking) a kernel stem sets that tap to the pointer's height.

        A drag that does not start on a stem is declined (it pans the plot).
        """
        w = np.asarray(self.state.w, dtype=float)
        if phase in ("start", "click"):
            j = round(t)
            self._drag_tap = j if 0 <= j < w.size and abs(t - j) <= 0.45 else None
            if self._drag_tap is None:
                return False
            if phase == "start":
                self.kernel_box.disableAutoRange(pg.ViewBox.YAxis)
        if self._drag_tap is None:
            return False
        w[self._drag_tap] = round(y, 2)
        if phase in ("finish", "click"):
            self.kernel_box.enableAutoRange(pg.ViewBox.YAxis)
            self._drag_tap = None
        self._set_w(w)
        return True

    # ------------------------------------------------------------------ drawing
    def _schedule(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def refresh(self) -> None:
        """Redraw now (edits are otherwise coalesced to one redraw per frame)."""
        self._redraw_timer.stop()
        self._redraw()

    def _redraw(self) -> None:
        s = self.state
        view = compute_view(s)
        self.view = view
        x = np.asarray(s.x)
        w = np.asarray(s.w)

        self.x_stems.setData(np.arange(view.n), x)
        self.pad_points.setData(view.padded_positions, view.padded_values)
        self.w_stems.setData(np.arange(view.k), w)
        self.flipped_stems.setVisible(s.flip)
        self.flipped_stems.setData(np.arange(view.k) + 0.15, w[::-1])
        self.z_stems.setData(np.arange(view.z.size), view.z)
        _index_ticks(self.kernel_plot, view.k)
        _index_ticks(self.signal_plot, view.n + view.left + view.right, -view.left)
        _index_ticks(self.output_plot, view.z.size)

        with QSignalBlocker(self.step_slider):
            self.step_slider.setRange(0, max(view.m - 1, 0))
            self.step_slider.setValue(view.step.index if view.step else 0)
        self.step_slider.setEnabled(view.m > 1)
        self.play_button.setEnabled(view.m > 1)
        if view.m <= 1 and self.play_button.isChecked():
            self.play_button.setChecked(False)
        self._draw_step(view)

        self.length_label.setText(view.length_formula)
        self.error_label.setText(view.error)
        self.error_label.setVisible(bool(view.error))

        self.modes_row.setVisible(s.show_all_modes)
        for mode, z in view.all_modes.items():
            self.mode_stems[mode].setData(np.arange(z.size), z)
            self.mode_plots[mode].getPlotItem().setTitle(f"{mode}: m = {z.size}")
        self.batch_row.setVisible(s.batch)
        self.batch_edit.setEnabled(s.batch)
        self.batch_error.setText(view.batch_error)
        self.batch_error.setVisible(bool(view.batch_error))
        self._draw_batch(view)

    def _draw_step(self, view: SignalsView) -> None:
        st = view.step
        table = self.derivative_table
        if st is None:
            self.window_region.setVisible(False)
            self.window_points.setData([], [])
            self.z_current.setData([], [])
            self.step_label.setText("no output")
            self.equation_label.setText("")
            table.setRowCount(0)
            return
        self.window_region.setVisible(True)
        self.window_region.setRegion((st.positions.min() - 0.4, st.positions.max() + 0.4))
        self.window_points.setData(st.positions, st.values)
        self.z_current.setData([st.index], [st.total])
        self.step_label.setText(f"i = {st.index} of 0…{view.m - 1}")
        self.equation_label.setText(st.equation)
        w = np.asarray(self.state.w)
        table.setRowCount(view.k)
        table.setVerticalHeaderLabels([f"w{j}" for j in range(view.k)])
        for j in range(view.k):
            reads = (f"x{st.sources[j]}" if st.sources[j] >= 0 else "0 (pad)")
            if st.sources[j] >= 0 and not 0 <= st.positions[j] < view.n:
                reads += f" ({self.state.padding_mode} pad)"
            for col, text in enumerate((fmt(w[j]), reads, fmt(st.values[j]),
                                        fmt(st.products[j]))):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(j, col, item)

    def _draw_batch(self, view: SignalsView, restyle: bool = False) -> None:
        """Draw the stacked batch; skipped when nothing it shows has changed."""
        if not self.state.batch:
            return
        X = np.asarray(self.state.batch_x)
        Z = view.batch_z if view.batch_z is not None else np.zeros((X.shape[0], 0))
        key = (X.shape, X.tobytes(), Z.shape, Z.tobytes())
        if key == self._batch_key and not restyle:
            return
        self._batch_key = key
        self.batch_offsets = {}
        for name, plot, items, data in (("x", self.batch_x_plot, self.batch_x_items, X),
                                        ("z", self.batch_z_plot, self.batch_z_items, Z)):
            offsets = _stack_offsets(data)
            self.batch_offsets[name] = offsets
            while len(items) < data.shape[0]:
                items.append(plot.getPlotItem().plot())
                restyle = True
            symbol = "o" if data.shape[1] <= _MAX_LABELLED_TICKS * 2 else None
            for b, item in enumerate(items):
                if b >= data.shape[0]:
                    item.setData([], [])
                    continue
                color = series_color(b)
                if restyle or item.opts["symbol"] != symbol:
                    item.setData(np.arange(data.shape[1]), data[b] + offsets[b],
                                 pen=pg.mkPen(color, width=2), symbol=symbol, symbolSize=6,
                                 symbolPen=pg.mkPen(color), symbolBrush=pg.mkBrush(color))
                else:
                    item.setData(np.arange(data.shape[1]), data[b] + offsets[b])

    # ------------------------------------------------------------------ LabPanel API
    def data_exports(self) -> list[DataExport]:
        return [DataExport("Signal, kernel and output as CSV…", "CSV (*.csv)",
                           "convlab-signals.csv", self.save_csv)]

    def save_csv(self, path: Path) -> None:
        """Write x, w, z (and the batch X, Z when shown) to ``path`` as CSV."""
        view = self.view
        series: dict[str, Any] = {"x": self.state.x, "w": self.state.w}
        if view is not None:
            series["z"] = view.z
            if self.state.batch and view.batch_z is not None:
                for r, (row, out) in enumerate(zip(self.state.batch_x, view.batch_z,
                                                   strict=True)):
                    series[f"X[{r}]"] = row
                    series[f"Z[{r}]"] = out
        with open(path, "w", newline="", encoding="utf-8") as stream:
            write_signals_csv(stream, series)

    def get_state(self) -> dict[str, Any]:
        return self.state.to_dict()

    def set_state(self, state: dict[str, Any]) -> None:
        self.state = SignalsState.from_dict(copy.deepcopy(state))
        self._sync_widgets()
        self.refresh()

    def shutdown(self) -> None:
        if not self._shut_down:
            self.play_button.setChecked(False)
        super().shutdown()

    def self_test(self) -> None:
        saved = self.get_state()
        try:
            self.set_state(SignalsState().to_dict())
            self.x_edit.setText("1, 2, 4, 7")
            self.x_edit.textEdited.emit("1, 2, 4, 7")
            self.refresh()
            got = self.z_stems.getData()[1]
            assert np.allclose(got, [-1, -2, -3]), f"valid correlation gave {got}"
            self.mode_combo.setCurrentText("full")
            self.flip_combo.setCurrentIndex(1)
            self.refresh()
            got = self.z_stems.getData()[1]
            assert np.allclose(got, [1, 1, 2, 3, -7]), f"full convolution gave {got}"
            self.step_slider.setValue(2)
            self.refresh()
            assert self.view is not None and self.view.step is not None
            assert self.view.step.sources.tolist() == [2, 1], "window of z_2 is wrong"
            assert np.allclose(self.view.step.values, [4, 2]), "dz_2/dw is wrong"
        finally:
            self.set_state(saved)
