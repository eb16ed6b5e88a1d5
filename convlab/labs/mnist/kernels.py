"""The kernel editor of the MNIST Detectors lab: four kernels, one size, presets.

:class:`KernelEditor` edits the model's ``kernels`` (every change is one new
bank in the model) and shows the selected kernel whenever they change.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker
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

from .model import MAX_KERNEL_SIZE, MnistState, notebook_kernels

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
    """Edit the model's bank of four kernels (all of one size) cell by cell.

    :meth:`kernels` returns the bank as a name → array dict.
    """

    def __init__(self, model: MnistState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._names = list(cc.LINE_DETECTORS)
        self.which = QComboBox()
        self.which.addItems(self._names)
        self.which.setToolTip("Which of the four detectors to edit")
        self.size = QSpinBox()
        self.size.setRange(1, MAX_KERNEL_SIZE)
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
        self.sum_label = QLabel()
        self.sum_label.setToolTip(
            "Sum of the weights: 0 means a flat (constant) region gives no response"
        )
        self.cells = [[self._cell(r, c) for c in range(MAX_KERNEL_SIZE)]
                      for r in range(MAX_KERNEL_SIZE)]
        for widget, text in ((self.which, "Detector to edit"), (self.size, "Kernel size"),
                             (self.preset, "Preset kernel")):
            widget.setAccessibleName(text)
        self._lay_out()
        self.which.currentIndexChanged.connect(lambda _i: self._show())
        self.size.valueChanged.connect(self._on_size)
        self.apply_preset.clicked.connect(self._on_preset)
        self.reset.clicked.connect(self.reset_to_notebook)
        model.events.kernels.connect(self._on_kernels_changed)
        self._show()

    def _cell(self, r: int, c: int) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-99.0, 99.0)
        box.setDecimals(2)
        box.setSingleStep(0.5)
        box.setKeyboardTracking(False)
        box.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons)
        box.setMinimumWidth(40)
        box.setMaximumWidth(64)
        box.setToolTip(f"Weight in row {r + 1}, column {c + 1} (scroll or type)")
        box.setAccessibleName(f"Kernel weight, row {r + 1}, column {c + 1}")
        box.valueChanged.connect(lambda v, r=r, c=c: self._on_cell(r, c, v))
        return box

    def restyle(self) -> None:
        """Weight boxes wide enough for "-99.00" at the current text size (presentation mode)."""
        width = self.fontMetrics().horizontalAdvance("-99.00") + 12
        for row in self.cells:
            for box in row:
                box.setMinimumWidth(min(40, width))
                box.setMaximumWidth(max(64, width))

    def _lay_out(self) -> None:
        grid = QGridLayout()
        grid.setSpacing(2)
        for r, cells in enumerate(self.cells):
            for c, box in enumerate(cells):
                grid.addWidget(box, r, c)
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
        layout.addWidget(self.sum_label)
        layout.addLayout(presets)
        layout.addWidget(self.reset)

    # -- the bank ------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._names)

    def kernels(self) -> dict[str, NDArray]:
        """The bank, name → (n, n) array (copies)."""
        return self._model.kernel_bank()

    def kernel_size(self) -> int:
        return len(self._model.kernels[0])

    def set_kernels(self, kernels: dict[str, NDArray] | list[NDArray]) -> None:
        """Replace the whole bank (same names and order); ``ValueError`` if it is not
        four finite square kernels of one size from 1×1 to 7×7."""
        values = list(kernels.values()) if isinstance(kernels, dict) else list(kernels)
        self._model.kernels = [np.asarray(k, dtype=float).tolist() for k in values]

    def set_cell(self, index: int, row: int, col: int, value: float) -> None:
        """Set one weight as if typed."""
        self.which.setCurrentIndex(index)
        self.cells[row][col].setValue(value)

    def reset_to_notebook(self) -> None:
        self._model.kernels = notebook_kernels()

    # -- widgets → model -------------------------------------------------------
    def _replace(self, index: int, kernel: NDArray) -> None:
        bank = [np.array(k, dtype=float) for k in self._model.kernels]
        bank[index] = kernel
        self.set_kernels(bank)

    def _on_cell(self, r: int, c: int, value: float) -> None:
        index = self.which.currentIndex()
        kernel = np.array(self._model.kernels[index], dtype=float)
        kernel[r, c] = value
        self._replace(index, kernel)

    def _on_size(self, size: int) -> None:
        self.set_kernels([resize_kernel(k, size) for k in self._model.kernels])

    def _on_preset(self) -> None:
        preset = cc.KERNEL_PRESETS_2D[self.preset.currentText()]
        self._replace(self.which.currentIndex(), resize_kernel(preset, self.kernel_size()))

    # -- model → widgets -------------------------------------------------------
    def _on_kernels_changed(self, _new: list, _old: list) -> None:
        self._show()

    def _show(self) -> None:
        """Show the selected kernel: its size, its cells, the sum of its weights."""
        kernel = np.array(self._model.kernels[self.which.currentIndex()], dtype=float)
        n = kernel.shape[0]
        with QSignalBlocker(self.size):
            self.size.setValue(n)
        for r, cells in enumerate(self.cells):
            for c, box in enumerate(cells):
                box.setVisible(r < n and c < n)
                if r < n and c < n:
                    with QSignalBlocker(box):
                        box.setValue(float(kernel[r, c]))
        self.sum_label.setText(f"sum of weights: {kernel.sum():.4g}")
