"""Softmax and the softmax cross-entropy loss, numerically stable.

``softmax(z)_k = exp(z_k − max z) / Σ_j exp(z_j − max z)`` — subtracting the
largest logit changes nothing mathematically and keeps every ``exp`` ≤ 1, so
logits of 1,000 or 10⁶ do not overflow. The loss is the mean over the batch of
``−log softmax(z)_y = log Σ_j exp(z_j − m) − (z_y − m)``, and its gradient with
respect to the logits is ``(softmax(z) − onehot(y)) / N`` (``torch.nn.CrossEntropyLoss``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["softmax", "softmax_cross_entropy"]


def softmax(logits: ArrayLike) -> NDArray:
    """Class probabilities for each row of logits.

    Parameters
    ----------
    logits : (N, K) or (K,) array

    Returns
    -------
    Array of the same shape (float32 stays float32), rows summing to 1.

    Examples
    --------
    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    >>> softmax(np.array([1000.0, 1000.0]))      # no overflow
    array([0.5, 0.5])
    """
    z = np.asarray(logits)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _labels(labels: ArrayLike, n: int, k: int) -> NDArray[np.intp]:
    y = np.asarray(labels)
    if y.shape != (n,):
        raise ValueError(f"give one label per example: {n} logit rows but labels of shape "
                         f"{y.shape}")
    if y.dtype.kind not in "iu":
        raise ValueError(f"labels must be whole numbers (class indices), got {y.dtype}")
    if n and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"labels must lie in 0…{k - 1} (one per class), got {y.min()}…{y.max()}")
    return y.astype(np.intp, copy=False)


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike) -> tuple[float, NDArray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    Parameters
    ----------
    logits : (N, K) float array
    labels : (N,) integer array, classes in ``0 … K−1``

    Returns
    -------
    loss : float
        ``mean_n −log softmax(logits[n])[labels[n]]``
    dlogits : (N, K) array, dtype of ``logits``
        ``(softmax(logits) − onehot(labels)) / N``

    Examples
    --------
    >>> loss, d = softmax_cross_entropy(np.array([[0.0, 0.0]]), np.array([1]))
    >>> round(loss, 6), d.tolist()          # log 2; (0.5 − 0, 0.5 − 1)
    (0.693147, [[0.5, -0.5]])
    """
    z = np.asarray(logits)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"logits must be a non-empty (N, K) array, got shape {z.shape}")
    n, k = z.shape
    y = _labels(labels, n, k)
    rows = np.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1)
    # log Σ exp(z − m) − (z_y − m), accumulated in float64 for the reported mean
    loss = float(np.mean(np.log(total.astype(np.float64)) - shifted[rows, y]))
    e /= total[:, None]
    e[rows, y] -= 1
    e *= e.dtype.type(1.0 / n)
    return loss, e
