"""File → Open / Save / Save As / Open Recent, unsaved-change tracking and autosave.

The controller knows the labs only through :class:`convlab.gui.base.LabHost`
(who holds them) and :class:`convlab.gui.base.Lab` (``get_state``,
``set_state``, ``revision``); it reads and writes its own settings and tells
the window what to show through signals (``title_changed``,
``status_message``). Whether there are unsaved changes is decided by comparing
each lab's ``revision()`` with the one recorded when the session was last
saved or opened (a cheap check, once a second and before closing). Opening is
all or nothing: if any lab rejects its part, or fails in any way, every lab is
put back as it was and the error names the problem.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QSettings, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

import convlab
from convlab import session
from convlab.gui.base import LabHost

from .actions import add_action

__all__ = ["SessionController"]

log = logging.getLogger("convlab.session")

MAX_RECENT = 8
AUTOSAVE_MS = 30_000
FILE_FILTER = "ConvLab session (*.convlab);;All files (*)"


def autosave_path() -> Path:
    from convlab.paths import user_data_dir

    return user_data_dir() / "autosave.convlab"


class SessionController(QObject):
    """Session files for the labs of one window.

    Parameters
    ----------
    labs : LabHost
        Who holds the labs (the main window).
    settings : QSettings
        Where the recent-files list lives.
    parent : QWidget
        Parent of the dialogs (the main window).
    interactive : bool
        ``False`` (screenshots, self-tests, tests): no autosave file is written or removed.
    """

    #: The window title to show ("name[*] — ConvLab") and whether there are unsaved changes.
    title_changed = pyqtSignal(str, bool)
    #: A short message for the status bar.
    status_message = pyqtSignal(str)

    def __init__(self, labs: LabHost, settings: QSettings, parent: QWidget,
                 interactive: bool = True) -> None:
        super().__init__(parent)
        self.labs = labs
        self.settings = settings
        self.dialog_parent = parent
        self.interactive = interactive
        self.path: Path | None = None
        self._saved: dict[str, int] = {}  # lab key → revision when last saved/opened/built
        self._autosaved: dict[str, int] | None = None

        self._check_timer = QTimer(self)
        self._check_timer.setInterval(1000)
        self._check_timer.timeout.connect(self.update_title)
        self._check_timer.start()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        if interactive:  # screenshots and self-tests leave the user's autosave alone
            self._autosave_timer.start()

    # -- menu ----------------------------------------------------------------
    def add_actions(self, menu: QMenu) -> None:
        add_action(menu, "&Open Session…", self.open_dialog, QKeySequence.StandardKey.Open,
                   "Open a saved .convlab session", parent=self)
        self.recent_menu = menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        add_action(menu, "&Save Session", self.save, QKeySequence.StandardKey.Save,
                   "Save every lab to the session file", parent=self)
        add_action(menu, "Save Session &As…", self.save_as_dialog,
                   QKeySequence.StandardKey.SaveAs, "Save every lab to a new session file",
                   parent=self)

    def recent_files(self) -> list[str]:
        value = self.settings.value("session/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("session/recent", recent[:MAX_RECENT])

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
        """Every lab's state (building the labs not built yet)."""
        return {key: lab.get_state() for key, lab in self.labs.all_labs().items()}

    def _revisions(self) -> dict[str, int]:
        return {key: lab.revision() for key, lab in self.labs.built_labs().items()}

    def mark_clean(self, key: str | None = None) -> None:
        """Record the current state of lab ``key`` (or all built labs) as saved."""
        revisions = self._revisions()
        for k in [key] if key is not None else list(revisions):
            self._saved[k] = revisions[k]
        self.update_title()

    def is_dirty(self) -> bool:
        """Whether any built lab changed since the session was last saved or opened."""
        return any(rev != self._saved.get(key) for key, rev in self._revisions().items())

    def update_title(self) -> None:
        """Emit the window title and the unsaved-changes mark."""
        name = self.path.name if self.path is not None else "Untitled"
        self.title_changed.emit(f"{name}[*] — ConvLab", self.is_dirty())

    # -- open --------------------------------------------------------------
    def apply(self, states: dict[str, dict[str, Any]], name: str) -> None:
        """Give each lab its part; on any error restore every lab and raise SessionError."""
        labs = self.labs.all_labs()
        unknown = sorted(set(states) - set(labs))
        if unknown:
            raise session.SessionError(f"{name}: unknown lab(s) {', '.join(unknown)}")
        before = {key: lab.get_state() for key, lab in labs.items()}
        applied = []
        try:
            for key, state in states.items():
                applied.append(key)
                labs[key].set_state(state)
        except Exception as exc:  # any failure: every lab goes back as it was
            for done in applied:
                labs[done].set_state(before[done])
            log.warning("%s: %s lab refused its state", name, key, exc_info=True)
            raise session.SessionError(f"{name}: {key} lab: {exc}") from None

    def open_path(self, path: Path) -> None:
        """Open a session file; raises SessionError with the labs untouched on failure."""
        labs = session.load_session(path)
        self.apply(labs, path.name)
        self.path = path
        self._remember(path)
        self.mark_clean()
        self.status_message.emit(f"Opened {path}")

    def open_with_prompt(self, path: Path) -> bool:
        if not self.maybe_save():
            return False
        try:
            self.open_path(path)
        except session.SessionError as exc:
            QMessageBox.warning(self.dialog_parent, "Cannot open session", str(exc))
            return False
        return True

    def open_dialog(self) -> None:
        start = str(self.path.parent if self.path else Path.home())
        name, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open Session", start,
                                              FILE_FILTER)
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
                self.dialog_parent, "Cannot save session", f"Could not save {path.name}:\n{exc}"
            )
            return False
        self.path = path
        self._remember(path)
        self.mark_clean()
        self.status_message.emit(f"Saved {path}")
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as_dialog()
        return self.save_to(self.path)

    def save_as_dialog(self) -> bool:
        start = str(self.path or Path.home() / f"lab{session.SUFFIX}")
        name, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Save Session As", start,
                                              FILE_FILTER)
        return bool(name) and self.save_to(Path(name))

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False if the user cancelled."""
        if not self.is_dirty():
            return True
        answer = QMessageBox.question(
            self.dialog_parent,
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
        built = self.labs.built_labs()
        revisions = self._revisions()
        if not built or revisions == self._autosaved:
            return
        states = {key: lab.get_state() for key, lab in built.items()}
        path = autosave_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            session.save_session(path, states, convlab.__version__)
        except (OSError, ValueError) as exc:
            log.warning("autosave failed: %s", exc)
            return
        self._autosaved = revisions

    def discard_autosave(self) -> None:
        """Called on a clean exit: nothing to recover next time."""
        self._autosave_timer.stop()
        self._check_timer.stop()
        if not self.interactive:
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
                self.dialog_parent,
                "Restore the last session?",
                "ConvLab did not close properly last time. Restore the labs as they were?",
            )
            == QMessageBox.StandardButton.Yes
        )
        if restore:
            try:
                self.apply(session.load_session(path), "the recovered session")
            except session.SessionError as exc:
                kept = _keep_aside(path)
                where = f"\n\nThe recovered file was kept as {kept}" if kept else ""
                QMessageBox.warning(self.dialog_parent, "Cannot restore", f"{exc}{where}")
                return False
        path.unlink(missing_ok=True)
        return restore


def _keep_aside(path: Path) -> Path | None:
    """Rename an autosave that could not be restored so that it is never lost."""
    import time

    target = path.with_name(f"unrestored-{time.strftime('%Y%m%d-%H%M%S')}{session.SUFFIX}")
    try:
        path.replace(target)
    except OSError as exc:
        log.warning("could not keep the unrestored autosave: %s", exc)
        return None
    return target
