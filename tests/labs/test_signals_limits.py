"""What the Signals lab refuses, and says so: batch size, overflow, huge parameters (issue 18
§3, §7, §8; issue 16 §8, §9), and the second cues besides colour (issue 21 §7)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

import convlab.core as cc
from convlab.labs.signals.batch import PER_ROW_MAX, row_style
from convlab.labs.signals.model import (
    MAX_BATCH_ROWS,
    MAX_BATCH_VALUES,
    SignalsState,
    check_batch,
    compute_view,
)
from convlab.labs.signals.operation import KIND_NOTES
from convlab.labs.signals.panel import SignalsPanel
from convlab.labs.signals.plots import FLIPPED_TITLE


@pytest.fixture
def panel(show_panel):
    p = show_panel(SignalsPanel)
    return p


# ---------------------------------------------------------------------------- the model
@pytest.mark.parametrize("rows, samples, message", [
    (MAX_BATCH_ROWS + 1, 2, f"at most {MAX_BATCH_ROWS} signals (one per line), got 101"),
    (2000, 100, "at most 100 signals (one per line), got 2000"),
    (50, 401, "at most 20,000 numbers in all, got 50 signals × 401 samples = 20,050"),
])
def test_a_batch_larger_than_the_lab_shows_is_refused_with_the_limit(rows, samples, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_batch(np.zeros((rows, samples)).tolist())
    with pytest.raises(ValueError, match="batch"):
        SignalsState.from_dict({"batch_x": np.zeros((rows, samples)).tolist()})
    assert len(check_batch(np.zeros((MAX_BATCH_ROWS, MAX_BATCH_VALUES // MAX_BATCH_ROWS))))


@pytest.mark.parametrize("field, value, message", [
    ("x", [1e308, -1e308, 1e308], r"the signal x: x_0 = 1e\+308 is too large"),
    ("x", [0, 2e150], r"x_1 = 2e\+150 is too large; values must lie within ±1e\+150"),
    ("w", [1, -1e200], r"the kernel w: w_1 = -1e\+200 is too large"),
    ("batch_x", [[0, 0], [0, -1e300]], r"the batch: row 1, sample 1 = -1e\+300 is too large"),
])
def test_values_whose_products_or_sums_overflow_are_refused(field, value, message):
    state = SignalsState()
    with pytest.raises(ValueError, match=message):
        setattr(state, field, value)
    with pytest.raises(ValueError, match=message):
        SignalsState.from_dict({field: value})


def test_the_largest_allowed_values_give_a_finite_output_without_warnings():
    state = SignalsState.from_dict({"x": [1e150, -1e150] * 250, "w": [1e150, -1e150] * 32,
                                    "mode": "full", "show_all_modes": True, "batch": True,
                                    "batch_x": [[1e150, -1e150] * 50] * 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = compute_view(state)
    assert np.all(np.isfinite(view.z)) and view.z.size == 563 and not view.error
    assert np.all(np.isfinite(view.batch_z))
    assert np.isclose(view.z[63], 64e300)  # the full overlap: 64 products (±1e150)² = 1e300


@pytest.mark.parametrize("name, param, value", [
    ("rising line", "length", 10**30), ("sine", "period", 10**400), ("square", "period", 10**30),
    ("noise", "seed", 2**80), ("step", "low", -10**400), ("impulse", "where", 10**20),
])
def test_huge_generator_parameters_are_value_errors_naming_field_and_range(name, param, value):
    gen = cc.SIGNAL_GENERATORS[name]
    p = next(p for p in gen.params if p.name == param)
    bounds = (f"{int(p.minimum):,} to {int(p.maximum):,}" if p.kind is int
              else f"{p.minimum:g} to {p.maximum:g}")
    with pytest.raises(ValueError, match=rf"{param} of {name} must be .* from {bounds}, "
                                         rf"got .{{0,30}}$") as info:
        gen(**{param: value})
    assert len(str(info.value)) < 150  # a 400-digit number is not repeated whole
    state = SignalsState()
    state.generator = name
    with pytest.raises(ValueError, match=rf"{param} of {name} must be") as info:
        state.generator_params = {param: value}
    assert len(str(info.value)) < 150


# ---------------------------------------------------------------------------- the panel
def paste(edit, text: str) -> None:
    """Select all and paste ``text``, as a user would (one edit, not a keystroke a digit)."""
    QApplication.clipboard().setText(text)
    edit.selectAll()
    edit.paste()


def test_overflowing_signal_is_flagged_in_the_field_and_never_drawn(panel, qtbot):
    edit = panel.signal_editor.edit
    before = list(panel.state.x)
    paste(edit, "1e308, -1e308, 1e308")
    panel.refresh()
    assert panel.state.x == before
    assert "too large" in edit.error and "border" in edit.styleSheet()
    label = panel.signal_editor.error_label
    assert label.isVisibleTo(panel) and "x_0 = 1e+308 is too large" in label.text()
    assert np.all(np.isfinite(panel.output_plot.z_stems.getData()[1]))
    assert "inf" not in panel.step.equation_label.text()
    qtbot.keyClicks(edit, "\b" * 30 + "1, 2, 4")
    assert not label.isVisibleTo(panel) and panel.state.x == [1.0, 2.0, 4.0]


def test_a_long_signal_refused_is_not_listed_in_the_tooltip(panel, qtbot):
    edit = panel.signal_editor.edit
    panel.state.x = np.arange(500.0)
    paste(edit, ", ".join(["1"] * 1500))
    assert "at most 500 samples, got 1500" in panel.signal_editor.error_label.text()
    assert len(edit.toolTip()) < 200 and "the last valid 500 values (0, 1, 2, …)" in edit.toolTip()


def test_pasting_a_2000_row_batch_is_refused_with_the_maximum(panel, qtbot):
    panel.batch_editor.check.setChecked(True)
    before = panel.state.batch_x
    text = "\n".join(", ".join(["1.5"] * 100) for _ in range(2000))
    panel.batch_editor.edit.setPlainText(text)
    panel.refresh()
    assert panel.state.batch_x == before
    label = panel.batch_editor.error_label
    assert label.isVisibleTo(panel)
    assert label.text() == "the batch takes at most 100 signals (one per line), got 2000"


def test_a_large_batch_is_one_plot_item_per_plot(panel):
    rows = np.arange(40 * 30, dtype=float).reshape(40, 30) % 7
    panel.state.update({"batch": True, "batch_x": rows.tolist(), "w": [1, -1]})
    panel.refresh()
    plots = panel.batch_plots
    for name, data in (("x", rows), ("z", rows[:, :-1] - rows[:, 1:])):
        assert all(c.getData()[0] is None or len(c.getData()[0]) == 0 for c in plots.curves[name])
        xs, ys = plots.merged[name].getData()
        t = data.shape[1]
        assert xs.size == 40 * (t + 1) and np.isnan(ys[t::t + 1]).all()
        np.testing.assert_allclose(ys.reshape(40, t + 1)[:, :t],
                                   data + plots.offsets[name][:, None])
    item = plots.x_plot.getPlotItem()
    assert len(item.listDataItems()) <= PER_ROW_MAX + 1
    # the left axis names rows (every 4th of 40)
    ticks = item.getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks] == [str(b) for b in range(0, 40, 4)]


def test_small_batch_rows_differ_by_marker_and_dash_not_only_colour(panel):
    panel.state.update({"batch": True, "batch_x": (np.eye(6) * 2).tolist()})
    panel.refresh()
    curves = panel.batch_plots.curves["x"][:6]
    styles = {(c.opts["symbol"], c.opts["pen"].style()) for c in curves}
    assert len(styles) == 6
    assert [c.opts["symbol"] for c in curves] == [row_style(b)[1] for b in range(6)]
    assert len({(row_style(b)[1], row_style(b)[2]) for b in range(PER_ROW_MAX)}) == PER_ROW_MAX
    z_curves = panel.batch_plots.curves["z"][:6]
    assert [c.opts["symbol"] for c in z_curves] == [c.opts["symbol"] for c in curves]


def test_the_flipped_kernel_is_dashed_hollow_and_named(panel):
    kernel = panel.kernel_plot
    assert kernel.widget.getPlotItem().titleLabel.text == "Kernel w"
    assert panel.operation.kind_note.text() == KIND_NOTES[False]
    assert "deep-learning libraries" in KIND_NOTES[False]
    panel.operation.flip_combo.setCurrentIndex(1)
    panel.refresh()
    assert kernel.widget.getPlotItem().titleLabel.text == FLIPPED_TITLE
    assert "flipped" in panel.operation.kind_note.text()
    assert panel.operation.kind_note.isVisibleTo(panel)
    flipped, w = kernel.flipped_stems, kernel.w_stems
    assert flipped.lines.isVisible()
    assert flipped.lines.opts["pen"].style() == Qt.PenStyle.DashLine
    assert w.lines.opts["pen"].style() == Qt.PenStyle.SolidLine
    assert flipped.heads.opts["symbol"] == "d" and w.heads.opts["symbol"] == "o"
    assert flipped.heads.opts["brush"].style() == Qt.BrushStyle.NoBrush
    np.testing.assert_array_equal(flipped.getData()[1], panel.state.w[::-1])
    panel.window().setStyleSheet("")  # a restyle keeps the cue
    kernel.restyle()
    assert flipped.lines.opts["pen"].style() == Qt.PenStyle.DashLine
