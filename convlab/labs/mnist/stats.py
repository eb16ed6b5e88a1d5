"""Per-class detector statistics over the data set, computed in the background.

:class:`StatisticsRun` computes a :class:`convlab.core.DetectorStats` over the
split the model names, with the model's kernels, threshold, mode and operation,
through the :class:`~convlab.gui.worker.TaskRunner` it is given. It keeps the
result and a status line, says when the settings changed since, and drops the
result when the digits change. The statistics tab
(:mod:`~convlab.labs.mnist.stats_view`) shows it; it exists before that tab is
built, so the shortcut works and nothing is lost while the tab was never opened.
"""

from __future__ import annotations

from numpy.typing import NDArray
from PyQt6.QtCore import QObject, pyqtSignal

import convlab.core as cc
from convlab.gui.digits import DigitData, digits_of
from convlab.gui.worker import Task, TaskRunner

from .model import MnistState

__all__ = ["StatisticsRun"]

NOT_COMPUTED = "Not computed yet."
DIGITS_CHANGED = "Not computed for these digits yet: press Compute."
SETTINGS_CHANGED = " Settings changed since: press Compute to update."


def _statistics_job(
    dataset: cc.MnistDataset,
    split: str,
    kernels: dict[str, NDArray],
    level: float,
    mode: str,
    flip: bool,
    *,
    progress,
    cancel,
) -> cc.DetectorStats:
    """Background job: :func:`convlab.core.detector_statistics` over one split or both."""
    images, labels = digits_of(dataset, split)
    return cc.detector_statistics(
        images, labels, kernels, level, mode, flip, progress=progress, cancel=cancel
    )


class StatisticsRun(QObject):
    """The statistics of the current digits: compute, cancel, result, status."""

    #: The new result (a :class:`convlab.core.DetectorStats`).
    finished = pyqtSignal(object)
    #: True when a computation starts, False when it ends (any way).
    busy_changed = pyqtSignal(bool)
    #: Progress of the computation, 0…1.
    progress = pyqtSignal(float)
    #: The status line changed.
    status_changed = pyqtSignal(str)
    #: A line for the status bar.
    message = pyqtSignal(str)

    def __init__(
        self, model: MnistState, data: DigitData, tasks: TaskRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._data = data
        self._tasks = tasks
        self._task: Task | None = None
        self._result: cc.DetectorStats | None = None
        self._source = ""  # where the digits of the result came from
        self._status = NOT_COMPUTED
        self._fraction = 0.0
        for signal in (model.events.threshold, model.events.mode, model.events.flip,
                       model.events.kernels):
            signal.connect(self._on_settings_changed)
        data.changed.connect(self._on_data_changed)

    # -- reading -------------------------------------------------------------
    @property
    def result(self) -> cc.DetectorStats | None:
        """The last statistics computed for these digits (``None`` before)."""
        return self._result

    def status(self) -> str:
        """One line: not computed, computing, how many digits (and whether still current)."""
        return self._status

    def fraction(self) -> float:
        """How far the last computation got, 0…1."""
        return self._fraction

    def busy(self) -> bool:
        return self._task is not None and self._task.is_running()

    # -- actions ---------------------------------------------------------------
    def compute(self) -> None:
        """Per-class statistics over ``model.stats_split``, in the background."""
        if self.busy():
            return
        m = self._model
        self._set_progress(0.0)
        self._set_status("Computing…")
        self._task = self._tasks.start(
            _statistics_job,
            self._data.dataset,
            m.stats_split,
            m.kernel_bank(),
            m.threshold,
            m.mode,
            m.flip,
            on_result=self._on_result,
            on_error=lambda msg, _details: self._set_status(f"Failed: {msg}"),
            on_progress=lambda f, _m: self._set_progress(f),
            on_cancelled=lambda: self._set_status("Cancelled."),
            on_finished=lambda: self.busy_changed.emit(False),
            name="detector statistics",
        )
        self.busy_changed.emit(True)

    def cancel(self) -> None:
        if self.busy():
            self._task.cancel()

    # -- callbacks ---------------------------------------------------------------
    def _on_result(self, stats: cc.DetectorStats) -> None:
        self._result = stats
        self._source = self._data.source
        self._set_progress(1.0)
        self._show_result_status()
        self.finished.emit(stats)
        self.message.emit("Detector statistics ready")

    def _on_settings_changed(self, *_args: object) -> None:
        if self._result is not None:
            self._show_result_status()

    def _on_data_changed(self, _dataset: object) -> None:
        """The digits changed: stop a computation in progress and drop the old result."""
        self.cancel()
        self._result = None
        self._set_status(DIGITS_CHANGED)

    def _show_result_status(self) -> None:
        stats = self._result
        text = f"{int(stats.counts.sum()):,} digits from {self._source}."
        if not self._model.settings_match(stats):
            text += SETTINGS_CHANGED
        self._set_status(text)

    def _set_status(self, text: str) -> None:
        if text != self._status:
            self._status = text
            self.status_changed.emit(text)

    def _set_progress(self, fraction: float) -> None:
        self._fraction = fraction
        self.progress.emit(fraction)
