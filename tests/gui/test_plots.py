"""Themed plots: labels, no silent rescaling of small values, stems."""

from __future__ import annotations

import numpy as np

from convlab.gui.plots import Stems, make_plot
from convlab.gui.theme import theme_manager


def test_small_values_are_written_as_they_are(qtbot):
    widget = make_plot("weights", "step", "w")
    qtbot.addWidget(widget)
    widget.plot([0, 1, 2], [0.0001, 0.0003, 0.0004])
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    axis = widget.getPlotItem().getAxis("left")
    assert axis.labelText == "w"
    assert axis.autoSIPrefixScale == 1.0
    theme_manager().set_mode("dark")  # restyling must not switch rescaling back on
    widget.getPlotItem().vb.autoRange()
    assert axis.autoSIPrefixScale == 1.0
    theme_manager().set_mode("system")


def test_stems_draw_a_line_from_the_baseline_to_each_sample(qtbot):
    widget = make_plot()
    qtbot.addWidget(widget)
    stems = Stems(widget.getPlotItem(), "#0072B2", baseline=0.5)
    stems.setData([0, 1, 2], [1.0, -2.0, 0.5])
    x, _ = stems.getData()
    np.testing.assert_array_equal(x, [0, 1, 2])
    lx, ly = stems.lines.getData()
    np.testing.assert_array_equal(lx, [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(ly, [0.5, 1.0, 0.5, -2.0, 0.5, 0.5])
    _, hy = stems.heads.getData()
    np.testing.assert_array_equal(hy, [1.0, -2.0, 0.5])


def test_legend_text_follows_the_theme(qtbot):
    from convlab.gui.theme import DARK, LIGHT

    theme_manager().set_mode("light")
    widget = make_plot("p", "x", "y", legend=True)
    qtbot.addWidget(widget)
    widget.plot([0, 1], [0, 1], name="rising")
    label = widget.getPlotItem().legend.items[0][1]
    assert LIGHT.foreground.lower() in label.item.toHtml().lower()
    theme_manager().set_mode("dark")
    assert DARK.foreground.lower() in label.item.toHtml().lower()
    theme_manager().set_mode("system")
