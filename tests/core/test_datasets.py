"""The rising/falling data set: shapes, labels, slopes, noise, split, seeding."""

import numpy as np
import pytest

import convlab.core as cc


@pytest.mark.parametrize(
    ("n_samples", "length", "test_fraction", "n_test"),
    [(50, 5, 0.2, 20), (10, 2, 0.5, 10), (7, 9, 0.3, 4), (1, 3, 0.5, 1)],
)
def test_shapes_and_split_sizes(n_samples, length, test_fraction, n_test):
    (xtr, ytr), (xte, yte) = cc.updown_dataset(
        n_samples, length, seed=3, test_fraction=test_fraction
    )
    n_train = 2 * n_samples - n_test
    assert xtr.shape == (n_train, length) and ytr.shape == (n_train,)
    assert xte.shape == (n_test, length) and yte.shape == (n_test,)
    labels = np.concatenate([ytr, yte])
    assert set(np.unique(labels)) <= {0.0, 1.0}
    assert labels.sum() == n_samples  # n_samples falling (label 1) and n_samples rising


def test_notebook_defaults():
    (xtr, ytr), (xte, yte) = cc.updown_dataset(seed=0)
    assert xtr.shape == (80, 5) and xte.shape == (20, 5)
    assert np.concatenate([ytr, yte]).sum() == 50


def test_clean_lines_have_the_documented_slopes_and_intercepts():
    (xtr, ytr), (xte, yte) = cc.updown_dataset(2000, 6, noise=0.0, seed=11)
    x, y = np.concatenate([xtr, xte]), np.concatenate([ytr, yte])
    slopes = np.diff(x, axis=1)
    # a noiseless signal is an exact straight line
    np.testing.assert_allclose(slopes, slopes[:, :1].repeat(5, axis=1), atol=1e-12)
    a, b = slopes[:, 0], x[:, 0]
    rising, falling = a[y == 0], a[y == 1]
    assert rising.size == falling.size == 2000
    assert rising.min() >= 1 - 1e-12 and rising.max() < 2
    assert falling.min() >= -2 - 1e-12 and falling.max() < -1
    # uniform over the range: mean in the middle, the whole range covered
    assert abs(rising.mean() - 1.5) < 0.03 and abs(falling.mean() + 1.5) < 0.03
    assert rising.min() < 1.01 and rising.max() > 1.99
    assert b.min() >= -0.5 and b.max() < 0.5 and abs(b.mean()) < 0.02


@pytest.mark.parametrize("noise", [0.1, 0.5, 2.0])
def test_noise_is_uniform_with_the_given_half_width(noise):
    # the generator draws the same slopes, intercepts and order for any noise level,
    # so the difference to the noiseless data is exactly the added noise
    (clean, _), _ = cc.updown_dataset(500, 5, noise=0.0, seed=5)
    (noisy, _), _ = cc.updown_dataset(500, 5, noise=noise, seed=5)
    u = noisy - clean
    assert u.min() >= -noise - 1e-12 and u.max() < noise + 1e-12
    assert abs(u.mean()) < 0.03 * noise
    assert u.std() == pytest.approx(noise / np.sqrt(3), rel=0.05)


def test_same_seed_same_data_other_seed_other_data():
    a = cc.updown_dataset(seed=42)
    b = cc.updown_dataset(seed=42)
    c = cc.updown_dataset(seed=43)
    for (xa, ya), (xb, yb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a[0][0], c[0][0])


def test_classes_are_shuffled():
    (_, ytr), _ = cc.updown_dataset(seed=1)
    # not "all rising, then all falling": the labels change many times along the set
    assert np.count_nonzero(np.diff(ytr)) > 20


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "at least 1"),
        ({"n_samples": 2.5}, "whole number"),
        ({"length": 1}, "at least 2"),
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"test_fraction": 0.0}, "empty"),
        ({"test_fraction": 1.0}, "empty"),
        ({"n_samples": 1, "test_fraction": 0.1}, "empty"),
        ({"slope_range": (2, 1)}, "slope_range"),
        ({"slope_range": (0, 1)}, "slope_range"),
        ({"intercept_range": (1, 0)}, "intercept_range"),
    ],
)
def test_bad_arguments_raise_a_clear_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cc.updown_dataset(**kwargs)
