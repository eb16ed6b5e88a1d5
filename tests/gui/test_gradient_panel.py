"""The Gradient Descent lab, driven through its real widgets and checked against the core."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt

import convlab.core as cc
from convlab.gui.theme import theme_manager
from convlab.labs.gradient.axes import nice_ceiling
from convlab.labs.gradient.model import (
    GradientLabState,
    RacerSpec,
    landscape_window,
    quadratic_contours,
    resize_params,
    sgd_curvature,
    write_history_csv,
)
from convlab.labs.gradient.panel import GradientPanel


@pytest.fixture
def panel(qtbot):
    p = GradientPanel()
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()


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


def flush(qtbot, panel):
    """Let the coalesced redraw happen."""
    qtbot.waitUntil(lambda: not panel._redraw_timer.isActive(), timeout=2000)
    panel.redraw()


def plotted(curve):
    x, y = curve.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


# -- defaults ----------------------------------------------------------------------------
def test_defaults_are_the_notebook_experiment(panel):
    s = panel.state
    assert (s.n_samples, s.length, s.noise, s.test_fraction) == (50, 5, 0.5, 0.2)
    assert (s.taps, s.bias, s.optimizer, s.batch_size) == (2, False, "sgd", 0)
    np.testing.assert_array_equal(panel.trainer.params, [0.5, 0.5])
    np.testing.assert_array_equal(panel.trainer.learning_rates, [0.01, 0.01])
    (x, y), (xt, _) = panel.data
    assert x.shape == (80, 5) and xt.shape == (20, 5)
    assert panel.start_edit.text() == "0.5, 0.5" and panel.lr_edit.text() == "0.01, 0.01"
    # the data plot shows the training signals, coloured by class
    for label, curve in enumerate(panel.signal_curves):
        xs, ys = curve.getData()
        np.testing.assert_array_equal(ys, x[y == label].ravel())
        np.testing.assert_array_equal(xs, np.tile(np.arange(5.0), int(np.sum(y == label))))


# -- stepping ------------------------------------------------------------------------------
def test_step_click_is_exactly_one_trainer_step(qtbot, panel):
    ref = reference(panel.state)
    for n in range(1, 4):
        qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)
        ref.step(1)
        assert panel.trainer.step_count == n
        np.testing.assert_array_equal(panel.trainer.params, ref.params)
    flush(qtbot, panel)
    np.testing.assert_array_equal(panel.kernel_stems.getData()[1], ref.params)
    steps, loss = plotted(panel.loss_curves[0])
    np.testing.assert_array_equal(steps, [0, 1, 2, 3])
    np.testing.assert_array_equal(loss, ref.history.train_loss)
    for i, curve in enumerate(panel.weight_curves):
        np.testing.assert_array_equal(plotted(curve)[1], ref.history.params[:, i])
    assert panel.step_label.text().startswith("step 3")
    # the gradient readout is the core's check at the current point
    check = cc.check_gradient(*panel.data[0], ref.params)
    np.testing.assert_allclose(panel.gradient_check.analytic, check.analytic)
    assert "they agree" in panel.gradient_label.text()


def test_keyboard_shortcuts(qtbot, panel):
    panel.activateWindow()
    panel.step_button.setFocus()
    qtbot.waitUntil(panel.step_button.hasFocus)
    qtbot.keyClick(panel.step_button, Qt.Key.Key_Right)
    qtbot.keyClick(panel.step_button, Qt.Key.Key_Right)
    assert panel.trainer.step_count == 2
    qtbot.keyClick(panel.step_button, Qt.Key.Key_Space)  # Space presses the focused button
    assert panel.trainer.step_count == 3 and not panel.running
    plot = panel.loss_plot
    plot.setFocus()
    qtbot.waitUntil(plot.hasFocus)
    qtbot.keyClick(plot, Qt.Key.Key_Space)  # elsewhere it runs and pauses
    assert panel.running and panel.run_button.isChecked()
    qtbot.waitUntil(lambda: panel.trainer.step_count > 20, timeout=3000)
    qtbot.keyClick(plot, Qt.Key.Key_Space)
    assert not panel.running
    qtbot.keyClick(plot, Qt.Key.Key_R)
    assert panel.trainer.step_count == 0


def test_run_then_pause_plots_every_history_point(qtbot, panel):
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.running and panel.run_button.text() == "Pause"
    assert not panel.step_button.isEnabled()
    qtbot.waitUntil(lambda: panel.trainer.step_count >= 100, timeout=5000)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not panel.running and panel.run_button.text() == "Run"
    count = panel.trainer.step_count
    flush(qtbot, panel)
    assert panel.trainer.step_count == count  # paused means paused
    h = panel.trainer.history
    steps, loss = plotted(panel.loss_curves[0])
    assert len(steps) == len(h) == count + 1
    np.testing.assert_array_equal(loss, h.train_loss)
    np.testing.assert_array_equal(plotted(panel.test_loss_curve)[1], h.test_loss)
    np.testing.assert_array_equal(plotted(panel.acc_curves[0])[1], h.train_accuracy)
    np.testing.assert_array_equal(plotted(panel.test_acc_curve)[1], h.test_accuracy)
    # and it is the same run the core makes
    ref = reference(panel.state)
    ref.step(count)
    np.testing.assert_array_equal(panel.trainer.params, ref.params)


@pytest.mark.parametrize("steps_per_frame", [1, 10, 100])
def test_a_frame_makes_the_chosen_number_of_steps(panel, steps_per_frame):
    panel.speed_combo.setCurrentIndex(panel.speed_combo.findData(steps_per_frame))
    assert panel.state.steps_per_frame == steps_per_frame
    panel.set_running(True)
    panel._frame_timer.stop()  # drive the frames by hand
    before = panel.trainer.step_count
    panel._tick()
    assert panel.trainer.step_count - before == steps_per_frame
    panel.set_running(False)


def test_max_speed_makes_many_steps_per_frame_and_stays_exact(panel):
    panel.speed_combo.setCurrentIndex(panel.speed_combo.findData(0))
    panel.set_running(True)
    panel._frame_timer.stop()
    for _ in range(5):
        panel._tick()
    panel.set_running(False)
    count = panel.trainer.step_count
    assert count > 50 and not panel.trainer.diverged
    # however the frames grouped the steps, the run is the core's run
    ref = reference(panel.state, history_cap=10**6)
    ref.step(count)
    np.testing.assert_array_equal(panel.trainer.params, ref.params)
    h = panel.trainer.history  # the panel keeps fewer points (its cap), each one exact
    np.testing.assert_array_equal(h.train_loss, ref.history.train_loss[h.steps])


def test_reset_restores_the_start(qtbot, panel):
    for _ in range(7):
        panel.step_once()
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert panel.trainer.step_count == 0
    np.testing.assert_array_equal(panel.trainer.params, [0.5, 0.5])
    flush(qtbot, panel)
    assert len(plotted(panel.loss_curves[0])[0]) == 1
    # the same run again: reproducible
    panel.step_once()
    ref = reference(panel.state)
    ref.step(1)
    np.testing.assert_array_equal(panel.trainer.params, ref.params)


@pytest.mark.parametrize("bias", [False, True])
def test_huge_learning_rate_diverges_with_finite_plots_and_a_message(qtbot, panel, bias):
    panel.bias_check.setChecked(bias)  # with a bias the landscape is a slice: redrawn each frame
    rates = "5, 5, 5" if bias else "5, 5"
    type_into(qtbot, panel.lr_edit, rates)
    assert panel.state.learning_rates == [5.0] * (2 + bias)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=5000)
    t = panel.trainer
    assert t.diverged and not panel.run_button.isChecked()
    flush(qtbot, panel)
    assert f"diverged at step {t.step_count + 1}" in panel.status_label.text()
    assert "lower the learning rate" in panel.status_label.text()
    for curve in (*panel.loss_curves[:1], panel.test_loss_curve, panel.acc_curves[0],
                  panel.test_acc_curve, *panel.weight_curves, panel.path_curves[0]):
        x, y = plotted(curve)
        assert len(x) == len(t.history) and np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    assert np.all(np.isfinite(panel.kernel_stems.getData()[1]))
    for points in panel.pred_points:
        assert np.all(np.isfinite(points.getData()[1]))
    assert "nan" not in panel.gradient_label.text().lower()
    assert np.all(np.isfinite(panel.land_image.image))
    assert np.all(np.isfinite(panel.contours.getData()[0]))
    # Run and Step refuse to go on; a smaller learning rate rescues it
    panel.set_running(True)
    assert not panel.running
    panel.step_once()
    assert t.step_count == len(t.history) - 1 and "Diverged" in panel._message
    type_into(qtbot, panel.lr_edit, "0.001, 0.001, 0.001" if bias else "0.001, 0.001")
    assert not t.diverged
    panel.step_once()
    assert t.step_count == len(t.history) - 1 and np.all(np.isfinite(t.params))


# -- the landscape --------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [False, True])
def test_optimum_marker_is_the_least_squares_solution(qtbot, panel, bias):
    panel.bias_check.setChecked(bias)
    flush(qtbot, panel)
    (x, y), _ = panel.data
    lstsq = cc.least_squares_optimum(x, y, bias=bias)
    a, b = panel.state.slice_axes
    mx, my = panel.optimum_marker.getData()
    np.testing.assert_allclose([mx[0], my[0]], lstsq[[a, b]], rtol=1e-12)
    np.testing.assert_allclose(panel.optimum, lstsq, rtol=1e-10)


def test_landscape_image_is_the_exact_loss(qtbot, panel):
    panel.step_once()
    flush(qtbot, panel)
    u, v, z = panel.surface
    (x, y), _ = panel.data
    (u0, u1), (v0, v1) = panel.land_vb.viewRange()
    assert u[0] == pytest.approx(u0) and u[-1] == pytest.approx(u1)
    assert v[0] == pytest.approx(v0) and v[-1] == pytest.approx(v1)
    np.testing.assert_allclose(z, cc.loss_surface(x, y, panel.trainer.params, u, v), rtol=1e-10)
    for i, j in ((0, 0), (40, 100), (160, 7)):
        assert z[i, j] == pytest.approx(cc.loss(x, y, [u[i], v[j]]), rel=1e-10)
    # the image shows log10(L − L_min + floor), rows along v
    image = panel.land_image.image
    assert image.shape == (v.size, u.size)
    assert image[100, 40] == pytest.approx(np.log10(z[40, 100] - panel.min_loss + 1e-6))
    # start, optimum and current point are in view
    for px, py in ((0.5, 0.5), tuple(panel.optimum)):
        assert u0 < px < u1 and v0 < py < v1


def test_clicking_the_landscape_restarts_from_that_point(qtbot, panel):
    for _ in range(5):
        panel.step_once()
    target = QPointF(0.2, -0.6)
    scene = panel.land_vb.mapViewToScene(target)
    pos = panel.land_plot.mapFromScene(scene)
    qtbot.mouseClick(panel.land_plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(pos.x(), pos.y()))
    # where the click landed, in plot coordinates (pixel rounding)
    clicked = panel.land_vb.mapSceneToView(panel.land_plot.mapToScene(pos))
    t = panel.trainer
    assert t.step_count == 0 and len(t.history) == 1
    np.testing.assert_allclose(t.params, [clicked.x(), clicked.y()], rtol=1e-9)
    np.testing.assert_allclose(t.params, [0.2, -0.6], atol=0.02)
    np.testing.assert_array_equal(panel.state.start, t.params)
    np.testing.assert_allclose(panel.start_edit.value(), t.params, rtol=1e-12)
    panel.step_once()
    panel.reset()
    np.testing.assert_array_equal(t.params, panel.state.start)


def test_more_parameters_show_a_slice_with_chosen_axes(qtbot, panel):
    panel.taps_spin.setValue(3)
    panel.bias_check.setChecked(True)
    s = panel.state
    assert s.names == ["w1", "w2", "w3", "b"]
    assert s.start == [0.5, 0.5, 0.5, 0.0] and s.learning_rates == [0.01] * 4
    assert panel.axis_combos[0].isEnabled()
    panel.axis_combos[1].setCurrentIndex(3)  # vertical: the bias
    assert s.slice_axes == [0, 3]
    panel.axis_combos[0].setCurrentIndex(3)  # the same parameter twice swaps the axes
    assert s.slice_axes == [3, 0]
    for _ in range(3):
        panel.step_once()
    flush(qtbot, panel)
    theta = panel.trainer.params
    u, v, z = panel.surface
    (x, y), _ = panel.data
    np.testing.assert_allclose(
        z, cc.loss_surface(x, y, theta, u, v, axes=(3, 0), bias=True), rtol=1e-10)
    px, py = panel.current_points.getData()
    np.testing.assert_array_equal([px[0], py[0]], theta[[3, 0]])
    panel.restart_at(0.25, -1.0)
    expected = theta.copy()
    expected[3], expected[0] = 0.25, -1.0
    np.testing.assert_array_equal(panel.trainer.params, expected)


def test_one_parameter_model_explains_the_missing_landscape(qtbot, panel):
    panel.taps_spin.setValue(1)
    assert panel.state.n_params == 1 and panel.state.start == [0.5]
    panel.step_once()
    flush(qtbot, panel)
    assert panel.land_message.isVisible() and "add a tap or the bias" in (
        panel.land_message.textItem.toPlainText())
    assert not panel.land_image.isVisible() and not panel.colorbar.isVisible()
    panel.restart_at(1.0, 2.0)  # a click does nothing without a plane
    assert panel.trainer.step_count == 1
    panel.bias_check.setChecked(True)
    flush(qtbot, panel)
    assert not panel.land_message.isVisible() and panel.land_image.isVisible()


def test_gradient_arrow_points_downhill(qtbot, panel):
    panel.step_once()
    flush(qtbot, panel)
    theta = panel.trainer.params
    (lx, ly) = panel.grad_line.getData()
    direction = np.array([lx[1] - lx[0], ly[1] - ly[0]])
    np.testing.assert_allclose([lx[0], ly[0]], theta)
    grad = panel.trainer.gradient()
    cos = -direction @ grad / (np.linalg.norm(direction) * np.linalg.norm(grad))
    assert cos == pytest.approx(1.0)


# -- settings mid-run --------------------------------------------------------------------
def test_learning_rate_and_optimizer_changes_apply_from_the_next_step(qtbot, panel):
    ref = reference(panel.state)
    for _ in range(4):
        panel.step_once()
    ref.step(4)
    type_into(qtbot, panel.lr_edit, "0.02, 0.005")
    ref.set_learning_rates([0.02, 0.005])
    panel.step_once()
    ref.step(1)
    np.testing.assert_array_equal(panel.trainer.params, ref.params)
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("nesterov"))
    ref.set_optimizer("nesterov", momentum=0.9)
    assert panel._message == "Nesterov from step 6 on"
    panel.momentum_spin.setValue(0.5)
    ref.optimizer.set_options(momentum=0.5)
    for _ in range(3):
        panel.step_once()
    ref.step(3)
    np.testing.assert_array_equal(panel.trainer.params, ref.params)
    assert panel.trainer.step_count == 8


@pytest.mark.parametrize(
    ("widget", "value"),
    [("samples_spin", 20), ("length_spin", 7), ("noise_spin", 0.1), ("seed_spin", 99),
     ("taps_spin", 3), ("test_spin", 0.5)],
)
def test_data_and_model_changes_restart_with_a_message(qtbot, panel, widget, value):
    for _ in range(5):
        panel.step_once()
    getattr(panel, widget).setValue(value)
    assert panel.trainer.step_count == 0
    assert "restarted at step 0" in panel._message
    s = panel.state
    (x, _), (xt, _) = panel.data
    assert x.shape[1] == s.length and x.shape[0] + xt.shape[0] == 2 * s.n_samples
    np.testing.assert_array_equal(x, s.dataset()[0][0])
    assert panel.trainer.n_params == s.taps == len(s.start) == len(s.learning_rates)
    ref = reference(s)
    panel.step_once()
    ref.step(1)
    np.testing.assert_array_equal(panel.trainer.params, ref.params)


def test_impossible_data_settings_are_refused_with_a_message(panel):
    panel.test_spin.setValue(0.1)
    panel.samples_spin.setValue(2)  # 4 signals, 10 % test: no test set
    assert panel.state.n_samples == 50 and panel.samples_spin.value() == 50
    assert panel._message.startswith("Not changed:") and "test set empty" in panel._message
    assert panel.data[0][0].shape == (90, 5)


def test_new_seed_draws_new_data(panel):
    before = panel.data[0][0].copy()
    panel.new_seed_button.click()
    assert panel.state.data_seed != 0
    assert not np.array_equal(before, panel.data[0][0])


def test_minibatch_setting_matches_the_core(panel):
    panel.batch_spin.setValue(16)
    for _ in range(7):
        panel.step_once()
    ref = reference(panel.state)
    ref.step(7)
    np.testing.assert_array_equal(panel.trainer.params, ref.params)


# -- race ------------------------------------------------------------------------------------
def test_race_runs_each_contender_from_the_same_start(qtbot, panel):
    panel.race_check.setChecked(True)
    assert [r.label for r in panel.runs] == ["SGD α=0.01", "Momentum α=0.01",
                                             "Nesterov α=0.01", "Adam α=0.05"]
    assert not panel.lr_edit.isEnabled()
    for _ in range(20):
        panel.step_once()
    flush(qtbot, panel)
    pens = set()
    for i, run in enumerate(panel.runs):
        spec = panel.state.racers[i]
        own = cc.Trainer(panel.data, learning_rates=spec.learning_rate, optimizer=spec.optimizer,
                         seed=panel.state.data_seed,
                         **panel.state.optimizer_options(spec.optimizer))
        own.step(20)
        np.testing.assert_array_equal(run.trainer.params, own.params)
        np.testing.assert_array_equal(plotted(panel.loss_curves[i])[1], own.history.train_loss)
        np.testing.assert_array_equal(plotted(panel.acc_curves[i])[1], own.history.test_accuracy)
        px, py = plotted(panel.path_curves[i])
        np.testing.assert_array_equal(px, own.history.params[:, 0])
        np.testing.assert_array_equal(py, own.history.params[:, 1])
        pens.add(panel.loss_curves[i].opts["pen"].color().name())
        np.testing.assert_array_equal(run.trainer.initial_params, [0.5, 0.5])
    assert len(pens) == 4  # each contender its own colour
    assert not panel.loss_curves[4].isVisible() and not panel.test_loss_curve.isVisible()
    # a contender's learning rate applies from its next step; dropping one restarts the race
    _enabled, _combo, rate = panel.racer_widgets[0]
    rate.setValue(0.02)
    assert panel.runs[0].trainer.step_count == 20
    np.testing.assert_array_equal(panel.runs[0].trainer.learning_rates, [0.02, 0.02])
    panel.racer_widgets[3][0].setChecked(False)
    assert len(panel.runs) == 3 and all(r.trainer.step_count == 0 for r in panel.runs)
    panel.step_once()
    panel.racer_widgets[3][2].setValue(0.2)  # editing a contender that sits out changes nothing
    assert panel.state.racers[3].learning_rate == 0.2
    assert len(panel.runs) == 3 and panel.trainer.step_count == 1


def test_one_diverging_contender_pauses_the_race(qtbot, panel):
    panel.race_check.setChecked(True)
    panel.racer_widgets[1][2].setValue(3.0)  # momentum with α = 3 explodes
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=5000)
    flush(qtbot, panel)
    diverged = [r for r in panel.runs if r.trainer.diverged]
    assert [r.label for r in diverged] == ["Momentum α=3"]
    assert "Momentum α=3: diverged at step" in panel.status_label.text()
    # the others go on when Run is pressed again
    steps = panel.runs[0].trainer.step_count
    panel.step_once()
    assert panel.runs[0].trainer.step_count == steps + 1


# -- export, state, self-test --------------------------------------------------------------
def test_csv_writer_round_trips_the_history(panel):
    for _ in range(6):
        panel.step_once()
    stream = io.StringIO()
    runs = [(r.label, r.trainer.names, r.trainer.history) for r in panel.runs]
    assert write_history_csv(stream, runs) == 7
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows[0] == ["run", "step", "w1", "w2", "train_loss", "test_loss",
                       "train_accuracy", "test_accuracy"]
    h = panel.trainer.history
    body = np.array([[float(c) for c in row[1:]] for row in rows[1:]])
    np.testing.assert_array_equal(body[:, 0], h.steps)
    np.testing.assert_array_equal(body[:, 1:3], h.params)
    np.testing.assert_array_equal(body[:, 3], h.train_loss)
    np.testing.assert_array_equal(body[:, 6], h.test_accuracy)
    assert {row[0] for row in rows[1:]} == {"SGD"}


def test_csv_writer_with_different_parameter_sets():
    data = cc.updown_dataset(seed=2)
    a, b = cc.Trainer(data), cc.Trainer(data, bias=True)
    a.step(2)
    b.step(1)
    stream = io.StringIO()
    n = write_history_csv(stream, [("a", a.names, a.history), ("b", b.names, b.history)])
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert n == 5 and rows[0][:5] == ["run", "step", "w1", "w2", "b"]
    assert rows[1][4] == "" and float(rows[5][4]) == b.history.params[1, 2]


def test_save_csv_writes_a_file_and_reports_errors(panel, tmp_path):
    panel.step_once()
    path = tmp_path / "history.csv"
    panel.save_csv(path)
    assert path.read_text().count("\n") == 3
    assert "Saved 2 history rows" in panel._message
    panel.save_csv(tmp_path / "missing" / "x.csv")
    assert panel._message.startswith("Could not save the history")


def test_state_round_trip_and_rejects_bad_state(panel):
    panel.bias_check.setChecked(True)
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("adam"))
    panel.log_check.setChecked(False)
    saved = panel.get_state()
    assert json.loads(json.dumps(saved)) == saved
    other = GradientPanel()
    try:
        other.set_state(saved)
        assert other.get_state() == saved
        assert other.bias_check.isChecked() and other.optimizer_combo.currentData() == "adam"
        assert other.trainer.optimizer.name == "adam" and other.trainer.bias
        with pytest.raises(ValueError, match="learning_rates"):
            other.set_state({**saved, "learning_rates": [0.1]})
        with pytest.raises(ValueError, match="unknown setting"):
            other.set_state({**saved, "speed": 3})
        assert other.get_state() == saved  # untouched by the rejected states
        custom = {**saved, "steps_per_frame": 42}
        other.set_state(custom)
        other.set_state(custom)
        assert other.speed_combo.currentText() == "42 steps / frame"
        assert other.speed_combo.findText("42 steps / frame") == other.speed_combo.count() - 1
        assert other.speed_combo.count() == 7
    finally:
        other.shutdown()


def test_self_test_passes_and_restores_the_settings(panel):
    panel.taps_spin.setValue(3)
    before = panel.get_state()
    panel.self_test()
    assert panel.get_state() == before


def test_both_looks_restyle_without_errors(qtbot, panel):
    panel.taps_spin.setValue(3)  # a landscape slice spanning less than 1 on both axes
    panel.bias_check.setChecked(True)
    manager = theme_manager()
    mode = manager.mode
    try:
        for look in ("dark", "light"):
            manager.set_mode(look)
            flush(qtbot, panel)
            assert panel.loss_curves[0].opts["pen"].color().name().upper() == (
                manager.theme.series[0].upper())
            # small ranges keep plain tick values (no "x0.001" rescaling) in every look
            for item in (panel.land_item, panel.kernel_plot.getPlotItem()):
                for name in ("left", "bottom"):
                    assert item.getAxis(name).autoSIPrefixScale == 1.0
    finally:
        manager.set_mode(mode)


def test_presentation_mode_widens_the_control_column(qtbot, panel):
    manager = theme_manager()
    narrow = panel._controls.width()
    small = panel.kernel_text.textItem.font().pointSizeF()
    try:
        manager.set_scale(1.6)
        qtbot.waitUntil(lambda: panel._controls.width() > narrow * 1.2, timeout=2000)
        column = panel._controls.widget()
        assert panel._controls.width() >= column.sizeHint().width()
        size = panel.kernel_text.textItem.font().pointSizeF()
        assert size == pytest.approx(manager.plot_font(0.9).pointSizeF()) and size > 1.2 * small
    finally:
        manager.set_scale(1.0)
    qtbot.waitUntil(lambda: panel._controls.width() == narrow, timeout=2000)


# -- pure helpers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "match"),
    [({"n_samples": 0}, "samples"), ({"taps": 6}, "taps"), ({"noise": -1}, "noise"),
     ({"start": [1.0]}, "start"), ({"learning_rates": [0.1, -0.1]}, "learning_rates"),
     ({"optimizer": "rmsprop"}, "optimizer"), ({"slice_axes": [0, 0]}, "slice_axes"),
     ({"bias": 1}, "bias"), ({"racers": [{"optimizer": "sgd", "speed": 1}]}, "racer"),
     ({"racers": [{"optimizer": "x"}]}, "racer"), ({"n_samples": 1}, "test set empty")],
)
def test_state_validation(change, match):
    with pytest.raises(ValueError, match=match):
        GradientLabState.from_dict({**GradientLabState().to_dict(), **change})


def test_state_defaults_round_trip():
    state = GradientLabState()
    assert GradientLabState.from_dict(state.to_dict()) == state
    assert state.racers[3] == RacerSpec(True, "adam", 0.05)


@pytest.mark.parametrize(
    ("old", "taps", "bias", "expected"),
    [(([0.1, 0.2], 2, False), 3, False, [0.1, 0.2, 0.5]),
     (([0.1, 0.2, 0.3], 2, True), 1, True, [0.1, 0.3]),
     (([0.1, 0.2, 0.3], 2, True), 2, False, [0.1, 0.2]),
     (([0.1], 1, False), 2, True, [0.1, 0.5, 0.0])],
)
def test_resize_params(old, taps, bias, expected):
    assert resize_params(*old, taps, bias, 0.5, 0.0) == expected


@pytest.mark.parametrize("seed", range(3))
def test_sgd_curvature_predicts_the_trainer(seed):
    data = cc.updown_dataset(seed=seed)
    h = cc.QuadraticLoss.from_data(*data[0], 2).hessian
    c = sgd_curvature(h, [0.01, 0.02])
    np.testing.assert_allclose(c.eigenvalues, np.linalg.eigvalsh(h))
    np.testing.assert_allclose(c.scaled, np.sort(np.linalg.eigvals(np.diag([0.01, 0.02]) @ h).real))
    assert c.ratio > 300 and c.stable
    # the error e = θ − θ* of full-batch SGD shrinks by exactly that factor per step, late on
    trainer = cc.Trainer(data, learning_rates=[0.01, 0.02])
    trainer.step(20_000)
    e1 = np.linalg.norm(trainer.params - trainer.optimum())
    trainer.step(1000)
    e2 = np.linalg.norm(trainer.params - trainer.optimum())
    assert e2 / e1 == pytest.approx(c.slowest_factor**1000, rel=1e-3)
    # and above μ = 2 the trainer diverges, below it does not
    for scale, diverges in ((2.02 / c.scaled[-1], True), (1.98 / c.scaled[-1], False)):
        rates = np.array([0.01, 0.02]) * scale
        assert sgd_curvature(h, rates).stable is not diverges
        t = cc.Trainer(data, learning_rates=rates)
        t.step(20_000)
        assert t.diverged is diverges


def test_curvature_readout(panel, qtbot):
    assert "long, narrow valley" in panel.curvature_label.text()
    assert "stable" in panel.curvature_label.text()
    type_into(qtbot, panel.lr_edit, "1, 1")
    assert "it diverges" in panel.curvature_label.text()


@pytest.mark.parametrize("seed", range(4))
def test_quadratic_contours_lie_on_their_levels(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(2, 2))
    h = m @ m.T + np.diag([1e-3, 0.0])  # possibly ill-conditioned, like the valley
    g, origin, value = rng.normal(size=2), rng.normal(size=2), 2.0
    levels = [0.5, 1.0, 3.0, 10.0, 100.0]
    x, y, connect = quadratic_contours(h, g, value, origin, levels, points=64)
    d = np.stack([x, y]) - origin[:, None]
    loss = value + g @ d + 0.5 * np.einsum("in,ij,jn->n", d, h, d)
    slice_min = value - 0.5 * g @ np.linalg.solve(h, g)
    expected = np.repeat([c for c in levels if c > slice_min], 64)
    np.testing.assert_allclose(loss, expected, rtol=1e-6, atol=1e-9)
    assert connect.sum() == connect.size - expected.size // 64
    assert not connect[63]


def test_quadratic_contours_skip_levels_below_the_minimum():
    x, y, connect = quadratic_contours(np.eye(2), [0, 0], 1.0, [0, 0], [0.5, 0.9])
    assert x.size == y.size == connect.size == 0


def test_landscape_window_contains_the_points_with_margin():
    (u0, u1), (v0, v1) = landscape_window([[0.5, 0.5], [0.3, -0.3]])
    assert u0 < 0.3 and u1 > 0.5 and v0 < -0.3 and v1 > 0.5
    assert u1 - u0 == pytest.approx(v1 - v0)
    (u0, u1), _ = landscape_window([[1.0, 1.0]])
    assert u1 - u0 == pytest.approx(0.6)


@pytest.mark.parametrize(("value", "expected"),
                         [(0.3, 0.5), (1.0, 1.0), (1.01, 2.0), (7, 10), (10, 10), (4e4, 5e4)])
def test_nice_ceiling(value, expected):
    assert nice_ceiling(value) == pytest.approx(expected)


@pytest.mark.parametrize("race", [False, True])
def test_saved_state_reopens_at_the_same_step_and_weights(panel, qtbot, race):
    state = panel.get_state()
    state.update(race=race, bias=True, start=[0.5, 0.5, 0.0], learning_rates=[0.05, 0.05, 0.05])
    panel.set_state(state)
    for _ in range(37):
        panel.step_once()
    saved = panel.get_state()
    assert saved["step"] == 37
    weights = [run.trainer.params for run in panel.runs]

    other = GradientPanel()
    qtbot.addWidget(other)
    other.set_state(saved)
    assert other.trainer.step_count == 37
    for run, expected in zip(other.runs, weights, strict=True):
        np.testing.assert_array_equal(run.trainer.params, expected)
    assert other.get_state() == saved
    other.shutdown()


def test_replaying_a_diverging_run_stops_at_the_same_step(panel):
    state = panel.get_state()
    state.update(learning_rates=[5.0, 5.0], step=500)
    panel.set_state(state)
    assert panel.trainer.diverged
    assert "diverged at step" in panel.trainer.status
    assert np.all(np.isfinite(panel.trainer.params))
    at = panel.trainer.diverged_at
    assert panel.trainer.step_count == at - 1  # stopped at the last finite state
    assert panel.get_state()["step"] == at  # saved so that a replay diverges there too


def test_kernel_axis_has_one_tick_per_tap(panel):
    state = panel.get_state()
    state.update(taps=3, start=[0.5, 0.5, 0.5], learning_rates=[0.01] * 3)
    panel.set_state(state)
    axis = panel.kernel_plot.getPlotItem().getAxis("bottom")
    assert axis._tickLevels == [[(1, "1"), (2, "2"), (3, "3")]]
