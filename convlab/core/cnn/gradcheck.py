"""Check backpropagation against finite differences, as the Gradient lab does for 1-D.

For a few entries ``θ_j`` of every parameter array, the central difference
``(L(θ + ε·e_j) − L(θ − ε·e_j)) / 2ε`` of the softmax cross-entropy is
compared with the gradient from :meth:`Sequential.backward`. Both are computed
on a float64 copy of the network with every layer trainable (so frozen
layers are checked too); the relative error
``|analytic − numeric| / max(|analytic| + |numeric|, 1e-12)`` is then around
1e-8 or below for correct code, and of order 1 for a wrong gradient.

Kinks. The loss has no derivative where a ReLU input is exactly 0 or a
max-pooling window has a tie — and a fresh network sits on such points: its
biases are 0, so every blank pixel of a digit gives a convolution output of
exactly 0. There the two one-sided differences disagree; such entries are
flagged in :attr:`CNNGradientCheck.at_kink` (backprop then gives the
one-sided value PyTorch uses, ``relu'(0) = 0``) and left out of
:meth:`~CNNGradientCheck.passed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .losses import softmax_cross_entropy
from .model import Sequential, _pinned_blas, prepare_images

__all__ = ["CNNGradientCheck", "cnn_gradient_check"]


@dataclass(frozen=True)
class CNNGradientCheck:
    """Result of :func:`cnn_gradient_check`.

    Attributes
    ----------
    names : parameter names checked, in order
    indices : name → (M, ndim) int array, the entries checked
    analytic, numeric, relative_error : name → (M,) float64 arrays
    at_kink : name → (M,) bool, where the one-sided differences disagree (no derivative)
    """

    names: tuple[str, ...]
    indices: dict[str, NDArray]
    analytic: dict[str, NDArray]
    numeric: dict[str, NDArray]
    relative_error: dict[str, NDArray]
    at_kink: dict[str, NDArray]

    @property
    def max_relative_error(self) -> float:
        """The largest relative error away from kinks (0 if every entry is at one)."""
        errors = [e[~self.at_kink[k]] for k, e in self.relative_error.items()]
        return float(max((e.max() for e in errors if e.size), default=0.0))

    def passed(self, tolerance: float = 1e-6) -> bool:
        """True if every relative error away from kinks is below ``tolerance``."""
        return self.max_relative_error < tolerance


def cnn_gradient_check(model: Sequential, x: ArrayLike, y: ArrayLike, entries: int = 3,
                       eps: float = 1e-6, seed: int | None = 0) -> CNNGradientCheck:
    """Compare backprop's gradient with central differences on ``entries`` entries per array.

    Parameters
    ----------
    model : Sequential (left unchanged)
    x : images (N, H, W) or (N, C, H, W), uint8 or floats in [0, 1]
    y : (N,) labels
    entries : entries checked per parameter array (chosen at random, seeded)
    eps : step of the differences
    seed : chooses the entries
    """
    net = model.copy(np.float64)
    for layer in net.layers:
        layer.frozen = False
    xs = prepare_images(x, net.input_shape, np.float64)
    labels = np.asarray(y)
    rng = np.random.default_rng(seed)

    def loss() -> float:
        return softmax_cross_entropy(net._run(xs, train=False)[0], labels)[0]

    with _pinned_blas():
        logits, _ = net._run(xs, train=True)
        _, dlogits = softmax_cross_entropy(logits, labels)
        net._backward(dlogits, net._trained_from)
        base = loss()
        indices, analytic, numeric, error, kink = {}, {}, {}, {}, {}
        for name, value in net.params.items():
            flat = rng.choice(value.size, size=min(entries, value.size), replace=False)
            idx = np.array(np.unravel_index(flat, value.shape)).T
            a = np.array([net.grads[name][tuple(i)] for i in idx])
            n = np.empty(len(idx))
            jump = np.zeros(len(idx), bool)
            for row, i in enumerate(idx):
                keep = value[tuple(i)]
                value[tuple(i)] = keep + eps
                up = loss()
                value[tuple(i)] = keep - eps
                down = loss()
                value[tuple(i)] = keep
                n[row] = (up - down) / (2 * eps)
                right, left = (up - base) / eps, (base - down) / eps
                # smooth: they differ by about ε·L'' (≪ 1e-4); at a kink by a whole slope
                jump[row] = abs(right - left) > 1e-4 + 1e-3 * (abs(right) + abs(left))
            indices[name], analytic[name], numeric[name], kink[name] = idx, a, n, jump
            error[name] = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)
    return CNNGradientCheck(tuple(net.params), indices, analytic, numeric, error, kink)
