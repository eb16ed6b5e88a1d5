"""The "Data" box: the bundled sample, a folder, detected copies, a download.

:class:`DataSourceBox` loads or downloads MNIST in the background through the
:class:`~convlab.gui.worker.TaskRunner` it is given (the panel's, which its
shutdown cancels); while it works its buttons are disabled and a progress bar
shows. A loaded data set is announced with :attr:`DataSourceBox.loaded`; a
failure keeps the current digits and says so in one plain line (:func:`failure_line`),
the full reasons behind a "Details…" button; a download shows its percentage and
megabytes in the bar. The box shows where the current digits come from
(:class:`~convlab.gui.digits.DigitData`).
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QWidget,
)

import convlab
import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.gui.theme import mark_error_text
from convlab.gui.worker import Task, TaskRunner
from convlab.paths import user_cache_dir

from .layout import button, fill, row

__all__ = ["DOWNLOAD_FAILED", "DataSourceBox", "failure_line"]

#: The one line shown when no mirror delivered the files (the reasons are in the details).
DOWNLOAD_FAILED = (
    "Could not reach any MNIST mirror — check the connection, or use Open folder…"
)
_MAX_REASON = 90  # characters of a load failure's reason shown in the line


def failure_line(message: str, downloading: bool) -> str:
    """The one plain line saying a load (or download) failed; ``message`` is the error.

    A download names no URLs or errno; a load gives the start of its reason.
    """
    if downloading:
        return DOWNLOAD_FAILED
    reason = " ".join(message.split())
    if len(reason) > _MAX_REASON:
        reason = reason[: _MAX_REASON - 1].rstrip() + "…"
    return f"Could not load: {reason}"


def _find_copies(*, progress, cancel) -> list[cc.MnistCandidate]:
    """Background job: look for Keras / torchvision copies (see ``find_local_copies``)."""
    cc.check_cancel(cancel)
    return cc.find_local_copies(cache_dir=user_cache_dir())


class DataSourceBox(QGroupBox):
    """Where the digits come from, and the ways to load others.

    ``loaded(dataset, source, index)``: a data set was loaded from ``source``
    (``None`` for the bundled sample); ``index`` is the digit to show (``None``:
    keep the current one). ``message(text)``: a line for the status bar.
    """

    loaded = pyqtSignal(object, object, object)
    message = pyqtSignal(str)

    def __init__(
        self, data: DigitData, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__("Data", parent)
        self._data = data
        self._tasks = tasks
        self._task: Task | None = None
        self._candidates: list[cc.MnistCandidate] = []
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setToolTip("Where the digits come from")
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self._details = ""
        self.details_button = button("Details…", "What went wrong, in full", self.show_details)
        self.details_button.hide()
        self.bundled_button = button(
            "Sample", "Use the bundled sample (1,000 + 1,000 digits)", self.load_bundled
        )
        self.open_button = button(
            "Open folder…",
            "Load the four MNIST files (IDX, gzipped or not) from a folder, or a Keras mnist.npz",
            self.choose_folder,
            "Ctrl+Shift+O",
        )
        self.copies = QComboBox()
        self.copies.setToolTip("Copies of MNIST found on this computer (Keras, torchvision)")
        self.copies.setPlaceholderText("no copies found")
        self.copies.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.copies.setAccessibleName("Copies of MNIST found on this computer")
        self.use_copy = button("Use", "Load the selected copy", self.load_selected_copy)
        self.use_copy.setEnabled(False)
        self.download_button = button(
            "Download full MNIST",
            "Download the 70,000 digits (about 11 MB) into ConvLab's cache, "
            "checking every file's SHA-256",
            self.download,
        )
        self.cancel_button = button("Cancel", "Stop loading or downloading", self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p %")
        self.progress.setAccessibleName("Loading progress")
        self.progress.hide()
        details_row = row(self.details_button)
        details_row.addStretch(1)
        fill(
            self,
            self.source_label,
            self.error_label,
            details_row,
            row(self.bundled_button, self.open_button),
            row(self.copies, self.use_copy, stretch=0),
            row(self.download_button, self.cancel_button, stretch=0),
            self.progress,
        )
        data.changed.connect(self._on_data_changed)
        mark_error_text(self.error_label)  # the look's error colour, ≥ 4.5:1 on the window
        self._show_source()

    # -- actions -------------------------------------------------------------
    def search_copies(self) -> None:
        """Look for Keras / torchvision copies in the background; they fill the combo box."""
        self._tasks.start(_find_copies, on_result=self.set_candidates, name="find MNIST copies")

    def load_bundled(self) -> None:
        self.load_source(None)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the four MNIST files")
        if folder:
            self.load_source(folder)

    def load_selected_copy(self) -> None:
        index = self.copies.currentIndex()
        if 0 <= index < len(self._candidates):
            self.load_source(str(self._candidates[index].path))

    def load_source(self, source: str | Path | None, index: int | None = None) -> None:
        """Load MNIST from ``source`` in the background, then show digit ``index``.

        On failure the current digits stay and the box says why.
        """
        self.cancel()
        self._set_busy(True, "Loading…")
        self._task = self._tasks.start(
            cc.load_mnist,
            None if source is None else str(source),
            on_result=lambda data: self._on_loaded(data, source, index),
            on_error=self._on_error,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.message.emit("Loading cancelled"),
            on_finished=lambda: self._set_busy(False),
            name="load MNIST",
        )

    def download(self) -> None:
        """Download the full set (verified) off the GUI thread, then load it."""
        self.cancel()
        self._set_busy(True, "Downloading MNIST…")
        self._task = self._tasks.start(
            cc.download_mnist,
            user_cache_dir() / "mnist",
            on_result=self._on_downloaded,
            on_error=self._on_download_error,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.message.emit("Download cancelled"),
            on_finished=lambda: self._set_busy(False),
            name="download MNIST",
            user_agent=f"ConvLab/{convlab.__version__}",
        )

    def cancel(self) -> None:
        """Stop the load or download in progress (if any)."""
        if self._task is not None and self._task.is_running():
            self._task.cancel()

    def set_candidates(self, candidates: list[cc.MnistCandidate]) -> None:
        """Offer ``candidates`` (found copies of MNIST) in the combo box."""
        self._candidates = list(candidates)
        self.copies.clear()
        for cand in self._candidates:
            self.copies.addItem(f"{cand.kind}: {cand.path}")
            self.copies.setItemData(
                self.copies.count() - 1, cand.description, Qt.ItemDataRole.ToolTipRole
            )
        if self._candidates:
            self.copies.setCurrentIndex(0)
        self.use_copy.setEnabled(bool(self._candidates) and not self.busy())

    def busy(self) -> bool:
        """True while loading or downloading."""
        return self._task is not None and self._task.is_running()

    def error_text(self) -> str:
        """The failure shown (empty when the last load worked)."""
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def error_details(self) -> str:
        """The full reasons of the failure shown (empty when the last load worked)."""
        return self._details if not self.error_label.isHidden() else ""

    def show_details(self) -> QMessageBox:
        """Show the full reasons of the last failure in a (non-modal) message box."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Loading MNIST failed",
                          self.error_label.text(), QMessageBox.StandardButton.Close, self)
        box.setInformativeText(f"Still using {self._data.source}.")
        box.setDetailedText(self._details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        return box

    # -- task callbacks ----------------------------------------------------------
    def _on_loaded(self, dataset: cc.MnistDataset, source: str | Path | None,
                   index: int | None) -> None:
        """Announce ``dataset``, unless a split holds no digit (there is nothing to show)."""
        empty = [name for name, split in (("training", "train"), ("test", "test"))
                 if len(dataset.split(split)[1]) == 0]
        if empty:
            which = " and ".join(empty)
            self._show_error(
                f"Could not load: no {which} digits there (0 images)",
                f"{source} holds no {which} digits: the lab needs at least one digit "
                "in each split. The current digits stay.",
            )
            return
        self.loaded.emit(dataset, source, index)

    def _on_downloaded(self, folder: Path) -> None:
        QTimer.singleShot(0, lambda: self.load_source(folder))

    def _set_busy(self, busy: bool, message: str = "") -> None:
        if not busy and self.busy():  # the finished task was replaced by a newer one
            return
        for w in (self.bundled_button, self.open_button, self.download_button):
            w.setEnabled(not busy)
        self.use_copy.setEnabled(not busy and bool(self._candidates))
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.progress.setFormat("%p %")
        if busy:
            self._hide_error()
            self.message.emit(message)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        if message:
            # "downloading …: 3.1 of 9.9 MB from host" → "31 % · 3.1 of 9.9 MB"
            amount = message.split(": ", 1)[-1].split(" from ", 1)[0]
            self.progress.setFormat(f"%p % · {amount}" if " MB" in amount else "%p %")
            self.progress.setToolTip(message)

    def _on_error(self, message: str, _details: str) -> None:
        self._show_error(failure_line(message, downloading=False), message)

    def _on_download_error(self, message: str, _details: str) -> None:
        self._show_error(failure_line(message, downloading=True), message)

    def _show_error(self, line: str, message: str) -> None:
        # the reasons, one per line (a download lists every mirror's): behind Details…
        self._details = message.replace(" — ", "\n").replace("; ", "\n")
        self.error_label.setText(line)
        self.error_label.setToolTip(f"Still using {self._data.source}. Details… says why.")
        self.error_label.show()
        self.details_button.show()
        self.message.emit(line)

    def _hide_error(self) -> None:
        self.error_label.hide()
        self.details_button.hide()

    def _on_data_changed(self, dataset: cc.MnistDataset) -> None:
        self._hide_error()
        self._show_source()
        self.message.emit(f"Loaded {dataset.source}")

    def _show_source(self) -> None:
        self.source_label.setText(f"<b>Source:</b> {self._data.source}")
