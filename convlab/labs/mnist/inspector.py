"""The hover read-out: how the response pixel under the mouse is computed.

:class:`Inspector` shows, for the pixel the figure view reports, the digit's
patch, each kernel as laid on it, the products and their sums
(:func:`inspector_html`), and rewrites it when the figure changes.
"""

from __future__ import annotations

import html

from numpy.typing import NDArray
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QLabel, QScrollArea, QWidget

import convlab.core as cc

__all__ = ["Inspector", "inspector_html"]

_ABOVE_COLOR = "#E07000"  # a sum above the threshold


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
        shown = float(figure.responses[i, r, c])
        above = bool(figure.masks[i, r, c])
        mark = "&gt;" if above else "≤"
        colour = _ABOVE_COLOR if above else "inherit"
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


class Inspector(QScrollArea):
    """The read-out of one response pixel; it follows the figure, the pixel stays."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._figure: cc.DetectorFigure | None = None
        self._pixel: tuple[int, int] | None = None
        self._label = QLabel("Hover a response pixel (or the digit) to see how it is computed.")
        self._label.setTextFormat(Qt.TextFormat.RichText)
        self._label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        self._label.setFont(mono)
        self.setWidget(self._label)
        self.setWidgetResizable(True)
        self.setMinimumHeight(150)

    def text(self) -> str:
        """The read-out shown (rich text)."""
        return self._label.text()

    def set_figure(self, figure: cc.DetectorFigure) -> None:
        """The figure changed: explain the same pixel in it."""
        self._figure = figure
        self._rewrite()

    def show_pixel(self, r: int, c: int) -> None:
        """Explain response pixel ``(r, c)``; a negative row (mouse left) keeps the last one."""
        if r < 0 or self._figure is None:
            return
        self._pixel = (r, c)
        self._rewrite()

    def _rewrite(self) -> None:
        if self._pixel is None or self._figure is None:
            return
        r, c = self._pixel
        out_h, out_w = self._figure.responses.shape[1:]
        if r < out_h and c < out_w:
            self._label.setText(inspector_html(self._figure, r, c))
