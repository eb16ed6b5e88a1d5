"""The hover read-out: how the response pixel under the mouse is computed.

:class:`Inspector` shows, for the pixel the figure view reports, the digit's
patch, each kernel as laid on it, the products and their sums
(:func:`inspector_html`), and rewrites it when the figure changes. It is written
in the application's font (so presentation mode scales it), wraps its heading,
and lays the detectors out in as many columns as fit its width, so it needs no
horizontal scroll bar (up to 5×5 kernels at the default size).
"""

from __future__ import annotations

import html

from numpy.typing import NDArray
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont, QFontMetricsF, QResizeEvent
from PyQt6.QtWidgets import QFrame, QLabel, QScrollArea, QWidget

import convlab.core as cc
from convlab.gui.theme import theme_manager

from .colors import ABOVE_TEXT, lab_color

__all__ = ["Inspector", "inspector_html"]

_NUMBER = 6  # characters per matrix entry ("-0.25" and a space)
_GAP = 2  # characters between the cells of the layout


def _matrix(values: NDArray, fmt: str) -> str:
    return "\n".join(" ".join(format(v, fmt) for v in row) for row in values)


def cell_chars(kernel_size: int) -> tuple[int, int]:
    """Widths, in monospace characters, of the patch and of one detector's cell."""
    matrix = _NUMBER * kernel_size
    return matrix + _GAP, 2 * matrix + 1


def inspector_html(figure: cc.DetectorFigure, r: int, c: int, columns: int = 2,
                   above_color: str = ABOVE_TEXT[0]) -> str:
    """The hover read-out for response pixel ``(r, c)``: patch, kernels, products, sums.

    The patch comes first, then one cell per detector (its name and sum, the
    kernel as laid on the patch beside the products), ``columns`` detectors a
    row; ``columns == 0`` puts the patch on a row of its own and one detector a row.
    A sum above the threshold is written in ``above_color``.
    """
    kh, kw = figure.kernels.shape[1:]
    patch = cc.response_patch(figure.digit, (kh, kw), r, c, figure.mode, figure.flip)
    how = (
        "kernel rotated 180° (true convolution)"
        if figure.flip
        else "kernel as is (cross-correlation)"
    )
    detectors = []
    for i, name in enumerate(figure.names):
        kernel = figure.kernels[i]
        applied = kernel[::-1, ::-1] if figure.flip else kernel
        products = patch * applied + 0.0  # no "-0.00" for 0 × negative weight
        shown = float(figure.responses[i, r, c])
        above = bool(figure.masks[i, r, c])
        sum_text = f"Σ = {shown:.3f} {'&gt;' if above else '≤'} {figure.level:g}"
        if above:
            sum_text = f"<span style='color:{above_color}'><b>{sum_text}</b></span>"
        detectors.append(
            f"<td valign=top><b>{html.escape(name)}</b> &nbsp; {sum_text}"
            "<table cellspacing=0 cellpadding=0><tr>"
            f"<td>kernel<pre>{_matrix(applied, '5.3g')}</pre></td><td>&nbsp;&nbsp;</td>"
            f"<td>products<pre>{_matrix(products, '5.2f')}</pre></td></tr></table></td>"
        )
    patch_cell = (f"<td valign=top><b>patch</b><br>of the digit<pre>{_matrix(patch, '5.2f')}"
                  "</pre></td>")
    if columns <= 0:
        rows = [patch_cell, *detectors]
    else:
        rows = []
        for start in range(0, len(detectors), columns):
            first = patch_cell if start == 0 else "<td></td>"
            rows.append(first + "".join(detectors[start : start + columns]))
    body = "".join(f"<tr>{cells}</tr>" for cells in rows)
    return (
        f"<p><b>Output pixel (row {r}, column {c})</b> — {how}; "
        "each response is the sum of patch × kernel</p>"
        f"<table cellspacing=6>{body}</table>"
    )


class Inspector(QScrollArea):
    """The read-out of one response pixel; it follows the figure, the pixel stays."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._figure: cc.DetectorFigure | None = None
        self._pixel: tuple[int, int] | None = None
        self._columns = 2
        self._label = QLabel("Hover a response pixel (or the digit) to see how it is computed.")
        self._label.setTextFormat(Qt.TextFormat.RichText)
        self._label.setWordWrap(True)
        self._label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._label.setContentsMargins(4, 4, 4, 4)
        self.setWidget(self._label)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(120)
        self.setAccessibleName("How the hovered pixel is computed")
        # not a focus stop: the figure's arrow keys choose the pixel explained here, and the
        # figure's accessible description carries the sums (summary())
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def text(self) -> str:
        """The read-out shown (rich text)."""
        return self._label.text()

    def summary(self) -> str:
        """The sums of the pixel explained, in one plain line (for screen readers)."""
        if self._pixel is None or self._figure is None:
            return ""
        r, c = self._pixel
        fig = self._figure
        if not (r < fig.responses.shape[1] and c < fig.responses.shape[2]):
            return ""
        sums = "; ".join(
            f"{name} {float(fig.responses[i, r, c]):.3f}, "
            f"{'above' if fig.masks[i, r, c] else 'not above'} {fig.level:g}"
            for i, name in enumerate(fig.names)
        )
        return f"Output pixel row {r}, column {c}: {sums}"

    def label(self) -> QLabel:
        """The label holding the read-out (for tests and the accessibility walk)."""
        return self._label

    def columns(self) -> int:
        """How many detectors a row shows now (0: the patch on a row of its own)."""
        return self._columns

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

    def restyle(self) -> None:
        """Rewrite in the current look and text size (presentation mode scales it)."""
        self._label.setFont(QFont())  # the application's font, as it is now
        self._rewrite()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if self._fit_columns() != self._columns:
            self._rewrite()

    def _fit_columns(self) -> int:
        """How many detector cells fit beside the patch in the viewport's width."""
        if self._figure is None:
            return self._columns
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(self._label.font().pointSizeF())
        char = QFontMetricsF(mono).horizontalAdvance("0")
        patch, cell = cell_chars(self._figure.kernels.shape[1])
        width = self.viewport().width() - 12
        fit = int((width - patch * char) // (cell * char))
        return max(0, min(fit, len(self._figure.names)))

    def _rewrite(self) -> None:
        if self._pixel is None or self._figure is None:
            return
        r, c = self._pixel
        out_h, out_w = self._figure.responses.shape[1:]
        self._columns = self._fit_columns()
        if r < out_h and c < out_w:
            color = lab_color(ABOVE_TEXT, theme_manager().theme.dark)
            self._label.setText(inspector_html(self._figure, r, c, self._columns, color))
