"""Which recorded steps become frames: hand-computed schedules."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.media import frame_steps


@pytest.mark.parametrize(
    ("steps", "n", "spacing", "expected"),
    [
        # even: targets 0, 50, 100 fall on recorded steps
        (np.arange(0, 101, 10), 3, "even", [0, 50, 100]),
        # even: targets 0, 33.3, 66.7, 100 → nearest of 0,10,…,100: 30, 70
        (np.arange(0, 101, 10), 4, "even", [0, 30, 70, 100]),
        # a tie (target 25 between 20 and 30) takes the earlier step
        (np.arange(0, 101, 10), 5, "even", [0, 20, 50, 70, 100]),
        # an irregular record: targets 0, 50, 100 → nearest 0, 40 (|50-40| < |50-90|), 100
        (np.array([0, 1, 2, 40, 90, 100]), 3, "even", [0, 40, 100]),
        # a record not starting at 0: targets 10, 60, 110
        (np.arange(10, 111, 10), 3, "even", [10, 60, 110]),
        # log: 0 - 1 + geomspace(1, 1001, 4) = 0, 9.003, 99.07, 1000
        (np.arange(0, 1001), 4, "log", [0, 9, 99, 1000]),
        # log with a thinned record (every 10th step): 0, 9.0, 99.1, 1000 → 0, 10, 100, 1000
        (np.arange(0, 1001, 10), 4, "log", [0, 10, 100, 1000]),
        # log, duplicates removed: 0 - 1 + geomspace(1, 1001, 6) = 0, 2.98, 15.0, 62.2,
        # 250.5, 1000 → on a record every 100 steps: 0, 0, 0, 100, 300, 1000 → four frames
        (np.arange(0, 1001, 100), 6, "log", [0, 100, 300, 1000]),
        # log from step 5: 5 - 1 + geomspace(1, 101, 3) = 5, 14.05, 105 → 5, 15 (|14.05-15|
        # < |14.05-10|), 105
        (np.arange(5, 106, 5), 3, "log", [5, 15, 105]),
    ],
)
def test_hand_computed_schedules(steps, n, spacing, expected):
    result = frame_steps(steps, n, spacing)
    assert result.dtype == np.int64
    assert result.tolist() == expected


@pytest.mark.parametrize("spacing", ["even", "log"])
def test_fewer_recorded_steps_than_frames_gives_every_recorded_step(spacing):
    steps = np.array([0, 3, 50, 51, 400])
    assert frame_steps(steps, 5, spacing).tolist() == [0, 3, 50, 51, 400]
    assert frame_steps(steps, 100, spacing).tolist() == [0, 3, 50, 51, 400]


@pytest.mark.parametrize("spacing", ["even", "log"])
def test_invariants_on_a_thinned_record(spacing):
    rng = np.random.default_rng(3)
    steps = np.unique(rng.integers(0, 50_000, size=3_000))
    result = frame_steps(steps, 200, spacing)
    assert result[0] == steps[0] and result[-1] == steps[-1]
    assert np.all(np.diff(result) > 0)
    assert np.isin(result, steps).all()
    assert 2 <= result.size <= 200


def test_log_gives_the_start_of_a_long_run_more_frames_than_even():
    steps = np.arange(0, 10_001)
    early = lambda s: int(np.sum(s < 1000))  # noqa: E731
    assert early(frame_steps(steps, 50, "log")) > 20
    assert early(frame_steps(steps, 50, "even")) == 5  # 0, 204, 408, 612, 816


def test_short_records_are_returned_as_they_are():
    assert frame_steps(np.array([], dtype=np.int64), 10).tolist() == []
    assert frame_steps(np.array([7]), 10).tolist() == [7]


@pytest.mark.parametrize(
    ("steps", "n", "spacing", "match"),
    [
        (np.arange(10), 1, "even", "at least 2 frames"),
        (np.arange(10), 2.5, "even", "at least 2 frames"),
        (np.arange(10), 5, "linear", "spacing"),
        (np.array([0, 5, 5, 9]), 3, "even", "strictly increasing"),
        (np.arange(10).reshape(2, 5), 3, "even", "one-dimensional"),
    ],
)
def test_bad_arguments_are_refused(steps, n, spacing, match):
    with pytest.raises(ValueError, match=match):
        frame_steps(steps, n, spacing)
