"""The worker idiom: results, errors, progress and cancellation reach the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest

from convlab.core._progress import Cancelled, check_cancel, report
from convlab.gui.worker import TaskRunner, active_task_count


def _sum_squares(n, *, progress, cancel):
    total = 0
    for i in range(n):
        total += i * i
        if i % 10 == 0:
            report(progress, i / n, f"{i} of {n}")
            check_cancel(cancel)
    report(progress, 1.0, "done")
    return total


def _wait_forever(started: threading.Event, *, progress, cancel):
    started.set()
    while True:
        check_cancel(cancel)
        time.sleep(0.005)


def _fail(*, progress, cancel):
    raise ValueError("file is truncated")


def test_result_and_progress_arrive(qtbot):
    runner = TaskRunner()
    results, progress = [], []
    busy = []
    runner.busy_changed.connect(busy.append)
    runner.start(
        _sum_squares, 100, on_result=results.append, on_progress=lambda f, m: progress.append(f)
    )
    qtbot.waitUntil(lambda: busy == [True, False], timeout=5000)
    assert results == [sum(i * i for i in range(100))]
    assert progress[-1] == 1.0
    assert progress == sorted(progress)
    assert not runner.busy
    assert active_task_count() == 0


def test_error_is_delivered_with_details(qtbot):
    runner = TaskRunner()
    errors = []
    task = runner.start(_fail, on_error=lambda msg, details: errors.append((msg, details)))
    qtbot.waitUntil(lambda: len(errors) > 0, timeout=5000)
    assert errors[0][0] == "file is truncated"
    assert "ValueError" in errors[0][1]
    qtbot.waitUntil(lambda: not task.is_running(), timeout=5000)


def test_cancel_stops_the_function(qtbot):
    runner = TaskRunner()
    started = threading.Event()
    outcome = []
    task = runner.start(
        _wait_forever,
        started,
        on_result=lambda v: outcome.append("result"),
        on_cancelled=lambda: outcome.append("cancelled"),
    )
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: len(outcome) > 0, timeout=5000)
    assert outcome == ["cancelled"]


def test_shutdown_joins_running_tasks(qtbot):
    runner = TaskRunner()
    started = threading.Event()
    task = runner.start(_wait_forever, started)
    assert started.wait(5)
    assert active_task_count() == 1
    assert runner.shutdown(timeout_ms=5000)
    assert not task.is_running()
    assert active_task_count() == 0
    assert not runner.tasks()


def test_core_cancelled_is_an_exception_not_an_error():
    with pytest.raises(Cancelled):
        check_cancel(lambda: True)
    check_cancel(lambda: False)
    check_cancel(None)
