"""The Signals & Kernels lab's step-through: one output z_i, its window and its derivative.

:class:`StepThroughMixin` builds the area under the plots (play button, step
slider, the sum for z_i with its numbers, the output-length formula, errors,
and the table of ∂z_i/∂w_j) and draws the chosen step, including its window on
the signal plot. It is mixed into :class:`~convlab.labs.signals.panel.SignalsPanel`,
whose ``state`` and ``_schedule`` it uses.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QSignalBlocker, Qt, QTimer
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from convlab.gui.theme import ERROR_COLOR

from .model import SignalsView, fmt

__all__ = ["StepThroughMixin"]

_PLAY_MS = 700


class StepThroughMixin:
    """The step-through and derivative area of :class:`~convlab.labs.signals.panel.SignalsPanel`."""

    def _build_step_area(self) -> QWidget:
        self.play_timer = QTimer(self)
        self.play_timer.setInterval(_PLAY_MS)
        self.play_timer.timeout.connect(self._advance)
        area = QWidget()
        row = QHBoxLayout(area)
        row.setContentsMargins(0, 0, 0, 0)

        step = QGroupBox("Step through: z_i, one window at a time")
        col = QVBoxLayout(step)
        line = QHBoxLayout()
        self.play_button = QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Slide the window along the signal (Space)")
        self.play_button.toggled.connect(self._on_play)
        self.step_slider = QSlider(Qt.Orientation.Horizontal)
        self.step_slider.setToolTip("Which output z_i to take apart (Alt+← / Alt+→)")
        self.step_slider.valueChanged.connect(self._on_step)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(90)
        line.addWidget(self.play_button)
        line.addWidget(self.step_slider, 1)
        line.addWidget(self.step_label)
        col.addLayout(line)
        self.equation_label = QLabel()
        self.equation_label.setTextFormat(Qt.TextFormat.RichText)
        self.equation_label.setWordWrap(True)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.equation_label.setToolTip("The sum for the chosen output, with the numbers filled in")
        col.addWidget(self.equation_label)
        self.length_label = QLabel()
        self.length_label.setTextFormat(Qt.TextFormat.RichText)
        self.length_label.setWordWrap(True)
        self.length_label.setToolTip("Output length: n samples, padding p_L and p_R, kernel of "
                                     "k taps with dilation d, stride s")
        col.addWidget(self.length_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        col.addWidget(self.error_label)
        row.addWidget(step, 1)

        deriv = QGroupBox("Derivative ∂z_i/∂w_j")
        dl = QVBoxLayout(deriv)
        self.derivative_table = QTableWidget(0, 4)
        self.derivative_table.setHorizontalHeaderLabels(["w_j", "reads", "∂z_i/∂w_j", "w_j·x"])
        self.derivative_table.setToolTip(
            "z_i is linear in the kernel: its derivative with respect to w_j is the sample "
            "tap j multiplies (0 on zero padding) — the gradient a CNN uses to learn w")
        self.derivative_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.derivative_table.horizontalHeader()
        header.setMinimumSectionSize(header.fontMetrics().horizontalAdvance("∂z_i/∂w_j") + 12)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.derivative_table.setSizePolicy(QSizePolicy.Policy.Expanding,
                                            QSizePolicy.Policy.Preferred)
        self.derivative_table.setMaximumHeight(150)
        dl.addWidget(self.derivative_table)
        row.addWidget(deriv, 1)
        return area

    def _restyle_step(self) -> None:
        """The equation in a larger font (follows the text scale)."""
        font = QApplication.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.equation_label.setFont(font)

    def _on_step(self, value: int) -> None:
        self.state.step = max(0, value)
        self._schedule()

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("❚❚ Pause" if on else "▶ Play")
        if on:
            self.play_timer.start()
        else:
            self.play_timer.stop()

    def _advance(self) -> None:
        top = self.step_slider.maximum()
        self.step_slider.setValue(0 if self.step_slider.value() >= top else
                                  self.step_slider.value() + 1)

    def _draw_step(self, view: SignalsView) -> None:
        """The slider's range, the window of z_i, its sum, the length formula, the table."""
        with QSignalBlocker(self.step_slider):
            self.step_slider.setRange(0, max(view.m - 1, 0))
            self.step_slider.setValue(view.step.index if view.step else 0)
        self.step_slider.setEnabled(view.m > 1)
        self.play_button.setEnabled(view.m > 1)
        if view.m <= 1 and self.play_button.isChecked():
            self.play_button.setChecked(False)
        self._draw_window(view)

        self.length_label.setText(view.length_formula)
        self.error_label.setText(view.error)
        self.error_label.setVisible(bool(view.error))

    def _draw_window(self, view: SignalsView) -> None:
        """The window of z_i on the signal plot, z_i ringed, its sum and ∂z_i/∂w_j."""
        st = view.step
        table = self.derivative_table
        if st is None:
            self.window_region.setVisible(False)
            self.window_points.setData([], [])
            self.z_current.setData([], [])
            self.step_label.setText("no output")
            self.equation_label.setText("")
            table.setRowCount(0)
            return
        self.window_region.setVisible(True)
        self.window_region.setRegion((st.positions.min() - 0.4, st.positions.max() + 0.4))
        self.window_points.setData(st.positions, st.values)
        self.z_current.setData([st.index], [st.total])
        self.step_label.setText(f"i = {st.index} of 0…{view.m - 1}")
        self.equation_label.setText(st.equation)
        w = np.asarray(self.state.w)
        table.setRowCount(view.k)
        table.setVerticalHeaderLabels([f"w{j}" for j in range(view.k)])
        for j in range(view.k):
            reads = (f"x{st.sources[j]}" if st.sources[j] >= 0 else "0 (pad)")
            if st.sources[j] >= 0 and not 0 <= st.positions[j] < view.n:
                reads += f" ({self.state.padding_mode} pad)"
            for col, text in enumerate((fmt(w[j]), reads, fmt(st.values[j]),
                                        fmt(st.products[j]))):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(j, col, item)
