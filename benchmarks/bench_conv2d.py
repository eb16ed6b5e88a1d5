"""Issue 8 §1: batched 2-D convolution of digits with the four line detectors, and statistics.

Every implementation computes the same thing, the notebook's figure for N
digits at once: each digit scaled to [0, 1], convolved (true convolution,
full mode, float32) with the four 3×3 line detectors, and thresholded at 1.5.
Results are checked against each other before any figure is reported.

* ConvLab: ``cc.conv2d(images, kernels / 255)`` (the ÷255 folded into the
  weights, so the uint8 digits are converted block by block) and
  ``cc.threshold(responses, 1.5)``.
* ``scipy.signal.convolve2d`` per image and kernel — the notebook's way. For
  large N a subset is timed and the time scaled to N (the table says so).
* ``scipy.ndimage.convolve`` on the whole stack, one kernel at a time. Its
  boundary is "same"-sized around the kernel centre, so the stack is
  zero-padded by 2 and cropped back to the full 30×30 output.
* PyTorch CPU ``torch.nn.functional.conv2d`` (cross-correlation: flipped
  kernels, padding 2), when ``import torch`` works.
"""

from __future__ import annotations

import tracemalloc
from functools import partial

import numpy as np

from .data import digits
from .harness import (
    Context,
    NotAvailable,
    Row,
    Target,
    describe_error,
    measure,
    measure_interleaved,
    median,
    not_available,
)

__all__ = ["bench_conv2d", "bench_statistics"]

LEVEL = 1.5
#: Issue targets: 70,000 digits < 0.6 s; ≥ 25× the scipy loop and ≥ 4× PyTorch at large N.
TIME_TARGET = {70_000: 0.6}
SCIPY_RATIO = 25.0
TORCH_RATIO = 4.0
BIG_N = 10_000
MEMORY_RATIO = 3.0
STATS_TARGET = 1.5


def _kernels() -> np.ndarray:
    from convlab.core.detectors import LINE_DETECTORS

    return np.stack([np.asarray(k, dtype=np.float64) for k in LINE_DETECTORS.values()])


# -- the implementations; each returns (responses (N, 4, 30, 30) float32, masks bool) --------
def convlab_impl(images: np.ndarray, bank: np.ndarray):
    """ConvLab's convolution, thresholded like the peers (``responses > 1.5``)."""
    from convlab.core.conv2d import conv2d

    responses = conv2d(images, bank / 255, mode="full", flip=True, dtype=np.float32)
    return responses, responses > LEVEL


def convlab_api_impl(images: np.ndarray, bank: np.ndarray):
    """The public API end to end: ``cc.conv2d`` then ``cc.threshold``."""
    from convlab.core.conv2d import conv2d
    from convlab.core.detectors import threshold

    responses = conv2d(images, bank / 255, mode="full", flip=True, dtype=np.float32)
    return responses, threshold(responses, LEVEL)


def convlab_masks_impl(images: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """``cc.detector_masks``: the masks only, thresholded block by block (no responses kept)."""
    from convlab.core.detector_stats import detector_masks

    return detector_masks(images, bank, LEVEL, mode="full", flip=True)


def convlab_conv_only(images: np.ndarray, bank: np.ndarray, out=None) -> np.ndarray:
    from convlab.core.conv2d import conv2d

    return conv2d(images, bank / 255, mode="full", flip=True, dtype=np.float32, out=out)


def scipy_loop_impl(images: np.ndarray, bank: np.ndarray):
    from scipy.signal import convolve2d

    n, h, w = images.shape
    kh, kw = bank.shape[1:]
    out = np.empty((n, len(bank), h + kh - 1, w + kw - 1), dtype=np.float32)
    kernels = [k.astype(np.float32) for k in bank]
    for i in range(n):
        x = images[i].astype(np.float32) / np.float32(255)
        for j, k in enumerate(kernels):
            out[i, j] = convolve2d(x, k, mode="full")
    return out, out > LEVEL


def ndimage_impl(images: np.ndarray, bank: np.ndarray):
    from scipy import ndimage

    n, h, w = images.shape
    kh, kw = bank.shape[1:]
    padded = np.zeros((n, h + 2 * (kh - 1), w + 2 * (kw - 1)), dtype=np.float32)
    padded[:, kh - 1 : kh - 1 + h, kw - 1 : kw - 1 + w] = images
    padded /= np.float32(255)
    out = np.empty((n, len(bank), h + kh - 1, w + kw - 1), dtype=np.float32)
    # ndimage centres a k-tap kernel on tap k//2: full-output index p is padded index p + k//2.
    top, left = kh // 2, kw // 2
    for j, k in enumerate(bank.astype(np.float32)):
        full = ndimage.convolve(padded, k[None], mode="constant", cval=0.0)
        out[:, j] = full[:, top : top + h + kh - 1, left : left + w + kw - 1]
    return out, out > LEVEL


def torch_impl_factory(threads: int):
    try:
        import torch
        import torch.nn.functional as F
    except Exception as exc:  # ImportError, or a broken install
        raise NotAvailable(f"PyTorch not importable ({type(exc).__name__}: {exc})") from exc
    torch.set_num_threads(threads)

    def torch_impl(images: np.ndarray, bank: np.ndarray):
        kh, kw = bank.shape[1:]
        weight = torch.from_numpy(np.ascontiguousarray(bank[:, ::-1, ::-1], dtype=np.float32))
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1).to(torch.float32)
            x.div_(255)
            y = F.conv2d(x, weight.unsqueeze(1), padding=(kh - 1, kw - 1))
            return y.numpy(), (y > LEVEL).numpy()

    return torch_impl, f"PyTorch {torch.__version__} CPU conv2d ({threads} thread)"


def _check_same(name: str, got, reference) -> str:
    """Compare responses (float32 tolerance) and masks (exact away from the threshold)."""
    responses, masks = got
    ref_resp, ref_masks = reference
    if responses.shape != ref_resp.shape:
        raise AssertionError(f"{name}: shape {responses.shape} != {ref_resp.shape}")
    if not np.allclose(responses, ref_resp, rtol=1e-5, atol=1e-5):
        err = float(np.max(np.abs(responses - ref_resp)))
        raise AssertionError(f"{name}: responses differ from ConvLab's (max |Δ| {err:.3g})")
    differ = masks != ref_masks
    if differ.any() and not np.all(np.abs(ref_resp[differ] - LEVEL) < 1e-5):
        raise AssertionError(f"{name}: {int(differ.sum())} mask pixels differ from ConvLab's")
    return "results equal to ConvLab's"


def _sizes(ctx: Context) -> list[int]:
    return ctx.pick([1, 8], [1, 100, 10_000], [1, 100, 10_000, 70_000])


def bench_conv2d(ctx: Context) -> list[Row]:
    """ConvLab vs the scipy loop, scipy.ndimage and PyTorch for each N; peak memory."""
    bench = "conv2d"
    try:
        bank = _kernels()
        from convlab.core.conv2d import conv2d  # noqa: F401
    except Exception as exc:
        return [not_available(bench, "all N", "ConvLab", "s", describe_error(exc))]
    try:
        torch_impl, torch_name = torch_impl_factory(ctx.threads)
    except NotAvailable as exc:
        torch_impl, torch_name = None, str(exc)

    rows: list[Row] = []
    sizes = _sizes(ctx)
    subset_size = ctx.pick(4, 500, 2_000)
    for n in sizes:
        case = f"N={n:,}"
        images = np.ascontiguousarray(digits(ctx, n).images)
        rows.extend(_one_size(ctx, bench, case, images, bank, subset_size,
                              torch_impl, torch_name))
    rows.extend(_memory_rows(ctx, bank, sizes[-1]))
    return rows


def _one_size(ctx: Context, bench: str, case: str, images: np.ndarray, bank: np.ndarray,
              subset_size: int, torch_impl, torch_name: str) -> list[Row]:
    """Every implementation on one stack of digits, verified, then timed in turns."""
    n = len(images)
    reference = convlab_impl(images, bank)
    sub = min(n, subset_size)  # the scipy loop is timed on a subset and scaled to N
    out = np.empty_like(reference[0])
    ours_name = "ConvLab conv2d, then > 1.5"
    candidates = {
        ours_name: (partial(convlab_impl, images, bank), 1.0, ""),
        "ConvLab conv2d + cc.threshold": (
            partial(convlab_api_impl, images, bank), 1.0,
            "cc.threshold: a NaN check, then the comparison in float32"),
        "ConvLab detector_masks (fused)": (
            partial(convlab_masks_impl, images, bank), 1.0,
            "masks only: thresholded per block, the responses are never stored"),
        "ConvLab conv2d only": (partial(convlab_conv_only, images, bank), 1.0, "no threshold"),
        "ConvLab conv2d only, preallocated out": (
            partial(convlab_conv_only, images, bank, out), 1.0,
            "no threshold, no fresh output pages"),
    }
    peers = [("scipy.signal.convolve2d loop", partial(scipy_loop_impl, images[:sub], bank),
              n / sub, f"extrapolated ×{n / sub:.0f} from {sub:,} digits" if sub < n else ""),
             ("scipy.ndimage.convolve stack", partial(ndimage_impl, images, bank), 1.0,
              "padded by 2, cropped")]
    if torch_impl is not None:
        peers.append((torch_name, partial(torch_impl, images, bank), 1.0, ""))
    unavailable: dict[str, str] = {}
    if torch_impl is None:
        unavailable["PyTorch CPU conv2d"] = torch_name
    for name, fn, scale, note in peers:
        try:
            check = _check_same(name, fn(), tuple(r[:sub] for r in reference)
                                if scale != 1.0 else reference)
            candidates[name] = (fn, scale, f"{check}; {note}" if note else check)
        except Exception as exc:
            unavailable[name] = describe_error(exc)
    if not np.array_equal(convlab_masks_impl(images, bank), reference[1]):
        raise AssertionError("detector_masks differs from conv2d > 1.5")
    del reference
    times = measure_interleaved({k: v[0] for k, v in candidates.items()}, ctx.repeat)
    del out
    rows = []
    ours_time = median(times[ours_name])
    for name, (_, scale, note) in candidates.items():
        scaled = [t * scale for t in times[name]]
        row = Row(bench, case, name, median(scaled), "s", scaled, note=note)
        if not name.startswith("ConvLab"):
            row.ratio = row.value / ours_time
        rows.append(row)
    rows.extend(not_available(bench, case, name, "s", why) for name, why in unavailable.items())
    for row in rows:
        if row.subject in (ours_name, "ConvLab conv2d + cc.threshold") and n in TIME_TARGET:
            row.judge(Target("<", TIME_TARGET[n]))
        elif n >= BIG_N and row.subject.startswith("scipy.signal"):
            row.judge(Target(">=", SCIPY_RATIO, "ratio"))
        elif n >= BIG_N and row.subject.startswith("PyTorch"):
            row.judge(Target(">=", TORCH_RATIO, "ratio"))
    return rows


def _peak(fn) -> tuple[int, object]:
    """Peak bytes allocated (tracemalloc, which sees numpy's buffers) while ``fn`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, result


def _memory_rows(ctx: Context, bank: np.ndarray, n: int) -> list[Row]:
    bench, case = "conv2d memory", f"N={n:,}"
    images = np.ascontiguousarray(digits(ctx, n).images)
    peak, out = _peak(lambda: convlab_conv_only(images, bank))
    size = out.nbytes
    del out
    conv = Row(bench, case, "ConvLab conv2d: peak / output", peak / size, "×",
               note=f"peak {peak / 2**20:,.1f} MiB for a {size / 2**20:,.1f} MiB float32 output")
    if n >= BIG_N:
        conv.judge(Target("<", MEMORY_RATIO))
    peak, (responses, masks) = _peak(lambda: convlab_api_impl(images, bank))
    size = responses.nbytes + masks.nbytes
    del responses, masks
    both = Row(bench, case, "ConvLab conv2d + cc.threshold: peak / outputs", peak / size, "×",
               note=f"peak {peak / 2**20:,.1f} MiB for {size / 2**20:,.1f} MiB of responses "
                    "and masks")
    if n >= BIG_N:
        both.judge(Target("<", MEMORY_RATIO))
    return [conv, both]


def bench_statistics(ctx: Context) -> list[Row]:
    """Per-class detector statistics (mean maps, fraction above 1.5) over all digits."""
    bench = "statistics"
    n = ctx.pick(64, 70_000, 70_000)
    case = f"N={n:,}"
    try:
        from convlab.core import LINE_DETECTORS, detector_statistics
    except Exception as exc:
        return [not_available(bench, case, "ConvLab detector_statistics", "s",
                              describe_error(exc))]
    data = digits(ctx, n)
    images, labels = np.ascontiguousarray(data.images), np.ascontiguousarray(data.labels)
    try:
        note = _check_statistics(images, labels)
        t = measure(lambda: detector_statistics(images, labels, LINE_DETECTORS, LEVEL),
                    ctx.repeat)
    except Exception as exc:
        return [not_available(bench, case, "ConvLab detector_statistics", "s",
                              describe_error(exc))]
    row = Row(bench, case, "ConvLab detector_statistics", median(t), "s", t, note=note)
    rows = [row.judge(Target("<", STATS_TARGET))]

    def numpy_way():
        responses = convlab_conv_only(images, _kernels())
        means = np.stack([responses[labels == c].mean(axis=0) for c in range(10)])
        above = np.stack([(responses[labels == c] > LEVEL).mean(axis=(0, 2, 3))
                          for c in range(10)])
        return means, above

    t = measure(numpy_way, ctx.repeat)
    rows.append(Row(bench, case, "conv2d of the whole set, then numpy per class", median(t), "s",
                    t, ratio=median(t) / row.value,
                    note="the straightforward way: all responses in memory, boolean masks"))
    return rows


def _check_statistics(images: np.ndarray, labels: np.ndarray) -> str:
    """Check detector_statistics on the first 200 digits against scipy.signal.convolve2d."""
    from scipy.signal import convolve2d

    from convlab.core import LINE_DETECTORS, detector_statistics

    images, labels = images[:200], labels[:200]
    stats = detector_statistics(images, labels, LINE_DETECTORS, LEVEL)
    bank = _kernels()
    resp = np.array([[convolve2d(x / 255, k) for k in bank] for x in images.astype(np.float64)])
    for c in np.unique(labels):
        mine = resp[labels == c]
        if not np.allclose(stats.mean_response[c], mine.mean(axis=0), atol=1e-4):
            raise AssertionError(f"mean response of class {c} differs from scipy's")
        if not np.allclose(stats.fraction_above[c], (mine > LEVEL).mean(axis=(0, 2, 3)),
                           atol=1e-3):
            raise AssertionError(f"fraction above threshold of class {c} differs from scipy's")
    if not np.array_equal(stats.counts, np.bincount(labels, minlength=10)):
        raise AssertionError("class counts differ from numpy.bincount")
    return f"checked against scipy.signal.convolve2d on {len(images)} digits"
