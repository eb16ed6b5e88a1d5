"""The notebook's figure, alive: kernels beside their (thresholded) responses, and the digit.

:class:`DetectorFigureView` shows the :class:`~convlab.labs.mnist.live.LiveFigure`'s
:class:`convlab.core.DetectorFigure` as the model's ``display`` asks (mask, raw
response, or mask over the digit) and reports the response pixel under the
mouse. All image items are created once and updated with ``setImage``; each is
framed, so an all-white mask shows on a white figure. Titles claim a fixed width,
so the grid stays put when they change. Right-click (or the Menu key when the figure
has the focus) saves it as SVG (:class:`convlab.gui.svg_export.QtSvgExporter`) or PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6 import sip
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QContextMenuEvent, QFont, QKeyEvent
from PyQt6.QtWidgets import QFileDialog, QGraphicsRectItem, QMenu, QMessageBox, QWidget
from pyqtgraph.exporters import ImageExporter

import convlab.core as cc
from convlab.gui.plots import register_view
from convlab.gui.svg_export import QtSvgExporter
from convlab.gui.theme import theme_manager

from .layout import focus_frame
from .live import LiveFigure
from .model import MnistState
from .plotting import (
    DIVERGING,
    GREY_LUT,
    MASK_COLOR,
    diverging_lut,
    frame,
    image_plot,
    mark_pen,
    set_title,
    title_width,
)

__all__ = ["EXPORT_FORMATS", "DetectorFigureView", "digit_offset", "mask_overlay", "padding"]

#: What the figure can be saved as: suffix → file-dialog filter.
EXPORT_FORMATS = {".svg": "SVG drawing (*.svg)", ".png": "PNG image (*.png)"}
#: The widest response title the grid makes room for (wider ones may overlap a neighbour).
_TITLE_TEMPLATE = "0000 px > 0.00"
_COMPACT_TEMPLATE = "0000 px"  # the titles of a narrow figure (the threshold is in its box)


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
    rgb[mask] = MASK_COLOR
    return np.round(rgb).astype(np.ubyte)


def padding(figure: cc.DetectorFigure) -> tuple[int, int]:
    """Zeros added above and left of the digit before sliding the kernel."""
    kh, kw = figure.kernels.shape[1:]
    return (cc.conv2d_padding(kh, figure.mode, figure.flip)[0],
            cc.conv2d_padding(kw, figure.mode, figure.flip)[0])


def digit_offset(figure: cc.DetectorFigure) -> tuple[int, int]:
    """Response pixel whose window is centred on the digit's pixel (0, 0).

    For even kernels the centre is the lower-right middle cell of the
    kernel as laid on the image (upper-left for the rotated kernel).
    """
    kh, kw = figure.kernels.shape[1:]
    top, left = padding(figure)
    if figure.flip:
        return top - kh // 2, left - kw // 2
    return top - (kh - 1) // 2, left - (kw - 1) // 2


class _DetectorPlots:
    """The plot items of one detector: kernel image with its cell values, response image."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, name: str) -> None:
        self.kernel_plot = image_plot(layout, row, col, name)
        self.name = name
        self.kernel_image = pg.ImageItem(axisOrder="row-major")
        self.kernel_image.setLookupTable(diverging_lut())
        self.kernel_plot.addItem(self.kernel_image)
        self.texts: list[pg.TextItem] = []  # one per cell, row by row; made when first needed
        self.response_plot = image_plot(layout, row, col + 1, "")
        self.response_image = pg.ImageItem(axisOrder="row-major")
        self.response_plot.addItem(self.response_image)
        self.pixel_box = QGraphicsRectItem()
        self.pixel_box.setVisible(False)
        self.response_plot.addItem(self.pixel_box)
        self.reserve = 0.0
        self.compact = False  # short titles ("36 px"), for a narrow figure
        self.base_font = QFont()  # the cell values' font before fitting them to the cells
        self.restyle()

    def restyle(self) -> None:
        """Frames, mark and reserved title widths in the current look and text scale."""
        frame(self.kernel_image)
        frame(self.response_image)
        self.pixel_box.setPen(mark_pen())
        template = _COMPACT_TEMPLATE if self.compact else _TITLE_TEMPLATE
        scaled = not self.compact
        self.reserve = max(title_width(template, scaled), title_width(self.name, scaled))
        set_title(self.kernel_plot, self.name, self.reserve, scaled)

    def set_kernel(self, kernel: NDArray) -> None:
        """Show ``kernel`` (n, n) with its weights written in the cells."""
        bound = float(np.abs(kernel).max()) or 1.0
        self.kernel_image.setImage(kernel, levels=(-bound, bound), autoLevels=False)
        n = kernel.shape[0]
        font = QFont()
        font.setPointSizeF(max(6.0, 13.0 - 1.2 * n) * theme_manager().scale)
        self.base_font = font
        while len(self.texts) < n * n:
            text = pg.TextItem("", anchor=(0.5, 0.5), color="k")
            self.kernel_plot.addItem(text)
            self.texts.append(text)
        for j, text in enumerate(self.texts):
            r, c = divmod(j, n)
            if j < n * n:
                value = kernel[r, c]
                text.setText(f"{value:.3g}")
                text.setFont(font)
                text.setColor("w" if abs(value) > 0.6 * bound else "k")
                text.setPos(c + 0.5, r + 0.5)
                text.setProperty("cell", True)
            else:
                text.setProperty("cell", False)
                text.setVisible(False)
        self.kernel_plot.getViewBox().setRange(
            xRange=(0, kernel.shape[1]), yRange=(0, kernel.shape[0]), padding=0.02
        )
        self.fit_texts()

    def fit_texts(self) -> bool:
        """Fit the cell values to their cells as drawn now: a smaller font if needed (down
        to 6 pt), hidden if even that does not fit; True if shown."""
        cells = self._cells()
        view_per_pixel = self.kernel_plot.getViewBox().viewPixelSize()[0]
        cell = 1.0 / view_per_pixel if view_per_pixel > 0 else 0.0  # one kernel cell, in px
        if not cells or cell <= 0:
            return False
        font = QFont(self.base_font)

        def widest() -> float:  # the widest value as drawn (with its text margins)
            for t in cells:
                t.setFont(font)
            return max(t.textItem.boundingRect().width() for t in cells)

        width = widest()
        margin = 2 * cells[0].textItem.document().documentMargin()
        if width > 0.9 * cell and width > margin:
            ratio = max(0.9 * cell - margin, 0.0) / (width - margin)
            font.setPointSizeF(max(6.0, font.pointSizeF() * ratio))
            width = widest()
        fits = width <= 0.95 * cell
        for t in cells:
            t.setVisible(fits)
        return fits

    def _cells(self) -> list[pg.TextItem]:
        return [t for t in self.texts if t.property("cell")]

    def set_response(self, figure: cc.DetectorFigure, i: int, display: str, bound: float) -> None:
        """Show detector ``i``'s mask, response (levels ±``bound``) or mask over the digit."""
        img = self.response_image
        if display == "mask":
            img.setLookupTable(GREY_LUT)
            img.setImage(figure.masks[i].astype(np.float32), levels=(0, 1), autoLevels=False)
        elif display == "response":
            img.setLookupTable(diverging_lut())
            img.setImage(figure.responses[i], levels=(-bound, bound), autoLevels=False)
        else:
            top, left = digit_offset(figure)
            img.setLookupTable(None)
            img.setImage(mask_overlay(figure.digit, figure.masks[i], top, left), autoLevels=False)
        if display == "response":
            title = "response"
        else:
            title = f"{int(figure.masks[i].sum())} px"
            if not self.compact:
                title += f" > {figure.level:g}"
        set_title(self.response_plot, title, self.reserve, not self.compact)

    def mark(self, r: int, c: int) -> None:
        """Outline response pixel ``(r, c)``; ``r < 0`` hides the outline."""
        self.pixel_box.setVisible(r >= 0)
        if r >= 0:
            self.pixel_box.setRect(QRectF(c, r, 1, 1))


class DetectorFigureView(pg.GraphicsLayoutWidget):
    """Kernel | response pairs for each detector (two per row) and the digit below.

    Shows every figure :class:`LiveFigure` computes, as ``model.display`` says.
    ``hovered(row, col)`` gives the response pixel under the mouse (over a
    response or over the digit), ``(-1, -1)`` when the mouse leaves them.
    """

    hovered = pyqtSignal(int, int)

    def __init__(self, model: MnistState, live: LiveFigure, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        register_view(self)
        self.display = model.display
        self.figure: cc.DetectorFigure | None = None
        layout = self.ci
        layout.setSpacing(4)
        names = list(cc.LINE_DETECTORS)
        self.detectors = [
            _DetectorPlots(layout, i // 2, 2 * (i % 2), name) for i, name in enumerate(names)
        ]
        rows = (len(names) + 1) // 2
        self.colorbar = pg.ColorBarItem(
            colorMap=DIVERGING, interactive=False, width=14, label="response"
        )
        self.colorbar.setImageItem([d.response_image for d in self.detectors])
        layout.addItem(self.colorbar, row=0, col=4, rowspan=rows)
        self.digit_plot = image_plot(layout, rows, 1, "digit", colspan=2)
        self.digit_image = pg.ImageItem(axisOrder="row-major")
        self.digit_image.setLookupTable(GREY_LUT)
        self.digit_plot.addItem(self.digit_image)
        self.window_box = QGraphicsRectItem()
        self.window_box.setVisible(False)
        self.digit_plot.addItem(self.window_box)
        for r in range(rows + 1):
            layout.layout.setRowStretchFactor(r, 1)
        for c in range(4):
            layout.layout.setColumnStretchFactor(c, 1)
        self.setToolTip(
            "Each detector's kernel (values in the cells) beside its response; "
            "hover a pixel (or use the arrow keys) to see the sum that makes it. "
            "Right-click: export as SVG or PNG"
        )
        self._restyle_frames()
        self.pixel: tuple[int, int] | None = None  # the response pixel explained now
        focus_frame(self, "Detector figure: arrow keys move the explained pixel")
        self.scene().sigMouseMoved.connect(self._on_mouse)
        live.changed.connect(self.set_figure)
        model.events.display.connect(self._on_display_changed)
        self.set_figure(live.figure)

    # -- drawing -------------------------------------------------------------
    def set_figure(self, figure: cc.DetectorFigure) -> None:
        """Show ``figure``; only the responses are redrawn if digit and kernels are the same."""
        old, self.figure = self.figure, figure
        if (
            old is None
            or old.digit.shape != figure.digit.shape
            or not np.array_equal(old.digit, figure.digit)
            or not np.array_equal(old.kernels, figure.kernels)
        ):
            self.digit_image.setImage(figure.digit, levels=(0.0, 1.0), autoLevels=False)
            for plots, kernel in zip(self.detectors, figure.kernels, strict=True):
                plots.set_kernel(kernel)
        self.update_responses()

    def update_responses(self) -> None:
        """Redraw the response images only (display mode or threshold changed)."""
        fig = self.figure
        if fig is None:
            return
        shows_response = self.display == "response"
        self.colorbar.setVisible(shows_response)
        bound = float(np.abs(fig.responses).max()) or 1.0
        if shows_response:
            self.colorbar.setLevels((-bound, bound))
        for i, plots in enumerate(self.detectors):
            plots.set_response(fig, i, self.display, bound)

    def _restyle_frames(self) -> None:
        for plots in self.detectors:
            plots.restyle()
        frame(self.digit_image)
        self.window_box.setPen(mark_pen())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # a resize while pyqtgraph builds the view, or while the window is torn down
        if not hasattr(self, "detectors") or sip.isdeleted(self.ci.layout):
            return
        compact = self.width() < self.wide_enough()
        if compact != self.detectors[0].compact:
            for plots in self.detectors:
                plots.compact = compact
                plots.restyle()
            self.update_responses()
        self.ci.layout.activate()
        for plots in self.detectors:
            plots.fit_texts()

    def wide_enough(self) -> float:
        """The width (pixels) under which the figure writes short titles ("36 px")."""
        widest = max(title_width(_TITLE_TEMPLATE), *(title_width(n) for n in cc.LINE_DETECTORS))
        return 4 * (widest + 8) + 40  # four columns, and the colour bar

    def restyle_texts(self) -> None:
        """Rewrite the kernels' cell values, titles and frames in the current look and size."""
        self._restyle_frames()
        self.pixel: tuple[int, int] | None = None  # the response pixel explained now
        focus_frame(self, "Detector figure: arrow keys move the explained pixel")
        if self.figure is not None:
            for plots, kernel in zip(self.detectors, self.figure.kernels, strict=True):
                plots.set_kernel(kernel)
            self.update_responses()

    def _on_display_changed(self, new: str, _old: str) -> None:
        self.display = new
        self.update_responses()

    def displayed(self, i: int) -> NDArray:
        """The array shown in response image ``i`` (for tests and the self-test)."""
        return self.detectors[i].response_image.image

    def kernel_text(self, i: int, row: int, col: int) -> str:
        """The text written in cell ``(row, col)`` of kernel ``i``."""
        n = self.figure.kernels.shape[1]
        return self.detectors[i].texts[row * n + col].textItem.toPlainText()

    # -- export ----------------------------------------------------------------
    def export(self, path: str | Path) -> None:
        """Save the figure as drawn now: SVG (by Qt) or PNG, by ``path``'s suffix.

        ``ValueError`` for another suffix; ``OSError`` if the file cannot be written.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            QtSvgExporter(self.ci).export(str(path))
        elif suffix == ".png":
            if not ImageExporter(self.ci).export(str(path)):
                raise OSError(f"could not write {path}")
        else:
            raise ValueError(f"export as .svg or .png, not {path.suffix or 'no suffix'!r}")

    def export_dialog(self, suffix: str) -> None:
        """Ask for a file name, then :meth:`export` (a failure is shown, not raised)."""
        start = str(Path.home() / f"convlab-detectors{suffix}")
        path, _ = QFileDialog.getSaveFileName(self, "Export the figure", start,
                                              EXPORT_FORMATS[suffix])
        if path:
            if not path.lower().endswith(suffix):
                path += suffix
            try:
                self.export(path)
            except OSError as exc:
                QMessageBox.warning(self, "Export failed", f"Could not write {path}:\n{exc}")

    def context_menu(self) -> QMenu:
        """The right-click menu: export as SVG or PNG."""
        menu = QMenu(self)
        menu.addAction("Export figure as SVG…", lambda: self.export_dialog(".svg"))
        menu.addAction("Export figure as PNG…", lambda: self.export_dialog(".png"))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent | None) -> None:
        if event is not None:
            self.context_menu().exec(event.globalPos())

    # -- hover ---------------------------------------------------------------
    def _on_mouse(self, pos: QPointF) -> None:
        fig = self.figure
        if fig is None:
            return
        out_h, out_w = fig.responses.shape[1:]
        for plots in self.detectors:
            vb = plots.response_plot.getViewBox()
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
                top, left = digit_offset(fig)
                r = min(max(y + top, 0), out_h - 1)
                c = min(max(x + left, 0), out_w - 1)
                self.show_pixel(r, c)
                return
        self.show_pixel(-1, -1)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        """Arrow keys move the explained pixel (Shift: 5 at a time), Escape hides the mark."""
        if event is None or self.figure is None:
            return
        key = event.key()
        step = 5 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
        moves = {Qt.Key.Key_Left: (0, -step), Qt.Key.Key_Right: (0, step),
                 Qt.Key.Key_Up: (-step, 0), Qt.Key.Key_Down: (step, 0)}
        if key in moves and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            out_h, out_w = self.figure.responses.shape[1:]
            r, c = self.pixel if self.pixel is not None else (out_h // 2 - moves[key][0],
                                                               out_w // 2 - moves[key][1])
            dr, dc = moves[key]
            self.show_pixel(min(max(r + dr, 0), out_h - 1), min(max(c + dc, 0), out_w - 1))
        elif key == Qt.Key.Key_Escape and self.pixel is not None:
            self.show_pixel(-1, -1)
        else:
            super().keyPressEvent(event)

    def show_pixel(self, r: int, c: int) -> None:
        """Outline response pixel ``(r, c)`` and the kernel's window on the digit."""
        self.pixel = (r, c) if r >= 0 else None
        for plots in self.detectors:
            plots.mark(r, c)
        visible = r >= 0 and self.figure is not None
        self.window_box.setVisible(visible)
        if visible:
            kh, kw = self.figure.kernels.shape[1:]
            top, left = padding(self.figure)
            self.window_box.setRect(QRectF(c - left, r - top, kw, kh))
        self.hovered.emit(r, c)
