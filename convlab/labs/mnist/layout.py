"""Small layout helpers shared by the MNIST lab's control boxes."""

from __future__ import annotations

from PyQt6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

__all__ = ["button", "group", "row"]


def group(title: str, *widgets_or_layouts) -> QGroupBox:
    """A titled box stacking the given widgets and layouts top to bottom."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for item in widgets_or_layouts:
        if isinstance(item, QWidget):
            layout.addWidget(item)
        else:
            layout.addLayout(item)
    return box


def row(*widgets: QWidget, stretch: int | None = None) -> QHBoxLayout:
    """The widgets side by side; ``stretch`` gives that one the spare width."""
    layout = QHBoxLayout()
    for w in widgets:
        layout.addWidget(w)
    if stretch is not None:
        layout.setStretch(stretch, 1)
    return layout


def button(text: str, tip: str, slot, shortcut: str | None = None) -> QPushButton:
    """A push button calling ``slot``; its tooltip names ``shortcut`` (bound elsewhere)."""
    button = QPushButton(text)
    button.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
    button.clicked.connect(slot)
    return button
