"""Axes of the Gradient Descent lab's plots: plain tick labels, short step counts, 1-2-5 limits."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtCore import Qt

__all__ = ["SERIES_SYMBOLS", "BelowLegend", "IndexAxis", "PlainAxis", "StepAxis", "legend_below",
           "nice_ceiling", "series_dash", "set_title"]

#: A marker per series (race contenders' current points): a cue besides the colour.
SERIES_SYMBOLS = ("o", "s", "t", "d", "h")


def series_dash(index: int) -> Qt.PenStyle:
    """A line style per series, a second cue besides the colour.

    Series 0 and 3 (race contenders 1 and 4) and 0 and 2 (w1 and the third parameter)
    are too alike in colour for some colour-blind eyes (issue 21): they differ in dash.
    """
    styles = (Qt.PenStyle.SolidLine, Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine,
              Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine)
    return styles[index % len(styles)]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is >= ``value`` (> 0): axis limits that change rarely.

    >>> nice_ceiling(0.3), nice_ceiling(2.0), nice_ceiling(1234)
    (0.5, 2.0, 2000.0)
    """
    exponent = math.floor(math.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        limit = mantissa * 10.0**exponent
        if limit >= value * (1 - 1e-12):
            return limit
    return 10.0 ** (exponent + 1)


class PlainAxis(pg.AxisItem):
    """An axis that writes the values themselves.

    pyqtgraph rescales an axis spanning less than 1 (ticks 400, 200 and a
    "(x0.001)" note), which is confusing next to weights like 0.4; and every
    ``setLabel`` (the theme restyles labels) would switch that back on.
    """

    def getSIPrefixEnableRanges(self):
        return ()

    def logTickStrings(self, values, scale, spacing):
        """On a log axis label only 1, 2 and 5 × 10^k: all nine minor ticks overlap."""
        strings = super().logTickStrings(values, scale, spacing)
        mantissas = [round(10 ** (float(v) % 1), 6) for v in values]
        return [text if m in (1.0, 2.0, 5.0) else "" for text, m in zip(strings, mantissas,
                                                                     strict=True)]


class IndexAxis(PlainAxis):
    """An axis of whole numbers (sample index, test signal, step): no 0.5 or 1.5 ticks."""

    def tickValues(self, minVal, maxVal, size):
        if self.logMode:
            return super().tickValues(minVal, maxVal, size)
        levels = [(spacing, [v for v in values if float(v).is_integer()])
                  for spacing, values in super().tickValues(minVal, maxVal, size)
                  if spacing >= 1]
        levels = [(spacing, values) for spacing, values in levels if values]
        if not levels:  # zoomed in closer than one unit: the whole numbers in view
            values = list(range(math.ceil(minVal), math.floor(maxVal) + 1))
            levels = [(1.0, values)] if values else []
        return levels


class StepAxis(IndexAxis):
    """A step-count axis that writes 20000 as 20k and 1500000 as 1.5M (narrow plots)."""

    def tickStrings(self, values, scale, spacing):
        top = max((abs(v) for v in values), default=0)
        if top < 10_000:
            return super().tickStrings(values, scale, spacing)
        unit, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k")
        return [f"{v / unit:g}{suffix}" for v in values]


def set_title(plot: pg.PlotItem, text: str) -> None:
    """A new title in the style the theme gave the plot (a restyle keeps it).

    Read-outs go in the title, above the data, never on it.
    """
    if plot.property("convlab_title") != text:
        plot.setProperty("convlab_title", text)
        plot.titleLabel.setText(text)


class BelowLegend(pg.LegendItem):
    """A legend in its own row under a plot's x axis: it never covers a curve.

    As many columns as fit the plot's width (at most :meth:`set_max_columns`),
    so a narrow plot gets two rows rather than a clipped "w5".
    """

    def __init__(self, plot: pg.PlotItem, max_columns: int) -> None:
        super().__init__(colCount=max_columns, horSpacing=6, frame=False)
        self.layout.setContentsMargins(0, 0, 0, 0)
        self._plot = plot
        self._max_columns = max_columns
        plot.layout.addItem(self, 4, 1)
        plot.layout.setAlignment(self, Qt.AlignmentFlag.AlignHCenter)
        plot.legend = self  # named items added to the plot join it; the theme restyles it
        plot.getViewBox().sigResized.connect(self.fit)

    def restyle(self, scale: float) -> None:
        """Labels at the theme's text scale (larger in presentation mode)."""
        size = f"{9 * scale:.0f}pt"
        self.opts["labelTextSize"] = size
        for _sample, label in self.items:
            label.setText(label.text, size=size)
        self.updateSize()
        self.fit()

    def set_max_columns(self, columns: int) -> None:
        self._max_columns = max(1, columns)
        self.fit()

    def addItem(self, item, name):
        super().addItem(item, name)  # labels take opts["labelTextSize"]
        self.fit()

    def _addItemToLayout(self, sample, label):
        """Entry ``i`` at row ``i // columns``: the same place however the columns changed."""
        row, col = divmod(len(self.items) - 1, self.columnCount)
        self.layout.addItem(sample, row, 2 * col, alignment=Qt.AlignmentFlag.AlignVCenter)
        self.layout.addItem(label, row, 2 * col + 1)
        self.rowCount = row + 1

    def setColumnCount(self, columnCount):
        self.columnCount = max(1, columnCount)
        for i in range(self.layout.count() - 1, -1, -1):
            self.layout.removeAt(i)
        items, self.items = self.items, []
        for sample, label in items:
            self.items.append((sample, label))
            self._addItemToLayout(sample, label)
        self.updateSize()

    def updateSize(self):
        """Ask the plot's layout for the room the entries need (pyqtgraph would set a
        geometry at (0, 0) of its own, over the plot)."""
        self.layout.invalidate()
        hint = self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.setPreferredSize(hint)
        self.setMinimumHeight(hint.height())
        self.setMaximumHeight(hint.height())
        self.updateGeometry()

    def fit(self, *_args) -> None:
        """As many columns as fit the plot's width."""
        widths = [sample.boundingRect().width() + label.item.boundingRect().width() + 12
                  for sample, label in self.items]
        room = self._plot.getViewBox().width() or 1e9
        columns = max(1, min(self._max_columns, len(widths)))
        while columns > 1 and sum(max(widths[c::columns]) for c in range(columns)) > room:
            columns -= 1
        if columns != self.columnCount:
            self.setColumnCount(columns)


def legend_below(plot: pg.PlotItem, columns: int) -> BelowLegend:
    """A :class:`BelowLegend` for ``plot`` with at most ``columns`` columns."""
    return BelowLegend(plot, columns)
