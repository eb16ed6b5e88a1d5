"""Issue 15 §3: the figure, the masks and the statistics agree with exact integer arithmetic.

Every pixel of the bundled 2,000 digits is checked: a uint8 digit convolved
with a whole-number kernel gives ``n / 255`` with ``n`` an integer, so
``response > t`` is ``n > floor(255·t)`` (``t`` read as the decimal it is
written as). The references below are int64 ``scipy.signal.convolve2d``
and integer arithmetic on hand-written decimals — nothing from ConvLab.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

import convlab.core as cc

#: (threshold, 255·threshold rounded down), computed by hand
FIXED = [(0.0, 0), (0.2, 51), (1.0, 255), (1.5, 382), (2.0, 510), (1.4, 357), (-0.2, -51)]
#: random thresholds as decimals m / 10,000 (cutoff (255·m) // 10,000, integer arithmetic)
RANDOM_M = np.random.default_rng(15).integers(-25_000, 40_000, size=4).tolist()
THRESHOLDS = FIXED + [(m / 10_000, (255 * m) // 10_000) for m in RANDOM_M]


@pytest.fixture(scope="module")
def bundled():
    data = cc.load_mnist()
    images = np.concatenate([data.train_images, data.test_images])
    labels = np.concatenate([data.train_labels, data.test_labels])
    bank = np.stack(list(cc.LINE_DETECTORS.values())).astype(np.int64)
    exact = np.array(
        [[scipy.signal.convolve2d(x.astype(np.int64), k) for k in bank] for x in images]
    )
    return images, labels, exact


@pytest.mark.parametrize(("level", "cutoff"), THRESHOLDS)
def test_integer_cutoff_is_exact(level, cutoff):
    assert cc.integer_cutoff(level) == cutoff


def test_the_ties_are_real(bundled):
    """The thresholds 0, 0.2, 1 and 2 land exactly on responses of the data set."""
    _, _, exact = bundled
    for level, cutoff in FIXED[:5]:
        if level != 1.5:
            assert (exact == cutoff).sum() > 100, level


@pytest.mark.parametrize(("level", "cutoff"), THRESHOLDS)
@pytest.mark.parametrize("threads", [1, 2])
def test_masks_and_statistics_equal_integer_arithmetic(bundled, level, cutoff, threads):
    images, labels, exact = bundled
    want = exact > cutoff
    masks = cc.detector_masks(images, cc.LINE_DETECTORS, level, threads=threads)
    assert masks.shape == want.shape
    assert np.array_equal(masks, want), f"{int((masks != want).sum())} pixels differ"

    stats = cc.detector_statistics(images, labels, cc.LINE_DETECTORS, level, threads=threads)
    for c in range(10):
        sel = labels == c
        n = int(sel.sum())
        assert stats.counts[c] == n
        above = want[sel].sum(axis=(0, 2, 3))
        # fraction × pixels is the exact count of pixels above
        np.testing.assert_array_equal(np.rint(stats.fraction_above[c] * n * 900), above)
        np.testing.assert_allclose(stats.mean_response[c], exact[sel].sum(axis=0) / (n * 255),
                                   rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(("level", "cutoff"), THRESHOLDS)
def test_figure_equals_integer_arithmetic_on_every_digit(bundled, level, cutoff):
    images, _, exact = bundled
    for i in range(0, len(images), 7 if level not in (1.5, 0.2) else 1):
        fig = cc.detector_figure(images[i], cc.LINE_DETECTORS, level)
        assert np.array_equal(fig.masks, exact[i] > cutoff), i
        # the float64 responses are the exact integers ÷ 255, rounded once …
        np.testing.assert_array_equal(fig.responses, exact[i] / 255.0)
        # … so re-thresholding them in float64 (the lab's threshold slider) agrees too
        assert np.array_equal(fig.responses > level, fig.masks), i


def test_a_response_of_exactly_the_threshold_is_not_above():
    digit = np.zeros((5, 5), np.uint8)
    digit[:, 2] = 119  # vertical detector: 6·119 = 714 = 255 · 2.8 in the middle rows
    fig = cc.detector_figure(digit, {"v": cc.LINE_DETECTORS["vertical"]}, 2.8)
    assert fig.responses[0, 3, 3] == 2.8 and not fig.masks[0, 3, 3]
    assert not cc.detector_masks(digit, {"v": cc.LINE_DETECTORS["vertical"]}, 2.8)[0, 3, 3]
    assert cc.detector_masks(digit, {"v": cc.LINE_DETECTORS["vertical"]}, 2.79)[0, 3, 3]


@pytest.mark.parametrize("kernel_name", ["box blur", "Sobel x"])
@pytest.mark.parametrize("as_float", [False, True])
def test_float_rule_is_shared_by_figure_masks_and_statistics(bundled, kernel_name, as_float):
    """Non-integer kernels (or float digits): one float64 rule, bit-identical everywhere."""
    images, labels, _ = bundled
    images, labels = images[:300], labels[:300]
    digits = images / 255.0 if as_float else images
    kernels = {"k": cc.KERNEL_PRESETS_2D[kernel_name], "v": cc.LINE_DETECTORS["vertical"]}
    level = 0.4 if kernel_name == "box blur" else 1.0
    masks = cc.detector_masks(digits, kernels, level, block=13)
    stats = cc.detector_statistics(digits, labels, kernels, level, block=17)
    figures = np.array([cc.detector_figure(d, kernels, level).masks for d in digits])
    assert np.array_equal(masks, figures)
    responses = np.array([cc.detector_figure(d, kernels, level).responses for d in digits])
    np.testing.assert_allclose(
        responses[:, 0],
        [scipy.signal.convolve2d(x / 255.0, cc.KERNEL_PRESETS_2D[kernel_name]) for x in images],
        atol=1e-12,
    )
    for c in range(10):
        sel = labels == c
        np.testing.assert_array_equal(
            np.rint(stats.fraction_above[c] * sel.sum() * 900), figures[sel].sum(axis=(0, 2, 3))
        )
