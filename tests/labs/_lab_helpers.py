"""Helpers the lab tests import (``from _lab_helpers import own_attributes``)."""

from __future__ import annotations


def own_attributes(obj: object) -> set[str]:
    """Attributes set by ConvLab's code: those of the nearest library base class left out."""
    base = next(
        (cls for cls in type(obj).__mro__ if not cls.__module__.startswith("convlab")), object
    )
    try:
        baseline = set(vars(base())) if base is not object else set()
    except TypeError:
        baseline = set()
    return set(vars(obj)) - baseline
