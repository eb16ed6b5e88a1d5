"""The MNIST lab's data source: the bundled sample, a folder, detected copies, a download.

:class:`DataSourceMixin` builds the "Data" box and loads or downloads MNIST in
the background (through the panel's ``tasks``); while it works the buttons are
disabled and a progress bar shows. A failure keeps the current data and says
why. It is mixed into :class:`~convlab.labs.mnist.panel.MnistPanel`, whose
``state``, ``data``, ``tasks``, ``status_message``, ``_sync_widgets`` and
``refresh`` it uses, and tells the statistics tab when the digits change.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QComboBox, QFileDialog, QLabel, QProgressBar, QSizePolicy

import convlab
import convlab.core as cc
from convlab.gui.theme import ERROR_COLOR
from convlab.paths import user_cache_dir

from .layout import button, group, row

__all__ = ["DataSourceMixin"]


def _find_copies(*, progress, cancel) -> list[cc.MnistCandidate]:
    """Background job: look for Keras / torchvision copies (see ``find_local_copies``)."""
    cc.check_cancel(cancel)
    return cc.find_local_copies(cache_dir=user_cache_dir())


class DataSourceMixin:
    """The "Data" box of :class:`~convlab.labs.mnist.panel.MnistPanel` and its loading."""

    def _search_copies(self) -> None:
        """Look for Keras / torchvision copies in the background; they fill the combo box."""
        self.tasks.start(_find_copies, on_result=self._on_copies, name="find MNIST copies")

    def _build_data_box(self) -> None:
        self._data_task = None
        self._pending_index: int | None = None  # digit to show once a session's data loads
        self._candidates: list[cc.MnistCandidate] = []
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setToolTip("Where the digits come from")
        self.data_error = QLabel()
        self.data_error.setWordWrap(True)
        self.data_error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.data_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_error.hide()
        self.bundled_button = button(
            "Sample", "Use the bundled sample (1,000 + 1,000 digits)", self.load_bundled
        )
        self.open_button = button(
            "Open folder…",
            "Load the four MNIST files (IDX, gzipped or not) from a folder, "
            "or a Keras mnist.npz",
            self.choose_folder,
            "Ctrl+Shift+O",
        )
        self.copies = QComboBox()
        self.copies.setToolTip("Copies of MNIST found on this computer (Keras, torchvision)")
        self.copies.setPlaceholderText("no copies found")
        self.copies.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.use_copy = button("Use", "Load the selected copy", self._load_copy)
        self.use_copy.setEnabled(False)
        self.download_button = button(
            "Download full MNIST",
            "Download the 70,000 digits (about 11 MB) into ConvLab's cache, "
            "checking every file's SHA-256",
            self.download,
        )
        self.data_cancel = button("Cancel", "Stop loading or downloading", self._cancel_data)
        self.data_cancel.setEnabled(False)
        self.data_progress = QProgressBar()
        self.data_progress.setRange(0, 1000)
        self.data_progress.setTextVisible(False)
        self.data_progress.setMaximumHeight(8)
        self.data_progress.hide()
        self.data_box = group(
            "Data",
            self.source_label,
            self.data_error,
            row(self.bundled_button, self.open_button),
            row(self.copies, self.use_copy, stretch=0),
            row(self.download_button, self.data_cancel, stretch=0),
            self.data_progress,
        )

    def _show_source(self) -> None:
        self.source_label.setText(f"<b>Source:</b> {self.data.source}")

    def load_bundled(self) -> None:
        self.load_source(None)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the four MNIST files")
        if folder:
            self.load_source(folder)

    def _load_copy(self) -> None:
        index = self.copies.currentIndex()
        if 0 <= index < len(self._candidates):
            self.load_source(str(self._candidates[index].path))

    def _on_copies(self, candidates: list[cc.MnistCandidate]) -> None:
        self._candidates = list(candidates)
        self.copies.clear()
        for cand in self._candidates:
            self.copies.addItem(f"{cand.kind}: {cand.path}")
            self.copies.setItemData(
                self.copies.count() - 1, cand.description, Qt.ItemDataRole.ToolTipRole
            )
        if self._candidates:
            self.copies.setCurrentIndex(0)
        self.use_copy.setEnabled(bool(self._candidates))

    def load_source(self, source: str | Path | None) -> None:
        """Load MNIST from ``source`` in the background; on failure keep the current data."""
        self._cancel_data()
        self._data_busy(True, "Loading…")
        self._data_task = self.tasks.start(
            cc.load_mnist,
            None if source is None else str(source),
            on_result=lambda data, src=source: self._on_loaded(data, src),
            on_error=self._on_data_error,
            on_progress=self._on_data_progress,
            on_cancelled=lambda: self.status_message.emit("Loading cancelled"),
            on_finished=lambda: self._data_busy(False),
            name="load MNIST",
        )

    def download(self) -> None:
        """Download the full set (verified) off the GUI thread, then load it."""
        self._cancel_data()
        self._data_busy(True, "Downloading MNIST…")
        self._data_task = self.tasks.start(
            cc.download_mnist,
            user_cache_dir() / "mnist",
            on_result=self._on_downloaded,
            on_error=self._on_data_error,
            on_progress=self._on_data_progress,
            on_cancelled=lambda: self.status_message.emit("Download cancelled"),
            on_finished=lambda: self._data_busy(False),
            name="download MNIST",
            user_agent=f"ConvLab/{convlab.__version__}",
        )

    def _on_downloaded(self, folder: Path) -> None:
        QTimer.singleShot(0, lambda: self.load_source(folder))

    def _cancel_data(self) -> None:
        if self._data_task is not None and self._data_task.is_running():
            self._data_task.cancel()

    def _data_busy(self, busy: bool, message: str = "") -> None:
        if self._data_task is not None and not busy and self._data_task.is_running():
            return
        for w in (self.bundled_button, self.open_button, self.download_button):
            w.setEnabled(not busy)
        self.use_copy.setEnabled(not busy and bool(self._candidates))
        self.data_cancel.setEnabled(busy)
        self.data_progress.setVisible(busy)
        self.data_progress.setValue(0)
        if busy:
            self.data_error.hide()
            self.status_message.emit(message)

    def _on_data_progress(self, fraction: float, message: str) -> None:
        self.data_progress.setValue(round(1000 * fraction))
        if message:
            self.data_progress.setToolTip(message)

    def _on_data_error(self, message: str, _details: str) -> None:
        self.data_error.setText(f"Could not load: {message}\nStill using {self.data.source}.")
        self.data_error.show()
        self.status_message.emit(f"Could not load MNIST: {message}")

    def _on_loaded(self, data: cc.MnistDataset, source: str | Path | None) -> None:
        self.data = data
        self.state.data_source = None if source is None else str(source)
        self._filtered_cache = None
        self._forget_statistics()
        images, _ = self.data.split(self.state.split)
        wanted = self._pending_index if self._pending_index is not None else self.state.index
        self._pending_index = None
        self.state.index = min(wanted, len(images) - 1)
        self.data_error.hide()
        self._show_source()
        self._sync_widgets()
        self.refresh()
        self.status_message.emit(f"Loaded {data.source}")
