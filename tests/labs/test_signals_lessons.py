"""The lessons on screen (issue 15 §4): the whole Jacobian, the notebook's code."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QPlainTextEdit

import convlab.core as cc
from convlab.labs.signals.jacobian import cell_text
from convlab.labs.signals.model import jacobian_cells
from convlab.labs.signals.notebook_code import NOTEBOOK_CODE, convlab_code
from convlab.labs.signals.panel import SignalsPanel


@pytest.fixture
def panel(show_panel):
    p = show_panel(SignalsPanel)
    return p


def test_jacobian_cells_by_hand_full_convolution():
    cells = jacobian_cells(np.array([1.0, 2.0, 4.0, 7.0]), 2, cc.Conv1dSettings("full", True))
    # numpy.convolve([1, 2, 4, 7], [w0, w1]): z_i = w0·x_i + w1·x_{i-1}
    np.testing.assert_array_equal(cells.values, [[1, 0], [2, 1], [4, 2], [7, 4], [0, 7]])
    np.testing.assert_array_equal(cells.sources, [[0, -1], [1, 0], [2, 1], [3, 2], [-1, 3]])
    assert cells.padded.tolist() == [[False, True], [False] * 2, [False] * 2, [False] * 2,
                                     [True, False]]
    assert cell_text(cells, 0, 1) == "0 pad" and cell_text(cells, 3, 0) == "x3 = 7"


def test_jacobian_cells_reflect_padding_marks_copies():
    cells = jacobian_cells(np.array([1.0, 2.0, 4.0, 7.0]), 3,
                           cc.Conv1dSettings("same", padding_mode="reflect"))
    assert cells.sources[0].tolist() == [1, 0, 1] and cells.padded[0].tolist() == [True,
                                                                                   False, False]
    assert cell_text(cells, 0, 0) == "x1 = 2 pad"
    w = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(cells.values @ w, cc.conv1d([1, 2, 4, 7], w, "same",
                                                           padding_mode="reflect"))


def test_the_whole_jacobian_is_shown_with_the_current_row_selected(panel, qtbot):
    panel.state.update({"x": [1, 2, 4, 7, 11], "w": [1, -1, 2], "mode": "full", "step": 1})
    panel.refresh()
    panel.derivative_tabs.setCurrentWidget(panel.jacobian)
    model, table = panel.jacobian.model, panel.jacobian.table
    assert (model.rowCount(), model.columnCount()) == (7, 3)
    shown = [[model.data(model.index(i, j)) for j in range(3)] for i in range(7)]
    assert shown[0] == ["0 pad", "0 pad", "x0 = 1"]
    assert shown[1] == ["0 pad", "x0 = 1", "x1 = 2"]
    assert shown[4] == ["x2 = 4", "x3 = 7", "x4 = 11"]
    assert shown[6] == ["x4 = 11", "0 pad", "0 pad"]
    assert model.headerData(2, Qt.Orientation.Horizontal) == "w2"
    assert model.headerData(6, Qt.Orientation.Vertical) == "z6"
    pad = model.index(0, 0)
    assert model.data(pad, Qt.ItemDataRole.FontRole).italic()
    assert model.data(model.index(4, 0), Qt.ItemDataRole.FontRole) is None
    assert [i.row() for i in table.selectionModel().selectedRows()] == [1]
    # the row of the one-row table, entry by entry
    np.testing.assert_array_equal(
        [float(panel.derivative.table.item(j, 2).text()) for j in range(3)], [0, 1, 2])
    panel.step.step_by(3)
    panel.refresh()
    assert [i.row() for i in table.selectionModel().selectedRows()] == [4]
    # the keyboard chooses the row, like the slider
    table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert panel.state.step == 5
    panel.refresh()
    assert panel.step.slider.value() == 5


def test_the_notebook_code_runs_and_matches_the_lab(panel, qtbot):
    dialog = panel.notebook_code.show_code()
    qtbot.addWidget(dialog)
    boxes = {box.objectName(): box.toPlainText() for box in
             dialog.findChildren(QPlainTextEdit)}
    assert boxes["notebook"] == NOTEBOOK_CODE
    assert "def _convolve(x, w)" in NOTEBOOK_CODE and "def convolve(X, w)" in NOTEBOOK_CODE
    x, w = np.asarray(panel.state.x), np.asarray(panel.state.w)
    X = np.asarray(panel.state.batch_x)
    scope = {"x": x, "w": w, "X": X}
    exec(NOTEBOOK_CODE, scope)
    np.testing.assert_allclose(scope["z"], panel.view.z)
    np.testing.assert_allclose(scope["Z"], cc.conv1d(X, w))
    assert "z = cc.conv1d(x, w)\n" in boxes["convlab"]
    # other settings: ConvLab's code says them and computes what the lab shows
    panel.state.update({"mode": "same", "flip": True, "padding_mode": "replicate"})
    panel.refresh()
    panel.notebook_code.show_code()
    code = dialog.findChild(QPlainTextEdit, "convlab").toPlainText()
    assert "cc.conv1d(x, w, mode='same', flip=True, padding_mode='replicate')" in code
    scope = {"x": x, "w": w, "X": X}
    exec(code, scope)
    np.testing.assert_allclose(scope["z"], panel.view.z)
    np.testing.assert_allclose(scope["J"] @ w, panel.view.z)
    assert convlab_code(cc.Conv1dSettings()).count("Conv1dSettings()") == 1
