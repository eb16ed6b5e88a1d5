"""Menu actions with a shortcut and a tip, made one way for the whole shell."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QMenu

__all__ = ["add_action"]


def add_action(
    menu: QMenu,
    text: str,
    slot: Callable[..., Any],
    shortcut: Any = None,
    tip: str = "",
    parent: QObject | None = None,
) -> QAction:
    """Add an action ``text`` to ``menu`` that calls ``slot``.

    ``shortcut`` is anything :class:`QKeySequence` takes; ``tip`` shows in the
    status bar and as the tool tip. The action belongs to ``parent`` (default:
    the menu).
    """
    action = QAction(text, parent if parent is not None else menu)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action
