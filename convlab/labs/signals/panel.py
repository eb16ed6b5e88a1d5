"""The Signals & Kernels lab: define a signal and a kernel, watch ``x * w`` being made.

Every number shown comes from :mod:`convlab.core` (through
:func:`convlab.labs.signals.model.compute_view`), so a notebook with
``import convlab.core as cc`` reproduces it.

The panel is assembled from one mixin per area of the window, each in its own
module with that area's widgets and behaviour:

* :mod:`.signals_controls` — the control column (signal, kernel, operation, batch);
* :mod:`.signals_plots` — the plots, their theme colours and mouse editing;
* :mod:`.signals_step` — the step-through of one output and its derivative table.

This module lays them out, coalesces redraws, binds the shortcuts and
implements the :class:`~convlab.gui.base.LabPanel` API.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from convlab.exports import write_signals_csv
from convlab.gui.base import DataExport, LabPanel
from convlab.gui.widgets import Throttle

from .controls import ControlsMixin
from .model import SignalsState, SignalsView, compute_view
from .plots import PlotsMixin
from .step import StepThroughMixin

__all__ = ["SignalsPanel"]

_REDRAW_MS = 16  # an edit redraws at once, bursts then at most once a frame (~60 Hz)


class SignalsPanel(ControlsMixin, PlotsMixin, StepThroughMixin, LabPanel):
    """Signal, kernel, their convolution, step by step, with its derivative and a batch."""

    title = "Signals && Kernels"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = SignalsState()
        self.view: SignalsView | None = None

        self._redraw_throttle = Throttle(self._redraw, _REDRAW_MS, self)

        controls = self._build_controls()
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(controls.sizeHint().width() + 24)
        scroll.setMaximumWidth(controls.sizeHint().width() + 40)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self._build_plots(), 1)
        right_layout.addWidget(self._build_step_area())

        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(right, 1)

        self._build_shortcuts()
        self.follow_theme(self._apply_colors)
        self._apply_colors()
        self._sync_widgets()
        self.refresh()

    def _build_shortcuts(self) -> None:
        def cycle(combo) -> None:
            combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())

        self.add_shortcuts((
            ("Space", self.play_button.toggle),
            ("Alt+Right", lambda: self.step_slider.setValue(self.step_slider.value() + 1)),
            ("Alt+Left", lambda: self.step_slider.setValue(self.step_slider.value() - 1)),
            ("Ctrl+G", self.generate_signal),
            ("Ctrl+K", self.apply_preset),
            ("Ctrl+D", self.draw_check.toggle),
            ("Ctrl+B", self.batch_check.toggle),
            ("Ctrl+Shift+A", self.all_modes_check.toggle),
            ("Ctrl+F", lambda: cycle(self.flip_combo)),
            ("Ctrl+M", lambda: cycle(self.mode_combo)),
        ))

    def _apply_colors(self) -> None:
        self._restyle_step()
        self._restyle_plots()

    # ------------------------------------------------------------------ drawing
    def _schedule(self) -> None:
        self._redraw_throttle.request()

    def refresh(self) -> None:
        """Redraw now (edits are otherwise throttled to one redraw per frame)."""
        self._redraw_throttle.cancel()
        self._redraw()

    def _redraw(self) -> None:
        view = compute_view(self.state)
        self.view = view
        self._draw_plots(view)
        self._draw_step(view)
        self._show_batch_status(view)

    # ------------------------------------------------------------------ LabPanel API
    def data_exports(self) -> list[DataExport]:
        return [DataExport("Signal, kernel and output as CSV…", "CSV (*.csv)",
                           "convlab-signals.csv", self.save_csv)]

    def save_csv(self, path: Path) -> None:
        """Write x, w, z (and the batch X, Z when shown) to ``path`` as CSV."""
        view = self.view
        series: dict[str, Any] = {"x": self.state.x, "w": self.state.w}
        if view is not None:
            series["z"] = view.z
            if self.state.batch and view.batch_z is not None:
                for r, (row, out) in enumerate(zip(self.state.batch_x, view.batch_z,
                                                   strict=True)):
                    series[f"X[{r}]"] = row
                    series[f"Z[{r}]"] = out
        with open(path, "w", newline="", encoding="utf-8") as stream:
            write_signals_csv(stream, series)

    def get_state(self) -> dict[str, Any]:
        return self.state.to_dict()

    def set_state(self, state: dict[str, Any]) -> None:
        self.state = SignalsState.from_dict(copy.deepcopy(state))
        self._sync_widgets()
        self.refresh()

    def shutdown(self) -> None:
        if not self._shut_down:
            self.play_button.setChecked(False)
        super().shutdown()

    def self_test(self) -> None:
        saved = self.get_state()
        try:
            self.set_state(SignalsState().to_dict())
            self.x_edit.setText("1, 2, 4, 7")
            self.x_edit.textEdited.emit("1, 2, 4, 7")
            self.refresh()
            got = self.z_stems.getData()[1]
            assert np.allclose(got, [-1, -2, -3]), f"valid correlation gave {got}"
            self.mode_combo.setCurrentText("full")
            self.flip_combo.setCurrentIndex(1)
            self.refresh()
            got = self.z_stems.getData()[1]
            assert np.allclose(got, [1, 1, 2, 3, -7]), f"full convolution gave {got}"
            self.step_slider.setValue(2)
            self.refresh()
            assert self.view is not None and self.view.step is not None
            assert self.view.step.sources.tolist() == [2, 1], "window of z_2 is wrong"
            assert np.allclose(self.view.step.values, [4, 2]), "dz_2/dw is wrong"
        finally:
            self.set_state(saved)
