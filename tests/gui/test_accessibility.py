"""Every interactive control of every lab has a name a screen reader can announce (issue 21 §4).

PyQt6 has no QAccessible bindings, so the name is computed as Qt does for these widgets:
the accessible name if set, else a button's own text, else the text of the label whose
buddy it is (QFormLayout rows set that buddy).
"""

from __future__ import annotations

import re

import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QWidget,
)

from convlab.shell.labs import LABS
from convlab.shell.main_window import MainWindow

CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractSlider,
            QAbstractItemView, QPlainTextEdit)


def _is_part_of_another_control(widget: QWidget) -> bool:
    """Scroll bars, headers, a spin box's or combo box's own line edit and list, a table's
    corner button: parts that the control they belong to names."""
    if isinstance(widget, (QScrollBar, QHeaderView)):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox)):
            return True
        if type(parent).__name__ == "QComboBoxPrivateContainer":
            return True
        if (isinstance(parent, QAbstractItemView) and isinstance(widget, QAbstractButton)
                and not widget.text()):
            return True
        parent = parent.parentWidget()
    return False


def spoken_name(widget: QWidget, buddies: dict[int, str]) -> str:
    name = widget.accessibleName()
    if not name and isinstance(widget, QAbstractButton):
        name = widget.text()
    if not name:
        name = buddies.get(id(widget), "")
    return re.sub(r"<[^>]+>|&", "", name).strip()


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    path = tmp_path_factory.mktemp("a11y") / "s.ini"
    win = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), interactive=False)
    win.build_all()
    win.show()
    yield win
    win.close()


@pytest.mark.parametrize("key", [spec.key for spec in LABS])
def test_every_control_has_a_spoken_name(window, key):
    panel = window.panels[key]
    if hasattr(panel, "statistics_page"):
        panel.statistics_page()  # built on demand: walk it too
    buddies = {id(label.buddy()): label.text() for label in panel.findChildren(QLabel)
               if label.buddy() is not None}
    controls = [w for w in panel.findChildren(QWidget)
                if isinstance(w, CONTROLS) and not _is_part_of_another_control(w)]
    assert len(controls) > 10, key
    unnamed = [f"{type(w).__name__} ({w.toolTip()[:40]!r})" for w in controls
               if not spoken_name(w, buddies)]
    assert unnamed == [], f"{key}: {len(unnamed)} unnamed: {unnamed[:10]}"
