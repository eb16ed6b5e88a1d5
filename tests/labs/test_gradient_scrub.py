"""The Gradient lab's timeline (issue 19): scrubbed to step k, every view shows the run's
recorded values at k — checked against an independent core Trainer and the core's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PyQt6.QtCore import Qt

import convlab.core as cc
from convlab.gui.base import AnimationSource
from convlab.labs.gradient.landscape import PATH_POINTS
from convlab.labs.gradient.model import GradientLabState, RacerSpec
from convlab.labs.gradient.panel import GradientPanel


@pytest.fixture
def panel(show_panel):
    return show_panel(GradientPanel, size=(1366, 740))


def reference(state: GradientLabState, n: int) -> cc.Trainer:
    """A core Trainer with the panel's settings, stepped ``n`` times, built apart from the lab."""
    trainer = cc.Trainer(
        state.dataset(), taps=state.taps, bias=state.bias, initial_params=state.start,
        learning_rates=state.learning_rates, optimizer=state.optimizer,
        batch_size=state.batch_size or None, seed=state.data_seed,
        **state.optimizer_options())
    trainer.step(n)
    return trainer


def steps(panel, n):
    for _ in range(n):
        panel.controller.step_once()
    panel.controller.flush()


def scrub_to(panel, step):
    """Drag the real slider to ``step`` (a recorded step) and let the frame's redraw happen."""
    slider = panel.scrubber.slider
    slider.setValue(int(np.searchsorted(panel.scrubber.steps, step)))
    panel.controller.flush()


def xy(item):
    x, y = item.getData()
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def path(panel, i=0):
    return xy(panel.landscape.path_curves[i])


def assert_views_at(panel, ref: cc.Trainer, k: int) -> None:
    """Every view shows ``ref``'s recorded point at step ``k`` (a run without thinning)."""
    h = ref.history
    i = int(np.flatnonzero(h.steps == k)[0])
    theta = h.params[i]
    # the landscape: the path up to k, the current point at θ_k
    px, py = path(panel)
    np.testing.assert_array_equal(px, h.params[: i + 1, 0])
    np.testing.assert_array_equal(py, h.params[: i + 1, 1])
    cx, cy = xy(panel.landscape.current_points)
    np.testing.assert_array_equal([cx[0], cy[0]], theta[:2])
    # the kernel stems: θ_k's taps; the predictions: the model at θ_k
    np.testing.assert_array_equal(panel.samples.kernel_stems.getData()[1], theta[:2])
    _, (x_test, y_test) = panel.controller.data
    p = cc.predict(x_test, theta)
    for label, points in enumerate(panel.samples.pred_points):
        np.testing.assert_allclose(xy(points)[1], p[y_test == label], rtol=0, atol=1e-15)
    # the step curves end at k, a cursor at k on each
    lx, ly = panel.curves.loss_curves[0].getOriginalDataset()
    np.testing.assert_array_equal(lx, h.steps[: i + 1])
    np.testing.assert_array_equal(ly, h.train_loss[: i + 1])
    for curve, column in zip(panel.curves.weight_curves, h.params.T, strict=True):
        np.testing.assert_array_equal(curve.getOriginalDataset()[1], column[: i + 1])
    for cursor in panel.curves.cursors:
        assert cursor.isVisible() and cursor.value() == k


# -- one run -------------------------------------------------------------------------------
def test_scrubbing_to_step_k_shows_the_history_at_k(panel):
    n, k = 60, 17
    steps(panel, n)
    ref = reference(panel.model, n)
    assert panel.animation_steps().tolist() == list(range(n + 1))
    scrub_to(panel, k)
    assert panel.controller.shown_step() == k and panel.scrubber.shown_step() == k
    assert_views_at(panel, ref, k)
    theta = ref.history.params[k]
    # the descent arrow starts at θ_k and points along −∇L(θ_k)
    (x, y), _ = panel.controller.data
    grad = cc.loss_gradient(x, y, theta)
    lx, ly = xy(panel.landscape.grad_line)
    np.testing.assert_array_equal([lx[0], ly[0]], theta)
    step = np.array([lx[1] - lx[0], ly[1] - ly[0]])
    assert -step @ grad / (np.linalg.norm(step) * np.linalg.norm(grad)) == pytest.approx(1.0)
    # the read-outs: the gradient check at θ_k, and which step is shown
    check = panel.gradient_box.gradient_check
    np.testing.assert_allclose(check.analytic, grad, rtol=1e-12)
    np.testing.assert_allclose(check.numeric, grad, rtol=1e-6)
    assert f"showing step {k} of {n}" in panel.gradient_box.gradient_label.text()
    assert panel.toolbar.step_label.text() == f"showing {k} of {n}"
    assert panel.scrubber.step_label.text() == f"step {k} of {n}"
    assert "Training continues from the latest step" in panel.scrubber.note.text()
    # the real run is untouched
    np.testing.assert_array_equal(panel.weights(), ref.params)
    assert panel.trainer.step_count == n


def test_live_shows_the_latest_step_as_before(panel):
    steps(panel, 30)
    ref = reference(panel.model, 30)
    scrub_to(panel, 10)
    panel.scrubber.go_live()
    panel.controller.flush()
    assert panel.controller.shown_step() is None
    px, _ = path(panel)
    np.testing.assert_array_equal(px, ref.history.params[:, 0])
    np.testing.assert_array_equal(panel.samples.kernel_stems.getData()[1], ref.params)
    assert not any(c.isVisible() for c in panel.curves.cursors)
    assert panel.toolbar.step_label.text() == "step 30"
    assert "showing" not in panel.gradient_box.gradient_label.text()
    # the scrubber's latest step is live, not a scrub to it
    scrub_to(panel, 30)
    assert panel.controller.shown_step() is None


def test_a_long_run_is_thinned_as_live_and_the_cursor_follows_log_steps(panel):
    state = GradientLabState()
    panel.set_state({**state.to_dict(), "step": 1500})  # replayed exactly, at once
    panel.controller.flush()
    ref = reference(panel.model, 1500)
    h = ref.history
    live_x, _ = path(panel)
    full = h.params[np.linspace(0, len(h) - 1, PATH_POINTS).round().astype(int)]
    np.testing.assert_array_equal(live_x, full[:, 0])
    k = 1234
    scrub_to(panel, k)
    upto = h.params[: k + 1]
    thinned = upto[np.linspace(0, k, PATH_POINTS).round().astype(int)]
    px, py = path(panel)
    np.testing.assert_array_equal(px, thinned[:, 0])
    np.testing.assert_array_equal(py, thinned[:, 1])
    assert (px[-1], py[-1]) == tuple(h.params[k])  # the path ends at the point shown
    panel.model.log_steps = True
    panel.controller.flush()
    for cursor in panel.curves.cursors:
        assert cursor.value() == pytest.approx(math.log10(k))


def test_the_arrow_and_check_follow_the_formula_in_force_at_the_step_shown(panel):
    steps(panel, 10)
    panel.model.gradient = "notebook"  # from step 10 on
    steps(panel, 10)
    (x, y), _ = panel.controller.data
    for k, formula in ((5, "chain_rule"), (9, "chain_rule"), (10, "notebook"),
                       (15, "notebook")):
        scrub_to(panel, k)
        theta = panel.trainer.history.params[k]
        expected = cc.formula_gradient(x, y, theta, formula=formula)
        np.testing.assert_allclose(panel.controller.shown_direction(), expected, rtol=1e-12)
        np.testing.assert_allclose(panel.gradient_box.gradient_check.analytic, expected,
                                   rtol=1e-12)
        lx, ly = xy(panel.landscape.grad_line)
        step = np.array([lx[1] - lx[0], ly[1] - ly[0]])
        assert -step @ expected / (np.linalg.norm(step) * np.linalg.norm(expected)) \
            == pytest.approx(1.0)


# -- a race --------------------------------------------------------------------------------
def test_a_race_scrubbed_shows_every_contender_at_its_history_point(panel):
    racers = list(panel.model.racers)
    racers[1] = RacerSpec(True, "momentum", 0.6)  # blows up within a few steps
    panel.model.racers = tuple(racers)
    panel.race_box.race_check.setChecked(True)
    steps(panel, 40)
    runs = panel.controller.runs
    assert len(runs) == 4 and runs[1].trainer.diverged
    assert runs[1].trainer.step_count < 15 < runs[0].trainer.step_count
    k = 15
    scrub_to(panel, k)
    cx, cy = xy(panel.landscape.current_points)
    for i, run in enumerate(runs):
        h = run.trainer.history
        j = int(np.searchsorted(h.steps, k, side="right")) - 1
        assert h.steps[j] == min(k, run.trainer.step_count)
        px, py = path(panel, i)
        np.testing.assert_array_equal(np.column_stack([px, py]), h.params[: j + 1])
        np.testing.assert_array_equal([cx[i], cy[i]], h.params[j])
        lx, _ = panel.curves.loss_curves[i].getOriginalDataset()
        np.testing.assert_array_equal(lx, h.steps[: j + 1])


# -- training, reset, new runs -------------------------------------------------------------
def test_training_while_scrubbed_advances_the_run_but_not_the_views(qtbot, panel):
    steps(panel, 40)
    ref = reference(panel.model, 60)
    k = 12
    scrub_to(panel, k)
    qtbot.mouseClick(panel.toolbar.step_button, Qt.MouseButton.LeftButton)
    steps(panel, 19)
    assert panel.trainer.step_count == 60
    np.testing.assert_array_equal(panel.weights(), ref.params)  # from the latest step
    assert panel.controller.shown_step() == k
    assert_views_at(panel, ref, k)
    assert panel.scrubber.steps[-1] == 60  # the range grew
    assert "continues from the latest step (60)" in panel.scrubber.note.text()
    assert panel.toolbar.step_label.text() == "showing 12 of 60"
    # Run too: the run goes on, the views stay at k
    panel.toolbar.run_button.setChecked(True)
    qtbot.waitUntil(lambda: panel.trainer.step_count > 100, timeout=5000)
    panel.toolbar.run_button.setChecked(False)
    panel.controller.flush()
    assert panel.controller.shown_step() == k
    px, _ = path(panel)
    assert px.size == k + 1
    assert f"latest step ({panel.trainer.step_count:,})" in panel.scrubber.note.text()


def test_reset_a_restart_or_new_runs_go_live(qtbot, panel):
    for leave in ("reset", "restart", "taps", "session"):
        steps(panel, 20)
        scrub_to(panel, 5)
        assert panel.controller.shown_step() == 5
        if leave == "reset":
            qtbot.mouseClick(panel.toolbar.reset_button, Qt.MouseButton.LeftButton)
        elif leave == "restart":
            panel.controller.restart_from([0.2, 0.3])
        elif leave == "taps":
            panel.model.set_structure("taps", 3 if panel.model.taps == 2 else 2)
        else:
            panel.set_state({**GradientLabState().to_dict(), "step": 30})
        panel.controller.flush()
        assert panel.controller.shown_step() is None, leave
        assert panel.scrubber.shown_step() is None, leave
        assert not panel.scrubber.live_button.isEnabled()
        assert not any(c.isVisible() for c in panel.curves.cursors), leave
        px, _ = path(panel)
        assert px.size == len(panel.trainer.history), leave


def test_the_step_shown_is_not_saved(panel):
    steps(panel, 20)
    saved, revision = panel.get_state(), panel.revision()
    scrub_to(panel, 7)
    assert panel.get_state() == saved and panel.revision() == revision


# -- AnimationSource, Export Animation…, keys --------------------------------------------------
def test_the_panel_is_an_animation_source_once_two_steps_are_recorded(qtbot, panel, monkeypatch):
    assert panel.animation_source() is panel
    assert len(panel.animation_steps()) < 2  # nothing to animate yet
    assert not panel.toolbar.animation_button.isEnabled()
    steps(panel, 25)
    ref = reference(panel.model, 25)
    source = panel.animation_source()
    assert source is panel and isinstance(source, AnimationSource)
    assert source.animation_name() == "convlab-gradient"
    assert source.animation_widget() is panel.plots_area.widget()
    k = 9
    source.show_step(k)  # drawn when it returns: no flush
    assert source.shown_step() == k and panel.scrubber.shown_step() == k
    source.animation_widget().grab()
    assert_views_at(panel, ref, k)
    source.show_step(None)
    assert source.shown_step() is None
    assert path(panel)[0].size == 26
    # Export Animation… says so
    asked = []
    monkeypatch.setattr(panel, "export_animation", lambda: asked.append(True))
    assert panel.toolbar.animation_button.isEnabled()
    assert "GIF, MP4 or HTML" in panel.toolbar.animation_button.toolTip()
    qtbot.mouseClick(panel.toolbar.animation_button, Qt.MouseButton.LeftButton)
    assert asked == [True]


def test_keyboard_moves_plays_and_leaves_the_timeline(qtbot, panel):
    steps(panel, 10)
    plot = panel.curves.loss_plot
    panel.activateWindow()
    plot.setFocus()
    qtbot.waitUntil(plot.hasFocus)
    qtbot.keyClick(plot, Qt.Key.Key_BracketLeft)
    assert panel.controller.shown_step() == 9
    qtbot.keyClick(plot, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(plot, Qt.Key.Key_BracketLeft)
    assert panel.controller.shown_step() == 7
    qtbot.keyClick(plot, Qt.Key.Key_BracketRight)
    assert panel.controller.shown_step() == 8
    qtbot.keyClick(plot, Qt.Key.Key_L)
    assert panel.controller.shown_step() is None
    qtbot.keyClick(plot, Qt.Key.Key_P)  # from live, playing starts at the run's start
    assert panel.scrubber.playing and panel.controller.shown_step() == 0
    qtbot.keyClick(plot, Qt.Key.Key_P)
    assert not panel.scrubber.playing
    qtbot.keyClick(plot, Qt.Key.Key_P)
    panel.pause()  # View → Pause All stops the playback too
    assert not panel.scrubber.playing
    for widget, key in ((panel.scrubber.slider, "[ / ]"), (panel.scrubber.play_button, "(P)"),
                        (panel.scrubber.live_button, "(L)")):
        assert key in widget.toolTip()
