"""The Gradient Descent lab, driven through its real widgets and checked against the core."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt

import convlab.core as cc
from convlab.gui.theme import error_color, theme_manager
from convlab.gui.widgets import format_array
from convlab.labs.gradient.history import write_history_csv
from convlab.labs.gradient.model import GradientLabState
from convlab.labs.gradient.panel import GradientPanel


@pytest.fixture
def panel(show_panel):
    p = show_panel(GradientPanel)
    return p


def reference(state: GradientLabState, **changes) -> cc.Trainer:
    """A core Trainer with the panel's settings, built independently of the panel."""
    return cc.Trainer(
        state.dataset(), taps=state.taps, bias=state.bias, initial_params=state.start,
        learning_rates=state.learning_rates, optimizer=state.optimizer,
        batch_size=state.batch_size or None, seed=state.data_seed,
        **state.optimizer_options(), **changes,
    )


def type_into(qtbot, edit, text):
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def steps(panel, n):
    for _ in range(n):
        panel.controller.step_once()


def flush(panel):
    """Redraw now instead of at the end of the frame."""
    panel.controller.flush()


def plotted(curve):
    x, y = curve.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


# -- defaults ----------------------------------------------------------------------------
def test_defaults_are_the_notebook_experiment(panel):
    s = panel.model
    assert (s.n_samples, s.length, s.noise, s.test_fraction) == (50, 5, 0.5, 0.2)
    assert (s.taps, s.bias, s.optimizer, s.batch_size) == (2, False, "sgd", 0)
    np.testing.assert_array_equal(panel.weights(), [0.5, 0.5])
    np.testing.assert_array_equal(panel.trainer.learning_rates, [0.01, 0.01])
    (x, y), (xt, _) = panel.controller.data
    assert x.shape == (80, 5) and xt.shape == (20, 5)
    boxes = panel.model_box
    assert boxes.start_edit.text() == "0.5, 0.5" and boxes.lr_edit.text() == "0.01, 0.01"
    # the data plot shows the training signals, coloured by class
    for label, curve in enumerate(panel.samples.signal_curves):
        xs, ys = curve.getData()
        np.testing.assert_array_equal(ys, x[y == label].ravel())
        np.testing.assert_array_equal(xs, np.tile(np.arange(5.0), int(np.sum(y == label))))


# -- stepping ------------------------------------------------------------------------------
def test_step_click_is_exactly_one_trainer_step(qtbot, panel):
    ref = reference(panel.model)
    for n in range(1, 4):
        qtbot.mouseClick(panel.toolbar.step_button, Qt.MouseButton.LeftButton)
        ref.step(1)
        assert panel.trainer.step_count == n
        np.testing.assert_array_equal(panel.weights(), ref.params)
    flush(panel)
    np.testing.assert_array_equal(panel.samples.kernel_stems.getData()[1], ref.params)
    steps_, loss = plotted(panel.curves.loss_curves[0])
    np.testing.assert_array_equal(steps_, [0, 1, 2, 3])
    np.testing.assert_array_equal(loss, ref.history.train_loss)
    for i, curve in enumerate(panel.curves.weight_curves):
        np.testing.assert_array_equal(plotted(curve)[1], ref.history.params[:, i])
    assert panel.toolbar.step_label.text() == "step 3"
    # the gradient readout is the core's check at the current point
    check = cc.check_gradient(*panel.controller.data[0], ref.params)
    np.testing.assert_allclose(panel.gradient_box.gradient_check.analytic, check.analytic)
    assert "they agree" in panel.gradient_box.gradient_label.text()


def test_steps_are_drawn_once_at_the_end_of_the_frame(qtbot, panel):
    flush(panel)
    drawn = []
    panel.controller.stepped.connect(lambda: drawn.append(panel.trainer.step_count))
    steps(panel, 5)
    assert drawn == []  # a burst of steps waits for the frame's end …
    qtbot.waitUntil(lambda: drawn == [5], timeout=2000)  # … and is drawn once
    assert plotted(panel.curves.loss_curves[0])[0][-1] == 5


def test_keyboard_shortcuts(qtbot, panel):
    button = panel.toolbar.step_button
    panel.activateWindow()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    qtbot.keyClick(button, Qt.Key.Key_Right)
    qtbot.keyClick(button, Qt.Key.Key_Right)
    assert panel.trainer.step_count == 2
    qtbot.keyClick(button, Qt.Key.Key_Space)  # Space presses the focused button: one step
    assert panel.trainer.step_count == 3 and not panel.controller.running
    plot = panel.curves.loss_plot
    plot.setFocus()
    qtbot.waitUntil(plot.hasFocus)
    qtbot.keyClick(plot, Qt.Key.Key_Space)  # elsewhere Space runs and pauses
    assert panel.controller.running and panel.toolbar.run_button.isChecked()
    qtbot.waitUntil(lambda: panel.trainer.step_count > 20, timeout=3000)
    qtbot.keyClick(plot, Qt.Key.Key_Space)
    assert not panel.controller.running
    qtbot.keyClick(plot, Qt.Key.Key_R)
    assert panel.trainer.step_count == 0


def test_run_then_pause_plots_every_history_point(qtbot, panel):
    bar = panel.toolbar
    qtbot.mouseClick(bar.run_button, Qt.MouseButton.LeftButton)
    assert panel.controller.running and bar.run_button.text() == "Pause"
    assert not bar.step_button.isEnabled()
    qtbot.waitUntil(lambda: panel.trainer.step_count >= 100, timeout=5000)
    qtbot.mouseClick(bar.run_button, Qt.MouseButton.LeftButton)
    assert not panel.controller.running and bar.run_button.text() == "Run"
    assert bar.step_button.isEnabled()
    count = panel.trainer.step_count
    qtbot.wait(3 * 16)  # a few frames: paused means paused
    assert panel.trainer.step_count == count
    flush(panel)
    h = panel.trainer.history
    curves = panel.curves
    steps_, loss = plotted(curves.loss_curves[0])
    assert len(steps_) == len(h) == count + 1
    np.testing.assert_array_equal(loss, h.train_loss)
    np.testing.assert_array_equal(plotted(curves.test_loss_curve)[1], h.test_loss)
    np.testing.assert_array_equal(plotted(curves.acc_curves[0])[1], h.train_accuracy)
    np.testing.assert_array_equal(plotted(curves.test_acc_curve)[1], h.test_accuracy)
    # and it is the same run the core makes
    ref = reference(panel.model)
    ref.step(count)
    np.testing.assert_array_equal(panel.weights(), ref.params)


@pytest.mark.parametrize("steps_per_frame", [1, 10, 100])
def test_a_frame_makes_the_chosen_number_of_steps(panel, steps_per_frame):
    combo = panel.toolbar.speed_combo
    combo.setCurrentIndex(combo.findData(steps_per_frame))
    assert panel.model.steps_per_frame == steps_per_frame
    panel.controller.set_running(True)
    before = panel.trainer.step_count
    panel.controller.frame()  # by hand: no event loop runs, so the frame timer does not
    assert panel.trainer.step_count - before == steps_per_frame
    panel.controller.set_running(False)


def test_max_speed_makes_many_steps_per_frame_and_stays_exact(panel):
    combo = panel.toolbar.speed_combo
    combo.setCurrentIndex(combo.findData(0))
    panel.controller.set_running(True)
    for _ in range(5):
        panel.controller.frame()
    panel.controller.set_running(False)
    count = panel.trainer.step_count
    assert count > 50 and not panel.trainer.diverged
    # however the frames grouped the steps, the run is the core's run
    ref = reference(panel.model, history_cap=10**6)
    ref.step(count)
    np.testing.assert_array_equal(panel.weights(), ref.params)
    h = panel.trainer.history  # the panel keeps fewer points (its cap), each one exact
    np.testing.assert_array_equal(h.train_loss, ref.history.train_loss[h.steps])


def test_reset_restores_the_start(qtbot, panel):
    steps(panel, 7)
    qtbot.mouseClick(panel.toolbar.reset_button, Qt.MouseButton.LeftButton)
    assert panel.trainer.step_count == 0
    np.testing.assert_array_equal(panel.weights(), [0.5, 0.5])
    flush(panel)
    assert len(plotted(panel.curves.loss_curves[0])[0]) == 1
    assert panel.status.message() == "Reset to the start"
    # the same run again: reproducible
    panel.controller.step_once()
    ref = reference(panel.model)
    ref.step(1)
    np.testing.assert_array_equal(panel.weights(), ref.params)


@pytest.mark.parametrize("bias", [False, True])
def test_huge_learning_rate_diverges_with_finite_plots_and_a_message(qtbot, panel, bias):
    box = panel.model_box
    box.bias_check.setChecked(bias)  # with a bias the landscape is a slice: redrawn each frame
    type_into(qtbot, box.lr_edit, "5, 5, 5" if bias else "5, 5")
    assert panel.model.learning_rates == (5.0,) * (2 + bias)
    qtbot.mouseClick(panel.toolbar.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.controller.running, timeout=5000)
    t = panel.trainer
    assert t.diverged and not panel.toolbar.run_button.isChecked()
    flush(panel)
    status = panel.status.text()
    assert f"diverged at step {t.step_count + 1}" in status
    assert "lower the learning rate" in status and error_color() in status  # the error colour
    curves, land = panel.curves, panel.landscape
    for curve in (curves.loss_curves[0], curves.test_loss_curve, curves.acc_curves[0],
                  curves.test_acc_curve, *curves.weight_curves, land.path_curves[0]):
        x, y = plotted(curve)
        assert len(x) == len(t.history) and np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    assert np.all(np.isfinite(panel.samples.kernel_stems.getData()[1]))
    for points in panel.samples.pred_points:
        assert np.all(np.isfinite(points.getData()[1]))
    assert "nan" not in panel.gradient_box.gradient_label.text().lower()
    assert np.all(np.isfinite(land.image.image))
    assert np.all(np.isfinite(land.contours.getData()[0]))
    # Run and Step refuse to go on; a smaller learning rate rescues it
    panel.controller.set_running(True)
    assert not panel.controller.running
    panel.controller.step_once()
    assert t.step_count == len(t.history) - 1
    assert panel.status.message().startswith("Diverged: lower the learning rate")
    type_into(qtbot, box.lr_edit, "0.001, 0.001, 0.001" if bias else "0.001, 0.001")
    assert not t.diverged
    panel.controller.step_once()
    assert t.step_count == len(t.history) - 1 and np.all(np.isfinite(t.params))


# -- the landscape --------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [False, True])
def test_optimum_marker_is_the_least_squares_solution(panel, bias):
    panel.model_box.bias_check.setChecked(bias)
    flush(panel)
    (x, y), _ = panel.controller.data
    lstsq = cc.least_squares_optimum(x, y, bias=bias)
    a, b = panel.model.slice_axes
    mx, my = panel.landscape.optimum_marker.getData()
    np.testing.assert_allclose([mx[0], my[0]], lstsq[[a, b]], rtol=1e-12)
    np.testing.assert_allclose(panel.controller.optimum, lstsq, rtol=1e-10)


def test_landscape_image_is_the_exact_loss(panel):
    panel.controller.step_once()
    flush(panel)
    land = panel.landscape
    u, v, z = land.surface
    (x, y), _ = panel.controller.data
    (u0, u1), (v0, v1) = land.viewbox.viewRange()
    assert u[0] == pytest.approx(u0) and u[-1] == pytest.approx(u1)
    assert v[0] == pytest.approx(v0) and v[-1] == pytest.approx(v1)
    np.testing.assert_allclose(z, cc.loss_surface(x, y, panel.weights(), u, v), rtol=1e-10)
    for i, j in ((0, 0), (40, 100), (160, 7)):
        assert z[i, j] == pytest.approx(cc.loss(x, y, [u[i], v[j]]), rel=1e-10)
    # the image shows log10(L − L_min + floor), rows along v
    image = land.image.image
    assert image.shape == (v.size, u.size)
    min_loss = cc.loss(x, y, cc.least_squares_optimum(x, y))
    assert image[100, 40] == pytest.approx(np.log10(z[40, 100] - min_loss + 1e-6))
    # start, optimum and current point are in view
    for px, py in ((0.5, 0.5), tuple(panel.controller.optimum), tuple(panel.weights())):
        assert u0 < px < u1 and v0 < py < v1


def test_clicking_the_landscape_restarts_from_that_point(qtbot, panel):
    steps(panel, 5)
    land = panel.landscape
    flush(panel)
    view_before = land.viewbox.viewRange()
    scene = land.viewbox.mapViewToScene(QPointF(0.2, -0.6))
    pos = land.view.mapFromScene(scene)
    qtbot.mouseClick(land.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(pos.x(), pos.y()))
    # where the click landed, in plot coordinates (pixel rounding)
    clicked = land.viewbox.mapSceneToView(land.view.mapToScene(pos))
    t = panel.trainer
    assert t.step_count == 0 and len(t.history) == 1
    np.testing.assert_allclose(t.params, [clicked.x(), clicked.y()], rtol=1e-9)
    np.testing.assert_allclose(t.params, [0.2, -0.6], atol=0.02)
    np.testing.assert_array_equal(panel.model.start, t.params)
    np.testing.assert_array_equal(panel.model_box.start_edit.value(), t.params)
    # the point clicked, as the start field writes it (never the pixel-rounding of 0.2)
    assert panel.status.message() == f"Restarted from ({format_array(t.params)})"
    assert land.viewbox.viewRange() == view_before  # the view stays where the user clicked
    panel.controller.step_once()
    panel.controller.reset()
    np.testing.assert_array_equal(t.params, panel.model.start)


def test_a_typed_start_restarts_and_is_framed(qtbot, panel):
    steps(panel, 3)
    type_into(qtbot, panel.model_box.start_edit, "3, -2")
    assert panel.model.start == (3.0, -2.0)
    assert panel.trainer.step_count == 0
    np.testing.assert_array_equal(panel.weights(), [3.0, -2.0])
    assert panel.status.message() == "New start: training restarted at step 0"
    (u0, u1), (v0, v1) = panel.landscape.viewbox.viewRange()
    assert u0 < 3.0 < u1 and v0 < -2.0 < v1


def test_more_parameters_show_a_slice_with_chosen_axes(panel):
    panel.model_box.taps_spin.setValue(3)
    panel.model_box.bias_check.setChecked(True)
    s = panel.model
    assert s.names == ["w1", "w2", "w3", "b"]
    assert s.start == (0.5, 0.5, 0.5, 0.0) and s.learning_rates == (0.01,) * 4
    combos = panel.axes_box.axis_combos
    assert combos[0].isEnabled() and combos[1].count() == 4
    combos[1].setCurrentIndex(3)  # vertical: the bias
    assert s.slice_axes == (0, 3)
    combos[0].setCurrentIndex(3)  # the same parameter twice swaps the axes
    assert s.slice_axes == (3, 0) and combos[1].currentIndex() == 0
    steps(panel, 3)
    flush(panel)
    theta = panel.weights()
    u, v, z = panel.landscape.surface
    (x, y), _ = panel.controller.data
    np.testing.assert_allclose(
        z, cc.loss_surface(x, y, theta, u, v, axes=(3, 0), bias=True), rtol=1e-10)
    px, py = panel.landscape.current_points.getData()
    np.testing.assert_array_equal([px[0], py[0]], theta[[3, 0]])
    panel.landscape.restart_at(0.25, -1.0)
    expected = theta.copy()
    expected[3], expected[0] = 0.25, -1.0
    np.testing.assert_array_equal(panel.weights(), expected)


def test_one_parameter_model_explains_the_missing_landscape(panel):
    panel.model_box.taps_spin.setValue(1)
    assert panel.model.n_params == 1 and panel.model.start == (0.5,)
    assert not panel.axes_box.axis_combos[0].isEnabled()
    panel.controller.step_once()
    flush(panel)
    land = panel.landscape
    assert land.message.isVisible() and "add a tap or the bias" in (
        land.message.textItem.toPlainText())
    assert not land.image.isVisible() and not land.colorbar.isVisible()
    land.restart_at(1.0, 2.0)  # a click does nothing without a plane
    assert panel.trainer.step_count == 1
    panel.model_box.bias_check.setChecked(True)
    flush(panel)
    assert not land.message.isVisible() and land.image.isVisible()


def test_gradient_arrow_points_downhill(panel):
    panel.controller.step_once()
    flush(panel)
    theta = panel.weights()
    (lx, ly) = panel.landscape.grad_line.getData()
    direction = np.array([lx[1] - lx[0], ly[1] - ly[0]])
    np.testing.assert_allclose([lx[0], ly[0]], theta)
    (x, y), _ = panel.controller.data
    grad = cc.check_gradient(x, y, theta).analytic
    cos = -direction @ grad / (np.linalg.norm(direction) * np.linalg.norm(grad))
    assert cos == pytest.approx(1.0)


# -- settings mid-run --------------------------------------------------------------------
def test_learning_rate_and_optimizer_changes_apply_from_the_next_step(qtbot, panel):
    box = panel.model_box
    ref = reference(panel.model)
    steps(panel, 4)
    ref.step(4)
    type_into(qtbot, box.lr_edit, "0.02, 0.005")
    ref.set_learning_rates([0.02, 0.005])
    assert panel.status.message() == "Learning rates (0.02, 0.005) apply from the next step"
    panel.controller.step_once()
    ref.step(1)
    np.testing.assert_array_equal(panel.weights(), ref.params)
    box.optimizer_combo.setCurrentIndex(box.optimizer_combo.findData("nesterov"))
    ref.set_optimizer("nesterov", momentum=0.9)
    assert panel.status.message() == "Nesterov from step 6 on"
    assert box.momentum_spin.isVisibleTo(box) and not box.beta1_spin.isVisibleTo(box)
    box.momentum_spin.setValue(0.5)
    ref.optimizer.set_options(momentum=0.5)
    steps(panel, 3)
    ref.step(3)
    np.testing.assert_array_equal(panel.weights(), ref.params)
    assert panel.trainer.step_count == 8


@pytest.mark.parametrize(
    ("box", "widget", "value", "what"),
    [("data_box", "samples_spin", 20, "Samples"), ("data_box", "length_spin", 7, "Signal length"),
     ("data_box", "noise_spin", 0.1, "Noise"), ("data_box", "seed_spin", 99, "Data seed"),
     ("model_box", "taps_spin", 3, "Number of taps"), ("data_box", "test_spin", 0.5,
                                                        "Test fraction")],
)
def test_data_and_model_changes_restart_with_a_message(panel, box, widget, value, what):
    steps(panel, 5)
    getattr(getattr(panel, box), widget).setValue(value)
    assert panel.trainer.step_count == 0
    assert panel.status.message() == (
        f"{what} changed: new model/data, training restarted at step 0")
    s = panel.model
    (x, _), (xt, _) = panel.controller.data
    assert x.shape[1] == s.length and x.shape[0] + xt.shape[0] == 2 * s.n_samples
    np.testing.assert_array_equal(x, s.dataset()[0][0])
    assert panel.trainer.n_params == s.taps == len(s.start) == len(s.learning_rates)
    ref = reference(s)
    panel.controller.step_once()
    ref.step(1)
    np.testing.assert_array_equal(panel.weights(), ref.params)


def test_a_shorter_signal_shortens_the_kernel(panel):
    panel.model_box.taps_spin.setValue(4)
    panel.data_box.length_spin.setValue(3)
    assert panel.model.taps == 3 and panel.model_box.taps_spin.value() == 3
    assert panel.model_box.taps_spin.maximum() == 3
    assert panel.trainer.n_params == 3 and panel.model.start == (0.5, 0.5, 0.5)


def test_impossible_data_settings_are_refused_with_a_message(panel):
    panel.data_box.test_spin.setValue(0.1)
    panel.data_box.samples_spin.setValue(2)  # 4 signals, 10 % test: no test set
    assert panel.model.n_samples == 50 and panel.data_box.samples_spin.value() == 50
    message = panel.status.message()
    assert message.startswith("Not changed:") and "test set empty" in message
    assert panel.controller.data[0][0].shape == (90, 5)


def test_new_seed_draws_new_data(panel):
    before = panel.controller.data[0][0].copy()
    panel.data_box.new_seed_button.click()
    assert panel.model.data_seed != 0
    assert panel.data_box.seed_spin.value() == panel.model.data_seed
    assert not np.array_equal(before, panel.controller.data[0][0])


def test_minibatch_setting_matches_the_core(panel):
    panel.model_box.batch_spin.setValue(16)
    assert panel.status.message() == "Batch size 16 from the next step"
    steps(panel, 7)
    ref = reference(panel.model)
    ref.step(7)
    np.testing.assert_array_equal(panel.weights(), ref.params)


# -- race ------------------------------------------------------------------------------------
def test_race_runs_each_contender_from_the_same_start(panel):
    panel.race_box.race_check.setChecked(True)
    runs = panel.controller.runs
    assert [r.label for r in runs] == ["SGD α=0.01", "Momentum α=0.01",
                                       "Nesterov α=0.01", "Adam α=0.05"]
    assert not panel.model_box.lr_edit.isEnabled()
    steps(panel, 20)
    flush(panel)
    curves, data = panel.curves, panel.controller.data
    pens = set()
    for i, run in enumerate(runs):
        spec = panel.model.racers[i]
        own = cc.Trainer(data, learning_rates=spec.learning_rate, optimizer=spec.optimizer,
                         seed=panel.model.data_seed,
                         **panel.model.optimizer_options(spec.optimizer))
        own.step(20)
        np.testing.assert_array_equal(run.trainer.params, own.params)
        np.testing.assert_array_equal(plotted(curves.loss_curves[i])[1], own.history.train_loss)
        np.testing.assert_array_equal(plotted(curves.acc_curves[i])[1],
                                      own.history.test_accuracy)
        px, py = plotted(panel.landscape.path_curves[i])
        np.testing.assert_array_equal(px, own.history.params[:, 0])
        np.testing.assert_array_equal(py, own.history.params[:, 1])
        pens.add(curves.loss_curves[i].opts["pen"].color().name())
        np.testing.assert_array_equal(run.trainer.initial_params, [0.5, 0.5])
    assert len(pens) == 4  # each contender its own colour
    assert not curves.loss_curves[4].isVisible() and not curves.test_loss_curve.isVisible()
    # a contender's learning rate applies from its next step; dropping one restarts the race
    rows = panel.race_box.racer_rows
    rows[0][2].setValue(0.02)
    assert runs[0].trainer.step_count == 20 and runs[0].label == "SGD α=0.02"
    np.testing.assert_array_equal(runs[0].trainer.learning_rates, [0.02, 0.02])
    rows[3][0].setChecked(False)
    runs = panel.controller.runs
    assert len(runs) == 3 and all(r.trainer.step_count == 0 for r in runs)
    assert panel.status.message() == "Contenders changed: the race restarted"
    panel.controller.step_once()
    rows[3][2].setValue(0.2)  # editing a contender that sits out changes nothing
    assert panel.model.racers[3].learning_rate == 0.2
    assert panel.controller.runs == runs and panel.trainer.step_count == 1


def test_one_diverging_contender_pauses_the_race(qtbot, panel):
    panel.race_box.race_check.setChecked(True)
    panel.race_box.racer_rows[1][2].setValue(3.0)  # momentum with α = 3 explodes
    qtbot.mouseClick(panel.toolbar.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.controller.running, timeout=5000)
    flush(panel)
    assert [r.label for r in panel.controller.diverged_runs()] == ["Momentum α=3"]
    assert "Momentum α=3: diverged at step" in panel.status.text()
    # the others go on when stepped again
    first = panel.controller.runs[0].trainer
    count = first.step_count
    panel.controller.step_once()
    assert first.step_count == count + 1


# -- export, state, self-test --------------------------------------------------------------
def test_history_export_writes_every_point(panel, tmp_path):
    steps(panel, 6)
    path = tmp_path / "history.csv"
    panel.toolbar.save_history(path)
    assert panel.status.message() == f"Saved 7 history rows to {path}"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == ["run", "step", "w1", "w2", "train_loss", "test_loss",
                       "train_accuracy", "test_accuracy", "gradient"]
    assert {row[-1] for row in rows[1:]} == {"chain_rule"}
    h = panel.trainer.history
    body = np.array([[float(c) for c in row[1:-1]] for row in rows[1:]])
    np.testing.assert_array_equal(body[:, 0], h.steps)
    np.testing.assert_array_equal(body[:, 1:3], h.params)
    np.testing.assert_array_equal(body[:, 3], h.train_loss)
    np.testing.assert_array_equal(body[:, 6], h.test_accuracy)
    assert {row[0] for row in rows[1:]} == {"SGD"}
    # File → Export Data writes the same file
    history, dataset = panel.data_exports()
    other = tmp_path / "menu.csv"
    history.write(other)
    assert other.read_text() == path.read_text()
    dataset.write(tmp_path / "data.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "data.csv").read_text())))
    (x, y), (xt, _) = panel.controller.data
    assert len(rows) == 1 + len(x) + len(xt)
    assert rows[1][:2] == ["train", str(int(y[0]))]
    np.testing.assert_array_equal([float(v) for v in rows[1][2:]], x[0])


def test_a_failed_export_is_reported(panel, tmp_path):
    panel.toolbar.save_history(tmp_path / "missing" / "x.csv")
    assert panel.status.message().startswith("Could not save the history")
    assert not (tmp_path / "missing").exists()


def test_csv_writer_labels_each_contender(panel):
    panel.race_box.race_check.setChecked(True)
    steps(panel, 2)
    stream = io.StringIO()
    runs = [(r.label, r.trainer.names, r.trainer.history) for r in panel.controller.runs]
    assert write_history_csv(stream, runs) == 4 * 3
    labels = [row[0] for row in csv.reader(io.StringIO(stream.getvalue()))][1:]
    assert labels == [label for label in ("SGD α=0.01", "Momentum α=0.01", "Nesterov α=0.01",
                                          "Adam α=0.05") for _ in range(3)]


def test_state_round_trip_and_rejects_bad_state(panel):
    panel.model_box.bias_check.setChecked(True)
    box = panel.model_box
    box.optimizer_combo.setCurrentIndex(box.optimizer_combo.findData("adam"))
    panel.toolbar.log_check.setChecked(False)
    saved = panel.get_state()
    assert saved["bias"] is True and saved["optimizer"] == "adam" and saved["log_loss"] is False
    assert json.loads(json.dumps(saved)) == saved
    other = GradientPanel()
    try:
        other.set_state(saved)
        assert other.get_state() == saved
        assert other.model_box.bias_check.isChecked()
        assert other.model_box.optimizer_combo.currentData() == "adam"
        assert not other.toolbar.log_check.isChecked()
        assert other.trainer.optimizer.name == "adam" and other.trainer.bias
        with pytest.raises(ValueError, match="learning_rates"):
            other.set_state({**saved, "learning_rates": [0.1]})
        with pytest.raises(ValueError, match="unknown Gradient Descent setting"):
            other.set_state({**saved, "speed": 3})
        assert other.get_state() == saved  # untouched by the rejected states
        custom = {**saved, "steps_per_frame": 42}
        other.set_state(custom)
        other.set_state(custom)
        combo = other.toolbar.speed_combo
        assert combo.currentText() == "42 steps / frame"
        assert combo.findText("42 steps / frame") == combo.count() - 1 == 6
    finally:
        other.shutdown()


def test_get_state_changes_nothing_and_revision_tracks_it(panel):
    start = panel.revision()
    first = panel.get_state()
    assert panel.get_state() == first and panel.revision() == start
    panel.controller.step_once()
    assert panel.revision() != start and panel.get_state()["step"] == 1
    moved = panel.revision()
    panel.model_box.momentum_spin.setValue(0.5)
    assert panel.revision() != moved and panel.get_state()["momentum"] == 0.5
    assert panel.model.step == 0  # reading the state wrote nothing into the model
    # revisions only grow: a reset after a settings change still counts as a change
    before = panel.revision()
    panel.controller.reset()
    assert panel.revision() > before and panel.get_state()["step"] == 0


def test_self_test_passes_and_restores_the_settings(panel):
    panel.model_box.taps_spin.setValue(3)
    panel.controller.step_once()
    before = panel.get_state()
    panel.self_test()
    assert panel.get_state() == before


def test_both_looks_restyle_without_errors(panel):
    panel.model_box.taps_spin.setValue(3)  # a landscape slice spanning less than 1 on both axes
    panel.model_box.bias_check.setChecked(True)
    manager = theme_manager()
    mode = manager.mode
    try:
        for look in ("dark", "light"):
            manager.set_mode(look)
            flush(panel)
            assert panel.curves.loss_curves[0].opts["pen"].color().name().upper() == (
                manager.theme.series[0].upper())
            # small ranges keep plain tick values (no "x0.001" rescaling) in every look
            for item in (panel.landscape.plot, panel.samples.kernel_plot.getPlotItem()):
                for name in ("left", "bottom"):
                    assert item.getAxis(name).autoSIPrefixScale == 1.0
    finally:
        manager.set_mode(mode)


def test_presentation_mode_widens_the_control_column(qtbot, panel):
    manager = theme_manager()
    column = panel.column
    narrow = column.width()
    title = panel.samples.pred_plot.getPlotItem().titleLabel
    small = float(title.opts["size"].rstrip("pt"))
    try:
        manager.set_scale(1.6)
        qtbot.waitUntil(lambda: column.width() > narrow * 1.2, timeout=2000)
        assert column.width() >= column.widget().sizeHint().width()
        size = float(title.opts["size"].rstrip("pt"))
        assert size > 1.2 * small and "right" in title.text  # the read-out title scales too
    finally:
        manager.set_scale(1.0)
    qtbot.waitUntil(lambda: column.width() == narrow, timeout=2000)


@pytest.mark.parametrize("race", [False, True])
def test_saved_state_reopens_at_the_same_step_and_weights(panel, qtbot, race):
    state = panel.get_state()
    state.update(race=race, bias=True, start=[0.5, 0.5, 0.0], learning_rates=[0.05, 0.05, 0.05],
                 timeline=[])  # edited by hand: the old timeline no longer applies
    panel.set_state(state)
    steps(panel, 37)
    saved = panel.get_state()
    assert saved["step"] == 37
    weights = [run.trainer.params for run in panel.controller.runs]
    assert len(weights) == (4 if race else 1)

    other = GradientPanel()
    qtbot.addWidget(other)
    other.set_state(saved)
    assert other.trainer.step_count == 37
    assert other.status.message() == "Settings loaded: training replayed to step 37"
    for run, expected in zip(other.controller.runs, weights, strict=True):
        np.testing.assert_array_equal(run.trainer.params, expected)
    assert other.get_state() == saved
    other.shutdown()


def test_replaying_a_diverging_run_stops_at_the_same_step(panel):
    state = panel.get_state()
    state.update(learning_rates=[5.0, 5.0], step=500, timeline=[])
    panel.set_state(state)
    t = panel.trainer
    assert t.diverged and "diverged at step" in t.status
    assert np.all(np.isfinite(t.params))
    at = t.diverged_at
    assert t.step_count == at - 1  # stopped at the last finite state
    assert panel.get_state()["step"] == 500  # the steps asked: a replay diverges at `at` too


def test_kernel_axis_has_one_tick_per_tap(panel):
    state = panel.get_state()
    state.update(taps=3, start=[0.5, 0.5, 0.5], learning_rates=[0.01] * 3)
    panel.set_state(state)
    axis = panel.samples.kernel_plot.getPlotItem().getAxis("bottom")
    assert axis._tickLevels == [[(1, "1"), (2, "2"), (3, "3")]]


def test_pause_stops_a_run_and_leaves_an_idle_lab_unchanged(qtbot, panel):
    revision = panel.revision()
    panel.pause()
    assert panel.revision() == revision  # nothing ran: nothing changed
    panel.toolbar.run_button.setChecked(True)
    qtbot.waitUntil(lambda: panel.trainer.step_count > 5, timeout=3000)
    panel.pause()
    assert not panel.controller.running and not panel.toolbar.run_button.isChecked()
