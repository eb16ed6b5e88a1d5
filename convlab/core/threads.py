"""ConvLab's thread policy: one place decides how many threads heavy work uses.

On a small machine that is busy with other work, BLAS libraries that start a
thread per core and spin while waiting make a blocked computation many times
slower (measured: a 2 s computation took 14–34 s on a busy 2-core machine).
So ConvLab's own blocked kernels

* pin BLAS to **one thread** while they run (:func:`single_threaded_blas`), and
* make parallelism **explicit**: blocks of work are spread over a pool of at
  most :func:`worker_count` threads (numpy releases the GIL inside its loops
  and matrix products), never more busy threads than the cores this process
  may use.

The number of workers is the cores this process may run on
(``os.sched_getaffinity`` where it exists), limited by the environment variable
``CONVLAB_THREADS`` or by :func:`set_max_threads` (the app's setting).

Examples
--------
>>> with single_threaded_blas():
...     squares = map_blocks(lambda i: i * i, range(4))
>>> squares
[0, 1, 4, 9]
"""

from __future__ import annotations

import _thread
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from ._progress import CancelCallback, ProgressCallback, check_cancel, report

__all__ = [
    "available_cores",
    "map_blocks",
    "max_threads",
    "set_max_threads",
    "single_threaded_blas",
    "worker_count",
]

T = TypeVar("T")
R = TypeVar("R")

ENV_VAR = "CONVLAB_THREADS"
_limit: int | None = None


def available_cores() -> int:
    """The number of CPUs this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _env_limit() -> int | None:
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None


def set_max_threads(n: int | None) -> None:
    """Limit ConvLab's worker threads to ``n`` (``None``: no limit beyond the cores).

    Raises
    ------
    ValueError
        If ``n`` is not a whole number ≥ 1.
    """
    global _limit
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"the number of threads must be a whole number ≥ 1, got {n!r}")
    _limit = n


def max_threads() -> int:
    """How many threads ConvLab's heavy work may use now.

    The cores this process may use, limited by :func:`set_max_threads` and
    ``CONVLAB_THREADS`` (the smaller wins).
    """
    n = available_cores()
    for limit in (_limit, _env_limit()):
        if limit is not None:
            n = min(n, limit)
    return max(1, n)


def worker_count(n_blocks: int, threads: int | None = None) -> int:
    """Workers to use for ``n_blocks`` blocks: never more than blocks or :func:`max_threads`.

    ``threads`` (if given) is the caller's own limit.

    >>> worker_count(1, threads=8)
    1
    """
    limit = max_threads() if threads is None else max(1, min(int(threads), max_threads()))
    return max(1, min(limit, int(n_blocks)))


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the ``with`` body with BLAS (OpenBLAS, MKL, BLIS …) limited to one thread.

    Uses :mod:`threadpoolctl`; the previous limits are restored on exit. Where
    threadpoolctl is not installed the body runs unchanged.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def map_blocks(
    fn: Callable[[T], R],
    blocks: Iterable[T],
    threads: int | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    sizes: Sequence[int] | None = None,
    message: Callable[[int, int], str] | None = None,
) -> list[R]:
    """``[fn(b) for b in blocks]``, spread over :func:`worker_count` threads, in order.

    The calling thread works too (``workers - 1`` helper threads are started
    and joined before this returns), and workers take the next block as they
    become free, so a core slowed by other work gets fewer blocks. With one
    worker (or one block) everything runs in the calling thread.

    ``progress(fraction, message)`` and ``cancel()`` (:mod:`convlab.core._progress`)
    are called **from the calling thread only**: ``cancel`` before each block
    the caller takes and every 20 ms while it waits for the others,
    ``progress`` after each block the caller finishes and at the end.
    ``sizes`` (work per block, e.g. images) weights the fraction, and
    ``message(done, total)`` words it. On cancellation the helpers finish
    their current block, then :class:`~convlab.core.Cancelled` is raised;
    an exception in any block is raised here after the helpers stopped.

    Examples
    --------
    >>> map_blocks(lambda b: b * 10, [1, 2, 3], threads=2)
    [10, 20, 30]
    """
    items = list(blocks)
    n = len(items)
    weights = [1] * n if sizes is None else [int(s) for s in sizes]
    total = sum(weights)
    workers = worker_count(n, threads)
    results: list = [None] * n
    state = {"next": 0, "done": 0}
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def report_progress() -> None:
        if progress is not None and state["done"] != state.get("reported"):
            done = state["reported"] = state["done"]
            text = message(done, total) if message is not None else f"{done:,} of {total:,}"
            report(progress, done / total if total else 1.0, text)

    def take() -> int | None:
        with lock:
            i = state["next"]
            if i >= n or stop.is_set():
                return None
            state["next"] = i + 1
            return i

    def finish(i: int) -> None:
        with lock:
            state["done"] += weights[i]

    def helper(done: _thread.LockType) -> None:
        try:
            while (i := take()) is not None:
                results[i] = fn(items[i])
                finish(i)
        except BaseException as exc:  # handed to the caller
            errors.append(exc)
            stop.set()
        finally:
            done.release()

    # Raw threads, joined through a lock each: threading.Thread.join() would register
    # a dummy Thread for a caller that is not a Python thread (the GUI's QThread).
    finished = []
    for _ in range(1, workers):
        done = _thread.allocate_lock()
        done.acquire()
        _thread.start_new_thread(helper, (done,))
        finished.append(done)
    try:
        while True:
            check_cancel(cancel)
            i = take()
            if i is None:
                break
            results[i] = fn(items[i])
            finish(i)
            report_progress()
        for done in finished:
            while not done.acquire(timeout=0.02):
                check_cancel(cancel)
    except BaseException:
        stop.set()
        for done in finished:
            done.acquire()
        raise
    if errors:
        raise errors[0]
    report_progress()
    return results
