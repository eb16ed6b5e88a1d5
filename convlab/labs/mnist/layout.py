"""Small layout helpers shared by the MNIST lab's control boxes."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["button", "fill", "focus_frame", "group", "name", "row"]

#: A 2-pixel frame in the palette's highlight colour while the view has the keyboard focus.
_FOCUS_FRAME = ("QGraphicsView {{ border: 2px solid transparent; }}"
                "QGraphicsView:focus {{ border: 2px solid palette(highlight); }}")


def fill(box: QWidget, *widgets_or_layouts: QWidget | QLayout) -> QVBoxLayout:
    """Stack the given widgets and layouts top to bottom in ``box``."""
    layout = QVBoxLayout(box)
    for item in widgets_or_layouts:
        if isinstance(item, QWidget):
            layout.addWidget(item)
        else:
            layout.addLayout(item)
    return layout


def group(title: str, *widgets_or_layouts: QWidget | QLayout) -> QGroupBox:
    """A titled box stacking the given widgets and layouts top to bottom."""
    box = QGroupBox(title)
    fill(box, *widgets_or_layouts)
    return box


def row(*widgets: QWidget, stretch: int | None = None) -> QHBoxLayout:
    """The widgets side by side; ``stretch`` gives that one the spare width."""
    layout = QHBoxLayout()
    for w in widgets:
        layout.addWidget(w)
    if stretch is not None:
        layout.setStretch(stretch, 1)
    return layout


def button(
    text: str, tip: str, slot: Callable[[], object], shortcut: str | None = None
) -> QPushButton:
    """A push button calling ``slot``; its tooltip names ``shortcut`` (bound elsewhere)."""
    button = QPushButton(text)
    button.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
    button.clicked.connect(lambda _checked=False: slot())
    return button


def focus_frame(view: QWidget, accessible_name: str) -> None:
    """Let ``view`` (a graphics view with keys of its own) take the focus and show it."""
    view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    view.setStyleSheet(_FOCUS_FRAME.format())
    view.setAccessibleName(accessible_name)


def name(widget: QWidget, accessible_name: str) -> QWidget:
    """Give ``widget`` the name a screen reader announces; returns it."""
    widget.setAccessibleName(accessible_name)
    return widget
