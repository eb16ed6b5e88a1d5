"""Two pieces of code side by side: the notebook's way and ConvLab's (issue 15 §4).

Every lab has a "Show the notebook's code" button: :class:`CodeCompareButton`
opens a non-modal window with the notebook's code on the left and the same
computation with :mod:`convlab.core` on the right, both written by a function
of the lab (``texts``) from its current settings. :meth:`CodeCompareButton.refresh`
rewrites them; a lab connects it to its model's changes so the window follows.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtGui import QFontDatabase
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

__all__ = ["CodeCompareButton"]


class CodeCompareButton(QPushButton):
    """"Show the notebook's code": a window with ``texts()`` side by side, under ``titles``.

    Parameters
    ----------
    texts : callable
        Returns ``(notebook's code, ConvLab's code)`` for the lab's current settings.
    titles : (str, str)
        The two columns' headings (rich text).
    note : str
        One line above both (what they have in common).
    tooltip : str
        The button's tool tip.
    """

    def __init__(self, texts: Callable[[], tuple[str, str]], titles: tuple[str, str],
                 note: str = "", tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Show the notebook's code", parent)
        self._make_texts = texts
        self._titles = titles
        self._note = note
        self.setAccessibleName("Show the notebook's code")
        self.setToolTip(tooltip)
        self.dialog: QDialog | None = None
        self._edits: tuple[QPlainTextEdit, QPlainTextEdit] | None = None
        self.clicked.connect(lambda _checked=False: self.show_code())

    def show_code(self) -> QDialog:
        """Open (or refresh and raise) the window; returns it."""
        if self.dialog is None:
            self.dialog = self._build_window()
        self.dialog.show()
        self.refresh()
        self.dialog.raise_()
        return self.dialog

    def texts(self) -> tuple[str, str]:
        """The two codes as shown ("" before the window was first opened)."""
        if self._edits is None:
            return "", ""
        return self._edits[0].toPlainText(), self._edits[1].toPlainText()

    def refresh(self, *_args: object) -> None:
        """Rewrite both codes for the current settings (only while the window is open)."""
        if self._edits is None or self.dialog is None or not self.dialog.isVisible():
            return
        for edit, text in zip(self._edits, self._make_texts(), strict=True):
            if edit.toPlainText() != text:
                edit.setPlainText(text)

    def _build_window(self) -> QDialog:
        window = QDialog(self.window())
        window.setWindowTitle("The notebook's code and ConvLab's")
        grid = QGridLayout(window)
        if self._note:
            note = QLabel(self._note)
            note.setWordWrap(True)
            grid.addWidget(note, 0, 0, 1, 2)
        edits = []
        for column, (title, name) in enumerate(zip(self._titles, ("notebook", "convlab"),
                                                   strict=True)):
            edit = QPlainTextEdit()
            edit.setObjectName(name)
            edit.setReadOnly(True)
            edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("x" * 56))
            heading = QLabel(title)
            heading.setWordWrap(True)
            heading.setBuddy(edit)
            edit.setAccessibleName(heading.text().replace("<b>", "").replace("</b>", ""))
            grid.addWidget(heading, 1, column)
            grid.addWidget(edit, 2, column)
            edits.append(edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(window.close)
        grid.addWidget(buttons, 3, 0, 1, 2)
        window.resize(980, 560)
        self._edits = (edits[0], edits[1])
        return window
