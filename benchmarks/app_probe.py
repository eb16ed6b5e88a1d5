"""Memory probe: the real main window, all labs built, MNIST loaded by the MNIST lab itself.

``python -m benchmarks.app_probe [--mnist DIR]`` prints one JSON line:
``{"digits": N, "rss_mb": …, "peak_rss_mb": …}``: RSS after loading, and
peak RSS over the whole run (``--statistics``: the lab's per-class statistics
included). Run it offscreen with throw-away settings folders
(``benchmarks.bench_startup`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, help="folder with the full MNIST set")
    parser.add_argument("--statistics", action="store_true",
                        help="also compute the lab's per-class statistics (its Compute button)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QApplication

    app = QApplication(["convlab-probe"])
    from convlab.gui.theme import theme_manager
    from convlab.shell.main_window import MainWindow

    theme_manager().apply()
    settings_file = Path(tempfile.mkdtemp(prefix="convlab-probe-")) / "settings.ini"
    window = MainWindow(settings=QSettings(str(settings_file), QSettings.Format.IniFormat))
    window.resize(1280, 820)
    window.show()
    window.build_all()
    window.show_lab("mnist")
    panel = window.panels["mnist"]
    if args.mnist is not None:
        panel.data_box.load_source(args.mnist)
        deadline = time.monotonic() + 120
        while panel.data.size("train") + panel.data.size("test") < 70_000:
            if time.monotonic() > deadline:
                raise SystemExit("the MNIST lab did not load the full set within 120 s")
            app.processEvents()
            time.sleep(0.01)
    for _ in range(10):
        app.processEvents()
    rss_loaded = _status_mb("VmRSS")
    if args.statistics:
        panel.statistics.compute()
        deadline = time.monotonic() + 120
        while panel.statistics.result is None:
            if time.monotonic() > deadline:
                raise SystemExit("the MNIST lab's statistics did not finish within 120 s")
            app.processEvents()
            time.sleep(0.01)
    digits = panel.data.size("train") + panel.data.size("test")
    result = {
        "digits": digits,
        "rss_mb": rss_loaded,
        # VmHWM, not getrusage's ru_maxrss: that one keeps the peak of the parent
        # process across fork and exec (the benchmark runner's gigabytes).
        "peak_rss_mb": _status_mb("VmHWM"),
    }
    print(json.dumps(result), flush=True)
    # not window.close(): after loading, it would ask (modally) whether to save the session
    window.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
