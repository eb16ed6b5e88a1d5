"""Colour maps and image-plot helpers shared by the MNIST lab's figure and statistics views."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtGui import QFont, QFontMetricsF

from convlab.gui.plots import style_plot
from convlab.gui.theme import theme_manager

from .colors import FRAME, MARK, lab_color

__all__ = ["DIVERGING", "GREY_LUT", "MASK_COLOR", "diverging_lut", "frame", "image_plot",
           "mark_pen", "set_title", "title_width"]

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


TITLE_POINTS = 11.5  # the figure's titles, before the presentation scale


def _title_points(scaled: bool) -> float:
    return round(TITLE_POINTS * (theme_manager().scale if scaled else 1.0))


def title_width(text: str, scaled: bool = True) -> float:
    """Width in pixels of ``text`` written as a figure title (at the presentation scale,
    unless ``scaled`` is false)."""
    font = QFont()
    font.setPointSizeF(_title_points(scaled))
    return QFontMetricsF(font).horizontalAdvance(text)


def set_title(plot: pg.PlotItem, title: str, reserve: float | None = None,
              scaled: bool = True) -> None:
    """Change a styled plot's title (kept when the theme changes).

    ``reserve``: the width (pixels) the title claims in the layout whatever its
    text, so a grid of plots does not shift when titles change width.
    ``scaled=False`` writes it at the normal size even in presentation mode
    (a figure too narrow for the larger text).
    """
    plot.setProperty("convlab_title", title)
    mgr = theme_manager()
    plot.setTitle(title, color=mgr.theme.foreground, size=f"{_title_points(scaled):.0f}pt")
    if reserve is not None:
        label = plot.titleLabel
        label.setMinimumWidth(reserve)
        label.setPreferredWidth(reserve)
        label.resizeEvent(None)  # centre the text in the reserved width


def frame(image: pg.ImageItem) -> None:
    """Outline ``image`` in the current look, so an all-white (or black) image shows its edge."""
    image.setBorder(pg.mkPen(lab_color(FRAME, theme_manager().theme.dark), width=1))


def mark_pen() -> pg.QtGui.QPen:
    """The pen of the hovered pixel's outline (≥ 3:1 on black, white and both backgrounds)."""
    return pg.mkPen(lab_color(MARK, theme_manager().theme.dark), width=2)
