"""The Signals & Kernels lab's step-through: one output z_i, its sum and its derivative.

:class:`StepThrough` is the play button (with its timer), the slider choosing
``i`` (the model's ``step``), the sum for ``z_i`` with its numbers, the
output-length formula and the error line. :class:`DerivativeTable` lists what
each tap reads and ``∂z_i/∂w_j``. Both draw a
:class:`~convlab.labs.signals.model.SignalsView` in ``show_view``.
"""

from __future__ import annotations

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

from convlab.gui.theme import mark_error_text

from .model import SignalsState, SignalsView, fmt

__all__ = ["DerivativeTable", "StepThrough"]

_PLAY_MS = 700


def _rich_label(tooltip: str) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setToolTip(tooltip)
    return label


class StepThrough(QGroupBox):
    """Which output ``z_i`` to take apart (slider, or Play to slide along), and its sum."""

    def __init__(self, state: SignalsState, parent: QWidget | None = None) -> None:
        super().__init__("Step through: z_i, one window at a time", parent)
        self._state = state
        self.play_timer = QTimer(self)
        self.play_timer.setInterval(_PLAY_MS)
        col = QVBoxLayout(self)
        line = QHBoxLayout()
        self.play_button = QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.setAccessibleName("Play the step-through")
        self.play_button.setToolTip("Slide the window along the signal (Space)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Output index i")
        self.slider.setToolTip("Which output z_i to take apart (Alt+← / Alt+→)")
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(90)
        line.addWidget(self.play_button)
        line.addWidget(self.slider, 1)
        line.addWidget(self.step_label)
        col.addLayout(line)
        self.equation_label = _rich_label(
            "The sum for the chosen output, with the numbers filled in")
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.equation_label)
        self.length_label = _rich_label("Output length: n samples, padding p_L and p_R, kernel "
                                        "of k taps with dilation d, stride s")
        col.addWidget(self.length_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        mark_error_text(self.error_label)
        col.addWidget(self.error_label)

        self.play_timer.timeout.connect(self._advance)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.slider.valueChanged.connect(self._on_slider)

    # ------------------------------------------------------------------ public
    def toggle_play(self) -> None:
        self.play_button.toggle()

    def pause(self) -> None:
        self.play_button.setChecked(False)

    def step_by(self, delta: int) -> None:
        """Move the window ``delta`` outputs along (within the output)."""
        self.slider.setValue(self.slider.value() + delta)

    def restyle(self) -> None:
        """The equation in a larger font (follows the text scale)."""
        font = QApplication.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.equation_label.setFont(font)

    def show_view(self, view: SignalsView) -> None:
        """The slider's range and position, the sum for ``z_i``, the length formula, errors."""
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(view.m - 1, 0))
            self.slider.setValue(view.step.index if view.step else 0)
        self.slider.setEnabled(view.m > 1)
        self.play_button.setEnabled(view.m > 1)
        if view.m <= 1:
            self.pause()
        if view.step is None:
            self.step_label.setText("no output")
            self.equation_label.setText("")
        else:
            self.step_label.setText(f"i = {view.step.index} of 0…{view.m - 1}")
            self.equation_label.setText(view.step.equation)
        self.length_label.setText(view.length_formula)
        self.error_label.setText(view.error)
        self.error_label.setVisible(bool(view.error))

    # ------------------------------------------------------------------ private
    def _on_slider(self, value: int) -> None:
        self._state.step = value

    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("❚❚ Pause" if on else "▶ Play")
        if on:
            self.play_timer.start()
        else:
            self.play_timer.stop()

    def _advance(self) -> None:
        at_end = self.slider.value() >= self.slider.maximum()
        self.slider.setValue(0 if at_end else self.slider.value() + 1)


class DerivativeTable(QGroupBox):
    """For each tap ``w_j``: the sample it reads for ``z_i``, ``∂z_i/∂w_j`` and ``w_j·x``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Derivative ∂z_i/∂w_j", parent)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["w_j", "reads", "∂z_i/∂w_j", "w_j·x"])
        self.table.setToolTip(
            "z_i is linear in the kernel: its derivative with respect to w_j is the sample "
            "tap j multiplies (0 on zero padding) — the gradient a CNN uses to learn w")
        self.table.setAccessibleName("Derivative of z_i with respect to each tap w_j")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab and Shift+Tab leave the table (arrow keys move between its cells)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(header.fontMetrics().horizontalAdvance("∂z_i/∂w_j") + 12)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.table.setMaximumHeight(150)
        layout.addWidget(self.table)

    def show_view(self, view: SignalsView) -> None:
        st = view.step
        if st is None:
            self.table.setRowCount(0)
            return
        self.table.setRowCount(view.k)
        self.table.setVerticalHeaderLabels([f"w{j}" for j in range(view.k)])
        for j in range(view.k):
            reads = f"x{st.sources[j]}" if st.sources[j] >= 0 else "0 (pad)"
            if st.sources[j] >= 0 and not 0 <= st.positions[j] < view.n:
                reads += f" ({view.padding_mode} pad)"
            for col, text in enumerate((fmt(view.w[j]), reads, fmt(st.values[j]),
                                        fmt(st.products[j]))):
                self._set_cell(j, col, text)

    def _set_cell(self, row: int, col: int, text: str) -> None:
        item = self.table.item(row, col)
        if item is None:
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, col, item)
        elif item.text() != text:
            item.setText(text)
