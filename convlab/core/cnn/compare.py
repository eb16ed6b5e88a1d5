"""How far a learned kernel is from the notebook's hand-made line detectors.

The *detector distance* of a kernel ``w`` is

    d(w) = min over detectors D and signs s ∈ {+1, −1} of ‖ w/‖w‖ − s·D/‖D‖ ‖₂

(Frobenius norms over the kernel's pixels). Both kernels are scaled to unit
length first, so only the *pattern* counts, not its strength (a ReLU network
can rescale a kernel and its bias freely); the sign is free because a negated
detector finds the same line, dark on light. ``d = 0`` means the kernel *is* a
line detector up to scale; ``d = √2 ≈ 1.41`` means it is orthogonal to all four
(unrelated), which is as far as the minimum over both signs can be. Because
``‖a − b‖² = 2 − 2·a·b`` for unit vectors, ``d = √(2 − 2·|cos θ|)`` with ``θ``
the angle to the nearest detector.

Examples
--------
>>> import numpy as np
>>> bank = line_detector_bank()
>>> d, nearest = detector_distance(-3 * bank[2:3])      # a scaled, negated detector
>>> float(d[0]), int(nearest[0])
(0.0, 2)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .init import line_detector_bank

__all__ = ["detector_distance"]


def detector_distance(weight: ArrayLike, detectors: ArrayLike | None = None
                      ) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Each kernel's distance to the nearest line detector (see the module docstring).

    Parameters
    ----------
    weight : (C, 1, k, k) or (C, k, k) array
        The kernels of a first layer (one input channel), e.g. ``model.params["0.weight"]``.
    detectors : (D, k, k) or (D, 1, k, k) array, optional
        The kernels to compare with (default: the notebook's four 3×3 line detectors).

    Returns
    -------
    distance : (C,) float64
        In ``[0, √2]``; NaN for an all-zero kernel (it has no pattern).
    nearest : (C,) int
        Index of the nearest detector (−1 for an all-zero kernel).

    Raises
    ------
    ValueError
        If the kernels and the detectors do not have the same size.
    """
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim == 4 and w.shape[1] == 1:
        w = w[:, 0]
    d = line_detector_bank() if detectors is None else np.asarray(detectors, np.float64)
    if d.ndim == 4 and d.shape[1] == 1:
        d = d[:, 0]
    if w.ndim != 3 or d.ndim != 3 or w.shape[1:] != d.shape[1:]:
        raise ValueError(f"kernels of shape {np.shape(weight)} cannot be compared with "
                         f"detectors of shape {np.shape(d)}: they must be single-channel "
                         "kernels of the same size")
    wf = w.reshape(len(w), -1)
    df = d.reshape(len(d), -1)
    w_norm = np.linalg.norm(wf, axis=1)
    d_unit = df / np.linalg.norm(df, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.abs((wf / w_norm[:, None]) @ d_unit.T)  # (C, D)
    nearest = np.argmax(np.nan_to_num(cos, nan=-1.0), axis=1)
    best = np.minimum(cos[np.arange(len(w)), nearest], 1.0)
    distance = np.sqrt(np.maximum(2.0 - 2.0 * best, 0.0))
    zero = w_norm == 0
    distance[zero] = np.nan
    nearest[zero] = -1
    return distance, nearest
