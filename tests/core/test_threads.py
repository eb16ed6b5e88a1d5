"""The thread policy: worker counts, map_blocks order/progress/cancel/errors, and its users."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import convlab.core as cc
from convlab.core import Cancelled
from convlab.core.threads import available_cores, map_blocks, max_threads, set_max_threads


@pytest.fixture(autouse=True)
def _reset_limit(monkeypatch):
    monkeypatch.delenv("CONVLAB_THREADS", raising=False)
    yield
    set_max_threads(None)


def test_max_threads_limits(monkeypatch):
    cores = available_cores()
    assert max_threads() == cores
    monkeypatch.setenv("CONVLAB_THREADS", "1")
    assert max_threads() == 1
    monkeypatch.setenv("CONVLAB_THREADS", "junk")
    assert max_threads() == cores
    set_max_threads(1)
    assert max_threads() == 1
    with pytest.raises(ValueError, match="whole number"):
        set_max_threads(0)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_map_blocks_keeps_order_and_uses_at_most_threads(threads):
    seen = set()
    lock = threading.Lock()

    def fn(i):
        with lock:
            seen.add(threading.get_ident())
        time.sleep(0.002)
        return i * i

    assert map_blocks(fn, range(20), threads=threads) == [i * i for i in range(20)]
    assert 1 <= len(seen) <= min(threads, max_threads())


def test_map_blocks_progress_from_calling_thread_weighted_by_sizes():
    calls = []
    me = threading.get_ident()
    map_blocks(lambda b: b, [0, 1, 2, 3], threads=2, sizes=[10, 10, 10, 70],
               progress=lambda f, m: calls.append((f, m, threading.get_ident())),
               message=lambda done, total: f"{done} of {total} digits")
    assert calls[-1][:2] == (1.0, "100 of 100 digits")
    assert all(t == me for *_, t in calls)
    fractions = [f for f, *_ in calls]
    assert fractions == sorted(fractions)


def test_map_blocks_cancel_stops_helpers_within_a_block():
    started = []

    def slow(i):
        started.append(i)
        time.sleep(0.01)
        return i

    flag = threading.Event()

    def cancel():
        if len(started) >= 4:
            flag.set()
        return flag.is_set()

    before = threading.active_count()
    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        map_blocks(slow, range(1000), threads=2, cancel=cancel)
    assert time.perf_counter() - t0 < 1.0
    assert len(started) < 20
    assert threading.active_count() == before


def test_map_blocks_error_in_a_helper_is_raised_after_join():
    def fn(i):
        if i == 7:
            raise KeyError("block 7")
        time.sleep(0.001)
        return i

    before = threading.active_count()
    with pytest.raises(KeyError, match="block 7"):
        map_blocks(fn, range(40), threads=2)
    assert threading.active_count() == before


def test_map_blocks_empty():
    assert map_blocks(lambda b: b, [], threads=2) == []


def test_results_do_not_depend_on_threads_or_blocks():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(301, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=301)
    bank = np.stack(list(cc.LINE_DETECTORS.values()))
    ref = cc.conv2d(images, bank, dtype=np.int32, threads=1)
    for threads, block in [(2, None), (2, 7), (1, 300), (3, 1)]:
        np.testing.assert_array_equal(
            cc.conv2d(images, bank, dtype=np.int32, threads=threads, block=block), ref)
        np.testing.assert_array_equal(
            cc.detector_masks(images, threads=threads, block=block), ref > 382)
        stats = cc.detector_statistics(images, labels, threads=threads, block=block)
        for c in range(10):
            sel = labels == c
            np.testing.assert_array_equal(
                np.rint(stats.fraction_above[c] * sel.sum() * 900),
                (ref[sel] > 382).sum(axis=(0, 2, 3)))


def test_statistics_from_a_worker_thread_like_the_lab():
    """The Compute button calls detector_statistics from a worker thread: the pool nests."""
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, size=(500, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=500)
    out = {}
    worker = threading.Thread(
        target=lambda: out.setdefault("s", cc.detector_statistics(images, labels, block=16)))
    worker.start()
    worker.join()
    want = cc.detector_statistics(images, labels, threads=1)
    np.testing.assert_array_equal(out["s"].fraction_above, want.fraction_above)
    np.testing.assert_array_equal(out["s"].mean_response, want.mean_response)
