"""Which digit the MNIST lab feeds its detectors: the browsing rules, without Qt.

:class:`DigitSelection` reads and writes the model's ``split``,
``label_filter``, ``index`` and ``digit_source`` over the shared
:class:`~convlab.gui.digits.DigitData`. The browser, the thumbnails,
the drawing box and the keyboard shortcuts call it; the views read
:meth:`DigitSelection.current_digit` and friends. Every change of several
fields is made in one :func:`~convlab.labs.mnist.model.batched` block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

import convlab.core as cc
from convlab.gui.digits import DigitData

from .model import DIGIT_SIDE, MnistState, batched

__all__ = ["DigitSelection"]


class DigitSelection:
    """Browse the data set (split, label filter, position) or show the drawing."""

    def __init__(self, model: MnistState, data: DigitData, seed: int | None = None) -> None:
        self.model = model
        self.data = data
        self._random = np.random.default_rng(seed)

    # -- reading --------------------------------------------------------------
    def filtered(self) -> NDArray[np.intp]:
        """Indices (in the current split) of the digits the browser walks through."""
        return self.data.indices(self.model.split, self.model.label_filter)

    def index(self) -> int:
        """The model's digit index, within the current split."""
        return self._clamped(self.model.index)

    def position(self) -> int:
        """Where the current digit is in :meth:`filtered`."""
        filtered = self.filtered()
        return int(min(np.searchsorted(filtered, self.index()), max(len(filtered) - 1, 0)))

    def dataset_digit(self) -> NDArray[np.uint8]:
        """The data-set digit at the current index, ``(28, 28)`` uint8."""
        return self.data.split(self.model.split)[0][self.index()]

    def current_digit(self) -> NDArray:
        """The digit fed to the detectors: uint8 from the data set, or the drawing (floats)."""
        if self.model.digit_source == "drawing":
            return np.array(self.model.drawing)
        if not len(self.filtered()):
            return np.zeros((DIGIT_SIDE, DIGIT_SIDE), np.uint8)
        return self.dataset_digit()

    def current_label(self) -> int | None:
        """The shown digit's label; ``None`` for the drawing or when no digit matches."""
        if self.model.digit_source == "drawing" or not len(self.filtered()):
            return None
        return self.data.label(self.model.split, self.index())

    # -- browsing ---------------------------------------------------------------
    def go_to_position(self, position: int) -> None:
        """Show the digit at ``position`` of the filtered list (clipped to it)."""
        filtered = self.filtered()
        if not len(filtered):
            return
        position = min(max(int(position), 0), len(filtered) - 1)
        self._show(index=int(filtered[position]))

    def show_digit(self, index: int, split: str | None = None) -> None:
        """Show digit ``index`` of ``split`` (clears the label filter if it hides it)."""
        split = split or self.model.split
        size = self.data.size(split)
        if not 0 <= index < size:
            raise ValueError(f"{split} has digits 0…{size - 1}, not {index}")
        changes: dict[str, Any] = {"split": split, "index": int(index)}
        label = self.model.label_filter
        if label is not None and self.data.label(split, index) != label:
            changes["label_filter"] = None
        self._show(**changes)

    def previous(self) -> None:
        self.go_to_position(self.position() - 1)

    def next(self) -> None:
        self.go_to_position(self.position() + 1)

    def random_digit(self) -> None:
        filtered = self.filtered()
        if len(filtered):
            self.go_to_position(int(self._random.integers(len(filtered))))

    def set_split(self, split: str) -> None:
        self._browse(split=split)

    def set_label_filter(self, label: int | None) -> None:
        self._browse(label_filter=label)

    def use_drawing(self, on: bool) -> None:
        """Feed the detectors the drawing (``True``) or the data-set digit."""
        self.model.digit_source = "drawing" if on else "dataset"

    # -- data and sessions --------------------------------------------------------
    def use_dataset(
        self, dataset: cc.MnistDataset, source: str | Path | None, index: int | None = None
    ) -> None:
        """Show ``dataset`` (loaded from ``source``) at ``index`` (default: the current one)."""
        wanted = self.model.index if index is None else index
        size = len(dataset.split(self.model.split)[1])
        with batched(self.model):
            self.model.data_source = None if source is None else str(source)
            self.model.index = max(0, min(int(wanted), size - 1))
            self.data.set_dataset(dataset)

    def apply(self, values: dict[str, Any]) -> None:
        """Set several model fields at once (checked first), keeping the index in its split."""
        with batched(self.model):
            self.model.update(values)
            self.model.index = self._clamped(self.model.index)

    # -- helpers ------------------------------------------------------------------
    def _clamped(self, index: int) -> int:
        return max(0, min(int(index), self.data.size(self.model.split) - 1))

    def _browse(self, **changes: Any) -> None:
        """New split or filter: keep the digit if it matches, else take the next matching one."""
        with batched(self.model):
            self.model.update(changes)
            filtered = self.filtered()
            if len(filtered):
                self.model.index = int(filtered[self.position()])
            self.model.digit_source = "dataset"

    def _show(self, **changes: Any) -> None:
        with batched(self.model):
            self.model.update({**changes, "digit_source": "dataset"})
