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

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

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
    fn: Callable[[T], R], blocks: Iterable[T], threads: int | None = None
) -> list[R]:
    """``[fn(b) for b in blocks]``, spread over :func:`worker_count` threads, in order.

    With one worker (or one block) it runs in the calling thread. An exception
    in any block is raised here.
    """
    items = list(blocks)
    workers = worker_count(len(items), threads)
    if workers <= 1:
        return [fn(b) for b in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convlab") as pool:
        return list(pool.map(fn, items))
