"""Which digit the MNIST lab shows: the data-set browser and the drawing canvas.

:class:`DigitBrowserMixin` builds the "Digit" box (split, label filter,
position, previous/random/next, thumbnails) and the "Draw a digit" box, and
keeps ``state.index`` / ``state.digit_source`` in step with them. It is mixed
into :class:`~convlab.labs.mnist.panel.MnistPanel`, whose ``state``, ``data``,
``_sync_widgets`` and ``refresh`` it uses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PyQt6.QtCore import QSignalBlocker, Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QCheckBox, QComboBox, QLabel, QSlider, QSpinBox

from .canvas import DrawCanvas
from .layout import button, group, row

__all__ = ["DigitBrowserMixin"]


class DigitBrowserMixin:
    """Browsing the data set and drawing a digit (mixed into ``MnistPanel``)."""

    # ------------------------------------------------------------- build
    def _build_browser(self) -> None:
        self._filtered_cache: tuple[tuple, NDArray] | None = None
        self._random = np.random.default_rng()
        self.split_combo = QComboBox()
        self.split_combo.addItem("training set", "train")
        self.split_combo.addItem("test set", "test")
        self.split_combo.setToolTip("Browse the training or the test digits")
        self.filter_combo = QComboBox()
        self.filter_combo.addItem("all labels", None)
        for c in range(10):
            self.filter_combo.addItem(f"only {c}s", c)
        self.filter_combo.setToolTip("Show only digits with this label")
        self.position_spin = QSpinBox()
        self.position_spin.setPrefix("#")
        self.position_spin.setToolTip("Position in the (filtered) list of digits")
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
        self.prev_button = button("◀ Prev", "Previous digit", self.previous, "Ctrl+Left")
        self.random_button = button("Random", "A random digit", self.random_digit, "Ctrl+R")
        self.next_button = button("Next ▶", "Next digit", self.next, "Ctrl+Right")
        self.browser_box = group(
            "Digit",
            row(self.split_combo, self.filter_combo),
            row(self.position_spin, self.label_label, stretch=1),
            self.position_slider,
            self.index_label,
            row(self.prev_button, self.random_button, self.next_button),
        )
        self.split_combo.currentIndexChanged.connect(
            lambda _i: self._set_browse(split=self.split_combo.currentData())
        )
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self._set_browse(label_filter=self.filter_combo.currentData())
        )
        self.position_spin.valueChanged.connect(self.go_to_position)
        self.position_slider.valueChanged.connect(self.go_to_position)

    def _build_canvas_box(self) -> None:
        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self._on_drawing)
        self.clear_button = button("Clear", "Wipe the canvas", self.canvas.clear)
        self.recenter_button = button(
            "Centre", "Move the drawing's centre of mass to the middle", self.canvas.recenter
        )
        self.copy_button = button(
            "Copy digit", "Put the data-set digit on the canvas to edit it", self._copy_digit
        )
        self.auto_center = QCheckBox("Centre after each stroke (like MNIST)")
        self.auto_center.setChecked(True)
        self.auto_center.setToolTip(
            "MNIST digits were shifted so their centre of mass is the image centre"
        )
        self.auto_center.toggled.connect(
            lambda on: setattr(self.canvas, "recenter_on_release", on)
        )
        self.use_drawing = QCheckBox("Show my drawing")
        self.use_drawing.setToolTip("Feed the detectors your drawing instead of the data-set digit")
        self.use_drawing.toggled.connect(
            lambda on: self._set_digit_source("drawing" if on else "dataset")
        )
        self.canvas_box = group(
            "Draw a digit",
            self.canvas,
            row(self.clear_button, self.recenter_button, self.copy_button),
            self.auto_center,
            self.use_drawing,
        )

    # ------------------------------------------------------------- model → view
    def _sync_browser_widgets(self) -> None:
        """Put split, label filter, position and digit source into the Digit and Draw boxes."""
        s = self.state
        filtered = self.filtered_indices()
        position = self.position()
        with (
            QSignalBlocker(self.split_combo),
            QSignalBlocker(self.filter_combo),
            QSignalBlocker(self.position_spin),
            QSignalBlocker(self.position_slider),
            QSignalBlocker(self.use_drawing),
        ):
            self.split_combo.setCurrentIndex(self.split_combo.findData(s.split))
            self.filter_combo.setCurrentIndex(0 if s.label_filter is None else s.label_filter + 1)
            last = max(len(filtered) - 1, 0)
            self.position_spin.setRange(0, last)
            self.position_spin.setSuffix(f" of {len(filtered):,}")
            self.position_slider.setRange(0, last)
            self.position_spin.setValue(position)
            self.position_slider.setValue(position)
            self.use_drawing.setChecked(s.digit_source == "drawing")
        self._show_label()
        self._update_thumbnails()

    def _show_label(self) -> None:
        s = self.state
        images, labels = self.data.split(s.split)
        if s.digit_source == "drawing":
            self.label_label.setText("your drawing")
            self.index_label.setText(f"(browsing {s.split} digit #{s.index:,})")
        elif len(self.filtered_indices()):
            self.label_label.setText(f"label {int(labels[s.index])}")
            self.index_label.setText(f"{s.split} digit #{s.index:,} of {len(images):,}")
        else:
            self.label_label.setText("—")
            self.index_label.setText(f"no digit labelled {s.label_filter} in this split")

    def _update_thumbnails(self) -> None:
        filtered = self.filtered_indices()
        if not len(filtered):
            self.thumbnails.set_digits(np.zeros((0, 28, 28), np.uint8), [], -1)
            return
        pos = self.position()
        slots = self.thumbnails.slots
        start = min(max(pos - slots // 2, 0), max(len(filtered) - slots, 0))
        positions = list(range(start, min(start + slots, len(filtered))))
        images, _ = self.data.split(self.state.split)
        self.thumbnails.set_digits(images[filtered[positions]], positions, pos)

    # ------------------------------------------------------------- browsing
    def filtered_indices(self) -> NDArray:
        """Indices (in the current split) of the digits the browser walks through."""
        key = (id(self.data), self.state.split, self.state.label_filter)
        if self._filtered_cache is None or self._filtered_cache[0] != key:
            _, labels = self.data.split(self.state.split)
            if self.state.label_filter is None:
                indices = np.arange(len(labels))
            else:
                indices = np.flatnonzero(labels == self.state.label_filter)
            self._filtered_cache = (key, indices)
        return self._filtered_cache[1]

    def position(self) -> int:
        """Where the current digit is in :meth:`filtered_indices`."""
        filtered = self.filtered_indices()
        return int(min(np.searchsorted(filtered, self.state.index), max(len(filtered) - 1, 0)))

    def current_digit(self) -> NDArray:
        """The digit fed to the detectors: uint8 from the data set, or the drawing."""
        if self.state.digit_source == "drawing":
            return self.canvas.image()
        images, _ = self.data.split(self.state.split)
        filtered = self.filtered_indices()
        if not len(filtered):
            return np.zeros((28, 28), np.uint8)
        return images[self.state.index]

    def current_label(self) -> int | None:
        if self.state.digit_source == "drawing" or not len(self.filtered_indices()):
            return None
        return int(self.data.split(self.state.split)[1][self.state.index])

    def go_to_position(self, position: int) -> None:
        """Show the digit at ``position`` of the filtered list."""
        filtered = self.filtered_indices()
        if not len(filtered):
            return
        position = min(max(int(position), 0), len(filtered) - 1)
        self.state.index = int(filtered[position])
        self._show_dataset()

    def show_digit(self, index: int, split: str | None = None) -> None:
        """Show digit ``index`` of ``split`` (clears the label filter if it hides it)."""
        split = split or self.state.split
        images, labels = self.data.split(split)
        if not 0 <= index < len(images):
            raise ValueError(f"{split} has digits 0…{len(images) - 1}, not {index}")
        self.state.split = split
        if self.state.label_filter is not None and labels[index] != self.state.label_filter:
            self.state.label_filter = None
        self.state.index = int(index)
        self._show_dataset()

    def previous(self) -> None:
        self.go_to_position(self.position() - 1)

    def next(self) -> None:
        self.go_to_position(self.position() + 1)

    def random_digit(self) -> None:
        filtered = self.filtered_indices()
        if len(filtered):
            self.go_to_position(int(self._random.integers(len(filtered))))

    def _set_browse(self, **changes) -> None:
        for key, value in changes.items():
            setattr(self.state, key, value)
        filtered = self.filtered_indices()
        if len(filtered):  # keep the digit if it matches, else the next matching one
            self.state.index = int(filtered[self.position()])
        self._show_dataset()

    def _show_dataset(self) -> None:
        """Feed the detectors the data-set digit ``state.index`` and show it everywhere."""
        self.state.digit_source = "dataset"
        self._sync_widgets()
        self.refresh()

    # ------------------------------------------------------------- drawing
    def _on_drawing(self) -> None:
        self.state.drawing = np.round(self.canvas.image(), 4).tolist()
        self._set_digit_source("drawing")

    def _set_digit_source(self, source: str) -> None:
        if source != self.state.digit_source:
            self.state.digit_source = source
            with QSignalBlocker(self.use_drawing):
                self.use_drawing.setChecked(source == "drawing")
            self._show_label()
        self.schedule_refresh()

    def _copy_digit(self) -> None:
        images, _ = self.data.split(self.state.split)
        self.canvas.set_image(images[self.state.index])
