"""The MNIST digits the labs work on: one shared holder that announces a new data set.

:class:`DigitData` is the one place that holds the loaded
:class:`convlab.core.MnistDataset`. The MNIST lab loads into it (bundled sample,
a folder, a download); its browser, figure and statistics, and the CNN lab's
training, read it through its methods and follow :attr:`DigitData.changed`.
:func:`shared_digits` is the application's instance (labs do not import each
other: they meet here). No Qt here (the signal is psygnal's).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from psygnal import Signal

import convlab.core as cc

__all__ = ["DigitData", "digits_of", "shared_digits"]


def digits_of(dataset: cc.MnistDataset, split: str) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """``(images, labels)`` of ``"train"``, ``"test"`` or ``"both"`` (train then test: a copy)."""
    if split == "both":
        return (np.concatenate([dataset.train_images, dataset.test_images]),
                np.concatenate([dataset.train_labels, dataset.test_labels]))
    return dataset.split(split)


class DigitData:
    """The loaded digits; :attr:`changed` is emitted with the new data set after a switch."""

    changed = Signal(object)

    def __init__(self, dataset: cc.MnistDataset | None = None) -> None:
        self._dataset = cc.load_mnist() if dataset is None else dataset  # bundled: ~20 ms
        self._filtered: dict[tuple[str, int | None], NDArray[np.intp]] = {}

    @property
    def dataset(self) -> cc.MnistDataset:
        return self._dataset

    @property
    def source(self) -> str:
        """Where the digits come from, for people ("bundled sample (1,000 + 1,000 digits)")."""
        return self._dataset.source

    def set_dataset(self, dataset: cc.MnistDataset) -> None:
        """Show ``dataset`` from now on (emits :attr:`changed`)."""
        self._dataset = dataset
        self._filtered.clear()
        self.changed.emit(dataset)

    def split(self, split: str) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        """``(images, labels)`` of ``"train"`` or ``"test"``."""
        return self._dataset.split(split)

    def size(self, split: str) -> int:
        """How many digits ``split`` holds."""
        return len(self._dataset.split(split)[1])

    def label(self, split: str, index: int) -> int:
        return int(self._dataset.split(split)[1][index])

    def indices(self, split: str, label_filter: int | None) -> NDArray[np.intp]:
        """Indices (in ``split``) of the digits labelled ``label_filter`` (all if ``None``)."""
        key = (split, label_filter)
        if key not in self._filtered:
            labels = self._dataset.split(split)[1]
            if label_filter is None:
                self._filtered[key] = np.arange(len(labels))
            else:
                self._filtered[key] = np.flatnonzero(labels == label_filter)
        return self._filtered[key]


_shared: DigitData | None = None


def shared_digits() -> DigitData:
    """The application's digits (the bundled sample until a lab loads others)."""
    global _shared
    if _shared is None:
        _shared = DigitData()
    return _shared
