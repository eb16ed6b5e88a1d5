"""The confusion matrix on the test set; click a cell to see those digits, a digit to inspect it.

:class:`ConfusionView` draws ``confusion[true, predicted]`` with the counts
written in the cells and emits ``cell_clicked(true, predicted)``;
:class:`DigitMosaic` shows the test digits of one cell as thumbnails and emits
``digit_clicked(index)`` (an index into the test set).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from convlab.gui.plots import register_view, style_plot
from convlab.gui.theme import theme_manager

__all__ = ["ConfusionBox", "ConfusionView", "DigitMosaic"]

K = 10
_CELL = 30  # a 28-pixel digit and a 2-pixel gap
TITLE = "Confusion matrix (test set)"


class ConfusionView(pg.PlotWidget):
    """``confusion[true, predicted]`` as a heat map with the counts in the cells."""

    cell_clicked = pyqtSignal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        register_view(self)
        plot = self.getPlotItem()
        style_plot(plot, TITLE, "predicted", "true", grid=False)
        plot.invertY(True)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        ticks = [[(i + 0.5, str(i)) for i in range(K)]]
        plot.getAxis("bottom").setTicks(ticks)
        plot.getAxis("left").setTicks(ticks)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("CET-L17"))  # white → dark, light look too
        plot.addItem(self.image)
        plot.setRange(xRange=(0, K), yRange=(0, K), padding=0.02)
        self._texts = [[pg.TextItem("", anchor=(0.5, 0.5)) for _ in range(K)] for _ in range(K)]
        for r in range(K):
            for c in range(K):
                self._texts[r][c].setPos(c + 0.5, r + 0.5)
                plot.addItem(self._texts[r][c])
        self.counts = np.zeros((K, K), np.int64)
        self.restyle()
        self.setToolTip("Rows: the true digit; columns: what the network said. The diagonal "
                        "is right. Click a cell to see those digits")
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setMinimumSize(180, 140)  # room for the timeline at 1024×600 (presentation)

    def set_counts(self, counts: NDArray) -> None:
        """Show ``counts`` (a (10, 10) confusion matrix)."""
        self.counts = np.asarray(counts, dtype=np.int64).copy()
        top = max(int(self.counts.max(initial=0)), 1)
        shown = np.log1p(self.counts) / np.log1p(top)  # the small off-diagonal counts show too
        self.image.setImage(shown, levels=(0, 1))
        self.image.setRect(0, 0, K, K)
        for r in range(K):
            for c in range(K):
                n = int(self.counts[r, c])
                text = self._texts[r][c]
                label = str(n) if n else ""
                if text.toPlainText() != label:  # a text item re-lays itself out on each set
                    text.setText(label)
                color = "#FFFFFF" if shown[r, c] > 0.55 else "#202020"
                if text.color.name().upper() != color:
                    text.setColor(color)

    def set_title(self, title: str) -> None:
        """A new title over the matrix (e.g. which step it is of)."""
        style_plot(self.getPlotItem(), title, "predicted", "true", grid=False)

    def title(self) -> str:
        return str(self.getPlotItem().property("convlab_title"))

    def restyle(self) -> None:
        """The counts' font at the current text scale."""
        font = theme_manager().plot_font(0.75)
        for row in self._texts:
            for text in row:
                text.setFont(font)

    def _on_click(self, event) -> None:
        point = self.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        r, c = int(np.floor(point.y())), int(np.floor(point.x()))
        if 0 <= r < K and 0 <= c < K:
            self.cell_clicked.emit(r, c)


class DigitMosaic(pg.GraphicsLayoutWidget):
    """Digits as thumbnails in rows; click one to pick it."""

    digit_clicked = pyqtSignal(int)

    def __init__(self, per_row: int = 18, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        register_view(self)
        self.per_row = per_row
        self.indices: list[int] = []
        self._box = self.ci.addViewBox(lockAspect=True, enableMouse=False, enableMenu=False)
        self._box.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self._box.addItem(self.image)
        self.ci.setContentsMargins(2, 2, 2, 2)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setToolTip("Click a digit to see it inside the network")

    def set_digits(self, images: NDArray, indices: list[int]) -> None:
        """Show ``images`` ((N, 28, 28) uint8), which are the test digits ``indices``."""
        self.indices = list(indices)
        n = len(indices)
        rows = max(1, -(-n // self.per_row))
        mosaic = np.full((rows * _CELL, self.per_row * _CELL), 40, np.uint8)
        for i, img in enumerate(images):
            r, c = divmod(i, self.per_row)
            mosaic[r * _CELL + 1: r * _CELL + 29, c * _CELL + 1: c * _CELL + 29] = img
        self.image.setImage(mosaic, levels=(0, 255))
        self._box.autoRange(padding=0)

    def _on_click(self, event) -> None:
        point = self._box.mapSceneToView(event.scenePos())
        r, c = int(point.y() // _CELL), int(point.x() // _CELL)
        i = r * self.per_row + c
        if 0 <= c < self.per_row and 0 <= i < len(self.indices) and point.y() >= 0:
            self.digit_clicked.emit(self.indices[i])


class ConfusionBox(QWidget):
    """The matrix, a caption and the digits of the clicked cell."""

    #: A test digit was picked (its index in the test set).
    digit_chosen = pyqtSignal(int)

    MAX_SHOWN = 36

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = ConfusionView()
        self.caption = QLabel("Train, then click a cell to see its digits.")
        self.caption.setWordWrap(True)
        self.mosaic = DigitMosaic()
        self._predictions = np.zeros(0, np.intp)
        self._labels = np.zeros(0, np.intp)
        self._images = np.zeros((0, 28, 28), np.uint8)
        self._cell: tuple[int, int] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.matrix, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.mosaic)
        self.mosaic.setFixedHeight(60)
        self.matrix.cell_clicked.connect(self.show_cell)
        self.mosaic.digit_clicked.connect(self.digit_chosen)

    def set_test_digits(self, images: NDArray, labels: NDArray) -> None:
        self._images, self._labels = images, np.asarray(labels, np.intp)

    def set_evaluation(self, confusion: NDArray, predictions: NDArray) -> None:
        """Show a new evaluation (and refresh the digits of the chosen cell)."""
        self.matrix.set_counts(confusion)
        self._predictions = np.asarray(predictions, np.intp)
        if self._cell is not None:
            self.show_cell(*self._cell)

    def show_step_note(self, step: int | None) -> None:
        """Say over the matrix which step it is of (None: the plain title, live). Short: a
        title wider than the plot would push the matrix out of its box."""
        self.matrix.set_title(TITLE if step is None else f"Confusion matrix at step {step:,}")

    def clear(self) -> None:
        self.matrix.set_counts(np.zeros((K, K)))
        self._predictions = np.zeros(0, np.intp)
        self._cell = None
        self.mosaic.set_digits(np.zeros((0, 28, 28), np.uint8), [])
        self.caption.setText("Train, then click a cell to see its digits.")

    def cell_indices(self, true: int, predicted: int) -> NDArray:
        """Test indices of the digits labelled ``true`` that the network called ``predicted``."""
        if len(self._predictions) != len(self._labels):
            return np.zeros(0, np.intp)
        return np.flatnonzero((self._labels == true) & (self._predictions == predicted))

    def show_cell(self, true: int, predicted: int) -> None:
        self._cell = (true, predicted)
        idx = self.cell_indices(true, predicted)
        shown = idx[: self.MAX_SHOWN]
        self.mosaic.set_digits(self._images[shown], shown.tolist())
        what = "right" if true == predicted else f"taken for {predicted}"
        more = f", the first {len(shown)} shown" if len(idx) > len(shown) else ""
        self.caption.setText(f"{len(idx)} test digit(s) {true} {what}{more}. "
                             "Click one to see it inside the network.")
