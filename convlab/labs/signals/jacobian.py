"""The whole Jacobian ``∂z_i/∂w_j`` of the Signals & Kernels lab, the current row highlighted.

:class:`JacobianMatrix` shows one row per output ``z_i`` and one column per tap
``w_j``; entry ``(i, j)`` is the sample tap ``j`` multiplies for ``z_i``
(``x_{i+j}`` in valid cross-correlation), padding samples marked "pad" and
shaded. The row being stepped through is selected; moving through the rows with
the keyboard (or a click) chooses that output, like the step slider.
The numbers come from :func:`~convlab.labs.signals.model.jacobian_cells`
(``cc.Conv1dSettings.jacobian``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt6.QtGui import QBrush, QColor, QFont
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from convlab.gui.theme import theme_manager

from .model import JacobianCells, SignalsState, SignalsView, fmt, jacobian_cells

__all__ = ["JacobianMatrix", "JacobianModel", "cell_text"]

_EMPTY = JacobianCells(np.zeros((0, 0)), np.zeros((0, 0), dtype=np.intp),
                       np.zeros((0, 0), dtype=bool))


def cell_text(cells: JacobianCells, i: int, j: int) -> str:
    """What entry ``(i, j)`` shows: ``x3 = 2.1``, ``0 pad`` or ``x1 = 2 pad`` (a copy)."""
    src = int(cells.sources[i, j])
    text = "0" if src < 0 else f"x{src} = {fmt(cells.values[i, j])}"
    return f"{text} pad" if cells.padded[i, j] else text


class JacobianModel(QAbstractTableModel):
    """The cells of a :class:`JacobianCells` for a table view (drawn lazily, row by row)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cells = _EMPTY
        self.current = -1  # the row stepped through

    def set_cells(self, cells: JacobianCells, current: int) -> None:
        self.beginResetModel()
        self.cells, self.current = cells, current
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's API)
        return 0 if parent.isValid() else self.cells.values.shape[0]

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.cells.values.shape[1]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        i, j = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(self.cells, i, j)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"∂z{i}/∂w{j} = {fmt(self.cells.values[i, j])}: tap w{j} multiplies "
                    + ("a padding sample" if self.cells.padded[i, j] else
                       f"x{self.cells.sources[i, j]}") + f" for z{i}")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.FontRole and self.cells.padded[i, j]:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and self.cells.padded[i, j]:
            color = QColor(theme_manager().theme.muted)
            color.setAlpha(70)
            return QBrush(color)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return f"w{section}" if orientation == Qt.Orientation.Horizontal else f"z{section}"


class JacobianMatrix(QWidget):
    """Every ``∂z_i/∂w_j`` at once; the row of the current ``z_i`` selected."""

    def __init__(self, state: SignalsState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._key: tuple | None = None  # what the cells were computed for
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel("Row i: output z<sub>i</sub>; column j: tap w<sub>j</sub>; entry: "
                              "the sample w<sub>j</sub> multiplies (x<sub>i+j</sub> in valid "
                              "cross-correlation). <i>pad</i>: a padding sample.")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.model = JacobianModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Jacobian matrix: rows z_i, columns w_j")
        self.table.setToolTip("The whole Jacobian ∂z/∂w: conv1d(x, w) = J @ w. "
                              "↑/↓ choose the output stepped through")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(
            self.fontMetrics().horizontalAdvance("x000 = −0.000 pad") + 8)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)

    def show_view(self, view: SignalsView) -> None:
        """The matrix for ``view`` (recomputed only when x, k or the settings changed)."""
        key = (view.x.tobytes(), view.k, view.settings, bool(view.error) and view.m == 0)
        current = view.step.index if view.step is not None else -1
        if key != self._key:
            self._key = key
            try:
                cells = _EMPTY if view.step is None else jacobian_cells(view.x, view.k,
                                                                          view.settings)
            except ValueError:
                cells = _EMPTY
            self.model.set_cells(cells, current)
        self._select(current)

    def _select(self, row: int) -> None:
        self.model.current = row  # before selecting: _on_row then ignores the change
        if row < 0:
            self.table.clearSelection()
            return
        if self.table.currentIndex().row() != row:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _on_row(self, current: QModelIndex, previous: QModelIndex) -> None:
        if current.isValid() and current.row() != self.model.current:
            self._state.step = current.row()
