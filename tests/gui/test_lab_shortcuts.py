"""Lab shortcuts (issue 21 §2–3): they work wherever the focus is in the window while
their lab is shown, never while it is hidden, and never steal the keys of the focused
control (Space on a check box toggles it; Return on a button presses it)."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QCheckBox, QLabel, QPushButton, QTabWidget, QVBoxLayout

from convlab.gui.base import LabPanel


class Lab(LabPanel):
    def __init__(self):
        super().__init__()
        self.runs = 0
        self.presses = 0
        layout = QVBoxLayout(self)
        self.check = QCheckBox("option")
        self.button = QPushButton("New seed")
        self.button.clicked.connect(self._pressed)
        self.label = QLabel("text")
        self.label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for widget in (self.check, self.button, self.label):
            layout.addWidget(widget)
        self.add_shortcuts([(Qt.Key.Key_Space, self._run)])

    def _run(self):
        self.runs += 1

    def _pressed(self):
        self.presses += 1


@pytest.fixture
def tabs(qtbot):
    widget = QTabWidget()
    first, second = Lab(), Lab()
    widget.addTab(first, "one")
    widget.addTab(second, "two")
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitExposed(widget)
    yield widget, first, second
    first.shutdown()
    second.shutdown()


def test_space_on_a_check_box_toggles_it_not_the_lab(tabs, qtbot):
    _, lab, _ = tabs
    lab.check.setFocus()
    qtbot.keyClick(lab.check, Qt.Key.Key_Space)
    assert lab.check.isChecked() and lab.runs == 0


def test_space_elsewhere_runs_the_shown_lab_only(tabs, qtbot):
    widget, lab, hidden = tabs
    lab.label.setFocus()
    qtbot.keyClick(lab.label, Qt.Key.Key_Space)
    assert (lab.runs, hidden.runs) == (1, 0)
    widget.tabBar().setFocus()  # focus on the tab bar: the lab's keys still work
    qtbot.keyClick(widget.tabBar(), Qt.Key.Key_Space)
    assert lab.runs == 2


def test_return_presses_the_focused_button(tabs, qtbot):
    _, lab, _ = tabs
    lab.button.setFocus()
    qtbot.keyClick(lab.button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: lab.presses == 1, timeout=1000)
    assert lab.runs == 0


def test_a_lab_cannot_take_the_windows_keys(qapp):
    lab = LabPanel()
    with pytest.raises(ValueError, match="Ctrl\\+3 is the window's shortcut"):
        lab.add_shortcuts([("Ctrl+3", lambda: None)])
    lab.shutdown()
