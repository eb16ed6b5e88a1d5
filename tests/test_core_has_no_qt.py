"""The computation core must import without Qt (and without paying for scipy.signal)."""

import json
import subprocess
import sys

CODE = """
import json, sys
import convlab.core as cc
print(json.dumps(sorted(m for m in sys.modules)))
"""


def _modules_after_import() -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return set(json.loads(out))


def test_importing_core_loads_no_qt_and_no_scipy_signal():
    loaded = _modules_after_import()
    qt = sorted(m for m in loaded if m.split(".")[0] in {"PyQt6", "PySide6", "pyqtgraph", "qtpy"})
    assert qt == [], f"convlab.core imported Qt modules: {qt}"
    assert "convlab.core" in loaded
    assert "scipy.signal" not in loaded, "import scipy.signal lazily inside functions"
