"""Axes of the Signals & Kernels lab's stem plots: whole-number index ticks, steady value ranges.

* :class:`IndexAxis` labels an index axis (sample t, tap j, output i) with whole
  numbers only — never 0.5 — at a spacing of 1, 2, 5, 10, … chosen so the labels
  fit the plot's width (presentation mode's larger text gets fewer), and sets
  the axis range to the samples (an empty plot shows 0…1, not an impossible
  range).
* :class:`SteadyRange` keeps the value axis still while the data moves inside
  it: the range changes only when the data leaves it or fills less than a third
  of it, and then to round numbers. Typing a kernel no longer re-lays out and
  repaints the axes at every keystroke, and the reader's eye is not thrown.
* :func:`cache_axes` caches each axis's drawing (an axis is repainted only when
  its ticks change).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QGraphicsItem

__all__ = ["IndexAxis", "SteadyRange", "cache_axes", "index_step", "steady_bounds"]

_STEPS = (1, 2, 5)


def index_step(count: int, fits: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, … that labels ``count`` indices with at most ``fits``."""
    fits = max(fits, 2)
    scale = 1
    while True:
        for step in _STEPS:
            if math.ceil(count / (step * scale)) <= fits:
                return step * scale
        scale *= 10


def steady_bounds(low: float, high: float, shown: tuple[float, float] | None
                  ) -> tuple[float, float]:
    """The value range to show for data spanning ``[low, high]`` (0 always included).

    ``shown`` (the range shown now) is kept while it holds the data and the data
    fills at least a third of it; otherwise the data plus a tenth on each side,
    widened to multiples of a round step (1, 2 or 5 × 10ⁿ).

    >>> steady_bounds(-1.0, 0.75, None)
    (-1.5, 1.0)
    >>> steady_bounds(-1.0, 0.5, (-1.5, 1.0))
    (-1.5, 1.0)
    """
    low, high = min(low, 0.0), max(high, 0.0)
    if shown is not None:
        lo, hi = shown
        if lo <= low and high <= hi and (high - low) >= (hi - lo) / 3:
            return shown
    span = high - low
    if span <= 0:
        return (-1.0, 1.0)
    pad = span / 10
    raw = (span + 2 * pad) / 5  # about five ticks
    scale = 10.0 ** math.floor(math.log10(raw))
    step = next(s * scale for s in (1, 2, 5, 10) if s * scale >= raw)
    lo = math.floor(round((low - pad) / step, 9)) * step
    hi = math.ceil(round((high + pad) / step, 9)) * step
    return (round(lo, 12), round(hi, 12))


class IndexAxis:
    """Whole-number ticks on a plot's bottom axis, and its range, for ``count`` indices."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self._plot = plot
        self._axis = plot.getPlotItem().getAxis("bottom")
        self._shown: tuple[int, int, int] | None = None

    def show(self, count: int, start: int = 0) -> None:
        """Label ``start … start + count − 1`` (set only on a change: new ticks cost a repaint)."""
        label = self._axis.fontMetrics().horizontalAdvance if hasattr(
            self._axis, "fontMetrics") else None
        width = max(self._plot.width() - 60, 100)
        digits = len(str(abs(start) + count)) + 1
        per_label = (label("0" * digits) if label else 8 * digits) + 14
        step = index_step(count, width // per_label)
        if self._shown == (count, start, step):
            return
        self._shown = (count, start, step)
        first = math.ceil(start / step) * step
        self._axis.setTicks([[(i, str(i)) for i in range(first, start + count, step)], []])
        box = self._plot.getPlotItem().getViewBox()
        box.disableAutoRange(pg.ViewBox.XAxis)
        if count:
            box.setXRange(start - 0.6, start + count - 0.4, padding=0)
        else:
            box.setXRange(0, 1, padding=0)


class SteadyRange:
    """The value (y) range of a stem plot, kept still while the data stays inside it."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self._box = plot.getPlotItem().getViewBox()
        self._box.disableAutoRange(pg.ViewBox.YAxis)
        self.shown: tuple[float, float] | None = None
        self.frozen = False  # during a drag: the range stays where the gesture began

    def fit(self, *arrays: np.ndarray) -> None:
        """Show the values of ``arrays`` (all of them; empty ones ignored)."""
        if self.frozen:
            return
        values = [a for a in arrays if a.size]
        low = min((float(a.min()) for a in values), default=0.0)
        high = max((float(a.max()) for a in values), default=0.0)
        bounds = steady_bounds(low, high, self.shown)
        if bounds != self.shown:
            self.shown = bounds
            self._box.setYRange(*bounds, padding=0)


def cache_axes(plot: pg.PlotWidget) -> None:
    """Cache the drawing of the plot's axes: a data change inside the view repaints none."""
    for name in ("left", "bottom"):
        plot.getPlotItem().getAxis(name).setCacheMode(
            QGraphicsItem.CacheMode.DeviceCoordinateCache)
