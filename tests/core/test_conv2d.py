"""conv2d against scipy.signal.convolve2d / correlate2d, shapes, dtypes and errors."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from convlab.core.conv2d import CONV2D_MODES, conv2d, conv2d_output_shape

RNG = np.random.default_rng(1234)

KERNEL_SHAPES = [(1, 1), (2, 2), (3, 3), (2, 3), (3, 2), (4, 1), (5, 5), (4, 4)]


def reference(images, kernels, mode, flip):
    fn = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    return np.array([[fn(x, k, mode=mode) for k in kernels] for x in images])


@pytest.mark.parametrize("kshape", KERNEL_SHAPES)
@pytest.mark.parametrize("mode", CONV2D_MODES)
@pytest.mark.parametrize("flip", [True, False])
def test_matches_scipy_asymmetric(kshape, mode, flip):
    images = RNG.normal(size=(3, 9, 8))
    kernels = RNG.normal(size=(2, *kshape))
    got = conv2d(images, kernels, mode=mode, flip=flip, dtype=np.float64)
    want = reference(images, kernels, mode, flip)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", CONV2D_MODES)
@pytest.mark.parametrize("size", [2, 3, 4])
def test_symmetric_kernel_same_for_both_flips(mode, size):
    k = RNG.normal(size=(size, size))
    k = k + k[::-1, ::-1]  # point-symmetric: flipping changes nothing
    img = RNG.normal(size=(7, 7))
    conv = conv2d(img, k, mode=mode, flip=True, dtype=np.float64)
    np.testing.assert_allclose(conv, scipy.signal.convolve2d(img, k, mode=mode), atol=1e-12)
    if size % 2 == 1 or mode != "same":
        # for even kernels 'same' windows differ by one pixel between the two conventions
        np.testing.assert_allclose(conv2d(img, k, mode=mode, flip=False, dtype=np.float64), conv)


def test_even_kernel_same_convention_hand_computed():
    img = np.arange(1.0, 5.0)[None, :]  # one row: 1 2 3 4
    k = np.array([[1.0, 10.0]])
    # correlation: total padding 1, the smaller half (0) on the left -> window [x[i], x[i+1]]
    np.testing.assert_array_equal(
        conv2d(img, k, mode="same", flip=False, dtype=np.float64), [[21.0, 32.0, 43.0, 4.0]]
    )
    # convolution: the mirror image, padding on the left -> y[i] = 10 x[i-1] + 1 x[i]
    np.testing.assert_array_equal(
        conv2d(img, k, mode="same", flip=True, dtype=np.float64), [[1.0, 12.0, 23.0, 34.0]]
    )


def test_hand_computed_full():
    img = np.array([[1.0, 2.0], [3.0, 4.0]])
    k = np.array([[0.0, 1.0], [1.0, 0.0]])
    # convolution with the anti-diagonal kernel (its flip is itself)
    want = np.array([[0, 1, 2], [1, 5, 4], [3, 4, 0]], dtype=float)
    np.testing.assert_array_equal(conv2d(img, k, dtype=np.float64), want)


@pytest.mark.parametrize(
    ("ishape", "kshape", "oshape"),
    [
        ((5, 6), (2, 3), (6, 8)),
        ((4, 5, 6), (2, 3), (4, 6, 8)),
        ((5, 6), (7, 2, 3), (7, 6, 8)),
        ((4, 5, 6), (7, 2, 3), (4, 7, 6, 8)),
    ],
)
def test_squeezed_axes(ishape, kshape, oshape):
    images = RNG.normal(size=ishape)
    kernels = RNG.normal(size=kshape)
    got = conv2d(images, kernels, dtype=np.float64)
    assert got.shape == oshape
    full = reference(
        images.reshape(-1, *ishape[-2:]), kernels.reshape(-1, *kshape[-2:]), "full", True
    )
    np.testing.assert_allclose(got, full.reshape(oshape), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("in_dtype", [np.uint8, np.int16, np.float32, np.float64, bool])
def test_dtypes(dtype, in_dtype):
    raw = RNG.integers(0, 256, size=(5, 10, 12))
    images = (raw > 127) if in_dtype is bool else raw.astype(in_dtype)
    kernels = RNG.normal(size=(3, 3, 3))
    got = conv2d(images, kernels, dtype=dtype)
    assert got.dtype == dtype
    want = reference(images.astype(np.float64), kernels, "full", True)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


def test_uint8_input_is_not_modified_and_block_sizes_agree():
    images = RNG.integers(0, 256, size=(37, 28, 28), dtype=np.uint8)
    before = images.copy()
    kernels = RNG.normal(size=(4, 3, 3))
    results = [conv2d(images, kernels, block=b, dtype=np.float64) for b in (1, 5, 16, 37, 100)]
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    np.testing.assert_array_equal(images, before)
    np.testing.assert_allclose(results[0], reference(images, kernels, "full", True), atol=1e-9)


def test_non_contiguous_input():
    base = RNG.normal(size=(6, 20, 20))
    images = base[::2, ::-1, 3:17]
    kernels = RNG.normal(size=(2, 3, 3))
    np.testing.assert_allclose(
        conv2d(images, kernels, mode="same", dtype=np.float64),
        reference(images, kernels, "same", True),
        atol=1e-12,
    )


def test_out_parameter_filled_and_returned():
    images = RNG.normal(size=(4, 8, 8))
    kernels = RNG.normal(size=(3, 3, 3))
    out = np.full((4, 3, 10, 10), np.nan, dtype=np.float32)
    got = conv2d(images, kernels, out=out)
    assert got is out
    np.testing.assert_allclose(out, reference(images, kernels, "full", True), atol=1e-4)


def test_out_parameter_non_contiguous_and_squeezed():
    image = RNG.normal(size=(8, 8))
    kernel = RNG.normal(size=(3, 3))
    big = np.zeros((2, 8, 8))
    out = big[0, :, :]
    conv2d(image, kernel, mode="same", flip=False, dtype=np.float64, out=out)
    np.testing.assert_allclose(big[0], scipy.signal.correlate2d(image, kernel, mode="same"))
    assert not big[1].any()


@pytest.mark.parametrize(
    ("out", "match"),
    [
        (np.zeros((4, 3, 10, 9), np.float32), "shape"),
        (np.zeros((4, 3, 10, 10), np.float64), "dtype"),
        ([[0.0]], "shape"),
    ],
)
def test_out_parameter_errors(out, match):
    with pytest.raises(ValueError, match=match):
        conv2d(np.zeros((4, 8, 8)), np.zeros((3, 3, 3)), out=out)


@pytest.mark.parametrize(
    ("images", "kernels", "kwargs", "match"),
    [
        (np.zeros(5), np.ones((3, 3)), {}, "images must be one image"),
        (np.zeros((2, 2, 2, 2)), np.ones((3, 3)), {}, "images must be one image"),
        (np.zeros((0, 5, 5)), np.ones((3, 3)), {}, "empty"),
        (np.zeros((5, 5)), np.ones(3), {}, "kernels must be"),
        (np.zeros((5, 5)), np.ones((0, 3, 3)), {}, "empty"),
        (np.zeros((5, 5)), np.ones((2, 0, 3)), {}, "empty"),
        (np.zeros((5, 5)), [[1.0, np.nan]], {}, "NaN"),
        (np.full((5, 5), np.inf), np.ones((3, 3)), {}, "NaN or infinity"),
        (np.zeros((5, 5)), np.ones((3, 3)), {"mode": "circular"}, "mode must be one of"),
        (np.zeros((2, 5)), np.ones((3, 3)), {"mode": "valid"}, "must fit inside"),
        (np.zeros((5, 5)), np.ones((3, 3)), {"dtype": np.int32}, "dtype"),
        (np.zeros((5, 5)), np.ones((3, 3)), {"block": 0}, "block"),
        ([["a", "b"], ["c", "d"]], np.ones((1, 1)), {}, "numbers"),
    ],
)
def test_errors(images, kernels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv2d(images, kernels, **kwargs)


@pytest.mark.parametrize("mode", CONV2D_MODES)
def test_output_shape_helper_agrees(mode):
    img = np.zeros((11, 7))
    k = np.zeros((4, 3))
    assert conv2d(img, k, mode=mode).shape == conv2d_output_shape(img.shape, k.shape, mode)


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    kh=st.integers(1, 5),
    kw=st.integers(1, 5),
    mode=st.sampled_from(CONV2D_MODES),
    flip=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_property_matches_scipy(h, w, kh, kw, mode, flip, seed):
    if mode == "valid" and (kh > h or kw > w):
        return
    rng = np.random.default_rng(seed)
    images = rng.normal(size=(2, h, w))
    kernels = rng.normal(size=(2, kh, kw))
    np.testing.assert_allclose(
        conv2d(images, kernels, mode=mode, flip=flip, dtype=np.float64),
        reference(images, kernels, mode, flip),
        atol=1e-10,
    )


# -- exact integer arithmetic (issue 17) ------------------------------------------------------
def int_reference(images, kernels, mode, flip):
    fn = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    return np.array([[fn(x.astype(np.int64), k.astype(np.int64), mode=mode) for k in kernels]
                     for x in images])


@pytest.mark.parametrize("kshape", [(1, 1), (2, 2), (3, 3), (2, 3), (4, 1), (5, 5)])
@pytest.mark.parametrize("mode", CONV2D_MODES)
@pytest.mark.parametrize("flip", [True, False])
def test_integer_images_and_kernels_are_exact(kshape, mode, flip):
    images = RNG.integers(0, 256, size=(6, 9, 8), dtype=np.uint8)
    kernels = RNG.integers(-3, 4, size=(3, *kshape)).astype(np.float64)
    kernels[0] = 0  # an all-zero kernel
    want = int_reference(images, kernels, mode, flip)
    got = conv2d(images, kernels, mode=mode, flip=flip, dtype=np.int32)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)
    # float output: the exact integers divided by 255, rounded once
    np.testing.assert_array_equal(
        conv2d(images, kernels, mode=mode, flip=flip, dtype=np.float64, divisor=255),
        want / 255.0)
    np.testing.assert_array_equal(
        conv2d(images, kernels, mode=mode, flip=flip, divisor=255),
        np.divide(want.astype(np.float32), np.float32(255)))


@pytest.mark.parametrize(
    ("in_dtype", "low", "high"),
    [(bool, 0, 2), (np.int8, -128, 128), (np.int16, -30_000, 30_000),
     (np.int32, -2**20, 2**20), (np.uint16, 0, 65_536)],
)
def test_other_integer_images_are_exact(in_dtype, low, high):
    images = RNG.integers(low, high, size=(4, 7, 6)).astype(in_dtype)
    kernels = np.array([[[1, -2], [3, 40]], [[-7, 0], [0, 7]]], dtype=np.float64)
    np.testing.assert_array_equal(conv2d(images, kernels, dtype=np.int64),
                                  int_reference(images, kernels, "full", True))


def test_large_weights_switch_to_wider_integers():
    images = np.full((2, 6, 6), 255, np.uint8)
    kernels = np.full((1, 3, 3), 1000.0)  # 9 · 1000 · 255 overflows int16 (and fits int32)
    got = conv2d(images, kernels, dtype=np.int64)
    assert got.max() == 9 * 1000 * 255
    with pytest.raises(ValueError, match="int32 or int64"):
        conv2d(images, kernels, dtype=np.int16)


@pytest.mark.parametrize(
    ("images", "kernels", "kwargs"),
    [
        (np.zeros((5, 5), np.uint8), np.full((3, 3), 0.5), {"dtype": np.int32}),
        (np.zeros((5, 5), np.uint8), np.ones((3, 3)), {"dtype": np.int32, "divisor": 255}),
        (np.zeros((5, 5)), np.ones((3, 3)), {"dtype": np.int16}),
    ],
)
def test_integer_dtype_needs_exact_inputs(images, kernels, kwargs):
    with pytest.raises(ValueError, match="integer"):
        conv2d(images, kernels, **kwargs)


@pytest.mark.parametrize("divisor", [0, np.nan, "x"])
def test_bad_divisor(divisor):
    with pytest.raises(ValueError, match="divisor"):
        conv2d(np.zeros((5, 5)), np.ones((3, 3)), divisor=divisor)


def test_float_path_divides_the_images_first():
    images = RNG.integers(0, 256, size=(3, 8, 8), dtype=np.uint8)
    kernel = np.array([[0.5, -1.25], [2.0, 0.1]])
    got = conv2d(images, kernel, dtype=np.float64, divisor=255)
    want = np.array([scipy.signal.convolve2d(x / 255, kernel) for x in images])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_float_results_do_not_depend_on_the_block_size():
    images = RNG.random((23, 11, 9))
    kernels = RNG.normal(size=(3, 3, 3))
    ref = conv2d(images[5:6], kernels, dtype=np.float64)
    for block in (1, 4, 23):
        got = conv2d(images, kernels, dtype=np.float64, block=block, threads=2)
        np.testing.assert_array_equal(got[5], ref[0])  # bit for bit
