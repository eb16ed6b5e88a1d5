"""Colour maps and image-plot helpers shared by the MNIST lab's figure and statistics views."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray

from convlab.gui.plots import style_plot
from convlab.gui.theme import theme_manager

__all__ = ["DIVERGING", "GREY_LUT", "MASK_COLOR", "diverging_lut", "image_plot", "set_title"]

#: Blue–white–red colour map for signed values (responses, kernels, mean responses).
DIVERGING = pg.colormap.get("CET-D1")
#: 256-entry grey lookup table (digits, masks).
GREY_LUT = np.repeat(np.arange(256, dtype=np.ubyte)[:, None], 3, axis=1)
#: Orange mask pixels, visible on grey ink.
MASK_COLOR = np.array([255, 140, 0], dtype=float)


def diverging_lut() -> NDArray:
    """256-entry blue–white–red lookup table (0 is white when levels are symmetric)."""
    return DIVERGING.getLookupTable(nPts=256)


def image_plot(layout: pg.GraphicsLayout, row: int, col: int, title: str, **kw) -> pg.PlotItem:
    """A themed plot at ``(row, col)`` of ``layout`` for one image: no axes, no mouse,
    square pixels, row 0 at the top."""
    plot = layout.addPlot(row=row, col=col, **kw)
    style_plot(plot, title, grid=False)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    vb = plot.getViewBox()
    vb.setAspectLocked(True)
    vb.invertY(True)
    vb.setDefaultPadding(0.02)
    return plot


def set_title(plot: pg.PlotItem, title: str) -> None:
    """Change a styled plot's title (kept when the theme changes)."""
    plot.setProperty("convlab_title", title)
    mgr = theme_manager()
    plot.setTitle(title, color=mgr.theme.foreground, size=f"{11.5 * mgr.scale:.0f}pt")
