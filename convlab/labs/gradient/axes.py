"""Axes of the Gradient Descent lab's plots: plain tick labels, short step counts, 1-2-5 limits."""

from __future__ import annotations

import math

import pyqtgraph as pg

__all__ = ["PlainAxis", "StepAxis", "nice_ceiling"]


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


class StepAxis(PlainAxis):
    """A step-count axis that writes 20000 as 20k and 1500000 as 1.5M (narrow plots)."""

    def tickStrings(self, values, scale, spacing):
        top = max((abs(v) for v in values), default=0)
        if top < 10_000:
            return super().tickStrings(values, scale, spacing)
        unit, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k")
        return [f"{v / unit:g}{suffix}" for v in values]
