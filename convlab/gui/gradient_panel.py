"""The Gradient Descent lab: train the notebook's 2-tap kernel live and watch where it goes.

Training runs on the GUI thread in time-budgeted batches: a frame timer fires
every ~16 ms, runs as many optimizer steps as fit in ~8 ms (or the chosen
number of steps per frame, whichever is smaller), then redraws once. The core's
:class:`convlab.core.Trainer` makes several hundred thousand steps per second,
so this keeps the window responsive at any speed without a worker thread.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, QSignalBlocker, Qt, QTimer
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.exports import write_updown_csv

from .base import DataExport, LabPanel
from .gradient_model import (
    MAX_BATCH,
    MAX_LENGTH,
    MAX_NOISE,
    MAX_RATE,
    MAX_SAMPLES,
    OPTIMIZER_LABELS,
    GradientLabState,
    RacerSpec,
    landscape_window,
    quadratic_contours,
    resize_params,
    sgd_curvature,
    write_history_csv,
)
from .plots import Stems, make_plot, register_view, style_plot
from .theme import series_color, theme_manager
from .widgets import ArrayEdit, format_array

__all__ = ["GradientPanel"]

FRAME_MS = 16  # frame timer interval: redraws at most ~60 times a second
STEP_BUDGET_S = 0.008  # time spent stepping per frame, at most
HISTORY_CAP = 10_000  # points kept per run (older ones thinned): bounded memory and redraws
GRID = 161  # landscape resolution (GRID × GRID exact loss values)
SPEEDS = ((1, "1 step / frame"), (10, "10 steps / frame"), (100, "100 steps / frame"),
          (1000, "1 000 steps / frame"), (10_000, "10 000 steps / frame"),
          (0, "max (8 ms per frame)"))
LOG_FLOOR = 1e-6  # the landscape colours log10(L − L_min + LOG_FLOOR)
# Thin lines for the long step-by-step curves: Qt strokes antialiased lines wider
# than 1 px about ten times slower, which would cost most of a frame.
CURVE_WIDTH = 1
#: Contours at L_min + 10^k for k = -5, -4.5, … 3: the colour bar's whole units and halves.
CONTOUR_STEPS = 10.0 ** np.arange(-5.0, 3.25, 0.5)
PATH_POINTS = 800  # the landscape path is drawn thick, from at most this many points


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is >= ``value`` (> 0): axis limits that change rarely.

    >>> nice_ceiling(0.3), nice_ceiling(2.0), nice_ceiling(1234)
    (0.5, 2.0, 2000.0)
    """
    exponent = math.floor(math.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        limit = mantissa * 10.0**exponent
        if limit >= value * (1 - 1e-12):
            return limit
    return 10.0 ** (exponent + 1)


class PlainAxis(pg.AxisItem):
    """An axis that writes the values themselves.

    pyqtgraph rescales an axis spanning less than 1 (ticks 400, 200 and a
    "(x0.001)" note), which is confusing next to weights like 0.4; and every
    ``setLabel`` (the theme restyles labels) would switch that back on.
    """

    def getSIPrefixEnableRanges(self):
        return ()

    def logTickStrings(self, values, scale, spacing):
        """On a log axis label only 1, 2 and 5 × 10^k: all nine minor ticks overlap."""
        strings = super().logTickStrings(values, scale, spacing)
        mantissas = [round(10 ** (float(v) % 1), 6) for v in values]
        return [text if m in (1.0, 2.0, 5.0) else "" for text, m in zip(strings, mantissas,
                                                                     strict=True)]


class StepAxis(PlainAxis):
    """A step-count axis that writes 20000 as 20k and 1500000 as 1.5M (narrow plots)."""

    def tickStrings(self, values, scale, spacing):
        top = max((abs(v) for v in values), default=0)
        if top < 10_000:
            return super().tickStrings(values, scale, spacing)
        unit, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k")
        return [f"{v / unit:g}{suffix}" for v in values]


@dataclass
class Run:
    """One trainer on the lab's plots: its label, colour and (in a race) its contender."""

    trainer: cc.Trainer
    label: str
    color_index: int
    racer_index: int | None = None
    reported: bool = False  # divergence already announced


def _spin(lo: int, hi: int, value: int, tip: str, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setToolTip(tip)
    if special:
        box.setSpecialValueText(special)
    box.setKeyboardTracking(False)
    return box


def _dspin(lo: float, hi: float, value: float, step: float, decimals: int, tip: str):
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


class GradientPanel(LabPanel):
    """Live gradient descent on the rising/falling data set, with its exact loss landscape."""

    title = "Gradient Descent"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = GradientLabState()
        self.runs: list[Run] = []
        self.running = False
        self._message = ""
        self._legend_labels: list[str] = []
        self._x_max = 0.0
        self._kernel_lim = 0.0
        self._pred_range: tuple[float, float] = (0.0, 0.0)
        self._landscape_dirty = True
        self._batch = 64  # steps per call inside a frame, adapted to the budget
        self._rate_steps = 0
        self._rate_frames = 0
        self._rate_start = 0.0
        self.steps_per_second = 0.0
        self.frames_per_second = 0.0

        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(FRAME_MS)
        self._frame_timer.timeout.connect(self._tick)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(FRAME_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_controls)

        controls = self._build_controls()
        toolbar = self._build_toolbar()
        plots = self._build_plots()
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(toolbar)
        right.addWidget(self.status_label)
        right.addWidget(plots, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(controls)
        layout.addLayout(right, 1)
        self._build_shortcuts()
        self.follow_theme(self._restyle)
        self._restyle()
        self._sync_widgets()
        self._rebuild("")

    # ================================================================== building
    def _build_controls(self) -> QScrollArea:
        s = self.state
        # -- data
        self.samples_spin = _spin(1, MAX_SAMPLES, s.n_samples,
                                  "Signals of each class (rising, falling)")
        self.length_spin = _spin(2, MAX_LENGTH, s.length, "Samples per signal")
        self.noise_spin = _dspin(0, MAX_NOISE, s.noise, 0.1, 2,
                                 "Half-width of the uniform noise added to every sample")
        self.test_spin = _dspin(0.05, 0.95, s.test_fraction, 0.05, 2,
                                "Fraction of the signals held out as the test set")
        self.seed_spin = _spin(0, 2**31 - 1, s.data_seed,
                               "Random seed of the data (and of the mini-batch shuffling): "
                               "the same seed gives the same run")
        self.new_seed_button = QPushButton("New seed")
        self.new_seed_button.setToolTip("Draw a new data set (a random seed)")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.new_seed_button)
        data_box = QGroupBox("Data: rising (0) vs falling (1) lines")
        form = QFormLayout(data_box)
        form.addRow("Samples / class", self.samples_spin)
        form.addRow("Length", self.length_spin)
        form.addRow("Noise ±", self.noise_spin)
        form.addRow("Test fraction", self.test_spin)
        form.addRow("Seed", seed_row)

        # -- model and optimizer
        self.taps_spin = _spin(1, s.length, s.taps, "Kernel size k (the notebook uses 2)")
        self.bias_check = QCheckBox("Bias b")
        self.bias_check.setToolTip(
            "Add a trainable bias to the prediction. Without it (the notebook) the model "
            "plateaus in a flat valley; with it the kernel becomes a difference filter."
        )
        self.start_edit = ArrayEdit(
            s.start, self._check_start,
            "Starting weights w1, w2, … (then b): Reset returns here. Click the landscape "
            "to pick a start with the mouse.",
        )
        self.lr_edit = ArrayEdit(
            s.learning_rates, self._check_rates,
            "One learning rate per parameter (the notebook's alphas); applies from the next step",
        )
        self.optimizer_combo = QComboBox()
        for name, label in OPTIMIZER_LABELS.items():
            self.optimizer_combo.addItem(label, name)
        self.optimizer_combo.setToolTip(
            "SGD: θ ← θ − α·g · Momentum: v ← μv + g, θ ← θ − α·v · "
            "Nesterov: θ ← θ − α·(g + μv) · Adam: steps by α·m̂/(√ŝ + ε). "
            "Switching applies from the next step (the optimizer's memory starts at zero)."
        )
        self.momentum_spin = _dspin(0, 0.999, s.momentum, 0.05, 3, "Momentum μ")
        self.beta1_spin = _dspin(0, 0.999, s.beta1, 0.01, 3, "Adam β₁ (mean of gradients)")
        self.beta2_spin = _dspin(0, 0.99999, s.beta2, 0.001, 5,
                                 "Adam β₂ (mean of squared gradients)")
        self.batch_spin = _spin(0, MAX_BATCH, s.batch_size,
                                "Signals per step: full batch uses all training signals; "
                                "mini-batches walk through a shuffled epoch", "full batch")
        model_box = QGroupBox("Model and optimizer")
        form = QFormLayout(model_box)
        form.addRow("Taps", self.taps_spin)
        form.addRow("", self.bias_check)
        form.addRow("Start", self.start_edit)
        form.addRow("Learning rates", self.lr_edit)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Momentum μ", self.momentum_spin)
        form.addRow("Adam β₁", self.beta1_spin)
        form.addRow("Adam β₂", self.beta2_spin)
        form.addRow("Batch size", self.batch_spin)
        self._model_form = form

        # -- race
        self.race_check = QCheckBox("Race these from the same start")
        self.race_check.setToolTip(
            "Train several optimizers / learning rates side by side on the same data and "
            "landscape; each has its own colour in the loss plot and on the landscape."
        )
        race_box = QGroupBox("Race")
        grid = QGridLayout(race_box)
        grid.addWidget(self.race_check, 0, 0, 1, 3)
        self.racer_widgets: list[tuple[QCheckBox, QComboBox, QDoubleSpinBox]] = []
        for i in range(len(s.racers)):
            enabled = QCheckBox()
            enabled.setToolTip("Take part in the race")
            combo = QComboBox()
            for name, label in OPTIMIZER_LABELS.items():
                combo.addItem(label, name)
            combo.setToolTip("Optimizer of this contender (μ, β₁, β₂ from above)")
            rate = _dspin(0, MAX_RATE, 0.01, 0.005, 4,
                          "Learning rate of this contender (the same for every parameter)")
            for col, widget in enumerate((enabled, combo, rate)):
                grid.addWidget(widget, i + 1, col)
            self.racer_widgets.append((enabled, combo, rate))
            enabled.toggled.connect(lambda _on, k=i: self._on_racer_changed(k, restart=True))
            combo.currentIndexChanged.connect(lambda _i, k=i: self._on_racer_changed(k))
            rate.valueChanged.connect(lambda _v, k=i: self._on_racer_changed(k))

        # -- landscape and gradient
        self.axis_combos = (QComboBox(), QComboBox())
        for combo, which in zip(self.axis_combos, ("horizontal", "vertical"), strict=True):
            combo.setToolTip(
                f"Parameter on the landscape's {which} axis. With more than two parameters "
                "the landscape is a 2-D slice through the current point."
            )
            combo.currentIndexChanged.connect(self._on_axes_changed)
        self.fit_button = QPushButton("Fit view")
        self.fit_button.setToolTip("Show the start, the optimum and the current point (F)")
        land_box = QGroupBox("Landscape")
        form = QFormLayout(land_box)
        form.addRow("Horizontal", self.axis_combos[0])
        form.addRow("Vertical", self.axis_combos[1])
        form.addRow("", self.fit_button)

        self.gradient_label = QLabel()
        self.gradient_label.setTextFormat(Qt.TextFormat.RichText)
        self.gradient_label.setToolTip(
            "∂L/∂θ by the chain rule at the current point, beside central finite "
            "differences of the loss; a tiny relative error means the gradient is right."
        )
        self.curvature_label = QLabel()
        self.curvature_label.setWordWrap(True)
        self.curvature_label.setToolTip(
            "Eigenvalues λ of the loss's Hessian H = AᵀA/N: the valley's curvatures. Plain "
            "full-batch SGD multiplies the error along each direction by |1 − μ| per step, "
            "μ the eigenvalues of α^½·H·α^½: above μ = 2 it diverges; a tiny μ crawls.")
        grad_box = QGroupBox("Gradient and curvature")
        grad_layout = QVBoxLayout(grad_box)
        grad_layout.addWidget(self.gradient_label)
        grad_layout.addWidget(self.curvature_label)

        column = QWidget()
        col_layout = QVBoxLayout(column)
        col_layout.setContentsMargins(0, 0, 4, 0)
        for box in (data_box, model_box, grad_box, race_box, land_box):
            col_layout.addWidget(box)
        col_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._controls = scroll
        self._fit_controls()

        # wiring: data and model structure → restart; training settings → next step
        for box, key in ((self.samples_spin, "n_samples"), (self.length_spin, "length"),
                         (self.seed_spin, "data_seed"), (self.taps_spin, "taps")):
            box.valueChanged.connect(lambda v, k=key: self._on_structure(k, int(v)))
        for box, key in ((self.noise_spin, "noise"), (self.test_spin, "test_fraction")):
            box.valueChanged.connect(lambda v, k=key: self._on_structure(k, float(v)))
        self.bias_check.toggled.connect(lambda on: self._on_structure("bias", bool(on)))
        self.new_seed_button.clicked.connect(self.new_seed)
        self.start_edit.valueChanged.connect(self._on_start_edited)
        self.lr_edit.valueChanged.connect(self._on_rates_edited)
        self.optimizer_combo.currentIndexChanged.connect(self._on_optimizer_changed)
        for box in (self.momentum_spin, self.beta1_spin, self.beta2_spin):
            box.valueChanged.connect(self._on_options_changed)
        self.batch_spin.valueChanged.connect(self._on_batch_changed)
        self.race_check.toggled.connect(self._on_race_toggled)
        self.fit_button.clicked.connect(self.fit_view)
        return scroll

    def _build_toolbar(self) -> QHBoxLayout:
        self.step_button = QPushButton("Step →")
        self.step_button.setToolTip("One optimizer update (→)")
        self.run_button = QPushButton("Run")
        self.run_button.setCheckable(True)
        self.run_button.setToolTip("Train continuously / pause (Space)")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the start weights, step 0, same data (R)")
        self.speed_combo = QComboBox()
        for steps, label in SPEEDS:
            self.speed_combo.addItem(label, steps)
        self.speed_combo.setToolTip(
            "Optimizer steps between two redraws; 'max' runs as many as fit in 8 ms "
            "of every 16 ms frame, so the window stays responsive"
        )
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(150)
        self.step_label.setToolTip("Optimizer steps made since the start, and the speed")
        self.log_check = QCheckBox("log loss")
        self.log_check.setToolTip("Logarithmic loss axis: shows the slow crawl along the valley")
        self.log_steps_check = QCheckBox("log steps")
        self.log_steps_check.setToolTip(
            "Logarithmic step axis (from step 1): early and late training side by side — "
            "the way to compare optimizers in a race")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip(
            "Save the training history (step, parameters, losses, accuracies) as CSV. "
            "Right-click any plot → Export to save it as PNG or SVG."
        )
        # one line under the buttons: a long message must not resize the plots
        self.status_label = QLabel()
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Fixed)
        bar = QHBoxLayout()
        for widget in (self.step_button, self.run_button, self.reset_button, self.speed_combo,
                       self.step_label, self.log_check, self.log_steps_check,
                       self.export_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.step_button.clicked.connect(self.step_once)
        self.run_button.toggled.connect(self.set_running)
        self.reset_button.clicked.connect(self.reset)
        self.speed_combo.currentIndexChanged.connect(self._on_speed_changed)
        self.log_check.toggled.connect(self._on_log_toggled)
        self.log_steps_check.toggled.connect(self._on_log_steps_toggled)
        self.export_button.clicked.connect(self.export_csv)
        return bar

    def _build_shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, slot in ((Qt.Key.Key_Space, self.run_button.toggle),
                          (Qt.Key.Key_Right, self.step_once),
                          (Qt.Key.Key_R, self.reset),
                          (Qt.Key.Key_F, self.fit_view)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)

    def _build_plots(self) -> QWidget:
        # the landscape
        # a layout widget, so that the colour bar gets its own column beside the plot
        self.land_plot = register_view(pg.GraphicsLayoutWidget())
        land = self.land_item = self.land_plot.addPlot(
            axisItems={"left": PlainAxis("left"), "bottom": PlainAxis("bottom")})
        style_plot(land, "Loss landscape", "w1", "w2", grid=False)
        self.land_plot.setToolTip(
            "The exact training loss over two parameters (colour: log₁₀ of the loss above its "
            "minimum; white lines: contours a factor √10 apart). Star: least-squares optimum; "
            "ring: start; dot: current point; pink arrow: −∇L, the direction of steepest "
            "descent. Click to restart from a point; drag to pan, wheel to zoom.")
        self.land_vb = land.getViewBox()
        self.land_vb.setAspectLocked(True)
        self.land_vb.disableAutoRange()
        self.land_image = pg.ImageItem()
        self.land_image.setZValue(-10)
        land.addItem(self.land_image)
        self.colormap = pg.colormap.get("viridis")
        self.colorbar = pg.ColorBarItem(
            values=(-3, 1), colorMap=self.colormap, interactive=False, width=14,
            label="log₁₀(L − L_min)",
        )
        self.colorbar.setImageItem(self.land_image)
        self.land_plot.addItem(self.colorbar)
        self.contours = pg.PlotCurveItem()
        land.addItem(self.contours)
        self.path_curves = [land.plot([], []) for _ in range(5)]
        self.current_points = pg.ScatterPlotItem(size=11, pen=pg.mkPen("w", width=1.5))
        self.start_marker = pg.ScatterPlotItem(size=12, symbol="o", brush=None)
        self.optimum_marker = pg.ScatterPlotItem(size=20, symbol="star")
        self.grad_line = pg.PlotCurveItem()
        self.grad_arrow = pg.ArrowItem(headLen=14, tailLen=0, pxMode=True)
        for item in (self.start_marker, self.optimum_marker, self.grad_line, self.grad_arrow,
                     self.current_points):
            land.addItem(item)
        self.land_message = pg.TextItem(anchor=(0.5, 0.5))
        land.addItem(self.land_message)
        self.land_plot.scene().sigMouseClicked.connect(self._on_landscape_click)
        self.land_vb.sigRangeChanged.connect(self._on_view_changed)

        # loss, accuracy, weights
        self.loss_plot = make_plot(legend=True)
        loss = self.loss_plot.getPlotItem()
        self.loss_curves = [loss.plot([], [], name=f"run {i}") for i in range(5)]
        self.test_loss_curve = loss.plot([], [], name="test")
        self.min_loss_curve = loss.plot([], [], name="least-squares minimum")
        self.acc_plot = make_plot(legend=True)
        acc = self.acc_plot.getPlotItem()
        # legends where the curves are not: the loss falls (top right free), accuracy rises
        loss.legend.setOffset((-10, 10))
        acc.legend.setOffset((-10, -10))
        # normal: [0] = train accuracy; race: test accuracy of each contender
        self.acc_curves = [acc.plot([], []) for _ in range(5)]
        self.test_acc_curve = acc.plot([], [])
        acc.enableAutoRange(y=False)
        self.weights_plot = make_plot(legend=True)
        self.weights_item = self.weights_plot.getPlotItem()
        self.weight_curves: list[pg.PlotDataItem] = []
        self.weight_targets: list[pg.PlotDataItem] = []
        for plot in (loss, acc, self.weights_item):
            for item in plot.listDataItems():
                item.setClipToView(True)
                item.setDownsampling(auto=True, method="peak")

        # data, kernel, predictions
        self.data_plot = make_plot("Training signals", "t", "x", legend=True)
        self.data_plot.getPlotItem().legend.setOffset((10, -10))  # bottom left: free space
        data = self.data_plot.getPlotItem()
        self.signal_curves = [pg.PlotCurveItem(name=n) for n in ("rising (0)", "falling (1)")]
        for curve in self.signal_curves:
            data.addItem(curve)
        self.kernel_plot = make_plot("Kernel", "tap j", "w_j")
        self.kernel_stems = Stems(self.kernel_plot.getPlotItem(), series_color(0))
        self.kernel_text = pg.TextItem(anchor=(0, 0))
        self.kernel_plot.addItem(self.kernel_text)
        self.pred_plot = make_plot("Test predictions", "test signal", "p")
        self.pred_plot.setToolTip(
            "Filled dots: the model's output p for each test signal, coloured by its true "
            "class; rings: the label (0 rising, 1 falling); dashed: the 0.5 threshold")
        pred = self.pred_plot.getPlotItem()
        self.pred_points = [pg.ScatterPlotItem(size=8, name=n)
                            for n in ("p, rising", "p, falling")]
        self.label_points = pg.ScatterPlotItem(size=10, symbol="o", brush=None, name="label")
        for item in (*self.pred_points, self.label_points):
            pred.addItem(item)
        self.threshold_line = pg.InfiniteLine(0.5, angle=0, movable=False)
        pred.addItem(self.threshold_line)
        self.pred_text = pg.TextItem(anchor=(0, 0))
        pred.addItem(self.pred_text)

        for widget, title, y_label in ((self.loss_plot, "Loss ½·mean((y − p)²)", "loss"),
                                       (self.acc_plot, "Accuracy (p > 0.5 → falling)",
                                        "accuracy"),
                                       (self.weights_plot, "Parameters", "value")):
            item = widget.getPlotItem()
            item.setAxisItems({"left": PlainAxis("left"), "bottom": StepAxis("bottom")})
            style_plot(item, title, "step", y_label, grid=False)
            item.enableAutoRange(x=False)
        for widget, title, x_label, y_label in (
                (self.data_plot, "Training signals", "t", "x"),
                (self.kernel_plot, "Kernel", "tap j", "w_j"),
                (self.pred_plot, "Test predictions", "test signal", "p")):
            item = widget.getPlotItem()
            item.setAxisItems({"left": PlainAxis("left"), "bottom": PlainAxis("bottom")})
            style_plot(item, title, x_label, y_label)
        self.kernel_plot.getPlotItem().enableAutoRange(x=False, y=False)
        self.pred_plot.getPlotItem().enableAutoRange(x=False, y=False)
        self.plot_widgets = (self.land_plot, self.loss_plot, self.acc_plot, self.weights_plot,
                             self.data_plot, self.kernel_plot, self.pred_plot)
        # Plots redrawn every frame go without grid: a grid makes pyqtgraph repaint the
        # axes over the whole plot on every change, about five times the cost of the curves.
        for widget in (self.loss_plot, self.acc_plot, self.weights_plot):
            widget.getPlotItem().showGrid(x=False, y=False)
        self.acc_plot.getPlotItem().setYRange(-0.02, 1.05, padding=0)
        area = QWidget()
        grid = QGridLayout(area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        grid.addWidget(self.land_plot, 0, 0, 2, 2)
        grid.addWidget(self.loss_plot, 0, 2, 1, 2)
        grid.addWidget(self.acc_plot, 1, 2, 1, 2)
        for col, widget in enumerate((self.data_plot, self.weights_plot, self.kernel_plot,
                                      self.pred_plot)):
            grid.addWidget(widget, 2, col)
        for col in range(4):
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(0, 5)
        grid.setRowStretch(1, 5)
        grid.setRowStretch(2, 4)
        return area

    def _fit_controls(self) -> None:
        """The control column as wide as its content (which grows in presentation mode)."""
        scroll = self._controls
        width = scroll.widget().sizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        scroll.setFixedWidth(width + 4)

    def _restyle(self) -> None:
        self._fit_timer.start()  # once the new font has reached the widgets
        theme = theme_manager().theme
        fg, muted = theme.foreground, theme.muted
        dash = Qt.PenStyle.DashLine
        self.test_loss_curve.setPen(pg.mkPen(series_color(1), width=CURVE_WIDTH, style=dash))
        self.min_loss_curve.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DotLine))
        self.test_acc_curve.setPen(pg.mkPen(series_color(1), width=CURVE_WIDTH, style=dash))
        for i, curve in enumerate(self.signal_curves):
            curve.setPen(pg.mkPen(series_color(i), width=1.2))
        for i, points in enumerate(self.pred_points):
            points.setBrush(pg.mkBrush(series_color(i)))
            points.setPen(pg.mkPen(series_color(i)))
        self.label_points.setPen(pg.mkPen(fg, width=1.5))
        self.threshold_line.setPen(pg.mkPen(muted, width=1.5, style=dash))
        self.kernel_stems.set_color(series_color(0))
        for text in (self.land_message, self.kernel_text, self.pred_text):
            text.setColor(fg)
            text.setFont(theme_manager().plot_font(0.9))  # follows presentation mode
        self.contours.setPen(pg.mkPen(255, 255, 255, 120, width=1))
        # on the colour map: light outlines read on both ends of viridis
        self.start_marker.setPen(pg.mkPen("#FFFFFF", width=2.5))
        self.optimum_marker.setPen(pg.mkPen("#000000", width=1))
        self.optimum_marker.setBrush(pg.mkBrush("#FF4081"))
        self.grad_line.setPen(pg.mkPen("#FF4081", width=2.5))
        self.grad_arrow.setStyle(pen=pg.mkPen("#FF4081"), brush=pg.mkBrush("#FF4081"))
        self._style_runs()
        self._schedule_redraw()

    def _style_runs(self) -> None:
        for i, curve in enumerate(self.loss_curves):
            color = series_color(self.runs[i].color_index) if i < len(self.runs) else "#000000"
            curve.setPen(pg.mkPen(color, width=CURVE_WIDTH))
            self.acc_curves[i].setPen(pg.mkPen(color, width=CURVE_WIDTH))
            self.path_curves[i].setPen(pg.mkPen(color, width=2.5))
        for i, curve in enumerate(self.weight_curves):
            curve.setPen(pg.mkPen(series_color(i), width=CURVE_WIDTH))
            self.weight_targets[i].setPen(
                pg.mkPen(series_color(i), width=1, style=Qt.PenStyle.DotLine))

    # ================================================================== model ↔ widgets
    def _sync_widgets(self) -> None:
        """Show :attr:`state` in every control (without triggering their handlers)."""
        s = self.state
        widgets = [self.samples_spin, self.length_spin, self.noise_spin, self.test_spin,
                   self.seed_spin, self.taps_spin, self.bias_check, self.optimizer_combo,
                   self.momentum_spin, self.beta1_spin, self.beta2_spin, self.batch_spin,
                   self.race_check, self.speed_combo, self.log_check, self.log_steps_check,
                   *self.axis_combos]
        for row in self.racer_widgets:
            widgets += row
        blockers = [QSignalBlocker(w) for w in widgets]
        self.samples_spin.setValue(s.n_samples)
        self.length_spin.setValue(s.length)
        self.noise_spin.setValue(s.noise)
        self.test_spin.setValue(s.test_fraction)
        self.seed_spin.setValue(s.data_seed)
        self.taps_spin.setMaximum(s.length)
        self.taps_spin.setValue(s.taps)
        self.bias_check.setChecked(s.bias)
        self.start_edit.setValue(s.start)
        self.lr_edit.setValue(s.learning_rates)
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(s.optimizer))
        self.momentum_spin.setValue(s.momentum)
        self.beta1_spin.setValue(s.beta1)
        self.beta2_spin.setValue(s.beta2)
        self.batch_spin.setValue(s.batch_size)
        self.race_check.setChecked(s.race)
        if self.speed_combo.findData(s.steps_per_frame) < 0:  # a value from a saved session
            self.speed_combo.addItem(f"{s.steps_per_frame} steps / frame", s.steps_per_frame)
        self.speed_combo.setCurrentIndex(self.speed_combo.findData(s.steps_per_frame))
        self.log_check.setChecked(s.log_loss)
        self.log_steps_check.setChecked(s.log_steps)
        for (enabled, combo, rate), racer in zip(self.racer_widgets, s.racers, strict=True):
            enabled.setChecked(racer.enabled)
            combo.setCurrentIndex(combo.findData(racer.optimizer))
            rate.setValue(racer.learning_rate)
        names = s.names
        for combo, axis in zip(self.axis_combos, s.slice_axes, strict=True):
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(min(axis, len(names) - 1))
            combo.setEnabled(len(names) > 2)
        del blockers
        self._update_enabled()

    def _update_enabled(self) -> None:
        s = self.state
        race = s.race
        self.lr_edit.setEnabled(not race)
        self.optimizer_combo.setEnabled(not race)
        uses = {s.optimizer} if not race else {r.optimizer for r in s.racers if r.enabled}
        for widget, needed in ((self.momentum_spin, {"momentum", "nesterov"}),
                               (self.beta1_spin, {"adam"}), (self.beta2_spin, {"adam"})):
            self._model_form.setRowVisible(widget, bool(uses & needed))
        for row in self.racer_widgets:
            for widget in row[1:]:
                widget.setEnabled(race)
        self.loss_plot.getPlotItem().setLogMode(x=s.log_steps, y=s.log_loss)
        for widget in (self.acc_plot, self.weights_plot):
            widget.getPlotItem().setLogMode(x=s.log_steps)
        self._x_max = 0.0  # the step ranges are set again in the new units

    def _check_start(self, values: np.ndarray) -> None:
        if values.size != self.state.n_params:
            raise ValueError(f"give {self.state.n_params} numbers: {', '.join(self.state.names)}")
        if np.any(np.abs(values) > 1e6):
            raise ValueError("keep the start within ±1e6")

    def _check_rates(self, values: np.ndarray) -> None:
        self._check_start(values)
        if np.any(values < 0):
            raise ValueError("learning rates must be >= 0")

    # ================================================================== runs
    def _make_trainer(self, optimizer: str, rates: Any) -> cc.Trainer:
        s = self.state
        return cc.Trainer(
            self.data, taps=s.taps, bias=s.bias, initial_params=s.start,
            learning_rates=rates, optimizer=optimizer, batch_size=s.batch_size or None,
            seed=s.data_seed, history_cap=HISTORY_CAP, **s.optimizer_options(optimizer),
        )

    def _make_runs(self) -> None:
        s = self.state
        self.runs = []
        if s.race:
            for i, racer in enumerate(s.racers):
                if racer.enabled:
                    trainer = self._make_trainer(racer.optimizer, racer.learning_rate)
                    self.runs.append(Run(trainer, racer.label(), i, i))
        if not self.runs:
            label = OPTIMIZER_LABELS[s.optimizer]
            self.runs.append(Run(self._make_trainer(s.optimizer, s.learning_rates), label, 0))

    @property
    def trainer(self) -> cc.Trainer:
        """The primary run's trainer (the only one outside a race)."""
        return self.runs[0].trainer

    def _rebuild(self, message: str) -> None:
        """New data / model: fresh trainers at the start, plots refitted."""
        s = self.state
        self.data = s.dataset()
        self._make_runs()
        self.optimum = self.trainer.optimum()
        self.min_loss = float(self.trainer.quadratic(self.optimum))
        self._show_curvature()
        names = s.names
        weights = self.weights_item
        for curve in self.weight_curves + self.weight_targets:
            weights.removeItem(curve)
        if weights.legend is not None:
            weights.legend.clear()
        owner = f" ({self.runs[0].label})" if len(self.runs) > 1 else ""  # a race: whose?
        self.weight_curves = [weights.plot([], [], name=n + owner) for n in names]
        self.weight_targets = [weights.plot([], []) for _ in names]
        for curve in self.weight_curves:
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
        self._style_runs()
        self._draw_data()
        self._x_max = self._kernel_lim = 0.0  # re-range every plot
        self._legend_labels = []
        self._pred_range = (0.0, 0.0)
        self.kernel_plot.getPlotItem().setXRange(0.5, s.taps + 0.5)
        self.pred_plot.getPlotItem().setXRange(-1, self.data[1][1].size)
        self.fit_view()
        self._set_message(message)

    def _show_curvature(self) -> None:
        """The valley's shape and what it means for SGD with the chosen learning rates."""
        c = sgd_curvature(self.trainer.quadratic.hessian, self.state.learning_rates)
        lam = c.eigenvalues
        text = (f"Curvatures λ from {lam[0]:.3g} to {lam[-1]:.3g} "
                f"(ratio {c.ratio:,.0f}): a long, narrow valley. " if c.ratio > 30 else
                f"Curvatures λ from {lam[0]:.3g} to {lam[-1]:.3g} (ratio {c.ratio:,.0f}). ")
        text += f"Plain SGD with these α: μ_max = {c.scaled[-1]:.3g} "
        if not c.stable:
            text += "> 2, it diverges."
        elif np.isfinite(c.steps_per_efold):
            text += (f"< 2, stable; the slowest direction needs ≈{c.steps_per_efold:,.0f} "
                     "steps per factor e.")
        else:
            text += "< 2, but a flat direction never converges."
        self.curvature_label.setText(text)
        self.curvature = c

    def _set_message(self, message: str) -> None:
        self._message = message
        if message:
            self.status_message.emit(message)
        self._schedule_redraw()

    def _draw_data(self) -> None:
        (x, y), _ = self.data
        t = np.arange(x.shape[1], dtype=float)
        for label, curve in enumerate(self.signal_curves):
            rows = x[y == label]
            connect = np.ones(rows.size, dtype=bool)
            connect[x.shape[1] - 1 :: x.shape[1]] = False  # break between signals
            curve.setData(np.tile(t, len(rows)), rows.ravel(), connect=connect)

    # ================================================================== actions
    def step_once(self) -> None:
        """One update of every run (the Step button and →)."""
        if self.running:
            return
        if all(run.trainer.diverged for run in self.runs):
            self._set_message("Diverged: lower the learning rate or press Reset (R)")
            return
        self._advance(1)
        self._schedule_redraw()

    def set_running(self, on: bool) -> None:
        """Start or pause continuous training (the Run button and Space)."""
        on = bool(on)
        if on and all(run.trainer.diverged for run in self.runs):
            on = False
            self._set_message("Diverged: lower the learning rate or press Reset (R)")
        self.running = on
        with QSignalBlocker(self.run_button):
            self.run_button.setChecked(on)
        self.run_button.setText("Pause" if on else "Run")
        self.step_button.setEnabled(not on)
        if on:
            self._rate_steps, self._rate_frames = 0, 0
            self._rate_start = time.perf_counter()
            self._frame_timer.start()
        else:
            self._frame_timer.stop()
            self._schedule_redraw()

    def reset(self) -> None:
        """Back to the start weights at step 0 (same data, same shuffling)."""
        for run in self.runs:
            run.trainer.reset()
            run.reported = False
        self._set_message("Reset to the start")

    def restart_at(self, u: float, v: float) -> None:
        """Restart every run from the current point with the landscape's two axes set to (u, v)."""
        if self.state.n_params < 2:
            return
        a, b = self.state.slice_axes
        point = self.trainer.params
        point[a], point[b] = u, v
        self.state.start = [float(p) for p in point]
        self.start_edit.setValue(self.state.start)
        for run in self.runs:
            run.trainer.set_params(point)
            run.reported = False
        self._set_message(f"Restarted from ({format_array(point)})")

    def new_seed(self) -> None:
        """A new random data set."""
        self.seed_spin.setValue(random.randrange(1, 1_000_000))

    def fit_view(self) -> None:
        """Frame the start, the optimum and the current point on the landscape."""
        if self.state.n_params < 2:
            style_plot(self.land_item, "Loss landscape", "w1", "", grid=False)
            return
        a, b = self.state.slice_axes
        names = self.state.names
        title = "Loss landscape — click to restart" if self.state.n_params == 2 else (
            "Slice through the current point")
        style_plot(self.land_item, title, names[a], names[b], grid=False)
        points = [self.trainer.initial_params, self.optimum, self.trainer.params]
        (u0, u1), (v0, v1) = landscape_window([[p[a], p[b]] for p in points])
        self.land_vb.setRange(xRange=(u0, u1), yRange=(v0, v1), padding=0)
        self._landscape_dirty = True
        self._schedule_redraw()

    def data_exports(self) -> list[DataExport]:
        return [
            DataExport("Training history as CSV…", "CSV (*.csv)",
                       "convlab-gradient-history.csv", self.write_history),
            DataExport("Data set (signals and labels) as CSV…", "CSV (*.csv)",
                       "convlab-updown-data.csv", self.write_dataset),
        ]

    def write_history(self, path: Path) -> None:
        """Write the history of every run to ``path`` as CSV (raises OSError)."""
        with open(path, "w", newline="", encoding="utf-8") as stream:
            write_history_csv(
                stream, [(r.label, r.trainer.names, r.trainer.history) for r in self.runs])

    def write_dataset(self, path: Path) -> None:
        """Write the rising/falling signals and their labels to ``path`` as CSV."""
        with open(path, "w", newline="", encoding="utf-8") as stream:
            write_updown_csv(stream, self.data)

    def export_csv(self) -> None:
        """Ask for a file name and save the history as CSV."""
        start = str(Path.home() / "convlab-gradient-history.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export history", start, "CSV (*.csv)")
        if path:
            self.save_csv(Path(path))

    def save_csv(self, path: Path) -> None:
        """Write the history of every run to ``path`` (errors go to the status line)."""
        try:
            self.write_history(path)
        except OSError as exc:
            self._set_message(f"Could not save the history: {exc.strerror or exc}")
            return
        rows = sum(len(r.trainer.history) for r in self.runs)
        self._set_message(f"Saved {rows} history rows to {path}")

    # ================================================================== handlers
    def _on_structure(self, key: str, value: Any) -> None:
        """Data or model shape changed: the old run no longer applies, so restart."""
        s = self.state
        before = GradientLabState.from_dict(s.to_dict())
        old_taps, old_bias = s.taps, s.bias
        setattr(s, key, value)
        if key == "length":
            s.taps = min(s.taps, s.length)
        if (s.taps, s.bias) != (old_taps, old_bias):
            s.start = resize_params(s.start, old_taps, old_bias, s.taps, s.bias, 0.5, 0.0)
            s.learning_rates = resize_params(s.learning_rates, old_taps, old_bias, s.taps,
                                             s.bias, 0.01, 0.01)
            n = s.n_params
            s.slice_axes = [0, 1] if n <= 2 or max(s.slice_axes) >= n else s.slice_axes
        try:
            s.validate()
        except ValueError as exc:  # e.g. too few signals for a test set: keep the old settings
            self.state = before
            self._sync_widgets()
            self._set_message(f"Not changed: {exc}")
            return
        self._sync_widgets()
        what = {"n_samples": "Samples", "length": "Signal length", "data_seed": "Data seed",
                "noise": "Noise", "test_fraction": "Test fraction", "taps": "Number of taps",
                "bias": "Bias"}[key]
        self._rebuild(f"{what} changed: new model/data, training restarted at step 0")

    def _on_start_edited(self, values: np.ndarray) -> None:
        self.state.start = [float(v) for v in values]
        for run in self.runs:
            run.trainer.set_params(values)
            run.reported = False
        self._set_message("New start: training restarted at step 0")
        self.fit_view()

    def _on_rates_edited(self, values: np.ndarray) -> None:
        self.state.learning_rates = [float(v) for v in values]
        self._show_curvature()
        if not self.state.race:
            self.trainer.set_learning_rates(values)
            self.runs[0].reported = False
            self._set_message(f"Learning rates ({format_array(values)}) apply from the next step")

    def _on_optimizer_changed(self) -> None:
        name = self.optimizer_combo.currentData()
        self.state.optimizer = name
        if not self.state.race:
            self.trainer.set_optimizer(name, **self.state.optimizer_options(name))
            self.runs[0].label = OPTIMIZER_LABELS[name]
            self.runs[0].reported = False
            self._set_message(
                f"{OPTIMIZER_LABELS[name]} from step {self.trainer.step_count + 1} on")
        self._update_enabled()

    def _on_options_changed(self) -> None:
        s = self.state
        s.momentum = self.momentum_spin.value()
        s.beta1 = self.beta1_spin.value()
        s.beta2 = self.beta2_spin.value()
        for run in self.runs:
            options = s.optimizer_options(run.trainer.optimizer.name)
            if options:
                run.trainer.optimizer.set_options(**options)
        self._set_message("Optimizer settings apply from the next step")

    def _on_batch_changed(self, value: int) -> None:
        self.state.batch_size = int(value)
        for run in self.runs:
            run.trainer.set_batch_size(int(value) or None)
        self._set_message(
            f"Batch size {value or 'full'} from the next step")

    def _on_race_toggled(self, on: bool) -> None:
        self.state.race = bool(on)
        self._update_enabled()
        self._rebuild("Race on: the contenders start together" if on else "Race off")

    def _on_racer_changed(self, index: int, restart: bool = False) -> None:
        enabled, combo, rate = self.racer_widgets[index]
        racer = RacerSpec(enabled.isChecked(), combo.currentData(), rate.value())
        self.state.racers[index] = racer
        if not self.state.race:
            return
        self._update_enabled()
        run = next((r for r in self.runs if r.racer_index == index), None)
        if restart:
            self._rebuild("Contenders changed: the race restarted")
            return
        if run is None:  # a contender sitting this race out: nothing is running
            return
        if run.trainer.optimizer.name != racer.optimizer:
            run.trainer.set_optimizer(racer.optimizer,
                                      **self.state.optimizer_options(racer.optimizer))
        run.trainer.set_learning_rates(racer.learning_rate)
        run.label = racer.label()
        run.reported = False
        self._set_message(f"{racer.label()} from the next step")

    def _on_axes_changed(self) -> None:
        axes = [combo.currentIndex() for combo in self.axis_combos]
        if -1 in axes or self.state.n_params < 2:
            return
        old = self.state.slice_axes
        if axes[0] == axes[1]:  # the same parameter twice: swap the two axes instead
            changed = 0 if axes[0] != old[0] else 1
            axes[1 - changed] = old[changed]
            with QSignalBlocker(self.axis_combos[1 - changed]):
                self.axis_combos[1 - changed].setCurrentIndex(axes[1 - changed])
        self.state.slice_axes = axes
        self.fit_view()

    def _on_speed_changed(self) -> None:
        self.state.steps_per_frame = int(self.speed_combo.currentData())

    def _on_log_toggled(self, on: bool) -> None:
        self.state.log_loss = bool(on)
        self._update_enabled()
        self._schedule_redraw()

    def _on_log_steps_toggled(self, on: bool) -> None:
        self.state.log_steps = bool(on)
        self._update_enabled()
        self._schedule_redraw()

    def _on_view_changed(self) -> None:
        self._landscape_dirty = True
        self._schedule_redraw()

    def _on_landscape_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pos = event.scenePos()
        if not self.land_vb.sceneBoundingRect().contains(pos):
            return
        point = self.land_vb.mapSceneToView(pos)
        self.restart_at(point.x(), point.y())
        event.accept()

    # ================================================================== training loop
    def _advance(self, n: int) -> int:
        """Step every run ``n`` times; pause and report on a new divergence."""
        for run in self.runs:
            run.trainer.step(n)
        news = [r for r in self.runs if r.trainer.diverged and not r.reported]
        if news:
            for run in news:
                run.reported = True
            self.set_running(False)
            self._set_message("; ".join(
                f"{r.label}: {r.trainer.status}" if len(self.runs) > 1 else r.trainer.status
                for r in news))
        return n

    def _tick(self) -> None:
        """One frame: steps within the time budget, then one redraw."""
        target = self.state.steps_per_frame or 10**12
        start = time.perf_counter()
        done = 0
        while done < target and self.running:
            n = min(target - done, self._batch)
            t0 = time.perf_counter()
            self._advance(n)
            dt = time.perf_counter() - t0
            done += n
            # aim each batch at ~2 ms so the budget is checked often enough
            self._batch = int(min(max(n * 0.002 / max(dt, 1e-6), 1), 50_000))
            if time.perf_counter() - start > STEP_BUDGET_S:
                break
        self._rate_steps += done
        self._rate_frames += 1
        elapsed = time.perf_counter() - self._rate_start
        if elapsed > 0.5:  # measured on the wall clock: redraws included
            self.steps_per_second = self._rate_steps / elapsed
            self.frames_per_second = self._rate_frames / elapsed
            self._rate_steps, self._rate_frames = 0, 0
            self._rate_start = time.perf_counter()
        self.redraw()

    def _schedule_redraw(self) -> None:
        if not self._redraw_timer.isActive() and not self._frame_timer.isActive():
            self._redraw_timer.start()

    # ================================================================== drawing
    def redraw(self) -> None:
        """Bring every plot up to the trainers' state (called at most once per frame)."""
        if self._shut_down:
            return
        trainer = self.trainer
        h = trainer.history
        race = len(self.runs) > 1
        for i, (loss, acc) in enumerate(zip(self.loss_curves, self.acc_curves, strict=True)):
            if i < len(self.runs):
                rh = self.runs[i].trainer.history
                loss.setData(rh.steps, rh.train_loss)
                acc.setData(rh.steps, rh.test_accuracy if race else rh.train_accuracy)
            else:
                loss.setData([], [])
                acc.setData([], [])
            loss.setVisible(i < len(self.runs))
            acc.setVisible(i < len(self.runs))
        for curve, values in ((self.test_loss_curve, h.test_loss),
                              (self.test_acc_curve, h.test_accuracy)):
            curve.setVisible(not race)
            if race:
                curve.setData([], [])
            else:
                curve.setData(h.steps, values)
        self._refresh_legends(race)
        for i, curve in enumerate(self.weight_curves):
            curve.setData(h.steps, h.params[:, i])
        # the step axis grows in 1-2-5 jumps, so the axes are not re-laid out every frame
        x_max = nice_ceiling(max(max(r.trainer.step_count for r in self.runs), 10))
        if x_max != self._x_max:
            self._x_max = x_max
            log = self.state.log_steps
            x0 = 1 if log else 0  # a log axis starts at step 1 (step 0 is not drawn)
            for widget in (self.loss_plot, self.acc_plot, self.weights_plot):
                widget.getPlotItem().setXRange(x0, math.log10(x_max) if log else x_max,
                                               padding=0.02)
            self.min_loss_curve.setData([x0, x_max], [self.min_loss, self.min_loss])
            for target, value in zip(self.weight_targets, self.optimum, strict=True):
                target.setData([x0, x_max], [value, value])
        theta = trainer.params
        self._draw_kernel(theta)
        self._draw_predictions(theta)
        self._draw_landscape(theta)
        self._draw_gradient(theta)
        rate = (f" · {self.steps_per_second:,.0f} steps/s, {self.frames_per_second:.0f} fps"
                if self.running and self.steps_per_second else "")
        self.step_label.setText(f"step {trainer.step_count:,}{rate}")
        diverged = [r for r in self.runs if r.trainer.diverged]
        if diverged:
            text = "; ".join(f"{r.label}: {r.trainer.status}" if race else r.trainer.status
                             for r in diverged)
            self.status_label.setText(f"<b style='color:#E53935'>{text}</b>")
            self.status_label.setToolTip(text)
        else:
            self.status_label.setText(self._message)
            self.status_label.setToolTip(self._message)

    def _refresh_legends(self, race: bool) -> None:
        """Name the loss and accuracy curves (only when the runs or their labels changed)."""
        labels = [r.label for r in self.runs] if race else ["train", "test"]
        if labels == self._legend_labels:
            return
        self._legend_labels = labels
        n = len(self.runs)
        for plot, curves, test, extra in (
            (self.loss_plot, self.loss_curves, self.test_loss_curve, self.min_loss_curve),
            (self.acc_plot, self.acc_curves, self.test_acc_curve, None),
        ):
            legend = plot.getPlotItem().legend
            legend.clear()
            shown = curves[:n] if race else [curves[0], test]
            for curve, label in zip(shown, labels, strict=True):
                legend.addItem(curve, f"{label} (test)" if race and extra is None else label)
            if extra is not None:
                legend.addItem(extra, "least-squares minimum")

    def _draw_kernel(self, theta: np.ndarray) -> None:
        s = self.state
        w = theta[: s.taps]
        self.kernel_stems.setData(np.arange(1, s.taps + 1), w)
        lim = nice_ceiling(max(float(np.abs(w).max()) * 1.15, 0.1))
        if lim != self._kernel_lim:
            self._kernel_lim = lim
            self.kernel_plot.getPlotItem().setYRange(-lim, lim, padding=0)
        lines = [f"w = ({format_array(w, 2)})"] if s.taps <= 3 else []  # wider: stems only
        if s.bias:
            lines.append(f"b = {theta[-1]:.3g}")
        text = "\n".join(lines)
        self.kernel_text.setText(text)
        self.kernel_text.setPos(0.5, self._kernel_lim)

    def _draw_predictions(self, theta: np.ndarray) -> None:
        _, (x_test, y_test) = self.data
        p = cc.predict(x_test, theta, self.state.bias)
        index = np.arange(p.size)
        for label, points in enumerate(self.pred_points):
            mask = y_test == label
            points.setData(index[mask], p[mask])
        self.label_points.setData(index, y_test)
        lo = -nice_ceiling(max(-float(p.min()) * 1.1, 0.5))
        hi = 1 + nice_ceiling(max(float(p.max()) * 1.1 - 1, 0.5))
        if (lo, hi) != self._pred_range:
            self._pred_range = (lo, hi)
            self.pred_plot.getPlotItem().setYRange(lo, hi, padding=0)
        correct = int(np.sum((p > 0.5) == (y_test > 0.5)))
        self.pred_text.setText(f"{correct}/{p.size} right")
        self.pred_text.setPos(-1, hi)

    def _draw_gradient(self, theta: np.ndarray) -> None:
        (x, y), _ = self.data
        check = cc.check_gradient(x, y, theta, self.state.bias)
        rows = "".join(
            f"<tr><td>∂L/∂{n}</td><td align='right'>{a:+.5g}</td>"
            f"<td align='right'>{d:+.5g}</td></tr>"
            for n, a, d in zip(self.state.names, check.analytic, check.numeric, strict=True))
        difference = float(np.linalg.norm(check.analytic - check.numeric))
        if check.relative_error < 1e-5:
            verdict = "✓ they agree"
        elif difference < 100 * check.resolution:
            verdict = "✓ equal within rounding noise (the gradient is nearly 0)"
        else:
            verdict = "✗ they disagree"
        self.gradient_label.setText(
            "<table cellspacing='4'><tr><th></th><th>chain rule</th><th>finite diff.</th></tr>"
            f"{rows}</table>relative error {check.relative_error:.1e}: {verdict}")
        self.gradient_check = check

    def _draw_landscape(self, theta: np.ndarray) -> None:
        s = self.state
        two_d = s.n_params >= 2
        for item in (self.land_image, self.contours, self.current_points, self.start_marker,
                     self.optimum_marker, self.grad_line, self.grad_arrow, *self.path_curves):
            item.setVisible(two_d)
        self.colorbar.setVisible(two_d)
        if not two_d:
            self.land_message.setText("One parameter only:\nadd a tap or the bias\n"
                                      "to see a landscape")
            (u0, u1), (v0, v1) = self.land_vb.viewRange()
            self.land_message.setPos((u0 + u1) / 2, (v0 + v1) / 2)
            self.land_message.show()
            return
        self.land_message.hide()
        a, b = s.slice_axes
        if self._landscape_dirty or s.n_params > 2:
            self._draw_surface(theta)
        for i, curve in enumerate(self.path_curves):
            if i < len(self.runs):
                ph = self.runs[i].trainer.history.params
                if len(ph) > PATH_POINTS:  # thin out evenly, keeping the current point
                    ph = ph[np.linspace(0, len(ph) - 1, PATH_POINTS).round().astype(int)]
                curve.setData(ph[:, a], ph[:, b])
                curve.show()
            else:
                curve.setData([], [])
                curve.hide()
        currents = [r.trainer.params for r in self.runs]
        self.current_points.setData(
            [p[a] for p in currents], [p[b] for p in currents],
            brush=[pg.mkBrush(series_color(r.color_index)) for r in self.runs])
        start = self.trainer.initial_params
        self.start_marker.setData([start[a]], [start[b]])
        self.optimum_marker.setData([self.optimum[a]], [self.optimum[b]])
        # −∇L: the direction of steepest descent, drawn with a fixed on-screen length
        grad = self.trainer.gradient()
        direction = -np.array([grad[a], grad[b]])
        norm = float(np.hypot(*direction))
        (u0, u1), _ = self.land_vb.viewRange()
        if norm > 0 and np.isfinite(norm):
            tip = np.array([theta[a], theta[b]]) + direction / norm * 0.15 * (u1 - u0)
            self.grad_line.setData([theta[a], tip[0]], [theta[b], tip[1]])
            self.grad_arrow.setPos(*tip)
            self.grad_arrow.setStyle(angle=180 - math.degrees(math.atan2(direction[1],
                                                                         direction[0])))
            self.grad_arrow.show()
            self.grad_line.show()
        else:
            self.grad_line.hide()
            self.grad_arrow.hide()

    def _draw_surface(self, theta: np.ndarray) -> None:
        """The exact loss over the visible part of the plane, coloured in log scale."""
        a, b = self.state.slice_axes
        (u0, u1), (v0, v1) = self.land_vb.viewRange()
        u = np.linspace(u0, u1, GRID)
        v = np.linspace(v0, v1, GRID)
        z = self.trainer.quadratic.surface(theta, u, v, (a, b))
        with np.errstate(all="ignore"):  # far from the optimum (a diverged run) z may overflow
            image = np.log10(np.maximum(z - self.min_loss, 0.0) + LOG_FLOOR).T  # rows = v
        image = np.nan_to_num(image, nan=308.0, posinf=308.0)
        lo, hi = float(image.min()), float(image.max())
        if not hi > lo:
            hi = lo + 1.0
        self.land_image.setImage(image, autoLevels=False)
        self.land_image.setRect(QRectF(u0, v0, u1 - u0, v1 - v0))
        self.colorbar.setLevels((lo, hi))
        q = self.trainer.quadratic
        grad = q.gradient(theta)
        x, y, connect = quadratic_contours(
            q.hessian[np.ix_((a, b), (a, b))], grad[[a, b]], q(theta), theta[[a, b]],
            self.min_loss + CONTOUR_STEPS)
        self.contours.setData(x, y, connect=connect)
        self._landscape_dirty = False
        self.surface = (u, v, z)

    # ================================================================== LabPanel API
    def get_state(self) -> dict[str, Any]:
        # a diverged run is saved as the step it blew up at, so a replay stops there too
        self.state.step = int(max(run.trainer.diverged_at or run.trainer.step_count
                                  for run in self.runs))
        return self.state.to_dict()

    def set_state(self, state: dict[str, Any]) -> None:
        new = GradientLabState.from_dict(state)  # raises ValueError before touching anything
        self.set_running(False)
        self.state = new
        self._sync_widgets()
        self._rebuild("Settings loaded: training restarted at step 0")
        if new.step:
            self._advance(new.step)
            if not any(run.trainer.diverged for run in self.runs):
                self._set_message(f"Settings loaded: training replayed to step {new.step}")
        self._schedule_redraw()

    def shutdown(self) -> None:
        self.running = False
        super().shutdown()

    def self_test(self) -> None:
        saved = self.get_state()
        try:
            self.set_state(GradientLabState().to_dict())
            reference = cc.Trainer(self.state.dataset(), seed=self.state.data_seed)
            for _ in range(25):
                self.step_once()
            reference.step(25)
            assert np.allclose(self.trainer.params, reference.params, rtol=0, atol=1e-12), (
                "Step does not match the core Trainer")
            (x, y), _ = self.data
            lstsq = cc.least_squares_optimum(x, y)
            self.redraw()
            marker = np.array([p[0] for p in self.optimum_marker.getData()])
            assert np.allclose(marker, lstsq, atol=1e-12), "optimum marker is not least squares"
            assert self.gradient_check.relative_error < 1e-6, "gradient check failed"
            self.lr_edit.setValue([5.0, 5.0])
            self._on_rates_edited(np.array([5.0, 5.0]))
            for _ in range(200):
                self.step_once()
            assert self.trainer.diverged, "a learning rate of 5 should diverge"
            self.redraw()
            assert np.all(np.isfinite(self.loss_curves[0].getOriginalDataset()[1]))
        finally:
            self.set_state(saved)
