"""The loss per batch (and smoothed) and the train/test accuracy per evaluation, by epoch.

When the timeline shows an earlier step, a cursor (a vertical line on both
plots, the test accuracy there written beside it) marks that step; live, there
is none.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from convlab.gui.plots import make_plot
from convlab.gui.theme import series_color, theme_manager

from .run import Snapshot

__all__ = ["SMOOTHING", "TrainingCurves", "smoothed"]

#: Weight of the newest batch in the smoothed loss (an exponential moving average).
SMOOTHING = 0.05


def smoothed(values: NDArray, weight: float = SMOOTHING, start: list[float] | None = None
             ) -> list[float]:
    """Exponential moving average, ``s_0 = v_0``, ``s_i = (1 − w)·s_{i−1} + w·v_i``.

    ``start``: the averages of the first ``len(start)`` values, already computed (only the
    new values are averaged then: a live curve grows by a few points a frame).
    """
    out = list(start or [])
    keep = 1.0 - weight
    for v in np.asarray(values, dtype=float)[len(out):].tolist():
        out.append(v if not out else keep * out[-1] + weight * v)
    return out


class TrainingCurves(QWidget):
    """Two plots: loss (batches faint, smoothed bold) and accuracy (train, test)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = make_plot("Loss", "epoch", "cross-entropy", legend=True)
        self.accuracy_plot = make_plot("Accuracy", "epoch", "correct (%)", legend=True)
        self.loss_plot.setToolTip("Softmax cross-entropy of each batch (faint) and its moving "
                                  "average")
        self.accuracy_plot.setToolTip("Test accuracy at each evaluation (4 per epoch), and the "
                                      "training accuracy so far in the epoch")
        self.batch_loss = self.loss_plot.plot(name="batch")
        self.smooth_loss = self.loss_plot.plot(name="smoothed")
        # train and test differ by dash and marker too, not by colour alone
        self.train_acc = self.accuracy_plot.plot(name="train (this epoch)", symbol="t",
                                                 symbolSize=7)
        self.test_acc = self.accuracy_plot.plot(name="test", symbol="o", symbolSize=6)
        self._smooth: list[float] = []
        self._cursor_step: int | None = None
        label = {"position": 0.1, "anchors": [(0, 1), (0, 1)]}
        self.loss_cursor = pg.InfiniteLine(angle=90, movable=False, label="", labelOpts=label)
        self.accuracy_cursor = pg.InfiniteLine(angle=90, movable=False, label="",
                                               labelOpts=label)
        for plot, line in ((self.loss_plot, self.loss_cursor),
                           (self.accuracy_plot, self.accuracy_cursor)):
            plot.addItem(line, ignoreBounds=True)
            line.setVisible(False)
        self.accuracy_plot.setYRange(0, 100)
        self.accuracy_plot.getPlotItem().getViewBox().setLimits(yMin=-5, yMax=105)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.accuracy_plot)
        self.recolor()

    def recolor(self) -> None:
        """Series colours of the current look."""
        loss, test, train = series_color(0), series_color(1), series_color(2)
        faint = pg.mkColor(loss)
        faint.setAlpha(70)
        self.batch_loss.setPen(pg.mkPen(faint, width=1))
        self.smooth_loss.setPen(pg.mkPen(loss, width=2.5))
        self.test_acc.setPen(pg.mkPen(test, width=2.5))
        self.test_acc.setSymbolBrush(test)
        self.test_acc.setSymbolPen(test)
        self.train_acc.setPen(pg.mkPen(train, width=1.5, style=Qt.PenStyle.DashLine))
        self.train_acc.setSymbolBrush(train)
        self.train_acc.setSymbolPen(train)
        fg = theme_manager().theme.foreground
        for line in (self.loss_cursor, self.accuracy_cursor):
            line.setPen(pg.mkPen(fg, width=1.5, style=Qt.PenStyle.DashLine))
            line.label.setColor(fg)
            line.label.setFont(theme_manager().plot_font(0.8))

    def show_cursor(self, step: int | None, batches_per_epoch: int = 1,
                    test_accuracy: float = float("nan"), test_loss: float = float("nan")
                    ) -> None:
        """Mark ``step`` on both plots (at ``step / batches_per_epoch`` epochs), the test
        loss and accuracy there written beside it; None removes the cursor (live)."""
        self._cursor_step = step
        for line in (self.loss_cursor, self.accuracy_cursor):
            line.setVisible(step is not None)
            if step is not None:
                line.setValue(step / max(batches_per_epoch, 1))
        if step is not None:
            self.loss_cursor.label.setFormat(f"step {step:,}: test loss {test_loss:.3f}")
            self.accuracy_cursor.label.setFormat(
                f"step {step:,}: test {100 * test_accuracy:.1f} %")

    def cursor_step(self) -> int | None:
        """The step the cursor marks (None: no cursor, live)."""
        return self._cursor_step

    def cursor_texts(self) -> tuple[str, str]:
        """What is written beside the cursor on the loss and the accuracy plot (empty
        without a cursor)."""
        if self._cursor_step is None:
            return "", ""
        return self.loss_cursor.label.format, self.accuracy_cursor.label.format

    def show_snapshot(self, snap: Snapshot) -> None:
        per_epoch = max(snap.batches_per_epoch, 1)
        h = snap.history
        x = np.asarray(h["steps"], dtype=float) / per_epoch
        self.batch_loss.setData(x, h["loss"])
        if len(self._smooth) > len(h["loss"]):  # a new run
            self._smooth = []
        self._smooth = smoothed(h["loss"], start=self._smooth)
        self.smooth_loss.setData(x, self._smooth)
        ex = snap.evals["steps"] / per_epoch
        self.test_acc.setData(ex, 100 * snap.evals["test_accuracy"])
        train = 100 * snap.evals["train_accuracy"]
        ok = np.isfinite(train)
        self.train_acc.setData(ex[ok], train[ok])
