"""What the shell knows of a lab (:class:`Lab`), and the base class of ConvLab's lab panels."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QMessageBox,
    QPushButton,
    QTabBar,
    QWidget,
)

from .theme import theme_manager
from .worker import TaskRunner

__all__ = ["RESERVED_SHORTCUTS", "AnimationSource", "DataExport", "Lab", "LabHost", "LabPanel"]

#: Keys the main window binds (menus): a lab must not bind them too.
RESERVED_SHORTCUTS = frozenset({
    *(f"Ctrl+{i}" for i in range(1, 10)), "Ctrl+O", "Ctrl+S", "Ctrl+Shift+S", "Ctrl+E",
    "Ctrl+Shift+E", "Ctrl+Shift+G", "Ctrl+Shift+P", "Ctrl+Q", "Ctrl+.", "F1", "F11",
})

#: Focused controls that use plain keys themselves, and the keys they use.
_ARROWS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
           Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}
_CONTROL_KEYS: tuple[tuple[type, frozenset], ...] = (
    (QAbstractButton, frozenset({Qt.Key.Key_Space})),
    (QComboBox, frozenset({Qt.Key.Key_Space, *_ARROWS})),
    (QAbstractSlider, frozenset(_ARROWS)),
    (QAbstractSpinBox, frozenset(_ARROWS)),
    (QAbstractItemView, frozenset({Qt.Key.Key_Space, *_ARROWS})),
    (QTabBar, frozenset(_ARROWS)),
)


def _focus_uses(focus: QWidget, sequence: QKeySequence) -> bool:
    """Whether the focused control would use this (single, unmodified) key itself."""
    if sequence.count() != 1:
        return False
    combo = sequence[0]
    if combo.keyboardModifiers() & ~Qt.KeyboardModifier.KeypadModifier:
        return False
    key = combo.key()
    return any(isinstance(focus, cls) and key in keys for cls, keys in _CONTROL_KEYS)


def _forward_key(focus: QWidget, sequence: QKeySequence) -> None:
    """Give the key the shortcut took back to the focused control (press and release)."""
    key = sequence[0].key()
    text = " " if key == Qt.Key.Key_Space else ""
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(focus, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text))


@dataclass(frozen=True)
class DataExport:
    """One entry of File → Export Data: a label, a file filter, a default name and a writer."""

    label: str
    file_filter: str  # e.g. "CSV (*.csv)"
    default_name: str  # e.g. "convlab-signals.csv"
    write: Callable[[Path], None]  # raises OSError on failure


@runtime_checkable
class AnimationSource(Protocol):
    """A lab's run that can be shown at any recorded step, and so replayed frame by frame.

    The timeline scrubber (:class:`convlab.gui.timeline.TimelineScrubber`) and
    File → Export Animation… drive a lab through this: the exporter shows each
    chosen step with :meth:`show_step`, renders :meth:`animation_widget`, and
    finally shows again the step that was shown before.
    """

    def animation_steps(self) -> np.ndarray:
        """The recorded steps the run can be shown at: increasing int64, shape (M,).

        Fewer than two: there is nothing to scrub or animate yet.
        """

    def show_step(self, step: int | None) -> None:
        """Show the run as it was at ``step`` (the last recorded step ≤ ``step``).

        ``None`` shows the latest step and follows training again (live). Every
        view is drawn when this returns (no redraw left waiting on a timer), so
        the caller may render the widget at once.
        """

    def shown_step(self) -> int | None:
        """The step shown, or None when the views follow the latest step (live)."""

    def animation_widget(self) -> QWidget:
        """The widget rendered as one frame of an animation (the lab's plot area)."""

    def animation_name(self) -> str:
        """A file-name stem for exports, e.g. ``"convlab-gradient"``."""


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

    def pause(self) -> None:
        """Stop whatever moves (training, animation): the lab is hidden or the user asked."""

    def shutdown(self) -> None:
        """Stop timers and background work (idempotent)."""

    def animation_source(self) -> AnimationSource | None:
        """The lab's run as an :class:`AnimationSource`, or None if it has none."""


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
        They work wherever the focus is in the window (also on the tab bar) while this
        lab is the visible one. The focused control keeps the keys it uses itself:
        typing "r" in a text field types an r, Space on a check box or button
        toggles or presses it, arrows move a slider or a list.

        Raises
        ------
        ValueError
            If a key is one of the window's own (:data:`RESERVED_SHORTCUTS`): Qt would
            find the shortcut ambiguous and neither would work.
        """
        for keys, slot in bindings:
            sequence = QKeySequence(keys)
            text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            if text in RESERVED_SHORTCUTS:
                raise ValueError(f"{text} is the window's shortcut; choose another key")
            shortcut = QShortcut(sequence, self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)  # hidden labs never match
            shortcut.activated.connect(
                lambda sc=shortcut, fn=slot: self._on_shortcut(sc, fn))

    def _on_shortcut(self, shortcut: QShortcut, slot: Callable[[], Any]) -> None:
        focus = QApplication.focusWidget()
        if focus is None or not _focus_uses(focus, shortcut.key()):
            slot()
            return
        shortcut.setEnabled(False)  # or the forwarded key would trigger it again
        try:
            _forward_key(focus, shortcut.key())
        finally:
            shortcut.setEnabled(True)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        """Return or Enter on a focused push button presses it (Space already does)."""
        focus = QApplication.focusWidget()
        if (event is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and isinstance(focus, QPushButton) and self.isAncestorOf(focus)
                and focus.isEnabled()):
            focus.animateClick()
            event.accept()
            return
        super().keyPressEvent(event)

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

    def pause(self) -> None:
        """Stop whatever moves (training runs, animations); nothing moves by default."""

    def self_test(self) -> None:
        """Exercise the panel briefly; raise ``AssertionError`` on a wrong result."""
        raise NotImplementedError(f"{type(self).__name__} has no self-test")

    def data_exports(self) -> list[DataExport]:
        """What File → Export Data offers for this lab (none by default)."""
        return []

    def animation_source(self) -> AnimationSource | None:
        """The lab's run for the scrubber and Export Animation… (none by default)."""
        return None

    def export_animation(self) -> None:
        """File → Export Animation… (and the lab's toolbar button): ask, then export.

        Pauses the lab; says so plainly when there is nothing to animate (no
        animation source, or fewer than two recorded steps).
        """
        source = self.animation_source()
        if source is None:
            QMessageBox.information(self, "Export Animation",
                                    "This lab has no run to animate.")
            return
        if len(source.animation_steps()) < 2:
            QMessageBox.information(
                self, "Export Animation",
                "There is nothing to animate yet: the run has fewer than two recorded "
                "steps.\nTrain for a while (Run or Step), then export the animation.")
            return
        from .animation_export import export_animation_dialog

        export_animation_dialog(self, source)

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
