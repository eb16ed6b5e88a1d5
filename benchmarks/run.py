"""Run ConvLab's benchmark suite: ``python -m benchmarks.run`` (or ``python benchmarks/run.py``).

Prints a table (ConvLab and its peers side by side, ratios, the issue's
targets with PASS/FAIL) and writes every figure to
``benchmarks/results/<date>-<size>.json``. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

#: Each benchmark's module and function, imported only when it runs.
_REGISTRY = {
    "conv2d": ("bench_conv2d", "bench_conv2d"),
    "statistics": ("bench_conv2d", "bench_statistics"),
    "conv1d": ("bench_conv1d", "bench_conv1d"),
    "training": ("bench_training", "bench_training"),
    "gradient_panel": ("bench_gui", "bench_gradient_panel"),
    "interactivity": ("bench_gui", "bench_interactivity"),
    "startup": ("bench_startup", "bench_startup"),
    "memory": ("bench_startup", "bench_memory"),
    "landscape": ("bench_training", "bench_landscape"),
    "panel_build": ("bench_panels", "bench_panel_build"),
    "cnn": ("bench_cnn", "bench_cnn"),
    "cnn_accuracy": ("bench_cnn", "bench_cnn_accuracy"),
    "cnn_panel": ("bench_cnn_panel", "bench_cnn_panel"),
    "animation": ("bench_animation", "bench_animation"),
}
BENCHMARKS = tuple(_REGISTRY)
RESULTS = Path(__file__).resolve().parent / "results"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Time ConvLab against the alternatives, print a table, write a JSON file.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="smaller sizes and 3 repetitions (a few minutes)")
    size.add_argument("--smoke", action="store_true",
                      help="tiny sizes, 1 repetition: checks that every benchmark runs")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these benchmarks (repeatable or comma-separated): "
                             f"{', '.join(BENCHMARKS)}")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="repetitions per figure, the median is reported "
                             "(default 5; 3 with --quick; 1 with --smoke)")
    parser.add_argument("--mnist", metavar="DIR",
                        help="folder with the four MNIST files (default: ../shared/mnist beside "
                             "the repository, or $CONVLAB_MNIST); 'none' for synthetic digits")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="BLAS/PyTorch threads (default 1: the issue's targets are per core)")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="JSON file to write (default benchmarks/results/<date>-<size>.json)")
    args = parser.parse_args(argv)
    names: list[str] = []
    for item in args.only or []:
        names.extend(n.strip() for n in item.split(",") if n.strip())
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.names = names or list(BENCHMARKS)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    return args


def _limit_threads(threads: int) -> bool:
    """Set the BLAS thread count; True if it takes effect (numpy not imported yet)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    return "numpy" not in sys.modules


def _benchmark(name: str) -> Callable:
    import importlib

    module, function = _REGISTRY[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def _mnist_dir(option: str | None) -> Path | None:
    from .data import default_mnist_dir

    value = option if option is not None else os.environ.get("CONVLAB_MNIST")
    if value is None:
        return default_mnist_dir()
    if value.lower() == "none" or value == "":
        return None
    return Path(value).expanduser()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks; print the table; write the JSON. Returns 0."""
    args = _parse(argv)
    threads_effective = _limit_threads(args.threads)
    from .harness import (
        Context,
        describe_error,
        format_table,
        machine_info,
        not_available,
        summary,
        write_json,
    )

    size = "smoke" if args.smoke else "quick" if args.quick else "full"
    repeat = args.repeat or {"smoke": 1, "quick": 3, "full": 5}[size]
    ctx = Context(size=size, repeat=repeat, threads=args.threads,
                  mnist_dir=None if args.smoke and args.mnist is None else _mnist_dir(args.mnist))
    if not threads_effective:
        ctx.note("numpy was imported before the thread limit was set: BLAS may use all cores")
    ctx.note("figures measured on a shared machine while other work runs are pessimistic: "
             "compare ratios within one run, and rerun on an idle machine for absolute figures")
    info = machine_info()
    rows = []
    start = time.perf_counter()
    for name in args.names:
        print(f"[{time.perf_counter() - start:6.1f} s] {name} …", file=sys.stderr, flush=True)
        try:
            rows.extend(_benchmark(name)(ctx))
        except Exception as exc:  # a benchmark must never stop the others
            rows.append(not_available(name, "-", "-", "", f"benchmark crashed: "
                                                           f"{describe_error(exc)}"))
    if size == "smoke":  # tiny sizes say nothing about the targets
        for row in rows:
            row.passed = None
        ctx.note("smoke size: targets are shown but not judged")
    info["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    info["wall_time_s"] = round(time.perf_counter() - start, 1)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or RESULTS / f"{stamp}-{size}.json"
    write_json(out, ctx, rows, info)
    print()
    print(f"ConvLab benchmarks ({size}, median of {repeat}, {args.threads} thread(s), "
          f"{info['cpu_count']} CPUs: {info['cpu']}; load average at start "
          f"{_load(info['load_average'])}, at end {_load(info['load_average_end'])})")
    print()
    print(format_table(rows))
    print()
    print(summary(rows, judged_run=size != "smoke"))
    if ctx.notes:
        print("\nnotes:")
        for note in ctx.notes:
            print(f"  - {note}")
    print(f"\nwritten: {out}")
    return 0


def _load(load) -> str:
    return "?" if not load else "/".join(f"{v:.1f}" for v in load)


if __name__ == "__main__":
    raise SystemExit(main())
