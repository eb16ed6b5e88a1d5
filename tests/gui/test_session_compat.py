"""Sessions saved before the per-lab packages (tests/data/before-1.0-layout.convlab,
written by the app as it was) still open, and every lab reads back exactly what the file says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QSettings

import convlab.core as cc
from convlab.labs.gradient.model import GradientLabState
from convlab.shell.main_window import MainWindow

OLD = Path(__file__).resolve().parent.parent / "data" / "before-1.0-layout.convlab"


@pytest.fixture
def window(qapp, tmp_path):
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                     interactive=False)
    yield win
    win.close()


def test_a_session_from_the_old_layout_opens_unchanged(window):
    saved = json.loads(OLD.read_text(encoding="utf-8"))["labs"]
    window.session.open_path(OLD)
    # fields added since take their defaults (Gradient: the correct gradient, no timeline)
    added = {"gradient": {"gradient": "chain_rule", "timeline": [], "slope_range": [1.0, 2.0],
                          "intercept_range": [-0.5, 0.5]}}
    for key, state in saved.items():
        assert window.panels[key].get_state() == {**state, **added.get(key, {})}, key
    # Not the defaults: the file's own values arrived.
    assert saved["gradient"]["step"] == 37 and saved["mnist"]["index"] == 5
    assert saved["signals"]["w"] == [1.0, 0.5, -1.0]


def test_the_old_gradient_run_replays_to_the_core_trainers_weights(window):
    saved = json.loads(OLD.read_text(encoding="utf-8"))["labs"]["gradient"]
    window.session.open_path(OLD)
    s = GradientLabState.from_dict(saved)
    trainer = cc.Trainer(
        s.dataset(), taps=s.taps, bias=s.bias, initial_params=s.start,
        learning_rates=s.learning_rates, optimizer=s.optimizer,
        batch_size=s.batch_size or None, seed=s.data_seed, **s.optimizer_options(s.optimizer))
    trainer.step(saved["step"])
    assert trainer.step_count == 37
    np.testing.assert_allclose(window.panels["gradient"].weights(), trainer.params, rtol=0,
                               atol=1e-12)
