"""The lab's control boxes: the network (presets and their lesson) and the training.

:class:`NetworkBox` chooses a preset and shows what to look for with it;
:class:`TrainingBox` holds the training settings (bound to the model), the
Train / Pause, Step and Reset buttons and the progress bar (bound to the
:class:`~.controller.TrainingController`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .controller import TrainingController
from .model import LESSONS, OPTIMIZERS, PRESETS, CNNState, layer_rows

__all__ = ["NetworkBox", "TrainingBox"]


def _button(text: str, tip: str, slot: Callable[[], Any]) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(lambda _checked=False: slot())
    return button


class NetworkBox(QGroupBox):
    """Preset combo, the preset's lesson (on screen), and the network in one line."""

    def __init__(self, model: CNNState, parent: QWidget | None = None) -> None:
        super().__init__("Network", parent)
        self._model = model
        self.preset_combo = QComboBox()
        for name, (title, *_rest) in PRESETS.items():
            self.preset_combo.addItem(title, name)
        self.preset_combo.addItem("Your own network (edited)", "custom")
        self.preset_combo.setToolTip("The lesson's networks (the full name shows when the list "
                                     "opens); change one in the Network editor tab")
        self.preset_combo.setAccessibleName("Network preset")
        self.preset_combo.setMinimumContentsLength(18)
        self.preset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lesson = QLabel()
        self.lesson.setWordWrap(True)
        self.lesson.setTextFormat(Qt.TextFormat.RichText)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preset_combo)
        layout.addWidget(self.summary)
        layout.addWidget(self.lesson)
        self.preset_combo.activated.connect(self._on_preset_chosen)
        model.events.network.connect(self._on_network_changed)
        self._on_network_changed(model.network, None)

    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name != "custom":
            self._model.use_preset(name)

    def _on_network_changed(self, new: dict[str, Any], _old: Any) -> None:
        preset = self._model.preset
        with QSignalBlocker(self.preset_combo):
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset))
        self.lesson.setText(LESSONS[preset])
        rows = layer_rows(new["blocks"], new["first_init"])
        total = sum(r.n_params for r in rows)
        frozen = rows[0].n_params if new["first_frozen"] else 0
        kernels = f"{rows[0].shape[0]} kernels {new['blocks'][0]['kernel_size']}×" \
                  f"{new['blocks'][0]['kernel_size']} first"
        self.summary.setText(f"{len(new['blocks'])} conv block(s), {kernels}; "
                             f"{total:,} parameters"
                             + (f" ({total - frozen:,} learn)" if frozen else ""))


class TrainingBox(QGroupBox):
    """Optimizer, learning rate, batch size, epochs, seed; Train/Pause, Step, Reset; progress."""

    def __init__(self, model: CNNState, controller: TrainingController,
                 parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self._model = model
        self._controller = controller
        self.optimizer = QComboBox()
        for name, title in OPTIMIZERS.items():
            self.optimizer.addItem(title, name)
        self.optimizer.setToolTip("How each batch's gradient changes the weights")
        self.learning_rate = _spin(QDoubleSpinBox(), 0.0001, 10.0, "Learning rate α: the step "
                                   "size (a new one acts from the next batch)", decimals=4)
        self.learning_rate.setSingleStep(0.01)
        self.momentum = _spin(QDoubleSpinBox(), 0.0, 0.999, "Momentum μ (SGD + momentum and "
                              "Nesterov)", decimals=3)
        self.momentum.setSingleStep(0.05)
        self.batch_size = _spin(QSpinBox(), 1, 1024, "Digits per step")
        self.epochs = _spin(QSpinBox(), 1, 100, "Train goes on to the end of this epoch")
        self.seed = _spin(QSpinBox(), 0, 2**31 - 1, "Seeds the starting weights and the "
                          "shuffling: the same seed gives the same run")
        form = QFormLayout()
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Momentum", self.momentum)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        self.train_button = _button("Train", "Train in the background (Ctrl+Shift+T); "
                                    "press again to pause", controller.toggle)
        self.step_button = _button("Step", "Train one batch (Ctrl+Shift+N)", controller.step)
        self.reset_button = _button("Reset", "Start again from the seeded start "
                                    "(Ctrl+Shift+R)", controller.reset)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.step_button, self.reset_button):
            buttons.addWidget(b)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_label)
        self._bind()
        controller.running_changed.connect(self._on_running_changed)
        controller.progress.connect(self._on_progress)

    def _bind(self) -> None:
        m = self._model
        self.optimizer.currentIndexChanged.connect(
            lambda i: self._set("optimizer", self.optimizer.itemData(i)))
        for name in ("learning_rate", "momentum", "batch_size", "epochs", "seed"):
            spin = getattr(self, name)
            spin.valueChanged.connect(lambda v, n=name: self._set(n, v))
        for name in ("optimizer", "learning_rate", "momentum", "batch_size", "epochs", "seed"):
            getattr(m.events, name).connect(getattr(self, f"_on_{name}_changed"))
            getattr(self, f"_on_{name}_changed")(getattr(m, name), None)

    def _set(self, name: str, value: Any) -> None:
        try:
            setattr(self._model, name, value)
        except ValueError as exc:  # the spin boxes' limits make this rare
            self.progress_label.setText(str(exc))

    # -- model → widgets ----------------------------------------------------------------------
    def _on_optimizer_changed(self, new: str, _old: Any) -> None:
        with QSignalBlocker(self.optimizer):
            self.optimizer.setCurrentIndex(self.optimizer.findData(new))
        self.momentum.setEnabled(new in ("momentum", "nesterov"))

    def _on_learning_rate_changed(self, new: float, _old: Any) -> None:
        _show(self.learning_rate, new)

    def _on_momentum_changed(self, new: float, _old: Any) -> None:
        _show(self.momentum, new)

    def _on_batch_size_changed(self, new: int, _old: Any) -> None:
        _show(self.batch_size, new)

    def _on_epochs_changed(self, new: int, _old: Any) -> None:
        _show(self.epochs, new)

    def _on_seed_changed(self, new: int, _old: Any) -> None:
        _show(self.seed, new)

    # -- controller → widgets -----------------------------------------------------------------
    def _on_running_changed(self, running: bool) -> None:
        self.train_button.setText("Pause" if running else "Train")
        self.step_button.setEnabled(not running)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress_bar.setValue(round(1000 * fraction))
        self.progress_label.setText(text)


def _spin(spin: QSpinBox | QDoubleSpinBox, low: float, high: float, tip: str,
          decimals: int | None = None) -> Any:
    if decimals is not None:
        spin.setDecimals(decimals)
    spin.setRange(low, high)
    spin.setToolTip(tip)
    spin.setKeyboardTracking(False)
    return spin


def _show(spin: QSpinBox | QDoubleSpinBox, value: float) -> None:
    with QSignalBlocker(spin):
        spin.setValue(value)
