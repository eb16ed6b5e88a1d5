"""A restyle (theme, presentation mode) never changes what an axis says (issue 16 §1).

Every axis without units must write the data's own values: its SI scale stays 1
whatever the data range, before and after every restyle, in every plot of every lab.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QSettings

from convlab.gui.plots import make_plot
from convlab.gui.theme import theme_manager
from convlab.shell.main_window import MainWindow


def _axes(widget):
    for view in widget.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                yield item


def _restyles():
    mgr = theme_manager()
    yield "dark"
    mgr.set_mode("dark")
    yield "presentation"
    mgr.set_scale(1.6)
    yield "back"
    mgr.set_scale(1.0)
    mgr.set_mode("light")


def test_small_values_keep_their_scale_after_a_theme_change(qapp):
    widget = make_plot("t", "index", "value")
    widget.plot(np.arange(8), 0.4 * np.sin(np.arange(8)))
    widget.getPlotItem().vb.autoRange()
    axis = widget.getPlotItem().getAxis("left")
    for _ in _restyles():
        qapp.processEvents()
        assert axis.autoSIPrefixScale == 1.0 and axis.labelUnitPrefix == ""
        values = [v for _, level in axis.tickValues(-0.4, 0.4, 400) for v in level]
        strings = axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, 0.1)
        assert max(abs(float(s.replace("−", "-"))) for s in strings) <= 0.5
    widget.close()


@pytest.fixture
def window(qapp, tmp_path):
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                     interactive=False)
    win.resize(1280, 820)
    win.build_all()
    win.show()
    yield win
    win.close()
    theme_manager().set_mode("light")
    theme_manager().set_scale(1.0)


def test_no_axis_of_any_lab_rescales_its_values(window, qapp):
    for _ in _restyles():
        for key in ("signals", "gradient", "mnist"):
            window.show_lab(key)
            qapp.processEvents()
        for key, panel in window.panels.items():
            for axis in _axes(panel):
                if not axis.labelUnits:
                    assert axis.autoSIPrefixScale == 1.0, (key, axis.labelText)
