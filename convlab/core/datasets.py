"""The rising/falling ("up/down") data set of the notebook.

Each sample is a short straight line with a little noise,
``x_t = a·t + b + u_t`` for ``t = 0 … length-1``. Rising lines (slope ``a`` in
``[1, 2)``) have label 0, falling lines (slope in ``[-2, -1)``) label 1. A model
that classifies them must look at *differences* between neighbouring samples,
which is what a small convolution kernel can learn.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .validation import check_positive_int

__all__ = ["UpDownSplit", "updown_dataset"]

#: ``((x_train, y_train), (x_test, y_test))`` as returned by :func:`updown_dataset`.
UpDownSplit = tuple[
    tuple[NDArray[np.float64], NDArray[np.float64]],
    tuple[NDArray[np.float64], NDArray[np.float64]],
]


def updown_dataset(
    n_samples: int = 50,
    length: int = 5,
    noise: float = 0.5,
    seed: int | None = None,
    test_fraction: float = 0.2,
    slope_range: tuple[float, float] = (1.0, 2.0),
    intercept_range: tuple[float, float] = (-0.5, 0.5),
) -> UpDownSplit:
    """Make the notebook's rising/falling signals (its ``load_up_down``), shuffled and split.

    For every sample ``x_t = a·t + b + u_t`` with ``t = 0 … length-1``:

    * rising samples: ``a ~ U[lo, hi)`` (default ``[1, 2)``), label ``0``;
    * falling samples: ``a ~ U[-hi, -lo)`` (default ``[-2, -1)``), label ``1``;
    * intercept ``b ~ U[intercept_range)`` (default ``[-0.5, 0.5)``), one per sample;
    * noise ``u_t ~ U[-noise, noise)``, independent for every sample and position.

    ``n_samples`` signals of each class are drawn, shuffled together, and the
    last ``round(test_fraction · 2·n_samples)`` become the test set.

    Parameters
    ----------
    n_samples : int
        Samples *per class* (the notebook's 50 gives 100 signals in total).
    length : int
        Samples per signal, at least 2.
    noise : float
        Half-width of the uniform noise added to each value (``0`` for clean lines).
    seed : int or None
        Seed of the :class:`numpy.random.Generator`; the same seed gives the same data.
        ``None`` draws fresh randomness.
    test_fraction : float
        Fraction of the signals held out for testing, in ``(0, 1)``; both sets
        must end up non-empty.
    slope_range : (float, float)
        ``(lo, hi)`` with ``0 < lo < hi``: magnitude range of the slopes.
    intercept_range : (float, float)
        ``(lo, hi)`` with ``lo <= hi``: range of the intercepts ``b``.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_train`` has shape ``(n_train, length)``, ``y_train`` shape ``(n_train,)``
        with float labels ``0.0`` (rising) and ``1.0`` (falling); likewise for the
        test set. ``n_test = round(test_fraction · 2·n_samples)`` and
        ``n_train = 2·n_samples - n_test`` (80 and 20 with the defaults).

    Raises
    ------
    ValueError
        For a non-positive count, a signal shorter than 2, negative noise, a
        ``test_fraction`` that leaves one set empty, or an empty/negative slope range.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = updown_dataset(seed=0)
    >>> x_train.shape, y_train.shape, x_test.shape, y_test.shape
    ((80, 5), (80,), (20, 5), (20,))
    >>> int(y_train.sum() + y_test.sum())   # 50 falling signals in total
    50
    """
    n_samples = check_positive_int(n_samples, "the number of samples per class")
    length = check_positive_int(length, "the signal length", minimum=2)
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"the noise level must be a finite number >= 0, got {noise}")
    test_fraction = float(test_fraction)
    total = 2 * n_samples
    n_test = round(test_fraction * total)
    if not 0 < test_fraction < 1 or not 0 < n_test < total:
        raise ValueError(
            f"test_fraction={test_fraction} leaves the training or the test set empty "
            f"with {total} signals: choose a fraction strictly between 0 and 1 "
            f"(or more samples)"
        )
    slope_lo, slope_hi = (float(v) for v in slope_range)
    if not (np.isfinite(slope_lo) and np.isfinite(slope_hi) and 0 < slope_lo < slope_hi):
        raise ValueError(f"slope_range must be (lo, hi) with 0 < lo < hi, got {slope_range}")
    b_lo, b_hi = (float(v) for v in intercept_range)
    if not (np.isfinite(b_lo) and np.isfinite(b_hi) and b_lo <= b_hi):
        raise ValueError(
            f"intercept_range must be (lo, hi) with lo <= hi, got {intercept_range}"
        )

    rng = np.random.default_rng(seed)
    slopes = np.concatenate([
        rng.uniform(slope_lo, slope_hi, n_samples),  # rising, label 0
        rng.uniform(-slope_hi, -slope_lo, n_samples),  # falling, label 1
    ])
    labels = np.repeat([0.0, 1.0], n_samples)
    intercepts = rng.uniform(b_lo, b_hi, total)
    t = np.arange(length, dtype=np.float64)
    x = slopes[:, None] * t + intercepts[:, None] + rng.uniform(-noise, noise, (total, length))
    order = rng.permutation(total)
    x, labels = x[order], labels[order]
    n_train = total - n_test
    return (x[:n_train], labels[:n_train]), (x[n_train:], labels[n_train:])
