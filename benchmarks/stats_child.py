"""The MNIST lab's Compute button, timed in a process of its own (issue 17's app conditions).

``python -m benchmarks.stats_child --n N [--mnist DIR] [--repeat R] [--scipy M]``
prints one JSON line::

    {"times": [...], "threads": T, "cores": C, "scipy_per_digit": [...], "load": [...]}

It runs exactly what the lab's Compute button runs — ``cc.detector_statistics``
with the lab's default settings (the notebook's four detectors as a name →
float64 array mapping, threshold 1.5, full mode, true convolution), called
from a worker thread with the worker's ``progress`` and ``cancel`` callbacks —
with **no thread settings**: the caller (``benchmarks.bench_conv2d``) starts
it with the BLAS/OpenMP/ConvLab thread variables removed from the
environment, as a user starts the app. ``--scipy M`` also times the
notebook's way (``scipy.signal.convolve2d`` per digit and kernel, then per
class) on ``M`` digits, under the same conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path


def _digits(mnist: str | None, n: int):
    import numpy as np

    if mnist:
        from convlab.core.mnist import load_mnist

        data = load_mnist(Path(mnist))
        images = np.concatenate([data.train_images, data.test_images])
        labels = np.concatenate([data.train_labels, data.test_labels])
        reps = -(-n // len(images))
        return np.tile(images, (reps, 1, 1))[:n], np.tile(labels, reps)[:n]
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n, dtype=np.uint8))


def compute_button(images, labels) -> float:
    """One Compute: the lab's call in a worker thread; returns its wall time."""
    import numpy as np

    import convlab.core as cc

    kernels = {name: np.array(k, dtype=np.float64) for name, k in cc.LINE_DETECTORS.items()}
    cancel = threading.Event()
    seen: list[float] = []
    outcome: dict = {}

    def job() -> None:
        outcome["stats"] = cc.detector_statistics(
            images, labels, kernels, cc.NOTEBOOK_THRESHOLD, "full", True,
            progress=lambda f, m: seen.append(f), cancel=cancel.is_set)

    start = time.perf_counter()
    worker = threading.Thread(target=job, name="compute-button")
    worker.start()
    worker.join()
    elapsed = time.perf_counter() - start
    if "stats" not in outcome or not seen or seen[-1] != 1.0:
        raise RuntimeError("the statistics job did not finish")
    return elapsed


def scipy_way(images, labels) -> float:
    """The notebook's way on these digits: per digit and kernel convolve2d, per class sums."""
    import numpy as np
    from scipy.signal import convolve2d

    import convlab.core as cc

    kernels = list(cc.LINE_DETECTORS.values())
    start = time.perf_counter()
    sums = np.zeros((10, 4, 30, 30))
    above = np.zeros((10, 4))
    for x, c in zip(images, labels, strict=True):
        d = x / 255
        for j, k in enumerate(kernels):
            r = convolve2d(d, k)
            sums[c, j] += r
            above[c, j] += (r > 1.5).sum()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=70_000)
    parser.add_argument("--mnist", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scipy", type=int, default=0, metavar="M")
    args = parser.parse_args()
    import convlab.core as cc

    images, labels = _digits(args.mnist, args.n)
    compute_button(images[:256], labels[:256])  # warm-up (imports, caches)
    times: list[float] = []
    per_digit: list[float] = []
    for _ in range(max(1, args.repeat)):  # in turns, so both see the same load
        times.append(compute_button(images, labels))
        if args.scipy:
            m = min(args.scipy, len(images))
            per_digit.append(scipy_way(images[:m], labels[:m]) / m)
    print(json.dumps({"times": times, "threads": cc.max_threads(),
                      "cores": cc.available_cores(), "scipy_per_digit": per_digit,
                      "load": list(os.getloadavg())}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
