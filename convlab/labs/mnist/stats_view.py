"""The MNIST lab's statistics tab: per-class detector statistics over the data set.

:class:`StatisticsView` shows a :class:`convlab.core.DetectorStats` (a 10 × K
grid of mean responses and a bar chart); :class:`StatisticsPage` is the tab
around it: the split to summarize, Compute / Cancel, progress and status of
the :class:`~convlab.labs.mnist.stats.StatisticsRun`. The page (40 plots) is
built when the tab is first shown; it then shows what the run already has.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.plots import make_plot, register_view
from convlab.gui.theme import series_color, theme_manager

from .layout import button
from .model import STATS_SPLITS, MnistState
from .plotting import DIVERGING, diverging_lut, frame, image_plot
from .stats import StatisticsRun

__all__ = ["StatisticsPage", "StatisticsView", "summary_html"]


def summary_html(stats: cc.DetectorStats) -> str:
    """For each class, the detector that fires most (and on how many pixels)."""
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
    return (
        f"<b>Most active detector per class</b> (threshold {stats.level:g}, {stats.mode} "
        f"{'convolution' if stats.flip else 'correlation'}):"
        f"<table cellspacing=0 cellpadding=3>{''.join(rows)}</table>"
    )


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
        self.grid.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # nothing to do with keys there
        self.grid.setToolTip(
            "Mean response of each detector over all digits of each class "
            "(red: positive, blue: negative)"
        )
        self.col_titles: list[pg.LabelItem] = []
        self.row_titles: list[pg.LabelItem] = []
        self.images: list[list[pg.ImageItem]] = []
        self._build_grid(names)
        self.bars_plot = make_plot(
            "Pixels above threshold", "digit class", "% of response pixels", legend=True
        )
        self.bars_plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.bars: list[pg.BarGraphItem] = []
        self._build_bars(names)
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

    def _build_grid(self, names: list[str]) -> None:
        """Detector names on top, classes on the left, one image per (class, detector)."""
        layout = self.grid.ci
        layout.setSpacing(1)
        for j, name in enumerate(names):
            self.col_titles.append(layout.addLabel(name, row=0, col=j + 1))
        lut = diverging_lut()
        for c in range(10):
            self.row_titles.append(layout.addLabel(f"{c}", row=c + 1, col=0))
            row = []
            for j in range(len(names)):
                plot = image_plot(layout, c + 1, j + 1, "")
                img = pg.ImageItem(axisOrder="row-major")
                img.setLookupTable(lut)
                plot.addItem(img)
                row.append(img)
            self.images.append(row)
        for j in range(len(names)):
            layout.layout.setColumnStretchFactor(j + 1, 1)
        self.colorbar = pg.ColorBarItem(
            colorMap=DIVERGING, interactive=False, width=12, label="mean response"
        )
        self.colorbar.setImageItem([img for row in self.images for img in row])
        layout.addItem(self.colorbar, row=1, col=len(names) + 1, rowspan=10)

    def _build_bars(self, names: list[str]) -> None:
        """One bar per (class, detector), grouped by class."""
        self.bars_plot.getPlotItem().getAxis("bottom").setTicks([[(c, str(c)) for c in range(10)]])
        width = 0.8 / len(names)
        for j, name in enumerate(names):
            x = np.arange(10) + (j - (len(names) - 1) / 2) * width
            bar = pg.BarGraphItem(x=x, height=np.zeros(10), width=width, name=name)
            self.bars_plot.addItem(bar)
            self.bars.append(bar)

    def recolor(self) -> None:
        """Titles in the theme's text colour, bars in the series colours."""
        fg = theme_manager().theme.foreground
        for label in self.col_titles + self.row_titles:
            label.setText(label.text, color=fg)
        for j, bar in enumerate(self.bars):
            bar.setOpts(brush=series_color(j), pen=pg.mkPen(None))
        for row in self.images:
            for img in row:
                frame(img)  # a white (zero) mean map still shows its edge

    def set_stats(self, stats: cc.DetectorStats) -> None:
        """Show ``stats``: mean-response maps, bars, summary."""
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
        self.summary.setText(summary_html(stats))


class StatisticsPage(QWidget):
    """The statistics tab: which digits, Compute / Cancel, progress, status, the view."""

    def __init__(
        self, model: MnistState, run: StatisticsRun, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._model = model
        self.view = StatisticsView(list(cc.LINE_DETECTORS))
        self.split_combo = QComboBox()
        for key, text in STATS_SPLITS.items():
            self.split_combo.addItem(text, key)
        self.split_combo.setToolTip("Which digits to summarize")
        self.split_combo.setAccessibleName("Digits to summarize")
        self.compute_button = button(
            "Compute",
            "Convolve every digit with the four kernels and summarize per class, "
            "with the current threshold, mode and kernels",
            run.compute,
            "Ctrl+T",
        )
        self.cancel_button = button("Cancel", "Stop the computation", run.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p %")
        self.progress.setAccessibleName("Statistics progress")
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Over the"))
        top.addWidget(self.split_combo)
        top.addWidget(self.compute_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress, 1)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        self.split_combo.currentIndexChanged.connect(
            lambda _i: setattr(model, "stats_split", self.split_combo.currentData())
        )
        model.events.stats_split.connect(self._on_stats_split_changed)
        run.busy_changed.connect(self._on_busy_changed)
        run.progress.connect(self._on_progress)
        run.status_changed.connect(self.status.setText)
        run.finished.connect(self.view.set_stats)
        self._on_stats_split_changed(model.stats_split, None)
        self._on_busy_changed(run.busy())
        self._on_progress(run.fraction())
        self.status.setText(run.status())
        if run.result is not None:
            self.view.set_stats(run.result)

    def _on_stats_split_changed(self, new: str, _old: str | None) -> None:
        with QSignalBlocker(self.split_combo):
            self.split_combo.setCurrentIndex(self.split_combo.findData(new))

    def _on_busy_changed(self, busy: bool) -> None:
        self.compute_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _on_progress(self, fraction: float) -> None:
        self.progress.setValue(round(1000 * fraction))
