"""Uncaught exceptions reach the user (a dialog) and a log file, never a silent exit.

PyQt6 aborts the process when an exception escapes a slot and no
``sys.excepthook`` other than the default is installed; :func:`install`
replaces it with one that logs the traceback and shows :class:`ErrorDialog`.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PyQt6.QtWidgets import QApplication, QMessageBox, QWidget

__all__ = ["ErrorDialog", "install", "log_file", "setup_logging"]

log = logging.getLogger("convlab")

_log_file: Path | None = None
_showing = False


def setup_logging(folder: Path | None = None) -> Path | None:
    """Log to ``<user data dir>/logs/convlab.log`` (rotating); return the file, or None.

    A folder that cannot be written (read-only home, full disk) only loses the
    log file: the app still starts.
    """
    global _log_file
    if folder is None:
        from convlab.paths import user_data_dir

        folder = user_data_dir() / "logs"
    path = Path(folder) / "convlab.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger("convlab").warning("no log file: %s", exc)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("convlab")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    _log_file = path
    return path


def log_file() -> Path | None:
    """The log file in use, if any."""
    return _log_file


class ErrorDialog(QMessageBox):
    """"Something went wrong" with the details, a *Copy details* button and the log path."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle("ConvLab — unexpected error")
        where = f"\n\nThe details are also in the log file:\n{_log_file}" if _log_file else ""
        self.setText(
            "Something went wrong, but your work is still open.\n\n"
            f"{summary}{where}\n\nIf it happens again, please report it with the details."
        )
        self.setDetailedText(details)
        self._details = details
        copy = self.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()  # keep the dialog open after copying
        copy.clicked.connect(self.copy_details)
        self.addButton(QMessageBox.StandardButton.Close)

    def copy_details(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self._details)


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    global _showing
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("uncaught exception\n%s", details)
    if _showing or QApplication.instance() is None:
        sys.__stderr__.write(details)
        return
    _showing = True
    try:
        ErrorDialog(f"{exc_type.__name__}: {exc}", details, QApplication.activeWindow()).exec()
    finally:
        _showing = False


def install() -> None:
    """Route uncaught exceptions to the log and an error dialog."""
    sys.excepthook = _excepthook
