"""Sessions over randomized lab states: save → open restores every lab exactly;
mutated states are rejected with ValueError and leave the labs untouched."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PyQt6.QtCore import QSettings

from convlab import session
from convlab.shell.main_window import MainWindow

finite = st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 3))

signals_states = st.fixed_dictionaries({
    "x": st.lists(finite, min_size=3, max_size=12),
    "w": st.lists(finite, min_size=1, max_size=3),
    "mode": st.sampled_from(["valid", "same", "full"]),
    "flip": st.booleans(),
    "stride": st.integers(1, 3),
    "dilation": st.integers(1, 2),
    "padding_mode": st.sampled_from(["zeros", "replicate", "circular"]),
    "batch": st.booleans(),
})

gradient_states = st.fixed_dictionaries({
    "taps": st.integers(1, 3),
    "bias": st.booleans(),
    "optimizer": st.sampled_from(["sgd", "momentum", "nesterov", "adam"]),
    "data_seed": st.integers(0, 1000),
    "n_samples": st.integers(5, 60),
    "step": st.integers(0, 300),
    "race": st.booleans(),
    "rate": st.floats(0.001, 0.2).map(lambda v: round(v, 4)),
})

mnist_states = st.fixed_dictionaries({
    "index": st.integers(0, 999),
    "split": st.sampled_from(["train", "test"]),
    "threshold": st.floats(-3, 5).map(lambda v: round(v, 2)),
    "mode": st.sampled_from(["full", "same", "valid"]),
    "flip": st.booleans(),
    "display": st.sampled_from(["mask", "response", "overlay"]),
    "cell": finite,
})


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    path = tmp_path_factory.mktemp("roundtrip") / "settings.ini"
    win = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), interactive=False)
    win.build_all()
    yield win
    win.close()


def _randomized(window, sig, grad, mn) -> dict:
    labs = {key: panel.get_state() for key, panel in window.panels.items()}
    labs["signals"].update(sig)
    g = labs["gradient"]
    n = grad["taps"] + int(grad["bias"])
    g.update({k: v for k, v in grad.items() if k != "rate"})
    g.update(start=[0.5] * n, learning_rates=[grad["rate"]] * n, slice_axes=[0, 1])
    if n < 2:
        g["race"] = False
    m = labs["mnist"]
    m.update({k: v for k, v in mn.items() if k != "cell"})
    m["kernels"][2][1][1] = mn["cell"]
    return labs


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sig=signals_states, grad=gradient_states, mn=mnist_states)
def test_save_and_open_restores_every_lab(window, tmp_path, sig, grad, mn):
    labs = _randomized(window, sig, grad, mn)
    window.session.apply(labs, "generated")
    expected = {key: panel.get_state() for key, panel in window.panels.items()}
    path = tmp_path / "lab.convlab"
    assert window.session.save_to(path)
    # scramble every lab, then open the file again
    window.session.apply({key: _defaults(key) for key in window.panels}, "defaults")
    window.session.open_path(path)
    assert {key: panel.get_state() for key, panel in window.panels.items()} == expected
    assert not window.session.is_dirty()
    gradient = window.panels["gradient"]
    assert gradient.trainer.step_count == expected["gradient"]["step"] or gradient.trainer.diverged


def _defaults(key: str) -> dict:
    from convlab.labs.cnn.model import CNNState
    from convlab.labs.gradient.model import GradientLabState
    from convlab.labs.mnist.model import MnistState
    from convlab.labs.signals.model import SignalsState

    if key == "cnn":
        return {**CNNState().to_dict(), "run": None}
    state = {"signals": SignalsState, "gradient": GradientLabState, "mnist": MnistState}[key]()
    return state.to_dict() if hasattr(state, "to_dict") else dataclasses.asdict(state)


def _nested(depth: int) -> list:
    value: list = [1.0]
    for _ in range(depth):
        value = [value]
    return value


BAD_VALUES = [None, True, -1, 10**9, 10**400, 1e300, -1e-300, "x", "é" * 100_000, [], {},
              [[1.0]], float("inf"), float("nan"), _nested(30), [0.5] * 100_000,
              [[0.5] * 100] * 2_000, {"unknown": 1}, [None], ["1", "2"], 3.0, 0.5]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_lab_states_are_rejected_cleanly(window, data):
    key = data.draw(st.sampled_from(sorted(window.panels)))
    panel = window.panels[key]
    before = json.dumps(panel.get_state(), sort_keys=True)
    state = panel.get_state()
    field = data.draw(st.sampled_from(sorted(state)))
    bad = data.draw(st.sampled_from(BAD_VALUES))
    inside = isinstance(state[field], (list, dict)) and state[field] and data.draw(st.booleans())
    if inside and isinstance(state[field], list):  # one element of a list field
        state[field][data.draw(st.integers(0, len(state[field]) - 1))] = bad
    elif inside:  # one entry of a mapping field, or an unknown one
        state[field][data.draw(st.sampled_from([*sorted(state[field]), "unknown"]))] = bad
    else:
        state[field] = bad
    try:
        window.session.apply({key: state}, "mutated")
    except session.SessionError:
        assert json.dumps(panel.get_state(), sort_keys=True) == before
    else:  # the value happened to be acceptable: the lab holds a JSON-safe state (no NaN,
        # no infinity: dumps raises) that reopens as itself
        text = json.dumps(panel.get_state(), allow_nan=False, sort_keys=True)
        window.session.apply({key: json.loads(text)}, "round trip")
        assert json.dumps(panel.get_state(), sort_keys=True) == text
        window.session.apply({key: json.loads(before)}, "restore")


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_session_files_open_exactly_or_not_at_all(window, data, tmp_path_factory):
    """Through a file: whatever the file holds, opening it gives every lab the file's state
    or leaves every lab as it was (a SessionError says why)."""
    before = {key: json.dumps(p.get_state(), sort_keys=True) for key, p in window.panels.items()}
    labs = {key: p.get_state() for key, p in window.panels.items()}
    key = data.draw(st.sampled_from(sorted(labs)))
    field = data.draw(st.sampled_from(sorted(labs[key])))
    labs[key][field] = data.draw(st.sampled_from([*BAD_VALUES[:4], _nested(40), "ok"]))
    path = tmp_path_factory.mktemp("mutated") / "lab.convlab"
    try:
        session.save_session(path, labs)
    except ValueError:  # NaN or infinity: not even written
        return
    try:
        window.session.open_path(path)
    except session.SessionError:
        after = {k: json.dumps(p.get_state(), sort_keys=True) for k, p in window.panels.items()}
        assert after == before
    else:  # accepted (perhaps normalised): the lab's state is JSON-safe and reopens as itself
        text = json.dumps(window.panels[key].get_state(), allow_nan=False, sort_keys=True)
        window.session.apply({key: json.loads(text)}, "round trip")
        assert json.dumps(window.panels[key].get_state(), sort_keys=True) == text
        for k, p in window.panels.items():
            p.set_state(json.loads(before[k]))
