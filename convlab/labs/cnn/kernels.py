"""The first layer's kernels as images, live, beside the four hand-made line detectors.

Learned kernels and detectors share one symmetric colour scale (blue
negative, white 0, red positive; the bar on the right), so their strengths
compare. Under each learned kernel: its distance to the nearest line detector
(:func:`convlab.core.detector_distance`: 0 = a detector up to scale and sign,
1.41 = unrelated to all four) and which detector that is.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtWidgets import QWidget

import convlab.core as cc
from convlab.gui.plots import register_view
from convlab.gui.theme import theme_manager

__all__ = ["KernelView", "distance_texts"]

PER_ROW = 8
_SHORT = {"vertical": "|", "horizontal": "—", "diagonal \\": "\\", "diagonal /": "/"}
_NAMES = list(cc.LINE_DETECTORS)


def distance_texts(weight: NDArray) -> list[str]:
    """The readout under each kernel: ``"d 0.42 → |"`` (nearest detector), or why none."""
    try:
        distance, nearest = cc.detector_distance(weight)
    except ValueError:
        return ["d: 3×3 only"] * len(weight)
    return ["d —" if j < 0 else f"d {d:.2f} → {_SHORT[_NAMES[j]]}"
            for d, j in zip(distance, nearest, strict=True)]


class KernelView(pg.GraphicsLayoutWidget):
    """Learned first-layer kernels (left) and the four line detectors (right), one scale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        register_view(self)
        self.setToolTip("The first layer's kernels as they learn (left) and the notebook's "
                        "line detectors (right), on one colour scale. d: distance to the "
                        "nearest detector (0 = the same pattern, 1.41 = unrelated)")
        self._cmap = pg.colormap.get("CET-D1")
        self._learned = self.ci.addLayout(row=0, col=0)
        self._detectors = self.ci.addLayout(row=0, col=1)
        self._bar = pg.ColorBarItem(colorMap=self._cmap, interactive=False, width=12)
        self.ci.addItem(self._bar, row=0, col=2)
        self.images: list[pg.ImageItem] = []
        self._labels: list[pg.LabelItem] = []
        self._title = pg.LabelItem("")
        self._fixed_labels = [pg.LabelItem("line detectors")]
        self._detectors.addItem(self._fixed_labels[0], row=0, col=0, colspan=4)
        self._detector_images = [self._cell(self._detectors, i, k, name, self._fixed_labels)
                                 for i, (name, k) in enumerate(cc.LINE_DETECTORS.items())]
        self.setMinimumHeight(110)
        self.restyle()

    def _cell(self, layout: pg.GraphicsLayout, i: int, kernel: NDArray | None,
              caption: str, labels: list[pg.LabelItem]) -> pg.ImageItem:
        r, c = divmod(i, PER_ROW)
        box = layout.addViewBox(row=1 + 2 * r, col=c, lockAspect=True, enableMouse=False,
                                enableMenu=False)  # a menu per cell costs 3 ms to build
        box.invertY(True)
        box.setMinimumSize(30, 30)
        image = pg.ImageItem(axisOrder="row-major")
        image.setColorMap(self._cmap)
        box.addItem(image)
        if kernel is not None:
            image.setImage(np.asarray(kernel, float), levels=(-2, 2))
        label = pg.LabelItem(_SHORT.get(caption, caption), size="8pt",
                             color=theme_manager().theme.foreground)
        layout.addItem(label, row=2 + 2 * r, col=c)
        labels.append(label)
        return image

    def set_kernel_count(self, count: int) -> None:
        """Make room for ``count`` learned kernels (a new network)."""
        self._learned.clear()
        self.images, self._labels = [], []
        self._learned.addItem(self._title, row=0, col=0, colspan=min(count, PER_ROW))
        self._title.setText("learned: layer 1")
        self.images = [self._cell(self._learned, i, None, "", self._labels)
                       for i in range(count)]

    def show_weights(self, weight: NDArray) -> None:
        """Show the first layer's weight ``(C, 1, k, k)`` (and each kernel's distance)."""
        w = np.asarray(weight, dtype=float)
        if len(w) != len(self.images):
            self.set_kernel_count(len(w))
        scale = max(float(np.abs(w).max(initial=0.0)), 2.0)  # the detectors reach ±2
        for image, kernel in zip(self.images, w[:, 0], strict=True):
            image.setImage(kernel, levels=(-scale, scale))
        for image in self._detector_images:
            image.setLevels((-scale, scale))
        self._bar.setLevels((-scale, scale))
        for label, text in zip(self._labels, distance_texts(w), strict=True):
            label.setText(text, size="8pt")

    def kernels(self) -> NDArray:
        """The kernels shown, ``(C, k, k)`` (what the images hold)."""
        return np.array([image.image for image in self.images])

    def distances(self) -> list[str]:
        return [label.text for label in self._labels]

    def restyle(self) -> None:
        """Label colours of the current look."""
        fg = theme_manager().theme.foreground
        for item in (self._title, *self._labels, *self._fixed_labels):
            item.setAttr("color", fg)
            item.setText(item.text)
