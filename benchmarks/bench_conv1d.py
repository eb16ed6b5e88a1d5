"""Issue 8 §2: 1-D cross-correlation of a batch of signals, ConvLab vs per-row loops.

A batch of ``rows × length`` float64 signals (10,000 × 1,000 in the full
run) is cross-correlated in valid mode with kernels of 2 to 31 taps — the
notebook's ``convolve(X, w)`` at scale.

* ConvLab: ``cc.conv1d(x, w)`` on the whole batch.
* ``numpy.convolve(row, w[::-1], "valid")`` per row (reversing the kernel
  turns convolution into cross-correlation).
* ``scipy.signal.correlate(row, w, "valid")`` per row (its default
  ``method="auto"`` picks direct or FFT).
* ``scipy.ndimage.correlate1d`` on the whole batch (no target; the batched
  alternative a scipy user could find), cropped from its centred output.

A floor row times ``x.copy()``: reading the batch and writing a new one of
the same size, with no arithmetic. No batched function that returns a new
array can beat it, so it says whether a target is reachable at all.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .harness import (
    Context,
    Row,
    Target,
    describe_error,
    measure_interleaved,
    median,
    not_available,
)

__all__ = ["bench_conv1d"]

LOOP_RATIO = 10.0


def numpy_loop(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    reversed_w = w[::-1]
    return np.array([np.convolve(row, reversed_w, "valid") for row in x])


def scipy_loop(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    from scipy.signal import correlate

    return np.array([correlate(row, w, "valid") for row in x])


def ndimage_batch(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    from scipy.ndimage import correlate1d

    k, n = w.size, x.shape[1]
    # correlate1d centres the kernel on tap k//2: valid output i is its output i + k//2.
    full = correlate1d(x, w, axis=1, mode="constant", cval=0.0)
    return full[:, k // 2 : k // 2 + n - k + 1]


PEERS = (
    ("numpy.convolve per row", numpy_loop, True),
    ("scipy.signal.correlate per row", scipy_loop, True),
    ("scipy.ndimage.correlate1d batch", ndimage_batch, False),
)


def bench_conv1d(ctx: Context) -> list[Row]:
    """ConvLab's batched conv1d vs per-row numpy/scipy loops, for several kernel sizes."""
    bench = "conv1d"
    rows_n, length = ctx.pick((8, 50), (10_000, 1_000), (10_000, 1_000))
    taps = ctx.pick([2, 5], [2, 9, 31], [2, 3, 5, 9, 17, 31])
    shape = f"{rows_n:,}×{length:,}"
    try:
        from convlab.core.conv1d import conv1d
    except Exception as exc:
        return [not_available(bench, shape, "ConvLab conv1d", "s", describe_error(exc))]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((rows_n, length))
    out: list[Row] = []
    for k in taps:
        case = f"{shape}, {k} taps"
        w = rng.standard_normal(k)
        ours_name, floor_name = "ConvLab conv1d (batch)", "floor: x.copy() (no arithmetic)"
        try:
            reference = conv1d(x, w)
        except Exception as exc:
            out.append(not_available(bench, case, ours_name, "s", describe_error(exc)))
            continue
        candidates = {ours_name: partial(conv1d, x, w), floor_name: x.copy}
        failed = []
        for name, fn, _ in PEERS:
            try:
                got = fn(x, w)
                if got.shape != reference.shape or not np.allclose(got, reference, atol=1e-9):
                    raise AssertionError(f"{name} gives a different result from ConvLab's")
                candidates[name] = partial(fn, x, w)
            except Exception as exc:
                failed.append(not_available(bench, case, name, "s", describe_error(exc)))
        times = measure_interleaved(candidates, ctx.repeat)
        ours_time, floor_time = median(times[ours_name]), median(times[floor_name])
        out.append(Row(bench, case, ours_name, ours_time, "s", times[ours_name]))
        out.append(Row(bench, case, floor_name, floor_time, "s", times[floor_name],
                       note=f"memory traffic only: the least any function returning a new "
                            f"batch costs; ConvLab takes {ours_time / floor_time:.1f}× this"))
        for name, _, targeted in PEERS:
            if name not in candidates:
                continue
            t = times[name]
            row = Row(bench, case, name, median(t), "s", t, ratio=median(t) / ours_time,
                      note="results equal to ConvLab's")
            if targeted:
                row.judge(Target(">=", LOOP_RATIO, "ratio"))
                if row.passed is False:
                    need = row.value / LOOP_RATIO
                    row.add_note(f"{LOOP_RATIO:g}× needs ConvLab ≤ {need * 1e3:.1f} ms "
                                 f"({need / floor_time:.1f}× the copy floor)")
            out.append(row)
        out.extend(failed)
    return out
