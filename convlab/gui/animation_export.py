"""File → Export Animation…: a lab's run rendered frame by frame into a GIF, MP4 or HTML page.

Three pieces:

* :func:`render_frame` — a widget rendered at a chosen pixel width (its aspect
  kept) into an RGB array, through a QImage with a device-pixel ratio so text
  and lines are drawn at that resolution, not scaled up.
* :class:`ExportAnimationDialog` (:mod:`.animation_dialog`) — format, number
  of frames, frame rate, spacing, width and file, with an estimate of the result.
* :class:`AnimationExporter` — pauses the lab, renders the chosen steps on the
  GUI thread one phase per turn of the event loop (a ``QTimer``: showing a
  frame's step is one turn, rendering it the next, so the loop is never held
  longer than the slower of the two), hands the frames through a
  bounded queue to the encoder running as a :class:`~convlab.gui.worker.Task`
  (:mod:`convlab.media`), shows one progress dialog with Cancel for both, and
  finally shows again the step that was shown before. The file is written
  atomically: a cancelled or failed export leaves the folder unchanged.

:func:`export_animation_dialog` ties them together for
:meth:`convlab.gui.base.LabPanel.export_animation`.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from PyQt6.QtCore import QObject, QPoint, QTimer, pyqtSignal
from PyQt6.QtGui import QImage, QPainter, QRegion
from PyQt6.QtWidgets import QDialog, QMessageBox, QWidget

from convlab import media
from convlab.core import Cancelled

from .animation_dialog import FORMATS, ExportAnimationDialog, ExportSettings
from .widgets import QuietProgressDialog

if TYPE_CHECKING:
    from .base import AnimationSource, LabPanel

__all__ = [
    "FORMATS",
    "AnimationExporter",
    "ExportAnimationDialog",
    "ExportSettings",
    "export_animation_dialog",
    "render_frame",
]

#: Frames waiting for the encoder at most (each 1280×720 frame is 2.8 MB).
QUEUE_FRAMES = 4
#: GIF palette: made from this many frames spread over the animation.
PALETTE_FRAMES = 5


def render_frame(widget: QWidget, width: int) -> np.ndarray:
    """Render ``widget`` ``width`` pixels wide (its aspect ratio kept) as an RGB array.

    The widget paints into a QImage whose device-pixel ratio is ``width`` / the
    widget's width, so text, lines and markers are drawn at the output's
    resolution (crisp), not rendered small and scaled up.

    Parameters
    ----------
    widget : QWidget
        Rendered as it is laid out now (its current size).
    width : int
        Output width in pixels.

    Returns
    -------
    ndarray of uint8, shape (round(width · h / w), width, 3)
    """
    size = widget.size()
    if size.width() < 1 or size.height() < 1:
        raise ValueError("the widget has no size to render")
    if width < 1:
        raise ValueError(f"the width must be at least 1 pixel, got {width}")
    ratio = width / size.width()
    height = max(1, round(size.height() * ratio))
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(widget.palette().window().color())
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        # QWidget's render, also for a graphics view (whose own render() draws its scene)
        QWidget.render(widget, painter, QPoint(), QRegion(),
                       QWidget.RenderFlag.DrawWindowBackground
                       | QWidget.RenderFlag.DrawChildren)
    finally:
        painter.end()
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    bits = rgb.constBits()
    bits.setsize(rgb.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(height, rgb.bytesPerLine())
    return rows[:, : width * 3].reshape(height, width, 3).copy()


_END = object()


def _queued_frames(frames: queue.Queue, cancel: Callable[[], bool]) -> Iterator[np.ndarray]:
    """Frames from the GUI thread until the end mark; polls ``cancel`` while it waits."""
    while True:
        try:
            item = frames.get(timeout=0.02)
        except queue.Empty:
            if cancel():
                raise Cancelled("cancelled") from None
            continue
        if item is _END:
            return
        yield item


def _encode(settings: ExportSettings, frames: queue.Queue, total: int, title: str,
            caption: str, palette_sample: list[np.ndarray], *,
            progress: Callable[[float, str], None],
            cancel: Callable[[], bool]) -> int:
    """The encoder, in the worker thread: frames from the queue into the file."""
    stream = _queued_frames(frames, cancel)
    common: dict[str, Any] = {"fps": settings.fps, "n_frames": total, "progress": progress,
                              "cancel": cancel}
    if settings.fmt == "gif":
        return media.write_gif(settings.path, stream, palette_sample=palette_sample, **common)
    if settings.fmt == "mp4":
        return media.write_mp4(settings.path, stream, **common)
    return media.write_html(settings.path, stream, title=title, caption=caption, **common)


class AnimationExporter(QObject):
    """Renders ``source`` at each frame's step and encodes the frames (see the module).

    :meth:`start` begins; ``finished(outcome, message)`` says how it ended:
    ``"saved"`` (message "Saved … (N frames, X MB)"), ``"cancelled"`` or
    ``"failed"`` (a message for the user, no traceback).
    """

    finished = pyqtSignal(str, str)

    def __init__(self, lab: LabPanel, source: AnimationSource, settings: ExportSettings,
                 show_progress: bool = True) -> None:
        super().__init__(lab)
        self._lab = lab
        self._source = source
        self.settings = settings
        self.steps = media.frame_steps(source.animation_steps(), settings.n_frames,
                                       settings.spacing)
        self._restore_step: int | None = None
        self._frames: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._next = 0
        self._encoded = 0
        self._end_sent = False
        self._palette: list[np.ndarray] = []
        self._held: dict[int, np.ndarray] = {}  # palette frames, reused as frames
        self._palette_todo: list[int] = []
        self._rendering = 0  # the step being rendered (named if that fails)
        self._staged: int | None = None  # the frame whose step is shown, not yet rendered
        self._task = None
        self._done = False
        self._failure = ""
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._render_slice)
        self._progress: QuietProgressDialog | None = None
        self._show_progress = show_progress

    # -- control -------------------------------------------------------------------
    def start(self) -> None:
        """Pause the lab, then render and encode in the background of the event loop."""
        if len(self.steps) < 2:
            raise ValueError("the run has fewer than two recorded steps: nothing to animate")
        self._lab.pause()
        self._restore_step = self._source.shown_step()
        if self._show_progress:
            dialog = QuietProgressDialog("Rendering frames…", "Export Animation",
                                         parent=self._lab)
            dialog.canceled.connect(self.cancel)
            dialog.show()
            self._progress = dialog
        if self.settings.fmt == "gif":
            picks = np.unique(np.linspace(0, len(self.steps) - 1,
                                          min(PALETTE_FRAMES, len(self.steps))).astype(int))
            self._palette_todo = [int(i) for i in picks]
        else:
            self._palette_todo = []
            self._start_encoder()
        self._timer.start()

    def cancel(self) -> None:
        """Stop: the file is not written (or its old version stays)."""
        if self._done:
            return
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()
        else:
            self._finish("cancelled", "Export cancelled")

    @property
    def running(self) -> bool:
        return not self._done

    # -- GUI thread: rendering ---------------------------------------------------
    def _render(self, index: int) -> np.ndarray | None:
        """One phase of frame ``index``: show its step (None), or, once shown, render it."""
        if self._staged != index:
            self._rendering = int(self.steps[index])
            self._source.show_step(self._rendering)
            self._staged = index
            return None
        self._staged = None
        return render_frame(self._source.animation_widget(), self.settings.width)

    def _render_slice(self) -> None:
        """One turn of the event loop: one expensive phase (show or render) at most."""
        try:
            while True:
                if self._palette_todo:  # GIF: the palette's frames first
                    index = self._palette_todo[0]
                    frame = self._render(index)
                    if frame is None:
                        return
                    self._palette_todo.pop(0)
                    self._palette.append(frame)
                    self._held[index] = frame
                    if not self._palette_todo:
                        self._start_encoder()
                    return
                if self._next >= len(self.steps):
                    if not self._end_sent:
                        self._frames.put_nowait(_END)
                        self._end_sent = True
                    self._timer.stop()
                    return
                if self._frames.full():
                    return  # the encoder is behind: try again on the next turn
                frame = self._held.pop(self._next, None)
                held = frame is not None
                if frame is None:
                    frame = self._render(self._next)
                    if frame is None:
                        return
                self._frames.put_nowait(frame)
                self._next += 1
                if not held:
                    return
        except queue.Full:
            return
        except Exception as exc:  # a lab that cannot show a step: stop, say why
            self._fail_while_rendering(f"Could not render step {self._rendering}: {exc}")
        finally:
            self._update_progress()

    def _fail_while_rendering(self, message: str) -> None:
        self._timer.stop()
        self._failure = message
        if self._task is not None:
            self._task.cancel()  # its on_cancelled finishes with the failure
        else:
            self._finish("failed", message)

    def _update_progress(self) -> None:
        progress = self._progress
        if progress is None or self._done:
            return
        total = len(self.steps)
        progress.setLabelText(f"Rendering frame {self._next} of {total}, "
                              f"encoded {self._encoded}…")
        progress.set_progress(round(1000 * (self._next + self._encoded) / (2 * total)))

    # -- the encoder task ----------------------------------------------------------
    def _start_encoder(self) -> None:
        name = self._source.animation_name()
        caption = (f"{len(self.steps)} frames from step {int(self.steps[0]):,} to "
                   f"{int(self.steps[-1]):,} ({self.settings.spacing} spacing), "
                   f"{self.settings.fps} fps — made with ConvLab")
        self._task = self._lab.tasks.start(
            _encode, self.settings, self._frames, len(self.steps), name, caption,
            self._palette,
            on_result=self._on_saved, on_error=self._on_error,
            on_cancelled=self._on_cancelled, on_progress=self._on_encoded,
            name="export animation")

    def _on_encoded(self, fraction: float, _message: str) -> None:
        self._encoded = round(fraction * len(self.steps))
        self._update_progress()

    def _on_saved(self, frames: int) -> None:
        path = self.settings.path
        megabytes = path.stat().st_size / 1e6 if path.exists() else 0.0
        self._finish("saved", f"Saved {path} ({frames} frames, {megabytes:.1f} MB)")

    def _on_error(self, message: str, _details: str) -> None:
        self._finish("failed", f"Could not export the animation to {self.settings.path}:\n"
                               f"{message}")

    def _on_cancelled(self) -> None:
        if self._failure:
            self._finish("failed", self._failure)
        else:
            self._finish("cancelled", "Export cancelled")

    def _finish(self, outcome: str, message: str) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        while not self._frames.empty():  # drop frames nobody will encode
            try:
                self._frames.get_nowait()
            except queue.Empty:
                break
        self._held.clear()
        self._palette.clear()
        if self._progress is not None:
            self._progress.canceled.disconnect(self.cancel)
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        try:
            self._source.show_step(self._restore_step)
        finally:
            self.finished.emit(outcome, message)


def export_animation_dialog(lab: LabPanel, source: AnimationSource) -> AnimationExporter | None:
    """Ask for the settings, then run the export; report the outcome in the lab's window.

    Returns the running exporter, or None if the user closed the dialog.
    """
    lab.pause()
    dialog = ExportAnimationDialog(source, lab)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    exporter = AnimationExporter(lab, source, dialog.settings())

    def report(outcome: str, message: str) -> None:
        if outcome == "failed":
            QMessageBox.warning(lab, "Export Animation", message)
        else:
            lab.status_message.emit(message)
        exporter.deleteLater()

    exporter.finished.connect(report)
    exporter.start()
    return exporter

