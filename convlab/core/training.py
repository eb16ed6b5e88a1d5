"""The notebook's tiny convolutional classifier, its exact loss, and a step-by-step trainer.

The model
---------
A kernel ``w`` of ``k`` taps (and optionally a bias ``b``) slides over a signal
``x`` of length ``n`` (valid cross-correlation, ``z_i = Σ_j w_j·x_{i+j}``,
``i = 0 … m-1`` with ``m = n-k+1``); the prediction is the mean of ``z`` plus
the bias, and the loss over ``N`` signals is ``L = ½·mean((y − p)²)``.

Because the mean is linear, ``p = Σ_j w_j·F_j + b`` where ``F_j = mean_i x_{i+j}``
is the mean of the ``j``-th window (:func:`window_means`). With the *design
matrix* ``A = [F, 1]`` (shape ``(N, P)``, the ``1`` column only with a bias) and
the parameter vector ``θ = (w_1 … w_k[, b])``::

    p = A·θ      L(θ) = ½·θᵀHθ − gᵀθ + c,   H = AᵀA/N,  g = Aᵀy/N,  c = yᵀy/(2N)

so the loss is an exact quadratic (:class:`QuadraticLoss`): its gradient is
``∇L = Aᵀ(p − y)/N = Hθ − g`` (the chain rule: ``∂L/∂p_n = (p_n − y_n)/N`` and
``∂p_n/∂w_j = F_{nj}``), its landscape over any two parameters is a paraboloid
(:func:`loss_surface`) and its minimum is the least-squares solution
(:func:`least_squares_optimum`).

What training converges to
--------------------------
Gradient descent on a convex quadratic goes to the least-squares optimum (with
a small enough learning rate: ``α·λ_max(H) < 2``). On the rising/falling data
(:func:`convlab.core.updown_dataset`, 2 taps, length 5) a signal
``x_t = a·t + b + noise`` has ``F_1 ≈ 1.5a + b`` and ``F_2 ≈ 2.5a + b``, so
``p ≈ (1.5·w₁ + 2.5·w₂)·a + (w₁ + w₂)·b``:

* **no bias** (the notebook's model): the response to the slope,
  ``1.5·w₁ + 2.5·w₂``, settles near ``E[a·y]/E[a²] = −0.75/(7/3) ≈ −1/3``, while
  ``w₁ + w₂`` only multiplies the random intercept and the noise: the two
  features are almost collinear, ``H`` is badly conditioned, and the valley
  along ``w₁ + w₂`` is long and flat, so plain gradient descent crawls. Rising
  signals are then predicted below 0.5, but falling ones only cross 0.5 for
  steep slopes: test accuracy stays mediocre (over 200 seeds: median 70 %,
  90 % of the data sets between 50 and 90 %; training accuracy 60–85 %).
* **with a bias** the bias takes the mean label (0.5 ± 0.03), and the kernel
  becomes a difference filter, ``p ≈ 0.5 − a/3``: ``w₂ < 0 < w₁`` (``w₁ > 0`` in
  about 99 % of the data sets), ``w₁ − w₂ ≈ 0.44`` while ``w₁ + w₂ ≈ −0.05``
  stays small (it still picks up a little slope, since ``F_1 + F_2`` carries
  ``4a``). The test set is classified perfectly (every one of 300 seeds checked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_finite_array, check_positive_int
from .datasets import UpDownSplit
from .optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    Momentum,
    Nesterov,
    Optimizer,
    make_optimizer,
)

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "GradientCheck",
    "History",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "QuadraticLoss",
    "Trainer",
    "accuracy",
    "check_gradient",
    "design_matrix",
    "least_squares_optimum",
    "loss",
    "loss_gradient",
    "loss_surface",
    "make_optimizer",
    "param_names",
    "predict",
    "window_means",
]

#: Predictions above this are class 1 (falling), at or below class 0 (rising).
THRESHOLD = 0.5


def param_names(taps: int, bias: bool = False) -> list[str]:
    """Names of the parameters in order: ``["w1", …, "wk"]`` plus ``"b"`` with a bias.

    >>> param_names(2, bias=True)
    ['w1', 'w2', 'b']
    """
    taps = check_positive_int(taps, "the number of taps")
    return [f"w{j + 1}" for j in range(taps)] + (["b"] if bias else [])


def _signals(x: ArrayLike) -> NDArray[np.float64]:
    return as_finite_array(x, "the signals x", ndims=(2,))


def window_means(x: ArrayLike, taps: int) -> NDArray[np.float64]:
    """Mean of each of the ``taps`` windows a valid cross-correlation sees.

    ``F[n, j] = mean_i x[n, i + j]`` for ``i = 0 … m-1``, ``m = length - taps + 1``:
    the mean of the valid cross-correlation of ``x[n]`` with the kernel ``w``
    (:func:`convlab.core.conv1d`) is ``Σ_j w_j·F[n, j]``, so ``F`` is also ``∂p/∂w``:
    the average over positions of :func:`convlab.core.conv1d_weight_jacobian`.

    Parameters
    ----------
    x : array_like, shape (N, n)
        One signal per row.
    taps : int
        Kernel size ``k``, ``1 <= k <= n``.

    Returns
    -------
    ndarray, shape (N, k)

    Examples
    --------
    >>> window_means([[0.0, 1.0, 2.0, 3.0, 4.0]], 2)
    array([[1.5, 2.5]])
    """
    x = _signals(x)
    taps = check_positive_int(taps, "the number of taps")
    if taps > x.shape[1]:
        raise ValueError(
            f"a kernel of {taps} taps does not fit in signals of length {x.shape[1]}"
        )
    m = x.shape[1] - taps + 1
    csum = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)
    return (csum[:, m : m + taps] - csum[:, :taps]) / m


def design_matrix(x: ArrayLike, taps: int, bias: bool = False) -> NDArray[np.float64]:
    """The matrix ``A`` with ``p = A·θ``: :func:`window_means`, plus a column of ones for the bias.

    Returns
    -------
    ndarray, shape (N, P)
        ``P = taps + bias``.
    """
    features = window_means(x, taps)
    if bias:
        features = np.concatenate([features, np.ones((features.shape[0], 1))], axis=1)
    return features


def _split_params(params: ArrayLike, bias: bool) -> tuple[NDArray[np.float64], int]:
    theta = as_finite_array(params, "the parameters", ndims=(1,))
    taps = theta.size - int(bool(bias))
    if taps < 1:
        raise ValueError("the parameters must hold at least one weight (and the bias last)")
    return theta, taps


def _labels(y: ArrayLike, n: int) -> NDArray[np.float64]:
    y = as_finite_array(y, "the labels y", ndims=(1,))
    if y.shape[0] != n:
        raise ValueError(f"got {y.shape[0]} labels for {n} signals")
    return y


def predict(x: ArrayLike, params: ArrayLike, bias: bool = False) -> NDArray[np.float64]:
    """Model output ``p = mean_i (x ⋆ w)_i (+ b)`` for every signal.

    Parameters
    ----------
    x : array_like, shape (N, n)
    params : array_like, shape (P,)
        ``(w_1 … w_k)``, followed by ``b`` when ``bias`` is True.
    bias : bool
        Whether the last parameter is a bias.

    Returns
    -------
    ndarray, shape (N,)

    Examples
    --------
    >>> predict([[0.0, 1.0, 2.0, 3.0, 4.0]], [1.0, -1.0, 0.5], bias=True)   # 1.5 - 2.5 + 0.5
    array([-0.5])
    """
    theta, taps = _split_params(params, bias)
    return design_matrix(x, taps, bias) @ theta


def loss(x: ArrayLike, y: ArrayLike, params: ArrayLike, bias: bool = False) -> float:
    """``L = ½·mean((y − p)²)``; shapes as in :func:`predict`, ``y`` is ``(N,)``."""
    p = predict(x, params, bias)
    return float(0.5 * np.mean((_labels(y, p.size) - p) ** 2))


def loss_gradient(
    x: ArrayLike, y: ArrayLike, params: ArrayLike, bias: bool = False
) -> NDArray[np.float64]:
    """Exact gradient ``∂L/∂θ = Aᵀ(p − y)/N`` by the chain rule.

    ``∂L/∂p_n = (p_n − y_n)/N``, ``∂p_n/∂w_j = mean_i x_{n,i+j} = F_{nj}`` (the
    Jacobian of the valid cross-correlation, ``∂z_i/∂w_j = x_{i+j}``, averaged)
    and ``∂p_n/∂b = 1``.

    Returns
    -------
    ndarray, shape (P,)
    """
    theta, taps = _split_params(params, bias)
    a = design_matrix(x, taps, bias)
    residual = a @ theta - _labels(y, a.shape[0])
    return a.T @ residual / a.shape[0]


def accuracy(
    x: ArrayLike, y: ArrayLike, params: ArrayLike, bias: bool = False,
    threshold: float = THRESHOLD,
) -> float:
    """Fraction of signals whose class (``p > threshold`` → 1) equals the label."""
    p = predict(x, params, bias)
    return float(np.mean((p > threshold) == (_labels(y, p.size) > threshold)))


@dataclass(frozen=True)
class GradientCheck:
    """Result of :func:`check_gradient`.

    Attributes
    ----------
    analytic, numeric : ndarray, shape (P,)
        The chain-rule gradient and the central finite differences.
    relative_error : float
        ``‖analytic − numeric‖ / max(‖analytic‖ + ‖numeric‖, 1e4·resolution)``.
    resolution : float
        Rounding noise of the differences, ``ε·max|L(θ ± h)|/h`` (``ε`` = machine
        epsilon): a gradient smaller than this cannot be measured by finite differences.
    """

    analytic: NDArray[np.float64]
    numeric: NDArray[np.float64]
    relative_error: float
    resolution: float


def check_gradient(
    x: ArrayLike, y: ArrayLike, params: ArrayLike, bias: bool = False, eps: float = 1e-4
) -> GradientCheck:
    """Compare :func:`loss_gradient` with central finite differences of :func:`loss`.

    ``numeric_i = (L(θ + h_i e_i) − L(θ − h_i e_i)) / (2 h_i)`` with
    ``h_i = eps·max(1, |θ_i|)``. For this quadratic loss central differences
    have no truncation error, so a fairly large step (``1e-4``) is best: it keeps
    the rounding noise small, and the relative error is around ``1e-10``. Near
    the optimum the gradient itself vanishes into the rounding noise
    of the differences; the error is then measured against ``1e4`` times that
    noise (see :class:`GradientCheck`) instead of reporting noise divided by noise.

    Examples
    --------
    >>> from convlab.core import updown_dataset
    >>> (x, y), _ = updown_dataset(seed=1)
    >>> check_gradient(x, y, [0.5, 0.5]).relative_error < 1e-7
    True
    """
    theta, _ = _split_params(params, bias)
    analytic = loss_gradient(x, y, theta, bias)
    numeric = np.empty_like(theta)
    resolution = 0.0
    for i in range(theta.size):
        h = eps * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        l_up, l_down = loss(x, y, up, bias), loss(x, y, down, bias)
        numeric[i] = (l_up - l_down) / (2 * h)
        noise = np.finfo(np.float64).eps * max(abs(l_up), abs(l_down)) / h
        resolution = max(resolution, float(noise))
    scale = max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), 1e4 * resolution)
    error = float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0
    return GradientCheck(analytic, numeric, error, resolution)


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
    >>> from convlab.core import updown_dataset
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


class History:
    """Training history with a size cap: points thinned evenly as the run grows.

    Each point is ``(step, params, train_loss, test_loss, train_accuracy,
    test_accuracy)``. Points are kept every :attr:`stride` steps (1 at first),
    plus always the latest one. When the cap is reached the stride doubles and
    every point off the new grid is dropped, so an overnight run keeps between
    ``cap/2`` and ``cap`` evenly spaced points (step 0 always among them) and
    memory stays bounded.

    Attributes (read-only views, valid until the next change)
    ----------------------------------------------------------
    steps : ndarray, shape (M,), int64
    params : ndarray, shape (M, P)
    train_loss, test_loss, train_accuracy, test_accuracy : ndarray, shape (M,)
    stride : int
        Current spacing of the kept steps.
    """

    _COLUMNS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")

    def __init__(self, n_params: int, cap: int = 20_000):
        self.cap = check_positive_int(cap, "the history cap", minimum=8)
        self._steps = np.zeros(self.cap, dtype=np.int64)
        self._params = np.zeros((self.cap, n_params))
        self._values = np.zeros((len(self._COLUMNS), self.cap))
        self._size = 0
        self.stride = 1

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        """Remove every point (and go back to keeping every step)."""
        self._size = 0
        self.stride = 1

    def append(self, steps: NDArray, params: NDArray, values: NDArray) -> None:
        """Add points: increasing ``steps`` (M,), ``params`` (M, P), ``values`` (4, M)."""
        if len(steps) == 0:
            return
        if self._size and self._steps[self._size - 1] % self.stride:
            self._size -= 1  # the previous latest point was off the grid: replace it
        start = 0
        while True:
            rows = start + np.flatnonzero(steps[start:] % self.stride == 0)
            if rows.size == 0 or rows[-1] != len(steps) - 1:
                rows = np.append(rows, len(steps) - 1)  # the latest point, always
            free = self.cap - self._size
            if rows.size <= free:
                self._write(steps, params, values, rows)
                return
            if free:
                self._write(steps, params, values, rows[:free])
                start = int(rows[free - 1]) + 1
            self._thin()

    def _write(self, steps: NDArray, params: NDArray, values: NDArray, rows: NDArray) -> None:
        size, n = self._size, rows.size
        self._steps[size : size + n] = steps[rows]
        self._params[size : size + n] = params[rows]
        self._values[:, size : size + n] = values[:, rows]
        self._size += n

    def _thin(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self._steps[: self._size] % self.stride == 0)
        n = keep.size
        self._steps[:n] = self._steps[keep]
        self._params[:n] = self._params[keep]
        self._values[:, :n] = self._values[:, keep]
        self._size = n

    @property
    def steps(self) -> NDArray[np.int64]:
        return self._steps[: self._size]

    @property
    def params(self) -> NDArray[np.float64]:
        return self._params[: self._size]

    def __getattr__(self, name: str) -> NDArray[np.float64]:
        if name in History._COLUMNS:
            return self._values[History._COLUMNS.index(name), : self._size]
        raise AttributeError(name)


class Trainer:
    """Trains the k-tap model step by step, keeping a history; reproducible and NaN-safe.

    Parameters
    ----------
    data : ((x_train, y_train), (x_test, y_test))
        As returned by :func:`convlab.core.updown_dataset`; shapes ``(N, n)``, ``(N,)``.
    taps : int
        Kernel size ``k`` (2 as in the notebook).
    bias : bool
        Add a trainable bias (the notebook has none).
    initial_params : array_like, shape (P,), optional
        Starting ``(w_1 … w_k[, b])``; default every weight ``0.5`` and the bias ``0``.
    learning_rates : float or array_like, shape (P,)
        One learning rate per parameter (the notebook's ``alphas = (0.01, 0.01)``).
    optimizer : str
        ``"sgd"``, ``"momentum"``, ``"nesterov"`` or ``"adam"``
        (see :mod:`convlab.core.optimizers` for the formulas).
    batch_size : int, optional
        ``None`` (default) uses every training signal in each step (full batch);
        otherwise each step uses the next ``batch_size`` signals of a shuffled
        epoch (the last batch of an epoch may be smaller).
    seed : int, optional
        Seeds the mini-batch shuffling; the same seed gives the same run.
    history_cap : int
        Maximum number of history points kept (see :class:`History`).
    explode_factor : float
        The run counts as diverged when the training loss exceeds
        ``explode_factor · max(L₀, 1)`` (``L₀`` = loss at step 0) or becomes NaN/inf.
    **optimizer_options
        ``momentum`` (momentum, Nesterov), ``beta1``, ``beta2``, ``eps`` (Adam).

    Notes
    -----
    The loss is a convex quadratic, so with a small enough learning rate the
    weights converge to :func:`least_squares_optimum` of the training set. With
    the notebook's defaults (no bias) ``1.5·w₁ + 2.5·w₂`` approaches ≈ −1/3
    quickly, then the weights crawl along the flat valley of ``w₁ + w₂``; test
    accuracy ends mediocre, typically 50–90 %. With ``bias=True`` the kernel
    becomes a difference filter (``w₂ < 0 < w₁``, ``w₁ + w₂`` small), ``b ≈ 0.5``
    and test accuracy reaches 100 % (see the module docstring for the derivation
    and the statistics over seeds).

    When the loss becomes NaN/inf or explodes, the trainer stops at the last
    finite state (parameters, optimizer memory, history), :attr:`diverged` is
    True and :attr:`status` says at which step. :meth:`reset`,
    :meth:`set_params` or a new learning rate / optimizer allow stepping again.

    Examples
    --------
    >>> from convlab.core import updown_dataset
    >>> trainer = Trainer(updown_dataset(seed=0))
    >>> trainer.step(1000)
    1000
    >>> len(trainer.history), trainer.step_count
    (1001, 1000)
    """

    _CHUNK = 2048  # steps run between vectorized evaluations (bounds memory and the replay)

    def __init__(
        self,
        data: UpDownSplit,
        taps: int = 2,
        bias: bool = False,
        initial_params: ArrayLike | None = None,
        learning_rates: ArrayLike = 0.01,
        optimizer: str = "sgd",
        batch_size: int | None = None,
        seed: int | None = None,
        history_cap: int = 20_000,
        explode_factor: float = 1e6,
        **optimizer_options: float,
    ):
        (x_train, y_train), (x_test, y_test) = data
        self.taps = check_positive_int(taps, "the number of taps")
        self.bias = bool(bias)
        self.names = param_names(self.taps, self.bias)
        n_params = len(self.names)
        self._a_train = design_matrix(x_train, self.taps, self.bias)
        self._a_test = design_matrix(x_test, self.taps, self.bias)
        self._y_train = _labels(y_train, self._a_train.shape[0])
        self._y_test = _labels(y_test, self._a_test.shape[0])
        self.quadratic = QuadraticLoss.from_data(x_train, y_train, self.taps, self.bias)
        self.test_quadratic = QuadraticLoss.from_data(x_test, y_test, self.taps, self.bias)
        if initial_params is None:
            initial = np.full(n_params, 0.5)
            if self.bias:
                initial[-1] = 0.0
        else:
            initial = self._check_params(initial_params)
        self._initial = initial
        self.explode_factor = float(explode_factor)
        if not self.explode_factor > 1:
            raise ValueError(f"explode_factor must be > 1, got {explode_factor}")
        self.seed = seed
        self.batch_size = None
        self.set_batch_size(batch_size)
        self.optimizer: Optimizer = make_optimizer(
            optimizer, n_params, learning_rates, **optimizer_options
        )
        self.history = History(n_params, history_cap)
        self._params = np.zeros(n_params)
        self._grad = np.zeros(n_params)
        self._buffer = np.zeros((self._CHUNK, n_params))
        self.reset()

    # -- configuration ---------------------------------------------------------------------
    def _check_params(self, params: ArrayLike) -> NDArray[np.float64]:
        theta = as_finite_array(params, "the parameters", ndims=(1,)).copy()
        if theta.size != len(self.names):
            raise ValueError(
                f"give {len(self.names)} parameters ({', '.join(self.names)}), got {theta.size}"
            )
        return theta

    @property
    def n_params(self) -> int:
        """Number of parameters ``P`` (taps, plus one with a bias)."""
        return len(self.names)

    @property
    def initial_params(self) -> NDArray[np.float64]:
        """The starting point :meth:`reset` returns to, shape ``(P,)``."""
        return self._initial.copy()

    @property
    def learning_rates(self) -> NDArray[np.float64]:
        """Current learning rates, shape ``(P,)``."""
        return self.optimizer.learning_rates.copy()

    def set_learning_rates(self, learning_rates: ArrayLike) -> None:
        """New learning rates, used from the next step (the optimizer keeps its memory)."""
        self.optimizer.set_learning_rates(learning_rates)
        self._diverged_at = None

    def set_optimizer(self, name: str, **options: float) -> None:
        """Switch optimizer from the next step (its memory starts at zero; learning rates kept)."""
        self.optimizer = make_optimizer(name, self.n_params, self.optimizer.learning_rates,
                                        **options)
        self._diverged_at = None

    def set_batch_size(self, batch_size: int | None) -> None:
        """``None`` for full batch, else the mini-batch size (from the next step)."""
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "the batch size")
            if batch_size >= self._a_train.shape[0]:
                batch_size = None  # a batch as large as the training set is the full batch
        self.batch_size = batch_size

    # -- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the initial parameters, step 0, fresh optimizer memory and shuffling."""
        self._params[:] = self._initial
        self.optimizer.reset()
        self._rng = np.random.default_rng(self.seed)
        self._order = np.arange(self._a_train.shape[0])
        self._position = self._order.size  # the first mini-batch step draws a permutation
        self.step_count = 0
        self._diverged_at: int | None = None
        self.history.clear()
        values = self._evaluate(self._params[None, :])
        self._start_loss = float(values[0, 0])
        self.history.append(np.zeros(1, dtype=np.int64), self._params[None, :], values)

    def set_params(self, params: ArrayLike) -> None:
        """Restart from ``params`` (P,): the new start that :meth:`reset` returns to."""
        self._initial = self._check_params(params)
        self.reset()

    @property
    def params(self) -> NDArray[np.float64]:
        """Current ``(w_1 … w_k[, b])``, a copy, shape ``(P,)``."""
        return self._params.copy()

    @property
    def diverged_at(self) -> int | None:
        """The step at which the loss blew up (the run stopped one step before), or None."""
        return self._diverged_at

    @property
    def diverged(self) -> bool:
        """True after the loss became NaN/inf or exploded (the trainer stopped)."""
        return self._diverged_at is not None

    @property
    def status(self) -> str:
        """A sentence for the status bar: the step count, or where the run diverged."""
        if self._diverged_at is not None:
            return (f"diverged at step {self._diverged_at} — lower the learning rate "
                    f"(stopped at the last finite state, step {self.step_count})")
        return f"step {self.step_count}"

    def gradient(self) -> NDArray[np.float64]:
        """Full-batch gradient of the training loss at the current parameters, shape ``(P,)``."""
        return self.quadratic.gradient(self._params)

    def optimum(self) -> NDArray[np.float64]:
        """:func:`least_squares_optimum` of the training set, shape ``(P,)``."""
        return _lstsq(self._a_train, self._y_train)

    def metrics(self) -> dict[str, float]:
        """The latest history values: ``train_loss``, ``test_loss``, ``train_accuracy``, …."""
        h = self.history
        return {name: float(getattr(h, name)[-1]) for name in History._COLUMNS}

    # -- stepping --------------------------------------------------------------------------
    def _evaluate(self, params: NDArray[np.float64]) -> NDArray[np.float64]:
        """Losses and accuracies at many parameter vectors (M, P) → (4, M)."""
        out = np.empty((4, params.shape[0]))
        for row, a, y in ((0, self._a_train, self._y_train), (1, self._a_test, self._y_test)):
            # p = Σ_j θ_j·A_j term by term, not a matrix product: the rounding is then the
            # same however the steps were grouped, so a rerun is identical to the last bit
            pred = np.multiply.outer(params[:, 0], a[:, 0])  # (M, N)
            for j in range(1, a.shape[1]):
                pred += np.multiply.outer(params[:, j], a[:, j])
            out[row + 2] = np.mean((pred > THRESHOLD) == (y > THRESHOLD), axis=1)
            pred -= y
            np.square(pred, out=pred)
            out[row] = 0.5 * np.mean(pred, axis=1)
        return out

    def _snapshot(self) -> dict[str, Any]:
        return {
            "params": self._params.copy(),
            "optimizer": self.optimizer.get_state(),
            "rng": self._rng.bit_generator.state,
            "order": self._order.copy(),
            "position": self._position,
        }

    def _restore(self, snap: dict[str, Any]) -> None:
        self._params[:] = snap["params"]
        self.optimizer.set_state(snap["optimizer"])
        self._rng.bit_generator.state = snap["rng"]
        self._order[:] = snap["order"]
        self._position = snap["position"]

    def _run(self, out: NDArray[np.float64]) -> None:
        """The hot loop: ``len(out)`` updates, the parameters after each written to ``out``."""
        theta, grad, update = self._params, self._grad, self.optimizer.update
        if self.batch_size is None:
            h, g = self.quadratic.hessian, self.quadratic.linear
            for row in out:
                np.dot(h, theta, out=grad)  # ∇L = Hθ − g
                grad -= g
                update(theta, grad)
                row[:] = theta
            return
        a, y, size, n = self._a_train, self._y_train, self.batch_size, self._a_train.shape[0]
        for row in out:
            if self._position >= n:
                self._order = self._rng.permutation(n)
                self._position = 0
            batch = self._order[self._position : self._position + size]
            self._position += size
            a_batch = a[batch]
            residual = a_batch @ theta - y[batch]
            np.dot(residual, a_batch, out=grad)  # Aᵀ(p − y)/B
            grad /= batch.size
            update(theta, grad)
            row[:] = theta

    def step(self, n: int = 1) -> int:
        """Make up to ``n`` updates; returns how many were made (fewer if the run diverged).

        Each update is recorded in :attr:`history`. A diverged trainer makes no
        update (returns 0) until it is reset or given new settings.
        """
        n = check_positive_int(n, "the number of steps", minimum=0)
        done = 0
        with np.errstate(all="ignore"):
            while done < n and self._diverged_at is None:
                m = min(n - done, self._CHUNK)
                snap = self._snapshot()
                block = self._buffer[:m]
                self._run(block)
                values = self._evaluate(block)
                limit = self.explode_factor * max(self._start_loss, 1.0)
                bad = ~np.isfinite(values[:2]).all(axis=0) | ~(values[0] <= limit)
                if bad.any():
                    m = int(np.argmax(bad))
                    self._restore(snap)
                    self._run(block[:m])  # replay up to the last finite state
                    self._diverged_at = self.step_count + m + 1
                steps = np.arange(self.step_count + 1, self.step_count + m + 1)
                self.history.append(steps, block[:m], values[:, :m])
                self.step_count += m
                done += m
        return done
