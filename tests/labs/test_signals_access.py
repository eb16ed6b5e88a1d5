"""The Signals & Kernels lab from the keyboard and a screen reader (issue 21 §1, §4, §5, §7)."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QWidget,
)

from convlab.labs.signals.panel import SignalsPanel


@pytest.fixture
def panel(show_panel):
    p = show_panel(SignalsPanel)
    p.activateWindow()
    return p


def tab_stops(panel: QWidget) -> list[QWidget]:
    """The widgets Tab visits, in order (a spin box's inner line edit counts as the box)."""
    QApplication.processEvents()  # widgets added to a shown form are shown by a queued call
    stops, w = [], panel.nextInFocusChain()
    while w is not panel and w not in stops:
        if (w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(panel)
                and w.isEnabled() and w.focusProxy() is None):
            stops.append(w)
        w = w.nextInFocusChain()
    return stops


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> QWidget:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)
    return QApplication.focusWidget()


def test_tab_leaves_the_derivative_table_both_ways(panel, qtbot):
    table = panel.derivative.table
    assert table.rowCount() == 2
    for key, modifier in ((Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier),
                          (Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)):
        table.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is table)
        focus = press(qtbot, key, modifier)
        if modifier == Qt.KeyboardModifier.ControlModifier:
            # Ctrl+Tab is the window's (switch labs); the table must not take it as a move
            assert table.currentRow() in (-1, 0) and table.currentColumn() in (-1, 0)
        else:
            assert focus is not table, f"{key} stayed in the table"
    table.setFocus()
    focus = press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert focus is panel.derivative_tabs.tabBar()
    assert press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier) is panel.step.slider
    # the whole Jacobian's table lets Tab go too
    panel.derivative_tabs.setCurrentWidget(panel.jacobian)
    matrix = panel.jacobian.table
    matrix.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is matrix)
    assert press(qtbot, Qt.Key.Key_Tab) is not matrix
    matrix.setFocus()
    assert press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier) is not matrix


def test_tab_walks_the_controls_in_reading_order(panel, qtbot):
    sig, ker, op = panel.signal_editor, panel.kernel_editor, panel.operation
    expected = [sig.edit, sig.form.combo, sig.form.field("length"), sig.form.field("noise"),
                sig.form.field("seed"), sig.generate_button, sig.draw_check, ker.edit,
                ker.form.combo]
    stops = tab_stops(panel)
    assert stops[:len(expected)] == expected
    # and the keyboard really goes there, one Tab at a time
    sig.edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is sig.edit)
    for want in expected[1:6]:
        assert press(qtbot, Qt.Key.Key_Tab) is want
    assert stops[-4:] == [panel.step.play_button, panel.step.slider,
                          panel.derivative_tabs.tabBar(), panel.derivative.table]
    assert panel.notebook_code in stops
    assert op.flip_combo in stops and panel.batch_editor.check in stops


def test_new_generator_fields_join_the_chain_after_the_menu(panel):
    form = panel.signal_editor.form
    form.combo.setCurrentText("sine")
    stops = tab_stops(panel)
    at = stops.index(form.combo)
    fields = [form.field(name) for name in ("length", "period", "amplitude", "phase")]
    assert stops[at + 1:at + 5] == fields
    assert stops[at + 5] is panel.signal_editor.generate_button
    kernel = panel.kernel_editor.form
    kernel.combo.setCurrentText("gaussian")
    stops = tab_stops(panel)
    at = stops.index(kernel.combo)
    assert stops[at + 1:at + 3] == [kernel.field("k"), kernel.field("sigma")]
    assert stops[at + 3] is panel.kernel_editor.preset_button


def test_every_control_has_an_accessible_name(panel, qtbot):
    panel.batch_editor.check.setChecked(True)
    panel.operation.all_modes_check.setChecked(True)
    panel.operation.mode_combo.setCurrentText("same")  # enables Padding
    unnamed = []
    for generator in ("rising line", "sine", "square", "noise"):
        panel.signal_editor.form.combo.setCurrentText(generator)
        for preset in ("moving average", "gaussian"):
            panel.kernel_editor.form.combo.setCurrentText(preset)
            for w in tab_stops(panel):
                if not w.accessibleName().strip():
                    unnamed.append(type(w).__name__)
    assert not unnamed
    stops = tab_stops(panel)
    assert len(stops) == 25  # 3+4+3+2+2+6+2+1+1 (noise, gaussian), code button, tab bar
    names = [w.accessibleName() for w in stops]
    assert "Signal length" in names and "Kernel sigma" in names and "Stride s" in names
    combos = [w for w in stops if isinstance(w, QComboBox)]
    assert {c.accessibleName() for c in combos} >= {"Signal type", "Kind", "Mode", "Padding"}
    assert all(w.text() for w in stops if isinstance(w, QAbstractButton))


def test_plots_and_scroll_areas_are_no_tab_stops(panel):
    panel.batch_editor.check.setChecked(True)
    panel.operation.all_modes_check.setChecked(True)
    panel.refresh()
    plots = panel.findChildren(pg.PlotWidget)
    assert len(plots) == 8  # signal, kernel, output, three modes, batch X and Z
    stops = tab_stops(panel)
    assert not any(isinstance(w, pg.GraphicsView) for w in stops)
    assert not any(isinstance(p, pg.GraphicsView) for w in stops for p in _ancestors(w))
    # the only scroll areas in the chain are the ones with keys: text boxes and the table
    areas = [w for w in stops if isinstance(w, QAbstractScrollArea)]
    assert {type(w).__name__ for w in areas} == {"MatrixEdit", "QTableWidget"}


def _ancestors(w: QWidget) -> list[QWidget]:
    out = []
    while (w := w.parentWidget()) is not None:
        out.append(w)
    return out
