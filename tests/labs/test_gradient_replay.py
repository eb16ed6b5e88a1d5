"""The Gradient lab remembers every change made mid-run: sessions and scripts replay it exactly.

Also: the gradient formula as a lesson (issue 15 §1), long replays in the background with
progress and cancel, and the step limit the live run never passes (issue 18 §1, §3).
"""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys

import numpy as np
import pytest
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QProgressBar, QPushButton

import convlab.core as cc
from convlab.export_script import GRADIENT_HISTORY_CAP, gradient_script
from convlab.gui.worker import active_task_count
from convlab.labs.gradient import runs as runs_module
from convlab.labs.gradient.model import MAX_STEPS, RUN_FIELDS, GradientLabState, RacerSpec
from convlab.labs.gradient.panel import GradientPanel
from convlab.labs.gradient.readouts import MISSING


@pytest.fixture
def panel(qtbot):
    p = GradientPanel()
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def reopen(qtbot, state):
    other = GradientPanel()
    qtbot.addWidget(other)
    other.set_state(json.loads(json.dumps(state)))  # through JSON, as a session file
    return other


def run_script(state, tmp_path):
    path = tmp_path / "gradient.py"
    path.write_text(gradient_script(state), encoding="utf-8")
    out = subprocess.run([sys.executable, str(path), "--json"], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def random_change(rng: random.Random, panel: GradientPanel) -> None:
    """One mid-run change through the real widgets, as a user would make it."""
    box = panel.model_box
    what = rng.choice(["lr", "optimizer", "momentum", "beta", "batch", "gradient", "racer"])
    if what == "lr":
        box.lr_edit.setValue([rng.choice([0.005, 0.01, 0.03, 0.1]) for _ in range(2)])
        box.lr_edit.valueChanged.emit(box.lr_edit.value())
    elif what == "optimizer":
        box.optimizer_combo.setCurrentIndex(rng.randrange(4))
    elif what == "momentum":
        box.momentum_spin.setValue(rng.choice([0.5, 0.8, 0.95]))
    elif what == "beta":
        box.beta1_spin.setValue(rng.choice([0.8, 0.9, 0.95]))
    elif what == "batch":
        box.batch_spin.setValue(rng.choice([0, 7, 16]))
    elif what == "gradient":
        box.gradient_buttons.button(rng.randrange(3)).click()
    else:
        _enabled, combo, rate = panel.race_box.racer_rows[rng.randrange(4)]
        if rng.random() < 0.5:
            combo.setCurrentIndex(rng.randrange(4))
        else:
            rate.setValue(rng.choice([0.002, 0.01, 0.02]))


@pytest.mark.parametrize("seed, race", [(1, False), (2, False), (3, True), (4, True)])
def test_random_mid_run_changes_replay_exactly_in_session_and_script(qtbot, panel, tmp_path,
                                                                     seed, race):
    rng = random.Random(seed)
    if race:
        panel.race_box.race_check.setChecked(True)
    for _ in range(8):
        for _ in range(rng.randrange(1, 60)):
            panel.controller.step_once()
        random_change(rng, panel)
    panel.controller._advance(rng.randrange(1, 300))  # a frame's worth of steps at once
    saved = panel.get_state()
    assert len(saved["timeline"]) > 1 and saved["timeline"][0]["step"] == 0
    expected = [r.trainer.params for r in panel.controller.runs]

    other = reopen(qtbot, saved)
    for run, want in zip(other.controller.runs, expected, strict=True):
        np.testing.assert_array_equal(run.trainer.params, want)
    assert other.get_state() == saved  # and it saves the same timeline again
    other.shutdown()

    results = run_script(saved, tmp_path)
    assert [r["params"] for r in results["runs"]] == [w.tolist() for w in expected]
    for got, run in zip(results["runs"], panel.controller.runs, strict=True):
        assert got["history_steps"] == run.trainer.history.steps.tolist()


def test_the_issue_example_replays_both_learning_rates(qtbot, panel):
    """300 steps at α = 0.01, then 300 at 0.03: the replay ends where the run did."""
    for _ in range(300):
        panel.controller.step_once()
    panel.model.learning_rates = (0.03, 0.03)
    for _ in range(300):
        panel.controller.step_once()
    reference = cc.Trainer(cc.updown_dataset(seed=0), learning_rates=0.01)
    reference.step(300)
    reference.set_learning_rates(0.03)
    reference.step(300)
    np.testing.assert_array_equal(panel.weights(), reference.params)
    np.testing.assert_allclose(panel.weights(), [0.1297, -0.1986], atol=1e-4)
    other = reopen(qtbot, panel.get_state())
    np.testing.assert_array_equal(other.weights(), reference.params)
    other.shutdown()


def test_a_session_without_timeline_replays_with_its_settings(qtbot, panel):
    state = GradientLabState(learning_rates=(0.03, 0.03), step=200).to_dict()
    assert state["timeline"] == []
    del state["timeline"], state["gradient"]  # an older session
    other = reopen(qtbot, state)
    reference = cc.Trainer(cc.updown_dataset(seed=0), learning_rates=0.03)
    reference.step(200)
    np.testing.assert_array_equal(other.weights(), reference.params)
    other.shutdown()


def test_a_landscape_click_starts_a_new_timeline(qtbot, panel):
    for _ in range(20):
        panel.controller.step_once()
    panel.model.learning_rates = (0.05, 0.05)
    panel.landscape.restart_at(0.3, -0.2)
    for _ in range(15):
        panel.controller.step_once()
    panel.model.optimizer = "adam"
    for _ in range(10):
        panel.controller.step_once()
    saved = panel.get_state()
    assert saved["start"] == [0.3, -0.2]
    assert [e["step"] for e in saved["timeline"]] == [0, 15]
    assert saved["timeline"][0]["set"]["learning_rates"] == [0.05, 0.05]
    other = reopen(qtbot, saved)
    np.testing.assert_array_equal(other.weights(), panel.weights())
    other.shutdown()


def test_a_timeline_that_does_not_match_the_settings_is_refused(panel):
    panel.controller.step_once()
    panel.model.learning_rates = (0.05, 0.05)
    panel.controller.step_once()
    saved = panel.get_state()
    before = panel.get_state()
    for bad, message in (
        ({**saved, "learning_rates": [0.07, 0.07]}, "does not end at the saved learning_rates"),
        ({**saved, "step": 0}, "past the saved step"),
        ({**saved, "timeline": [{"step": 0, "set": {"gradient": "chain_rule"}}]},
         "first entry must set"),
        ({**saved, "timeline": [*saved["timeline"], {"step": 2, "set": {"taps": 3}}]},
         "only learning_rates"),
    ):
        with pytest.raises(ValueError, match=message):
            panel.set_state(bad)
    assert panel.get_state() == before


# -- the gradient formula as a lesson ------------------------------------------------------
def test_the_notebook_gradient_runs_is_checked_in_red_and_drawn(qtbot, panel, tmp_path):
    box = panel.model_box
    box.gradient_buttons.button(1).click()  # "the notebook's, as written"
    assert panel.model.gradient == "notebook"
    (x, _y), _ = panel.controller.data
    constant = np.array([x[:-1].mean(), x[1:].mean()])  # (t.X[0][:-1]).mean(), (t.X[0][1:])…
    for _ in range(10):
        panel.controller.step_once()
    np.testing.assert_allclose(panel.weights(), 0.5 - 10 * 0.01 * constant, rtol=1e-13)
    panel.controller.flush()
    text = panel.gradient_box.gradient_label.text()
    assert "they disagree" in text and "color:" in text
    assert MISSING["notebook"] in text.replace("<br>", " ")
    check = panel.gradient_box.gradient_check
    np.testing.assert_allclose(check.analytic, constant)
    # the arrow points along −constant, not along −∇L
    line_x, line_y = panel.landscape.grad_line.getData()
    arrow = np.array([line_x[1] - line_x[0], line_y[1] - line_y[0]])
    np.testing.assert_allclose(arrow / np.linalg.norm(arrow),
                               -constant / np.linalg.norm(constant), atol=1e-9)
    # back to the chain rule: the check agrees, not red
    box.gradient_buttons.button(0).click()
    panel.controller.flush()
    assert "they agree" in panel.gradient_box.gradient_label.text()
    assert "color:" not in panel.gradient_box.gradient_label.text()
    # the CSV names the formula of every step
    path = tmp_path / "h.csv"
    panel.toolbar.save_history(path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0][-1] == "gradient"
    assert [r[-1] for r in rows[1:]] == ["notebook"] * 11  # steps 0 … 10
    panel.controller.step_once()
    panel.toolbar.save_history(path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[-1][1] == "11" and rows[-1][-1] == "chain_rule"
    assert panel.get_state()["gradient"] == "chain_rule"


def test_no_chain_rule_explains_what_is_missing(panel):
    panel.model.gradient = "no_chain_rule"
    assert panel.model_box.gradient_buttons.checkedId() == 2  # the model shows in the buttons
    panel.controller.step_once()
    panel.controller.flush()
    text = panel.gradient_box.gradient_label.text().replace("<br>", " ")
    assert MISSING["no_chain_rule"] in text


# -- long replays, the step limit, the script's history cap ---------------------------------
def test_a_long_replay_runs_in_the_background_and_can_be_cancelled(qtbot, panel, monkeypatch):
    monkeypatch.setattr(runs_module, "REPLAY_IN_BACKGROUND", 100)
    state = GradientLabState(race=True, step=3000).to_dict()
    state["timeline"] = [{"step": 0, "set": {**{k: state[k] for k in RUN_FIELDS},
                                             "batch_size": 16}},
                         {"step": 1500, "set": {"batch_size": 0}}]
    progress = []
    panel.controller.replay_progress.connect(lambda f, _t: progress.append(f))
    with qtbot.waitSignal(panel.controller.replay_finished, timeout=20000):
        panel.set_state(state)
        assert panel.controller.replaying  # the window is free meanwhile
        assert panel.trainer.step_count == 0
        assert panel.replay_progress.isVisible()
        during = panel.get_state()  # an (auto)save meanwhile keeps the run being replayed
        assert during["step"] == 3000 and during["timeline"] == state["timeline"]
    assert progress and progress[-1] == pytest.approx(1.0)
    assert panel.trainer.step_count == 3000 and len(panel.controller.runs) == 4
    reference = cc.Trainer(cc.updown_dataset(seed=0), learning_rates=0.01, batch_size=16,
                           seed=0)
    reference.step(1500)
    reference.set_batch_size(None)
    reference.step(1500)
    np.testing.assert_array_equal(panel.controller.runs[0].trainer.params, reference.params)
    assert panel.get_state() == GradientLabState.from_dict(state).to_dict()

    monkeypatch.setattr(runs_module, "REPLAY_IN_BACKGROUND", 100)
    panel.set_state(GradientLabState(race=True, step=MAX_STEPS).to_dict())
    assert panel.controller.replaying
    panel.replay_progress.findChild(QPushButton).click()  # its Cancel button
    assert not panel.controller.replaying and not panel.replay_progress.isVisible()
    qtbot.waitUntil(lambda: active_task_count() == 0, timeout=2000)  # the thread has ended
    assert panel.trainer.step_count == 0 and "cancelled" in panel.status.message()


def test_the_replay_dialog_never_runs_the_event_loop_and_closes_at_the_end(
        qtbot, panel, monkeypatch):
    dialog = panel.replay_progress
    ran = []
    QTimer.singleShot(0, lambda: ran.append("event loop"))
    panel.controller.replay_progress.emit(0.5, "step 1,500 of 3,000")
    assert ran == [] and dialog.isVisible()  # modal setValue would have run the timer
    assert dialog.findChild(QProgressBar).value() == 500
    assert dialog.labelText() == "Replaying the saved run: step 1,500 of 3,000"
    monkeypatch.setattr(runs_module, "REPLAY_IN_BACKGROUND", 100)
    with qtbot.waitSignal(panel.controller.replay_finished, timeout=20000):
        panel.set_state(GradientLabState(race=True, step=3000).to_dict())
    assert panel.trainer.step_count == 3000
    assert not dialog.isVisible()  # it used to stay open, modal, after a finished replay


def test_the_live_run_stops_at_the_last_savable_step(qtbot, panel, monkeypatch):
    monkeypatch.setattr(runs_module, "MAX_STEPS", 50)
    panel.model.steps_per_frame = 1000
    panel.toolbar.run_button.setChecked(True)
    qtbot.waitUntil(lambda: not panel.controller.running, timeout=3000)
    assert panel.trainer.step_count == 50 and panel.get_state()["step"] == 50
    panel.toolbar.run_button.setChecked(True)
    assert not panel.controller.running
    assert "Stopped at step" in panel.status.message()
    GradientLabState.from_dict({**panel.get_state(), "step": MAX_STEPS})  # within the range
    assert MAX_STEPS > 5_000_001  # the step the issue's session failed at now reopens
    GradientLabState.from_dict({"step": 5_000_001})


def test_the_script_keeps_the_apps_history(panel, tmp_path):
    assert GRADIENT_HISTORY_CAP == runs_module.HISTORY_CAP
    state = {**panel.get_state(), "step": 25_000}
    results = run_script(state, tmp_path)
    other_steps = panel.controller  # the app's history for the same run
    panel.set_state(state)
    h = other_steps.trainer.history
    assert results["runs"][0]["history_steps"] == h.steps.tolist()
    assert results["runs"][0]["history_params"] == h.params.tolist()


def test_readable_refusals_of_racers_and_slice_axes():
    for count in (3, 6):
        racers = [RacerSpec().__dict__] * count
        with pytest.raises(ValueError, match=f"racers must list 4 contenders, got {count}"):
            GradientLabState.from_dict({"racers": racers})
    with pytest.raises(ValueError, match=r"slice_axes must be two different parameter "
                                         r"indices.*\[True, False\]"):
        GradientLabState.from_dict({"slice_axes": [True, False]})


def test_a_click_beyond_the_savable_range_is_refused_and_the_lab_stays_savable(qtbot, panel):
    panel.controller.step_once()
    before = panel.get_state()
    panel.landscape.restart_at(3e6, 0.0)  # a zoomed-out landscape reaches this far
    assert panel.get_state() == before and panel.trainer.step_count == 1
    assert panel.status.message().startswith("Not restarted there: start must be a number")
    panel.landscape.restart_at(-1e6, 1e6)  # the edge of the range: fine, and it reopens
    saved = panel.get_state()
    assert saved["start"] == [-1e6, 1e6]
    reopen(qtbot, saved).shutdown()


# -- the bias lesson, the data set's ranges ---------------------------------------------
def test_the_bias_lesson_is_on_screen_and_its_action_adds_the_bias(qtbot, panel):
    panel.resize(1366, 768)
    panel.show()
    qtbot.waitExposed(panel)
    lesson = panel.bias_lesson
    panel.controller.flush()
    assert lesson.text.isVisible() and lesson.add_bias_button.isVisible()
    assert lesson.text.text().startswith("No bias") and "undetermined" in lesson.text.text()
    # under the plots, not over them, and whole (two lines or more fit)
    area = panel.plots_area
    assert lesson.mapTo(panel, lesson.rect().topLeft()).y() >= \
        area.mapTo(panel, area.rect().bottomLeft()).y()
    assert lesson.text.height() >= lesson.text.heightForWidth(lesson.text.width())
    lesson.add_bias_button.click()
    assert panel.model.bias and panel.trainer.n_params == 3
    panel.controller._advance(3000)
    panel.controller.flush()
    w1, w2, b = panel.weights()
    assert not lesson.add_bias_button.isVisible()
    assert w2 < 0 < w1  # what the lesson says, on seed 0
    assert f"b = {b:.3g}" in lesson.text.text() and "difference filter" in lesson.text.text()
    assert f"w₁ − w₂ = {w1 - w2:.3g}" in lesson.text.text()


def test_slope_and_intercept_ranges_make_the_data_and_are_saved(qtbot, panel, tmp_path):
    box = panel.data_box
    box.slope_spins[1].setValue(3.0)
    box.intercept_spins[0].setValue(-2.0)
    assert panel.model.slope_range == (1.0, 3.0)
    assert panel.model.intercept_range == (-2.0, 0.5)
    expected = cc.updown_dataset(50, 5, 0.5, 0, 0.2, (1.0, 3.0), (-2.0, 0.5))
    np.testing.assert_array_equal(panel.controller.data[0][0], expected[0][0])
    saved = panel.get_state()
    assert saved["slope_range"] == [1.0, 3.0] and saved["intercept_range"] == [-2.0, 0.5]
    other = reopen(qtbot, saved)
    np.testing.assert_array_equal(other.controller.data[0][0], expected[0][0])
    assert other.data_box.slope_spins[1].value() == 3.0
    other.shutdown()
    # an empty range is refused, named, and the box shows the model again
    box.slope_spins[0].setValue(3.0)
    assert panel.model.slope_range == (1.0, 3.0) and box.slope_spins[0].value() == 1.0
    assert "slope_range must be [lo, hi] with 0 < lo < hi" in panel.status.message()
    # the exported script draws the same data
    state = {**panel.get_state(), "step": 10}
    panel.set_state(state)
    assert "'slope_range': [1.0, 3.0]" in gradient_script(state)
    assert run_script(state, tmp_path)["runs"][0]["params"] == panel.weights().tolist()
