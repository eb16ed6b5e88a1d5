"""The CNN Training lab against the core: the GUI trains the same run as the core trainer,
shows the first layer's weights, the network's own feature maps and probabilities, a full
confusion matrix; pause/resume, sessions and closing mid-training."""

from __future__ import annotations

import json

import numpy as np
import pytest

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.labs.cnn.panel import CNNPanel


@pytest.fixture(scope="module")
def sample():
    return cc.load_mnist()


@pytest.fixture
def panel(qtbot, sample):
    p = CNNPanel(data=DigitData(sample))
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def core_run(panel, steps):
    """The core trainer with the panel's settings and seed, ``steps`` batches on."""
    net = cc.build_network(panel.model.architecture(), seed=panel.model.seed)
    trainer = cc.CNNTrainer(net, panel.data.dataset, **panel.model.trainer_options())
    trainer.step(steps)
    return net


def assert_same_weights(a: cc.Sequential, b: cc.Sequential) -> None:
    assert a.params.keys() == b.params.keys()
    for name, value in a.params.items():
        np.testing.assert_array_equal(b.params[name], value, err_msg=name)


def test_steps_from_the_gui_give_the_core_trainers_weights(panel):
    panel.model.use_preset("A-detectors")
    for _ in range(3):
        panel.training_box.step_button.click()
    assert panel.controller.snapshot.step == 3
    assert_same_weights(core_run(panel, 3), panel.controller.view_net)
    # and the kernels drawn are the first layer's weights
    np.testing.assert_array_equal(panel.kernels.kernels(),
                                  panel.controller.view_net.params["0.weight"][:, 0])


def test_training_in_the_background_paused_and_resumed_is_the_core_run(panel, qtbot):
    panel.model.update({"network": {**panel.model.network, "first_frozen": False},
                        "epochs": 2, "batch_size": 20})  # 50 batches an epoch: 100 to go
    controller = panel.controller
    panel.training_box.train_button.click()
    assert controller.running and panel.training_box.train_button.text() == "Pause"
    qtbot.waitUntil(lambda: controller.snapshot.step >= 5, timeout=10000)
    panel.training_box.train_button.click()  # pause
    assert not controller.running
    paused_at = controller.snapshot.step
    assert 5 <= paused_at < 100
    assert_same_weights(core_run(panel, paused_at), controller.view_net)
    panel.training_box.train_button.click()  # resume: the same run goes on
    qtbot.waitUntil(lambda: not controller.running, timeout=20000)
    assert controller.snapshot.step == 100
    assert_same_weights(core_run(panel, 100), controller.view_net)
    assert "epoch 2.00 of 2" in panel.training_box.progress_label.text()
    # evaluations: step 0, then four an epoch
    np.testing.assert_array_equal(controller.snapshot.evals["steps"],
                                  [0, 13, 25, 38, 50, 63, 75, 88, 100])


def test_the_confusion_matrix_counts_every_test_digit_and_its_cells_list_them(panel, qtbot):
    panel.controller.train_now(16)
    counts = panel.confusion.matrix.counts
    assert counts.sum() == panel.data.size("test") == 1000
    ev = cc.evaluate_network(core_run(panel, 16), *panel.data.split("test"))
    np.testing.assert_array_equal(counts, ev.confusion)
    labels = panel.data.split("test")[1]
    panel.confusion.matrix.cell_clicked.emit(3, 5)
    want = np.flatnonzero((labels == 3) & (ev.predictions == 5))
    assert panel.confusion.mosaic.indices == want[:36].tolist()
    if len(want):  # clicking a thumbnail shows that digit inside the network
        panel.confusion.mosaic.digit_clicked.emit(int(want[0]))
        assert (panel.model.split, panel.model.index) == ("test", int(want[0]))
        assert panel.tabs.currentIndex() == 1


@pytest.mark.parametrize("preset", ["A-frozen", "B"])
def test_feature_maps_and_probabilities_are_the_networks(panel, preset):
    panel.model.use_preset(preset)
    panel.controller.step()
    panel.model.update({"split": "test", "index": 7})
    net = core_run(panel, 1)
    x = panel.data.split("test")[0][7] / 255.0
    out, kept = net.forward(x[None, None].astype(np.float32), keep=True)
    images = [k[0] for k in kept if k.ndim == 4]
    shown = panel.feature_maps.shown_maps()
    assert len(shown) == len(images) == (3 if preset == "A-frozen" else 6)
    for s, want in zip(shown, images, strict=True):
        np.testing.assert_array_equal(s, want[: len(s)])
    p = panel.feature_maps.probabilities
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(p, net.probabilities(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(panel.feature_maps.scores, out[0])


def test_a_drawing_is_classified_live(panel):
    ink = np.zeros((28, 28))
    ink[4:24, 13:15] = 1.0  # a "1"
    panel.picker.canvas.set_image(ink)
    assert panel.model.digit_source == "drawing"
    np.testing.assert_array_equal(panel.picker.digit(), ink)
    want = panel.controller.view_net.probabilities(ink)
    np.testing.assert_allclose(panel.feature_maps.probabilities, want, rtol=1e-6, atol=1e-7)
    assert f"says <b>{int(np.argmax(want))}</b>" in panel.picker.label.text()


def test_an_impossible_layer_list_is_explained_and_the_last_network_kept(panel):
    editor = panel.editor
    panel.model.use_preset("B")
    before = panel.model.network
    editor.set_cell(1, "kernel_size", 9)  # 9×9 on the 14×14 maps padded by 2: fits
    assert panel.model.network["blocks"][1]["kernel_size"] == 9
    good = panel.model.network
    editor.set_cell(1, "padding", 0)  # 9 on 14: fits (6×6), pooling 3 → 2×2
    editor.set_cell(1, "stride", 4)  # (14 − 9)//4 + 1 = 2, pooling 3 does not fit 2×2
    assert "block 2: pooling window 3 does not fit a 2×2 input" in editor.message.text()
    assert panel.model.network["blocks"][1]["stride"] == 1
    assert panel.model.network != before and panel.model.network["blocks"][1]["padding"] == 0
    assert good["blocks"][1]["padding"] == 2
    # the network shown and trained is still a valid one
    assert panel.controller.view_net.output_shape == (10,)
    editor.set_cell(1, "stride", 1)
    assert editor.message.text() == ""


def test_closing_the_lab_mid_training_stops_the_worker(qtbot, sample):
    p = CNNPanel(data=DigitData(sample))
    qtbot.addWidget(p)
    p.model.use_preset("B")
    p.model.epochs = 50
    p.controller.train()
    qtbot.waitUntil(lambda: p.controller.snapshot.step >= 1, timeout=10000)
    assert p.tasks.busy
    p.shutdown()  # the suite's conftest fails the test if a thread is left
    assert not p.tasks.busy


def test_a_session_round_trip_restores_the_weights_and_goes_on_exactly(panel, qtbot, sample):
    panel.model.update({"network": {**panel.model.network, "first_frozen": False},
                        "optimizer": "adam", "learning_rate": 0.01, "seed": 3})
    panel.controller.train_now(10)
    panel.model.learning_rate = 0.005  # a change mid-run is recorded
    panel.controller.train_now(12)
    state = json.loads(json.dumps(panel.get_state(), allow_nan=False))
    other = CNNPanel(data=DigitData(sample))
    qtbot.addWidget(other)
    other.set_state(state)
    assert other.model.to_dict() == panel.model.to_dict()
    assert_same_weights(panel.controller.view_net, other.controller.view_net)
    assert other.controller.snapshot.evals["test_accuracy"][-1] == \
        panel.controller.snapshot.evals["test_accuracy"][-1]
    np.testing.assert_array_equal(other.confusion.matrix.counts, panel.confusion.matrix.counts)
    for p in (panel, other):
        p.controller.train_now(30)
    assert_same_weights(panel.controller.view_net, other.controller.view_net)
    other.shutdown()


def test_the_revision_changes_with_settings_and_training_only(panel):
    first = panel.revision()
    panel.get_state()
    assert panel.revision() == first
    panel.controller.step()
    stepped = panel.revision()
    assert stepped != first
    panel.model.learning_rate = 0.1
    assert panel.revision() != stepped


def test_a_bad_saved_run_is_refused_and_changes_nothing(panel):
    panel.controller.train_now(2)
    state = panel.get_state()
    before = panel.get_state()
    broken = json.loads(json.dumps(state))
    broken["run"]["trainer"]["params"]["0.weight"]["base64"] = "AAAA"
    with pytest.raises(ValueError, match=r"0\.weight"):
        panel.set_state(broken)
    other_net = {**state, "network": {**state["network"], "first_frozen": True}}
    with pytest.raises(ValueError, match="another network"):
        panel.set_state(other_net)
    assert panel.get_state() == before


def test_the_screenshot_hook_trains_briefly_and_fills_the_views(panel):
    panel.prepare_screenshot()
    snap = panel.controller.snapshot
    assert snap.step == 3 * 16
    assert panel.confusion.matrix.counts.sum() == 1000
    weights = panel.controller.view_net.params["0.weight"][:, 0]
    assert not np.array_equal(weights, cc.line_detector_bank()[:, 0].astype(np.float32))
    assert panel.confusion.mosaic.indices  # a cell's digits are shown
    assert panel.tabs.currentIndex() == 0


def test_self_test_passes_and_leaves_the_state(panel):
    before = panel.get_state()
    panel.self_test()
    assert panel.get_state() == before


def test_new_digits_start_a_new_run(panel, sample):
    panel.controller.train_now(4)
    smaller = cc.MnistDataset(sample.train_images[:300], sample.train_labels[:300],
                              sample.test_images[:200], sample.test_labels[:200], "part")
    panel.data.set_dataset(smaller)
    assert panel.controller.snapshot.step == 0
    assert panel.controller.run.trainer.n_train == 300
    panel.controller.train_now(2)
    assert panel.confusion.matrix.counts.sum() == 200


def test_the_training_page_scrolls_rather_than_squeezing_its_plots(panel, qtbot):
    from PyQt6.QtWidgets import QApplication

    from convlab.gui.theme import theme_manager

    area = panel._training_area
    page = area.widget()
    panel.resize(1024, 560)
    panel.show()
    qtbot.waitExposed(panel)
    try:
        QApplication.processEvents()
        assert page.minimumSize().width() == 700 and page.minimumSize().height() == 400
        assert not area.verticalScrollBar().isVisible()  # fits at text scale 1
        assert page.height() == area.viewport().height()  # and fills the viewport
        theme_manager().set_scale(1.6)  # presentation mode
        QApplication.processEvents()
        assert (page.minimumWidth(), page.minimumHeight()) == (1120, 640)
        assert page.height() == 640 and page.width() >= 1120  # not squeezed below it
        assert area.verticalScrollBar().isVisible() and area.verticalScrollBar().maximum() > 0
    finally:
        theme_manager().set_scale(1.0)
    QApplication.processEvents()
    assert page.minimumHeight() == 400 and not area.verticalScrollBar().isVisible()
