"""The benchmark harness: sizes, timing, result rows, targets, the table and the JSON file.

Every benchmark is a function ``bench(ctx) -> list[Row]``. It times ConvLab
and its peers in the same run (median of ``ctx.repeat`` repetitions after one
warm-up), gives each peer row the ratio *peer time / ConvLab time* (how many
times ConvLab is faster), and attaches the issue's targets. Anything that
cannot run here — a module another helper has not written yet, PyTorch not
installed — becomes a row whose value is ``None`` and whose note says why,
never a crash.
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SIZES",
    "Context",
    "NotAvailable",
    "Row",
    "Target",
    "format_table",
    "machine_info",
    "measure",
    "measure_interleaved",
    "median",
    "not_available",
    "write_json",
]

#: ``smoke``: tiny sizes, one repetition (the unit test of the harness);
#: ``quick``: a few minutes less; ``full``: the issue's sizes.
SIZES = ("smoke", "quick", "full")


class NotAvailable(Exception):
    """A benchmark or one of its peers cannot run here; the message says why."""


@dataclass(frozen=True)
class Target:
    """A goal from the issue: ``value < limit`` (``op="<"``) or ``value >= limit`` (``">="``).

    ``on`` is ``"value"`` (the measured figure) or ``"ratio"`` (peer / ConvLab).
    """

    op: str
    limit: float
    on: str = "value"

    def check(self, row: Row) -> bool | None:
        value = row.ratio if self.on == "ratio" else row.value
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return value < self.limit if self.op == "<" else value >= self.limit

    def text(self, unit: str) -> str:
        op = "<" if self.op == "<" else "≥"
        if self.on == "ratio":
            return f"{op} {self.limit:g}× faster"
        return f"{op} {_fmt_value(self.limit, unit)}"


@dataclass
class Row:
    """One figure of the table.

    ``value`` is the median in ``unit`` (``None`` if not available);
    ``samples`` the individual repetitions; ``ratio`` (peer rows) how many
    times ConvLab is faster than this peer; ``passed`` the target's verdict.
    """

    benchmark: str
    case: str
    subject: str
    value: float | None
    unit: str
    samples: list[float] = field(default_factory=list)
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""

    def judge(self, *targets: Target) -> Row:
        """Attach ``targets`` (all must hold) and record the verdict; returns ``self``."""
        verdicts = [t.check(self) for t in targets]
        self.target = " and ".join(t.text(self.unit) for t in targets)
        if targets:
            self.passed = None if None in verdicts else all(verdicts)
        return self

    def add_note(self, text: str) -> Row:
        self.note = f"{self.note}; {text}" if self.note else text
        return self


@dataclass
class Context:
    """What a benchmark run was asked for, shared by all benchmarks."""

    size: str = "full"
    repeat: int = 5
    threads: int = 1
    mnist_dir: Path | None = None
    notes: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    def pick(self, smoke: Any, quick: Any, full: Any) -> Any:
        """The value for this run's size."""
        return {"smoke": smoke, "quick": quick, "full": full}[self.size]

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def measure(fn: Callable[[], Any], repeat: int, warmup: int = 1) -> list[float]:
    """Wall times (s) of ``repeat`` calls of ``fn`` after ``warmup`` untimed calls.

    The garbage collector runs before each call and is disabled during it,
    so a collection of earlier garbage does not land in one repetition.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeat)):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return times


def measure_interleaved(
    fns: dict[str, Callable[[], Any]], repeat: int, warmup: int = 1,
    before: Callable[[], Any] | None = None,
) -> dict[str, list[float]]:
    """Like :func:`measure` for several functions, taking turns in each repetition.

    On a shared machine the load drifts; interleaving puts ConvLab and its
    peers under the same load, so their ratios are steadier than their times.
    ``before`` (untimed) runs before every call, to give each the same start
    (e.g. :func:`warm_memory`).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            if before is not None:
                before()
            times[name].extend(measure(fn, 1, warmup=0))
    return times


def warm_memory(nbytes: int) -> None:
    """Write, then free, ``nbytes`` of fresh memory (untimed), so the next call starts warm.

    On a VM with free page reporting (virtio-balloon, as here), memory a
    process frees is handed back to the hypervisor after about 2 s; writing
    it again then costs the hypervisor's page faults too (measured here: a
    fresh GB written in 0.14 s right after a free, 0.6–1.9 s after 3 s idle).
    A benchmark whose peers take seconds would hand that cost to whoever runs
    next; this gives every candidate the same, warm, start.
    """
    import numpy as np

    block = np.empty(max(1, nbytes), dtype=np.uint8)
    block.fill(1)
    del block


def not_available(benchmark: str, case: str, subject: str, unit: str, reason: str) -> Row:
    """A row that says why a figure could not be measured."""
    return Row(benchmark, case, subject, None, unit, note=f"not available: {reason}")


def describe_error(exc: BaseException) -> str:
    """One line for an exception, with the place it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(exc).split())
    if len(message) > 300:
        message = message[:300] + "…"
    return f"{type(exc).__name__}: {message}{where}"


# -- presentation -------------------------------------------------------------------------------
def _fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.1f} µs"
        if value < 1:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if value >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def _verdict(passed: bool | None, has_target: bool) -> str:
    if not has_target:
        return ""
    return {True: "PASS", False: "FAIL", None: "—"}[passed]


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table, grouped by benchmark and case."""
    header = ("benchmark", "case", "implementation", "median", "ConvLab ×", "target", "ok", "note")
    lines: list[tuple[str, ...]] = []
    previous = None
    for row in rows:
        key = (row.benchmark, row.case)
        show = key != previous
        previous = key
        ratio = "" if row.ratio is None else f"{row.ratio:.1f}×"
        lines.append((
            row.benchmark if show else "",
            row.case if show else "",
            row.subject,
            _fmt_value(row.value, row.unit),
            ratio,
            row.target,
            _verdict(row.passed, bool(row.target)),
            row.note,
        ))
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(header)]
    widths[-1] = len(header[-1])  # the note runs on to the end of the line

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [fmt(header), fmt(["-" * w for w in widths])]
    previous_bench = None
    for row, line in zip(rows, lines, strict=True):
        if previous_bench is not None and row.benchmark != previous_bench:
            out.append("")
        previous_bench = row.benchmark
        out.append(fmt(line))
    return "\n".join(out)


def summary(rows: Sequence[Row], judged_run: bool = True) -> str:
    """Counts of passed and failed targets, and the failures by name."""
    judged = [r for r in rows if r.target]
    if not judged_run:
        return f"targets: {len(judged)} shown, none judged at this size"
    failed = [r for r in judged if r.passed is False]
    unknown = [r for r in judged if r.passed is None]
    text = (
        f"targets: {sum(r.passed is True for r in judged)} pass, {len(failed)} fail, "
        f"{len(unknown)} not measured"
    )
    for r in failed:
        text += f"\n  FAIL {r.benchmark} / {r.case} / {r.subject}: {r.target}"
    for r in unknown:
        text += f"\n  n/a  {r.benchmark} / {r.case} / {r.subject}: {r.target}"
    return text


# -- machine and file -----------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None


def machine_info() -> dict[str, Any]:
    """Where and with what the figures were measured."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average": load,
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "torch": _version("torch"),
        "PyQt6": _version("PyQt6"),
        "pyqtgraph": _version("pyqtgraph"),
        "blas_threads_env": {
            k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
        },
        "argv": sys.argv,
    }


def write_json(path: Path, ctx: Context, rows: Sequence[Row], info: dict[str, Any]) -> Path:
    """Write the run (settings, machine, notes, rows) to ``path``; return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "size": ctx.size,
        "repeat": ctx.repeat,
        "threads": ctx.threads,
        "mnist_dir": str(ctx.mnist_dir) if ctx.mnist_dir else None,
        "machine": info,
        "notes": ctx.notes,
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
