"""Issues 8 §1 and 17: 2-D convolution of digits with the four line detectors, and statistics.

Every implementation computes the same thing, the notebook's figure for N
digits at once: each digit scaled to [0, 1], convolved (true convolution,
full mode, float32) with the four 3×3 line detectors, and thresholded at 1.5.
Results are checked against each other before any figure is reported.

* ConvLab: ``cc.conv2d(images, kernels, divisor=255)`` (exact integer
  arithmetic on the uint8 digits, divided by 255 once into float32) and
  ``responses > 1.5``; ``cc.detector_masks`` (the masks only, fused); with
  ``threads`` = the run's thread count (1 by default), and in an "all cores"
  case every core against PyTorch with as many threads.
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
    warm_memory,
)

__all__ = ["bench_conv2d", "bench_statistics"]

LEVEL = 1.5
#: Issue 17 targets: 70,000 digits ≤ 0.30 s (masks only ≤ 0.15 s) at one core; ≥ 25× the
#: scipy loop; ≥ 8× PyTorch at equal thread counts (1 and all cores).
TIME_TARGET = {70_000: 0.30}
MASKS_TARGET = {70_000: 0.15}
SCIPY_RATIO = 25.0
TORCH_RATIO = 8.0
BIG_N = 10_000
MEMORY_RATIO = 3.0
FIGURE_TARGET = 60e-6
#: statistics over 70,000 digits: 1 core, all cores (2 here)
STATS_TARGET = 0.40
STATS_ALL_TARGET = 0.25
APP_FACTOR = 1.3  # app conditions: within 1.3× of (1-core figure / cores used)
BUSY_FACTOR = 2.5  # busy machine: ≤ 2.5× the idle figure


def _kernels() -> np.ndarray:
    from convlab.core.detectors import LINE_DETECTORS

    return np.stack([np.asarray(k, dtype=np.float64) for k in LINE_DETECTORS.values()])


# -- the implementations; each returns (responses (N, 4, 30, 30) float32, masks bool) --------
def _threads(ctx_threads: int | None = None) -> int:
    return 1 if ctx_threads is None else ctx_threads


def convlab_impl(images: np.ndarray, bank: np.ndarray, threads: int = 1):
    """ConvLab's convolution, thresholded like the peers (``responses > 1.5``)."""
    from convlab.core.conv2d import conv2d

    responses = conv2d(images, bank, divisor=255, threads=threads)
    return responses, responses > LEVEL


def convlab_api_impl(images: np.ndarray, bank: np.ndarray, threads: int = 1):
    """The public API end to end: ``cc.conv2d`` then ``cc.threshold``."""
    from convlab.core.conv2d import conv2d
    from convlab.core.detectors import threshold

    responses = conv2d(images, bank, divisor=255, threads=threads)
    return responses, threshold(responses, LEVEL)


def convlab_masks_impl(images: np.ndarray, bank: np.ndarray, threads: int = 1) -> np.ndarray:
    """``cc.detector_masks``: the masks only, thresholded block by block (no responses kept)."""
    from convlab.core.detector_stats import detector_masks

    return detector_masks(images, bank, LEVEL, mode="full", flip=True, threads=threads)


def convlab_conv_only(images: np.ndarray, bank: np.ndarray, out=None,
                      threads: int = 1) -> np.ndarray:
    from convlab.core.conv2d import conv2d

    return conv2d(images, bank, divisor=255, out=out, threads=threads)


def floor_impl(n: int, k: int = 4, size: int = 30):
    """The memory floor: write a fresh float32 output of the same size, then ``> 1.5`` of it."""
    out = np.empty((n, k, size, size), dtype=np.float32)
    out.fill(1.0)
    return out, out > LEVEL


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
        torch.set_num_threads(threads)
        kh, kw = bank.shape[1:]
        weight = torch.from_numpy(np.ascontiguousarray(bank[:, ::-1, ::-1], dtype=np.float32))
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1).to(torch.float32)
            x.div_(255)
            y = F.conv2d(x, weight.unsqueeze(1), padding=(kh - 1, kw - 1))
            return y.numpy(), (y > LEVEL).numpy()

    plural = "thread" if threads == 1 else "threads"
    return torch_impl, f"PyTorch {torch.__version__} CPU conv2d ({threads} {plural})"


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
    """ConvLab vs the scipy loop, scipy.ndimage and PyTorch for each N; one digit; memory."""
    bench = "conv2d"
    try:
        bank = _kernels()
        from convlab.core.conv2d import conv2d  # noqa: F401
        from convlab.core.threads import available_cores
    except Exception as exc:
        return [not_available(bench, "all N", "ConvLab", "s", describe_error(exc))]
    rows: list[Row] = []
    rows.extend(_figure_rows(ctx, bank))
    sizes = _sizes(ctx)
    subset_size = ctx.pick(4, 500, 2_000)
    cores = available_cores()
    thread_counts = [ctx.threads] + ([cores] if cores != ctx.threads else [])
    for threads in thread_counts:
        try:
            torch_impl, torch_name = torch_impl_factory(threads)
        except NotAvailable as exc:
            torch_impl, torch_name = None, str(exc)
        for n in sizes if threads == ctx.threads else sizes[-1:]:
            case = f"N={n:,}" if threads == ctx.threads else f"N={n:,}, {threads} threads"
            images = np.ascontiguousarray(digits(ctx, n).images)
            rows.extend(_one_size(ctx, bench, case, images, bank, subset_size,
                                  torch_impl, torch_name, threads,
                                  peers_other_than_torch=threads == ctx.threads))
            if n == sizes[-1] and threads == ctx.threads and ctx.size != "smoke":
                rows.extend(_cold_rows(ctx, bench, case, images, bank, threads))
    rows.extend(_memory_rows(ctx, bank, sizes[-1]))
    return rows


def _per_call(fn, calls: int, repeat: int) -> list[float]:
    """Seconds per call of ``fn`` (``calls`` calls per sample, ``repeat`` samples)."""
    return [t / calls for t in measure(lambda: [fn() for _ in range(calls)], repeat)]


def _figure_rows(ctx: Context, bank: np.ndarray) -> list[Row]:
    """One digit × 4 detectors, thresholded: the lab's figure (and drawing canvas) per redraw."""
    from scipy.signal import convolve2d

    from convlab.core.detectors import LINE_DETECTORS, detector_figure

    bench, case = "conv2d", "one digit × 4 (the figure)"
    digit = np.ascontiguousarray(digits(ctx, 3).images[2])
    drawn = digit / 255.0  # the drawing canvas hands floats in [0, 1]
    kernels = list(bank)

    def scipy_figure():
        x = digit / 255
        return [convolve2d(x, k) > LEVEL for k in kernels]

    want = np.array(scipy_figure())
    for d in (digit, drawn):
        if not np.array_equal(detector_figure(d).masks, want):
            raise AssertionError("detector_figure differs from scipy's figure")
    calls = ctx.pick(20, 500, 2000)
    fns = {
        "ConvLab detector_figure (uint8 digit)": lambda: detector_figure(digit, LINE_DETECTORS),
        "ConvLab detector_figure (drawn float digit)": lambda: detector_figure(drawn),
        "notebook: scipy.signal.convolve2d × 4, then > 1.5": scipy_figure,
    }
    times = {name: [] for name in fns}
    for _ in range(ctx.repeat):  # in turns
        for name, fn in fns.items():
            times[name].extend(_per_call(fn, calls, 1))
    ours = median(times["ConvLab detector_figure (uint8 digit)"])
    rows = []
    for name, samples in times.items():
        row = Row(bench, case, name, median(samples), "s", samples,
                  note="responses, masks and the scaled digit; results equal to scipy's"
                  if name.startswith("ConvLab") else "the notebook's way")
        if name.startswith("ConvLab"):
            row.judge(Target("<", FIGURE_TARGET))
        else:
            row.ratio = row.value / ours
        rows.append(row)
    return rows


def _one_size(ctx: Context, bench: str, case: str, images: np.ndarray, bank: np.ndarray,
              subset_size: int, torch_impl, torch_name: str, threads: int,
              peers_other_than_torch: bool = True) -> list[Row]:
    """Every implementation on one stack of digits, verified, then timed in turns."""
    n = len(images)
    reference = convlab_impl(images, bank, threads)
    sub = min(n, subset_size)  # the scipy loop is timed on a subset and scaled to N
    ours_name = "ConvLab conv2d, then > 1.5"
    candidates = {
        ours_name: (partial(convlab_impl, images, bank, threads), 1.0,
                    "exact int16 arithmetic, ÷ 255 once into float32"),
        "ConvLab detector_masks (fused)": (
            partial(convlab_masks_impl, images, bank, threads), 1.0,
            "masks only: thresholded per block in integers, the responses are never stored"),
    }
    if peers_other_than_torch:
        out = np.empty_like(reference[0])
        candidates.update({
            "ConvLab conv2d + cc.threshold": (
                partial(convlab_api_impl, images, bank, threads), 1.0,
                "cc.threshold: a NaN check, then the comparison in float32"),
            "ConvLab conv2d only": (partial(convlab_conv_only, images, bank, None, threads),
                                    1.0, "no threshold"),
            "ConvLab conv2d only, preallocated out": (
                partial(convlab_conv_only, images, bank, out, threads), 1.0,
                "no threshold, no fresh output pages"),
            "floor: fresh float32 output written, then > 1.5": (
                partial(floor_impl, n), 1.0,
                "no arithmetic: the page faults and memory traffic of the outputs alone"),
        })
    peers = []
    if peers_other_than_torch:
        peers += [("scipy.signal.convolve2d loop", partial(scipy_loop_impl, images[:sub], bank),
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
    if not np.array_equal(convlab_masks_impl(images, bank, threads), reference[1]):
        raise AssertionError("detector_masks differs from conv2d > 1.5")
    out_bytes = reference[0].nbytes + reference[1].nbytes  # float32 responses + bool masks
    del reference
    # each candidate starts warm: memory just freed, not yet handed back to the hypervisor
    times = measure_interleaved({k: v[0] for k, v in candidates.items()}, ctx.repeat,
                                before=partial(warm_memory, out_bytes))
    rows = []
    ours_time = median(times[ours_name])
    for name, (_, scale, note) in candidates.items():
        scaled = [t * scale for t in times[name]]
        row = Row(bench, case, name, median(scaled), "s", scaled, note=note)
        if not name.startswith(("ConvLab", "floor")):
            row.ratio = row.value / ours_time
        rows.append(row)
    rows.extend(not_available(bench, case, name, "s", why) for name, why in unavailable.items())
    one_core = threads == 1
    for row in rows:
        if row.subject in (ours_name, "ConvLab conv2d + cc.threshold") and n in TIME_TARGET:
            if one_core:
                row.judge(Target("<", TIME_TARGET[n] + 1e-9))
        elif row.subject == "ConvLab detector_masks (fused)" and n in MASKS_TARGET:
            if one_core:
                row.judge(Target("<", MASKS_TARGET[n] + 1e-9))
        elif n >= BIG_N and row.subject.startswith("scipy.signal"):
            row.judge(Target(">=", SCIPY_RATIO, "ratio"))
        elif n >= BIG_N and row.subject.startswith("PyTorch"):
            row.judge(Target(">=", TORCH_RATIO, "ratio"))
    return rows


#: Seconds of idle before a "cold" call: freed memory has been handed back to the hypervisor.
COLD_IDLE = 3.0


def _cold_rows(ctx: Context, bench: str, case: str, images: np.ndarray, bank: np.ndarray,
               threads: int) -> list[Row]:
    """ConvLab and the floor after :data:`COLD_IDLE` s idle: what a first call gets here.

    Information rows (no target): on a VM that hands freed memory back to the
    hypervisor, a fresh output then costs the hypervisor's page faults too.
    """
    import time

    n = len(images)
    fns = {"ConvLab conv2d, then > 1.5 (cold memory)": partial(convlab_impl, images, bank, threads),
           "floor (cold memory)": partial(floor_impl, n)}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, min(3, ctx.repeat))):
        for name, fn in fns.items():
            time.sleep(COLD_IDLE)
            times[name].extend(measure(fn, 1, warmup=0))
    note = (f"after {COLD_IDLE:g} s idle: the memory freed by the previous call has been handed "
            "back to the hypervisor (free page reporting), so writing the new output pays "
            "its page faults too; no target")
    return [Row(bench, case, name, median(t), "s", t, note=note) for name, t in times.items()]


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
    """Per-class detector statistics over all digits: 1 core, all cores, app, busy machine."""
    bench = "statistics"
    n = ctx.pick(64, 70_000, 70_000)
    case = f"N={n:,}"
    try:
        from convlab.core import LINE_DETECTORS, available_cores, detector_statistics
    except Exception as exc:
        return [not_available(bench, case, "ConvLab detector_statistics", "s",
                              describe_error(exc))]
    data = digits(ctx, n)
    images, labels = np.ascontiguousarray(data.images), np.ascontiguousarray(data.labels)
    cores = available_cores()
    try:
        note = _check_statistics(images, labels)
        fns = {f"ConvLab detector_statistics, {t} thread{'s' if t > 1 else ''}":
               partial(detector_statistics, images, labels, LINE_DETECTORS, LEVEL, threads=t)
               for t in sorted({1, cores})}
        times = measure_interleaved(fns, ctx.repeat)
    except Exception as exc:
        return [not_available(bench, case, "ConvLab detector_statistics", "s",
                              describe_error(exc))]
    rows = []
    one_core = None
    for (name, _), samples in zip(fns.items(), times.values(), strict=True):
        row = Row(bench, case, name, median(samples), "s", samples, note=note)
        if name.endswith(", 1 thread"):
            one_core = row.value
            row.judge(Target("<", STATS_TARGET + 1e-9))
        elif cores == 2:
            row.judge(Target("<", STATS_ALL_TARGET + 1e-9))
        rows.append(row)

    def numpy_way():
        responses = convlab_conv_only(images, _kernels())
        means = np.stack([responses[labels == c].mean(axis=0) for c in range(10)])
        above = np.stack([(responses[labels == c] > LEVEL).mean(axis=(0, 2, 3))
                          for c in range(10)])
        return means, above

    t = measure(numpy_way, max(1, ctx.repeat // 2))
    rows.append(Row(bench, case, "conv2d of the whole set, then numpy per class", median(t), "s",
                    t, ratio=median(t) / one_core,
                    note="the straightforward way: all responses in memory, boolean masks"))
    rows.extend(_app_rows(ctx, n, one_core))
    return rows


#: environment variables a user does not set: the app must decide threads itself
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
               "CONVLAB_THREADS")


def _child(ctx: Context, n: int, repeat: int, scipy_digits: int) -> dict:
    """Run :mod:`benchmarks.stats_child` with no thread settings; its JSON answer."""
    import json
    import os
    import subprocess
    import sys

    from .data import REPO

    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    command = [sys.executable, "-m", "benchmarks.stats_child", "--n", str(n),
               "--repeat", str(repeat), "--scipy", str(scipy_digits)]
    if ctx.mnist_dir is not None:
        command += ["--mnist", str(ctx.mnist_dir)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode:
        err = done.stderr.strip().splitlines()
        raise RuntimeError(f"child failed: {err[-1] if err else done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class BusyLoops:
    """One busy-loop process per core, each ending by itself after ``seconds`` at most."""

    CODE = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\n" \
           "while time.monotonic() < end:\n    pass\n"

    def __init__(self, count: int, seconds: float) -> None:
        self.count, self.seconds = count, seconds
        self.procs: list = []

    def __enter__(self) -> BusyLoops:
        import subprocess
        import sys

        self.procs = [subprocess.Popen([sys.executable, "-c", self.CODE, str(self.seconds)])
                      for _ in range(self.count)]
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=10)


def _app_rows(ctx: Context, n: int, one_core: float | None) -> list[Row]:
    """The lab's Compute button in a fresh process: idle, then beside one busy loop per core."""
    from convlab.core import available_cores

    bench = "statistics"
    name = "the app's Compute button (no thread settings)"
    repeat = max(3, ctx.repeat)
    scipy_digits = ctx.pick(16, 300, 1_000)
    rows: list[Row] = []
    try:
        idle = _child(ctx, n, repeat, 0)
    except Exception as exc:
        return [not_available(bench, f"N={n:,}, app conditions", name, "s",
                              describe_error(exc))]
    idle_value = median(idle["times"])
    used = idle["threads"]
    row = Row(bench, f"N={n:,}, app conditions", name, idle_value, "s", idle["times"],
              note=f"a fresh process, no BLAS/OpenMP/CONVLAB_THREADS variables, the call run "
                   f"from a worker thread; it used {used} of {idle['cores']} cores")
    if one_core is not None:
        limit = APP_FACTOR * one_core / used
        row.add_note(f"target: {APP_FACTOR}× the 1-thread figure / {used} = {limit * 1e3:.0f} ms")
        row.judge(Target("<", limit))
    rows.append(row)
    busy_case = f"N={n:,}, busy machine"
    cores = available_cores()
    try:
        with BusyLoops(cores, ctx.pick(30, 300, 300)):
            busy = _child(ctx, n, repeat, scipy_digits)
    except Exception as exc:
        rows.append(not_available(bench, busy_case, name, "s", describe_error(exc)))
        return rows
    busy_value = median(busy["times"])
    row = Row(bench, busy_case, name, busy_value, "s", busy["times"],
              note=f"{cores} busy-loop processes running alongside (one per core); "
                   f"{busy_value / idle_value:.2f}× the idle app figure (a fair share is 2×); "
                   f"target: {BUSY_FACTOR}× {idle_value * 1e3:.0f} ms")
    row.judge(Target("<", BUSY_FACTOR * idle_value))
    rows.append(row)
    scipy_samples = [t * n for t in busy["scipy_per_digit"]]
    peer = Row(bench, busy_case, "scipy.signal.convolve2d loop, per class (same load)",
               median(scipy_samples), "s", scipy_samples,
               ratio=median(scipy_samples) / busy_value,
               note=f"extrapolated ×{n / scipy_digits:.0f} from {scipy_digits:,} digits, timed "
                    "in turns with ConvLab in the same process")
    rows.append(peer.judge(Target(">=", 1.0, "ratio")))
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
