"""The k-tap model's loss as an exact quadratic: its landscape and its least-squares minimum.

With the design matrix ``A`` of :func:`convlab.core.design_matrix` (``p = A·θ``,
shape ``(N, P)``) the loss ``L = ½·mean((y − p)²)`` is::

    L(θ) = ½·θᵀHθ − gᵀθ + c,   H = AᵀA/N,  g = Aᵀy/N,  c = yᵀy/(2N)

(:class:`QuadraticLoss`): its gradient is ``∇L = Hθ − g``, its landscape over
any two parameters is a paraboloid (:func:`loss_surface`) and its minimum is the
least-squares solution (:func:`least_squares_optimum`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .tap_model import _labels, _split_params, design_matrix
from .validation import as_finite_array

__all__ = ["QuadraticLoss", "least_squares_optimum", "loss_surface"]

@dataclass(frozen=True)
class QuadraticLoss:
    """The loss as the exact quadratic ``L(θ) = ½·θᵀHθ − gᵀθ + c``.

    Attributes
    ----------
    hessian : ndarray, shape (P, P)
        ``H = AᵀA/N`` (symmetric, positive semi-definite).
    linear : ndarray, shape (P,)
        ``g = Aᵀy/N``.
    constant : float
        ``c = yᵀy/(2N)``.
    """

    hessian: NDArray[np.float64]
    linear: NDArray[np.float64]
    constant: float

    @classmethod
    def from_data(cls, x: ArrayLike, y: ArrayLike, taps: int, bias: bool = False) -> QuadraticLoss:
        """Build ``H``, ``g`` and ``c`` from signals ``x`` (N, n) and labels ``y`` (N,)."""
        a = design_matrix(x, taps, bias)
        y = _labels(y, a.shape[0])
        n = a.shape[0]
        return cls(a.T @ a / n, a.T @ y / n, float(y @ y / (2 * n)))

    def __call__(self, params: ArrayLike) -> NDArray[np.float64] | float:
        """Loss at ``params`` of shape ``(P,)`` (a float) or ``(M, P)`` (shape ``(M,)``)."""
        theta = np.asarray(params, dtype=np.float64)
        values = 0.5 * np.einsum("...i,ij,...j->...", theta, self.hessian, theta)
        values = values - theta @ self.linear + self.constant
        return float(values) if theta.ndim == 1 else values

    def gradient(self, params: ArrayLike) -> NDArray[np.float64]:
        """``Hθ − g``, shape ``(P,)``."""
        return self.hessian @ np.asarray(params, dtype=np.float64) - self.linear

    def surface(
        self, params: ArrayLike, u: ArrayLike, v: ArrayLike, axes: tuple[int, int] = (0, 1)
    ) -> NDArray[np.float64]:
        """Loss on a grid of two parameters, the others held at ``params``; see loss_surface."""
        theta = as_finite_array(params, "the parameters", ndims=(1,))
        u = as_finite_array(u, "the grid values u", ndims=(1,))
        v = as_finite_array(v, "the grid values v", ndims=(1,))
        a, b = (int(i) for i in axes)
        if a == b or not (0 <= a < theta.size and 0 <= b < theta.size):
            raise ValueError(
                f"axes must be two different parameter indices in 0…{theta.size - 1}, got {axes}"
            )
        h, grad = self.hessian, self.gradient(theta)
        du, dv = u - theta[a], v - theta[b]
        # L(θ + d) = L(θ) + ∇L·d + ½ dᵀHd with d non-zero on axes a and b only
        rows = self(theta) + grad[a] * du + 0.5 * h[a, a] * du * du
        cols = grad[b] * dv + 0.5 * h[b, b] * dv * dv
        out = np.multiply.outer(du, h[a, b] * dv)
        out += rows[:, None]
        out += cols[None, :]
        return out


def loss_surface(
    x: ArrayLike,
    y: ArrayLike,
    params: ArrayLike,
    u: ArrayLike,
    v: ArrayLike,
    axes: tuple[int, int] = (0, 1),
    bias: bool = False,
) -> NDArray[np.float64]:
    """Exact loss over a grid of two parameters, the others held fixed (the landscape).

    The loss is a quadratic in the parameters, so the grid is evaluated in
    closed form (outer products, no loop): 200×200 points take well under a
    millisecond.

    Parameters
    ----------
    x, y : array_like, shapes (N, n) and (N,)
        Signals and labels.
    params : array_like, shape (P,)
        The point the slice goes through (weights, then the bias if ``bias``).
    u, v : array_like, shapes (U,) and (V,)
        Values of parameter ``axes[0]`` and of parameter ``axes[1]``.
    axes : (int, int)
        Indices of the two parameters that vary.
    bias : bool
        Whether the last parameter is a bias.

    Returns
    -------
    ndarray, shape (U, V)
        ``Z[i, j]`` is the loss with ``θ[axes[0]] = u[i]`` and ``θ[axes[1]] = v[j]``
        (the first index runs along ``u``, the x axis of an image plot).

    Examples
    --------
    >>> import numpy as np
    >>> from convlab.core import loss, updown_dataset
    >>> (x, y), _ = updown_dataset(seed=0)
    >>> z = loss_surface(x, y, [0.5, 0.5], [0.5, 1.0], [-1.0, 0.5, 2.0])
    >>> z.shape, bool(np.isclose(z[0, 1], loss(x, y, [0.5, 0.5])))
    ((2, 3), True)
    """
    _, taps = _split_params(params, bias)
    return QuadraticLoss.from_data(x, y, taps, bias).surface(params, u, v, axes)


def least_squares_optimum(
    x: ArrayLike, y: ArrayLike, taps: int = 2, bias: bool = False
) -> NDArray[np.float64]:
    """The parameters that minimise the loss exactly: the least-squares solution of ``A·θ ≈ y``.

    Solved with :func:`numpy.linalg.lstsq` (an SVD), not the normal equations:
    without a bias the window means ``F_j`` of these smooth signals are almost
    collinear, ``H = AᵀA/N`` has a condition number in the hundreds to thousands,
    and the valley along ``w₁ + w₂`` is nearly flat; the SVD still returns the
    optimum accurately (and the minimum-norm one if ``A`` is rank deficient,
    e.g. fewer signals than parameters).

    Returns
    -------
    ndarray, shape (P,)
        ``(w_1 … w_k[, b])``.

    Examples
    --------
    >>> from convlab.core import updown_dataset
    >>> (x, y), _ = updown_dataset(seed=0)
    >>> w1, w2, b = least_squares_optimum(x, y, bias=True)
    >>> bool(w1 > 0 > w2), round(float(b), 1)
    (True, 0.5)
    """
    a = design_matrix(x, taps, bias)
    return _lstsq(a, _labels(y, a.shape[0]))


def _lstsq(a: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.linalg.lstsq(a, y, rcond=None)[0]
