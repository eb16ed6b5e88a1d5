"""The CNN lab's timeline: scrub points at the test evaluations, every view at a scrubbed step
against the core (a trainer stepped to that step), live again, training while scrubbed, Reset,
sessions (with and without the timeline), the bound on the points, keys and Export Animation…"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PyQt6.QtCore import Qt

import convlab.core as cc
from convlab.gui.base import AnimationSource
from convlab.gui.digits import DigitData
from convlab.labs.cnn.confusion import TITLE
from convlab.labs.cnn.panel import CNNPanel
from convlab.labs.cnn.run import (
    MAX_SCRUB_POINTS,
    MIN_SCRUB_POINTS,
    SCRUB_BYTES,
    TrainingRun,
    scrub_cap,
    thin_points,
)

#: Batch size of the tests' runs: the sample's 1,000 training digits make 20 batches an
#: epoch, evaluated at steps 5, 10, 15, 20 (and at 0).
BATCH = 50
TRAINED = 40


@pytest.fixture(scope="module")
def sample():
    return cc.load_mnist()


def make_panel(qtbot, sample) -> CNNPanel:
    p = CNNPanel(data=DigitData(sample))
    qtbot.addWidget(p)
    p.model.update({"network": {**p.model.network, "first_frozen": False},
                    "batch_size": BATCH, "split": "test", "index": 3})
    return p


@pytest.fixture
def panel(qtbot, sample):
    p = make_panel(qtbot, sample)
    p.controller.train_now(TRAINED)
    yield p
    p.shutdown()


_CORE_NETS: dict[tuple[str, int, int], cc.Sequential] = {}


def core_net(panel: CNNPanel, steps: int) -> cc.Sequential:
    """The core trainer with the panel's settings, ``steps`` batches on: θ at that step
    (deterministic, so kept for the next test asking for the same)."""
    settings = json.dumps([panel.model.architecture(), panel.model.trainer_options()],
                          sort_keys=True)
    key = (settings, len(panel.data.dataset.train_labels), steps)
    if key not in _CORE_NETS:
        net = cc.build_network(panel.model.architecture(), seed=panel.model.seed)
        cc.CNNTrainer(net, panel.data.dataset, **panel.model.trainer_options()).step(steps)
        _CORE_NETS[key] = net
    return _CORE_NETS[key]


def shown_maps_of(net: cc.Sequential, digit: np.ndarray) -> list[np.ndarray]:
    _out, kept = net.forward(np.asarray(digit, np.float32)[None, None], keep=True)
    return [k[0] for k in kept if k.ndim == 4]


def assert_views_at(panel: CNNPanel, k: int) -> None:
    """Kernels, feature maps, softmax, verdict, cursor and confusion matrix are θ_k's."""
    net = core_net(panel, k)
    np.testing.assert_array_equal(panel.kernels.kernels(), net.params["0.weight"][:, 0])
    digit = panel.picker.digit()
    for shown, want in zip(panel.feature_maps.shown_maps(), shown_maps_of(net, digit),
                           strict=True):
        np.testing.assert_array_equal(shown, want[: len(shown)])
    p = net.probabilities(digit)
    np.testing.assert_allclose(panel.feature_maps.probabilities, p, rtol=1e-6, atol=1e-7)
    assert f"says <b>{int(np.argmax(p))}</b>" in panel.picker.label.text()
    ev = cc.evaluate_network(net, *panel.data.split("test"))
    np.testing.assert_array_equal(panel.confusion.matrix.counts, ev.confusion)
    assert panel.curves.cursor_step() == k
    per_epoch = panel.controller.snapshot.batches_per_epoch
    assert panel.curves.loss_cursor.value() == pytest.approx(k / per_epoch)
    assert panel.curves.accuracy_cursor.value() == pytest.approx(k / per_epoch)
    assert panel.curves.loss_cursor.isVisible() and panel.curves.accuracy_cursor.isVisible()
    assert panel.curves.cursor_texts() == (f"step {k:,}: test loss {ev.loss:.3f}",
                                           f"step {k:,}: test {100 * ev.accuracy:.1f} %")
    assert panel.confusion.matrix.title() == f"Confusion matrix at step {k:,}"


def assert_live(panel: CNNPanel) -> None:
    """The views show the latest step, as without a timeline."""
    latest = panel.controller.view_net
    assert panel.shown_step() is None and panel.curves.cursor_step() is None
    assert not panel.curves.loss_cursor.isVisible()
    assert panel.confusion.matrix.title() == TITLE
    np.testing.assert_array_equal(panel.kernels.kernels(), latest.params["0.weight"][:, 0])
    for shown, want in zip(panel.feature_maps.shown_maps(),
                           shown_maps_of(latest, panel.picker.digit()), strict=True):
        np.testing.assert_array_equal(shown, want[: len(shown)])
    np.testing.assert_array_equal(panel.confusion.matrix.counts,
                                  panel.controller.snapshot.evaluation.confusion)


# -- the scrub points -----------------------------------------------------------------------
def test_a_scrub_point_at_each_evaluation_holds_its_weights_and_evaluation(panel):
    snap = panel.controller.snapshot
    want_steps = [0, 5, 10, 15, 20, 25, 30, 35, 40]
    np.testing.assert_array_equal(snap.evals["steps"], want_steps)
    np.testing.assert_array_equal(snap.point_steps, want_steps)
    np.testing.assert_array_equal(panel.animation_steps(), want_steps)
    test_images, test_labels = panel.data.split("test")
    for i, point in enumerate(snap.points):
        net = core_net(panel, point.step)
        assert point.index == i
        for name, value in net.params.items():
            np.testing.assert_array_equal(point.params[name], value, err_msg=name)
        ev = cc.evaluate_network(net, test_images, test_labels)
        assert point.accuracy == ev.accuracy == snap.evals["test_accuracy"][i]
        assert point.loss == ev.loss
        np.testing.assert_array_equal(point.confusion, ev.confusion)
        np.testing.assert_array_equal(point.predictions, ev.predictions)
        np.testing.assert_array_equal(point.per_class_accuracy, ev.per_class_accuracy)
        np.testing.assert_array_equal(point.misclassified, ev.misclassified)


def test_the_latest_step_after_the_last_evaluation_ends_the_timeline(panel):
    panel.controller.step()
    panel.controller.step()  # 42: not an evaluation step
    np.testing.assert_array_equal(panel.animation_steps()[-3:], [35, 40, 42])
    assert panel.scrubber.step_label.text() == "step 42 (latest)"
    panel.show_step(42)  # the latest: live
    assert panel.shown_step() is None
    assert_live(panel)


# -- scrubbing ------------------------------------------------------------------------------
def test_scrubbing_to_a_step_shows_every_view_at_that_step(panel):
    for asked, shown in ((0, 0), (10, 10), (12, 10), (35, 35)):
        panel.show_step(asked)
        assert panel.shown_step() == shown
        assert_views_at(panel, shown)
        assert panel.scrubber.step_label.text().startswith(f"step {shown:,} of ")
        assert "Training continues from the latest step" in panel.scrubber.note.text()


def test_the_slider_and_the_keys_scrub_and_live_shows_the_latest_again(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    button = panel.training_box.reset_button  # a button: "[" and "]" are not its keys
    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    qtbot.keyClick(button, Qt.Key.Key_BracketLeft)
    assert panel.shown_step() == 35
    qtbot.keyClick(button, Qt.Key.Key_BracketLeft)
    assert panel.shown_step() == 30
    assert_views_at(panel, 30)
    qtbot.keyClick(button, Qt.Key.Key_BracketRight)
    assert panel.shown_step() == 35
    qtbot.keyClick(button, Qt.Key.Key_L)
    assert_live(panel)
    panel.scrubber.slider.setValue(2)  # as a drag does
    assert_views_at(panel, 10)
    qtbot.keyClick(button, Qt.Key.Key_P)
    assert panel.scrubber.playing
    panel.pause()  # the lab hidden or paused: playing stops where it is
    assert not panel.scrubber.playing and panel.shown_step() == 10
    panel.scrubber.live_button.click()
    assert_live(panel)


def test_a_drawing_is_classified_by_the_network_at_the_step_shown(panel):
    ink = np.zeros((28, 28))
    ink[4:24, 13:15] = 1.0
    panel.show_step(5)
    panel.picker.canvas.set_image(ink)
    want = core_net(panel, 5).probabilities(ink)
    np.testing.assert_allclose(panel.feature_maps.probabilities, want, rtol=1e-6, atol=1e-7)
    panel.show_step(None)
    np.testing.assert_allclose(panel.feature_maps.probabilities,
                               core_net(panel, TRAINED).probabilities(ink), rtol=1e-6, atol=1e-7)


def test_a_cell_of_the_scrubbed_matrix_lists_that_steps_digits(panel):
    panel.show_step(5)
    labels = panel.data.split("test")[1]
    predicted = cc.evaluate_network(core_net(panel, 5), *panel.data.split("test")).predictions
    panel.confusion.matrix.cell_clicked.emit(4, 9)
    want = np.flatnonzero((labels == 4) & (predicted == 9))
    assert panel.confusion.mosaic.indices == want[:36].tolist()


def test_scrubbing_is_view_state_not_saved_and_no_change(panel, tmp_path):
    before, revision = panel.get_state(), panel.revision()
    panel.show_step(15)
    assert panel.get_state() == before and panel.revision() == revision
    panel.save_weights(tmp_path / "w.npz")  # the network shown: θ at step 15
    net, meta = cc.load_network(tmp_path / "w.npz", with_metadata=True)
    assert meta["step"] == 15
    np.testing.assert_array_equal(net.params["0.weight"], core_net(panel, 15).params["0.weight"])


def test_training_while_scrubbed_keeps_the_views_and_grows_the_timeline(panel, qtbot):
    panel.show_step(10)
    panel.controller.step()  # on the GUI thread
    assert panel.animation_steps()[-1] == TRAINED + 1
    assert_views_at(panel, 10)
    panel.model.epochs = 3
    panel.training_box.train_button.click()  # in the background, to step 60
    qtbot.waitUntil(lambda: not panel.controller.running, timeout=20000)
    assert panel.controller.snapshot.step == 60
    np.testing.assert_array_equal(panel.animation_steps()[-4:], [45, 50, 55, 60])
    assert panel.shown_step() == 10
    assert_views_at(panel, 10)
    assert "Training continues from the latest step (60), not from here." in \
        panel.scrubber.note.text()
    # the real run went on from its latest step, not from the step shown
    for name, value in core_net(panel, 60).params.items():
        np.testing.assert_array_equal(panel.controller.view_net.params[name], value)
    x = panel.curves.batch_loss.getData()[0]
    assert x[-1] == pytest.approx(3.0)  # the curves hold the whole run
    panel.show_step(None)
    assert_live(panel)


def test_reset_and_a_new_network_go_live(panel):
    panel.show_step(20)
    panel.training_box.reset_button.click()
    assert panel.shown_step() is None and panel.curves.cursor_step() is None
    assert panel.confusion.matrix.title() == TITLE
    assert panel.animation_steps().size < 2  # nothing to scrub yet
    start = core_net(panel, 0).params["0.weight"][:, 0]
    np.testing.assert_array_equal(panel.kernels.kernels(), start)
    panel.controller.train_now(10)
    panel.show_step(5)
    panel.model.use_preset("B")
    assert panel.shown_step() is None and panel.scrubber.steps.size <= 1


# -- sessions ---------------------------------------------------------------------------------
def test_a_session_round_trip_restores_the_timeline(panel, qtbot, sample):
    state = json.loads(json.dumps(panel.get_state(), allow_nan=False))
    other = make_panel(qtbot, sample)
    other.set_state(state)
    np.testing.assert_array_equal(other.animation_steps(), panel.animation_steps())
    mine, theirs = panel.controller.snapshot.points, other.controller.snapshot.points
    for a, b in zip(mine, theirs, strict=True):
        assert (a.step, a.index, a.accuracy, a.loss) == (b.step, b.index, b.accuracy, b.loss)
        for name in a.params:
            np.testing.assert_array_equal(a.params[name], b.params[name])
        np.testing.assert_array_equal(a.confusion, b.confusion)
        np.testing.assert_array_equal(a.per_class_accuracy, b.per_class_accuracy)
        np.testing.assert_array_equal(a.misclassified, b.misclassified)
    other.show_step(25)
    assert_views_at(other, 25)
    # and the restored run goes on exactly, its timeline too
    for p in (panel, other):
        p.controller.train_now(50)
    np.testing.assert_array_equal(other.animation_steps(), panel.animation_steps())
    other.shutdown()


def test_a_session_from_before_the_timeline_opens_with_its_last_evaluation(panel, qtbot,
                                                                          sample):
    state = json.loads(json.dumps(panel.get_state()))
    del state["run"]["scrub"]
    other = make_panel(qtbot, sample)
    other.set_state(state)
    np.testing.assert_array_equal(other.animation_steps(), [TRAINED])
    assert other.animation_steps().size < 2  # one scrub point: nothing to scrub yet
    other.controller.train_now(TRAINED + 5)  # the next evaluation: something to scrub
    np.testing.assert_array_equal(other.animation_steps(), [TRAINED, TRAINED + 5])
    other.show_step(TRAINED)
    assert_views_at(other, TRAINED)
    other.shutdown()


DAMAGES = (
    (lambda s: s.update(steps={"array": "<i8", "shape": [2], "base64": "AQAAAAAAAAACAAAAAAAAAA=="}),
     "not test evaluations"),  # steps 1 and 2
    (lambda s: s["params"].pop("0.bias"), "not this network's"),
    (lambda s: s.update(stride=0), "stride"),
    (lambda s: s.update(predictions=s["params"]["0.bias"]), "predictions"),
    (lambda s: s.pop("stride"), "damaged"),
)


def test_a_damaged_timeline_is_refused_and_changes_nothing(panel):
    before = json.loads(json.dumps(panel.get_state()))
    for damage, message in DAMAGES:
        state = json.loads(json.dumps(before))
        damage(state["run"]["scrub"])
        with pytest.raises(ValueError, match=message):
            panel.set_state(state)
        assert panel.get_state() == before


# -- the bound --------------------------------------------------------------------------------
def test_thinning_keeps_the_first_the_latest_and_evenly_spaced_points():
    kept, stride = thin_points(list(range(10)), cap=4)
    assert (kept, stride) == ([0, 4, 8, 9], 4)
    kept, stride = thin_points([0, 4, 8, 9, 10], cap=4, stride=4)  # 9 was only the latest
    assert (kept, stride) == ([0, 4, 8, 10], 4)
    kept, stride = thin_points([0, 4, 8, 10, 11, 12], cap=4, stride=4)
    assert (kept, stride) == ([0, 4, 8, 12], 4)
    with pytest.raises(ValueError):
        thin_points([0, 1, 2], cap=1)


def test_the_cap_follows_the_byte_budget():
    assert scrub_cap(1) == MAX_SCRUB_POINTS == 200
    assert scrub_cap(SCRUB_BYTES // 50) == 50
    assert scrub_cap(10 * SCRUB_BYTES) == MIN_SCRUB_POINTS
    # network B on the sample: about 6,000 float32 weights and 1,000 predictions a point
    b = cc.build_network(cc.CNN_PRESETS["B"], seed=0)
    assert scrub_cap(b.n_params * 4 + 1000) == 200


def test_a_long_run_keeps_at_most_the_cap_evenly_thinned(sample):
    spec = cc.CNN_PRESETS["A-random"]
    small = cc.MnistDataset(sample.train_images, sample.train_labels, sample.test_images[:100],
                            sample.test_labels[:100], "part")
    run = TrainingRun(spec, {"batch_size": 250, "optimizer": "sgd", "learning_rate": 0.05,
                             "seed": 1}, small)
    run.point_cap = 8
    run.train(run.steps_for(10))  # 4 batches an epoch, each evaluated: 41 evaluations
    evals = run.evals["steps"]
    assert len(evals) == 41
    indices = [p.index for p in run.points]
    assert len(run.points) <= 8 and indices[0] == 0 and indices[-1] == 40
    assert indices == [0, 8, 16, 24, 32, 40]  # stride 8: evenly spaced
    assert [p.step for p in run.points] == [evals[i] for i in indices]
    net = cc.build_network(spec, seed=1)
    trainer = cc.CNNTrainer(net, small, batch_size=250, optimizer="sgd", learning_rate=0.05,
                            seed=1)
    trainer.step(16)
    for name, value in net.params.items():
        np.testing.assert_array_equal(run.points[2].params[name], value)


# -- the lab's furniture ----------------------------------------------------------------------
def test_the_panel_is_its_animation_source_and_export_animation_is_asked_for(panel, monkeypatch):
    source = panel.animation_source()
    assert source is panel and isinstance(source, AnimationSource)
    assert panel.animation_name() == "convlab-cnn"
    training = panel.animation_widget()
    assert training.isAncestorOf(panel.curves) and training.isAncestorOf(panel.kernels)
    panel.tabs.setCurrentIndex(1)
    assert panel.animation_widget().isAncestorOf(panel.feature_maps)
    button = panel.export_button
    assert button.text() == "Export Animation…"
    assert button.toolTip() == "Save the run as an animated GIF, MP4 or HTML page"
    asked: list[bool] = []
    monkeypatch.setattr(panel, "export_animation", lambda: asked.append(True))
    button.click()
    assert asked == [True]
    assert "([ / ])" in panel.scrubber.slider.toolTip()
    assert panel.scrubber.play_button.toolTip().endswith("(P)")
    assert panel.scrubber.live_button.toolTip().endswith("(L)")
