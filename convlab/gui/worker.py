"""ConvLab's one idiom for work off the GUI thread.

Long work (loading or downloading MNIST, data-set statistics) is a plain
function from :mod:`convlab.core` that takes ``progress`` and ``cancel``
callbacks (``progress(fraction, message)``, ``cancel() -> bool``; a cancelled
function raises :class:`convlab.core.Cancelled`). :class:`TaskRunner` runs it
in a :class:`QThread` and delivers its outcome back on the GUI thread::

    task = self.tasks.start(
        cc.detector_statistics, images, labels, kernels,
        on_result=self._show_stats,
        on_progress=lambda fraction, message: bar.setValue(round(100 * fraction)),
    )
    ...
    task.cancel()

Exactly one of ``on_result``, ``on_error`` or ``on_cancelled`` is called, then
``on_finished``. :meth:`TaskRunner.shutdown` cancels and joins every running
task (the panel calls it when the window closes), so no thread outlives its
window. :func:`active_task_count` lets tests assert that nothing is left
running.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject, QThread, pyqtSignal

from convlab.core import Cancelled

__all__ = ["Task", "TaskRunner", "active_task_count"]

_live_tasks: set[Task] = set()
_live_lock = threading.Lock()


def active_task_count() -> int:
    """Number of tasks whose thread has been started and not yet joined."""
    with _live_lock:
        return len(_live_tasks)


class _Thread(QThread):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:  # runs in the worker thread
        self._task._run_in_thread()


class Task(QObject):
    """One function running in its own thread; signals arrive on the GUI thread."""

    progress = pyqtSignal(float, str)
    result = pyqtSignal(object)
    error = pyqtSignal(str, str)  # message, details (traceback)
    cancelled = pyqtSignal()
    finished = pyqtSignal()

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, name: str) -> None:
        super().__init__()
        self.name = name
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._cancel_event = threading.Event()
        self._thread = _Thread(self)
        self._thread.finished.connect(self._on_thread_finished)

    # -- GUI-thread API -------------------------------------------------
    def cancel(self) -> None:
        """Ask the function to stop; it raises ``Cancelled`` at its next check."""
        self._cancel_event.set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Block until the thread ends; True if it did within ``timeout_ms``."""
        return self._thread.wait(timeout_ms)

    def start(self) -> None:
        with _live_lock:
            _live_tasks.add(self)
        self._thread.start()

    # -- worker thread ----------------------------------------------------
    def _run_in_thread(self) -> None:
        try:
            value = self._fn(
                *self._args,
                progress=self._emit_progress,
                cancel=self._cancel_event.is_set,
                **self._kwargs,
            )
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # delivered to the GUI as a message, never lost
            if self._cancel_event.is_set():
                self.cancelled.emit()
            else:
                self.error.emit(str(exc) or type(exc).__name__, traceback.format_exc())
        else:
            if self._cancel_event.is_set():
                self.cancelled.emit()
            else:
                self.result.emit(value)

    def _emit_progress(self, fraction: float, message: str = "") -> None:
        self.progress.emit(float(fraction), str(message))

    def _on_thread_finished(self) -> None:
        with _live_lock:
            _live_tasks.discard(self)
        self.finished.emit()


class TaskRunner(QObject):
    """Starts :class:`Task` objects for one owner (a panel) and shuts them down."""

    busy_changed = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: list[Task] = []

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[str, str], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        name: str = "",
        **kwargs: Any,
    ) -> Task:
        """Run ``fn(*args, progress=…, cancel=…, **kwargs)`` in a new thread.

        Callbacks run on the GUI thread. Returns the started :class:`Task`.
        """
        task = Task(fn, args, kwargs, name or getattr(fn, "__name__", "task"))
        for signal, slot in (
            (task.result, on_result),
            (task.error, on_error),
            (task.progress, on_progress),
            (task.cancelled, on_cancelled),
        ):
            if slot is not None:
                signal.connect(slot)
        if on_finished is not None:
            task.finished.connect(on_finished)
        task.finished.connect(lambda t=task: self._forget(t))
        was_busy = self.busy
        self._tasks.append(task)
        task.start()
        if not was_busy:
            self.busy_changed.emit(True)
        return task

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def tasks(self) -> list[Task]:
        return list(self._tasks)

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel every task and wait for its thread; True if all ended in time.

        Signals still queued for the GUI thread are dropped: the owner is going away.
        """
        self.cancel_all()
        all_done = True
        for task in list(self._tasks):
            for signal in (task.result, task.error, task.progress, task.cancelled, task.finished):
                try:
                    signal.disconnect()
                except TypeError:  # nothing connected
                    pass
            if task.wait(timeout_ms):
                with _live_lock:
                    _live_tasks.discard(task)
            else:  # still running: keep it referenced (and counted) rather than crash
                all_done = False
        self._tasks.clear()
        return all_done

    def _forget(self, task: Task) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
            if not self._tasks:
                self.busy_changed.emit(False)
