"""One digit inside the network: every layer's feature maps, the class scores, the softmax.

:class:`DigitPicker` chooses the digit — a test or training digit of the
application's data, or your own drawing (classified live as you draw) — bound
to the model's ``split``, ``index``, ``digit_source`` and ``drawing``.
:class:`FeatureMaps` shows ``network.forward(x, keep=True)`` for it: a row
per image-shaped layer output (convolution, ReLU, pooling; each row on its
own symmetric colour scale), then the ten class scores and their softmax
probabilities as bars.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.gui.draw_canvas import DrawCanvas
from convlab.gui.plots import register_view, style_plot
from convlab.gui.theme import series_color, theme_manager

from .model import SPLITS, CNNState

__all__ = ["DigitPicker", "FeatureMaps"]

MAX_CHANNELS = 16
DRAWING_DECIMALS = 4


class DigitPicker(QGroupBox):
    """Which digit goes through the network: from the data set, or drawn."""

    def __init__(self, model: CNNState, data: DigitData, parent: QWidget | None = None) -> None:
        super().__init__("Digit", parent)
        self._model = model
        self._data = data
        self.split = QComboBox()
        for name, title in SPLITS.items():
            self.split.addItem(title, name)
        self.index = QSpinBox()
        self.index.setToolTip("Index of the digit in its set")
        self.index.setAccessibleName("Digit index")
        self.split.setAccessibleName("Digit set")
        self.index.setKeyboardTracking(False)
        self.previous_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.random_button = QPushButton("Random")
        self.previous_button.setToolTip("Previous digit")
        self.next_button.setToolTip("Next digit")
        self.random_button.setToolTip("A random digit of the set")
        self.use_drawing = QCheckBox("Use my drawing (classified as you draw)")
        self.canvas = DrawCanvas()
        self.canvas.set_image(np.array(model.drawing))
        self.clear_button = QPushButton("Clear drawing")
        self.label = QLabel()
        self.label.setWordWrap(True)
        nav = QHBoxLayout()
        for w in (self.previous_button, self.index, self.next_button, self.random_button):
            nav.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(self.split)
        layout.addLayout(nav)
        layout.addWidget(self.label)
        layout.addWidget(self.use_drawing)
        layout.addWidget(self.canvas)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        self._rng = np.random.default_rng()
        self._wire()

    def _wire(self) -> None:
        m = self._model
        self.split.currentIndexChanged.connect(
            lambda i: setattr(m, "split", self.split.itemData(i)))
        self.index.valueChanged.connect(lambda v: setattr(m, "index", int(v)))
        self.previous_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(+1))
        self.random_button.clicked.connect(self.random_digit)
        self.use_drawing.toggled.connect(
            lambda on: setattr(m, "digit_source", "drawing" if on else "dataset"))
        self.canvas.changed.connect(self._on_canvas_changed)
        self.clear_button.clicked.connect(self.canvas.clear)
        m.events.split.connect(self._on_split_changed)
        m.events.index.connect(self._on_index_changed)
        m.events.digit_source.connect(self._on_digit_source_changed)
        m.events.drawing.connect(self._on_drawing_changed)
        self._data.changed.connect(lambda _d: self._on_split_changed(m.split, None))
        self._on_split_changed(m.split, None)
        self._on_digit_source_changed(m.digit_source, None)

    # -- what goes in -------------------------------------------------------------------------
    def digit(self) -> NDArray:
        """The digit fed to the network, ``(28, 28)`` in [0, 1]."""
        m = self._model
        if m.digit_source == "drawing":
            return np.array(m.drawing)
        images, _labels = self._data.split(m.split)
        return images[min(m.index, len(images) - 1)] / 255.0

    def true_label(self) -> int | None:
        m = self._model
        if m.digit_source == "drawing":
            return None
        return self._data.label(m.split, min(m.index, self._data.size(m.split) - 1))

    def go(self, delta: int) -> None:
        n = self._data.size(self._model.split)
        self._model.index = (self._model.index + delta) % n

    def random_digit(self) -> None:
        self._model.index = int(self._rng.integers(self._data.size(self._model.split)))

    def show_test_digit(self, index: int) -> None:
        """Show test digit ``index`` (from the confusion matrix)."""
        self._model.update({"split": "test", "index": int(index), "digit_source": "dataset"})

    # -- widgets → model ----------------------------------------------------------------------
    def _on_canvas_changed(self) -> None:
        rounded = np.round(self.canvas.image(), DRAWING_DECIMALS)
        self._model.update({"drawing": rounded.tolist(), "digit_source": "drawing"})

    # -- model → widgets ----------------------------------------------------------------------
    def _on_split_changed(self, new: str, _old: Any) -> None:
        with QSignalBlocker(self.split):
            self.split.setCurrentIndex(self.split.findData(new))
        n = self._data.size(new)
        with QSignalBlocker(self.index):
            self.index.setRange(0, n - 1)
        if self._model.index >= n:
            self._model.index = n - 1
        self._on_index_changed(self._model.index, None)

    def _on_index_changed(self, new: int, _old: Any) -> None:
        with QSignalBlocker(self.index):
            self.index.setValue(new)

    def _on_digit_source_changed(self, new: str, _old: Any) -> None:
        with QSignalBlocker(self.use_drawing):
            self.use_drawing.setChecked(new == "drawing")

    def _on_drawing_changed(self, new: list[list[float]], _old: Any) -> None:
        if not np.array_equal(self.canvas.image(), np.array(new)):
            with QSignalBlocker(self.canvas):
                self.canvas.set_image(np.array(new))

    def set_verdict(self, text: str) -> None:
        self.label.setText(text)


class FeatureMaps(pg.GraphicsLayoutWidget):
    """Each layer's output for one digit, then the class scores and the softmax bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        register_view(self)
        self._cmap = pg.colormap.get("CET-D1")
        self._rows: list[tuple[pg.LabelItem, list[pg.ImageItem]]] = []
        self._maps: list[NDArray] = []
        self.scores = np.zeros(10)
        self.probabilities = np.full(10, 0.1)
        self.setToolTip("The digit inside the network: each convolution's response, after "
                        "ReLU and after pooling (blue < 0 < red, one scale per row), then the "
                        "ten class scores and their softmax probabilities")

    def build(self, network: cc.Sequential) -> None:
        """Rows for ``network``'s image-shaped layer outputs (a new network)."""
        self.ci.clear()
        self._rows = []
        row = 0
        fg = theme_manager().theme.foreground
        for info in network.describe():
            if len(info.output_shape) != 3:
                continue
            shown = min(info.output_shape[0], MAX_CHANNELS)
            more = f" (first {shown})" if shown < info.output_shape[0] else ""
            label = pg.LabelItem(f"{info.index}: {info.text} → {info.shape_text}{more}",
                                 size="8pt", color=fg, justify="left")
            self.ci.addItem(label, row=row, col=0, colspan=MAX_CHANNELS)
            images = []
            for c in range(shown):
                box = self.ci.addViewBox(row=row + 1, col=c, lockAspect=True,
                                         enableMouse=False, enableMenu=False)
                box.invertY(True)
                image = pg.ImageItem(axisOrder="row-major")
                image.setColorMap(self._cmap)
                box.addItem(image)
                images.append(image)
            self._rows.append((label, images))
            row += 2
        self._score_plot = self.ci.addPlot(row=row, col=0, colspan=MAX_CHANNELS // 2)
        self._prob_plot = self.ci.addPlot(row=row, col=MAX_CHANNELS // 2,
                                          colspan=MAX_CHANNELS - MAX_CHANNELS // 2)
        style_plot(self._score_plot, "class scores (logits)", "class", "")
        style_plot(self._prob_plot, "softmax probabilities", "class", "")
        self._prob_plot.setYRange(0, 1)
        for plot in (self._score_plot, self._prob_plot):
            plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setMinimumHeight(120)
        self._score_bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7)
        self._prob_bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7)
        self._score_plot.addItem(self._score_bars)
        self._prob_plot.addItem(self._prob_bars)

    def show_digit(self, network: cc.Sequential, digit: NDArray) -> None:
        """Run ``digit`` ((28, 28) in [0, 1]) through ``network`` and show every layer."""
        x = np.asarray(digit, dtype=network.dtype)[None, None]
        out, kept = network.forward(x, keep=True)
        self._maps = [k[0] for k in kept if k.ndim == 4]
        for (_label, images), maps in zip(self._rows, self._maps, strict=True):
            scale = max(float(np.abs(maps).max(initial=0.0)), 1e-6)
            for image, fmap in zip(images, maps, strict=False):
                image.setImage(fmap, levels=(-scale, scale))
        self.scores = np.asarray(out[0], dtype=float)
        self.probabilities = cc.softmax(np.asarray(out[0], dtype=np.float64))
        best = int(np.argmax(self.probabilities))
        colors = [series_color(1) if i == best else series_color(0) for i in range(10)]
        self._score_bars.setOpts(height=self.scores, brushes=colors)
        self._prob_bars.setOpts(height=self.probabilities, brushes=colors)

    def shown_maps(self) -> list[NDArray]:
        """What each row's images hold, ``(channels shown, H, W)`` per row."""
        return [np.array([image.image for image in images]) for _label, images in self._rows]

    def restyle(self) -> None:
        fg = theme_manager().theme.foreground
        for label, _images in self._rows:
            label.setAttr("color", fg)
            label.setText(label.text)
