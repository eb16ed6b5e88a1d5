"""The notebook's line detectors, thresholding, the figure helper and data-set statistics."""

import threading

import numpy as np
import pytest
import scipy.signal

from convlab.core import Cancelled, load_mnist
from convlab.core.detector_stats import detector_masks, detector_statistics
from convlab.core.detectors import (
    KERNEL_PRESETS_2D,
    LINE_DETECTORS,
    NOTEBOOK_THRESHOLD,
    detector_figure,
    recenter_digit,
    response_patch,
    scale_digit,
    threshold,
)

RNG = np.random.default_rng(99)


def test_line_detectors_are_the_notebooks():
    assert list(LINE_DETECTORS) == ["vertical", "horizontal", "diagonal \\", "diagonal /"]
    np.testing.assert_array_equal(LINE_DETECTORS["vertical"], [[-1, 2, -1]] * 3)
    np.testing.assert_array_equal(
        LINE_DETECTORS["horizontal"], [[-1, -1, -1], [2, 2, 2], [-1, -1, -1]]
    )
    np.testing.assert_array_equal(
        LINE_DETECTORS["diagonal \\"], [[2, -1, -1], [-1, 2, -1], [-1, -1, 2]]
    )
    np.testing.assert_array_equal(
        LINE_DETECTORS["diagonal /"], [[-1, -1, 2], [-1, 2, -1], [2, -1, -1]]
    )
    for k in LINE_DETECTORS.values():
        assert k.sum() == 0  # no response on a flat region


@pytest.mark.parametrize("table", [LINE_DETECTORS, KERNEL_PRESETS_2D])
def test_constants_are_read_only(table):
    for k in table.values():
        with pytest.raises(ValueError, match="read-only"):
            k[0, 0] = 5
    with pytest.raises(TypeError):
        table["new"] = np.zeros((3, 3))


def test_presets_contain_the_classics_and_the_detectors():
    np.testing.assert_array_equal(
        KERNEL_PRESETS_2D["Sobel x"], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    )
    np.testing.assert_array_equal(
        KERNEL_PRESETS_2D["Laplacian"], [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    )
    assert KERNEL_PRESETS_2D["box blur"].sum() == pytest.approx(1.0)
    assert KERNEL_PRESETS_2D["sharpen"].sum() == 1
    for name, k in LINE_DETECTORS.items():
        np.testing.assert_array_equal(KERNEL_PRESETS_2D[f"line {name}"], k)
    assert all(k.shape == (3, 3) for k in KERNEL_PRESETS_2D.values())


def test_threshold_is_strict():
    np.testing.assert_array_equal(
        threshold(np.array([[1.49, 1.5], [1.51, -3]])), [[False, False], [True, False]]
    )
    np.testing.assert_array_equal(threshold([0.0, 1.0, 2.0], level=0.5), [False, True, True])


def test_threshold_keeps_float32_and_refuses_nan():
    response = np.array([[1.2, 1.6], [np.inf, -np.inf]], dtype=np.float32)
    np.testing.assert_array_equal(threshold(response), [[False, True], [True, False]])
    with pytest.raises(ValueError, match="NaN"):
        threshold(np.array([1.0, np.nan], dtype=np.float32))
    with pytest.raises(ValueError, match="numbers"):
        threshold(np.array(["a", "b"]))
    assert threshold(np.zeros((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("nan_at", [None, 0, 300_000, 699_999])
def test_threshold_of_a_big_array_goes_chunk_by_chunk(nan_at):
    rng = np.random.default_rng(5)
    response = rng.normal(1.5, 1.0, size=(7, 4, 5, 5000)).astype(np.float32)
    want = response > 1.5
    if nan_at is None:
        got = threshold(response)
        assert got.shape == response.shape and got.dtype == np.bool_
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(threshold(response[:, ::2]), want[:, ::2])
    else:
        response.reshape(-1)[nan_at] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            threshold(response)


@pytest.mark.parametrize("level", [np.nan, np.inf, "high", None])
def test_threshold_bad_level(level):
    with pytest.raises(ValueError, match="level"):
        threshold([1.0], level)


def test_scale_digit():
    img = np.array([[0, 255], [51, 102]], np.uint8)
    got = scale_digit(img)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [[0, 1], [0.2, 0.4]])
    assert scale_digit(img, dtype=np.float64).dtype == np.float64
    floats = np.array([[0.0, 0.5], [1.0, 0.25]])
    np.testing.assert_array_equal(scale_digit(floats), floats.astype(np.float32))


@pytest.mark.parametrize(
    ("img", "match"),
    [
        (np.array([[0.0, 200.0]]), r"\[0, 1\]"),
        (np.array([[-1, 3]]), "0…255"),
        (np.array([[0, 300]]), "0…255"),
        (np.array([[0.0, np.nan]]), "NaN"),
        (np.zeros(4, np.uint8), "digit must be"),
        (np.zeros((0, 3), np.uint8), "digit must be"),
        (np.array([["a", "b"]]), "digit must be numbers"),
        (np.array([[0.5, np.inf]]), "NaN or infinity"),
        (np.zeros((2, 2, 2, 2)), "digit must be 2-D or 3-D"),
        (np.zeros((0, 3)), "digit is empty"),
    ],
)
def test_scale_digit_errors(img, match):
    with pytest.raises(ValueError, match=match):
        scale_digit(img)


def _hand_digit():
    """A 28×28 'seven': a horizontal bar and a diagonal stroke, uint8."""
    d = np.zeros((28, 28), np.uint8)
    d[5:7, 6:22] = 230
    for r in range(7, 24):
        c = 21 - (r - 7) // 2
        d[r, c - 1 : c + 1] = 200
    d[12, 10:20] = 120  # a fainter cross bar
    return d


def _notebook_masks(digit_uint8):
    x = digit_uint8 / 255
    return [scipy.signal.convolve2d(x, k) > 1.5 for k in LINE_DETECTORS.values()]


def _check_notebook_figure(digit):
    fig = detector_figure(digit)
    assert fig.names == tuple(LINE_DETECTORS)
    assert fig.masks.shape == (4, 30, 30)
    assert fig.level == NOTEBOOK_THRESHOLD and fig.mode == "full" and fig.flip
    np.testing.assert_array_equal(fig.digit, digit / 255)
    for k, (kernel, want) in enumerate(
        zip(LINE_DETECTORS.values(), _notebook_masks(digit), strict=True)
    ):
        np.testing.assert_array_equal(fig.masks[k], want)
        np.testing.assert_allclose(
            fig.responses[k], scipy.signal.convolve2d(digit / 255, kernel), atol=1e-12
        )
    return fig


def test_notebook_figure_hand_digit():
    fig = _check_notebook_figure(_hand_digit())
    assert fig.masks[1].sum() > 10  # the horizontal bar fires the horizontal detector
    assert fig.masks.any(axis=(1, 2)).all()


def test_notebook_figure_training_digit_2():
    data = load_mnist()
    assert data.train_labels[2] == 4
    fig = _check_notebook_figure(data.train_images[2])
    assert all(m.any() for m in fig.masks)


def test_figure_with_array_kernels_and_settings():
    digit = RNG.random((10, 12))
    bank = RNG.normal(size=(2, 4, 4))
    fig = detector_figure(digit, bank, level=0.2, mode="same", flip=False)
    assert fig.names == ("kernel 1", "kernel 2")
    for k in range(2):
        want = scipy.signal.correlate2d(digit, bank[k], mode="same")
        np.testing.assert_allclose(fig.responses[k], want, atol=1e-12)
        np.testing.assert_array_equal(fig.masks[k], want > 0.2)


def test_figure_rejects_mixed_kernel_sizes_and_stacks():
    with pytest.raises(ValueError, match="same size"):
        detector_figure(np.zeros((5, 5)), {"a": np.ones((3, 3)), "b": np.ones((5, 5))})
    with pytest.raises(ValueError, match="one"):
        detector_figure(np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="empty"):
        detector_figure(np.zeros((5, 5)), {})
    with pytest.raises(ValueError, match="NaN"):
        detector_figure(np.zeros((5, 5)), {"a": [[1.0, np.nan]]})


def _naive_statistics(images, labels, kernels, level, mode, flip):
    fn = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    out_shape = fn(images[0] / 255, kernels[0], mode=mode).shape
    mean = np.full((10, len(kernels), *out_shape), np.nan)
    frac = np.full((10, len(kernels)), np.nan)
    counts = np.zeros(10, int)
    for c in range(10):
        sel = images[labels == c]
        counts[c] = len(sel)
        if not len(sel):
            continue
        r = np.array([[fn(x / 255, k, mode=mode) for k in kernels] for x in sel])
        mean[c] = r.mean(axis=0)
        frac[c] = (r > level).mean(axis=(0, 2, 3))
    return counts, mean, frac


@pytest.mark.parametrize(
    ("mode", "flip", "block"),
    [("full", True, None), ("same", False, 7), ("valid", True, 1), ("same", True, 50)],
)
def test_statistics_match_naive_loop(mode, flip, block):
    images = RNG.integers(0, 256, size=(60, 12, 10), dtype=np.uint8)
    labels = RNG.integers(0, 10, size=60).astype(np.uint8)
    labels[labels == 3] = 4  # leave class 3 empty
    kernels = np.stack(list(LINE_DETECTORS.values()))
    stats = detector_statistics(images, labels, LINE_DETECTORS, 0.7, mode, flip, block=block)
    counts, mean, frac = _naive_statistics(images, labels, kernels, 0.7, mode, flip)
    np.testing.assert_array_equal(stats.counts, counts)
    assert stats.counts[3] == 0
    assert np.isnan(stats.mean_response[3]).all() and np.isnan(stats.fraction_above[3]).all()
    np.testing.assert_allclose(stats.mean_response, mean, atol=1e-5)
    np.testing.assert_allclose(stats.fraction_above, frac, atol=1e-12)
    assert stats.names == tuple(LINE_DETECTORS)


def test_statistics_float_images_used_as_given():
    images = RNG.random((20, 6, 6))
    labels = np.arange(20) % 10
    kernel = np.array([[1.0, -1.0], [0.5, 2.0]])
    stats = detector_statistics(images, labels, kernel[None], level=0.3)
    for c in range(10):
        r = np.array([scipy.signal.convolve2d(x, kernel) for x in images[labels == c]])
        np.testing.assert_allclose(stats.mean_response[c, 0], r.mean(axis=0), atol=1e-5)
        assert stats.fraction_above[c, 0] == pytest.approx((r > 0.3).mean())


@pytest.mark.parametrize("threads", [1, 2])
def test_statistics_progress_reaches_one_and_is_monotonic(threads):
    images = RNG.integers(0, 256, size=(45, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 10, size=45)
    seen = []
    callers = set()

    def progress(f, m):
        seen.append((f, m))
        callers.add(threading.get_ident())

    detector_statistics(images, labels, block=10, progress=progress, threads=threads)
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert callers == {threading.get_ident()}  # only ever called from the calling thread
    assert "45 of 45" in seen[-1][1]
    if threads == 1:  # start + one per block; blocks hold one class each, at most 10 digits
        blocks = sum(-(-n // 10) for n in np.bincount(labels, minlength=10))
        assert len(fractions) == 1 + blocks


def test_statistics_cancel():
    images = RNG.integers(0, 256, size=(45, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 10, size=45)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled):
        detector_statistics(images, labels, block=10, cancel=cancel, threads=1)
    assert len(calls) == 3


def test_statistics_cancel_with_helper_threads_leaves_no_thread():
    images = RNG.integers(0, 256, size=(3000, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 10, size=3000)
    before = threading.active_count()
    with pytest.raises(Cancelled):
        detector_statistics(images, labels, block=5, cancel=lambda: True, threads=2)
    assert threading.active_count() == before


@pytest.mark.parametrize(
    ("images", "labels", "match"),
    [
        (np.zeros((3, 5, 5), np.uint8), np.zeros(2, np.uint8), "one label per image"),
        (np.zeros((5, 5), np.uint8), np.zeros(5, np.uint8), r"stack \(N, H, W\)"),
        (np.zeros((2, 5, 5), np.uint8), np.array([0, 10]), "0…9"),
        (np.zeros((2, 5, 5), np.uint8), np.array([0.0, 1.0]), "0…9"),
        (np.zeros((0, 5, 5), np.uint8), np.zeros(0, np.uint8), "empty"),
        (np.full((1, 5, 5), np.nan), np.zeros(1, np.uint8), "NaN"),
    ],
)
def test_statistics_errors(images, labels, match):
    with pytest.raises(ValueError, match=match):
        detector_statistics(images, labels)


def test_statistics_bad_kernels_and_level():
    images, labels = np.zeros((2, 5, 5), np.uint8), np.zeros(2, np.uint8)
    with pytest.raises(ValueError, match="NaN"):
        detector_statistics(images, labels, np.full((1, 3, 3), np.nan))
    with pytest.raises(ValueError, match="level"):
        detector_statistics(images, labels, level=np.nan)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("kshape", [(3, 3), (2, 4), (5, 5)])
def test_response_patch_times_applied_kernel_is_the_response(mode, flip, kshape):
    digit = RNG.random((9, 8))
    kernel = RNG.normal(size=kshape)
    fig = detector_figure(digit, kernel, mode=mode, flip=flip)
    applied = kernel[::-1, ::-1] if flip else kernel
    for r, c in np.ndindex(fig.responses.shape[1:]):
        patch = response_patch(digit, kshape, r, c, mode, flip)
        assert patch.shape == kshape
        assert (patch * applied).sum() == pytest.approx(fig.responses[0, r, c], abs=1e-12)


def test_response_patch_outside():
    with pytest.raises(ValueError, match="outside"):
        response_patch(np.zeros((5, 5)), (3, 3), 7, 0)


def test_recenter_digit_moves_centre_of_mass_and_keeps_ink():
    img = np.zeros((28, 28))
    img[2:8, 3:6] = 1.0
    img[3, 4] = 0.5
    out = recenter_digit(img)
    assert out.sum() == pytest.approx(img.sum())
    rows, cols = np.indices(out.shape)
    com = (rows * out).sum() / out.sum(), (cols * out).sum() / out.sum()
    assert abs(com[0] - 13.5) <= 0.5 and abs(com[1] - 13.5) <= 0.5
    # a pure shift: the ink pattern is unchanged
    ys, xs = np.nonzero(out)
    np.testing.assert_array_equal(
        out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], img[2:8, 3:6]
    )


def test_recenter_empty_is_unchanged():
    np.testing.assert_array_equal(recenter_digit(np.zeros((4, 4))), np.zeros((4, 4)))


def test_public_names_reach_convlab_core_unshadowed():
    import convlab.core as cc
    import convlab.core.detectors as det

    for name in det.__all__:
        assert getattr(cc, name) is getattr(det, name), name


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("block", [None, 3])
def test_detector_masks_equal_thresholded_scipy(mode, flip, block):
    import scipy.signal

    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, size=(7, 12, 10), dtype=np.uint8)
    masks = detector_masks(images, LINE_DETECTORS, 1.5, mode, flip, block=block)
    op = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    for n, image in enumerate(images):
        for k, kernel in enumerate(LINE_DETECTORS.values()):
            want = op(image / 255, kernel, mode=mode) > 1.5
            np.testing.assert_array_equal(masks[n, k], want)
    assert masks.dtype == bool


def test_detector_masks_single_image_progress_and_cancel():
    digit = load_mnist().train_images[2]
    single = detector_masks(digit)
    np.testing.assert_array_equal(single, detector_figure(digit).masks)
    seen = []
    detector_masks(load_mnist().train_images[:50], block=10,
                   progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0
    with pytest.raises(Cancelled):
        detector_masks(load_mnist().train_images[:50], block=10, cancel=lambda: True)
