"""Per-class statistics view: a 10 × K grid of mean responses and a bar chart."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

import convlab.core as cc

from .mnist_figure import _DIVERGING, _image_plot, diverging_lut
from .plots import make_plot, register_view
from .theme import series_color, theme_manager

__all__ = ["StatisticsView"]


class StatisticsView(QWidget):
    """Shows a :class:`convlab.core.DetectorStats`.

    Left: for each class (rows 0–9) and detector (columns) the mean response
    map, on one symmetric colour scale. Right: the fraction of response pixels
    above the threshold, per class, one bar per detector; below it, which
    detector fires most for each class.
    """

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stats: cc.DetectorStats | None = None
        self.grid = pg.GraphicsLayoutWidget()
        register_view(self.grid)
        self.grid.setToolTip(
            "Mean response of each detector over all digits of each class "
            "(red: positive, blue: negative)"
        )
        layout = self.grid.ci
        layout.setSpacing(1)
        self.col_titles = []
        for j, name in enumerate(names):
            label = layout.addLabel(name, row=0, col=j + 1)
            self.col_titles.append(label)
        self.row_titles = []
        self.images: list[list[pg.ImageItem]] = []
        for c in range(10):
            self.row_titles.append(layout.addLabel(f"{c}", row=c + 1, col=0))
            row = []
            for j in range(len(names)):
                plot = _image_plot(layout, c + 1, j + 1, "")
                img = pg.ImageItem(axisOrder="row-major")
                img.setLookupTable(diverging_lut())
                plot.addItem(img)
                row.append(img)
            self.images.append(row)
        for j in range(len(names)):
            layout.layout.setColumnStretchFactor(j + 1, 1)
        self.colorbar = pg.ColorBarItem(
            colorMap=_DIVERGING, interactive=False, width=12, label="mean response"
        )
        self.colorbar.setImageItem([img for row in self.images for img in row])
        layout.addItem(self.colorbar, row=1, col=len(names) + 1, rowspan=10)

        self.bars_plot = make_plot(
            "Pixels above threshold", "digit class", "% of response pixels", legend=True
        )
        self.bars_plot.getPlotItem().getAxis("bottom").setTicks([[(c, str(c)) for c in range(10)]])
        self.bars: list[pg.BarGraphItem] = []
        width = 0.8 / len(names)
        for j, name in enumerate(names):
            x = np.arange(10) + (j - (len(names) - 1) / 2) * width
            bar = pg.BarGraphItem(x=x, height=np.zeros(10), width=width, name=name)
            self.bars_plot.addItem(bar)
            self.bars.append(bar)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.bars_plot, 3)
        rl.addWidget(self.summary, 2)
        splitter = QSplitter()
        splitter.addWidget(self.grid)
        splitter.addWidget(right)
        splitter.setSizes([500, 400])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(splitter)
        self.recolor()

    def recolor(self) -> None:
        fg = theme_manager().theme.foreground
        for label in self.col_titles + self.row_titles:
            label.setText(label.text, color=fg)
        for j, bar in enumerate(self.bars):
            bar.setOpts(brush=series_color(j), pen=pg.mkPen(None))

    def set_stats(self, stats: cc.DetectorStats) -> None:
        self.stats = stats
        finite = np.abs(stats.mean_response[np.isfinite(stats.mean_response)])
        # a robust scale: a few extreme pixels should not wash out every map
        bound = float(np.percentile(finite, 99.5)) if finite.size else 1.0
        bound = bound or 1.0
        self.colorbar.setLevels((-bound, bound))
        blank = np.zeros(stats.mean_response.shape[2:])
        for c in range(10):
            for j, img in enumerate(self.images[c]):
                data = stats.mean_response[c, j]
                img.setImage(
                    data if np.isfinite(data).all() else blank,
                    levels=(-bound, bound),
                    autoLevels=False,
                )
        fractions = 100 * np.nan_to_num(stats.fraction_above)
        for j, bar in enumerate(self.bars):
            bar.setOpts(height=fractions[:, j])
        # head room above the bars for the legend
        self.bars_plot.setYRange(0, 1.5 * max(float(fractions.max()), 1e-3), padding=0)
        rows = []
        for c in range(10):
            if stats.counts[c] == 0:
                rows.append(f"<tr><td><b>{c}</b></td><td colspan=2>no digits</td></tr>")
                continue
            j = int(np.argmax(stats.fraction_above[c]))
            rows.append(
                f"<tr><td><b>{c}</b></td><td>{html.escape(stats.names[j])}</td>"
                f"<td align=right>{100 * stats.fraction_above[c, j]:.2f} %</td>"
                f"<td align=right>{int(stats.counts[c]):,} digits</td></tr>"
            )
        self.summary.setText(
            f"<b>Most active detector per class</b> (threshold {stats.level:g}, {stats.mode} "
            f"{'convolution' if stats.flip else 'correlation'}):"
            f"<table cellspacing=0 cellpadding=3>{''.join(rows)}</table>"
        )
