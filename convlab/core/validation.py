"""Input checks shared by the core, with messages a student can act on."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["as_finite_array", "check_choice", "check_positive_int"]


def as_finite_array(
    value: ArrayLike,
    name: str,
    ndims: Iterable[int] = (1,),
    dtype: type = np.float64,
    allow_empty: bool = False,
) -> NDArray:
    """Convert ``value`` to a finite array of one of the allowed dimensions.

    Raises
    ------
    ValueError
        If it is not numeric, has the wrong number of dimensions, is empty
        (unless ``allow_empty``) or holds NaN or infinity.
    """
    ndims = tuple(ndims)
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers, got {value!r:.80}") from exc
    if arr.ndim not in ndims:
        allowed = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {allowed}, got a {arr.ndim}-D array of shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: give at least one value")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity: every value must be a finite number")
    return arr


def check_positive_int(value: int, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ValueError if it is not an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_choice(value: str, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ValueError listing them."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value
