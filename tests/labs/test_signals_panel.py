"""The Signals & Kernels lab, driven through its real widgets."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtTest import QTest

import convlab.core as cc
from convlab.gui.theme import theme_manager
from convlab.labs.signals.model import fmt
from convlab.labs.signals.panel import SignalsPanel


@pytest.fixture
def panel(show_panel):
    p = show_panel(SignalsPanel)
    return p


def type_into(qtbot, edit, text):
    """Type like a user, then let the display catch up with the last keystroke."""
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    panel = edit.window()
    qtbot.waitUntil(lambda: not panel.live.pending, timeout=2000)


def plotted_output(panel):
    i, z = panel.output_plot.z_stems.getData()
    np.testing.assert_array_equal(i, np.arange(z.size))
    return z


def table_column(panel, column):
    """One column of the derivative table (0: w_j, 1: reads, 2: ∂z_i/∂w_j, 3: w_j·x)."""
    table = panel.derivative.table
    return [table.item(j, column).text() for j in range(table.rowCount())]


def op_args(state):
    return state.mode, state.flip, state.stride, state.dilation, state.padding_mode


def test_defaults_rising_signal_difference_kernel_valid(panel):
    s = panel.state
    x = np.asarray(s.x)
    assert x.size == 8 and np.all(np.diff(x) >= 0)
    assert s.w == [1.0, -1.0]
    assert (s.mode, s.flip, s.stride, s.dilation) == ("valid", False, 1, 1)
    np.testing.assert_allclose(plotted_output(panel), cc.conv1d(x, [1, -1]))
    assert np.all(plotted_output(panel) <= 0)  # x_i - x_{i+1} on a rising line
    np.testing.assert_array_equal(panel.signal_plot.x_stems.getData()[1], x)
    np.testing.assert_array_equal(panel.kernel_plot.w_stems.getData()[1], [1, -1])


@pytest.mark.parametrize(
    ("x_text", "w_text"),
    [("1, 2, 3, 0, -1", "1, -1"), ("0 0 1 0 0 0", "1 2 3"), ("5; -2.5; 4", "0.5, 0.5"),
     ("1, 2", "1, 1, 1")],
)
def test_typed_values_update_model_and_output(panel, qtbot, x_text, w_text):
    type_into(qtbot, panel.signal_editor.edit, x_text)
    type_into(qtbot, panel.kernel_editor.edit, w_text)
    x = np.array([float(v) for v in x_text.replace(";", " ").replace(",", " ").split()])
    w = np.array([float(v) for v in w_text.replace(",", " ").split()])
    assert panel.state.x == x.tolist() and panel.state.w == w.tolist()
    qtbot.waitUntil(lambda: plotted_output(panel).size == cc.output_length(x.size, w.size))
    np.testing.assert_allclose(plotted_output(panel), cc.conv1d(x, w))
    np.testing.assert_array_equal(panel.signal_plot.x_stems.getData()[1], x)


@pytest.mark.parametrize(
    ("control", "value", "field", "expected"),
    [
        ("mode_combo", "same", "mode", "same"),
        ("mode_combo", "full", "mode", "full"),
        ("flip_combo", 1, "flip", True),
        ("stride_spin", 2, "stride", 2),
        ("dilation_spin", 3, "dilation", 3),
        ("padding_combo", "reflect", "padding_mode", "reflect"),
        ("padding_combo", "circular", "padding_mode", "circular"),
    ],
)
def test_each_operation_control_changes_the_output(panel, qtbot, control, value, field,
                                                   expected):
    type_into(qtbot, panel.signal_editor.edit, "1, 3, 2, 5, 4, 7, 6, 9, 8")
    type_into(qtbot, panel.kernel_editor.edit, "1, -2, 0.5")
    panel.operation.mode_combo.setCurrentText("same")  # padding matters only with padding
    widget = getattr(panel.operation, control)
    if isinstance(value, str):
        widget.setCurrentText(value)
    elif hasattr(widget, "setCurrentIndex"):
        widget.setCurrentIndex(value)
    else:
        widget.setValue(value)
    assert getattr(panel.state, field) == expected
    panel.refresh()
    x, w = panel.state.x, panel.state.w
    np.testing.assert_allclose(plotted_output(panel), cc.conv1d(x, w, *op_args(panel.state)))


def test_controls_combined_match_core(panel, qtbot):
    type_into(qtbot, panel.signal_editor.edit, "0, 1, 4, 9, 16, 25, 36, 49, 64, 81, 100")
    panel.operation.flip_combo.setCurrentIndex(1)
    panel.operation.mode_combo.setCurrentText("full")
    panel.operation.stride_spin.setValue(3)
    panel.operation.dilation_spin.setValue(2)
    panel.operation.padding_combo.setCurrentText("replicate")
    panel.refresh()
    expected = cc.conv1d(panel.state.x, [1, -1], "full", True, 3, 2, "replicate")
    np.testing.assert_allclose(plotted_output(panel), expected)
    # padding: full mode with dilation 2 pads 2 on each side, hollow markers at -2, -1, 11, 12
    pos, val = panel.signal_plot.pad_points.getData()
    np.testing.assert_array_equal(pos, [-2, -1, 11, 12])
    np.testing.assert_array_equal(val, [0, 0, 100, 100])
    assert "⌊(11 + 2 + 2 − 2·1 − 1) / 3⌋ + 1" in panel.step.length_label.text()
    assert f"<b>{cc.output_length(11, 2, 'full', 3, 2)}</b>" in panel.step.length_label.text()


def test_padding_menu_disabled_in_valid_mode(panel):
    assert not panel.operation.padding_combo.isEnabled()
    panel.operation.mode_combo.setCurrentText("same")
    assert panel.operation.padding_combo.isEnabled()


@pytest.mark.parametrize("suffix", [", x", ", nan", " inf", ", -", None])
def test_invalid_text_keeps_last_value_and_marks_field(panel, qtbot, suffix):
    type_into(qtbot, panel.signal_editor.edit, "3, 2, 1")
    panel.refresh()
    before_z = plotted_output(panel).copy()
    if suffix is None:
        type_into(qtbot, panel.signal_editor.edit, "")  # empty field
    else:
        qtbot.keyClicks(panel.signal_editor.edit, suffix)  # typed one key at a time, ends invalid
    assert panel.signal_editor.edit.error
    assert panel.signal_editor.edit.property("convlab_invalid") is True
    assert "still using 3, 2, 1" in panel.signal_editor.edit.toolTip()
    assert panel.state.x == [3.0, 2.0, 1.0]
    panel.refresh()
    np.testing.assert_array_equal(plotted_output(panel), before_z)
    qtbot.keyClicks(panel.kernel_editor.edit, ", oops")
    assert panel.kernel_editor.edit.error and panel.state.w == [1.0, -1.0]
    type_into(qtbot, panel.signal_editor.edit, "5, 4")
    edit = panel.signal_editor.edit
    assert not edit.error and not edit.property("convlab_invalid")
    assert panel.state.x == [5.0, 4.0]


def test_impossible_settings_show_an_error_instead_of_raising(panel, qtbot):
    type_into(qtbot, panel.signal_editor.edit, "1, 2")
    type_into(qtbot, panel.kernel_editor.edit, "1, 1, 1, 1")
    panel.refresh()
    assert plotted_output(panel).size == 0
    error = panel.step.error_label
    assert error.isVisibleTo(panel) and "no output" in error.text()
    assert "→ <b>0</b>" in panel.step.length_label.text()
    panel.operation.mode_combo.setCurrentText("full")
    panel.operation.padding_combo.setCurrentText("reflect")
    panel.refresh()
    assert "reflect padding" in panel.step.error_label.text()
    assert plotted_output(panel).size == 0
    panel.operation.padding_combo.setCurrentText("zeros")
    panel.refresh()
    np.testing.assert_allclose(plotted_output(panel), [1, 3, 3, 3, 2])
    assert not panel.step.error_label.isVisibleTo(panel)


@pytest.mark.parametrize(
    ("mode", "flip", "stride", "dilation", "padding_mode"),
    [("valid", False, 1, 1, "zeros"), ("same", True, 1, 2, "zeros"),
     ("full", False, 2, 1, "replicate"), ("same", False, 1, 1, "reflect")],
)
def test_step_slider_highlights_window_and_shows_equation_and_derivative(
        panel, qtbot, mode, flip, stride, dilation, padding_mode):
    type_into(qtbot, panel.signal_editor.edit, "2, -1, 3, 0.5, 4, 6, -2, 1")
    type_into(qtbot, panel.kernel_editor.edit, "1, -2, 3")
    panel.operation.mode_combo.setCurrentText(mode)
    panel.operation.flip_combo.setCurrentIndex(int(flip))
    panel.operation.stride_spin.setValue(stride)
    panel.operation.dilation_spin.setValue(dilation)
    panel.operation.padding_combo.setCurrentText(padding_mode)
    panel.refresh()
    x, w = np.asarray(panel.state.x), np.asarray(panel.state.w)
    args = (mode, flip, stride, dilation, padding_mode)
    z = cc.conv1d(x, w, *args)
    J = cc.conv1d_weight_jacobian(x, 3, *args)
    assert panel.step.slider.maximum() == z.size - 1
    for i in range(z.size):
        panel.step.slider.setValue(i)
        panel.refresh()
        assert panel.state.step == i
        positions = cc.window_positions(i, x.size, 3, mode, flip, stride, dilation)
        pos, val = panel.signal_plot.window_points.getData()
        np.testing.assert_array_equal(pos, positions)
        np.testing.assert_allclose(val, J[i])
        lo, hi = panel.signal_plot.window_region.getRegion()
        assert lo == pytest.approx(positions.min() - 0.4) and hi == pytest.approx(
            positions.max() + 0.4)
        np.testing.assert_allclose(panel.output_plot.current.getData()[1], [z[i]])
        eq = panel.step.equation_label.text()
        assert eq.startswith(f"z<sub>{i}</sub> = w<sub>0</sub>·")
        assert f"<b>{fmt(z[i])}</b>" in eq
        for j in range(3):
            number = fmt(J[i, j]) if J[i, j] >= 0 else f"({fmt(J[i, j])})"
            assert number in eq
        assert table_column(panel, 2) == [fmt(v) for v in J[i]]
        assert table_column(panel, 3) == [fmt(v) for v in w * J[i]]
        np.testing.assert_allclose(panel.view.step.values, J[i])
        np.testing.assert_allclose(panel.view.step.values @ w, z[i])


def test_step_equation_hand_case(panel, qtbot):
    type_into(qtbot, panel.signal_editor.edit, "1, 2, 4, 7")
    panel.step.slider.setValue(2)
    panel.refresh()
    assert panel.step.equation_label.text() == (
        "z<sub>2</sub> = w<sub>0</sub>·x<sub>2</sub> + w<sub>1</sub>·x<sub>3</sub>"
        "<br>= 1·4 + (−1)·7 = <b>−3</b>")
    assert table_column(panel, 1) == ["x2", "x3"]
    panel.operation.mode_combo.setCurrentText("full")
    panel.step.slider.setValue(0)
    panel.refresh()
    assert table_column(panel, 1) == ["0 (pad)", "x0"]


def test_play_moves_the_window_and_wraps(panel, qtbot):
    panel.step.play_timer.setInterval(5)
    seen = []
    panel.step.slider.valueChanged.connect(seen.append)
    qtbot.mouseClick(panel.step.play_button, Qt.MouseButton.LeftButton)
    assert panel.step.play_timer.isActive() and "Pause" in panel.step.play_button.text()
    qtbot.waitUntil(lambda: 0 in seen[6:], timeout=3000)  # 1 … 6, then back to 0
    qtbot.mouseClick(panel.step.play_button, Qt.MouseButton.LeftButton)
    assert not panel.step.play_timer.isActive() and "Play" in panel.step.play_button.text()
    assert seen[:7] == [1, 2, 3, 4, 5, 6, 0]
    assert panel.state.step == seen[-1]


def test_shortcuts(panel, qtbot):
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert panel.step.slider.value() == 1
    qtbot.keyClick(panel, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert panel.state.mode == "same"
    qtbot.keyClick(panel, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.state.flip is True
    qtbot.keyClick(panel, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert panel.state.batch is True


def test_all_three_modes_side_by_side(panel, qtbot):
    assert not panel.modes.isVisibleTo(panel)
    type_into(qtbot, panel.kernel_editor.edit, "1, 2, 3, 4")
    panel.operation.all_modes_check.setChecked(True)
    panel.refresh()
    assert panel.modes.isVisibleTo(panel)
    for mode in cc.MODES:
        _, z = panel.modes.stems[mode].getData()
        np.testing.assert_allclose(z, cc.conv1d(panel.state.x, panel.state.w, mode))


def test_batch_mode_output_equals_core(panel, qtbot):
    assert not panel.batch_plots.isVisibleTo(panel)
    panel.batch_editor.check.setChecked(True)
    panel.operation.mode_combo.setCurrentText("same")
    panel.refresh()
    assert panel.batch_plots.isVisibleTo(panel)
    X = np.asarray(panel.state.batch_x)
    assert X.shape == (6, 8)
    Z = cc.conv1d(X, panel.state.w, "same")
    for b in range(X.shape[0]):
        t, y = panel.batch_plots.curves["x"][b].getData()
        np.testing.assert_allclose(y - panel.batch_plots.offsets["x"][b], X[b])
        t, y = panel.batch_plots.curves["z"][b].getData()
        np.testing.assert_array_equal(t, np.arange(8))
        np.testing.assert_allclose(y - panel.batch_plots.offsets["z"][b], Z[b], atol=1e-12)
    shown = [panel.batch_plots.curves["x"][b].getData()[1] for b in range(X.shape[0])]
    for upper, lower in itertools.pairwise(shown):
        assert upper.min() > lower.max()  # stacked top to bottom without overlap
    # edit the batch as text: two signals
    panel.batch_editor.edit.setPlainText("1, 2, 3, 4\n4, 3, 2, 1")
    panel.refresh()
    assert panel.state.batch_x == [[1, 2, 3, 4], [4, 3, 2, 1]]
    expected = cc.conv1d([[1, 2, 3, 4], [4, 3, 2, 1]], [1, -1], "same")
    for b in range(2):
        _, y = panel.batch_plots.curves["z"][b].getData()
        np.testing.assert_allclose(y - panel.batch_plots.offsets["z"][b], expected[b])
    spare = panel.batch_plots.curves["z"][2].getData()[1]  # the third row's curve is emptied
    assert spare is None or spare.size == 0
    # rows of different lengths: marked, last valid batch kept
    panel.batch_editor.edit.setPlainText("1, 2, 3\n1, 2")
    assert "same length" in panel.batch_editor.edit.error
    assert panel.batch_editor.edit.property("convlab_invalid") is True
    assert panel.state.batch_x == [[1, 2, 3, 4], [4, 3, 2, 1]]


def test_generator_menu_builds_signal_with_parameters(panel, qtbot):
    form = panel.signal_editor.form
    form.combo.setCurrentText("step")
    layout = form.layout()
    assert [layout.itemAt(r, layout.ItemRole.LabelRole).widget().text()
            for r in range(1, layout.rowCount())] == ["length", "where", "low", "high"]
    form.field("length").setValue(6)
    form.field("high").setValue(2.5)
    assert panel.state.x == [0, 0, 0, 2.5, 2.5, 2.5]  # applied as the fields change
    panel.state.x = [1.0, 2.0]
    qtbot.mouseClick(panel.signal_editor.generate_button, Qt.MouseButton.LeftButton)
    assert panel.state.x == [0, 0, 0, 2.5, 2.5, 2.5]
    assert panel.state.generator == "step"
    assert panel.state.generator_params == {"length": 6, "where": 0.5, "low": 0.0, "high": 2.5}
    form.combo.setCurrentText("noise")
    form.field("seed").setValue(7)
    form.field("length").setValue(12)
    np.testing.assert_array_equal(panel.state.x, np.round(cc.noise(12, 1.0, seed=7), 2))
    panel.refresh()
    np.testing.assert_allclose(plotted_output(panel), cc.conv1d(panel.state.x, panel.state.w))


def test_kernel_presets(panel, qtbot):
    form = panel.kernel_editor.form
    form.combo.setCurrentText("gaussian")
    form.field("k").setValue(7)
    form.field("sigma").setValue(2.0)
    qtbot.mouseClick(panel.kernel_editor.preset_button, Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(panel.state.w, cc.gaussian_kernel(7, 2.0))
    np.testing.assert_allclose(panel.kernel_editor.edit.value(), cc.gaussian_kernel(7, 2.0))
    form.combo.setCurrentText("laplacian")
    panel.kernel_editor.apply_preset()
    assert panel.state.w == [1, -2, 1]


def _press_drag_release(qtbot, plot, points):
    """Drag with the left button through data points of ``plot`` (real mouse events)."""
    box = plot.getPlotItem().getViewBox()
    viewport = plot.viewport()

    def widget_point(p):
        scene = box.mapViewToScene(QPointF(*p))
        return plot.mapFromScene(scene)

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=widget_point(points[0]))
    for p in points[1:]:
        QTest.mouseMove(viewport, widget_point(p))
        qtbot.wait(5)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=widget_point(points[-1]))


def wait_for_range(qtbot, box, xs, ys):
    """Wait until the plot's autorange shows the data (it is applied before a paint)."""
    def shown():
        (x0, x1), (y0, y1) = box.viewRange()
        return x0 < min(xs) and max(xs) < x1 and y0 < min(ys) and max(ys) < y1
    qtbot.waitUntil(shown, timeout=2000)


def test_drag_a_kernel_stem(panel, qtbot):
    panel.refresh()
    wait_for_range(qtbot, panel.kernel_plot.box, [0, 1], [-1, 1])
    _press_drag_release(qtbot, panel.kernel_plot.widget, [(1.0, -1.0), (1.0, -0.5), (1.0, 0.5)])
    w = panel.state.w
    assert w[0] == 1.0
    assert w[1] == pytest.approx(0.5, abs=0.05)
    assert panel.kernel_editor.edit.value()[1] == w[1]
    assert not panel.kernel_plot.value_range.frozen  # the y range follows the taps again
    y0, y1 = panel.kernel_plot.box.viewRange()[1]
    assert y0 <= min(w) and max(w) <= y1
    panel.refresh()
    np.testing.assert_allclose(plotted_output(panel), cc.conv1d(panel.state.x, w))
    # a drag that starts between the stems pans the plot and leaves the kernel alone
    before_range = panel.kernel_plot.box.viewRange()
    _press_drag_release(qtbot, panel.kernel_plot.widget, [(0.5, 0.0), (0.7, 0.3), (0.9, 0.6)])
    assert panel.state.w == w
    assert panel.kernel_plot.box.viewRange() != before_range


def test_draw_on_the_signal_plot(panel, qtbot):
    type_into(qtbot, panel.signal_editor.edit, "0, 0, 0, 0, 0, 0")
    panel.refresh()
    wait_for_range(qtbot, panel.signal_plot.box, [0, 5], [0])
    before = panel.signal_plot.box.viewRange()
    _press_drag_release(qtbot, panel.signal_plot.widget, [(1.0, 0.0), (2.0, 0.0)])
    assert panel.state.x == [0] * 6  # without draw mode a drag only pans
    assert panel.signal_plot.box.viewRange() != before
    panel.signal_plot.box.autoRange()
    panel.signal_editor.draw_check.setChecked(True)
    panel.signal_plot.box.setRange(xRange=(-0.5, 5.5), yRange=(-2, 2), padding=0)
    _press_drag_release(qtbot, panel.signal_plot.widget, [(1.0, 1.0), (2.0, 1.0), (4.0, -1.0)])
    x = np.asarray(panel.state.x)
    assert x[0] == 0 and x[5] == 0
    assert x[1] == pytest.approx(1.0, abs=0.05)
    assert x[4] == pytest.approx(-1.0, abs=0.05)
    assert x[2] > x[3] > x[4]  # the skipped sample 3 was interpolated
    panel.refresh()
    np.testing.assert_allclose(plotted_output(panel), cc.conv1d(x, panel.state.w))


def test_state_round_trip(panel, qtbot):
    panel.operation.mode_combo.setCurrentText("full")
    panel.operation.flip_combo.setCurrentIndex(1)
    panel.operation.stride_spin.setValue(2)
    panel.operation.padding_combo.setCurrentText("circular")
    panel.batch_editor.check.setChecked(True)
    panel.step.slider.setValue(1)
    panel.signal_editor.form.combo.setCurrentText("noise")
    panel.signal_editor.form.field("seed").setValue(4)
    panel.kernel_editor.form.combo.setCurrentText("gaussian")
    panel.kernel_editor.form.field("k").setValue(7)
    panel.kernel_editor.form.field("sigma").setValue(0.5)
    type_into(qtbot, panel.signal_editor.edit, "1, 5, 2, 8")  # custom, after the generator
    state = panel.get_state()
    assert state["preset_params"] == {"k": 7, "sigma": 0.5}
    state = json.loads(json.dumps(state))  # what a saved session holds
    other = SignalsPanel()
    qtbot.addWidget(other)
    try:
        other.set_state(state)
        assert other.get_state() == state
        assert other.signal_editor.edit.text() == "1, 5, 2, 8"
        assert other.operation.mode_combo.currentText() == "full"
        assert other.operation.flip_combo.currentIndex() == 1
        assert other.operation.stride_spin.value() == 2
        assert other.operation.padding_combo.currentText() == "circular"
        assert other.batch_editor.check.isChecked()
        assert other.step.slider.value() == 1
        assert other.signal_editor.form.name() == "noise"
        assert other.signal_editor.form.combo.currentText() == "custom"
        assert other.kernel_editor.form.combo.currentText() == "gaussian"
        assert other.signal_editor.form.values()["seed"] == 4
        assert other.kernel_editor.form.name() == "gaussian"
        assert other.kernel_editor.form.values() == {"k": 7, "sigma": 0.5}
        panel.refresh()
        np.testing.assert_allclose(plotted_output(other), plotted_output(panel))
    finally:
        other.shutdown()


def test_self_test_passes_and_restores_state(panel):
    before = panel.get_state()
    panel.self_test()
    assert panel.get_state() == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"mode": "diagonal"}, "mode must be one of"), ({"x": []}, "the signal x is empty"),
     ({"w": [1, float("nan")]}, "the kernel w .*NaN or infinity"),
     ({"stride": 0}, "stride must be a whole number from 1 to 16"),
     ({"dilation": 17}, "dilation must be a whole number from 1 to 16"),
     ({"x": list(range(501))}, "at most 500 samples"), ({"step": -1}, "step must be"),
     ({"flip": "yes"}, "flip must be true or false"), ({"colour": "red"}, "unknown .* colour"),
     ({"batch_x": [[1, 2], [3]]}, "the batch must be numbers"),
     ({"generator": "sawtooth"}, "generator must be one of"),
     ({"preset_params": {"k": "three"}}, "difference has no parameter"),
     ({"preset": "gaussian", "preset_params": {"k": 2.5}}, "parameter k of gaussian"),
     ({"generator_params": {"seed": float("inf")}}, "parameter seed of rising line")],
)
def test_set_state_rejects_bad_data_and_changes_nothing(panel, bad, message):
    before = panel.get_state()
    revision = panel.revision()
    with pytest.raises(ValueError, match=message):
        panel.set_state({**before, **bad})
    assert panel.get_state() == before and panel.revision() == revision


def test_revision_follows_what_get_state_returns(panel, qtbot):
    start = panel.revision()
    panel.get_state()
    assert panel.revision() == start  # reading changes nothing
    panel.set_state(panel.get_state())
    assert panel.revision() == start  # the same state again is no change
    type_into(qtbot, panel.kernel_editor.edit, "1, 2")
    changed = panel.revision()
    assert changed > start
    panel.step.slider.setValue(3)
    assert panel.revision() > changed and panel.get_state()["step"] == 3


def test_theme_switch_recolors_without_errors(panel, qtbot):
    mgr = theme_manager()
    old = mgr.mode
    closed = SignalsPanel()  # a panel shut down but not yet deleted must not be restyled
    qtbot.addWidget(closed)
    closed.shutdown()
    try:
        mgr.set_mode("dark")
        pen = panel.signal_plot.x_stems.lines.opts["pen"]
        assert pen.color().name().lower() == mgr.theme.color(0).lower()
        mgr.set_mode("light")
        pen = panel.signal_plot.x_stems.lines.opts["pen"]
        assert pen.color().name().lower() == mgr.theme.color(0).lower()
    finally:
        mgr.set_mode(old)
