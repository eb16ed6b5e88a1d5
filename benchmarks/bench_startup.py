"""Issue 8 §5: start-up to the first painted window, and the app's memory with all 70,000 digits.

Start-up: ``python main.py`` with ``CONVLAB_EXIT_AFTER_PAINT=1`` (a probe in
``convlab/app.py`` prints ``first-paint`` when the main window first paints
and quits), timed from starting the process to that line, median of 5, each
run as a fresh user (empty temporary settings folders), offscreen. Two floors
in the same run say what is ConvLab's own: the bare interpreter
(``python -c pass``) and a bare PyQt6 ``QMainWindow`` painted the same way.

Memory: ``python -m benchmarks.app_probe`` builds the real main window with
all three labs offscreen, has the MNIST lab load the full set through its own
loader (``MnistPanel.load_source``) and reports the process's peak RSS.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .harness import Context, Row, Target, describe_error, median, not_available

__all__ = ["bench_memory", "bench_startup", "time_to_line"]

REPO = Path(__file__).resolve().parent.parent
STARTUP_TARGET = 0.8
RSS_TARGET_MB = 300.0

_BARE_WINDOW = """
import sys
from PyQt6.QtCore import QEvent, QObject, QTimer
from PyQt6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1280, 820)
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            window.removeEventFilter(self)
            print("first-paint", flush=True)
            QTimer.singleShot(0, app.quit)
        return False
probe = Probe()
window.installEventFilter(probe)
window.show()
app.exec()
"""


def fresh_user_env(home: str) -> dict[str, str]:
    """The environment of a new user with an offscreen display and empty settings."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CONVLAB_EXIT_AFTER_PAINT": "1",
        "XDG_CONFIG_HOME": f"{home}/config",
        "XDG_CACHE_HOME": f"{home}/cache",
        "XDG_DATA_HOME": f"{home}/data",
        "XDG_STATE_HOME": f"{home}/state",
    }


def time_to_line(command: list[str], env: dict[str, str], line: str | None,
                 timeout: float = 60.0) -> float:
    """Seconds from starting ``command`` to its stdout ``line`` (or to its exit if ``None``).

    Raises RuntimeError if the process exits without the line or stays silent
    for ``timeout`` seconds (an error dialog waiting offscreen, say); the process is killed.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        if line is None:
            proc.wait(timeout=timeout)
            if proc.returncode:
                raise RuntimeError(f"exit code {proc.returncode}")
            return time.perf_counter() - start
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = start + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or not selector.select(left):
                raise RuntimeError(f"no {line!r} within {timeout:.0f} s")
            text = proc.stdout.readline()
            if not text:
                err = proc.stderr.read().decode(errors="replace").strip().splitlines()
                raise RuntimeError(f"exited (code {proc.wait()}) without {line!r}: "
                                   f"{err[-1] if err else 'no message'}")
            if text.decode(errors="replace").strip() == line:
                elapsed = time.perf_counter() - start
                proc.wait(timeout=timeout)
                return elapsed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def bench_startup(ctx: Context) -> list[Row]:
    """``python main.py`` to first paint, median of runs, with the floors beside it."""
    bench = "startup"
    runs = ctx.pick(1, 3, max(5, ctx.repeat))
    case = f"to first paint, offscreen, {runs} runs"
    commands = [
        ("ConvLab: python main.py", [sys.executable, "main.py"], "first-paint"),
        ("bare PyQt6 QMainWindow (floor)", [sys.executable, "-c", _BARE_WINDOW], "first-paint"),
        ("python -c pass (interpreter)", [sys.executable, "-c", "pass"], None),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in commands}
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="convlab-bench-") as home:
        env = fresh_user_env(home)
        for name, command, line in commands:  # warm-up: disk cache, .pyc files
            try:
                time_to_line(command, env, line)
            except Exception as exc:
                errors[name] = describe_error(exc)
        for _ in range(runs):  # interleaved, so all see the same machine load
            for name, command, line in commands:
                if name not in errors:
                    try:
                        times[name].append(time_to_line(command, env, line))
                    except Exception as exc:
                        errors[name] = describe_error(exc)
    rows = []
    for name, _, _ in commands:
        if name in errors:
            rows.append(not_available(bench, case, name, "s", errors[name]))
        else:
            rows.append(Row(bench, case, name, median(times[name]), "s", times[name]))
    rows[0].judge(Target("<", STARTUP_TARGET))
    if rows[0].value is not None and rows[1].value is not None:
        rows[0].add_note(f"{rows[0].value - rows[1].value:.2f} s above a bare PyQt6 window")
    return rows


def bench_memory(ctx: Context) -> list[Row]:
    """Peak RSS of the app (all labs built) with the bundled sample and with the full set."""
    bench = "memory"
    rows = []
    sources = [("bundled sample (2,000 digits)", None, [])]
    if ctx.mnist_dir is None:
        rows.append(not_available(bench, "all 70,000 digits loaded", "ConvLab app", "MB",
                                  "no MNIST folder (give --mnist DIR)"))
    else:
        sources.append(("all 70,000 digits loaded", ctx.mnist_dir, []))
        sources.append(("70,000 loaded + statistics of the training set", ctx.mnist_dir,
                        ["--statistics"]))
    for case, folder, extra in sources:
        command = [sys.executable, "-m", "benchmarks.app_probe", *extra]
        if folder is not None:
            command += ["--mnist", str(folder)]
        try:
            with tempfile.TemporaryDirectory(prefix="convlab-bench-") as home:
                done = subprocess.run(command, cwd=REPO, env=fresh_user_env(home),
                                      capture_output=True, text=True, timeout=300)
            if done.returncode:
                err = done.stderr.strip().splitlines()
                raise RuntimeError(f"probe failed: {err[-1] if err else done.returncode}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
        except Exception as exc:
            rows.append(not_available(bench, case, "ConvLab app", "MB", describe_error(exc)))
            continue
        row = Row(bench, case, "ConvLab app, peak RSS", result["peak_rss_mb"], "MB",
                  note=f"{result['digits']:,} digits; RSS after loading "
                       f"{result['rss_mb']:.0f} MB")
        if folder is not None:
            row.judge(Target("<", RSS_TARGET_MB))
        rows.append(row)
    return rows
