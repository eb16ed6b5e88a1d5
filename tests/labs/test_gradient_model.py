"""The Gradient Descent lab's model (evented, validated) and its pure helpers; no Qt."""

from __future__ import annotations

import csv
import doctest
import io
import json
from pathlib import Path

import numpy as np
import pytest

import convlab.core as cc
from convlab.labs.gradient import axes, maths, model
from convlab.labs.gradient.axes import nice_ceiling
from convlab.labs.gradient.history import write_history_csv
from convlab.labs.gradient.maths import landscape_window, quadratic_contours, sgd_curvature
from convlab.labs.gradient.model import GradientLabState, RacerSpec, resize_params

OLD_SESSION = Path(__file__).resolve().parent.parent / "data" / "before-1.0-layout.convlab"


def recorder(state: GradientLabState, *names: str) -> list[tuple]:
    """Every event of ``names``, as (field, new, old, what the model held for each name then)."""
    seen: list[tuple] = []
    for name in names:
        getattr(state.events, name).connect(
            lambda new, old, name=name: seen.append(
                (name, new, old, tuple(getattr(state, n) for n in names))))
    return seen


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "match"),
    [({"n_samples": 0}, "n_samples"), ({"taps": 6}, "taps"), ({"noise": -1}, "noise"),
     ({"start": [1.0]}, "start must list 2 numbers"),
     ({"learning_rates": [0.1, -0.1]}, "learning_rates"),
     ({"start": [0.5, float("nan")]}, "start"), ({"start": "0.5, 0.5"}, "start"),
     ({"optimizer": "rmsprop"}, "optimizer"), ({"slice_axes": [0, 0]}, "slice_axes"),
     ({"slice_axes": [0, 2]}, "slice_axes"), ({"bias": 1}, "bias"),
     ({"racers": [{"optimizer": "sgd", "speed": 1}] * 4}, "racer"),
     ({"racers": [{"optimizer": "x"}] * 4}, "racer's optimizer"),
     ({"racers": [{"learning_rate": 1000}] * 4}, "racer's learning rate"),
     ({"racers": [{}] * 3}, "racers must list 4"), ({"n_samples": 1}, "test set empty"),
     ({"step": -1}, "step"), ({"steps_per_frame": 2.5}, "steps_per_frame"),
     ({"momentum": 1.0}, "momentum")],
)
def test_a_bad_state_is_refused_naming_the_field(change, match):
    with pytest.raises(ValueError, match=match):
        GradientLabState.from_dict({**GradientLabState().to_dict(), **change})


def test_unknown_settings_and_non_mappings_are_refused():
    with pytest.raises(ValueError, match="unknown Gradient Descent setting"):
        GradientLabState.from_dict({"speed": 3})
    with pytest.raises(ValueError, match="must be a mapping"):
        GradientLabState.from_dict([1, 2])


def test_defaults_round_trip_as_json_safe_data():
    state = GradientLabState()
    data = state.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["start"] == [0.5, 0.5] and data["slice_axes"] == [0, 1]
    assert data["racers"][3] == {"enabled": True, "optimizer": "adam", "learning_rate": 0.05}
    assert GradientLabState.from_dict(data) == state
    assert state.racers[3] == RacerSpec(True, "adam", 0.05)


def test_a_session_of_the_old_layout_reads_back_exactly():
    saved = json.loads(OLD_SESSION.read_text(encoding="utf-8"))["labs"]["gradient"]
    # fields added since take their defaults: the correct gradient, no timeline
    assert "gradient" not in saved and "timeline" not in saved
    assert GradientLabState.from_dict(saved).to_dict() == {
        **saved, "gradient": "chain_rule", "timeline": [], "slope_range": [1.0, 2.0],
        "intercept_range": [-0.5, 0.5]}


def test_values_are_normalised_and_sequences_cannot_change_behind_the_model():
    state = GradientLabState()
    state.start = np.array([1.0, 2.0])
    state.noise = 1
    state.n_samples = 40.0
    assert state.start == (1.0, 2.0) and type(state.start[0]) is float
    assert type(state.noise) is float and type(state.n_samples) is int
    state.slice_axes = [1, 0]
    assert state.slice_axes == (1, 0)
    with pytest.raises(TypeError):
        state.start[0] = float("nan")  # a tuple: only a checked assignment changes it


# -- events ------------------------------------------------------------------------------------
def test_a_field_emits_new_and_old_once_and_only_on_a_change():
    state = GradientLabState()
    seen = recorder(state, "noise")
    revision = state.revision
    state.noise = 0.25
    state.noise = 0.25
    assert seen == [("noise", 0.25, 0.5, (0.25,))]
    assert state.revision == revision + 1


def test_a_refused_value_changes_nothing_and_emits_nothing():
    state = GradientLabState()
    seen = recorder(state, "taps", "noise")
    revision = state.revision
    with pytest.raises(ValueError, match="start must list 3 numbers"):
        state.taps = 3  # alone, the start and the rates would not fit the model
    with pytest.raises(ValueError, match="noise"):
        state.noise = 9.0
    assert (state.taps, state.noise, state.revision, seen) == (2, 0.5, revision, [])


def test_check_answers_without_changing_anything():
    state = GradientLabState()
    assert state.check("learning_rates", [1, 2]) == (1.0, 2.0)
    with pytest.raises(ValueError, match="learning_rates must list 2 numbers"):
        state.check("learning_rates", [1.0])
    assert state.learning_rates == (0.01, 0.01)


def test_update_emits_after_every_field_is_set():
    state = GradientLabState()
    seen = recorder(state, "taps", "start", "learning_rates")
    state.update({"learning_rates": [0.1, 0.2, 0.3], "taps": 3, "start": [1.0, 2.0, 3.0]})
    whole = (3, (1.0, 2.0, 3.0), (0.1, 0.2, 0.3))
    assert seen == [("taps", 3, 2, whole), ("start", whole[1], (0.5, 0.5), whole),
                    ("learning_rates", whole[2], (0.01, 0.01), whole)]  # in field order


def test_update_is_all_or_nothing():
    state = GradientLabState()
    seen = recorder(state, "noise", "n_samples")
    with pytest.raises(ValueError, match="test set empty"):
        state.update({"noise": 0.1, "n_samples": 1})
    assert (state.noise, state.n_samples, seen) == (0.5, 50, [])


# -- structure changes -------------------------------------------------------------------------
def test_more_taps_carry_the_start_and_rates_over():
    state = GradientLabState(start=(0.1, 0.2), learning_rates=(0.3, 0.4))
    seen = recorder(state, "taps", "start", "learning_rates", "slice_axes")
    state.set_structure("taps", 3)
    assert state.start == (0.1, 0.2, 0.5) and state.learning_rates == (0.3, 0.4, 0.01)
    # every slot saw the whole change
    assert {entry[3] for entry in seen} == {(3, (0.1, 0.2, 0.5), (0.3, 0.4, 0.01), (0, 1))}
    assert [entry[0] for entry in seen] == ["taps", "start", "learning_rates"]


def test_a_bias_is_added_at_zero_and_kept_axes_stay():
    state = GradientLabState()
    state.set_structure("taps", 3)
    state.slice_axes = (2, 0)
    state.set_structure("bias", True)
    assert state.names == ["w1", "w2", "w3", "b"]
    assert state.start == (0.5, 0.5, 0.5, 0.0) and state.slice_axes == (2, 0)
    state.set_structure("taps", 1)  # two parameters left: the plane is (w1, b)
    assert state.start == (0.5, 0.0) and state.slice_axes == (0, 1)


def test_a_shorter_signal_shortens_the_kernel():
    state = GradientLabState()
    state.set_structure("taps", 5)
    state.set_structure("length", 3)
    assert (state.length, state.taps, len(state.start)) == (3, 3, 3)


def test_a_refused_structure_change_changes_nothing():
    state = GradientLabState()
    before = state.to_dict()
    with pytest.raises(ValueError, match="test set empty"):
        state.set_structure("n_samples", 1)
    with pytest.raises(ValueError, match="length"):
        state.set_structure("length", 99)
    with pytest.raises(ValueError, match="not a data or model field"):
        state.set_structure("optimizer", "adam")
    assert state.to_dict() == before


@pytest.mark.parametrize(
    ("old", "taps", "bias", "expected"),
    [(([0.1, 0.2], 2, False), 3, False, (0.1, 0.2, 0.5)),
     (([0.1, 0.2, 0.3], 2, True), 1, True, (0.1, 0.3)),
     (([0.1, 0.2, 0.3], 2, True), 2, False, (0.1, 0.2)),
     (([0.1], 1, False), 2, True, (0.1, 0.5, 0.0))],
)
def test_resize_params(old, taps, bias, expected):
    assert resize_params(*old, taps, bias, 0.5, 0.0) == expected


def test_optimizer_options_follow_the_optimizer():
    state = GradientLabState(momentum=0.5, beta1=0.8, beta2=0.99)
    assert state.optimizer_options() == {}
    assert state.optimizer_options("nesterov") == {"momentum": 0.5}
    assert state.optimizer_options("adam") == {"beta1": 0.8, "beta2": 0.99}


# -- pure helpers -----------------------------------------------------------------------------
@pytest.mark.parametrize("module", [model, maths, axes])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("seed", range(3))
def test_sgd_curvature_predicts_the_trainer(seed):
    data = cc.updown_dataset(seed=seed)
    h = cc.QuadraticLoss.from_data(*data[0], 2).hessian
    c = sgd_curvature(h, [0.01, 0.02])
    np.testing.assert_allclose(c.eigenvalues, np.linalg.eigvalsh(h))
    np.testing.assert_allclose(c.scaled, np.sort(np.linalg.eigvals(np.diag([0.01, 0.02]) @ h).real))
    assert c.ratio > 300 and c.stable
    # the error e = θ − θ* of full-batch SGD shrinks by exactly that factor per step, late on
    trainer = cc.Trainer(data, learning_rates=[0.01, 0.02])
    trainer.step(20_000)
    e1 = np.linalg.norm(trainer.params - trainer.optimum())
    trainer.step(1000)
    e2 = np.linalg.norm(trainer.params - trainer.optimum())
    assert e2 / e1 == pytest.approx(c.slowest_factor**1000, rel=1e-3)
    # and above μ = 2 the trainer diverges, below it does not
    for scale, diverges in ((2.02 / c.scaled[-1], True), (1.98 / c.scaled[-1], False)):
        rates = np.array([0.01, 0.02]) * scale
        assert sgd_curvature(h, rates).stable is not diverges
        t = cc.Trainer(data, learning_rates=rates)
        t.step(20_000)
        assert t.diverged is diverges


@pytest.mark.parametrize("seed", range(4))
def test_quadratic_contours_lie_on_their_levels(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(2, 2))
    h = m @ m.T + np.diag([1e-3, 0.0])  # possibly ill-conditioned, like the valley
    g, origin, value = rng.normal(size=2), rng.normal(size=2), 2.0
    levels = [0.5, 1.0, 3.0, 10.0, 100.0]
    x, y, connect = quadratic_contours(h, g, value, origin, levels, points=64)
    d = np.stack([x, y]) - origin[:, None]
    loss = value + g @ d + 0.5 * np.einsum("in,ij,jn->n", d, h, d)
    slice_min = value - 0.5 * g @ np.linalg.solve(h, g)
    expected = np.repeat([c for c in levels if c > slice_min], 64)
    np.testing.assert_allclose(loss, expected, rtol=1e-6, atol=1e-9)
    assert connect.sum() == connect.size - expected.size // 64
    assert not connect[63]


def test_quadratic_contours_skip_levels_below_the_minimum():
    x, y, connect = quadratic_contours(np.eye(2), [0, 0], 1.0, [0, 0], [0.5, 0.9])
    assert x.size == y.size == connect.size == 0


def test_landscape_window_contains_the_points_with_margin():
    (u0, u1), (v0, v1) = landscape_window([[0.5, 0.5], [0.3, -0.3]])
    assert u0 < 0.3 and u1 > 0.5 and v0 < -0.3 and v1 > 0.5
    assert u1 - u0 == pytest.approx(v1 - v0)
    (u0, u1), _ = landscape_window([[1.0, 1.0]])
    assert u1 - u0 == pytest.approx(0.6)


@pytest.mark.parametrize(("value", "expected"),
                         [(0.3, 0.5), (1.0, 1.0), (1.01, 2.0), (7, 10), (10, 10), (4e4, 5e4)])
def test_nice_ceiling(value, expected):
    assert nice_ceiling(value) == pytest.approx(expected)


def test_csv_writer_with_different_parameter_sets():
    data = cc.updown_dataset(seed=2)
    a, b = cc.Trainer(data), cc.Trainer(data, bias=True)
    a.step(2)
    b.step(1)
    stream = io.StringIO()
    n = write_history_csv(stream, [("a", a.names, a.history), ("b", b.names, b.history)])
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert n == 5 and rows[0][:5] == ["run", "step", "w1", "w2", "b"]
    assert rows[1][4] == "" and float(rows[5][4]) == b.history.params[1, 2]
    assert [float(v) for v in rows[3][2:4]] == a.history.params[2].tolist()
