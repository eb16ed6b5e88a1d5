"""How well a network classifies digits: accuracy, per class, confusion, mistakes.

Examples
--------
>>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], n_classes=3)
array([[1, 0, 0],
       [0, 1, 1],
       [0, 0, 1]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .model import Sequential

__all__ = ["CNNEvaluation", "confusion_matrix", "evaluate_network"]


def confusion_matrix(labels: ArrayLike, predictions: ArrayLike, n_classes: int | None = None
                     ) -> NDArray[np.int64]:
    """Counts ``C[true, predicted]``, shape ``(K, K)``; the diagonal holds the correct ones.

    Parameters
    ----------
    labels, predictions : (N,) integer arrays
    n_classes : int, optional
        ``K`` (default: one more than the largest class seen).
    """
    y = np.asarray(labels).astype(np.intp, copy=False)
    p = np.asarray(predictions).astype(np.intp, copy=False)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"labels and predictions must be two (N,) arrays, got {y.shape} and "
                         f"{p.shape}")
    k = int(max(y.max(initial=-1), p.max(initial=-1)) + 1) if n_classes is None else n_classes
    if y.size and (min(y.min(), p.min()) < 0 or max(y.max(), p.max()) >= k):
        raise ValueError(f"classes must lie in 0…{k - 1}")
    return np.bincount(y * k + p, minlength=k * k).reshape(k, k).astype(np.int64)


@dataclass(frozen=True)
class CNNEvaluation:
    """A network's results on a set of digits.

    Attributes
    ----------
    accuracy : float, fraction correct
    loss : float, mean softmax cross-entropy
    predictions : (N,) predicted classes
    probabilities : (N, K) softmax outputs
    confusion : (K, K) int, ``confusion[true, predicted]``
    per_class_accuracy : (K,) fraction correct per true class (NaN for a class not present)
    misclassified : (M,) indices of the digits predicted wrongly, in order
    """

    accuracy: float
    loss: float
    predictions: NDArray
    probabilities: NDArray
    confusion: NDArray
    per_class_accuracy: NDArray
    misclassified: NDArray


def evaluate_network(model: Sequential, images: ArrayLike, labels: ArrayLike,
                     batch_size: int = 256) -> CNNEvaluation:
    """Classify ``images`` and compare with ``labels``.

    Parameters
    ----------
    model : Sequential
    images : (N, H, W) or (N, C, H, W); uint8 pixels are divided by 255
    labels : (N,) integers
    batch_size : digits per block
    """
    logits = model.predict_logits(images, batch_size).astype(np.float64)
    y = np.asarray(labels).astype(np.intp)
    k = logits.shape[1]
    if y.shape != (len(logits),):
        raise ValueError(f"give one label per image: {len(logits)} images, labels {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"labels must lie in 0…{k - 1}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_total = np.log(np.exp(shifted).sum(axis=1))
    loss = float(np.mean(log_total - shifted[np.arange(len(y)), y]))
    probabilities = np.exp(shifted - log_total[:, None])
    predictions = np.argmax(logits, axis=1)
    confusion = confusion_matrix(y, predictions, k)
    counts = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(counts > 0, np.diag(confusion) / np.maximum(counts, 1), np.nan)
    wrong = np.flatnonzero(predictions != y)
    return CNNEvaluation(float(np.mean(predictions == y)), loss, predictions, probabilities,
                         confusion, per_class, wrong)
