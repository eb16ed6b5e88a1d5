"""The Gradient Descent lab's parts on their own: widget ↔ model wiring, the run controller,
and the size of every GUI object (no mixins, a few dozen attributes at most)."""

from __future__ import annotations

import numpy as np
import pytest

import convlab.core as cc
from convlab.gui.base import LabPanel
from convlab.labs.gradient.controls import AxesBox, DataBox, ModelBox, RaceBox
from convlab.labs.gradient.model import GradientLabState, RacerSpec
from convlab.labs.gradient.panel import GradientPanel
from convlab.labs.gradient.runs import RunController
from convlab.labs.gradient.toolbar import StatusLine, Toolbar

MAX_ATTRIBUTES = 30


@pytest.fixture
def model():
    return GradientLabState()


@pytest.fixture
def controller(qtbot, model):
    c = RunController(model)
    c.rebuild("")
    yield c
    c.shutdown()


@pytest.fixture
def messages(controller):
    """What the controller says from now on (what the status line would show)."""
    said: list[str] = []
    controller.message.connect(said.append)
    return said


def counting(signal) -> list[int]:
    calls: list[int] = []
    signal.connect(lambda *args: calls.append(1))
    return calls


# -- structure -------------------------------------------------------------------------------
def test_the_panel_is_composed_not_mixed(qtbot):
    assert GradientPanel.__bases__ == (LabPanel,)
    panel = GradientPanel()
    qtbot.addWidget(panel)
    try:
        parts = {"panel": panel, "controller": panel.controller, "data": panel.data_box,
                 "model": panel.model_box, "gradient": panel.gradient_box,
                 "race": panel.race_box, "axes": panel.axes_box, "column": panel.column,
                 "toolbar": panel.toolbar, "status": panel.status,
                 "landscape": panel.landscape, "curves": panel.curves,
                 "samples": panel.samples}
        sizes = {name: len(vars(part)) for name, part in parts.items()}
        assert max(sizes.values()) <= MAX_ATTRIBUTES, sizes
        assert sizes["landscape"] > 10  # vars() does see the parts' own attributes
    finally:
        panel.shutdown()


# -- settings boxes: widget → model, model → widget ------------------------------------------
@pytest.mark.parametrize(
    ("box_type", "widget", "field", "value"),
    [(DataBox, "samples_spin", "n_samples", 30), (DataBox, "length_spin", "length", 8),
     (DataBox, "noise_spin", "noise", 1.25), (DataBox, "test_spin", "test_fraction", 0.3),
     (DataBox, "seed_spin", "data_seed", 7), (ModelBox, "momentum_spin", "momentum", 0.5),
     (ModelBox, "beta1_spin", "beta1", 0.8), (ModelBox, "beta2_spin", "beta2", 0.99),
     (ModelBox, "batch_spin", "batch_size", 16)],
)
def test_a_spin_box_edits_its_field_and_shows_the_model(qtbot, model, box_type, widget, field,
                                                        value):
    box = box_type(model)
    qtbot.addWidget(box)
    spin = getattr(box, widget)
    spin.setValue(value)
    assert getattr(model, field) == value
    edits = counting(spin.valueChanged)
    default = getattr(GradientLabState(), field)
    setattr(model, field, default)
    assert spin.value() == default and edits == []  # shown without echoing an edit


def test_model_box_checks_combos_and_array_edits(qtbot, model):
    box = ModelBox(model)
    qtbot.addWidget(box)
    box.optimizer_combo.setCurrentIndex(box.optimizer_combo.findData("adam"))
    assert model.optimizer == "adam"
    assert box.beta1_spin.isVisibleTo(box) and not box.momentum_spin.isVisibleTo(box)
    model.optimizer = "momentum"
    assert box.optimizer_combo.currentData() == "momentum"
    assert box.momentum_spin.isVisibleTo(box) and not box.beta2_spin.isVisibleTo(box)
    box.lr_edit.setText("0.5, 0.25")
    box.lr_edit.textEdited.emit("0.5, 0.25")
    assert model.learning_rates == (0.5, 0.25)
    model.start = (1.0, -1.0)
    assert box.start_edit.text() == "1, -1"
    # the model's checks are the edit's checks: three numbers for two parameters is an error
    box.start_edit.textEdited.emit("1, 2, 3")
    assert "start must list 2 numbers" in box.start_edit.error and model.start == (1.0, -1.0)
    box.bias_check.setChecked(True)
    assert model.bias and model.start == (1.0, -1.0, 0.0)
    assert box.start_edit.text() == "1, -1, 0" and box.lr_edit.text() == "0.5, 0.25, 0.01"
    model.set_structure("length", 3)
    assert box.taps_spin.maximum() == 3
    model.race = True
    assert not box.lr_edit.isEnabled() and not box.optimizer_combo.isEnabled()


def test_a_refused_edit_is_put_back_and_explained(qtbot, model):
    box = DataBox(model)
    qtbot.addWidget(box)
    messages: list[str] = []
    box.message.connect(messages.append)
    box.test_spin.setValue(0.1)
    box.samples_spin.setValue(2)  # 4 signals: no test set
    assert model.n_samples == 50 and box.samples_spin.value() == 50
    assert len(messages) == 1 and messages[0].startswith("Not changed: a test fraction")


def test_race_box_rows_edit_the_contenders(qtbot, model):
    box = RaceBox(model)
    qtbot.addWidget(box)
    enabled, combo, rate = box.racer_rows[2]
    assert not combo.isEnabled()
    box.race_check.setChecked(True)
    assert model.race and combo.isEnabled() and enabled.isEnabled()
    combo.setCurrentIndex(combo.findData("adam"))
    rate.setValue(0.3)
    enabled.setChecked(False)
    assert model.racers[2] == RacerSpec(False, "adam", 0.3)
    racers = list(model.racers)
    racers[0] = RacerSpec(True, "nesterov", 0.07)
    model.racers = racers
    first = box.racer_rows[0]
    assert (first[0].isChecked(), first[1].currentData(), first[2].value()) == (
        True, "nesterov", 0.07)


def test_axes_box_follows_the_parameters_and_swaps(qtbot, model):
    box = AxesBox(model)
    qtbot.addWidget(box)
    horizontal, vertical = box.axis_combos
    assert horizontal.count() == 2 and not horizontal.isEnabled()
    model.set_structure("bias", True)
    assert [vertical.itemText(i) for i in range(3)] == ["w1", "w2", "b"]
    assert horizontal.isEnabled()
    vertical.setCurrentIndex(2)
    assert model.slice_axes == (0, 2)
    vertical.setCurrentIndex(0)  # already horizontal: the two swap
    assert model.slice_axes == (2, 0) and horizontal.currentIndex() == 2
    model.slice_axes = (1, 2)
    assert (horizontal.currentIndex(), vertical.currentIndex()) == (1, 2)
    fits = counting(box.fit_requested)
    box.fit_button.click()
    assert fits == [1]


def test_toolbar_binds_speed_and_log_axes(qtbot, model, controller):
    bar = Toolbar(model, controller)
    qtbot.addWidget(bar)
    bar.speed_combo.setCurrentIndex(bar.speed_combo.findData(100))
    bar.log_check.setChecked(False)
    bar.log_steps_check.setChecked(True)
    assert (model.steps_per_frame, model.log_loss, model.log_steps) == (100, False, True)
    model.update({"steps_per_frame": 0, "log_loss": True})
    assert bar.speed_combo.currentData() == 0 and bar.log_check.isChecked()
    bar.step_button.click()
    controller.flush()
    assert bar.step_label.text() == "step 1"
    bar.run_button.click()
    assert controller.running and bar.run_button.text() == "Pause"
    controller.set_running(False)  # paused elsewhere (a divergence, Space …)
    assert not bar.run_button.isChecked() and bar.step_button.isEnabled()


def test_status_line_shows_messages_or_the_divergence(qtbot, model, controller):
    line = StatusLine(controller)
    qtbot.addWidget(line)
    line.show_message("hello")
    assert line.text() == "hello" and line.message() == "hello"
    model.learning_rates = (5.0, 5.0)
    for _ in range(200):
        controller.step_once()
    assert controller.diverged_runs() and "diverged at step" in line.text()
    assert line.message() == "hello"  # kept for when the run recovers


# -- the run controller ------------------------------------------------------------------------
def test_controller_steps_like_the_core_and_draws_once_a_frame(qtbot, model, controller):
    drawn = counting(controller.stepped)
    for _ in range(10):
        controller.step_once()
    ref = cc.Trainer(model.dataset(), seed=0)
    ref.step(10)
    np.testing.assert_array_equal(controller.weights(), ref.params)
    assert drawn == []
    qtbot.waitUntil(lambda: drawn == [1], timeout=2000)
    assert controller.saved_step() == 10


def test_running_belongs_to_the_controller(controller):
    with pytest.raises(AttributeError):
        controller.running = True
    changes = counting(controller.state_changed)
    controller.set_running(True)
    assert controller.running and changes == [1]
    controller.set_running(False)
    assert not controller.running and changes == [1, 1]


def test_a_structure_change_rebuilds_once(model, controller, messages):
    rebuilt = counting(controller.runs_rebuilt)
    model.set_structure("taps", 3)  # taps, start and learning rates change together
    assert rebuilt == [1] and controller.trainer.n_params == 3
    assert messages[-1] == (
        "Number of taps changed: new model/data, training restarted at step 0")
    np.testing.assert_array_equal(controller.trainer.initial_params, [0.5, 0.5, 0.5])


def test_training_settings_apply_from_the_next_step(model, controller, messages):
    controller.step_once()
    model.learning_rates = (0.05, 0.02)
    model.optimizer = "momentum"
    model.momentum = 0.5
    model.batch_size = 8
    t = controller.trainer
    assert t.step_count == 1 and t.optimizer.name == "momentum"
    np.testing.assert_array_equal(t.learning_rates, [0.05, 0.02])
    assert t.optimizer.options == {"momentum": 0.5} and t.batch_size == 8
    assert messages[-4:] == [
        "Learning rates (0.05, 0.02) apply from the next step", "Momentum from step 2 on",
        "Optimizer settings apply from the next step", "Batch size 8 from the next step"]
    assert controller.runs[0].label == "Momentum"


def test_load_replays_quietly_and_reports_once(model, controller, messages):
    controller.step_once()
    state = GradientLabState.from_dict({**GradientLabState().to_dict(), "taps": 3, "bias": True,
                                        "start": [0.1, 0.2, 0.3, 0.4],
                                        "learning_rates": [0.02] * 4, "step": 12})
    controller.load(state)
    assert messages == ["Settings loaded: training restarted at step 0",
                                   "Settings loaded: training replayed to step 12"]
    ref = cc.Trainer(state.dataset(), taps=3, bias=True, initial_params=state.start,
                     learning_rates=state.learning_rates, seed=0)
    ref.step(12)
    np.testing.assert_array_equal(controller.weights(), ref.params)
    assert model.to_dict() == state.to_dict()


def test_restart_from_validates_first(model, controller, messages):
    controller.step_once()
    with pytest.raises(ValueError, match="start must list 2 numbers"):
        controller.restart_from([1.0, 2.0, 3.0])
    assert controller.trainer.step_count == 1
    revision = controller.revision
    controller.restart_from([1.0, 2.0])
    assert model.start == (1.0, 2.0) and controller.trainer.step_count == 0
    assert controller.revision == revision + 1
    assert messages[-1] == "Restarted from (1, 2)"
