"""Compare the start-up time of the built executable with ``python main.py``.

Measures, for each command, the wall time from starting the process to the line
``first-paint`` that ConvLab prints when its window first paints
(``CONVLAB_EXIT_AFTER_PAINT=1``; the app then quits). The commands run alternately, after
one discarded warm-up run each, so both see the same disk cache and machine load.

    .venv/bin/python packaging/measure_startup.py                 # offscreen, 5 runs each
    xvfb-run -a .venv/bin/python packaging/measure_startup.py --platform xcb
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def time_to_first_paint(command: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from starting ``command`` until it prints ``first-paint``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        for line in proc.stdout:
            if line.strip() == "first-paint":
                elapsed = time.perf_counter() - start
                proc.wait(timeout=timeout)
                return elapsed
        raise RuntimeError(f"{command[0]} exited (code {proc.wait()}) without painting")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM value")
    parser.add_argument(
        "--exe", type=Path, default=ROOT / "dist" / "ConvLab" / "convlab", help="built executable"
    )
    args = parser.parse_args()
    if not args.exe.is_file():
        parser.error(f"{args.exe} not found: build it with packaging/build_exe.sh")

    with tempfile.TemporaryDirectory(prefix="convlab-startup-") as home:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": args.platform,
            "CONVLAB_EXIT_AFTER_PAINT": "1",
            # a fresh user: no saved window state, settings or logs of the developer's
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_CACHE_HOME": f"{home}/cache",
            "XDG_DATA_HOME": f"{home}/data",
            "XDG_STATE_HOME": f"{home}/state",
        }
        commands = {"python main.py": [sys.executable, "main.py"], "executable": [str(args.exe)]}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            time_to_first_paint(command, env)  # warm-up, discarded
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(time_to_first_paint(command, env))

    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        runs = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:15s} median {medians[name]:.2f} s   runs: {runs}")
    ratio = medians["executable"] / medians["python main.py"]
    print(f"executable / python main.py = {ratio:.2f} ({args.platform}, {args.runs} runs each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
