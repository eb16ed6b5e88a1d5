"""The Gradient Descent lab's controls: the settings column, the toolbar and the shortcuts.

:class:`GradientControls` is a mixin of :class:`~convlab.labs.gradient.panel.GradientPanel`:
it builds the widgets (as attributes of the panel, which tests and the
benchmarks drive directly), shows the panel's :class:`GradientLabState` in them
and validates what is typed. The widgets' signals go to the panel's ``_on_…``
handlers and actions (``step_once``, ``reset``, ``fit_view`` …).
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
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

from convlab.gui.widgets import ArrayEdit

from .model import (
    MAX_BATCH,
    MAX_LENGTH,
    MAX_NOISE,
    MAX_RATE,
    MAX_SAMPLES,
    OPTIMIZER_LABELS,
)

__all__ = ["SPEEDS", "GradientControls"]

SPEEDS = ((1, "1 step / frame"), (10, "10 steps / frame"), (100, "100 steps / frame"),
          (1000, "1 000 steps / frame"), (10_000, "10 000 steps / frame"),
          (0, "max (8 ms per frame)"))


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


def _optimizer_combo(tip: str) -> QComboBox:
    combo = QComboBox()
    for name, label in OPTIMIZER_LABELS.items():
        combo.addItem(label, name)
    combo.setToolTip(tip)
    return combo


class GradientControls:
    """Mixin: the panel's control widgets, model → widget sync and input checks.

    Reads the panel's ``state``; :meth:`_update_enabled` also switches the plots'
    log axes (``_apply_log_modes`` of :class:`~convlab.labs.gradient.curves.GradientCurves`).
    """

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
        self.optimizer_combo = _optimizer_combo(
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
            combo = _optimizer_combo("Optimizer of this contender (μ, β₁, β₂ from above)")
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
        self.log_check.toggled.connect(lambda on: self._on_log_toggled("log_loss", on))
        self.log_steps_check.toggled.connect(lambda on: self._on_log_toggled("log_steps", on))
        self.export_button.clicked.connect(self.export_csv)
        return bar

    def _build_shortcuts(self) -> None:
        self.add_shortcuts(((Qt.Key.Key_Space, self.run_button.toggle),
                            (Qt.Key.Key_Right, self.step_once),
                            (Qt.Key.Key_R, self.reset),
                            (Qt.Key.Key_F, self.fit_view)))

    def _fit_controls(self) -> None:
        """The control column as wide as its content (which grows in presentation mode)."""
        scroll = self._controls
        width = scroll.widget().sizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        scroll.setFixedWidth(width + 4)


    # -- model → widgets ----------------------------------------------------------------
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
        self._apply_log_modes()

    def _check_start(self, values: np.ndarray) -> None:
        if values.size != self.state.n_params:
            raise ValueError(f"give {self.state.n_params} numbers: {', '.join(self.state.names)}")
        if np.any(np.abs(values) > 1e6):
            raise ValueError("keep the start within ±1e6")

    def _check_rates(self, values: np.ndarray) -> None:
        self._check_start(values)
        if np.any(values < 0):
            raise ValueError("learning rates must be >= 0")
