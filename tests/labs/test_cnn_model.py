"""The CNN lab's model: presets are the core's networks, blocks give the right shapes, every
field's check and change event; arrays in sessions come back bit for bit; a run's state."""

from __future__ import annotations

import json

import numpy as np
import pytest

import convlab.core as cc
from convlab.labs.cnn.model import (
    PRESETS,
    CNNState,
    block,
    check_network,
    layer_rows,
    preset_network,
)
from convlab.labs.cnn.persist import from_json, to_json
from convlab.labs.cnn.run import TrainingRun


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_is_the_cores_network(name):
    state = CNNState()
    state.use_preset(name)
    assert state.preset == name
    assert state.architecture() == cc.check_architecture(cc.CNN_PRESETS[name])
    rows = layer_rows(state.network["blocks"], state.network["first_init"])
    net = cc.build_network(cc.CNN_PRESETS[name])
    assert [r.shape for r in rows] == net.output_shapes()
    assert sum(r.n_params for r in rows) == net.n_params


def test_layer_rows_by_hand():
    # 28 → conv 5, stride 2, pad 1: (28 + 2 − 5)//2 + 1 = 13; avg pool 3 → 4; 6·4·4 = 96
    rows = layer_rows([block(6, 5, stride=2, padding=1, relu=False, pool="avg", pool_size=3)])
    assert [r.text for r in rows] == ["Conv2D(1, 6, 5, stride=2, padding=1)", "AvgPool2D(3)",
                                      "Flatten", "Dense(96, 10)"]
    assert [r.shape_text for r in rows] == ["6×13×13", "6×4×4", "96", "10"]
    assert [r.n_params for r in rows] == [6 * 26, 0, 0, 970]


@pytest.mark.parametrize("blocks, message", [
    ([block(4, 9, stride=4), block(4, 3)], "block 2: kernel 3 does not fit a 2×2 input"),
    ([block(4, 3, pool_size=4), block(4, 5, pool_size=4)],  # 28 → 26 → 6 → 2, then pool 4
     "block 2: pooling window 4 does not fit a 2×2 input"),
    ([block(32, 3, pool="none", padding=1)], "250,000"),
    ([block(4, 3)] * 5, "1 to 4 blocks"),
    ([{**block(4, 3), "filters": 0}], "block 1: filters must be a whole number from 1"),
    ([{**block(4, 3), "pool": "min"}], "block 1: pool"),
])
def test_impossible_blocks_are_explained(blocks, message):
    with pytest.raises(ValueError, match=message):
        layer_rows(blocks)


def test_the_detectors_need_four_3x3_kernels():
    net = preset_network("A-detectors")
    net["blocks"][0]["filters"] = 8
    with pytest.raises(ValueError, match="four 3×3 kernels"):
        check_network(net)
    net["first_init"] = "he"
    assert check_network(net)["blocks"][0]["filters"] == 8


FIELDS = [
    ("network", preset_network("B"), {"blocks": [], "first_init": "he", "first_frozen": False}),
    ("optimizer", "adam", "rmsprop"),
    ("learning_rate", 0.2, 0.0),
    ("momentum", 0.5, 1.5),
    ("batch_size", 32, 0),
    ("epochs", 3, 101),
    ("seed", 7, -1),
    ("split", "train", "both"),
    ("index", 5, 1.0),
    ("digit_source", "drawing", "camera"),
    ("drawing", np.full((28, 28), 0.5).tolist(), np.full((28, 28), 2.0).tolist()),
]


@pytest.mark.parametrize("field, good, bad", FIELDS)
def test_each_field_checks_its_value_and_announces_real_changes(field, good, bad):
    state = CNNState()
    seen = []
    getattr(state.events, field).connect(lambda new, old: seen.append((new, old)))
    old = getattr(state, field)
    revision = state.revision
    setattr(state, field, good)
    setattr(state, field, good)  # the same again: no second event
    assert seen == [(good, old)]
    assert state.revision == revision + 1
    with pytest.raises(ValueError):
        setattr(state, field, bad)
    assert getattr(state, field) == good
    assert len(seen) == 1


def test_a_state_round_trips_through_json():
    state = CNNState()
    state.use_preset("B")
    state.update({"optimizer": "nesterov", "momentum": 0.8, "index": 12})
    back = CNNState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert back.to_dict() == state.to_dict()
    assert back.trainer_options() == {"batch_size": 64, "optimizer": "nesterov",
                                      "learning_rate": 0.05, "seed": 0, "momentum": 0.8}


def test_arrays_come_back_bit_for_bit_and_bad_ones_are_refused():
    rng = np.random.default_rng(0)
    data = {"w": rng.standard_normal((4, 1, 3, 3)).astype(np.float32),
            "order": rng.permutation(1000), "nested": [np.array([np.nan, 1e-45], np.float64)]}
    back = from_json(json.loads(json.dumps(to_json(data))))
    assert back["w"].dtype == np.float32 and back["w"].tobytes() == data["w"].tobytes()
    np.testing.assert_array_equal(back["order"], data["order"])
    assert back["nested"][0].tobytes() == data["nested"][0].tobytes()
    bad = to_json({"w": data["w"]})
    for change, message in (({"array": "|O"}, "not '|O'"), ({"shape": [5]}, "bytes do not"),
                            ({"base64": "%%%"}, "not base64"), ({"shape": [-1]}, "whole")):
        with pytest.raises(ValueError, match=message):
            from_json({"w": {**bad["w"], **change}})


def test_a_runs_state_is_refused_for_another_network_or_other_digits():
    sample = cc.load_mnist()
    state = CNNState()
    run = TrainingRun(state.architecture(), state.trainer_options(), sample)
    run.advance(5)  # 16 batches an epoch: evaluations at 0 and 4
    saved = json.loads(json.dumps(run.get_state(), allow_nan=False))
    state.use_preset("A-random")
    with pytest.raises(ValueError, match="another network"):
        TrainingRun(state.architecture(), state.trainer_options(), sample).set_state(saved)
    state.use_preset("A-detectors")
    part = cc.MnistDataset(sample.train_images[:500], sample.train_labels[:500],
                           sample.test_images, sample.test_labels, "part")
    with pytest.raises(ValueError, match="other digits"):
        TrainingRun(state.architecture(), state.trainer_options(), part).set_state(saved)
    again = TrainingRun(state.architecture(), state.trainer_options(), sample)
    again.set_state(saved)
    for name, value in run.network.params.items():
        np.testing.assert_array_equal(again.network.params[name], value)
    assert again.evals["steps"] == run.evals["steps"] == [0, 4]
