"""The MNIST lab's Qt-free parts: the evented model, the shared digits, the browsing rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import convlab.core as cc
from convlab.gui.digits import DigitData, digits_of
from convlab.labs.mnist.model import MAX_THRESHOLD, MnistState, batched, notebook_kernels
from convlab.labs.mnist.selection import DigitSelection

OLD_SESSION = Path(__file__).resolve().parent.parent / "data" / "before-1.0-layout.convlab"
SAMPLE = cc.load_mnist()


def _recorder(state: MnistState, *fields: str) -> list:
    seen: list = []
    for name in fields:
        getattr(state.events, name).connect(
            lambda new, old, name=name: seen.append((name, new, old))
        )
    return seen


# -- the model ----------------------------------------------------------------
def test_defaults_are_the_notebooks_figure_and_keep_the_saved_keys():
    state = MnistState()
    assert state.to_dict() == {
        "data_source": None, "split": "train", "label_filter": None, "index": 2,
        "digit_source": "dataset", "drawing": [[0.0] * 28 for _ in range(28)],
        "threshold": 1.5, "mode": "full", "flip": True, "display": "mask",
        "kernels": [k.tolist() for k in cc.LINE_DETECTORS.values()], "stats_split": "train",
    }


def test_a_session_saved_before_the_packages_reads_back_unchanged():
    saved = json.loads(OLD_SESSION.read_text(encoding="utf-8"))["labs"]["mnist"]
    state = MnistState.from_dict(saved)
    assert state.to_dict() == saved
    assert (state.index, state.mode, state.display, state.threshold) == (5, "same", "response",
                                                                         1.25)


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("data_source", "/some/folder", "/some/folder"),
        ("split", "test", "test"),
        ("label_filter", 7, 7),
        ("index", 59_999, 59_999),
        ("digit_source", "drawing", "drawing"),
        ("threshold", 2, 2.0),
        ("threshold", -MAX_THRESHOLD, -MAX_THRESHOLD),
        ("mode", "valid", "valid"),
        ("flip", False, False),
        ("display", "overlay", "overlay"),
        ("stats_split", "both", "both"),
        ("kernels", np.ones((4, 5, 5)), [[[1.0] * 5] * 5] * 4),
        ("drawing", np.full((28, 28), 0.5), [[0.5] * 28] * 28),
    ],
)
def test_a_valid_value_is_stored_normalised_and_announced_once(field, value, stored):
    state = MnistState()
    seen = _recorder(state, field)
    old = state.to_dict()[field]
    setattr(state, field, value)
    setattr(state, field, value)  # the same again: no second event
    assert state.to_dict()[field] == stored
    assert type(state.to_dict()[field]) is type(stored)
    assert seen == [(field, stored, old)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("data_source", 3, "data source must be a path"),
        ("split", "both", "split must be one of"),
        ("label_filter", 10, "label filter must be 0…9"),
        ("label_filter", True, "label filter must be 0…9"),
        ("index", -1, "digit index must be a whole number from 0"),
        ("index", 2.0, "digit index must be a whole number"),
        ("index", True, "digit index must be a whole number"),
        ("digit_source", "camera", "digit source must be one of"),
        ("threshold", float("nan"), "threshold must be a number from"),
        ("threshold", 1001, "threshold must be a number from"),
        ("threshold", "1.5", "threshold must be a number"),
        ("mode", "circular", "mode must be one of"),
        ("flip", 1, "flip must be true or false"),
        ("display", "heatmap", "display must be one of"),
        ("stats_split", "validation", "statistics split must be one of"),
        ("kernels", [[[1.0]]], "kernels must be 4 square kernels"),
        ("kernels", np.ones((4, 8, 8)), "kernels must be 4 square kernels of size 1…7"),
        ("kernels", np.ones((4, 3, 2)), "kernels must be 4 square kernels"),
        ("kernels", [[[np.inf]]] * 4, "kernels"),
        ("drawing", [[2.0] * 28] * 28, "drawing must be 28×28 values in"),
        ("drawing", np.zeros((27, 28)), "drawing must be 28×28"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_changes_nothing(field, value, message):
    state = MnistState()
    seen = _recorder(state, field)
    before, revision = state.to_dict(), state.revision
    with pytest.raises(ValueError, match=message):
        setattr(state, field, value)
    assert state.to_dict() == before and state.revision == revision and seen == []


def test_update_is_all_or_nothing_and_unknown_fields_are_refused():
    state = MnistState()
    with pytest.raises(ValueError, match="mode must be one of"):
        state.update({"threshold": 0.5, "mode": "circular"})
    assert state.threshold == 1.5
    with pytest.raises(ValueError, match="unknown MNIST lab setting"):
        MnistState.from_dict({"bogus": 1})


def test_batched_changes_are_announced_after_the_last_one_with_the_first_old_value():
    state = MnistState()
    seen = _recorder(state, "split", "index")
    views = []
    state.events.split.connect(lambda *_: views.append((state.split, state.index)))
    with batched(state):
        state.split = "test"
        state.index = 5
        with batched(state):  # nested: still deferred to the outer block
            state.index = 9
        assert seen == []
    assert sorted(seen) == [("index", 9, 2), ("split", "test", "train")]
    assert views == [("test", 9)]  # the slot saw the whole change, never a half


def test_revision_counts_real_changes_only():
    state = MnistState()
    start = state.revision
    state.threshold = 1.5  # unchanged
    assert state.revision == start
    state.threshold = 0.5
    state.kernels = notebook_kernels()  # unchanged
    assert state.revision == start + 1


def test_settings_match_compares_level_mode_operation_and_kernels():
    state = MnistState()
    stats = cc.detector_statistics(SAMPLE.test_images[:20], SAMPLE.test_labels[:20])
    assert state.settings_match(stats)
    state.threshold = 1.0
    assert not state.settings_match(stats)
    state.threshold = 1.5
    state.kernels = np.ones((4, 3, 3))
    assert not state.settings_match(stats)


# -- the shared digits ----------------------------------------------------------
def test_digit_data_filters_by_label_and_announces_a_new_data_set():
    data = DigitData(SAMPLE)
    np.testing.assert_array_equal(data.indices("test", 3),
                                  np.flatnonzero(SAMPLE.test_labels == 3))
    assert len(data.indices("train", None)) == data.size("train") == 1000
    seen = []
    data.changed.connect(seen.append)
    small = _dataset(30, 20)
    data.set_dataset(small)
    assert seen == [small] and data.size("train") == 30
    np.testing.assert_array_equal(data.indices("train", 3),
                                  np.flatnonzero(small.train_labels == 3))


def test_digits_of_both_is_train_then_test():
    images, labels = digits_of(SAMPLE, "both")
    np.testing.assert_array_equal(labels, np.concatenate([SAMPLE.train_labels,
                                                          SAMPLE.test_labels]))
    np.testing.assert_array_equal(images[1000], SAMPLE.test_images[0])


# -- the browsing rules ------------------------------------------------------------
def _dataset(n_train: int, n_test: int) -> cc.MnistDataset:
    return cc.MnistDataset(SAMPLE.train_images[:n_train], SAMPLE.train_labels[:n_train],
                           SAMPLE.test_images[:n_test], SAMPLE.test_labels[:n_test],
                           source="a slice of the sample")


@pytest.fixture
def selection() -> DigitSelection:
    return DigitSelection(MnistState(), DigitData(SAMPLE), seed=0)


def test_a_label_filter_keeps_the_digit_if_it_matches_else_takes_the_next_one(selection):
    labels = SAMPLE.train_labels
    selection.set_label_filter(int(labels[2]))  # digit #2 is a 4
    assert selection.model.index == 2
    selection.set_label_filter(7)
    assert selection.model.index == int(np.flatnonzero((labels == 7) & (np.arange(1000) > 2))[0])
    assert selection.current_label() == 7
    selection.next()
    sevens = np.flatnonzero(labels == 7)
    assert selection.model.index == int(sevens[selection.position()])
    assert selection.position() == int(np.searchsorted(sevens, selection.model.index))


def test_show_digit_clears_a_filter_that_hides_it_and_checks_the_index(selection):
    selection.set_label_filter(7)
    selection.show_digit(5, "test")
    assert (selection.model.split, selection.model.index) == ("test", 5)
    assert selection.model.label_filter is None
    np.testing.assert_array_equal(selection.current_digit(), SAMPLE.test_images[5])
    with pytest.raises(ValueError, match="test has digits 0…999, not 1000"):
        selection.show_digit(1000)


def test_browsing_leaves_the_drawing_and_positions_are_clipped(selection):
    selection.use_drawing(True)
    assert selection.current_label() is None
    np.testing.assert_array_equal(selection.current_digit(), np.zeros((28, 28)))
    selection.go_to_position(5000)
    assert selection.model.digit_source == "dataset" and selection.model.index == 999
    selection.go_to_position(-3)
    assert selection.model.index == 0


def test_a_smaller_data_set_clamps_the_index_before_anyone_sees_it(selection):
    selection.show_digit(900)
    seen = []
    selection.data.changed.connect(lambda _d: seen.append(selection.model.index))
    selection.use_dataset(_dataset(30, 20), "/a/folder")
    assert selection.model.index == 29 and seen == [29]
    assert selection.model.data_source == "/a/folder"
    selection.use_dataset(SAMPLE, None, index=700)
    assert selection.model.index == 700 and selection.model.data_source is None


def test_apply_keeps_the_index_inside_the_split(selection):
    selection.use_dataset(_dataset(30, 20), None)
    selection.apply({"split": "test", "index": 500, "threshold": 0.5})
    assert (selection.model.index, selection.model.threshold) == (19, 0.5)


def test_an_empty_filter_shows_a_blank_digit(selection):
    data = _dataset(5, 20)  # labels 5, 0, 4, 1, 9
    missing = next(c for c in range(10) if c not in data.train_labels)
    selection.use_dataset(data, None)
    selection.set_label_filter(missing)
    assert len(selection.filtered()) == 0 and selection.current_label() is None
    np.testing.assert_array_equal(selection.current_digit(), np.zeros((28, 28)))
    selection.next()  # nothing to go to: nothing changes
    assert selection.model.label_filter == missing
