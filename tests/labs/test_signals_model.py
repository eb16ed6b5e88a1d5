"""The Signals & Kernels model without Qt: per-field events and checks, the derived view."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlab.core as cc
from convlab.labs.signals.model import (
    MAX_STEP,
    SignalsState,
    compute_view,
    csv_series,
    length_formula,
)


def test_default_state_is_json_safe():
    state = SignalsState().to_dict()
    assert SignalsState.from_dict(json.loads(json.dumps(state))).to_dict() == state


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [("x", (1, 2.5, -3), [1.0, 2.5, -3.0]), ("w", np.array([0.5, 0.5]), [0.5, 0.5]),
     ("mode", "full", "full"), ("flip", True, True), ("stride", 3.0, 3), ("dilation", 16, 16),
     ("padding_mode", "circular", "circular"), ("step", MAX_STEP, MAX_STEP),
     ("show_all_modes", True, True), ("batch", True, True),
     ("batch_x", [[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]),
     ("generator_params", {"length": 12.0, "noise": 0.257}, {"length": 12, "noise": 0.26})],
)
def test_each_field_emits_new_and_old_once_and_is_normalised(field, value, stored):
    state = SignalsState()
    old = getattr(state, field)
    start = state.revision
    seen = []
    getattr(state.events, field).connect(lambda new, previous: seen.append((new, previous)))
    setattr(state, field, value)
    setattr(state, field, stored)  # the same value again: no event
    assert getattr(state, field) == stored
    assert type(getattr(state, field)) is type(stored)
    assert seen == [(stored, old)]
    assert state.revision == start + 1


def test_max_step_is_the_last_output_of_the_widest_setting():
    # full mode, n = 500, k = 64, d = 16: 500 + 2·16·63 − 16·63 = 1508 outputs
    assert MAX_STEP == 1507
    assert cc.output_length(500, 64, "full", 1, 16) == MAX_STEP + 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("x", [], "the signal x is empty"), ("x", [[1.0]], "the signal x must be 1-D"),
     ("x", [0.0] * 501, "the signal x takes at most 500 samples, got 501"),
     ("w", [1.0, float("inf")], "the kernel w"), ("w", [1.0] * 65, "at most 64 taps"),
     ("mode", "diagonal", "mode must be one of"), ("flip", 1, "flip must be true or false"),
     ("stride", 17, "stride must be a whole number from 1 to 16"),
     ("stride", 1.5, "stride must be a whole number"), ("dilation", 0, "dilation must be"),
     ("padding_mode", "mirror", "padding_mode must be one of"),
     ("step", -1, "step must be a whole number from 0"), ("step", MAX_STEP + 1, "step must be"),
     ("show_all_modes", "yes", "show_all_modes must be true or false"),
     ("batch", None, "batch must be true or false"),
     ("batch_x", [1.0, 2.0], "the batch must be 2-D"),
     ("batch_x", [[0.0] * 501], "batch signals take at most 500 samples"),
     ("generator", "sawtooth", "generator must be one of"),
     ("generator_params", {"length": 0}, "parameter length of rising line must be a whole"),
     ("generator_params", {"noise": 11.0}, "parameter noise of rising line must be a number "
                                           "from 0 to 10"),
     ("generator_params", {"where": 0.5}, "rising line has no parameter"),
     ("generator_params", [("length", 3)], "must be a mapping"),
     ("preset", "sobel", "preset must be one of"),
     ("preset_params", {"k": 3}, "difference has no parameter")],
)
def test_a_bad_value_is_refused_naming_the_field_and_changes_nothing(field, value, message):
    state = SignalsState()
    before, start = state.to_dict(), state.revision
    seen = []
    getattr(state.events, field).connect(lambda *args: seen.append(args))
    with pytest.raises(ValueError, match=message):
        setattr(state, field, value)
    with pytest.raises(ValueError, match=message):
        state.update({field: value})
    assert state.to_dict() == before and seen == [] and state.revision == start


def test_a_generator_and_its_parameters_change_together_in_any_order():
    state = SignalsState()
    params = {"length": 6, "where": 0.25, "low": -1.0, "high": 2.0}
    state.update({"generator_params": params, "generator": "step"})  # parameters listed first
    assert (state.generator, state.generator_params) == ("step", params)
    np.testing.assert_array_equal(state.generated_signal(), [-1, 2, 2, 2, 2, 2])
    # a generator whose parameters the current ones are not: refused as a whole
    with pytest.raises(ValueError, match=r"noise has no parameter.*high, low, where"):
        state.update({"generator": "noise"})
    assert state.generator == "step"
    state.update({"preset": "gaussian", "preset_params": {"k": 3, "sigma": 1.0}})
    np.testing.assert_allclose(state.preset_kernel(), cc.gaussian_kernel(3, 1.0))
    assert state.preset_kernel().sum() == pytest.approx(1.0)


def test_loading_takes_defaults_for_missing_fields_and_copies():
    data = {"w": [1, 2, 1], "mode": "same", "batch_x": [[1, 2]],
            "preset": "moving average", "preset_params": {"k": 3}}
    state = SignalsState.from_dict(data)
    assert state.w == [1.0, 2.0, 1.0] and state.mode == "same"
    assert state.x == SignalsState().x and state.stride == 1
    data["w"].append(5)
    data["batch_x"][0][0] = 9
    data["preset_params"]["k"] = 5
    assert state.w == [1.0, 2.0, 1.0] and state.batch_x == [[1.0, 2.0]]
    assert state.preset_params == {"k": 3}


def test_csv_series_has_the_batch_only_when_shown():
    state = SignalsState.from_dict({"x": [1, 2, 4], "w": [1, -1], "batch_x": [[1, 0, 1]]})
    series = csv_series(compute_view(state))
    assert sorted(series) == ["w", "x", "z"]
    np.testing.assert_array_equal(series["z"], [-1, -2])
    state.batch = True
    series = csv_series(compute_view(state))
    assert sorted(series) == ["X[0]", "Z[0]", "w", "x", "z"]
    np.testing.assert_array_equal(series["Z[0]"], [1, -1])


def test_a_batch_is_computed_even_when_the_single_signal_cannot_be():
    # reflect padding of 3 needs more than the 2 samples of x, not the 8 of the batch rows
    state = SignalsState.from_dict({"x": [1, 2], "w": [1, 1, 1, 1], "mode": "full",
                                    "padding_mode": "reflect", "batch": True})
    view = compute_view(state)
    assert "reflect padding" in view.error and view.z.size == 0
    X = np.asarray(state.batch_x)
    np.testing.assert_array_equal(view.batch_z, cc.conv1d(X, [1, 1, 1, 1], "full",
                                                          padding_mode="reflect"))


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 9), k=st.integers(1, 6), mode=st.sampled_from(cc.MODES),
       flip=st.booleans(), stride=st.integers(1, 4), dilation=st.integers(1, 4),
       padding_mode=st.sampled_from(cc.PADDING_MODES), step=st.integers(0, 30),
       show_all=st.booleans(), batch=st.booleans(), seed=st.integers(0, 1000))
def test_compute_view_never_raises_and_matches_core(n, k, mode, flip, stride, dilation,
                                                    padding_mode, step, show_all, batch, seed):
    rng = np.random.default_rng(seed)
    state = SignalsState(x=rng.normal(size=n).tolist(), w=rng.normal(size=k).tolist(),
                         mode=mode, flip=flip, stride=stride, dilation=dilation,
                         padding_mode=padding_mode, step=step, show_all_modes=show_all,
                         batch=batch, batch_x=rng.normal(size=(3, n)).tolist())
    view = compute_view(state)
    args = (mode, flip, stride, dilation, padding_mode)
    if batch:
        try:
            np.testing.assert_array_equal(view.batch_z,
                                          cc.conv1d(state.batch_x, state.w, *args))
        except ValueError as exc:
            assert view.batch_z is None and view.batch_error == str(exc)
    else:
        assert view.batch_x is None and view.batch_z is None
    try:
        z = cc.conv1d(state.x, state.w, *args)
    except ValueError as exc:
        assert view.error == str(exc) and view.z.size == 0 and view.step is None
        return
    np.testing.assert_array_equal(view.z, z)
    assert view.m == z.size == cc.output_length(n, k, mode, stride, dilation)
    assert (view.step is None) == (z.size == 0) == bool(view.error)
    if view.step is not None:
        i = min(step, z.size - 1)
        assert view.step.index == i
        np.testing.assert_array_equal(view.step.values,
                                      cc.conv1d_weight_jacobian(state.x, k, *args)[i])
        assert view.step.total == z[i]
    if show_all:
        assert set(view.all_modes) == set(cc.MODES)
        for other in cc.MODES:
            try:
                want = cc.conv1d(state.x, state.w, other, *args[1:])
            except ValueError:  # e.g. reflect padding longer than the signal: drawn empty
                want = np.zeros(0)
            np.testing.assert_array_equal(view.all_modes[other], want)
    else:
        assert view.all_modes == {}


def test_length_formula_hand_cases():
    assert length_formula(8, 2, "valid", 1, 1).endswith(
        "= ⌊(8 + 0 + 0 − 1·1 − 1) / 1⌋ + 1 = <b>7</b>")
    assert length_formula(10, 3, "same", 3, 2).endswith(
        "= ⌊(10 + 2 + 2 − 2·2 − 1) / 3⌋ + 1 = <b>4</b>")
    text = length_formula(3, 5, "valid", 1, 1)
    assert "→ <b>0</b>" in text and "spans 5 samples, more than the 3" in text
