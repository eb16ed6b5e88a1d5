"""The lab-state base: per-field events, validation before storing, atomic updates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from psygnal import evented

from convlab.state import LabState, check_bool, check_int, check_number


@evented
@dataclass
class Demo(LabState):
    label = "Demo"
    n: int = 1
    on: bool = False
    xs: list[float] = field(default_factory=lambda: [1.0, 2.0])

    def validate_n(self, value):
        return check_int(value, "n", 0, 10)

    def validate_on(self, value):
        return check_bool(value, "on")

    def validate_all(self) -> None:
        if self.n > len(self.xs) + 5:
            raise ValueError("n is too large for xs")


def test_a_field_change_emits_new_and_old_once():
    state = Demo()
    seen = []
    state.events.n.connect(lambda new, old: seen.append((new, old)))
    state.n = 3.0
    state.n = 3  # unchanged: no event
    assert seen == [(3, 1)]
    assert type(state.n) is int


def test_a_rejected_value_leaves_the_model_and_emits_nothing():
    state = Demo()
    seen = []
    state.events.n.connect(lambda *args: seen.append(args))
    with pytest.raises(ValueError, match=r"n must be a whole number from 0 to 10, got 11"):
        state.n = 11
    assert state.n == 1 and seen == []


def test_update_is_all_or_nothing():
    state = Demo()
    with pytest.raises(ValueError, match="too large"):
        state.update({"xs": [1.0], "n": 7})  # each field fine, together not
    assert state.to_dict() == {"n": 1, "on": False, "xs": [1.0, 2.0]}
    with pytest.raises(ValueError, match="on must be true or false"):
        state.update({"n": 2, "on": "yes"})
    assert state.n == 1


def test_from_dict_round_trip_and_unknown_fields():
    state = Demo.from_dict({"n": 4, "xs": [0.5]})
    assert Demo.from_dict(state.to_dict()) == state
    with pytest.raises(ValueError, match="unknown Demo setting"):
        Demo.from_dict({"nn": 1})
    with pytest.raises(ValueError, match="must be a mapping"):
        Demo.from_dict([1, 2])


def test_to_dict_is_a_copy():
    state = Demo()
    data = state.to_dict()
    data["xs"].append(9.0)
    assert state.xs == [1.0, 2.0]


def test_revision_grows_with_every_change_only():
    state = Demo()
    start = state.revision
    state.n = 2
    state.n = 2
    state.on = True
    assert state.revision == start + 2


@pytest.mark.parametrize(
    ("value", "ok"),
    [(1, 1.0), (2.5, 2.5), (True, None), ("1", None), (float("nan"), None), (10**400, None),
     (np.float64(0.5), 0.5)],
)
def test_check_number(value, ok):
    if ok is None:
        with pytest.raises(ValueError, match="threshold"):
            check_number(value, "the threshold", -10, 10)
    else:
        assert check_number(value, "the threshold", -10, 10) == ok
