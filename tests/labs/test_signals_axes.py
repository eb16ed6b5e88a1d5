"""The Signals lab's plot furniture (issue 16 §11): index ticks, steady value ranges, titles."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.gui.theme import theme_manager
from convlab.labs.signals.axes import index_step, steady_bounds
from convlab.labs.signals.panel import SignalsPanel
from convlab.labs.signals.plots import FLIPPED_TITLE, MIN_STRIP_HEIGHT


@pytest.fixture
def panel(show_panel):
    p = show_panel(SignalsPanel, size=(1366, 768))
    return p


@pytest.mark.parametrize("count, fits, step", [
    (7, 20, 1), (7, 3, 5), (30, 10, 5), (30, 15, 2), (500, 10, 50), (563, 8, 100), (0, 5, 1),
])
def test_index_step(count, fits, step):
    assert index_step(count, fits) == step


@pytest.mark.parametrize("low, high, shown, want", [
    (-1.0, 0.75, None, (-1.5, 1.0)),        # 1.75 + 2·10 % ≈ 2.1 / 5 ticks → steps of 0.5
    (-1.0, 0.5, (-1.5, 1.0), (-1.5, 1.0)),  # inside and fills 3/5: kept
    (-0.1, 0.1, (-1.5, 1.0), (-0.15, 0.15)),  # fills a twelfth: shrinks (steps of 0.05)
    (-1.0, 5.0, (-1.5, 1.0), (-2.0, 6.0)),  # leaves it: grows (steps of 2)
    (2.0, 3.0, None, (-1.0, 4.0)),          # 0 (the stems' baseline) always shown
    (0.0, 0.0, None, (-1.0, 1.0)),          # nothing to span: a sensible range
])
def test_steady_bounds(low, high, shown, want):
    got = steady_bounds(low, high, shown)
    assert got == pytest.approx(want)
    assert got[0] <= min(low, 0) and max(high, 0) <= got[1]


def ticks(plot, axis="bottom"):
    return plot.getPlotItem().getAxis(axis)._tickLevels[0]


def test_index_axes_have_whole_number_ticks_only(panel):
    panel.state.update({"x": list(range(9)), "show_all_modes": True, "batch": True,
                        "w": [1, -1, 2]})
    panel.refresh()
    plots = [panel.output_plot.widget, panel.kernel_plot.widget, panel.signal_plot.widget,
             *panel.modes.plots.values(), panel.batch_plots.x_plot, panel.batch_plots.z_plot]
    for plot in plots:
        values = [v for v, _ in ticks(plot)]
        assert values and all(float(v).is_integer() for v in values), values
        assert [label for _, label in ticks(plot)] == [str(int(v)) for v in values]
    valid = [int(v) for v, _ in ticks(panel.modes.plots["valid"])]
    full = [int(v) for v, _ in ticks(panel.modes.plots["full"])]
    assert valid[0] == 0 and valid[-1] <= 6 and full[-1] <= 10
    # a long signal: fewer labels, still whole and round
    panel.state.x = np.sin(np.arange(400) / 9).round(3).tolist()
    panel.refresh()
    values = [v for v, _ in ticks(panel.output_plot.widget)]
    assert len(values) <= 20 and all(v % 10 == 0 for v in values)


def test_an_empty_output_has_a_sensible_range(panel):
    panel.state.update({"x": [1, 2], "w": [1, 2, 3], "mode": "valid", "show_all_modes": True})
    panel.refresh()
    assert panel.view.z.size == 0
    (x0, x1), (y0, y1) = panel.output_plot.box.viewRange() if hasattr(
        panel.output_plot, "box") else panel.output_plot.widget.getPlotItem().viewRange()
    assert (x0, x1) == (0, 1) and (y0, y1) == (-1, 1)
    (x0, x1), (y0, y1) = panel.modes.plots["valid"].getPlotItem().viewRange()
    assert (x0, x1) == (0, 1) and y0 < 0 < y1


def test_the_value_axis_stays_still_while_typing_small_changes(panel):
    panel.state.w = [1.0, -1.0, 0.5]
    panel.refresh()
    before = panel.output_plot.widget.getPlotItem().viewRange()[1]
    for tap in (0.45, 0.55, 0.6, 0.4):
        panel.state.w = [1.0, -1.0, tap]
        panel.refresh()
        assert panel.output_plot.widget.getPlotItem().viewRange()[1] == before
        z = panel.view.z
        assert before[0] <= z.min() and z.max() <= before[1]


def test_modes_share_a_value_range_and_strips_keep_their_height(panel, qtbot):
    panel.state.update({"show_all_modes": True, "batch": True})
    panel.refresh()
    qtbot.wait(50)
    ranges = {m: p.getPlotItem().viewRange()[1] for m, p in panel.modes.plots.items()}
    assert len({tuple(r) for r in ranges.values()}) == 1
    for plot in (*panel.modes.plots.values(), panel.batch_plots.x_plot):
        assert plot.height() >= MIN_STRIP_HEIGHT


def test_titles_set_by_the_lab_survive_a_restyle(panel):
    panel.state.update({"flip": True, "show_all_modes": True})
    panel.refresh()
    manager = theme_manager()
    old = manager.mode
    manager.set_mode("dark" if old != "dark" else "light")
    try:
        assert panel.kernel_plot.widget.getPlotItem().titleLabel.text == FLIPPED_TITLE
        m = panel.view.all_modes["full"].size
        assert panel.modes.plots["full"].getPlotItem().titleLabel.text == f"full: m = {m}"
    finally:
        manager.set_mode(old)


def test_the_control_column_widens_with_presentation_text(panel, qtbot):
    manager = theme_manager()
    scroll = panel._controls
    normal = scroll.minimumWidth()
    assert normal >= scroll.widget().sizeHint().width()
    manager.set_scale(1.6)
    try:
        qtbot.waitUntil(lambda: scroll.minimumWidth() > normal * 1.2, timeout=2000)
        assert scroll.minimumWidth() >= scroll.widget().sizeHint().width()
    finally:
        manager.set_scale(1.0)
