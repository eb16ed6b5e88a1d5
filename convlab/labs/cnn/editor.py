"""The network editor (blocks → layers with their output shapes) and the gradient check.

:class:`NetworkEditor` edits ``model.network``: one row per block (filters,
kernel size, stride, padding, ReLU, pooling), the first layer's start and
whether it learns. Every edit is tried on the model as a whole; a network that
cannot be built (a kernel larger than its input, too many parameters …) is
explained in red under the table and the model keeps the last valid one.
The layer list shows each layer's output shape and parameter count as you
edit. :class:`GradientCheckBox` runs the core's finite-difference check.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PyQt6.QtCore import QSignalBlocker, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.theme import mark_error_text

from .model import INITS, LIMITS, MAX_BLOCKS, POOLS, CNNState, block, layer_rows

__all__ = ["GradientCheckBox", "NetworkEditor"]

_COLUMNS = ("filters", "kernel_size", "stride", "padding", "relu", "pool", "pool_size")
_HEADERS = ("Filters", "Kernel", "Stride", "Padding", "ReLU", "Pooling", "Pool size")


class NetworkEditor(QGroupBox):
    """Blocks of Conv2D → ReLU → pooling, then Flatten → Dense(…, 10)."""

    def __init__(self, model: CNNState, parent: QWidget | None = None) -> None:
        super().__init__("Network editor", parent)
        self._model = model
        self.blocks = QTableWidget(0, len(_COLUMNS))
        self.blocks.setHorizontalHeaderLabels(_HEADERS)
        self.blocks.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.blocks.setToolTip("One row per block: Conv2D(filters, kernel, stride, padding), "
                               "then ReLU and pooling if chosen")
        self.blocks.setAccessibleName("Blocks of the network")
        self.add_button = QPushButton("Add block")
        self.remove_button = QPushButton("Remove last block")
        self.first_init = QComboBox()
        for name, title in INITS.items():
            self.first_init.addItem(title, name)
        self.first_init.setToolTip("How the first layer's kernels start")
        self.first_init.setAccessibleName("First layer's start")
        self.first_frozen = QCheckBox("first layer frozen (does not learn)")
        self.message = QLabel()
        self.message.setWordWrap(True)
        mark_error_text(self.message)
        self.layers = QTableWidget(0, 3)
        self.layers.setHorizontalHeaderLabels(("Layer", "Output", "Parameters"))
        self.layers.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.layers.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.layers.verticalHeader().setVisible(False)
        self.layers.setAccessibleName("Layers, their output shapes and parameter counts")
        self.total = QLabel()
        first = QHBoxLayout()
        first.addWidget(QLabel("First layer starts as"))
        first.addWidget(self.first_init, 1)
        first.addWidget(self.first_frozen)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.blocks, 1)
        layout.addLayout(buttons)
        layout.addLayout(first)
        layout.addWidget(self.message)
        layout.addWidget(QLabel("Layers (input 1×28×28):"))
        layout.addWidget(self.layers, 2)
        layout.addWidget(self.total)
        self.add_button.clicked.connect(self.add_block)
        self.remove_button.clicked.connect(self.remove_block)
        self.first_init.currentIndexChanged.connect(lambda _i: self.apply_edit())
        self.first_frozen.toggled.connect(lambda _on: self.apply_edit())
        model.events.network.connect(self._on_network_changed)
        self._on_network_changed(model.network, None)

    # -- editing ------------------------------------------------------------------------------
    def edited_network(self) -> dict[str, Any]:
        """The network the widgets show now (valid or not)."""
        blocks = []
        for r in range(self.blocks.rowCount()):
            values = {}
            for c, key in enumerate(_COLUMNS):
                w = self.blocks.cellWidget(r, c)
                if isinstance(w, QSpinBox):
                    values[key] = w.value()
                elif isinstance(w, QCheckBox):
                    values[key] = w.isChecked()
                else:
                    values[key] = w.currentData()
            blocks.append(values)
        return {"blocks": blocks, "first_init": self.first_init.currentData(),
                "first_frozen": self.first_frozen.isChecked()}

    def apply_edit(self) -> bool:
        """Try the edited network on the model; explain why not if it cannot be built."""
        network = self.edited_network()
        try:
            self._model.network = network
        except ValueError as exc:
            self.message.setText(f"{exc}. Still using the last network that works.")
            return False
        self.message.setText("")
        return True

    def set_cell(self, row: int, key: str, value: Any) -> None:
        """Edit one setting as a user would (tests, shortcuts)."""
        w = self.blocks.cellWidget(row, _COLUMNS.index(key))
        if isinstance(w, QSpinBox):
            w.setValue(int(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        else:
            w.setCurrentIndex(w.findData(value))

    def add_block(self) -> None:
        if self.blocks.rowCount() >= MAX_BLOCKS:
            return
        network = self.edited_network()
        network["blocks"].append(block(8, 3, padding=1))
        self._show_blocks(network["blocks"])
        self.apply_edit()

    def remove_block(self) -> None:
        if self.blocks.rowCount() <= 1:
            return
        self.blocks.removeRow(self.blocks.rowCount() - 1)
        self.apply_edit()

    # -- model → widgets ----------------------------------------------------------------------
    def _on_network_changed(self, new: dict[str, Any], _old: Any) -> None:
        if self.edited_network() != new:
            self._show_blocks(new["blocks"])
            with QSignalBlocker(self.first_init):
                self.first_init.setCurrentIndex(self.first_init.findData(new["first_init"]))
            with QSignalBlocker(self.first_frozen):
                self.first_frozen.setChecked(new["first_frozen"])
            self.message.setText("")
        rows = layer_rows(new["blocks"], new["first_init"])
        self.layers.setRowCount(len(rows))
        for r, row in enumerate(rows):
            frozen = " (frozen)" if r == 0 and new["first_frozen"] else ""
            for c, text in enumerate((row.text, row.shape_text, f"{row.n_params:,}{frozen}")):
                item = QTableWidgetItem(text)
                self.layers.setItem(r, c, item)
        total = sum(r.n_params for r in rows)
        self.total.setText(f"Total: {total:,} parameters")
        self.add_button.setEnabled(len(new["blocks"]) < MAX_BLOCKS)
        self.remove_button.setEnabled(len(new["blocks"]) > 1)

    def _show_blocks(self, blocks: list[dict[str, Any]]) -> None:
        old_rows = self.blocks.rowCount()
        self.blocks.setRowCount(len(blocks))
        for r, b in enumerate(blocks):
            for c, key in enumerate(_COLUMNS):
                if r >= old_rows:
                    cell = self._cell_widget(key, b[key])
                    cell.setAccessibleName(f"Block {r + 1}: {_HEADERS[c].lower()}")
                    self.blocks.setCellWidget(r, c, cell)
                    continue
                w = self.blocks.cellWidget(r, c)
                with QSignalBlocker(w):
                    if isinstance(w, QSpinBox):
                        w.setValue(b[key])
                    elif isinstance(w, QCheckBox):
                        w.setChecked(b[key])
                    else:
                        w.setCurrentIndex(w.findData(b[key]))
        self.blocks.setVerticalHeaderLabels([f"block {i + 1}" for i in range(len(blocks))])

    def _cell_widget(self, key: str, value: Any) -> QWidget:
        if key == "relu":
            w: Any = QCheckBox()
            w.setChecked(value)
            w.toggled.connect(lambda _on: self.apply_edit())
        elif key == "pool":
            w = QComboBox()
            for name, title in POOLS.items():
                w.addItem(title.split()[0], name)
            w.setCurrentIndex(w.findData(value))
            w.currentIndexChanged.connect(lambda _i: self.apply_edit())
        else:
            w = QSpinBox()
            w.setRange(*LIMITS[key])
            w.setValue(value)
            w.setKeyboardTracking(False)
            w.valueChanged.connect(lambda _v: self.apply_edit())
        return w


class GradientCheckBox(QGroupBox):
    """Backprop against central differences on a batch: the relative error per parameter."""

    #: Asked to run the check (the panel gives it the network and a batch).
    requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Gradient check", parent)
        self.button = QPushButton("Check the gradients")
        self.button.setToolTip("Compare backpropagation with finite differences on 32 "
                               "training digits, 3 entries per parameter array (float64)")
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(("Parameters", "Max rel. error", "At a kink",
                                              "Verdict"))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Gradient check results per parameter array")
        self.summary = QLabel("Relative error |analytic − numeric| / (|analytic| + |numeric|): "
                              "about 1e-8 or less when backprop is right.")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.button)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self.button.clicked.connect(self.requested)
        self.result: cc.CNNGradientCheck | None = None

    def run(self, network: cc.Sequential, images: np.ndarray, labels: np.ndarray) -> None:
        """Check ``network``'s gradients on these digits and show the result."""
        self.show_result(cc.cnn_gradient_check(network, images, labels, entries=3, seed=0))

    def show_result(self, result: cc.CNNGradientCheck) -> None:
        self.result = result
        self.table.setRowCount(len(result.names))
        for r, name in enumerate(result.names):
            errors = result.relative_error[name][~result.at_kink[name]]
            worst = float(errors.max()) if errors.size else math.nan
            kinks = int(result.at_kink[name].sum())
            verdict = "—" if not errors.size else ("ok" if worst < 1e-6 else "WRONG")
            cells = (name, "—" if math.isnan(worst) else f"{worst:.1e}",
                     f"{kinks} of {len(result.at_kink[name])}", verdict)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)
        self.summary.setText(f"Largest relative error away from kinks: "
                             f"{result.max_relative_error:.1e} — "
                             + ("backprop agrees with finite differences."
                                if result.passed() else "backprop disagrees!"))
