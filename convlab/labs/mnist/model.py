"""The MNIST Detectors lab's state model: what the lab shows, as JSON-safe values.

:class:`MnistState` is an evented, validated dataclass (:class:`convlab.state.LabState`):
every field has a change signal, ``state.events.<field>``, and a
``validate_<field>`` check that runs before a value is stored, so the model
never holds a value the lab cannot show, save and reopen. What
:meth:`MnistPanel.get_state` saves is :meth:`MnistState.to_dict`. No Qt here.

:func:`batched` defers the change signals of several assignments until all of
them are made, so no slot sees a half-changed state (a new split with the old
index, say).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from psygnal import evented

import convlab.core as cc
from convlab.core.validation import as_finite_array, check_choice
from convlab.state import LabState, check_bool, check_drawing, check_int, check_number

__all__ = [
    "DIGIT_SIDE",
    "DIGIT_SOURCES",
    "DISPLAYS",
    "MAX_INDEX",
    "MAX_KERNEL_SIZE",
    "MAX_THRESHOLD",
    "SPLITS",
    "STATS_SPLITS",
    "MnistState",
    "batched",
    "notebook_kernels",
]

#: What the response images show: the mask, the raw response, the mask drawn on the digit.
DISPLAYS = {"mask": "Thresholded mask", "response": "Raw response", "overlay": "Mask over digit"}
#: The splits the browser walks through, and those the statistics can summarize.
SPLITS = {"train": "training set", "test": "test set"}
STATS_SPLITS = {**SPLITS, "both": "train + test"}
#: Where the digit fed to the detectors comes from.
DIGIT_SOURCES = ("dataset", "drawing")
#: Largest kernel the editor offers (and a saved session may hold).
MAX_KERNEL_SIZE = 7
#: The threshold box's limits (the slider covers the useful part, ±10).
MAX_THRESHOLD = 1000.0
#: Largest digit index a session may name (the browser's spin box limit).
MAX_INDEX = 2**31 - 1
#: The drawing canvas is DIGIT_SIDE × DIGIT_SIDE pixels, like an MNIST digit.
DIGIT_SIDE = 28


def notebook_kernels() -> list[list[list[float]]]:
    """The notebook's four 3×3 line detectors, as nested lists."""
    return [k.tolist() for k in cc.LINE_DETECTORS.values()]


def _blank_drawing() -> list[list[float]]:
    return np.zeros((DIGIT_SIDE, DIGIT_SIDE)).tolist()


@evented
@dataclass
class MnistState(LabState):
    """Everything the lab shows, as JSON-safe values.

    ``data_source`` is ``None`` for the bundled sample, else the folder or file
    given to :func:`convlab.core.load_mnist`. ``index`` is the digit's index
    in its split; ``digit_source`` is ``"dataset"`` or ``"drawing"``.
    ``drawing`` is the canvas, 28×28 values in [0, 1]; ``kernels`` the four
    detectors, square and of one size.
    """

    label = "MNIST lab"

    data_source: str | None = None
    split: str = "train"
    label_filter: int | None = None
    index: int = 2
    digit_source: str = "dataset"
    drawing: list[list[float]] = field(default_factory=_blank_drawing)
    threshold: float = cc.NOTEBOOK_THRESHOLD
    mode: str = "full"
    flip: bool = True
    display: str = "mask"
    kernels: list[list[list[float]]] = field(default_factory=notebook_kernels)
    stats_split: str = "train"

    # -- per-field checks (run before a value is stored) -------------------
    def validate_data_source(self, value: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"data source must be a path or none, got {value!r:.80}")
        return value

    def validate_split(self, value: Any) -> str:
        return check_choice(value, "split", tuple(SPLITS))

    def validate_label_filter(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value not in range(10):
            raise ValueError(f"label filter must be 0…9 or none, got {value!r:.80}")
        return value

    def validate_index(self, value: Any) -> int:
        if not isinstance(value, int):  # 3.0 is not an index (sessions always wrote ints)
            raise ValueError(f"digit index must be a whole number, got {value!r:.80}")
        return check_int(value, "digit index", 0, MAX_INDEX)

    def validate_digit_source(self, value: Any) -> str:
        return check_choice(value, "digit source", DIGIT_SOURCES)

    def validate_drawing(self, value: Any) -> list[list[float]]:
        return check_drawing(value, "drawing", DIGIT_SIDE)

    def validate_threshold(self, value: Any) -> float:
        return check_number(value, "threshold", -MAX_THRESHOLD, MAX_THRESHOLD)

    def validate_mode(self, value: Any) -> str:
        return check_choice(value, "mode", cc.CONV2D_MODES)

    def validate_flip(self, value: Any) -> bool:
        return check_bool(value, "flip")

    def validate_display(self, value: Any) -> str:
        return check_choice(value, "display", tuple(DISPLAYS))

    def validate_kernels(self, value: Any) -> list[list[list[float]]]:
        bank = as_finite_array(value, "kernels", ndims=(3,))
        n = bank.shape[1]
        if bank.shape != (len(cc.LINE_DETECTORS), n, n) or not 1 <= n <= MAX_KERNEL_SIZE:
            raise ValueError(
                f"kernels must be 4 square kernels of size 1…{MAX_KERNEL_SIZE}, got {bank.shape}"
            )
        return bank.tolist()

    def validate_stats_split(self, value: Any) -> str:
        return check_choice(value, "statistics split", tuple(STATS_SPLITS))

    # -- derived values ------------------------------------------------------
    def kernel_bank(self) -> dict[str, NDArray]:
        """The kernels as the core takes them: detector name → (n, n) float array."""
        return {
            name: np.array(k, dtype=float)
            for name, k in zip(cc.LINE_DETECTORS, self.kernels, strict=True)
        }

    def settings_match(self, stats: cc.DetectorStats) -> bool:
        """True if ``stats`` were computed with this threshold, mode, operation and kernels."""
        return (
            stats.level == self.threshold
            and stats.mode == self.mode
            and stats.flip == self.flip
            and np.array_equal(stats.kernels, np.array(self.kernels, dtype=float))
        )


_batch_depth: dict[int, int] = {}


def _merge(first: tuple, last: tuple) -> tuple:
    """Two queued ``(new, old)`` emissions of one field as one: the last new, the first old."""
    return (last[0], first[1])


@contextlib.contextmanager
def batched(state: MnistState) -> Iterator[MnistState]:
    """Defer ``state``'s change signals until the block ends (nested blocks: the outer one).

    Each field that changed then emits once, ``(newest, oldest)``, when every
    assignment of the block has been made.
    """
    key = id(state)
    signals = list(state.events.signals.values())
    outer = key not in _batch_depth
    _batch_depth[key] = _batch_depth.get(key, 0) + 1
    if outer:
        for signal in signals:
            signal.pause()
    try:
        yield state
    finally:
        _batch_depth[key] -= 1
        if outer:
            del _batch_depth[key]
            for signal in signals:
                signal.resume(reducer=_merge)
