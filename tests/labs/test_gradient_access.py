"""The Gradient lab for a screen reader, the keyboard and colour-blind eyes (issue 21)."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QScrollBar,
    QWidget,
)

from convlab.gui.theme import theme_manager
from convlab.labs.gradient.axes import SERIES_SYMBOLS
from convlab.labs.gradient.panel import GradientPanel

INTERACTIVE = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractSlider)


@pytest.fixture
def panel(show_panel):
    p = show_panel(GradientPanel, size=(1366, 740))
    return p


def controls(panel):
    for widget in panel.findChildren(INTERACTIVE):
        if isinstance(widget, QScrollBar):
            continue
        if isinstance(widget, QLineEdit) and isinstance(widget.parent(),
                                                        (QAbstractSpinBox, QComboBox)):
            continue  # a spin box's or combo's own editor: named through its owner
        if widget.window() is not panel.window():
            continue  # the replay progress dialog (its Cancel button has text)
        yield widget


def test_every_control_has_an_accessible_name(panel):
    panel.race_box.race_check.setChecked(True)  # every row shown
    unnamed = []
    seen = 0
    for widget in controls(panel):
        seen += 1
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName() or text):
            unnamed.append((type(widget).__name__, widget.toolTip()[:40]))
    assert seen >= 40 and unnamed == []
    names = {w.accessibleName() for w in controls(panel)}
    assert {"Noise ±", "Slopes |a| from", "Slopes |a| to", "Contender 4 learning rate",
            "Contender 1 takes part", "Steps per frame", "Landscape vertical axis",
            "Learning rates", "Gradient: the notebook's, as written"} <= names


def test_tab_stops_are_controls_only(panel):
    stops = [w for w in panel.findChildren(QWidget)
             if w.isVisibleTo(panel) and w.isEnabled()
             and w.focusPolicy() & Qt.FocusPolicy.TabFocus]
    bad = [type(w).__name__ for w in stops
           if isinstance(w, QAbstractScrollArea) and not isinstance(w, QAbstractSpinBox)]
    assert bad == []  # no plot or scroll area that takes the focus and does nothing
    assert panel.model_box.lr_edit in stops and panel.toolbar.run_button in stops


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_colour_blind_pairs_differ_in_dash_and_marker(qtbot, panel, theme):
    manager = theme_manager()
    old = manager.mode
    manager.set_mode(theme)
    try:
        panel.race_box.race_check.setChecked(True)
        panel.controller.step_once()
        panel.controller.flush()
        loss = panel.curves.loss_curves
        assert loss[0].opts["pen"].style() != loss[3].opts["pen"].style()  # contenders 1, 4
        paths = panel.landscape.path_curves
        assert paths[0].opts["pen"].style() != paths[3].opts["pen"].style()
        symbols = [p.symbol() for p in panel.landscape.current_points.points()]
        assert symbols == list(SERIES_SYMBOLS[:4])
        panel.race_box.race_check.setChecked(False)
        state = panel.get_state()
        state.update(taps=3, start=[0.5] * 3, learning_rates=[0.01] * 3)
        panel.set_state(state)
        w = panel.curves.weight_curves
        assert w[0].opts["pen"].style() != w[2].opts["pen"].style()  # w1 vs w3
    finally:
        manager.set_mode(old)
