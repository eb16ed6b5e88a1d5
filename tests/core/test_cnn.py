"""The numpy CNN: every layer against direct loops and finite differences, the network's
description, training (determinism, resuming, cancel), evaluation, files, gradient check.

References are independent of the code under test: explicit Python loops, scipy's
correlate2d, float64 central differences, hand computations, and (if installed) PyTorch.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from scipy.signal import correlate2d

import convlab.core as cc
from convlab.core.cnn import layers as L


@pytest.fixture(scope="module")
def sample():
    """The bundled 2,000-digit sample (1,000 training, 1,000 test digits)."""
    return cc.load_mnist()


def channel_major(x):
    return np.ascontiguousarray(np.transpose(x, (1, 0, 2, 3)))


def nchw(a):
    return np.transpose(a, (1, 0, 2, 3))


# -- direct references ---------------------------------------------------------------------
def conv_loop(x, w, b, stride, pad):
    """Cross-correlation written out: x (N, C, H, W), w (O, C, k, k)."""
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(n):
        for j in range(o):
            for r in range(oh):
                for q in range(ow):
                    patch = xp[i, :, r * stride : r * stride + k, q * stride : q * stride + k]
                    out[i, j, r, q] = np.sum(patch * w[j]) + b[j]
    return out


def pool_loop(x, size, stride, fn):
    n, c, h, w = x.shape
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((n, c, oh, ow))
    for r in range(oh):
        for q in range(ow):
            win = x[:, :, r * stride : r * stride + size, q * stride : q * stride + size]
            out[:, :, r, q] = fn(win.reshape(n, c, -1), axis=2)
    return out


def numeric_gradient(f, arr, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of arr (in place)."""
    grad = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        keep = arr[idx]
        arr[idx] = keep + eps
        up = f()
        arr[idx] = keep - eps
        down = f()
        arr[idx] = keep
        grad[idx] = (up - down) / (2 * eps)
    return grad


CONV_CASES = [  # (C, O, k, stride, padding, H, W)
    (1, 4, 3, 1, 0, 7, 7),
    (2, 3, 2, 1, 0, 6, 5),  # even kernel, non-square input
    (2, 2, 3, 2, 1, 7, 8),  # stride and padding
    (3, 2, 4, 3, 2, 9, 9),  # even kernel, stride 3, padding 2
    (1, 2, 5, 1, 2, 6, 6),
    (2, 2, 2, 1, 2, 5, 6),  # padding wider than the kernel
]


@pytest.mark.parametrize(("c", "o", "k", "s", "p", "h", "w"), CONV_CASES)
def test_conv_forward_matches_a_loop_and_scipy(c, o, k, s, p, h, w):
    rng = np.random.default_rng(k * 10 + s)
    layer = L.Conv2D(c, o, k, stride=s, padding=p, dtype=np.float64)
    layer.params["weight"][...] = rng.standard_normal(layer.params["weight"].shape)
    layer.params["bias"][...] = rng.standard_normal(o)
    x = rng.standard_normal((3, c, h, w))
    got = nchw(layer.forward(channel_major(x), train=False))
    ref = conv_loop(x, layer.params["weight"], layer.params["bias"], s, p)
    assert got.shape == ref.shape == (3, o, *layer.output_shape((c, h, w))[1:])
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    if s == 1:  # scipy's correlate2d, valid mode on the zero-padded image, summed over channels
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        sc = np.array([[sum(correlate2d(xp[i, ch], layer.params["weight"][j, ch], "valid")
                            for ch in range(c)) + layer.params["bias"][j] for j in range(o)]
                       for i in range(3)])
        np.testing.assert_allclose(got, sc, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "expected"),
    [(28, 3, 1, 0, 26), (28, 5, 1, 2, 28), (14, 5, 1, 2, 14), (7, 2, 2, 0, 3), (8, 4, 3, 1, 3),
     (5, 5, 1, 0, 1), (6, 2, 1, 0, 5)],
)
def test_conv_output_size_is_torch_floor_mode(size, kernel, stride, padding, expected):
    # torch.nn.Conv2d: floor((H + 2p − k) / s) + 1
    assert L.conv_output_size(size, kernel, stride, padding) == expected


@pytest.mark.parametrize(("size", "window", "stride", "expected"),
                         [(26, 2, 2, 13), (14, 3, 3, 4), (5, 2, 1, 4), (7, 3, 2, 3), (4, 4, 4, 1)])
def test_pool_output_size_is_torch_floor_mode(size, window, stride, expected):
    assert L.pool_output_size(size, window, stride) == expected


@pytest.mark.parametrize(("size", "stride", "h"), [(2, None, 6), (2, None, 7), (3, None, 14),
                                                   (3, 2, 7), (2, 1, 5)])
def test_pooling_forward_matches_a_loop(size, stride, h):
    rng = np.random.default_rng(size * 7 + h)
    x = rng.standard_normal((2, 3, h, h + 1))
    st = size if stride is None else stride
    for layer, fn in ((L.MaxPool2D(size, stride), np.max), (L.AvgPool2D(size, stride), np.mean)):
        for train in (False, True):
            got = nchw(layer.forward(channel_major(x), train=train))
            np.testing.assert_allclose(got, pool_loop(x, size, st, fn), rtol=1e-12, atol=1e-14)
            assert got.shape[2:] == layer.output_shape((3, h, h + 1))[1:]


def test_max_pool_sends_the_gradient_to_the_first_maximum_of_a_tie():
    # one 2×2 window with a tie between (0, 1) and (1, 0): PyTorch's CPU kernel picks (0, 1)
    x = np.array([[[[1.0, 5.0], [5.0, 2.0]]]])
    for stride in (2, 1):
        layer = L.MaxPool2D(2, stride)
        layer.forward(channel_major(x), train=True)
        dx = nchw(layer.backward(np.ones((1, 1, 1, 1)), need_dx=True))
        np.testing.assert_array_equal(dx[0, 0], [[0, 1], [0, 0]])
    x = np.full((1, 1, 3, 3), 7.0)  # a 3×3 window of equal values: the corner wins
    layer = L.MaxPool2D(3)
    layer.forward(channel_major(x), train=True)
    dx = nchw(layer.backward(np.full((1, 1, 1, 1), 2.0), need_dx=True))
    np.testing.assert_array_equal(dx[0, 0], [[2, 0, 0], [0, 0, 0], [0, 0, 0]])
    # the first maximum in row-major order: (1, 2) before (2, 0), in every window of a 6×7 map
    # (the last column is outside the windows and gets no gradient)
    x = np.zeros((1, 1, 6, 7))
    x[..., 1:6:3, 0:6:3] = 1.0  # window rows 1, 4 and columns 0, 3: not the maximum
    x[..., 1:6:3, 2:6:3] = 9.0
    x[..., 2:6:3, 0:6:3] = 9.0
    x[..., 6] = 50.0
    layer = L.MaxPool2D(3)
    out = layer.forward(channel_major(x), train=True)
    np.testing.assert_array_equal(nchw(out)[0, 0], [[9, 9], [9, 9]])
    dx = nchw(layer.backward(np.arange(1.0, 5.0).reshape(1, 1, 2, 2), need_dx=True))[0, 0]
    expected = np.zeros((6, 7))
    expected[1:6:3, 2:6:3] = [[1, 2], [3, 4]]
    np.testing.assert_array_equal(dx, expected)


def test_flatten_is_c_h_w_order_and_dense_is_x_wT_plus_b():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 3, 5))
    flat = L.Flatten().forward(channel_major(x), train=False)
    np.testing.assert_array_equal(flat, x.reshape(4, -1))
    dense = L.Dense(30, 7, dtype=np.float64)
    dense.params["weight"][...] = rng.standard_normal((7, 30))
    dense.params["bias"][...] = rng.standard_normal(7)
    np.testing.assert_allclose(dense.forward(flat, train=False),
                               x.reshape(4, -1) @ dense.params["weight"].T + dense.params["bias"])


LAYER_FACTORIES = {
    "conv stride 1 pad 1": (lambda: L.Conv2D(2, 3, 3, padding=1, dtype=np.float64), (2, 6, 6)),
    "conv even kernel": (lambda: L.Conv2D(2, 2, 2, dtype=np.float64), (2, 5, 6)),
    "conv 5 pad 2": (lambda: L.Conv2D(2, 3, 5, padding=2, dtype=np.float64), (2, 7, 6)),
    "conv pad > kernel - 1": (lambda: L.Conv2D(2, 2, 2, padding=2, dtype=np.float64),
                              (2, 4, 5)),
    "conv stride 2 pad 1": (lambda: L.Conv2D(2, 2, 3, stride=2, padding=1, dtype=np.float64),
                            (2, 7, 7)),
    "relu": (L.ReLU, (2, 4, 4)),
    "maxpool 2": (lambda: L.MaxPool2D(2), (2, 5, 6)),
    "maxpool 3 stride 2": (lambda: L.MaxPool2D(3, 2), (2, 7, 7)),
    "maxpool 3": (lambda: L.MaxPool2D(3), (1, 7, 8)),
    "avgpool 2": (lambda: L.AvgPool2D(2), (2, 5, 4)),
    "avgpool 3 stride 1": (lambda: L.AvgPool2D(3, 1), (1, 5, 5)),
    "flatten": (L.Flatten, (2, 3, 3)),
    "dense": (lambda: L.Dense(12, 5, dtype=np.float64), (12,)),
}


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_layer_backward_matches_float64_finite_differences(name):
    factory, shape = LAYER_FACTORIES[name]
    layer = factory()
    rng = np.random.default_rng(len(name))
    for value in layer.params.values():
        value[...] = rng.standard_normal(value.shape)
    x = rng.standard_normal((3, *shape))
    xin = channel_major(x) if x.ndim == 4 else x.copy()
    out = layer.forward(xin.copy(), train=True)
    weights = rng.standard_normal(out.shape)

    def loss():
        return float(np.sum(layer.forward(xin.copy(), train=False) * weights))

    layer.forward(xin.copy(), train=True)
    dx = layer.backward(weights, need_dx=True)
    np.testing.assert_allclose(dx, numeric_gradient(loss, xin), rtol=1e-6, atol=1e-8)
    for key, value in layer.params.items():
        np.testing.assert_allclose(layer.grads[key], numeric_gradient(loss, value),
                                   rtol=1e-6, atol=1e-8, err_msg=key)


# -- loss ----------------------------------------------------------------------------------
def test_softmax_cross_entropy_by_hand():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    labels = np.array([2, 0])
    e = np.exp([1.0, 2.0, 3.0])
    p0 = e / e.sum()
    expected = (-np.log(p0[2]) + np.log(3.0)) / 2
    loss, d = cc.softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(d, np.array([p0 - [0, 0, 1], np.full(3, 1 / 3) - [1, 0, 0]]) / 2,
                               rtol=1e-14)


def test_softmax_cross_entropy_does_not_overflow_on_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [5e3, 5e3, 0.0]], dtype=np.float32)
    loss, d = cc.softmax_cross_entropy(logits, np.array([1, 0]))
    # row 0: −log softmax = 1e4 exactly (the others are negligible); row 1: log 2
    assert loss == pytest.approx((1e4 + np.log(2)) / 2, rel=1e-6)
    assert d.dtype == np.float32 and np.isfinite(d).all()
    np.testing.assert_allclose(d, [[0.5, -0.5, 0.0], [-0.25, 0.25, 0.0]], atol=1e-7)
    np.testing.assert_allclose(cc.softmax(np.array([800.0, 800.0])), [0.5, 0.5])


@pytest.mark.parametrize(("labels", "match"), [([0, 3], "0…2"), ([0.5, 1], "whole"),
                                               ([0], "one label")])
def test_softmax_cross_entropy_refuses_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        cc.softmax_cross_entropy(np.zeros((2, 3)), np.array(labels))


# -- the network ---------------------------------------------------------------------------
def test_line_detectors_are_symmetric_so_correlation_is_the_notebooks_convolution(sample):
    bank = cc.line_detector_bank()
    np.testing.assert_array_equal(bank, bank[:, :, ::-1, ::-1])  # 180° rotation changes nothing
    net = cc.build_network(cc.CNN_PRESETS["A-frozen"], dtype=np.float64)
    np.testing.assert_array_equal(net.params["0.weight"], bank)
    digit = sample.train_images[2]  # the notebook's digit
    _, outputs = net.forward(cc.prepare_images(digit[None], dtype=np.float64), keep=True)
    notebook = cc.conv2d(digit / 255, bank[:, 0], mode="valid", flip=True, dtype=np.float64)
    np.testing.assert_allclose(outputs[0][0], notebook, atol=1e-12)


def test_presets_have_the_issues_shapes_and_parameter_counts():
    a = cc.build_network(cc.CNN_PRESETS["A-detectors"])
    assert a.output_shapes() == [(4, 26, 26), (4, 26, 26), (4, 13, 13), (676,), (10,)]
    assert a.n_params == 4 * 9 + 4 + 676 * 10 + 10
    b = cc.build_network(cc.CNN_PRESETS["B"])
    assert b.output_shapes() == [(8, 28, 28), (8, 28, 28), (8, 14, 14), (16, 14, 14),
                                 (16, 14, 14), (16, 4, 4), (256,), (10,)]
    assert b.n_params == (8 * 25 + 8) + (16 * 8 * 25 + 16) + (2560 + 10)
    assert sorted(b.params) == ["0.bias", "0.weight", "3.bias", "3.weight", "7.bias",
                                "7.weight"]
    assert [i.n_params for i in b.describe()] == [208, 0, 0, 3216, 0, 0, 0, 2570]
    frozen = cc.build_network(cc.CNN_PRESETS["A-frozen"])
    assert frozen.describe()[0].frozen and frozen.n_trainable == 6770
    assert "Conv2D(1, 8, 5, padding=2)" in b.summary()


def test_architecture_is_json_safe_and_rebuilds_the_same_network():
    spec = cc.CNN_PRESETS["B"]
    again = json.loads(json.dumps(spec))
    one, two = cc.build_network(spec, seed=3), cc.build_network(again, seed=3)
    assert one.spec() == two.spec() == cc.check_architecture(again)
    for name in one.params:
        np.testing.assert_array_equal(one.params[name], two.params[name])
    other = cc.build_network(spec, seed=4)
    assert not np.array_equal(one.params["0.weight"], other.params["0.weight"])


def _spec(*layers, shape=(1, 28, 28)):
    return {"input_shape": list(shape), "layers": list(layers)}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_spec({"type": "conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3},
               {"type": "maxpool2d", "size": 2}, {"type": "maxpool2d", "size": 3},
               {"type": "conv2d", "in_channels": 2, "out_channels": 2, "kernel_size": 5}),
         "layer 3: kernel 5 does not fit a 4×4 input"),
        (_spec({"type": "conv2d", "in_channels": 3, "out_channels": 2, "kernel_size": 3}),
         "layer 0: Conv2D expects 3 input channels but gets 1"),
        (_spec({"type": "flatten"}, {"type": "dense", "in_features": 700, "out_features": 10}),
         "layer 1: Dense expects 700 inputs but gets 784"),
        (_spec({"type": "dense", "in_features": 784, "out_features": 10}),
         "layer 0: Dense needs features, got an image of 1×28×28: put a Flatten"),
        (_spec({"type": "conv3d"}), "layer 0: unknown layer type 'conv3d'"),
        (_spec({"type": "conv2d", "in_channels": 1, "kernel_size": 3}),
         "layer 0: conv2d needs out_channels"),
        (_spec({"type": "relu", "size": 2}), "layer 0: relu has no option 'size'"),
        (_spec({"type": "conv2d", "in_channels": 1, "out_channels": 8, "kernel_size": 3,
                "init": "line_detectors"}), "layer 0: the line detectors are four 3×3"),
        (_spec({"type": "maxpool2d", "size": 0}), "layer 0: size must be at least 1"),
        (_spec({"type": "maxpool2d", "size": 30}), "window 30 does not fit a 28×28"),
        (_spec(), "non-empty list of layers"),
    ],
)
def test_bad_architectures_say_which_layer_and_why(spec, message):
    with pytest.raises(cc.ArchitectureError) as info:
        cc.check_architecture(spec)
    assert message in str(info.value)


@pytest.mark.parametrize("stride, padding", [(1, 2), (1, 0), (2, 1)])
def test_a_cropped_convolution_is_the_first_rows_and_columns_of_the_full_one(stride, padding):
    rng = np.random.default_rng(4)
    layer = L.Conv2D(2, 3, 3, stride=stride, padding=padding, dtype=np.float64)
    layer.params["weight"][...] = rng.standard_normal(layer.params["weight"].shape)
    layer.params["bias"][...] = rng.standard_normal(3)
    x = channel_major(rng.standard_normal((4, 2, 9, 10)))
    full = layer.forward(x, train=True).copy()
    _, oh, ow = layer.output_shape((2, 9, 10))
    dy_full = np.zeros_like(full)
    dy_full[:, :, : oh - 1, : ow - 2] = rng.standard_normal((3, 4, oh - 1, ow - 2))
    dx_full = layer.backward(dy_full, need_dx=True).copy()
    grads_full = {k: v.copy() for k, v in layer.grads.items()}
    layer.backward(rng.standard_normal(full.shape), need_dx=True)  # leaves its buffers dirty
    cropped = layer.forward(x, train=True, crop=(oh - 1, ow - 2))
    np.testing.assert_allclose(cropped, full[:, :, : oh - 1, : ow - 2], rtol=1e-13)
    dx = layer.backward(np.ascontiguousarray(dy_full[:, :, : oh - 1, : ow - 2]), need_dx=True)
    np.testing.assert_allclose(dx, dx_full, rtol=1e-12, atol=1e-14)
    for name, value in grads_full.items():
        np.testing.assert_allclose(layer.grads[name], value, rtol=1e-12, atol=1e-14)


def test_keep_returns_every_layer_output_and_the_fused_path_agrees():
    rng = np.random.default_rng(0)
    net = cc.build_network(cc.CNN_PRESETS["B"], seed=1, dtype=np.float64)
    x = rng.random((3, 1, 28, 28))
    plain = net.forward(x)
    _, d = cc.softmax_cross_entropy(plain, np.array([1, 2, 3]))
    net.backward(d)
    fused_grads = {k: v.copy() for k, v in net.grads.items()}
    out, kept = net.forward(x, keep=True)
    net.backward(d)
    np.testing.assert_array_equal(out, plain)
    # the fast path leaves out the 2nd convolution's last two rows and columns (MaxPool2D(3)
    # drops them): its weight sums see fewer (zero-gradient) terms, so equal up to rounding
    for name in fused_grads:
        np.testing.assert_allclose(net.grads[name], fused_grads[name], rtol=1e-12, atol=1e-16,
                                   err_msg=name)
    assert [k.shape[1:] for k in kept] == net.output_shapes()
    assert all(k.shape[0] == 3 for k in kept)
    np.testing.assert_array_equal(kept[1], np.maximum(kept[0], 0))
    np.testing.assert_allclose(kept[0], conv_loop(x, net.params["0.weight"],
                                                  net.params["0.bias"], 1, 2), atol=1e-12)
    np.testing.assert_array_equal(kept[-1], out)


def test_a_network_without_classifier_returns_images_and_presets_are_copies():
    spec = _spec({"type": "conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3},
                 {"type": "relu"}, {"type": "maxpool2d", "size": 2}, shape=(1, 6, 6))
    net = cc.build_network(spec, seed=0, dtype=np.float64)
    x = np.random.default_rng(0).random((2, 1, 6, 6))
    conv = conv_loop(x, net.params["0.weight"], net.params["0.bias"], 1, 0)
    expected = pool_loop(np.maximum(conv, 0), 2, 2, np.max)
    np.testing.assert_allclose(net.forward(x), expected, atol=1e-12)
    np.testing.assert_allclose(net.predict_logits(x), expected, atol=1e-12)
    edited = cc.CNN_PRESETS["A-frozen"]
    edited["layers"][0]["frozen"] = False
    assert cc.CNN_PRESETS["A-frozen"]["layers"][0]["frozen"] is True


def test_forward_refuses_wrong_inputs():
    net = cc.build_network(cc.CNN_PRESETS["A-random"])
    with pytest.raises(ValueError, match="1×28×28"):
        net.forward(np.zeros((2, 1, 27, 28), np.float32))
    with pytest.raises(ValueError, match="prepare_images"):
        net.forward(np.zeros((2, 1, 28, 28), np.uint8))


@pytest.mark.parametrize("preset", ["A-random", "B"])
def test_cnn_gradient_check_passes_for_the_real_backprop(preset, sample):
    net = cc.build_network(cc.CNN_PRESETS[preset], seed=2)
    rng = np.random.default_rng(1)
    for name, value in net.params.items():  # small biases: blank pixels leave the ReLU kink
        if name.endswith("bias"):
            value[...] = rng.uniform(-0.05, 0.05, value.shape)
    check = cc.cnn_gradient_check(net, sample.train_images[:4], sample.train_labels[:4],
                                  entries=4)
    assert set(check.names) == set(net.params)
    assert not any(k.any() for k in check.at_kink.values())
    assert max(e.max() for e in check.relative_error.values()) < 1e-5, check.relative_error
    assert check.passed(1e-5)


def test_cnn_gradient_check_flags_the_relu_kink_of_a_fresh_network(sample):
    # biases 0: every blank pixel's convolution output is exactly 0, where ReLU has no slope
    net = cc.build_network(cc.CNN_PRESETS["A-random"], seed=2)
    check = cc.cnn_gradient_check(net, sample.train_images[:4], sample.train_labels[:4])
    assert check.at_kink["0.bias"].all()
    assert check.relative_error["0.bias"].max() > 0.1  # the two-sided difference is off there
    assert not check.at_kink["4.weight"].any() and check.passed(1e-5)


def test_cnn_gradient_check_catches_a_wrong_gradient(sample, monkeypatch):
    net = cc.build_network(cc.CNN_PRESETS["A-random"], seed=2)
    real = L.Dense.backward

    def wrong(self, dy, need_dx):
        dx = real(self, dy, need_dx)
        self.grads["weight"] *= 1.5
        return dx

    monkeypatch.setattr(L.Dense, "backward", wrong)
    check = cc.cnn_gradient_check(net, sample.train_images[:4], sample.train_labels[:4])
    assert check.relative_error["4.weight"].max() > 0.1 and not check.at_kink["4.weight"].any()
    assert not check.passed()
    assert check.relative_error["0.weight"].max() < 1e-5  # the rest is still right


# -- optimizers over many arrays -----------------------------------------------------------
@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam"])
def test_optimizer_group_updates_each_array_like_the_1d_optimizer(name):
    rng = np.random.default_rng(1)
    shapes = {"w": (2, 3), "b": (4,)}
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    flat = np.concatenate([params["w"].ravel(), params["b"]])
    group = cc.OptimizerGroup(name, {k: v for k, v in params.items()}, learning_rate=0.1,
                              weight_decay=0.01)
    single = cc.make_optimizer(name, flat.size, 0.1)
    for _ in range(3):
        grads = {k: rng.standard_normal(s) for k, s in shapes.items()}
        g = np.concatenate([grads["w"].ravel(), grads["b"]]) + 0.01 * flat
        group.update(params, grads)
        single.update(flat, g)
    np.testing.assert_allclose(np.concatenate([params["w"].ravel(), params["b"]]), flat,
                               rtol=1e-12)


# -- training ------------------------------------------------------------------------------
def _trainer(sample, preset="A-detectors", **kw):
    net = cc.build_network(cc.CNN_PRESETS[preset], seed=0)
    return cc.CNNTrainer(net, sample, batch_size=kw.pop("batch_size", 64), seed=0, **kw)


def test_training_is_deterministic_however_it_is_chunked(sample):
    one = _trainer(sample, test_every=5)
    one.step(20)
    two = _trainer(sample, test_every=5)
    for n in (1, 3, 7, 9):  # crosses the end of the epoch at step 16
        two.step(n)
    assert one.step_count == two.step_count == 20
    for name in one.model.params:
        np.testing.assert_array_equal(one.model.params[name], two.model.params[name])
    assert one.history.arrays().keys() == two.history.arrays().keys()
    for key, value in one.history.arrays().items():
        np.testing.assert_array_equal(value, two.history.arrays()[key], err_msg=key)
    assert one.history.test_steps == [5, 10, 15, 16, 20]  # every 5 steps and the epoch's end


def test_run_epoch_reports_progress_and_resumes_exactly_after_cancel(sample):
    straight = _trainer(sample)
    straight.run_epoch()
    fractions = []
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] == 6

    paused = _trainer(sample)
    with pytest.raises(cc.Cancelled):
        paused.run_epoch(cancel=cancel)
    assert 0 < paused.step_count < paused.batches_per_epoch
    metrics = paused.run_epoch(progress=lambda f, m: fractions.append((f, m)))
    assert paused.step_count == straight.step_count == paused.batches_per_epoch == 16
    for name in straight.model.params:
        np.testing.assert_array_equal(paused.model.params[name], straight.model.params[name])
    assert metrics == straight.metrics()
    assert fractions[-1][0] == 1.0 and "epoch 1" in fractions[-1][1]
    assert [f for f, _ in fractions] == sorted(f for f, _ in fractions)


def test_frozen_layers_do_not_change_and_the_others_do(sample):
    trainer = _trainer(sample, "A-frozen")
    before = trainer.model.get_params()
    trainer.step(3)
    np.testing.assert_array_equal(trainer.model.params["0.weight"], before["0.weight"])
    np.testing.assert_array_equal(trainer.model.params["0.bias"], before["0.bias"])
    assert not np.array_equal(trainer.model.params["4.weight"], before["4.weight"])
    trainer.reset()
    for name, value in before.items():
        np.testing.assert_array_equal(trainer.model.params[name], value)
    assert trainer.step_count == 0 and trainer.history.loss == []


def test_one_sgd_step_is_the_gradient_step(sample):
    trainer = _trainer(sample, "A-random", batch_size=8)
    net = trainer.model
    before = net.get_params()
    idx = np.random.default_rng(0).permutation(1000)[:8]  # the trainer's first batch
    x = cc.prepare_images(sample.train_images[idx])
    loss, d = cc.softmax_cross_entropy(net.forward(x), sample.train_labels[idx])
    net.backward(d)
    expected = {k: before[k] - np.float32(0.05) * net.grads[k] for k in before}
    trainer.step(1)
    assert trainer.history.loss[0] == pytest.approx(loss, rel=1e-6)
    for name in expected:
        np.testing.assert_allclose(net.params[name], expected[name], rtol=1e-6, atol=1e-7)


def test_frozen_line_detectors_learn_the_sample_well_above_chance(sample):
    # measured over seeds 0–7: 0.78–0.81 after three epochs of the 1,000 training digits
    trainer = _trainer(sample, "A-frozen")
    for _ in range(3):
        trainer.run_epoch()
    assert trainer.metrics()["test_accuracy"] >= 0.72
    assert trainer.history.running_loss[-1] < trainer.history.running_loss[15] < 2.3


def test_a_diverging_run_stops_at_the_last_finite_weights(sample):
    trainer = _trainer(sample, "B", learning_rate=1e30)
    done = trainer.step(10)
    assert done < 10 and trainer.diverged_at == done + 1
    assert all(np.isfinite(v).all() for v in trainer.model.params.values())
    assert trainer.step(5) == 0


# -- evaluation ----------------------------------------------------------------------------
def test_evaluation_agrees_with_its_predictions(sample):
    net = cc.build_network(cc.CNN_PRESETS["A-frozen"], seed=0)
    images, labels = sample.test_images[:300], sample.test_labels[:300]
    result = cc.evaluate_network(net, images, labels)
    pred = net.predict(images)
    np.testing.assert_array_equal(result.predictions, pred)
    manual = np.zeros((10, 10), int)
    for t, p in zip(labels, pred, strict=True):
        manual[t, p] += 1
    np.testing.assert_array_equal(result.confusion, manual)
    assert result.accuracy == pytest.approx(np.mean(pred == labels))
    np.testing.assert_array_equal(result.misclassified, np.flatnonzero(pred != labels))
    for c in range(10):
        assert result.per_class_accuracy[c] == pytest.approx(np.mean(pred[labels == c] == c))
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1, rtol=1e-12)
    drawn = sample.test_images[0] / 255.0  # a float 28×28 digit, as the lab's pen draws it
    np.testing.assert_allclose(net.probabilities(drawn), result.probabilities[0], rtol=1e-5)


# -- files ---------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path, sample):
    trainer = _trainer(sample, "B")
    trainer.step(2)
    path = cc.save_network(tmp_path / "net.npz", trainer.model, metadata={"steps": 2})
    loaded, meta = cc.load_network(path, with_metadata=True)
    assert meta == {"steps": 2} and loaded.spec() == trainer.model.spec()
    for name, value in trainer.model.params.items():
        np.testing.assert_array_equal(loaded.params[name], value)
    np.testing.assert_array_equal(loaded.predict_logits(sample.test_images[:20]),
                                  trainer.model.predict_logits(sample.test_images[:20]))


def _write(path, **arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def _good(net):
    return {"__format__": np.array("convlab-cnn 1"),
            "__architecture__": np.array(json.dumps(net.spec())), **net.get_params()}


@pytest.mark.parametrize("damage", ["not zip", "truncated", "no architecture", "bad json",
                                    "unknown layer", "wrong shape", "missing param",
                                    "extra array", "nan", "pickled", "format", "ints"])
def test_malformed_network_files_raise_cnn_format_error(tmp_path, damage):
    net = cc.build_network(cc.CNN_PRESETS["A-random"])
    path = tmp_path / "bad.npz"
    arrays = _good(net)
    if damage == "not zip":
        path.write_bytes(b"hello, not a network")
    elif damage == "truncated":
        _write(path, **arrays)
        path.write_bytes(path.read_bytes()[:200])
    else:
        if damage == "no architecture":
            del arrays["__architecture__"]
        elif damage == "bad json":
            arrays["__architecture__"] = np.array("{layers: [")
        elif damage == "unknown layer":
            arrays["__architecture__"] = np.array(json.dumps(_spec({"type": "lstm"})))
        elif damage == "wrong shape":
            arrays["4.weight"] = np.zeros((10, 675), np.float32)
        elif damage == "missing param":
            del arrays["0.bias"]
        elif damage == "extra array":
            arrays["9.weight"] = np.zeros(3)
        elif damage == "nan":
            arrays["0.weight"] = np.full((4, 1, 3, 3), np.nan, np.float32)
        elif damage == "format":
            arrays["__format__"] = np.array("convlab-cnn 99")
        elif damage == "ints":
            arrays["0.bias"] = np.zeros(4, np.int64)
        if damage == "pickled":
            arrays["0.bias"] = np.array([object()] * 4, dtype=object)
            with zipfile.ZipFile(path, "w") as z:  # np.savez would pickle it: write by hand
                import io

                for key, value in arrays.items():
                    buf = io.BytesIO()
                    np.lib.format.write_array(buf, value, allow_pickle=True)
                    z.writestr(f"{key}.npy", buf.getvalue())
        else:
            _write(path, **arrays)
    with pytest.raises(cc.CNNFormatError) as info:
        cc.load_network(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_loading_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        cc.load_network(tmp_path / "nothing.npz")


# -- PyTorch, when installed ---------------------------------------------------------------
def test_logits_and_gradients_equal_torch_nn(sample):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional check)")
    from benchmarks.bench_cnn import torch_network

    for preset in ("A-random", "B"):
        net = cc.build_network(cc.CNN_PRESETS[preset], seed=5, dtype=np.float64)
        tnet = torch_network(torch, net)
        x = cc.prepare_images(sample.train_images[:16], dtype=np.float64)
        y = sample.train_labels[:16].astype(np.int64)
        logits = net.forward(x)
        loss, d = cc.softmax_cross_entropy(logits, y)
        net.backward(d)
        tlogits = tnet(torch.from_numpy(x))
        tloss = torch.nn.functional.cross_entropy(tlogits, torch.from_numpy(y))
        tloss.backward()
        np.testing.assert_allclose(logits, tlogits.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert loss == pytest.approx(tloss.item(), rel=1e-12)
        for name, p in tnet.named_parameters():
            np.testing.assert_allclose(net.grads[name], p.grad.numpy(), rtol=1e-9, atol=1e-13,
                                       err_msg=name)
