"""What the shell knows of a lab (:class:`Lab`), and the base class of ConvLab's lab panels."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import QWidget

from .theme import theme_manager
from .worker import TaskRunner

__all__ = ["DataExport", "Lab", "LabHost", "LabPanel"]


@dataclass(frozen=True)
class DataExport:
    """One entry of File → Export Data: a label, a file filter, a default name and a writer."""

    label: str
    file_filter: str  # e.g. "CSV (*.csv)"
    default_name: str  # e.g. "convlab-signals.csv"
    write: Callable[[Path], None]  # raises OSError on failure


@runtime_checkable
class Lab(Protocol):
    """The protocol between the shell and a lab: all the shell calls.

    A lab is a widget (the shell puts it in a tab) with a ``status_message``
    signal (short texts for the status bar) and these methods.
    """

    def get_state(self) -> dict[str, Any]:
        """The lab's settings as JSON-safe data; never changes the lab."""

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_state` output; ``ValueError`` (lab unchanged) on bad data."""

    def revision(self) -> int:
        """A number that changes whenever :meth:`get_state` would return something new."""

    def data_exports(self) -> list[DataExport]:
        """What File → Export Data offers for this lab."""

    def self_test(self) -> None:
        """Exercise the lab briefly; ``AssertionError`` on a wrong result."""

    def shutdown(self) -> None:
        """Stop timers and background work (idempotent)."""


class LabHost(Protocol):
    """Who holds the labs (the main window): what the session controller needs of it."""

    def built_labs(self) -> Mapping[str, Lab]:
        """The labs built so far, by key."""

    def all_labs(self) -> Mapping[str, Lab]:
        """Every lab, building those not built yet."""


class LabPanel(QWidget):
    """Base class of the labs' panels: implements the shell's side of :class:`Lab`.

    Subclasses build their widgets in ``__init__`` and override
    :meth:`self_test`, :meth:`get_state`, :meth:`set_state` and (cheaply)
    :meth:`revision`. Background work goes through :attr:`tasks`;
    :meth:`shutdown` (called by the main window when it closes) stops it, stops
    every child ``QTimer`` and closes pyqtgraph's views, which otherwise can
    crash at interpreter exit.
    """

    #: Short text for the main window's status bar.
    status_message = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = TaskRunner(self)
        self._shut_down = False
        self._theme_slots: list[Callable[[], None]] = []

    def follow_theme(self, slot: Callable[[], None]) -> None:
        """Call ``slot`` whenever the look or text scale changes, until :meth:`shutdown`.

        (After shutdown the plot items are gone; a restyle would touch deleted objects.)
        """
        theme_manager().changed.connect(slot)
        self._theme_slots.append(slot)

    def add_shortcuts(self, bindings: Iterable[tuple[Any, Callable[[], Any]]]) -> None:
        """Bind ``(keys, slot)`` pairs as shortcuts active while this lab is shown.

        ``keys`` is anything :class:`QKeySequence` takes ("Ctrl+T", ``Qt.Key.Key_R`` …).
        A text field with focus keeps its own keys (typing "r" does not trigger R).
        """
        for keys, slot in bindings:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def shutdown(self) -> None:
        """Stop timers and background work and release plot views (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        for slot in self._theme_slots:
            theme_manager().changed.disconnect(slot)
        self._theme_slots.clear()
        self.tasks.shutdown()
        for timer in self.findChildren(QTimer):
            timer.stop()
        for view in self.findChildren(pg.ImageView):
            view.close()
        for view in self.findChildren(pg.GraphicsView):
            view.close()

    def self_test(self) -> None:
        """Exercise the panel briefly; raise ``AssertionError`` on a wrong result."""
        raise NotImplementedError(f"{type(self).__name__} has no self-test")

    def data_exports(self) -> list[DataExport]:
        """What File → Export Data offers for this lab (none by default)."""
        return []

    def revision(self) -> int:
        """A number that changes whenever :meth:`get_state` would return something new.

        This fallback hashes the whole state: correct, but not cheap. Labs with an
        evented model (:class:`convlab.state.LabState`) return its ``revision``.
        """
        return hash(json.dumps(self.get_state(), sort_keys=True, default=str))

    def get_state(self) -> dict[str, Any]:
        """The panel's model as JSON-safe data (for saved sessions)."""
        raise NotImplementedError(f"{type(self).__name__} does not save its state")

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned; raise ``ValueError`` on bad data."""
        raise NotImplementedError(f"{type(self).__name__} does not restore its state")
