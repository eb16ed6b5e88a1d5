"""The notebook's tiny convolutional classifier: prediction, loss, exact gradient and its check.

A kernel ``w`` of ``k`` taps (and optionally a bias ``b``) slides over a signal
``x`` of length ``n`` (valid cross-correlation, ``z_i = Σ_j w_j·x_{i+j}``,
``i = 0 … m-1`` with ``m = n-k+1``); the prediction is the mean of ``z`` plus
the bias, and the loss over ``N`` signals is ``L = ½·mean((y − p)²)``.

Because the mean is linear, ``p = Σ_j w_j·F_j + b`` where ``F_j = mean_i x_{i+j}``
is the mean of the ``j``-th window (:func:`window_means`). With the *design
matrix* ``A = [F, 1]`` (shape ``(N, P)``, the ``1`` column only with a bias,
:func:`design_matrix`) and the parameter vector ``θ = (w_1 … w_k[, b])``,
``p = A·θ``; the gradient is ``∇L = Aᵀ(p − y)/N`` (the chain rule:
``∂L/∂p_n = (p_n − y_n)/N`` and ``∂p_n/∂w_j = F_{nj}``), checked against finite
differences by :func:`check_gradient`. The loss as an exact quadratic in ``θ``
lives in :mod:`convlab.core.quadratic_loss`, training in :mod:`convlab.core.training`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .validation import as_finite_array, check_choice, check_positive_int

__all__ = [
    "GRADIENTS",
    "GradientCheck",
    "accuracy",
    "check_gradient",
    "design_matrix",
    "formula_gradient",
    "loss",
    "loss_gradient",
    "param_names",
    "predict",
    "window_means",
]

#: Predictions above this are class 1 (falling), at or below class 0 (rising).
THRESHOLD = 0.5

#: The gradient formulas :func:`formula_gradient` (and :class:`convlab.core.Trainer`) know:
#: ``"chain_rule"`` — the exact gradient ``Aᵀ(p − y)/N``;
#: ``"notebook"`` — the notebook's lambdas as written, ``mean(X[0][:-1])``, ``mean(X[0][1:])``
#: (no chain rule, and the *signals* (rows) sliced instead of the window positions);
#: ``"no_chain_rule"`` — the columns sliced as meant, ``mean(x[:, :-1])``, ``mean(x[:, 1:])``,
#: but still no ``(p − y)`` factor.
GRADIENTS = ("chain_rule", "notebook", "no_chain_rule")


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


def formula_gradient(
    x: ArrayLike, y: ArrayLike, params: ArrayLike, bias: bool = False,
    formula: str = "chain_rule",
) -> NDArray[np.float64]:
    """The "gradient" a formula of :data:`GRADIENTS` gives at ``params``.

    * ``"chain_rule"``: :func:`loss_gradient`, ``Aᵀ(p − y)/N``.
    * ``"no_chain_rule"``: ``∂p/∂θ`` averaged over the signals, ``mean_n A[n]`` —
      for 2 taps ``(mean(x[:, :-1]), mean(x[:, 1:]))``; the missing factor is
      ``∂L/∂p = (p − y)``, so it does not depend on the weights.
    * ``"notebook"``: the notebook's ``(t.X[0][:-1]).mean()``, ``(t.X[0][1:]).mean()``
      read literally: tap ``j`` of ``k`` averages the *rows* ``j … N−k+j`` of the
      training matrix (signals, not window positions), and no chain rule either.

    Both wrong formulas give ``1`` for the bias (``∂p/∂b`` without ``∂L/∂p``).

    Parameters
    ----------
    x : array_like, shape (N, n)
    y : array_like, shape (N,)
    params : array_like, shape (P,)
    bias : bool
    formula : str
        One of :data:`GRADIENTS`.

    Returns
    -------
    ndarray, shape (P,)

    Examples
    --------
    >>> x = [[0.0, 1.0, 2.0], [4.0, 5.0, 6.0]]
    >>> formula_gradient(x, [0.0, 1.0], [9.0, 9.0], formula="notebook")   # rows 0 and 1
    array([1., 5.])
    >>> formula_gradient(x, [0.0, 1.0], [9.0, 9.0], formula="no_chain_rule")
    array([2.5, 3.5])
    """
    check_choice(formula, "the gradient formula", GRADIENTS)
    theta, taps = _split_params(params, bias)
    if formula == "chain_rule":
        return loss_gradient(x, y, theta, bias)
    x = _signals(x)
    _labels(y, x.shape[0])
    if formula == "no_chain_rule":
        return design_matrix(x, taps, bias).mean(axis=0)
    return notebook_gradient(x, taps, bias)


def notebook_gradient(x: ArrayLike, taps: int, bias: bool = False) -> NDArray[np.float64]:
    """The notebook's constant "gradient": tap ``j`` is the mean of rows ``j … N−taps+j`` of ``x``.

    Parameters
    ----------
    x : array_like, shape (N, n)
        The training matrix, one signal per row (``N >= taps``).

    Returns
    -------
    ndarray, shape (taps + bias,)
    """
    x = _signals(x)
    taps = check_positive_int(taps, "the number of taps")
    n = x.shape[0] - taps + 1
    if n < 1:
        raise ValueError(f"the notebook's gradient slices {taps} taps from the rows: "
                         f"give at least {taps} signals, got {x.shape[0]}")
    values = [float(np.mean(x[j : j + n])) for j in range(taps)]
    return np.array(values + ([1.0] if bias else []))


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
    x: ArrayLike, y: ArrayLike, params: ArrayLike, bias: bool = False, eps: float = 1e-4,
    formula: str = "chain_rule",
) -> GradientCheck:
    """Compare :func:`loss_gradient` with central finite differences of :func:`loss`.

    ``formula`` (one of :data:`GRADIENTS`) picks the analytic side: a wrong
    formula (:func:`formula_gradient`) shows up as a large relative error.

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
    analytic = formula_gradient(x, y, theta, bias, formula)
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
