"""File → Export Animation…'s settings and the dialog that asks for them.

:class:`ExportSettings` says where, in which format, with how many frames, how
fast and how wide; :class:`ExportAnimationDialog` asks for them, with an
estimate of the result. :mod:`convlab.gui.animation_export` renders and writes
the animation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from convlab import media

if TYPE_CHECKING:
    from .base import AnimationSource

__all__ = ["FORMATS", "LOG_SPACING_ABOVE", "ExportAnimationDialog", "ExportSettings",
           "default_spacing"]

#: format key → (label in the dialog, file suffix)
FORMATS: dict[str, tuple[str, str]] = {
    "gif": ("Animated GIF (.gif)", ".gif"),
    "mp4": ("MP4 video (.mp4)", ".mp4"),
    "html": ("Web page with the video (.html)", ".html"),
}
#: Runs longer than this many steps default to logarithmic spacing.
LOG_SPACING_ABOVE = 1000


@dataclass(frozen=True)
class ExportSettings:
    """What the dialog asks: where, which format, how many frames, how fast, how wide."""

    path: Path
    fmt: str = "gif"  # a key of FORMATS
    n_frames: int = 100
    fps: int = 10
    spacing: str = "even"  # "even" or "log"
    width: int = 1280


def default_spacing(steps: np.ndarray) -> str:
    """``"log"`` for a run of more than :data:`LOG_SPACING_ABOVE` steps, else ``"even"``."""
    return "log" if len(steps) >= 2 and steps[-1] - steps[0] > LOG_SPACING_ABOVE else "even"


class ExportAnimationDialog(QDialog):
    """Asks for the settings of an animation of ``source``'s run (see :class:`ExportSettings`)."""

    def __init__(self, source: AnimationSource, parent: QWidget | None = None,
                 folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Animation")
        self._steps = np.asarray(source.animation_steps())
        self._name = source.animation_name()
        self.encoder_available = media.encoder_available()

        self.format_box = QComboBox()
        for key, (label, _) in FORMATS.items():
            self.format_box.addItem(label, key)
        self.format_box.setToolTip("GIF plays everywhere (also in slides); MP4 is smaller and "
                                   "sharper; the web page embeds the MP4 in one file")
        self.install_note = QLabel(
            "MP4 and the web page need the optional package imageio-ffmpeg. "
            '<a href="install">How to install…</a>')
        self.install_note.setWordWrap(True)
        self.install_note.linkActivated.connect(self.show_install_help)
        if not self.encoder_available:
            model = self.format_box.model()
            for index in (1, 2):
                item = model.item(index)  # type: ignore[union-attr]
                item.setEnabled(False)
                item.setToolTip("needs imageio-ffmpeg (see How to install…)")
        self.install_note.setVisible(not self.encoder_available)

        self.frames_box = QSpinBox()
        self.frames_box.setRange(2, 1000)
        self.frames_box.setValue(100)
        self.frames_box.setToolTip("How many steps of the run become frames (a run that "
                                   "recorded fewer steps gives fewer frames)")
        self.fps_box = QSpinBox()
        self.fps_box.setRange(1, int(media.GIF_MAX_FPS))
        self.fps_box.setValue(10)
        self.fps_box.setSuffix(" fps")
        self.fps_box.setToolTip("Frames per second when the animation plays")
        self.spacing_box = QComboBox()
        self.spacing_box.addItem("Even (same number of steps between frames)", "even")
        self.spacing_box.addItem("Logarithmic (more frames early in the run)", "log")
        self.spacing_box.setCurrentIndex(1 if default_spacing(self._steps) == "log" else 0)
        self.spacing_box.setToolTip(
            "Even: frames equally many steps apart. Logarithmic: frames equally spaced in "
            "log(step), so the first, fast-changing steps get more frames. The default is "
            f"logarithmic for runs longer than {LOG_SPACING_ABOVE:,} steps, where even "
            "spacing would show the interesting start in a frame or two.")
        self.width_box = QSpinBox()
        self.width_box.setRange(320, 3840)
        self.width_box.setSingleStep(160)
        self.width_box.setValue(1280)
        self.width_box.setSuffix(" px")
        self.width_box.setToolTip("Width of the frames in pixels; the height follows the "
                                  "lab's shape. Text is drawn at this size, not scaled.")

        folder = folder if folder is not None else Path.home()
        self.path_edit = QLineEdit(str(folder / f"{self._name}.gif"))
        self.path_edit.setToolTip("The file to write")
        browse = QPushButton("Browse…")
        browse.setToolTip("Choose the file")
        browse.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.estimate = QLabel()
        self.estimate.setToolTip("Frames after removing repeated steps, and how long the "
                                 "animation plays")

        form = QFormLayout()
        form.addRow("&Format:", self.format_box)
        form.addRow("", self.install_note)
        form.addRow("F&rames:", self.frames_box)
        form.addRow("Frame ra&te:", self.fps_box)
        form.addRow("&Spacing:", self.spacing_box)
        form.addRow("&Width:", self.width_box)
        form.addRow("F&ile:", path_row)
        form.addRow("", self.estimate)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        for box in (self.frames_box, self.fps_box):
            box.valueChanged.connect(self.update_estimate)
        self.spacing_box.currentIndexChanged.connect(self.update_estimate)
        self.path_edit.textChanged.connect(self._update_ok)
        self.update_estimate()

    def frame_steps(self) -> np.ndarray:
        """The steps the current settings turn into frames."""
        return media.frame_steps(self._steps, self.frames_box.value(),
                                 self.spacing_box.currentData())

    def update_estimate(self) -> None:
        frames = len(self.frame_steps())
        seconds = frames / self.fps_box.value()
        self.estimate.setText(f"≈ {frames} frames, ~{seconds:.1f} s")

    def settings(self) -> ExportSettings:
        fmt = self.format_box.currentData()
        return ExportSettings(
            path=self._with_suffix(Path(self.path_edit.text().strip()), fmt), fmt=fmt,
            n_frames=self.frames_box.value(), fps=self.fps_box.value(),
            spacing=self.spacing_box.currentData(), width=self.width_box.value())

    def browse(self) -> None:
        fmt = self.format_box.currentData()
        label, suffix = FORMATS[fmt]
        path, _ = QFileDialog.getSaveFileName(self, "Export Animation", self.path_edit.text(),
                                              f"{label.split(' (')[0]} (*{suffix})")
        if path:
            self.path_edit.setText(str(self._with_suffix(Path(path), fmt)))

    def show_install_help(self, _link: str = "") -> None:
        QMessageBox.information(
            self, "MP4 export",
            "MP4 video and the web page are written with ffmpeg, which comes with the "
            "optional Python package imageio-ffmpeg (about 60 MB, so it is not part of "
            "ConvLab's standard install or of the stand-alone program).\n\n"
            f"In the Python environment ConvLab runs in:\n    {media.INSTALL_HINT}\n\n"
            "then restart ConvLab. Animated GIF needs nothing more.")

    @staticmethod
    def _with_suffix(path: Path, fmt: str) -> Path:
        suffix = FORMATS[fmt][1]
        if not path.name or path.suffix.lower() == suffix:
            return path
        if path.suffix.lower() in {s for _, s in FORMATS.values()}:
            return path.with_suffix(suffix)
        return path.with_name(path.name + suffix)

    def _on_format_changed(self) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(self._with_suffix(Path(text),
                                                         self.format_box.currentData())))

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            bool(self.path_edit.text().strip()))
