"""The Gradient lab's plot furniture, messages and layout (issue 16 §7, §11, §17, §18)."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt

from convlab.labs.gradient.panel import GradientPanel


@pytest.fixture
def panel(show_panel):
    p = show_panel(GradientPanel, size=(1366, 740))
    return p


def ticks(plot, name="bottom"):
    item = plot.getPlotItem()
    axis = item.getAxis(name)
    lo, hi = item.getViewBox().viewRange()[0 if name == "bottom" else 1]
    return [v for _spacing, values in axis.tickValues(lo, hi, axis.width() or 300)
            for v in values]


def test_a_learning_rate_too_large_says_so_in_its_own_words(panel):
    edit = panel.model_box.lr_edit
    edit.textEdited.emit("1e308, 1e308")
    assert edit.error.startswith("learning_rates must be a number from 0 to 1e+06")
    assert "start" not in edit.error and panel.model.learning_rates == (0.01, 0.01)


def test_read_outs_sit_in_titles_not_on_the_data(panel):
    panel.controller.step_once()
    panel.controller.flush()
    for plot in (panel.samples.kernel_plot, panel.samples.pred_plot):
        texts = [i for i in plot.getPlotItem().getViewBox().addedItems
                 if isinstance(i, pg.TextItem)]
        assert texts == []  # nothing written over the data
    w = panel.weights()
    kernel_title = panel.samples.kernel_plot.getPlotItem().titleLabel.text
    assert kernel_title == f"w = ({w[0]:.2f}, {w[1]:.2f})"
    pred_title = panel.samples.pred_plot.getPlotItem().titleLabel.text
    assert pred_title.endswith("/20 right")


def test_test_predictions_explain_filled_and_hollow_markers(panel):
    panel.controller.flush()
    axis = panel.samples.pred_plot.getPlotItem().getAxis("left")
    assert axis.labelText == "● p   ○ label y"  # the markers' own shapes, beside the data
    assert panel.samples.pred_points[0].opts["symbol"] == "o"  # filled dots …
    assert panel.samples.label_points.opts["brush"].style() == Qt.BrushStyle.NoBrush  # rings
    data_title = panel.samples.data_plot.getPlotItem().titleLabel.text
    assert "rising" in data_title and "falling" in data_title


def below_the_data(widget):
    """The legend is under the x axis, apart from the data, and inside the plot widget."""
    plot = widget.getPlotItem()
    box = plot.legend.sceneBoundingRect()
    assert box.top() >= plot.getAxis("bottom").sceneBoundingRect().bottom() - 1
    assert not box.intersects(plot.getViewBox().sceneBoundingRect())
    assert widget.sceneRect().contains(box) or widget.rect().contains(box.toRect())


def test_five_taps_keep_a_one_row_legend_that_shows_every_name(qtbot, panel):
    state = panel.get_state()
    state.update(taps=5, start=[0.5] * 5, learning_rates=[0.01] * 5)
    panel.set_state(state)
    panel.controller.flush()
    qtbot.wait(50)
    plot = panel.curves.weights_plot.getPlotItem()
    legend = plot.legend
    assert [label.text for _s, label in legend.items] == ["w1", "w2", "w3", "w4", "w5"]
    below_the_data(panel.curves.weights_plot)
    box = legend.sceneBoundingRect()
    assert box.right() <= panel.curves.weights_plot.width()  # "w5" not clipped
    row = legend.items[0][1].height()
    assert box.height() <= 2 * row + 1  # at most two rows in a narrow plot, not a wall


def test_no_legend_covers_a_curve(qtbot, panel):
    panel.race_box.race_check.setChecked(True)
    panel.controller.flush()
    for widget in (panel.curves.loss_plot, panel.curves.acc_plot, panel.curves.weights_plot):
        below_the_data(widget)
    for widget in (panel.samples.data_plot, panel.samples.pred_plot):
        assert widget.getPlotItem().legend is None  # explained in their titles


def test_index_axes_have_whole_ticks_and_empty_plots_sensible_ranges(panel):
    panel.controller.flush()
    for plot in (panel.samples.data_plot, panel.samples.pred_plot, panel.samples.kernel_plot,
                 panel.curves.weights_plot):
        values = ticks(plot)
        assert values and all(float(v).is_integer() for v in values), values
    for change in ({"log_steps": True}, {"race": True}, {"log_steps": False}):
        panel.model.update(change)
        panel.controller.flush()
        (_x, (y0, y1)) = panel.curves.acc_plot.getPlotItem().getViewBox().viewRange()
        assert (y0, y1) == pytest.approx((-0.02, 1.05)), change


def test_the_step_read_out_never_pushes_the_controls(qtbot, panel):
    toolbar = panel.toolbar
    before = toolbar.export_button.mapTo(panel, toolbar.export_button.rect().topLeft())
    width = toolbar.step_label.width()
    panel.model.steps_per_frame = 0  # max speed: a long "… steps/s" text
    toolbar.run_button.setChecked(True)
    qtbot.waitUntil(lambda: "steps/s" in toolbar.step_label.text(), timeout=5000)
    toolbar.run_button.setChecked(False)
    assert toolbar.step_label.width() == width
    assert toolbar.export_button.mapTo(panel, toolbar.export_button.rect().topLeft()) == before
    fm = toolbar.step_label.fontMetrics()
    assert fm.horizontalAdvance(toolbar.step_label.text()) <= width


def test_the_toolbar_wraps_on_a_small_screen_instead_of_being_cut(qtbot, panel):
    assert not panel.toolbar.two_rows
    panel.resize(1000, 560)
    qtbot.waitUntil(lambda: panel.toolbar.two_rows, timeout=2000)
    assert panel.width() <= 1000
    for button in (panel.toolbar.export_button, panel.toolbar.step_label):
        right = button.mapTo(panel, button.rect().topRight()).x()
        assert right <= panel.width()
    panel.resize(1366, 740)
    qtbot.waitUntil(lambda: not panel.toolbar.two_rows, timeout=2000)


@pytest.mark.parametrize("size", [(1000, 560), (1366, 740)])
def test_the_colour_bar_stays_in_view_on_a_small_screen(qtbot, panel, size):
    panel.resize(*size)
    qtbot.wait(50)
    land = panel.landscape
    assert land.colorbar.isVisible()
    bar = land.colorbar.sceneBoundingRect()
    assert bar.width() > 10 and bar.right() <= land.view.width() + 1
    assert land.plot.sceneBoundingRect().right() <= bar.left() + 1


def test_presentation_mode_scales_legends_and_plot_room_and_comes_back(qtbot, panel):
    from convlab.gui.theme import theme_manager
    from convlab.labs.gradient.panel import PLOTS_MIN_HEIGHT

    manager = theme_manager()
    legend = panel.curves.loss_plot.getPlotItem().legend
    plots = panel.plots_area.widget()
    qtbot.waitUntil(lambda: not panel.toolbar.two_rows, timeout=2000)
    normal = (legend.items[0][1].opts["size"], plots.minimumHeight(), panel.toolbar.two_rows)
    assert normal == ("9pt", PLOTS_MIN_HEIGHT, False)
    try:
        manager.set_scale(1.6)
        qtbot.wait(20)
        assert legend.items[0][1].opts["size"] == "14pt"
        assert plots.minimumHeight() == round(1.6 * PLOTS_MIN_HEIGHT)
        assert panel.plots_area.verticalScrollBar().maximum() > 0  # scrolls, not squashed
    finally:
        manager.set_scale(1.0)
    qtbot.waitUntil(lambda: not panel.toolbar.two_rows, timeout=2000)
    assert (legend.items[0][1].opts["size"], plots.minimumHeight(),
            panel.toolbar.two_rows) == normal
