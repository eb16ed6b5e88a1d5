"""Test-suite wide setup: headless Qt, isolated user folders, no leaked threads,
hypothesis profiles."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from hypothesis import settings

# Headless by default; a developer may still export another platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hypothesis profiles (see DEVELOPERS.md, "Fuzzing"):
#   ci   — derandomized: every CI run draws the same examples, so a submission is
#          never failed by a case no earlier run met.  Chosen when CI=true.
#   dev  — random seeds (the default locally), keeps exploring on every run.
#   fuzz — random, 2,000 examples a test, for a longer local fuzzing job.
# ``--hypothesis-profile NAME`` or HYPOTHESIS_PROFILE=NAME overrides the choice.
# A test wanting more examples than the profile's writes
# ``max(N, settings().max_examples)`` so that the fuzz profile still raises it.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True,
                          deadline=None)
settings.register_profile("dev", derandomize=False)
settings.register_profile("fuzz", derandomize=False, max_examples=2000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in ("true", "1") else "dev")
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory):
    """Keep settings, caches, logs and autosaves of the tests out of the user's home."""
    root = tmp_path_factory.mktemp("userdirs")
    saved = {}
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        saved[var] = os.environ.get(var)
        os.environ[var] = str(root / var.lower())
    yield root
    for var, value in saved.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves a Python thread or a ConvLab worker thread running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        tasks = 0
        if "convlab.gui.worker" in sys.modules:
            tasks = sys.modules["convlab.gui.worker"].active_task_count()
        if not leaked and not tasks:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    names = ", ".join(t.name for t in leaked)
    pytest.fail(f"test left threads running: {names or '-'}; ConvLab tasks still live: {tasks}")
