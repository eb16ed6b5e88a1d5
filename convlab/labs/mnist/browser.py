"""The "Digit" box: split, label filter, position, previous / random / next.

:class:`DigitBrowser` drives :class:`~convlab.labs.mnist.selection.DigitSelection`
and shows the model's ``split``, ``label_filter``, ``index`` and
``digit_source`` in small per-field slots. Positions are counted from 1 for
people ("1 of 1,000" … "1,000 of 1,000"); the data-set index (from 0, as in
Python and the notebook's ``X_train[2]``) is shown beside it.
"""

from __future__ import annotations

from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QComboBox, QGroupBox, QLabel, QSlider, QSpinBox, QWidget

from .layout import button, fill, row
from .model import SPLITS
from .selection import DigitSelection

__all__ = ["DigitBrowser"]


class DigitBrowser(QGroupBox):
    """Browse the data set: which split, which labels, which digit."""

    def __init__(self, selection: DigitSelection, parent: QWidget | None = None) -> None:
        super().__init__("Digit", parent)
        self._selection = selection
        self.split_combo = QComboBox()
        for key, text in SPLITS.items():
            self.split_combo.addItem(text, key)
        self.split_combo.setToolTip("Browse the training or the test digits")
        self.filter_combo = QComboBox()
        self.filter_combo.addItem("all labels", None)
        for c in range(10):
            self.filter_combo.addItem(f"only {c}s", c)
        self.filter_combo.setToolTip("Show only digits with this label")
        self.position_spin = QSpinBox()
        self.position_spin.setGroupSeparatorShown(True)
        self.position_spin.setToolTip(
            "Which digit of the (filtered) list, counted from 1; type a number or use the arrows"
        )
        self.position_slider = QSlider(Qt.Orientation.Horizontal)
        self.position_slider.setToolTip("Scroll through the digits")
        self.label_label = QLabel()
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.3)
        big.setBold(True)
        self.label_label.setFont(big)
        self.label_label.setToolTip("The digit's label (what it is meant to be)")
        self.index_label = QLabel()
        self.index_label.setToolTip("Which digit of the data set is shown")
        self.prev_button = button("◀ Prev", "Previous digit", selection.previous, "Ctrl+Left")
        self.random_button = button("Random", "A random digit", selection.random_digit, "Ctrl+R")
        self.next_button = button("Next ▶", "Next digit", selection.next, "Ctrl+Right")
        fill(
            self,
            row(self.split_combo, self.filter_combo),
            row(self.position_spin, self.label_label, stretch=1),
            self.position_slider,
            self.index_label,
            row(self.prev_button, self.random_button, self.next_button),
        )
        for widget, text in ((self.split_combo, "Split"), (self.filter_combo, "Label filter"),
                             (self.position_spin, "Digit number"),
                             (self.position_slider, "Scroll through the digits")):
            widget.setAccessibleName(text)
        self._bind()

    def _bind(self) -> None:
        sel = self._selection
        self.split_combo.currentIndexChanged.connect(
            lambda _i: sel.set_split(self.split_combo.currentData())
        )
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: sel.set_label_filter(self.filter_combo.currentData())
        )
        self.position_spin.valueChanged.connect(lambda v: sel.go_to_position(v - 1))
        self.position_slider.valueChanged.connect(sel.go_to_position)
        events = sel.model.events
        events.split.connect(self._on_split_changed)
        events.label_filter.connect(self._on_label_filter_changed)
        events.index.connect(self._on_index_changed)
        events.digit_source.connect(self._on_digit_source_changed)
        sel.data.changed.connect(self._on_data_changed)
        model = sel.model
        self._on_split_changed(model.split, None)
        self._on_label_filter_changed(model.label_filter, None)

    # -- model → widgets ----------------------------------------------------
    def _on_split_changed(self, new: str, _old: str | None) -> None:
        with QSignalBlocker(self.split_combo):
            self.split_combo.setCurrentIndex(self.split_combo.findData(new))
        self._show_range()

    def _on_label_filter_changed(self, new: int | None, _old: int | None) -> None:
        with QSignalBlocker(self.filter_combo):
            self.filter_combo.setCurrentIndex(0 if new is None else new + 1)
        self._show_range()

    def _on_index_changed(self, _new: int, _old: int) -> None:
        self._show_position()

    def _on_digit_source_changed(self, _new: str, _old: str) -> None:
        self._show_label()

    def _on_data_changed(self, _dataset: object) -> None:
        self._show_range()

    def _show_range(self) -> None:
        """The filtered list's length in the spin box and the slider, then the position."""
        count = len(self._selection.filtered())
        last = max(count - 1, 0)
        with QSignalBlocker(self.position_spin):
            self.position_spin.setRange(1 if count else 0, count)
            self.position_spin.setSuffix(f" of {count:,}")
        with QSignalBlocker(self.position_slider):
            self.position_slider.setRange(0, last)
        self._show_position()

    def _show_position(self) -> None:
        position = self._selection.position()
        with QSignalBlocker(self.position_spin):
            self.position_spin.setValue(position + 1 if len(self._selection.filtered()) else 0)
        with QSignalBlocker(self.position_slider):
            self.position_slider.setValue(position)
        self._show_label()

    def _show_label(self) -> None:
        sel = self._selection
        split, index = sel.model.split, sel.index()
        if sel.model.digit_source == "drawing":
            self.label_label.setText("your drawing")
            self.index_label.setText(f"(browsing {split} digit {index + 1:,}, index {index:,})")
        elif len(sel.filtered()):
            self.label_label.setText(f"label {sel.current_label()}")
            self.index_label.setText(
                f"{split} digit {index + 1:,} of {sel.data.size(split):,} (index {index:,})"
            )
        else:
            self.label_label.setText("—")
            self.index_label.setText(f"no digit labelled {sel.model.label_filter} in this split")
