"""Help → Show Log File: the log in a window of the app's own, and where it is.

(Opening the folder with the desktop's file manager fails silently on machines
without one; this always shows something.)
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QUrl
from PyQt6.QtGui import QDesktopServices, QFontDatabase
from PyQt6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["LogViewer", "read_tail"]

#: The most of the log shown (its end: the latest lines).
TAIL_BYTES = 200_000


def read_tail(path: Path, limit: int = TAIL_BYTES) -> str:
    """The last ``limit`` bytes of ``path`` as text (from a line start), or why not."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read()
    except OSError as exc:
        return f"(the log file cannot be read: {exc.strerror or exc})"
    if size > limit:
        data = data[data.find(b"\n") + 1:]
    text = data.decode("utf-8", errors="replace")
    return text or "(empty: nothing has been logged yet)"


class LogViewer(QDialog):
    """A read-only view of the log file's end, its path, and buttons to copy or open it."""

    def __init__(self, path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ConvLab log")
        self.resize(760, 480)
        layout = QVBoxLayout(self)
        where = QLabel(f"Log file: <code>{path}</code>" if path else
                       "Logging to a file is not available (the folder could not be written).")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setWordWrap(True)
        layout.addWidget(where)
        self.text = QPlainTextEdit(read_tail(path) if path else "")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName("Log file contents")
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        if path is not None:
            copy = QPushButton("Copy &Path")
            copy.setToolTip("Copy the log file's path to the clipboard")
            copy.clicked.connect(lambda: QApplication.clipboard().setText(str(path)))
            folder = QPushButton("Open &Folder")
            folder.setToolTip("Show the log folder in the file manager")
            folder.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))
            buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
            buttons.addButton(folder, QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(buttons)
