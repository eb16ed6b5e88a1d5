"""File → Open / Save / Save As / Open Recent, unsaved-change tracking and autosave.

The controller asks each lab panel for its state (``get_state``) and gives it
back (``set_state``). Whether there are unsaved changes is decided by
comparing the labs' current states with those last saved or opened (checked
once a second and before closing), so panels need no bookkeeping of their own.
Opening is all or nothing: if any lab rejects its part, every lab is put back
as it was and the error names the problem.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, QTimer
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QFileDialog, QMenu, QMessageBox

import convlab
from convlab import session

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["SessionController"]

log = logging.getLogger("convlab.session")

MAX_RECENT = 8
AUTOSAVE_MS = 30_000
FILE_FILTER = "ConvLab session (*.convlab);;All files (*)"


def _fingerprint(states: dict[str, Any]) -> str:
    return json.dumps(states, sort_keys=True, default=str)


def autosave_path() -> Path:
    from convlab.paths import user_data_dir

    return user_data_dir() / "autosave.convlab"


class SessionController(QObject):
    """Session files for one :class:`MainWindow`."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.path: Path | None = None
        self._saved: dict[str, str] = {}  # lab key → fingerprint when last saved/opened/built
        self._autosaved = ""
        self._dirty = False

        self._check_timer = QTimer(self)
        self._check_timer.setInterval(1000)
        self._check_timer.timeout.connect(self.update_title)
        self._check_timer.start()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        if window.interactive:  # screenshots and self-tests leave the user's autosave alone
            self._autosave_timer.start()

    # -- menu ----------------------------------------------------------------
    def add_actions(self, menu: QMenu) -> None:
        w = self.window
        w._action(menu, "&Open Session…", self.open_dialog, QKeySequence.StandardKey.Open,
                  "Open a saved .convlab session")
        self.recent_menu = menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        w._action(menu, "&Save Session", self.save, QKeySequence.StandardKey.Save,
                  "Save all three labs to the session file")
        w._action(menu, "Save Session &As…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs,
                  "Save all three labs to a new session file")

    def recent_files(self) -> list[str]:
        value = self.window.settings.value("session/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.window.settings.setValue("session/recent", recent[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for name in recent:
            action = QAction(name, self.recent_menu)
            action.triggered.connect(lambda _=False, p=name: self.open_with_prompt(Path(p)))
            self.recent_menu.addAction(action)
        if not recent:
            empty = self.recent_menu.addAction("(no recent sessions)")
            empty.setEnabled(False)

    # -- state ---------------------------------------------------------------
    def lab_states(self) -> dict[str, dict[str, Any]]:
        self.window.build_all()
        return {key: panel.get_state() for key, panel in self.window.panels.items()}

    def mark_clean(self, key: str | None = None) -> None:
        """Record the current state of lab ``key`` (or all built labs) as saved."""
        panels = self.window.panels
        for k in [key] if key is not None else list(panels):
            self._saved[k] = _fingerprint(panels[k].get_state())
        self.update_title()

    def is_dirty(self) -> bool:
        return any(
            _fingerprint(panel.get_state()) != self._saved.get(key)
            for key, panel in self.window.panels.items()
        )

    def update_title(self) -> None:
        self._dirty = self.is_dirty()
        name = self.path.name if self.path is not None else "Untitled"
        self.window.setWindowTitle(f"{name}[*] — ConvLab")
        self.window.setWindowModified(self._dirty)

    # -- open --------------------------------------------------------------
    def apply(self, labs: dict[str, dict[str, Any]], name: str) -> None:
        """Give each lab its part; on any error restore every lab and raise SessionError."""
        self.window.build_all()
        unknown = sorted(set(labs) - set(self.window.panels))
        if unknown:
            raise session.SessionError(f"{name}: unknown lab(s) {', '.join(unknown)}")
        before = {key: panel.get_state() for key, panel in self.window.panels.items()}
        applied = []
        try:
            for key, state in labs.items():
                applied.append(key)
                self.window.panels[key].set_state(state)
        except (ValueError, TypeError, KeyError) as exc:
            for key in applied:
                self.window.panels[key].set_state(before[key])
            raise session.SessionError(f"{name}: {key} lab: {exc}") from None

    def open_path(self, path: Path) -> None:
        """Open a session file; raises SessionError with the labs untouched on failure."""
        labs = session.load_session(path)
        self.apply(labs, path.name)
        self.path = path
        self._remember(path)
        self.mark_clean()
        self.window.statusBar().showMessage(f"Opened {path}", 5000)

    def open_with_prompt(self, path: Path) -> bool:
        if not self.maybe_save():
            return False
        try:
            self.open_path(path)
        except session.SessionError as exc:
            QMessageBox.warning(self.window, "Cannot open session", str(exc))
            return False
        return True

    def open_dialog(self) -> None:
        start = str(self.path.parent if self.path else Path.home())
        name, _ = QFileDialog.getOpenFileName(self.window, "Open Session", start, FILE_FILTER)
        if name:
            self.open_with_prompt(Path(name))

    # -- save --------------------------------------------------------------
    def save_to(self, path: Path) -> bool:
        if path.suffix != session.SUFFIX:
            path = path.with_suffix(path.suffix + session.SUFFIX) if path.suffix else (
                path.with_suffix(session.SUFFIX))
        try:
            session.save_session(path, self.lab_states(), convlab.__version__)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(
                self.window, "Cannot save session", f"Could not save {path.name}:\n{exc}"
            )
            return False
        self.path = path
        self._remember(path)
        self.mark_clean()
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as_dialog()
        return self.save_to(self.path)

    def save_as_dialog(self) -> bool:
        start = str(self.path or Path.home() / f"lab{session.SUFFIX}")
        name, _ = QFileDialog.getSaveFileName(self.window, "Save Session As", start, FILE_FILTER)
        return bool(name) and self.save_to(Path(name))

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False if the user cancelled."""
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            "The labs have changes that are not saved in a session file. Save them?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # -- autosave and recovery --------------------------------------------------
    def autosave(self) -> None:
        """Write the labs to the autosave file if they changed since the last autosave."""
        if not self.window.panels:
            return
        states = {key: panel.get_state() for key, panel in self.window.panels.items()}
        fingerprint = _fingerprint(states)
        if fingerprint == self._autosaved:
            return
        path = autosave_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            session.save_session(path, states, convlab.__version__)
        except (OSError, ValueError) as exc:
            log.warning("autosave failed: %s", exc)
            return
        self._autosaved = fingerprint

    def discard_autosave(self) -> None:
        """Called on a clean exit: nothing to recover next time."""
        self._autosave_timer.stop()
        self._check_timer.stop()
        if not self.window.interactive:
            return
        try:
            autosave_path().unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove the autosave file: %s", exc)

    def offer_recovery(self, ask: bool = True) -> bool:
        """If the last run did not close cleanly, offer to restore its labs.

        Returns True if the labs were restored.
        """
        path = autosave_path()
        if not path.exists():
            return False
        restore = not ask or (
            QMessageBox.question(
                self.window,
                "Restore the last session?",
                "ConvLab did not close properly last time. Restore the labs as they were?",
            )
            == QMessageBox.StandardButton.Yes
        )
        if restore:
            try:
                self.apply(session.load_session(path), "the recovered session")
            except session.SessionError as exc:
                QMessageBox.warning(self.window, "Cannot restore", str(exc))
                restore = False
        path.unlink(missing_ok=True)
        return restore
