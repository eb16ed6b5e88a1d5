"""The MNIST Detectors lab's state model: what the lab shows, as JSON-safe values.

:class:`MnistState` is what :meth:`MnistPanel.get_state` saves and
:meth:`MnistState.from_dict` validates before a saved session is restored,
with the choices it is validated against. No Qt here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import convlab.core as cc
from convlab.core.validation import as_finite_array, check_choice

__all__ = [
    "DISPLAYS",
    "MAX_KERNEL_SIZE",
    "MAX_THRESHOLD",
    "STATS_SPLITS",
    "MnistState",
    "notebook_kernels",
]

#: What the response images show: the mask, the raw response, the mask drawn on the digit.
DISPLAYS = {"mask": "Thresholded mask", "response": "Raw response", "overlay": "Mask over digit"}
#: Largest kernel the editor offers (and a saved session may hold).
#: The threshold box's limits (the slider covers the useful part, ±10).
MAX_THRESHOLD = 1000.0
MAX_KERNEL_SIZE = 7

STATS_SPLITS = {"train": "training set", "test": "test set", "both": "train + test"}


def notebook_kernels() -> list[list[list[float]]]:
    """The notebook's four 3×3 line detectors, as nested lists."""
    return [k.tolist() for k in cc.LINE_DETECTORS.values()]


@dataclass
class MnistState:
    """Everything the lab shows, as JSON-safe values.

    ``data_source`` is ``None`` for the bundled sample, else the folder or file
    given to :func:`convlab.core.load_mnist`. ``index`` is the digit's index
    in its split; ``digit_source`` is ``"dataset"`` or ``"drawing"``.
    """

    data_source: str | None = None
    split: str = "train"
    label_filter: int | None = None
    index: int = 2
    digit_source: str = "dataset"
    drawing: list[list[float]] = field(default_factory=lambda: np.zeros((28, 28)).tolist())
    threshold: float = cc.NOTEBOOK_THRESHOLD
    mode: str = "full"
    flip: bool = True
    display: str = "mask"
    kernels: list[list[list[float]]] = field(default_factory=notebook_kernels)
    stats_split: str = "train"

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MnistState:
        """Validate ``raw`` (as :meth:`MnistPanel.get_state` wrote it); ValueError if bad."""
        if not isinstance(raw, dict):
            raise ValueError(f"MNIST lab state must be a mapping, got {type(raw).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - names
        if unknown:
            raise ValueError(f"unknown MNIST lab settings: {', '.join(sorted(unknown))}")
        state = cls(**{**dataclasses.asdict(cls()), **raw})
        check_choice(state.split, "split", ("train", "test"))
        check_choice(state.digit_source, "digit source", ("dataset", "drawing"))
        check_choice(state.mode, "mode", cc.CONV2D_MODES)
        check_choice(state.display, "display", tuple(DISPLAYS))
        check_choice(state.stats_split, "statistics split", tuple(STATS_SPLITS))
        if state.label_filter is not None and state.label_filter not in range(10):
            raise ValueError(f"label filter must be 0…9 or none, got {state.label_filter!r}")
        if isinstance(state.index, bool) or not isinstance(state.index, int) or state.index < 0:
            raise ValueError(f"digit index must be a whole number ≥ 0, got {state.index!r}")
        if not isinstance(state.flip, bool):
            raise ValueError(f"flip must be true or false, got {state.flip!r}")
        if state.data_source is not None and not isinstance(state.data_source, str):
            raise ValueError("data source must be a path or none")
        t = state.threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not (
            -MAX_THRESHOLD <= t <= MAX_THRESHOLD
        ):
            raise ValueError(f"threshold must be a number from {-MAX_THRESHOLD:g} to "
                             f"{MAX_THRESHOLD:g}, got {t!r}")
        drawing = as_finite_array(state.drawing, "drawing", ndims=(2,))
        if drawing.shape != (28, 28) or drawing.min() < 0 or drawing.max() > 1:
            raise ValueError("drawing must be 28×28 values in [0, 1]")
        bank = as_finite_array(state.kernels, "kernels", ndims=(3,))
        n = bank.shape[1]
        if bank.shape != (len(cc.LINE_DETECTORS), n, n) or not 1 <= n <= MAX_KERNEL_SIZE:
            raise ValueError(
                f"kernels must be 4 square kernels of size 1…{MAX_KERNEL_SIZE}, got {bank.shape}"
            )
        state.threshold = float(state.threshold)
        return state
