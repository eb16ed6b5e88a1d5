"""The Gradient Descent lab's settings column: one group box per part of the model.

Each box owns its widgets and binds them to the lab's
:class:`~convlab.labs.gradient.model.GradientLabState`: an edit sets a model
field, and a small ``_on_<field>_changed(new, old)`` slot shows a model change
in the one widget concerned. An edit the model refuses (say, too few signals
for a test set) puts the widget back and is reported through ``message``.

* :class:`DataBox` — the data set (samples, length, noise, test fraction, seed);
* :class:`ModelBox` — taps, bias, start, learning rates, optimizer, batch size;
* :class:`RaceBox` — the race and its contenders;
* :class:`AxesBox` — which two parameters the landscape shows;
* :class:`ControlColumn` — the scrolling column holding the boxes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from functools import partial
from typing import Any

from PyQt6.QtCore import QSignalBlocker, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QButtonGroup,
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
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from convlab.gui.widgets import ArrayEdit

from .model import (
    GRADIENT_LABELS,
    MAX_BATCH,
    MAX_LENGTH,
    MAX_NOISE,
    MAX_RATE,
    MAX_SAMPLES,
    MAX_SLOPE,
    OPTIMIZER_LABELS,
    GradientLabState,
    RacerSpec,
)

__all__ = ["AxesBox", "ControlColumn", "DataBox", "ModelBox", "RaceBox", "show_value"]


def _spin(lo: int, hi: int, value: int, tip: str, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setToolTip(tip)
    if special:
        box.setSpecialValueText(special)
    box.setKeyboardTracking(False)
    return box


def _dspin(lo: float, hi: float, value: float, step: float, decimals: int,
           tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


def _optimizer_combo(tip: str, value: str) -> QComboBox:
    combo = QComboBox()
    for name, label in OPTIMIZER_LABELS.items():
        combo.addItem(label, name)
    combo.setCurrentIndex(combo.findData(value))
    combo.setToolTip(tip)
    return combo


def name_rows(form: QFormLayout) -> None:
    """Give every field of ``form`` its row's label as accessible name (a screen reader
    then announces "Noise ±", not an unnamed spin box); a pair of boxes gets "… from",
    "… to"; a button keeps its own text."""
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if field is None:
            continue
        text = label.widget().text() if label is not None and label.widget() else ""
        widgets = ([field.widget()] if field.widget() is not None else
                   [field.layout().itemAt(i).widget() for i in range(field.layout().count())])
        fields = [w for w in widgets if w is not None and not isinstance(w, QLabel)]
        spins = [w for w in fields if isinstance(w, QDoubleSpinBox)]
        for widget in fields:
            if widget.accessibleName():
                continue
            if isinstance(widget, (QPushButton, QCheckBox, QRadioButton)):
                name = f"{text}: {widget.text()}" if text else widget.text()
            elif len(spins) == 2 and widget in spins:
                name = f"{text} {'from' if widget is spins[0] else 'to'}"
            else:
                name = text
            widget.setAccessibleName(name)


def show_value(widget: QWidget, value: Any) -> None:
    """Show a model value in ``widget`` without emitting its change signal."""
    with QSignalBlocker(widget):
        if isinstance(widget, QCheckBox):
            widget.setChecked(value)
        elif isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        else:  # spin boxes, ArrayEdit
            widget.setValue(value)


class _SettingsBox(QGroupBox):
    """A group box bound to the model: edits set fields, refusals are reported."""

    #: "Not changed: …" when the model refuses an edit.
    message = pyqtSignal(str)

    def __init__(self, title: str, model: GradientLabState) -> None:
        super().__init__(title)
        self._model = model

    def _edit(self, name: str, value: Any) -> None:
        """The user changed ``name``: store it, or put the widget back and say why not."""
        try:
            setattr(self._model, name, value)
        except ValueError as exc:
            self._refused(name, exc)

    def _edit_structure(self, name: str, value: Any) -> None:
        """A data or model-shape field: the start and rates follow (training restarts)."""
        try:
            self._model.set_structure(name, value)
        except ValueError as exc:
            self._refused(name, exc)

    def _refused(self, name: str, exc: ValueError) -> None:
        current = getattr(self._model, name)
        getattr(self, f"_on_{name}_changed")(current, current)
        self.message.emit(f"Not changed: {exc}")

    def _connect(self, names: Iterable[str]) -> None:
        """Connect ``model.events.<name>`` to ``self._on_<name>_changed`` for each name."""
        for name in names:
            getattr(self._model.events, name).connect(getattr(self, f"_on_{name}_changed"))


class DataBox(_SettingsBox):
    """The data set: signals per class, length, noise, test fraction and seed."""

    def __init__(self, model: GradientLabState) -> None:
        super().__init__("Data: rising (0) vs falling (1) lines", model)
        s = model
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
        self.slope_spins = (
            _dspin(0.01, MAX_SLOPE, s.slope_range[0], 0.1, 2,
                   "Smallest slope |a|: rising lines have a ∈ [lo, hi), falling ones "
                   "a ∈ [−hi, −lo)"),
            _dspin(0.02, MAX_SLOPE, s.slope_range[1], 0.1, 2, "Largest slope |a| (excluded)"))
        self.intercept_spins = (
            _dspin(-MAX_SLOPE, MAX_SLOPE, s.intercept_range[0], 0.1, 2,
                   "Smallest intercept: every line starts at b ∈ [lo, hi)"),
            _dspin(-MAX_SLOPE, MAX_SLOPE, s.intercept_range[1], 0.1, 2,
                   "Largest intercept b (excluded)"))
        self.new_seed_button = QPushButton("New seed")
        self.new_seed_button.setToolTip("Draw a new data set (a random seed)")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.new_seed_button)
        form = QFormLayout(self)
        form.addRow("Samples / class", self.samples_spin)
        form.addRow("Length", self.length_spin)
        form.addRow("Noise ±", self.noise_spin)
        form.addRow("Test fraction", self.test_spin)
        for label, spins in (("Slopes |a|", self.slope_spins),
                             ("Intercepts b", self.intercept_spins)):
            row = QHBoxLayout()
            row.addWidget(spins[0], 1)
            row.addWidget(QLabel("to"))
            row.addWidget(spins[1], 1)
            form.addRow(label, row)
        form.addRow("Seed", seed_row)
        name_rows(form)

        for widget, name in ((self.samples_spin, "n_samples"), (self.length_spin, "length"),
                             (self.noise_spin, "noise"), (self.test_spin, "test_fraction"),
                             (self.seed_spin, "data_seed")):
            widget.valueChanged.connect(partial(self._edit_structure, name))
        for name, spins in (("slope_range", self.slope_spins),
                            ("intercept_range", self.intercept_spins)):
            for spin in spins:
                spin.valueChanged.connect(partial(self._edit_range, name, spins))
        self.new_seed_button.clicked.connect(self.new_seed)
        self._connect(("n_samples", "length", "noise", "test_fraction", "data_seed",
                       "slope_range", "intercept_range"))

    def _edit_range(self, name: str, spins: tuple[QDoubleSpinBox, QDoubleSpinBox],
                    _value: float) -> None:
        self._edit_structure(name, (spins[0].value(), spins[1].value()))

    def new_seed(self) -> None:
        """A new random data set."""
        self.seed_spin.setValue(random.randrange(1, 1_000_000))

    def _on_n_samples_changed(self, new: int, _old: int) -> None:
        show_value(self.samples_spin, new)

    def _on_length_changed(self, new: int, _old: int) -> None:
        show_value(self.length_spin, new)

    def _on_noise_changed(self, new: float, _old: float) -> None:
        show_value(self.noise_spin, new)

    def _on_test_fraction_changed(self, new: float, _old: float) -> None:
        show_value(self.test_spin, new)

    def _on_data_seed_changed(self, new: int, _old: int) -> None:
        show_value(self.seed_spin, new)

    def _on_slope_range_changed(self, new: tuple, _old: tuple) -> None:
        for spin, value in zip(self.slope_spins, new, strict=True):
            show_value(spin, value)

    def _on_intercept_range_changed(self, new: tuple, _old: tuple) -> None:
        for spin, value in zip(self.intercept_spins, new, strict=True):
            show_value(spin, value)


class ModelBox(_SettingsBox):
    """The model and its optimizer: taps, bias, start, learning rates, optimizer, batch size.

    The momentum and Adam rows show only when an optimizer in use needs them.
    """

    def __init__(self, model: GradientLabState) -> None:
        super().__init__("Model and optimizer", model)
        s = model
        self.taps_spin = _spin(1, s.length, s.taps, "Kernel size k (the notebook uses 2)")
        self.bias_check = QCheckBox("Bias b")
        self.bias_check.setChecked(s.bias)
        self.bias_check.setToolTip(
            "Add a trainable bias to the prediction. Without it (the notebook) the model "
            "plateaus in a flat valley; with it the kernel becomes a difference filter."
        )
        self.start_edit = ArrayEdit(
            s.start, partial(model.check, "start"),
            "Starting weights w1, w2, … (then b): Reset returns here. Click the landscape "
            "to pick a start with the mouse.",
        )
        self.lr_edit = ArrayEdit(
            s.learning_rates, partial(model.check, "learning_rates"),
            "One learning rate per parameter (the notebook's alphas); applies from the next step",
        )
        self.optimizer_combo = _optimizer_combo(
            "SGD: θ ← θ − α·g · Momentum: v ← μv + g, θ ← θ − α·v · "
            "Nesterov: θ ← θ − α·(g + μv) · Adam: steps by α·m̂/(√ŝ + ε). "
            "Switching applies from the next step (the optimizer's memory starts at zero).",
            s.optimizer,
        )
        self.momentum_spin = _dspin(0, 0.999, s.momentum, 0.05, 3, "Momentum μ")
        self.beta1_spin = _dspin(0, 0.999, s.beta1, 0.01, 3, "Adam β₁ (mean of gradients)")
        self.beta2_spin = _dspin(0, 0.99999, s.beta2, 0.001, 5,
                                 "Adam β₂ (mean of squared gradients)")
        self.batch_spin = _spin(0, MAX_BATCH, s.batch_size,
                                "Signals per step: full batch uses all training signals; "
                                "mini-batches walk through a shuffled epoch", "full batch")
        # radio buttons, not a combo: the three formulas side by side are the lesson
        self.gradient_buttons = QButtonGroup(self)
        gradient_column = QVBoxLayout()
        gradient_column.setSpacing(2)
        for i, (name, label) in enumerate(GRADIENT_LABELS.items()):
            button = QRadioButton(label)
            button.setProperty("formula", name)
            button.setChecked(name == s.gradient)
            button.setToolTip(
                "The formula each step follows. The notebook's lambdas, read as written — "
                "(t.X[0][:-1]).mean(), (t.X[0][1:]).mean() — drop the chain rule (no (p − y) "
                "factor) and average signals (rows) instead of window positions (columns): a "
                "constant, so the weights walk off in a straight line. 'No chain rule, "
                "columns fixed' keeps only the first mistake. Applies from the next step.")
            self.gradient_buttons.addButton(button, i)
            gradient_column.addWidget(button)
        self._form = form = QFormLayout(self)
        form.addRow("Taps", self.taps_spin)
        form.addRow("", self.bias_check)
        form.addRow("Start", self.start_edit)
        form.addRow("Learning rates", self.lr_edit)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Momentum μ", self.momentum_spin)
        form.addRow("Adam β₁", self.beta1_spin)
        form.addRow("Adam β₂", self.beta2_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Gradient", gradient_column)
        name_rows(form)
        self._on_race_changed(s.race, s.race)

        self.taps_spin.valueChanged.connect(partial(self._edit_structure, "taps"))
        self.bias_check.toggled.connect(partial(self._edit_structure, "bias"))
        self.start_edit.valueChanged.connect(lambda v: self._edit("start", v))
        self.lr_edit.valueChanged.connect(lambda v: self._edit("learning_rates", v))
        self.optimizer_combo.currentIndexChanged.connect(
            lambda _i: self._edit("optimizer", self.optimizer_combo.currentData()))
        for widget, name in ((self.momentum_spin, "momentum"), (self.beta1_spin, "beta1"),
                             (self.beta2_spin, "beta2"), (self.batch_spin, "batch_size")):
            widget.valueChanged.connect(partial(self._edit, name))
        self.gradient_buttons.idToggled.connect(
            lambda i, on: on and self._edit("gradient", list(GRADIENT_LABELS)[i]))
        self._connect(("length", "taps", "bias", "start", "learning_rates", "optimizer",
                       "momentum", "beta1", "beta2", "batch_size", "gradient", "race",
                       "racers"))

    def _on_length_changed(self, new: int, _old: int) -> None:
        with QSignalBlocker(self.taps_spin):
            self.taps_spin.setMaximum(new)

    def _on_taps_changed(self, new: int, _old: int) -> None:
        show_value(self.taps_spin, new)

    def _on_bias_changed(self, new: bool, _old: bool) -> None:
        show_value(self.bias_check, new)

    def _on_start_changed(self, new: tuple, _old: tuple) -> None:
        self.start_edit.setValue(new)

    def _on_learning_rates_changed(self, new: tuple, _old: tuple) -> None:
        self.lr_edit.setValue(new)

    def _on_optimizer_changed(self, new: str, _old: str) -> None:
        show_value(self.optimizer_combo, new)
        self._show_option_rows()

    def _on_momentum_changed(self, new: float, _old: float) -> None:
        show_value(self.momentum_spin, new)

    def _on_beta1_changed(self, new: float, _old: float) -> None:
        show_value(self.beta1_spin, new)

    def _on_beta2_changed(self, new: float, _old: float) -> None:
        show_value(self.beta2_spin, new)

    def _on_batch_size_changed(self, new: int, _old: int) -> None:
        show_value(self.batch_spin, new)

    def _on_gradient_changed(self, new: str, _old: str) -> None:
        button = self.gradient_buttons.button(list(GRADIENT_LABELS).index(new))
        with QSignalBlocker(self.gradient_buttons):
            button.setChecked(True)

    def _on_race_changed(self, new: bool, _old: bool) -> None:
        """In a race each contender has its own optimizer and rate."""
        self.lr_edit.setEnabled(not new)
        self.optimizer_combo.setEnabled(not new)
        self._show_option_rows()

    def _on_racers_changed(self, _new: tuple, _old: tuple) -> None:
        self._show_option_rows()

    def _show_option_rows(self) -> None:
        """Momentum μ and Adam's β rows only when an optimizer in use takes them."""
        s = self._model
        uses = {r.optimizer for r in s.racers if r.enabled} if s.race else {s.optimizer}
        for widget, needed in ((self.momentum_spin, {"momentum", "nesterov"}),
                               (self.beta1_spin, {"adam"}), (self.beta2_spin, {"adam"})):
            self._form.setRowVisible(widget, bool(uses & needed))


class RaceBox(_SettingsBox):
    """The race: on/off and a row per contender (taking part, optimizer, learning rate)."""

    def __init__(self, model: GradientLabState) -> None:
        super().__init__("Race", model)
        self.race_check = QCheckBox("Race these from the same start")
        self.race_check.setChecked(model.race)
        self.race_check.setToolTip(
            "Train several optimizers / learning rates side by side on the same data and "
            "landscape; each has its own colour in the loss plot and on the landscape."
        )
        grid = QGridLayout(self)
        grid.addWidget(self.race_check, 0, 0, 1, 3)
        #: One row per contender: (taking part, optimizer, learning rate).
        self.racer_rows: list[tuple[QCheckBox, QComboBox, QDoubleSpinBox]] = []
        for i, racer in enumerate(model.racers):
            enabled = QCheckBox()
            enabled.setToolTip("Take part in the race")
            combo = _optimizer_combo("Optimizer of this contender (μ, β₁, β₂ from above)",
                                     racer.optimizer)
            rate = _dspin(0, MAX_RATE, racer.learning_rate, 0.005, 4,
                          "Learning rate of this contender (the same for every parameter)")
            for col, (widget, what) in enumerate(((enabled, "takes part"), (combo, "optimizer"),
                                                  (rate, "learning rate"))):
                grid.addWidget(widget, i + 1, col)
                widget.setAccessibleName(f"Contender {i + 1} {what}")
            self.racer_rows.append((enabled, combo, rate))
            enabled.toggled.connect(partial(self._edit_racer, i))
            combo.currentIndexChanged.connect(partial(self._edit_racer, i))
            rate.valueChanged.connect(partial(self._edit_racer, i))
        self._on_racers_changed(model.racers, model.racers)
        self._on_race_changed(model.race, model.race)

        self.race_check.toggled.connect(partial(self._edit, "race"))
        self._connect(("race", "racers"))

    def _edit_racer(self, index: int, _value: Any = None) -> None:
        enabled, combo, rate = self.racer_rows[index]
        racers = list(self._model.racers)
        racers[index] = RacerSpec(enabled.isChecked(), combo.currentData(), rate.value())
        self._edit("racers", racers)

    def _on_race_changed(self, new: bool, _old: bool) -> None:
        show_value(self.race_check, new)
        for _enabled, combo, rate in self.racer_rows:
            combo.setEnabled(new)
            rate.setEnabled(new)

    def _on_racers_changed(self, new: tuple, _old: tuple) -> None:
        for (enabled, combo, rate), racer in zip(self.racer_rows, new, strict=True):
            show_value(enabled, racer.enabled)
            show_value(combo, racer.optimizer)
            show_value(rate, racer.learning_rate)


class AxesBox(_SettingsBox):
    """Which two parameters the landscape shows, and the Fit view button."""

    #: The Fit view button was pressed.
    fit_requested = pyqtSignal()

    def __init__(self, model: GradientLabState) -> None:
        super().__init__("Landscape", model)
        self.axis_combos = (QComboBox(), QComboBox())
        for combo, which in zip(self.axis_combos, ("horizontal", "vertical"), strict=True):
            combo.setToolTip(
                f"Parameter on the landscape's {which} axis. With more than two parameters "
                "the landscape is a 2-D slice through the current point."
            )
        self.fit_button = QPushButton("Fit view")
        self.fit_button.setToolTip("Show the start, the optimum and the current point (F)")
        form = QFormLayout(self)
        form.addRow("Horizontal", self.axis_combos[0])
        form.addRow("Vertical", self.axis_combos[1])
        form.addRow("", self.fit_button)
        for combo, which in zip(self.axis_combos, ("horizontal", "vertical"), strict=True):
            combo.setAccessibleName(f"Landscape {which} axis")
        self._show_names()

        for which, combo in enumerate(self.axis_combos):
            combo.currentIndexChanged.connect(partial(self._edit_axis, which))
        self.fit_button.clicked.connect(self.fit_requested)
        self._connect(("taps", "bias", "slice_axes"))

    def _edit_axis(self, which: int, index: int) -> None:
        """A new parameter on one axis; the one already on the other axis swaps over."""
        if index < 0 or self._model.n_params < 2:
            return
        axes = list(self._model.slice_axes)
        if index == axes[1 - which]:
            axes[1 - which] = axes[which]
        axes[which] = index
        self._edit("slice_axes", axes)

    def _show_names(self) -> None:
        names = self._model.names
        for combo in self.axis_combos:
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItems(names)
                combo.setEnabled(len(names) > 2)
        self._on_slice_axes_changed(self._model.slice_axes, None)

    def _on_taps_changed(self, _new: int, _old: int) -> None:
        self._show_names()

    def _on_bias_changed(self, _new: bool, _old: bool) -> None:
        self._show_names()

    def _on_slice_axes_changed(self, new: tuple, _old: Any) -> None:
        last = self.axis_combos[0].count() - 1
        for combo, axis in zip(self.axis_combos, new, strict=True):
            with QSignalBlocker(combo):
                combo.setCurrentIndex(min(axis, last))


class ControlColumn(QScrollArea):
    """The settings boxes in a column that scrolls, as wide as its content."""

    def __init__(self, boxes: Iterable[QWidget]) -> None:
        super().__init__()
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 4, 0)
        for box in boxes:
            layout.addWidget(box)
        layout.addStretch(1)
        self.setWidget(column)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its controls take the focus, not it
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_width)
        self.fit_width()

    def restyle(self) -> None:
        """Fit the width again once a new font (presentation mode) has reached the widgets."""
        self._fit_timer.start()

    def fit_width(self) -> None:
        """As wide as the content (which grows in presentation mode) plus the scroll bar."""
        width = self.widget().sizeHint().width() + self.verticalScrollBar().sizeHint().width()
        self.setFixedWidth(width + 4)

