"""conv1d and friends against numpy/scipy, hand-computed cases and properties."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import convlab.core as cc

conv_module = sys.modules["convlab.core.conv1d"]

RNG = np.random.default_rng(20261128)


def naive_conv1d(x, w, mode, flip, stride, dilation, padding_mode):
    """Direct double loop over outputs and taps, with padding from np.pad."""
    x = np.asarray(x, float)
    w = np.asarray(w, float)
    k = w.size
    span = dilation * (k - 1)
    total = {"valid": 0, "same": span, "full": 2 * span}[mode]
    if mode == "full":
        left = span
    elif mode == "same":
        left = (total - total // 2) if flip else total // 2
    else:
        left = 0
    np_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[padding_mode]
    xp = np.pad(x, (left, total - left), mode=np_mode)
    taps = w[::-1] if flip else w
    out = []
    i = 0
    while i + span < xp.size:
        out.append(sum(taps[j] * xp[i + j * dilation] for j in range(k)))
        i += stride
    return np.array(out)


# --------------------------------------------------------------------- references


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("n", [8, 13, 40])
def test_flip_matches_numpy_and_scipy_convolve(n, k, mode):
    x, w = RNG.standard_normal(n), RNG.standard_normal(k)
    got = cc.conv1d(x, w, mode=mode, flip=True)
    np.testing.assert_allclose(got, np.convolve(x, w, mode=mode), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, scipy.signal.convolve(x, w, mode=mode, method="direct"),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("n", [8, 13, 40])
def test_cross_correlation_matches_scipy_correlate(n, k):
    x, w = RNG.standard_normal(n), RNG.standard_normal(k)
    for mode in ("valid", "full"):
        np.testing.assert_allclose(cc.conv1d(x, w, mode=mode),
                                   scipy.signal.correlate(x, w, mode=mode, method="direct"),
                                   rtol=1e-12, atol=1e-12)
    # scipy centres "same" on the full output, putting the larger half of the
    # padding on the left; PyTorch/TF (and we) put the smaller half there. The two
    # agree for odd kernels; for even ones ours starts one sample later.
    full = scipy.signal.correlate(x, w, mode="full", method="direct")
    start = (k - 1) - (k - 1) // 2
    np.testing.assert_allclose(cc.conv1d(x, w, mode="same"), full[start : start + n],
                               rtol=1e-12, atol=1e-12)
    if k % 2:
        np.testing.assert_allclose(cc.conv1d(x, w, mode="same"),
                                   scipy.signal.correlate(x, w, mode="same", method="direct"),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("x", "w", "expected"),
    [
        # PyTorch F.conv1d(x, w, padding="same"), values worked out by hand:
        # k=2 pads (0, 1): z_i = w0 x_i + w1 x_{i+1}, last one reads the zero.
        ([1, 2, 3, 4], [1, 10], [21, 32, 43, 4]),
        # k=4 pads (1, 2).
        ([1, 2, 3, 4, 5], [1, 10, 100, 1000], [3210, 4321, 5432, 543, 54]),
        # k=3 pads (1, 1).
        ([1, 2, 3], [1, 10, 100], [210, 321, 32]),
    ],
)
def test_same_padding_follows_pytorch(x, w, expected):
    np.testing.assert_array_equal(cc.conv1d(x, w, mode="same"), expected)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # x = 0..9, w = [1, 10, 100]
        ({"stride": 3}, [210, 543, 876]),              # outputs 0, 3, 6 of the 8
        ({"dilation": 2}, [420, 531, 642, 753, 864, 975]),  # x_i + 10 x_{i+2} + 100 x_{i+4}
        ({"dilation": 3, "stride": 2}, [630, 852]),    # span 6: outputs 0 and 2 of 4
        ({"mode": "full", "stride": 4}, [0, 432, 876]),  # full has 12: 0, 4, 8
        ({"mode": "same", "dilation": 2}, [200, 310, 420, 531, 642, 753, 864, 975, 86, 97]),
        ({"flip": True, "dilation": 2}, [24, 135, 246, 357, 468, 579]),
    ],
)
def test_stride_and_dilation_hand_cases(kwargs, expected):
    x = np.arange(10.0)
    np.testing.assert_array_equal(cc.conv1d(x, [1, 10, 100], **kwargs), expected)


def test_notebook_difference_kernel_on_rising_line():
    x = np.array([0.1, 1.4, 3.0, 4.2, 5.9])
    np.testing.assert_allclose(cc.conv1d(x, [1, -1]), [-1.3, -1.6, -1.2, -1.7])


@pytest.mark.parametrize(
    ("mode", "flip", "stride", "dilation", "padding_mode"),
    list(itertools.product(["valid", "same", "full"], [False, True], [1, 2, 3], [1, 2],
                           ["zeros", "reflect", "replicate", "circular"])),
)
def test_all_options_against_naive_loop_with_np_pad(mode, flip, stride, dilation, padding_mode):
    n = 17
    for k in (1, 2, 3, 5, 8):
        x, w = RNG.standard_normal(n), RNG.standard_normal(k)
        expected = naive_conv1d(x, w, mode, flip, stride, dilation, padding_mode)
        got = cc.conv1d(x, w, mode, flip, stride, dilation, padding_mode)
        assert got.shape == expected.shape == (cc.output_length(n, k, mode, stride, dilation),)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("padding_mode", "expected"),
    [
        # x = [1, 2, 3, 4], w = [1, 10, 100], full mode pads 2 on each side.
        ("zeros", [100, 210, 321, 432, 43, 4]),
        ("reflect", [123, 212, 321, 432, 343, 234]),
        ("replicate", [111, 211, 321, 432, 443, 444]),
        ("circular", [143, 214, 321, 432, 143, 214]),
    ],
)
def test_padding_modes_hand_cases(padding_mode, expected):
    # padded signals: reflect 3 2 |1 2 3 4| 3 2; replicate 1 1 |...| 4 4; circular 3 4 |...| 1 2
    np.testing.assert_array_equal(
        cc.conv1d([1, 2, 3, 4], [1, 10, 100], mode="full", padding_mode=padding_mode), expected)


# ------------------------------------------------------------------ batch / speed path


@pytest.mark.parametrize(("batch", "n", "k"), [(1, 5, 2), (7, 50, 31), (300, 64, 5), (3, 200, 1)])
def test_batch_equals_row_by_row(batch, n, k):
    X, w = RNG.standard_normal((batch, n)), RNG.standard_normal(k)
    got = cc.conv1d(X, w)
    assert got.shape == (batch, n - k + 1)
    np.testing.assert_allclose(got, np.stack([np.convolve(x, w[::-1], "valid") for x in X]),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("chunk_doubles", [1, 64, 10_000])
@pytest.mark.parametrize("block", [1, 3, 16])
def test_blocking_and_chunking_do_not_change_results(monkeypatch, block, chunk_doubles):
    monkeypatch.setattr(conv_module, "_BLOCK", block)
    monkeypatch.setattr(conv_module, "_CHUNK_DOUBLES", chunk_doubles)
    X = RNG.standard_normal((9, 23))
    for k in (2, 4, 5, 7):  # summed tap by tap, and Toeplitz products
        w = RNG.standard_normal(k)
        for mode, flip, stride, dilation, pm in [("valid", False, 1, 1, "zeros"),
                                                 ("same", True, 2, 3, "reflect"),
                                                 ("full", False, 3, 2, "circular")]:
            expected = np.stack([naive_conv1d(x, w, mode, flip, stride, dilation, pm)
                                 for x in X])
            np.testing.assert_allclose(cc.conv1d(X, w, mode, flip, stride, dilation, pm),
                                       expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [3, 31])
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_long_signal_is_split_into_tiles(mode, k):
    # longer than one tile (_CHUNK_DOUBLES samples): the row is cut into pieces
    x, w = RNG.standard_normal(3 * conv_module._CHUNK_DOUBLES + 17), RNG.standard_normal(k)
    np.testing.assert_allclose(cc.conv1d(x, w, mode, flip=True), np.convolve(x, w, mode),
                               rtol=1e-10, atol=1e-10)
    left, right = cc.padding_amounts(x.size, w.size, mode)
    reference = np.correlate(np.pad(x, (left, right), mode="wrap"), w, "valid")[::3]
    np.testing.assert_allclose(cc.conv1d(x, w, mode, padding_mode="circular", stride=3),
                               reference, rtol=1e-10, atol=1e-10)


def test_kernel_wider_than_signal_gives_empty_output():
    assert cc.conv1d([1, 2], [1, 2, 3]).shape == (0,)
    assert cc.conv1d(np.ones((4, 2)), [1, 2, 3]).shape == (4, 0)
    assert cc.conv1d([1, 2, 3], [1, 1], dilation=3).shape == (0,)
    assert cc.output_length(2, 3) == 0


def test_integer_and_list_inputs_give_float_output():
    z = cc.conv1d([1, 2, 3], [1, 1])
    assert z.dtype == np.float64
    np.testing.assert_array_equal(z, [3, 5])


# ------------------------------------------------------------------ output length


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((5, 2), 4), ((5, 5), 1), ((5, 6), 0),
        ((5, 2, "same"), 5), ((5, 2, "full"), 6),
        ((10, 3, "valid", 2), 4), ((10, 3, "same", 3), 4), ((10, 3, "full", 5), 3),
        ((10, 3, "valid", 1, 4), 2), ((10, 3, "valid", 1, 5), 0), ((10, 3, "full", 1, 4), 18),
    ],
)
def test_output_length_hand_cases(args, expected):
    assert cc.output_length(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((10, 1, "same", False, 1), (0, 0)),
        ((10, 2, "same", False, 1), (0, 1)),
        ((10, 2, "same", True, 1), (1, 0)),
        ((10, 5, "same", False, 1), (2, 2)),
        ((10, 4, "same", False, 3), (4, 5)),
        ((10, 4, "same", True, 3), (5, 4)),
        ((10, 4, "full", True, 2), (6, 6)),
        ((10, 4, "valid", True, 2), (0, 0)),
    ],
)
def test_padding_amounts(args, expected):
    assert cc.padding_amounts(*args) == expected


# ------------------------------------------------------------------ properties

signals = arrays(np.float64, st.integers(1, 30),
                 elements=st.floats(-100, 100, allow_nan=False, allow_subnormal=False))
kernels = arrays(np.float64, st.integers(1, 6),
                 elements=st.floats(-10, 10, allow_nan=False, allow_subnormal=False))
options = st.tuples(st.sampled_from(cc.MODES), st.booleans(), st.integers(1, 4),
                    st.integers(1, 3), st.sampled_from(["zeros", "replicate", "circular"]))


@settings(max_examples=150, deadline=None)
@given(x=signals, w=kernels, opts=options)
def test_output_length_property(x, w, opts):
    mode, flip, stride, dilation, pm = opts
    z = cc.conv1d(x, w, mode, flip, stride, dilation, pm)
    assert z.shape == (cc.output_length(x.size, w.size, mode, stride, dilation),)
    np.testing.assert_allclose(z, naive_conv1d(x, w, mode, flip, stride, dilation, pm),
                               rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(x=signals, w=kernels, a=st.floats(-5, 5), b=st.floats(-5, 5), opts=options,
       seed=st.integers(0, 2**32 - 1))
def test_linear_in_signal_and_in_kernel(x, w, a, b, opts, seed):
    mode, flip, stride, dilation, pm = opts
    rng = np.random.default_rng(seed)
    x2, w2 = rng.standard_normal(x.size), rng.standard_normal(w.size)

    def f(xx, ww):
        return cc.conv1d(xx, ww, mode, flip, stride, dilation, pm)

    np.testing.assert_allclose(f(a * x + b * x2, w), a * f(x, w) + b * f(x2, w),
                               rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(f(x, a * w + b * w2), a * f(x, w) + b * f(x, w2),
                               rtol=1e-9, atol=1e-7)


@settings(max_examples=100, deadline=None)
@given(x=signals, w=kernels, shift=st.integers(1, 5), flip=st.booleans(),
       dilation=st.integers(1, 3))
def test_shift_equivariance(x, w, shift, flip, dilation):
    # Delaying the signal by `shift` samples (zeros in front) delays the output
    # by the same amount, in full mode where every overlap is kept.
    delayed = np.concatenate([np.zeros(shift), x])
    z = cc.conv1d(x, w, "full", flip, dilation=dilation)
    zd = cc.conv1d(delayed, w, "full", flip, dilation=dilation)
    np.testing.assert_allclose(zd[shift:], z, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(zd[:shift], 0.0, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(x=signals, w=kernels, shift=st.integers(-7, 7))
def test_circular_same_commutes_with_rolling(x, w, shift):
    # circular padding makes "same" a true circular correlation
    z = cc.conv1d(np.roll(x, shift), w, "same", padding_mode="circular")
    np.testing.assert_allclose(z, np.roll(cc.conv1d(x, w, "same", padding_mode="circular"), shift),
                               rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ Jacobian


@pytest.mark.parametrize(
    ("mode", "flip", "stride", "dilation", "padding_mode"),
    [("valid", False, 1, 1, "zeros"), ("same", True, 2, 1, "reflect"),
     ("full", False, 1, 2, "replicate"), ("same", False, 3, 2, "circular"),
     ("full", True, 2, 3, "zeros")],
)
def test_jacobian_against_finite_differences(mode, flip, stride, dilation, padding_mode):
    x, w = RNG.standard_normal(15), RNG.standard_normal(4)
    J = cc.conv1d_weight_jacobian(x, 4, mode, flip, stride, dilation, padding_mode)
    z = cc.conv1d(x, w, mode, flip, stride, dilation, padding_mode)
    assert J.shape == (z.size, 4)
    h = 1e-6
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        fd = (cc.conv1d(x, w + e, mode, flip, stride, dilation, padding_mode)
              - cc.conv1d(x, w - e, mode, flip, stride, dilation, padding_mode)) / (2 * h)
        np.testing.assert_allclose(J[:, j], fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(J @ w, z, rtol=1e-12, atol=1e-12)


def test_jacobian_valid_cross_correlation_is_shifted_signal():
    x = RNG.standard_normal(12)
    J = cc.conv1d_weight_jacobian(x, 3)
    expected = np.array([[x[i + j] for j in range(3)] for i in range(10)])
    np.testing.assert_array_equal(J, expected)


def test_jacobian_true_convolution_is_reversed_window():
    x = np.arange(1.0, 6.0)
    # full convolution: z_i = sum_j w_j x_{i-j}
    J = cc.conv1d_weight_jacobian(x, 2, "full", flip=True)
    np.testing.assert_array_equal(J, [[1, 0], [2, 1], [3, 2], [4, 3], [5, 4], [0, 5]])


def test_jacobian_batch_shape_and_values():
    X = RNG.standard_normal((4, 9))
    J = cc.conv1d_weight_jacobian(X, 3, "same", stride=2)
    assert J.shape == (4, 5, 3)
    for b in range(4):
        np.testing.assert_array_equal(J[b], cc.conv1d_weight_jacobian(X[b], 3, "same", stride=2))


# ------------------------------------------------------------------ positions


def test_window_positions_and_receptive_field_hand_cases():
    # same, k=4: pads (1, 2) for correlation; output 0 reads positions -1..2.
    np.testing.assert_array_equal(cc.window_positions(0, 6, 4, "same"), [-1, 0, 1, 2])
    np.testing.assert_array_equal(cc.receptive_field(0, 6, 4, "same"), [-1, 0, 1, 2])
    np.testing.assert_array_equal(cc.receptive_field(5, 6, 4, "same"), [4, 5, -1, -1])
    np.testing.assert_array_equal(
        cc.receptive_field(5, 6, 4, "same", padding_mode="reflect"), [4, 5, 4, 3])
    # true convolution, same, k=4 pads (2, 1): tap j reads x_{i+1-j}.
    np.testing.assert_array_equal(cc.window_positions(0, 6, 4, "same", flip=True), [1, 0, -1, -2])
    np.testing.assert_array_equal(
        cc.receptive_field(0, 6, 4, "same", flip=True, padding_mode="circular"), [1, 0, 5, 4])
    # array of outputs
    np.testing.assert_array_equal(cc.window_positions([0, 2], 9, 2, stride=3, dilation=2),
                                  [[0, 2], [6, 8]])


@pytest.mark.parametrize(
    ("mode", "flip", "stride", "dilation", "padding_mode"),
    list(itertools.product(["valid", "same", "full"], [False, True], [1, 2], [1, 3],
                           ["zeros", "replicate"])),
)
def test_receptive_field_reproduces_conv1d(mode, flip, stride, dilation, padding_mode):
    x, w = RNG.standard_normal(11), RNG.standard_normal(3)
    z = cc.conv1d(x, w, mode, flip, stride, dilation, padding_mode)
    src = cc.receptive_field(np.arange(z.size), 11, 3, mode, flip, stride, dilation,
                             padding_mode)
    values = np.where(src >= 0, x[np.maximum(src, 0)], 0.0)
    np.testing.assert_allclose(values @ w, z, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(("left", "right"), [(0, 0), (2, 1), (3, 3)])
def test_pad_signal_matches_np_pad(padding_mode, left, right):
    x = RNG.standard_normal(5)
    np_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[padding_mode]
    np.testing.assert_array_equal(cc.pad_signal(x, left, right, padding_mode),
                                  np.pad(x, (left, right), mode=np_mode))
    X = RNG.standard_normal((3, 5))
    np.testing.assert_array_equal(cc.pad_signal(X, left, right, padding_mode),
                                  np.pad(X, ((0, 0), (left, right)), mode=np_mode))


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("x", "w", "kwargs", "message"),
    [
        ([1, 2, 3], [], {}, "kernel.*empty"),
        ([], [1], {}, "signal.*empty"),
        ([1, np.nan, 3], [1], {}, "NaN"),
        ([1, 2, 3], [1, np.inf], {}, "NaN or infinity"),
        (np.ones((2, 2, 2)), [1], {}, "1-D or 2-D.*3-D"),
        ([1, 2, 3], [[1, 2]], {}, "kernel.*1-D"),
        (5.0, [1], {}, "0-D"),
        (["a", "b"], [1], {}, "numbers"),
        ([1, 2, 3], [1], {"stride": 0}, "stride must be at least 1"),
        ([1, 2, 3], [1], {"stride": 1.5}, "stride must be a whole number"),
        ([1, 2, 3], [1], {"dilation": 0}, "dilation must be at least 1"),
        ([1, 2, 3], [1], {"mode": "circular"}, "mode must be one of"),
        ([1, 2, 3], [1], {"padding_mode": "mirror"}, "padding_mode must be one of"),
        ([1, 2, 3], [1, 1, 1, 1], {"mode": "full", "padding_mode": "reflect"},
         "reflect padding of 3 samples.*3 samples"),
        ([1], [1, 1], {"mode": "same", "padding_mode": "reflect"}, "reflect padding"),
    ],
)
def test_errors_are_clear_value_errors(x, w, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cc.conv1d(x, w, **kwargs)


def test_other_error_paths():
    with pytest.raises(ValueError, match="kernel size k must be at least 1"):
        cc.output_length(5, 0)
    with pytest.raises(ValueError, match="signal length n must be at least 1"):
        cc.padding_amounts(0, 2, "same")
    with pytest.raises(ValueError, match="kernel size k must be at least 1"):
        cc.conv1d_weight_jacobian([1, 2], 0)
    with pytest.raises(ValueError, match=r"out of range.*4 samples"):
        cc.window_positions(4, 5, 2)
    with pytest.raises(ValueError, match="out of range"):
        cc.receptive_field(-1, 5, 2)
    with pytest.raises(ValueError, match="whole number"):
        cc.window_positions(1.5, 5, 2)
    with pytest.raises(ValueError, match="reflect padding needs fewer"):
        cc.source_index([-3], 3, "reflect")
    with pytest.raises(ValueError, match="reflect padding of 2"):
        cc.receptive_field(0, 2, 3, "full", padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        cc.source_index([0], 3, "mirror")
    with pytest.raises(ValueError, match="left padding must be at least 0"):
        cc.pad_signal([1, 2], -1, 0)


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize(("flip", "stride", "dilation", "padding_mode"),
                         [(False, 1, 1, "zeros"), (True, 2, 1, "replicate"),
                          (False, 1, 2, "circular"), (True, 3, 2, "reflect")])
def test_conv1d_settings_call_the_functions_with_all_five(mode, flip, stride, dilation,
                                                          padding_mode):
    x = np.array([0.5, -1.0, 2.0, 3.0, 0.0, 1.5, -2.0, 1.0])
    w = np.array([1.0, -2.0, 0.5])
    s = cc.Conv1dSettings(mode, flip, stride, dilation, padding_mode)
    args = (mode, flip, stride, dilation, padding_mode)
    np.testing.assert_array_equal(s.conv1d(x, w), cc.conv1d(x, w, *args))
    np.testing.assert_array_equal(s.jacobian(x, 3), cc.conv1d_weight_jacobian(x, 3, *args))
    np.testing.assert_array_equal(s.receptive_field(1, 8, 3), cc.receptive_field(1, 8, 3, *args))
    assert s.output_length(8, 3) == len(cc.conv1d(x, w, *args))


@pytest.mark.parametrize(("kwargs", "match"), [({"mode": "wide"}, "mode"),
                                               ({"flip": 1}, "flip"), ({"stride": 0}, "stride"),
                                               ({"padding_mode": "mirror"}, "padding_mode")])
def test_conv1d_settings_refuse_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cc.Conv1dSettings(**kwargs)
