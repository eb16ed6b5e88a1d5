"""Themed, labelled pyqtgraph plots and a stem-plot helper.

Every plot made here (or passed to :func:`style_plot`) follows the light/dark
look and the presentation text scale of :mod:`convlab.gui.theme`. Plot items
are created once and updated with ``setData``; nothing here redraws on its own.
Right-click → Export on any plot saves PNG (pyqtgraph's exporter) or SVG
(:mod:`convlab.gui.svg_export`, in place of pyqtgraph's, which fails under Qt 6.11).
"""

from __future__ import annotations

import weakref

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from PyQt6 import sip

from . import svg_export
from .theme import theme_manager

__all__ = ["Stems", "make_plot", "register_view", "set_title", "style_plot"]

pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")
svg_export.install()

_views: weakref.WeakSet[pg.GraphicsView] = weakref.WeakSet()
_plots: weakref.WeakSet[pg.PlotItem] = weakref.WeakSet()
_connected = False


def _ensure_connected() -> None:
    global _connected
    if not _connected:
        theme_manager().changed.connect(_restyle_all)
        _connected = True


def register_view(view: pg.GraphicsView) -> pg.GraphicsView:
    """Make ``view``'s background follow the theme (PlotWidget, GraphicsLayoutWidget …)."""
    _ensure_connected()
    _views.add(view)
    view.setBackground(theme_manager().theme.background)
    return view


def style_plot(
    plot: pg.PlotItem,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    x_units: str | None = None,
    y_units: str | None = None,
    grid: bool = True,
) -> pg.PlotItem:
    """Label a :class:`pyqtgraph.PlotItem` and make it follow the theme and text scale."""
    _ensure_connected()
    plot.setProperty("convlab_title", title)
    plot.getAxis("bottom").setLabel(x_label, units=x_units)
    plot.getAxis("left").setLabel(y_label, units=y_units)
    if grid:
        plot.showGrid(x=True, y=True, alpha=theme_manager().theme.grid_alpha)
    plot.setMenuEnabled(True)
    _plots.add(plot)
    _restyle_plot(plot)
    return plot


def make_plot(
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    x_units: str | None = None,
    y_units: str | None = None,
    parent=None,
    legend: bool = False,
) -> pg.PlotWidget:
    """A themed :class:`pyqtgraph.PlotWidget` with a title and labelled axes."""
    widget = pg.PlotWidget(parent=parent)
    register_view(widget)
    item = widget.getPlotItem()
    style_plot(item, title, x_label, y_label, x_units, y_units)
    if legend:
        item.addLegend(offset=(10, 10))
        _restyle_plot(item)
    return widget


def set_title(plot: pg.PlotItem, title: str) -> None:
    """Change a styled plot's title; it keeps the theme's colour and size, also after a restyle."""
    plot.setProperty("convlab_title", title)
    _set_title(plot)


def _set_title(plot: pg.PlotItem) -> None:
    mgr = theme_manager()
    title = plot.property("convlab_title") or ""
    size = f"{10.0 * mgr.scale * 1.15:.0f}pt"
    plot.setTitle(title or None, color=mgr.theme.foreground, size=size)


def _restyle_plot(plot: pg.PlotItem) -> None:
    mgr = theme_manager()
    theme = mgr.theme
    fg = theme.foreground
    label_pt = 10.0 * mgr.scale
    _set_title(plot)
    tick_font = mgr.plot_font(0.9)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(fg))
        axis.setTextPen(pg.mkPen(fg))
        axis.setTickFont(tick_font)
        # fewer ticks when the text is larger, so that labels never run together
        axis.setTickDensity(1.0 / mgr.scale)
        if axis.labelText or axis.labelUnits:
            axis.setLabel(
                axis.labelText,
                units=axis.labelUnits or None,
                **{"color": fg, "font-size": f"{label_pt:.0f}pt"},
            )
        # Without units, write the values themselves: no "(x0.001)" rescaling of small ranges.
        # pyqtgraph 0.14 recomputes the SI scale from the current range even when the
        # prefix is disabled (a ±0.4 axis then reads ±400 for ever): so also allow the
        # prefix in no range at all.
        axis.setSIPrefixEnableRanges(None if axis.labelUnits else ())
        axis.enableAutoSIPrefix(bool(axis.labelUnits))
    if plot.ctrl.xGridCheck.isChecked() or plot.ctrl.yGridCheck.isChecked():
        plot.showGrid(
            x=plot.ctrl.xGridCheck.isChecked(),
            y=plot.ctrl.yGridCheck.isChecked(),
            alpha=theme.grid_alpha,
        )
    legend = plot.legend
    if legend is not None:
        legend.setLabelTextColor(fg)
        legend.setLabelTextSize(f"{label_pt * 0.9:.1f}pt")
        for _sample, label in legend.items:  # existing labels keep their colour until redrawn
            label.setText(label.text)
        legend.setBrush(pg.mkBrush(theme.background + "C0"))


def _restyle_all() -> None:
    background = theme_manager().theme.background
    for view in list(_views):
        if sip.isdeleted(view):
            _views.discard(view)
        else:
            view.setBackground(background)
    for plot in list(_plots):
        if sip.isdeleted(plot):
            _plots.discard(plot)
        else:
            _restyle_plot(plot)


class Stems:
    """A stem plot (a line from a baseline to each sample, with a marker on top).

    Two items are added to ``plot`` — the stems and the heads — so autorange
    and the legend see them like any curve.
    """

    def __init__(
        self,
        plot: pg.PlotItem,
        color: str,
        name: str | None = None,
        symbol: str = "o",
        size: float = 9,
        baseline: float = 0.0,
        width: float = 2,
    ) -> None:
        self.baseline = baseline
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self.lines = pg.PlotCurveItem(connect="pairs")
        self.heads = pg.ScatterPlotItem(symbol=symbol, size=size, name=name)
        plot.addItem(self.lines)
        plot.addItem(self.heads)  # a named item joins the plot's legend, if it has one
        self._width = width
        self.set_color(color)

    def set_color(self, color: str) -> None:
        self.lines.setPen(pg.mkPen(color, width=self._width))
        self.heads.setPen(pg.mkPen(color))
        self.heads.setBrush(pg.mkBrush(color))

    def setData(self, x: ArrayLike, y: ArrayLike) -> None:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self._x, self._y = x, y
        xs = np.repeat(x, 2)
        ys = np.empty(2 * len(y))
        ys[0::2] = self.baseline
        ys[1::2] = y
        self.lines.setData(xs, ys)
        self.heads.setData(x, y)

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def setVisible(self, visible: bool) -> None:
        self.lines.setVisible(visible)
        self.heads.setVisible(visible)

