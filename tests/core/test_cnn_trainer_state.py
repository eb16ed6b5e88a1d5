"""The trainer's state (pause in one trainer, go on in another: the same run to the bit) and
the kernels' distance to the line detectors (against hand computations and a brute force)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import convlab.core as cc


@pytest.fixture(scope="module")
def sample():
    return cc.load_mnist()


def _trainer(sample, preset="A-detectors", seed=0, **kw):
    net = cc.build_network(cc.CNN_PRESETS[preset], seed=seed)
    return cc.CNNTrainer(net, sample, batch_size=50, seed=seed, **kw)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_trainer_given_another_ones_state_goes_on_exactly(sample, optimizer):
    lr = 0.002 if optimizer == "adam" else 0.05
    whole = _trainer(sample, optimizer=optimizer, learning_rate=lr)
    whole.step(30)  # 20 batches per epoch: crosses an epoch boundary after the split
    first = _trainer(sample, optimizer=optimizer, learning_rate=lr)
    first.step(12)
    state = first.get_state()
    first.step(3)  # the state is a copy: later steps do not change it
    other = _trainer(sample, seed=7, optimizer=optimizer, learning_rate=lr)  # other weights
    other.set_state(state)
    other.step(18)
    for name, value in whole.model.params.items():
        np.testing.assert_array_equal(other.model.params[name], value)
    assert other.step_count == whole.step_count == 30
    assert other.epoch == whole.epoch == 1
    np.testing.assert_array_equal(other.history.loss, whole.history.loss)
    np.testing.assert_array_equal(other.history.running_accuracy, whole.history.running_accuracy)
    assert other.history.test_steps == whole.history.test_steps == [20]


def test_set_state_rejects_a_state_that_does_not_fit_and_changes_nothing(sample):
    source = _trainer(sample)
    source.step(3)
    target = _trainer(sample, seed=5)
    before = target.model.get_params()
    state = source.get_state()
    bad_order = {**state, "order": np.zeros_like(state["order"])}
    with pytest.raises(ValueError, match="permutation"):
        target.set_state(bad_order)
    wrong_shape = {**state, "params": {**state["params"], "4.weight": np.zeros((10, 5))}}
    with pytest.raises(ValueError, match=r"4\.weight"):
        target.set_state(wrong_shape)
    memory = {**state, "optimizer": {**state["optimizer"], "0.weight": {"x": 1}}}
    with pytest.raises(ValueError, match="optimizer"):
        target.set_state(memory)
    with pytest.raises(ValueError, match="lacks"):
        target.set_state({k: v for k, v in state.items() if k != "rng"})
    smaller = cc.CNNTrainer(cc.build_network(cc.CNN_PRESETS["A-detectors"]),
                            (sample.train_images[:500], sample.train_labels[:500]), batch_size=50)
    with pytest.raises(ValueError, match="500"):
        smaller.set_state(state)
    for name, value in before.items():
        np.testing.assert_array_equal(target.model.params[name], value)
    assert target.step_count == 0


def test_detector_distance_of_hand_computed_kernels():
    bank = cc.line_detector_bank()[:, 0]
    centre = np.zeros((3, 3))
    centre[1, 1] = 1.0
    # every detector has 2 in the middle and norm √18: cos = 2/√18 for each, the first wins
    d, nearest = cc.detector_distance(np.stack([centre, -0.5 * bank[3], np.zeros((3, 3))]))
    np.testing.assert_allclose(d[0], np.sqrt(2 - 2 * 2 / np.sqrt(18)), rtol=1e-12)
    assert d[1] == 0.0 and nearest[1] == 3
    assert np.isnan(d[2]) and nearest[2] == -1
    assert nearest[0] == 0


def test_detector_distance_equals_a_brute_force_over_detectors_and_signs():
    rng = np.random.default_rng(1)
    kernels = rng.standard_normal((6, 1, 3, 3))
    bank = cc.line_detector_bank()[:, 0]
    d, nearest = cc.detector_distance(kernels)
    for c, w in enumerate(kernels[:, 0]):
        options = {(j, s): np.linalg.norm(w / np.linalg.norm(w) - s * D / np.linalg.norm(D))
                   for (j, D), s in itertools.product(enumerate(bank), (1, -1))}
        (j, _), best = min(options.items(), key=lambda kv: kv[1])
        assert d[c] == pytest.approx(best, rel=1e-12)
        assert nearest[c] == j
        assert 0 <= d[c] <= np.sqrt(2)


def test_detector_distance_needs_kernels_of_the_detectors_size():
    with pytest.raises(ValueError, match="same size"):
        cc.detector_distance(np.ones((8, 1, 5, 5)))
