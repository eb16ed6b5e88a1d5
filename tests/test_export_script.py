"""Exported Python scripts reproduce the numbers the labs show."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import convlab.core as cc
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
    from convlab.export_script import cnn_script
    from convlab.export_script.cnn import _mnist_path
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


def _mnist_state(**changes):
    from convlab.labs.mnist.model import MnistState

    return {**MnistState().to_dict(), **changes}


def test_mnist_script_names_no_absolute_data_path_and_finds_the_folder_beside_it(tmp_path):
    sample = cc.load_mnist()
    folder = tmp_path / "my-mnist"
    folder.mkdir()
    for name, arr in (("train-images-idx3-ubyte", sample.train_images[:30]),
                      ("train-labels-idx1-ubyte", sample.train_labels[:30]),
                      ("t10k-images-idx3-ubyte", sample.test_images[:30]),
                      ("t10k-labels-idx1-ubyte", sample.test_labels[:30])):
        cc.write_idx(folder / name, arr)
    state = _mnist_state(data_source="/home/alice/private stuff/my-mnist", index=17,
                         split="test")
    text = mnist_script(state)
    assert "alice" not in text and "private" not in text and "/home" not in text
    assert "DATA_SOURCE = 'my-mnist'" in text and "set DATA_SOURCE" in text
    results = _run_script(text, tmp_path)  # the script is written next to the folder
    want = cc.detector_figure(sample.test_images[17])
    np.testing.assert_array_equal(np.array(results["masks"], dtype=bool), want.masks)
    # a Windows path too; and without the folder the script says what to do
    text = mnist_script(_mnist_state(data_source="C:\\Users\\bob\\data\\mnist.npz"))
    assert "bob" not in text and "DATA_SOURCE = 'mnist.npz'" in text
    path = tmp_path / "elsewhere.py"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, str(path), "--json"], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode != 0 and "set DATA_SOURCE at the top of this script" in result.stderr


class _Recorder:
    """A stand-in for matplotlib.pyplot recording where each image is drawn."""

    def __init__(self):
        self.cells = []
        self.axes = []

    def figure(self, **_kw):
        return self

    def add_gridspec(self, rows, cols):
        self.shape = (rows, cols)
        return self

    def __getitem__(self, key):
        return key

    def add_subplot(self, where):
        recorder, cell = self, {"where": where}
        recorder.cells.append(cell)

        class _Ax:
            def imshow(self, image, **options):
                cell["image"] = np.asarray(image)

            def set_title(self, title):
                cell["title"] = title

            def set_xticks(self, _t):
                cell["no ticks"] = True

            def set_yticks(self, _t):
                pass

        ax = _Ax()
        self.axes.append(ax)
        return ax


@pytest.mark.parametrize("display", ["mask", "response", "overlay"])
def test_mnist_script_draws_the_figure_in_the_labs_layout(qtbot, tmp_path, display):
    import runpy

    from convlab.labs.mnist.panel import MnistPanel

    panel = MnistPanel()
    qtbot.addWidget(panel)
    panel.set_state(_mnist_state(display=display, threshold=0.75))
    path = tmp_path / "lab.py"
    path.write_text(mnist_script(panel.get_state()), encoding="utf-8")
    script = runpy.run_path(str(path), run_name="exported")
    results = script["compute"]()
    plt = _Recorder()
    script["plot"](results, plt)
    where = [c["where"] for c in plt.cells]
    # kernel | response, kernel | response on each row, then the digit in the middle
    assert plt.shape == (3, 4)
    assert where[:8] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3)]
    assert where[8] == (2, slice(1, 3, None))
    view = panel.figure_view
    for i, name in enumerate(cc.LINE_DETECTORS):
        kernel, response = plt.cells[2 * i], plt.cells[2 * i + 1]
        assert kernel["title"] == name
        np.testing.assert_array_equal(kernel["image"], panel.figure.kernels[i])
        shown = view.displayed(i)
        if display == "overlay":
            np.testing.assert_allclose(response["image"] * 255, shown, atol=0.51)
        else:
            np.testing.assert_allclose(response["image"], shown)
        title = view.detectors[i].response_plot.titleLabel.text
        assert response["title"] == title
    assert plt.cells[8]["title"] == "digit"
    np.testing.assert_array_equal(plt.cells[8]["image"], panel.figure.digit)
    assert all(c.get("no ticks") for c in plt.cells)
    panel.shutdown()
