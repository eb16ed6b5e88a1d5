"""A page whose content is built the first time it is shown (or asked for)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PyQt6.QtGui import QShowEvent
from PyQt6.QtWidgets import QVBoxLayout, QWidget

__all__ = ["LazyPage"]

W = TypeVar("W", bound=QWidget)


class LazyPage(QWidget, Generic[W]):
    """An empty page that calls ``build()`` when it is first shown and keeps the widget.

    Put it in a tab whose content is expensive to build and not visible at start
    (the MNIST statistics tab: 40 plots). :meth:`page` builds it on demand
    without showing it.
    """

    def __init__(self, build: Callable[[], W], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self._page: W | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def is_built(self) -> bool:
        return self._page is not None

    def page(self) -> W:
        """The content, built now if it was not yet."""
        if self._page is None:
            self._page = self._build()
            self._layout.addWidget(self._page)
        return self._page

    def showEvent(self, event: QShowEvent) -> None:
        self.page()
        super().showEvent(event)
