"""Where a newcomer starts: a "Try this first" strip above each lab, and Help → Guide."""

from __future__ import annotations

from PyQt6.QtCore import QSettings, pyqtSignal
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from .labs import LabSpec

__all__ = ["GuideDialog", "TryFirstStrip", "guide_html"]


def _settings_key(lab: str) -> str:
    return f"tips/{lab}/dismissed"


class TryFirstStrip(QFrame):
    """Two or three numbered steps for one lab, until the user dismisses them.

    Whether it was dismissed is kept in ``settings``; :meth:`restore` shows it again
    (Help → Show Try-This-First Tips).
    """

    dismissed = pyqtSignal()

    def __init__(self, spec: LabSpec, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = spec.key
        self.settings = settings
        self.setObjectName("tryFirst")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        steps = " &nbsp; ".join(f"<b>{i}.</b> {text}" for i, text in enumerate(spec.try_first, 1))
        self.label = QLabel(f"<b>Try this first:</b> &nbsp; {steps}")
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.close_button = QPushButton("Got it")
        self.close_button.setToolTip("Hide these steps (Help → Show Try-This-First Tips "
                                     "brings them back)")
        self.close_button.setAccessibleName(f"Hide the first steps of {spec.plain_title}")
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.close_button)
        self.setVisible(bool(spec.try_first) and not self.is_dismissed())

    def is_dismissed(self) -> bool:
        return self.settings.value(_settings_key(self.key), False, type=bool)

    def dismiss(self) -> None:
        self.settings.setValue(_settings_key(self.key), True)
        self.hide()
        self.dismissed.emit()

    def restore(self) -> None:
        self.settings.remove(_settings_key(self.key))
        self.show()


def guide_html() -> str:
    """The guide's page (shipped with the package)."""
    from convlab.paths import resource_path

    return resource_path("guide.html").read_text(encoding="utf-8")


class GuideDialog(QDialog):
    """Help → Guide: the one-page guide to the labs, in a window of the app's own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ConvLab guide")
        self.resize(720, 640)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName("ConvLab guide")
        try:
            self.browser.setHtml(guide_html())
        except OSError as exc:
            self.browser.setPlainText(f"The guide could not be read: {exc}")
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
