"""File → Export Animation…: enabled for a lab with a recorded run, and its shortcut."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtGui import QKeySequence

from convlab.gui.base import RESERVED_SHORTCUTS
from convlab.shell import main_window
from convlab.shell.labs import LabSpec

LABS = (
    LabSpec("signals", "Signals && Kernels", "_fake_animation", "FakeQuietLab"),
    LabSpec("gradient", "Gradient Descent", "_fake_animation", "FakeAnimatedLab"),
)


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = main_window.MainWindow(settings=settings, interactive=False, labs=LABS)
    qtbot.addWidget(win)
    yield win
    win.close()


def file_menu(win):
    return next(a.menu() for a in win.menuBar().actions() if a.text() == "&File")


def test_the_action_follows_the_current_lab(window):
    action = window.animation_action
    assert action.text() == "Export A&nimation…"
    assert action in file_menu(window).actions()
    window.show_lab("signals")
    assert not action.isEnabled()  # no animation source
    window.show_lab("gradient")
    assert action.isEnabled()
    window.show_lab("signals")
    assert not action.isEnabled()


def test_the_open_menu_also_needs_two_recorded_steps(window):
    window.show_lab("gradient")
    lab = window.panels["gradient"]
    menu = file_menu(window)
    lab.steps = np.array([0], dtype=np.int64)  # the run was reset
    menu.aboutToShow.emit()
    assert not window.animation_action.isEnabled()
    menu.aboutToHide.emit()  # the shortcut reaches the lab, which explains
    assert window.animation_action.isEnabled()
    lab.steps = np.arange(0, 50, 10, dtype=np.int64)  # it trained again
    menu.aboutToShow.emit()
    assert window.animation_action.isEnabled()


def test_the_action_and_its_shortcut_export_the_current_lab(window, monkeypatch):
    assert window.animation_action.shortcut() == QKeySequence("Ctrl+Shift+G")
    assert "Ctrl+Shift+G" in RESERVED_SHORTCUTS
    window.show_lab("gradient")
    called = []
    monkeypatch.setattr(type(window.panels["gradient"]), "export_animation",
                        lambda self: called.append(self))
    window.animation_action.trigger()
    assert called == [window.panels["gradient"]]


def test_a_lab_may_not_take_the_shortcut(window):
    lab = window.panels.get("signals") or window.build_lab("signals")
    with pytest.raises(ValueError, match="Ctrl\\+Shift\\+G is the window's shortcut"):
        lab.add_shortcuts([("Ctrl+Shift+G", lambda: None)])
