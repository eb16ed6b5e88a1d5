"""The kernel editor of the MNIST Detectors lab: four kernels, one size, presets."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc

from .model import MAX_KERNEL_SIZE

__all__ = ["KernelEditor", "resize_kernel"]


def resize_kernel(kernel: NDArray, size: int) -> NDArray:
    """Embed ``kernel`` centred in a ``size×size`` grid of zeros, or crop its centre."""
    kernel = np.asarray(kernel, dtype=float)
    out = np.zeros((size, size))
    h, w = kernel.shape
    # offsets of the centred window in the larger of the two grids
    src_r, dst_r = max(0, (h - size) // 2), max(0, (size - h) // 2)
    src_c, dst_c = max(0, (w - size) // 2), max(0, (size - w) // 2)
    rows, cols = min(h, size), min(w, size)
    out[dst_r : dst_r + rows, dst_c : dst_c + cols] = kernel[
        src_r : src_r + rows, src_c : src_c + cols
    ]
    return out


class KernelEditor(QWidget):
    """Edit a bank of named kernels (all of the same size) cell by cell.

    ``kernelChanged(index)`` is emitted when one kernel changed (a cell or a
    preset), ``bankChanged()`` when all did (size or reset). :meth:`kernels`
    returns the bank as a name → array dict.
    """

    kernelChanged = pyqtSignal(int)
    bankChanged = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = list(cc.LINE_DETECTORS)
        self._bank = [np.array(k) for k in cc.LINE_DETECTORS.values()]

        self.which = QComboBox()
        self.which.addItems(self._names)
        self.which.setToolTip("Which of the four detectors to edit")
        self.size = QSpinBox()
        self.size.setRange(1, MAX_KERNEL_SIZE)
        self.size.setValue(3)
        self.size.setPrefix("size ")
        self.size.setToolTip(
            "Kernel size for all four detectors (1×1 … 7×7). Growing pads with zeros "
            "around the kernel; shrinking keeps its centre."
        )
        self.preset = QComboBox()
        self.preset.addItems(list(cc.KERNEL_PRESETS_2D))
        self.preset.setToolTip("A classic kernel to load into the selected detector")
        self.apply_preset = QPushButton("Load preset")
        self.apply_preset.setToolTip("Replace the selected detector's kernel by the preset")
        self.reset = QPushButton("Reset to notebook")
        self.reset.setToolTip("Put back the notebook's four 3×3 line detectors")

        self.cells: list[list[QDoubleSpinBox]] = []
        grid = QGridLayout()
        grid.setSpacing(2)
        for r in range(MAX_KERNEL_SIZE):
            row = []
            for c in range(MAX_KERNEL_SIZE):
                box = QDoubleSpinBox()
                box.setRange(-99.0, 99.0)
                box.setDecimals(2)
                box.setSingleStep(0.5)
                box.setKeyboardTracking(False)
                box.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons)
                box.setMinimumWidth(40)
                box.setMaximumWidth(64)
                box.setToolTip(f"Weight in row {r + 1}, column {c + 1} (scroll or type)")
                box.valueChanged.connect(lambda v, r=r, c=c: self._on_cell(r, c, v))
                grid.addWidget(box, r, c)
                row.append(box)
            self.cells.append(row)

        top = QHBoxLayout()
        top.addWidget(self.which, 1)
        top.addWidget(self.size)
        presets = QHBoxLayout()
        presets.addWidget(self.preset, 1)
        presets.addWidget(self.apply_preset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(grid)
        self.sum_label = QLabel()
        self.sum_label.setToolTip(
            "Sum of the weights: 0 means a flat (constant) region gives no response"
        )
        layout.addWidget(self.sum_label)
        layout.addLayout(presets)
        layout.addWidget(self.reset)

        self.which.currentIndexChanged.connect(lambda _i: self._show())
        self.size.valueChanged.connect(self._on_size)
        self.apply_preset.clicked.connect(self._on_preset)
        self.reset.clicked.connect(self.reset_to_notebook)
        self._show()

    # -- model -----------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._names)

    def kernels(self) -> dict[str, NDArray]:
        """The bank, name → (n, n) array (copies)."""
        return {n: k.copy() for n, k in zip(self._names, self._bank, strict=True)}

    def kernel_size(self) -> int:
        return self._bank[0].shape[0]

    def set_kernels(self, kernels: dict[str, NDArray] | list[NDArray]) -> None:
        """Replace the whole bank (same names and order); emits ``bankChanged``."""
        values = list(kernels.values()) if isinstance(kernels, dict) else list(kernels)
        arrays = [np.array(k, dtype=float) for k in values]
        sizes = {k.shape for k in arrays}
        if len(arrays) != len(self._names) or len(sizes) != 1:
            raise ValueError(f"need {len(self._names)} kernels of one size, got sizes {sizes}")
        (shape,) = sizes
        if len(shape) != 2 or shape[0] != shape[1] or not 1 <= shape[0] <= MAX_KERNEL_SIZE:
            raise ValueError(f"kernels must be square, 1×1 to 7×7, got {shape}")
        if not all(np.isfinite(k).all() for k in arrays):
            raise ValueError("kernel weights must be finite numbers")
        self._bank = arrays
        self._show()
        self.bankChanged.emit()

    def set_cell(self, index: int, row: int, col: int, value: float) -> None:
        """Set one weight as if typed (emits ``kernelChanged``)."""
        self.which.setCurrentIndex(index)
        self.cells[row][col].setValue(value)

    def reset_to_notebook(self) -> None:
        self.set_kernels([np.array(k) for k in cc.LINE_DETECTORS.values()])

    # -- widget ↔ model ---------------------------------------------------
    def _show(self) -> None:
        kernel = self._bank[self.which.currentIndex()]
        n = kernel.shape[0]
        with QSignalBlocker(self.size):
            self.size.setValue(n)
        for r, row in enumerate(self.cells):
            for c, box in enumerate(row):
                box.setVisible(r < n and c < n)
                if r < n and c < n:
                    with QSignalBlocker(box):
                        box.setValue(float(kernel[r, c]))
        self.sum_label.setText(f"sum of weights: {kernel.sum():.4g}")

    def _on_cell(self, r: int, c: int, value: float) -> None:
        index = self.which.currentIndex()
        self._bank[index][r, c] = value
        self.sum_label.setText(f"sum of weights: {self._bank[index].sum():.4g}")
        self.kernelChanged.emit(index)

    def _on_size(self, size: int) -> None:
        self._bank = [resize_kernel(k, size) for k in self._bank]
        self._show()
        self.bankChanged.emit()

    def _on_preset(self) -> None:
        index = self.which.currentIndex()
        preset = cc.KERNEL_PRESETS_2D[self.preset.currentText()]
        self._bank[index] = resize_kernel(preset, self.kernel_size())
        self._show()
        self.kernelChanged.emit(index)
