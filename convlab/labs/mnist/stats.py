"""The MNIST lab's statistics tab: per-class detector statistics over the data set.

:class:`StatisticsView` shows a :class:`convlab.core.DetectorStats` (a 10 × K
grid of mean responses and a bar chart); :class:`StatisticsMixin` builds the
tab around it and computes the statistics in the background for
:class:`~convlab.labs.mnist.panel.MnistPanel`.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
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

from .figure import _DIVERGING, _image_plot, diverging_lut
from .layout import button
from .model import STATS_SPLITS

__all__ = ["StatisticsMixin", "StatisticsView"]


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


def _statistics_job(
    data: cc.MnistDataset,
    split: str,
    kernels: dict[str, NDArray],
    level: float,
    mode: str,
    flip: bool,
    *,
    progress,
    cancel,
) -> cc.DetectorStats:
    """Background job: detector statistics over one split or both."""
    if split == "both":
        images = np.concatenate([data.train_images, data.test_images])
        labels = np.concatenate([data.train_labels, data.test_labels])
    else:
        images, labels = data.split(split)
    return cc.detector_statistics(
        images, labels, kernels, level, mode, flip, progress=progress, cancel=cancel
    )


class StatisticsMixin:
    """The statistics tab of ``MnistPanel``, computed in the background.

    Uses the panel's ``state``, ``data``, ``stats``, ``tasks``, ``kernels``
    and ``status_message``.
    """

    def _build_stats_page(self, names: list[str]) -> QWidget:
        """The tab: split, Compute/Cancel, progress, status and a :class:`StatisticsView`."""
        self._stats_task = None
        self.stats_view = StatisticsView(names)
        self.follow_theme(self.stats_view.recolor)
        self.stats_split_combo = QComboBox()
        for key, text in STATS_SPLITS.items():
            self.stats_split_combo.addItem(text, key)
        self.stats_split_combo.setToolTip("Which digits to summarize")
        self.stats_split_combo.currentIndexChanged.connect(
            lambda _i: setattr(self.state, "stats_split", self.stats_split_combo.currentData())
        )
        self.stats_button = button(
            "Compute",
            "Convolve every digit with the four kernels and summarize per class, "
            "with the current threshold, mode and kernels",
            self.compute_statistics,
            "Ctrl+T",
        )
        self.stats_cancel = button("Cancel", "Stop the computation", self.cancel_statistics)
        self.stats_cancel.setEnabled(False)
        self.stats_progress = QProgressBar()
        self.stats_progress.setRange(0, 1000)
        self.stats_progress.setFormat("%p %")
        self.stats_status = QLabel("Not computed yet.")
        self.stats_status.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Over the"))
        top.addWidget(self.stats_split_combo)
        top.addWidget(self.stats_button)
        top.addWidget(self.stats_cancel)
        top.addWidget(self.stats_progress, 1)
        layout.addLayout(top)
        layout.addWidget(self.stats_status)
        layout.addWidget(self.stats_view, 1)
        return page

    def _sync_stats_widgets(self) -> None:
        """Put the state's statistics split into its combo box."""
        with QSignalBlocker(self.stats_split_combo):
            self.stats_split_combo.setCurrentIndex(
                self.stats_split_combo.findData(self.state.stats_split)
            )

    def compute_statistics(self) -> None:
        """Per-class statistics over the chosen split, in the background."""
        if self._stats_task is not None and self._stats_task.is_running():
            return
        s = self.state
        self.stats_button.setEnabled(False)
        self.stats_cancel.setEnabled(True)
        self.stats_progress.setValue(0)
        self.stats_status.setText("Computing…")
        self._stats_task = self.tasks.start(
            _statistics_job,
            self.data,
            s.stats_split,
            self.kernels(),
            s.threshold,
            s.mode,
            s.flip,
            on_result=self._on_stats,
            on_error=lambda msg, _d: self.stats_status.setText(f"Failed: {msg}"),
            on_progress=lambda f, _m: self.stats_progress.setValue(round(1000 * f)),
            on_cancelled=lambda: self.stats_status.setText("Cancelled."),
            on_finished=self._stats_done,
            name="detector statistics",
        )

    def _forget_statistics(self) -> None:
        """The digits changed: stop a computation in progress and drop the old result."""
        self.cancel_statistics()
        self.stats = None
        self.stats_status.setText("Not computed for these digits yet: press Compute.")

    def cancel_statistics(self) -> None:
        if self._stats_task is not None and self._stats_task.is_running():
            self._stats_task.cancel()

    def _stats_done(self) -> None:
        self.stats_button.setEnabled(True)
        self.stats_cancel.setEnabled(False)

    def _on_stats(self, stats: cc.DetectorStats) -> None:
        self.stats = stats
        self.stats_view.set_stats(stats)
        self.stats_progress.setValue(1000)
        self._update_stats_status()
        self.status_message.emit("Detector statistics ready")

    def _update_stats_status(self) -> None:
        stats, s = self.stats, self.state
        if stats is None:
            return
        same = (
            stats.level == s.threshold
            and stats.mode == s.mode
            and stats.flip == s.flip
            and np.array_equal(stats.kernels, np.array(s.kernels, dtype=float))
        )
        text = f"{int(stats.counts.sum()):,} digits from {self.data.source}."
        if not same:
            text += " Settings changed since: press Compute to update."
        self.stats_status.setText(text)
