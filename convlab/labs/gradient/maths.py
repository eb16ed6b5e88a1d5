"""The Gradient Descent lab's geometry of the loss (numpy only, no Qt).

:func:`landscape_window` picks the part of the weight plane to show,
:func:`quadratic_contours` draws exact level curves of the quadratic loss, and
:func:`sgd_curvature` says what the Hessian means for plain gradient descent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Curvature", "landscape_window", "quadratic_contours", "sgd_curvature"]


def landscape_window(
    points: ArrayLike, margin: float = 0.6, min_span: float = 0.6
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square-ish window around ``points`` (shape ``(M, 2)``): ``((u0, u1), (v0, v1))``.

    The box around the points is widened by ``margin`` times its size on each
    side, and each side is at least ``min_span`` long, so both the start and
    the optimum are well inside.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if pts.size == 0:
        pts = np.zeros((1, 2))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum((hi - lo) * (1 + 2 * margin), min_span)
    span[:] = span.max()  # the plot keeps the aspect ratio: use a square
    centre = (lo + hi) / 2
    return ((centre[0] - span[0] / 2, centre[0] + span[0] / 2),
            (centre[1] - span[1] / 2, centre[1] + span[1] / 2))


def quadratic_contours(
    hessian: ArrayLike, gradient: ArrayLike, value: float, origin: ArrayLike,
    levels: Iterable[float], points: int = 256,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact level curves of a quadratic in the plane, as one polyline with breaks.

    ``L(o + d) = value + gradient·d + ½·dᵀ·hessian·d`` (a 2-D slice of the loss
    through the point ``o``) has ellipses as level curves, centred on the slice's
    minimum ``d* = −H⁻¹·gradient`` with semi-axes ``√(2·(c − L_min)/λ)`` along the
    eigenvectors of ``H``. No grid, no marching squares: exact and cheap even for
    the long, thin ellipses of an ill-conditioned valley.

    Parameters
    ----------
    hessian : array_like, shape (2, 2)
        Symmetric positive semi-definite (a flat direction is treated as very
        slightly curved, which draws its level curves as long straight lines).
    gradient : array_like, shape (2,)
    value : float
        ``L(o)``.
    origin : array_like, shape (2,)
        ``o``, the point the slice goes through.
    levels : iterable of float
        Loss values ``c``; levels at or below the slice's minimum have no curve.
    points : int
        Points per ellipse.

    Returns
    -------
    x, y : ndarray, shape (M,)
        The ellipses one after the other.
    connect : ndarray of bool, shape (M,)
        False at the last point of each ellipse (for a pyqtgraph curve's ``connect``).
    """
    h = np.asarray(hessian, dtype=float)
    g = np.asarray(gradient, dtype=float)
    o = np.asarray(origin, dtype=float)
    empty = np.zeros(0)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(g)) and np.all(np.isfinite(o))
            and np.isfinite(value)):
        return empty, empty, np.zeros(0, dtype=bool)  # e.g. a point where the loss overflows
    lam, q = np.linalg.eigh(h)
    if not lam.max() > 0:
        return empty, empty, np.zeros(0, dtype=bool)
    lam = np.maximum(lam, lam.max() * 1e-12)
    centre = o - q @ ((q.T @ g) / lam)
    minimum = float(value) - 0.5 * float((q.T @ g) ** 2 @ (1 / lam))
    t = np.linspace(0.0, 2 * np.pi, points)
    circle = np.stack([np.cos(t), np.sin(t)])
    curves = [
        centre[:, None] + q @ (np.sqrt(2 * (c - minimum) / lam)[:, None] * circle)
        for c in levels if c > minimum
    ]
    if not curves:
        return empty, empty, np.zeros(0, dtype=bool)
    xy = np.concatenate(curves, axis=1)
    connect = np.ones(xy.shape[1], dtype=bool)
    connect[points - 1 :: points] = False
    return xy[0], xy[1], connect


@dataclass(frozen=True)
class Curvature:
    """What the Hessian says about plain gradient descent; see :func:`sgd_curvature`."""

    eigenvalues: np.ndarray  # λ of H, ascending
    scaled: np.ndarray  # μ of α^½·H·α^½ (the step's curvature), ascending
    slowest_factor: float  # max |1 − μ|: the slowest direction shrinks by this per step
    steps_per_efold: float  # steps to shrink that direction by e (inf if it does not)

    @property
    def ratio(self) -> float:
        """λ_max / λ_min: how long and narrow the valley is (inf if flat)."""
        return float(self.eigenvalues[-1] / self.eigenvalues[0]) if self.eigenvalues[0] > 0 \
            else float("inf")

    @property
    def stable(self) -> bool:
        """Full-batch SGD converges iff every μ lies in (0, 2)."""
        return bool(self.scaled[-1] < 2)


def sgd_curvature(hessian: ArrayLike, learning_rates: ArrayLike) -> Curvature:
    """Curvature of the quadratic loss and its meaning for full-batch SGD.

    SGD with learning rates ``α`` (one per parameter) moves the error
    ``e = θ − θ*`` by ``e ← (I − diag(α)·H)·e``. That matrix is similar to
    ``I − M`` with ``M = α^½·H·α^½``, so each eigen-direction of ``M`` shrinks by
    ``|1 − μ|`` per step: SGD diverges once ``μ_max > 2`` and, while stable, crawls
    along the direction of ``μ_min`` (the flat valley) at ``1 − μ_min`` per step.

    Parameters
    ----------
    hessian : array_like, shape (P, P)
    learning_rates : array_like, shape (P,)

    Examples
    --------
    >>> c = sgd_curvature([[4.0, 0.0], [0.0, 0.01]], [0.1, 0.1])
    >>> c.ratio, c.stable, round(c.slowest_factor, 4)
    (400.0, True, 0.999)
    """
    h = np.asarray(hessian, dtype=float)
    root = np.sqrt(np.asarray(learning_rates, dtype=float))
    lam = np.linalg.eigvalsh(h)
    mu = np.linalg.eigvalsh(root[:, None] * h * root[None, :])
    factor = float(np.max(np.abs(1 - mu)))  # the spectral radius of I − M
    efold = float(-1 / np.log(factor)) if 0 < factor < 1 else float("inf")
    return Curvature(lam, mu, factor, efold)
