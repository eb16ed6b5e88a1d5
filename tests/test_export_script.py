"""Exported Python scripts reproduce the numbers the labs show."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from convlab.export_script import mnist_script, signals_script


def _run_script(text: str, tmp_path) -> dict:
    path = tmp_path / "lab.py"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(path), "--json"], capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"mode": "same", "flip": True, "w": [0.25, 0.5, 0.25, 1.0 / 3.0]},
        {"mode": "full", "stride": 2, "dilation": 2, "padding_mode": "circular", "batch": True},
    ],
)
def test_signals_script_matches_the_panel(qtbot, tmp_path, changes):
    from convlab.labs.signals.panel import SignalsPanel

    panel = SignalsPanel()
    qtbot.addWidget(panel)
    state = panel.get_state()
    state.update(changes)
    panel.set_state(state)
    results = _run_script(signals_script(panel.get_state()), tmp_path)
    assert results["z"] == panel.view.z.tolist()  # exactly, not approximately
    assert results["w"] == state["w"]
    if state["batch"]:
        assert results["Z"] == panel.view.batch_z.tolist()
    else:
        assert "Z" not in results
    panel.shutdown()


@pytest.mark.parametrize("drawing", [False, True])
def test_mnist_script_matches_the_panel(qtbot, tmp_path, drawing):
    from convlab.labs.mnist.panel import MnistPanel

    panel = MnistPanel()
    qtbot.addWidget(panel)
    state = panel.get_state()
    state.update(threshold=1.25, mode="same", flip=False, index=7, split="test")
    state["kernels"][1][0][0] = 0.5
    if drawing:
        ink = np.zeros((28, 28))
        ink[5:22, 13:15] = 1.0
        ink[10, 8:20] = 0.6
        state.update(digit_source="drawing", drawing=ink.tolist())
    panel.set_state(state)
    results = _run_script(mnist_script(panel.get_state()), tmp_path)
    figure = panel.figure
    assert results["names"] == list(figure.names)
    np.testing.assert_array_equal(np.array(results["digit"]), figure.digit)
    np.testing.assert_array_equal(np.array(results["responses"]), figure.responses)
    np.testing.assert_array_equal(np.array(results["masks"], dtype=bool), figure.masks)
    assert figure.masks.any()
    panel.shutdown()


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"bias": True, "start": [0.5, 0.5, 0.0], "learning_rates": [0.05, 0.02, 0.1],
         "optimizer": "adam", "batch_size": 16, "data_seed": 7},
        {"race": True, "optimizer": "momentum"},
        {"learning_rates": [4.0, 4.0]},  # diverges: the script stops where the app stopped
    ],
)
def test_gradient_script_reaches_the_same_weights(qtbot, tmp_path, changes):
    from convlab.export_script import gradient_script
    from convlab.labs.gradient.panel import GradientPanel

    panel = GradientPanel()
    qtbot.addWidget(panel)
    state = panel.get_state()
    state.update(changes)
    panel.set_state(state)
    for _ in range(40):
        panel.controller.step_once()
    panel.set_state({**panel.get_state(), "step": 1000})  # on to step 1000, replayed
    results = _run_script(gradient_script(panel.get_state()), tmp_path)
    runs = panel.controller.runs
    assert len(results["runs"]) == len(runs)
    for got, run in zip(results["runs"], runs, strict=True):
        assert got["params"] == run.trainer.params.tolist()  # exactly, not approximately
        assert got["step"] == run.trainer.step_count
        assert got["status"] == run.trainer.status
        assert got["history_steps"] == run.trainer.history.steps.tolist()
    if "learning_rates" in changes and changes["learning_rates"][0] > 1:
        assert "diverged" in results["runs"][0]["status"]
    panel.shutdown()


@pytest.mark.parametrize("trained", [False, True])
def test_cnn_script_prints_the_panels_test_accuracy(qtbot, tmp_path, trained):
    import convlab.core as cc
    from convlab.export_script import _mnist_path, cnn_script
    from convlab.gui.digits import DigitData
    from convlab.labs.cnn.panel import CNNPanel

    panel = CNNPanel(data=DigitData(cc.load_mnist()))
    qtbot.addWidget(panel)
    panel.model.update({"optimizer": "momentum", "momentum": 0.8, "batch_size": 50, "seed": 4,
                        "network": {**panel.model.network, "first_frozen": False}})
    if trained:
        panel.controller.train_now(7)
        panel.model.learning_rate = 0.02  # recorded at step 7, replayed by the script
        panel.controller.train_now(25)
    results = _run_script(cnn_script(panel.get_state()), tmp_path)
    net = panel.controller.view_net
    ev = cc.evaluate_network(net, *panel.data.split("test"))
    assert results["steps"] == (25 if trained else 0)
    assert results["test_accuracy"] == ev.accuracy
    if trained:
        assert results["test_accuracy"] == panel.controller.snapshot.evals["test_accuracy"][-1]
    np.testing.assert_array_equal(np.array(results["kernels"], np.float32),
                                  net.params["0.weight"][:, 0])
    assert np.array(results["confusion"]).sum() == 1000
    assert _mnist_path("folder /data/mnist (60,000 + 10,000 digits)") == "/data/mnist"
    assert _mnist_path("bundled sample (1,000 + 1,000 digits)") is None
    panel.shutdown()
