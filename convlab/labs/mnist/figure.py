"""The notebook's figure, alive: kernels beside their (thresholded) responses, and the digit.

:class:`DetectorFigureView` shows a :class:`convlab.core.DetectorFigure`;
:class:`ThumbnailStrip` is the row of digits to click; :func:`inspector_html`
writes the hover read-out (patch, kernels as laid on it, products, sums).
All image items are created once and updated with ``setImage``.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import QPointF, QRectF, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QPen
from PyQt6.QtWidgets import QGraphicsRectItem, QWidget

import convlab.core as cc
from convlab.core.conv2d import conv2d_padding
from convlab.gui.plots import register_view, style_plot
from convlab.gui.theme import theme_manager

from .model import MAX_KERNEL_SIZE

__all__ = [
    "DetectorFigureView",
    "ThumbnailStrip",
    "diverging_lut",
    "inspector_html",
    "mask_overlay",
]


_DIVERGING = pg.colormap.get("CET-D1")
_GREY = np.repeat(np.arange(256, dtype=np.ubyte)[:, None], 3, axis=1)
_MASK_COLOR = np.array([255, 140, 0], dtype=float)  # orange, visible on grey ink


def diverging_lut() -> NDArray:
    """256-entry blue–white–red lookup table (0 is white when levels are symmetric)."""
    return _DIVERGING.getLookupTable(nPts=256)


def mask_overlay(digit: NDArray, mask: NDArray, top: int, left: int) -> NDArray:
    """RGB uint8 image of the mask's size: the digit in grey, mask pixels in orange.

    ``top``/``left`` is where the digit's pixel (0, 0) falls in the mask (the
    padding before it; negative in ``valid`` mode, where the mask is smaller).
    """
    h, w = mask.shape
    grey = np.zeros((h, w))
    dh, dw = digit.shape
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(h, top + dh), min(w, left + dw)
    grey[r0:r1, c0:c1] = digit[r0 - top : r1 - top, c0 - left : c1 - left]
    rgb = np.repeat(grey[..., None] * 150.0, 3, axis=2)
    rgb[mask] = _MASK_COLOR
    return np.round(rgb).astype(np.ubyte)


def _image_plot(layout: pg.GraphicsLayout, row: int, col: int, title: str, **kw) -> pg.PlotItem:
    plot = layout.addPlot(row=row, col=col, **kw)
    style_plot(plot, title, grid=False)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    vb = plot.getViewBox()
    vb.setAspectLocked(True)
    vb.invertY(True)
    vb.setDefaultPadding(0.02)
    return plot


def _set_title(plot: pg.PlotItem, title: str) -> None:
    """Change a styled plot's title (kept when the theme changes)."""
    plot.setProperty("convlab_title", title)
    mgr = theme_manager()
    plot.setTitle(title, color=mgr.theme.foreground, size=f"{11.5 * mgr.scale:.0f}pt")


class DetectorFigureView(pg.GraphicsLayoutWidget):
    """Kernel | response pairs for each detector (two per row) and the digit below.

    ``hovered(row, col)`` gives the response pixel under the mouse (over a
    response or over the digit), ``(-1, -1)`` when the mouse leaves them.
    """

    hovered = pyqtSignal(int, int)

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        register_view(self)
        self.display = "mask"
        self.figure: cc.DetectorFigure | None = None
        self.kernel_plots: list[pg.PlotItem] = []
        self.kernel_images: list[pg.ImageItem] = []
        self.kernel_texts: list[list[pg.TextItem]] = []
        self.response_plots: list[pg.PlotItem] = []
        self.response_images: list[pg.ImageItem] = []
        layout = self.ci
        layout.setSpacing(4)
        for i, name in enumerate(names):
            row, col = divmod(i, 2)
            kplot = _image_plot(layout, row, 2 * col, name)
            kimg = pg.ImageItem(axisOrder="row-major")
            kimg.setLookupTable(diverging_lut())
            kplot.addItem(kimg)
            texts = []
            for _ in range(MAX_KERNEL_SIZE**2):
                text = pg.TextItem("", anchor=(0.5, 0.5), color="k")
                kplot.addItem(text)
                texts.append(text)
            rplot = _image_plot(layout, row, 2 * col + 1, "")
            rimg = pg.ImageItem(axisOrder="row-major")
            rplot.addItem(rimg)
            self.kernel_plots.append(kplot)
            self.kernel_images.append(kimg)
            self.kernel_texts.append(texts)
            self.response_plots.append(rplot)
            self.response_images.append(rimg)
        rows = (len(names) + 1) // 2
        self.colorbar = pg.ColorBarItem(
            colorMap=_DIVERGING, interactive=False, width=14, label="response"
        )
        self.colorbar.setImageItem(self.response_images)
        layout.addItem(self.colorbar, row=0, col=4, rowspan=rows)
        self.digit_plot = _image_plot(layout, rows, 1, "digit", colspan=2)
        self.digit_image = pg.ImageItem(axisOrder="row-major")
        self.digit_image.setLookupTable(_GREY)
        self.digit_plot.addItem(self.digit_image)
        self.window_box = QGraphicsRectItem()
        self.window_box.setPen(QPen(QColor("#FFB000"), 0))
        self.window_box.setVisible(False)
        self.digit_plot.addItem(self.window_box)
        self.pixel_boxes = []
        for rplot in self.response_plots:
            box = QGraphicsRectItem()
            box.setPen(QPen(QColor("#FFB000"), 0))
            box.setVisible(False)
            rplot.addItem(box)
            self.pixel_boxes.append(box)
        for r in range(rows + 1):
            layout.layout.setRowStretchFactor(r, 1)
        for c in range(4):
            layout.layout.setColumnStretchFactor(c, 1)
        self.scene().sigMouseMoved.connect(self._on_mouse)

    # -- drawing -------------------------------------------------------------
    def set_figure(self, figure: cc.DetectorFigure, display: str | None = None) -> None:
        """Show ``figure`` (digit, kernels, responses, masks) as ``display``."""
        self.figure = figure
        if display is not None:
            self.display = display
        self.digit_image.setImage(figure.digit, levels=(0.0, 1.0), autoLevels=False)
        for i, kernel in enumerate(figure.kernels):
            self._set_kernel(i, kernel)
        self.update_responses()

    def update_responses(self) -> None:
        """Redraw the response images only (display mode or threshold changed)."""
        fig = self.figure
        if fig is None:
            return
        mode = self.display
        self.colorbar.setVisible(mode == "response")
        if mode == "response":
            bound = float(np.abs(fig.responses).max()) or 1.0
            self.colorbar.setLevels((-bound, bound))
        top, left = self.digit_offset()
        for i, img in enumerate(self.response_images):
            if mode == "mask":
                img.setLookupTable(_GREY)
                img.setImage(fig.masks[i].astype(np.float32), levels=(0, 1), autoLevels=False)
            elif mode == "response":
                img.setLookupTable(diverging_lut())
                img.setImage(fig.responses[i], levels=(-bound, bound), autoLevels=False)
            else:
                img.setLookupTable(None)
                img.setImage(mask_overlay(fig.digit, fig.masks[i], top, left), autoLevels=False)
            if mode == "response":
                title = "response"
            else:
                title = f"{int(fig.masks[i].sum())} px > {fig.level:g}"
            _set_title(self.response_plots[i], title)

    def _set_kernel(self, i: int, kernel: NDArray) -> None:
        bound = float(np.abs(kernel).max()) or 1.0
        self.kernel_images[i].setImage(kernel, levels=(-bound, bound), autoLevels=False)
        n = kernel.shape[0]
        font = QFont()
        font.setPointSizeF(max(6.0, 13.0 - 1.2 * n) * theme_manager().scale)
        for j, text in enumerate(self.kernel_texts[i]):
            r, c = divmod(j, MAX_KERNEL_SIZE)
            if r < n and c < n:
                value = kernel[r, c]
                text.setText(f"{value:.3g}")
                text.setFont(font)
                text.setColor("w" if abs(value) > 0.6 * bound else "k")
                text.setPos(c + 0.5, r + 0.5)
                text.setVisible(True)
            else:
                text.setVisible(False)
        self.kernel_plots[i].getViewBox().setRange(
            xRange=(0, kernel.shape[1]), yRange=(0, kernel.shape[0]), padding=0.02
        )

    def restyle_texts(self) -> None:
        if self.figure is not None:
            self.set_figure(self.figure)

    def padding(self) -> tuple[int, int]:
        """Zeros added above and left of the digit before sliding the kernel."""
        fig = self.figure
        kh, kw = fig.kernels.shape[1:]
        return conv2d_padding(kh, fig.mode, fig.flip)[0], conv2d_padding(kw, fig.mode, fig.flip)[0]

    def digit_offset(self) -> tuple[int, int]:
        """Response pixel whose window is centred on the digit's pixel (0, 0).

        For even kernels the centre is the lower-right middle cell of the
        kernel as laid on the image (upper-left for the rotated kernel).
        """
        fig = self.figure
        kh, kw = fig.kernels.shape[1:]
        top, left = self.padding()
        if fig.flip:
            return top - kh // 2, left - kw // 2
        return top - (kh - 1) // 2, left - (kw - 1) // 2

    def displayed(self, i: int) -> NDArray:
        """The array shown in response image ``i`` (for tests and the self-test)."""
        return self.response_images[i].image

    # -- hover ---------------------------------------------------------------
    def _on_mouse(self, pos: QPointF) -> None:
        fig = self.figure
        if fig is None:
            return
        out_h, out_w = fig.responses.shape[1:]
        for plot in self.response_plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                p = vb.mapSceneToView(pos)
                r, c = int(np.floor(p.y())), int(np.floor(p.x()))
                if 0 <= r < out_h and 0 <= c < out_w:
                    self.show_pixel(r, c)
                    return
        vb = self.digit_plot.getViewBox()
        if vb.sceneBoundingRect().contains(pos):
            p = vb.mapSceneToView(pos)
            y, x = int(np.floor(p.y())), int(np.floor(p.x()))
            h, w = fig.digit.shape
            if 0 <= y < h and 0 <= x < w:
                # the response pixel whose window is centred on this digit pixel
                top, left = self.digit_offset()
                r = min(max(y + top, 0), out_h - 1)
                c = min(max(x + left, 0), out_w - 1)
                self.show_pixel(r, c)
                return
        self.show_pixel(-1, -1)

    def show_pixel(self, r: int, c: int) -> None:
        """Outline response pixel ``(r, c)`` and the kernel's window on the digit."""
        visible = r >= 0
        for box in self.pixel_boxes:
            box.setVisible(visible)
            if visible:
                box.setRect(QRectF(c, r, 1, 1))
        self.window_box.setVisible(visible)
        if visible:
            kh, kw = self.figure.kernels.shape[1:]
            top, left = self.padding()
            self.window_box.setRect(QRectF(c - left, r - top, kw, kh))
        self.hovered.emit(r, c)


def _matrix(values: NDArray, fmt: str) -> str:
    return "\n".join(" ".join(format(v, fmt) for v in row) for row in values)


def inspector_html(figure: cc.DetectorFigure, r: int, c: int) -> str:
    """The hover read-out for response pixel ``(r, c)``: patch, kernels, products, sums."""
    kh, kw = figure.kernels.shape[1:]
    patch = cc.response_patch(figure.digit, (kh, kw), r, c, figure.mode, figure.flip)
    how = (
        "kernel rotated 180° (true convolution)"
        if figure.flip
        else "kernel as is (cross-correlation)"
    )
    cells = [
        f"<td><b>patch</b><pre>{_matrix(patch, '5.2f')}</pre></td>",
    ]
    for i, name in enumerate(figure.names):
        kernel = figure.kernels[i]
        applied = kernel[::-1, ::-1] if figure.flip else kernel
        products = patch * applied + 0.0  # no "-0.00" for 0 × negative weight
        total = float(products.sum())
        shown = float(figure.responses[i, r, c])
        above = total > figure.level
        mark = "&gt;" if above else "≤"
        colour = "#E07000" if above else "inherit"
        cells.append(
            f"<td><b>{html.escape(name)}</b><pre>{_matrix(applied, '5.3g')}</pre>"
            f"products<pre>{_matrix(products, '5.2f')}</pre>"
            f"<span style='color:{colour}'>Σ = {shown:.3f} {mark} {figure.level:g}</span></td>"
        )
    return (
        f"<div><b>Output pixel (row {r}, column {c})</b> — {how}; "
        "each response is the sum of patch × kernel</div>"
        f"<table cellspacing='8'><tr>{''.join(cells)}</tr></table>"
    )


class ThumbnailStrip(pg.GraphicsLayoutWidget):
    """A row of digits; clicking one emits ``clicked(position)`` (its slot in the row)."""

    clicked = pyqtSignal(int)

    def __init__(self, slots: int = 15, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        register_view(self)
        self.slots = slots
        self.positions: list[int] = []
        self.plot = self.ci.addPlot()
        for axis in ("left", "bottom"):
            self.plot.hideAxis(axis)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        vb = self.plot.getViewBox()
        vb.invertY(True)
        vb.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.setFixedHeight(74)
        self.ci.setContentsMargins(2, 2, 2, 2)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setToolTip("Neighbouring digits (with the current filter); click one to show it")

    def set_digits(self, images: NDArray, positions: list[int], current: int) -> None:
        """Show ``images`` (n, 28, 28) uint8; ``positions`` are their places in the browser."""
        self.positions = list(positions)
        n = len(images)
        strip = np.full((32, 32 * max(n, 1), 3), 60, dtype=np.ubyte)
        accent = np.array([255, 176, 0], dtype=np.ubyte)
        for k in range(n):
            if positions[k] == current:
                strip[:, 32 * k : 32 * k + 32] = accent
            strip[2:30, 32 * k + 2 : 32 * k + 30] = images[k][..., None]
        self.image.setImage(strip, autoLevels=False, levels=(0, 255))
        self.plot.getViewBox().setRange(
            xRange=(0, 32 * max(n, 1)), yRange=(0, 32), padding=0.0
        )

    def _on_click(self, event) -> None:
        p = self.plot.getViewBox().mapSceneToView(event.scenePos())
        k = int(np.floor(p.x() / 32))
        if 0 <= k < len(self.positions) and 0 <= p.y() < 32:
            self.clicked.emit(self.positions[k])
