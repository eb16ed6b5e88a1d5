"""The Signals & Kernels lab: define a signal and a kernel, watch ``x * w`` being made.

Every number shown comes from :mod:`convlab.core` (through
:func:`convlab.labs.signals.model.compute_view`), so a notebook with
``import convlab.core as cc`` reproduces it.

The panel only builds the components, lays them out and wires them:

* the control column — :class:`~.editors.SignalEditor`, :class:`~.editors.KernelEditor`,
  :class:`~.operation.OperationForm`, :class:`~.batch.BatchEditor` — edits the
  model (:class:`~.model.SignalsState`) and follows its per-field events;
* :class:`~.live.LiveView` recomputes the view when the model changes (at once,
  then at most once a frame);
* the plots (:mod:`.plots`, :class:`~.batch.BatchPlots`) and the step-through
  (:mod:`.step`) draw each new view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from convlab.exports import write_signals_csv
from convlab.gui.base import DataExport, LabPanel

from .batch import BatchEditor, BatchPlots
from .editors import KernelEditor, SignalEditor
from .jacobian import JacobianMatrix
from .live import LiveView
from .model import SignalsState, SignalsView, compute_view, csv_series
from .notebook_code import NotebookCode
from .operation import OperationForm
from .plots import KernelPlot, ModesStrip, OutputPlot, SignalPlot
from .step import DerivativeTable, StepThrough

__all__ = ["MIN_PLOT_HEIGHT", "SignalsPanel"]

#: The signal, kernel and output plots never get shorter (the plot column scrolls).
MIN_PLOT_HEIGHT = 130


class SignalsPanel(LabPanel):
    """Signal, kernel, their convolution, step by step, with its derivative and a batch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = SignalsState()
        self.live = LiveView(self.state, self)
        self.signal_editor = SignalEditor(self.state)
        self.kernel_editor = KernelEditor(self.state)
        self.operation = OperationForm(self.state)
        self.batch_editor = BatchEditor(self.state)
        self.signal_plot = SignalPlot(self.state)
        self.kernel_plot = KernelPlot(self.state)
        self.output_plot = OutputPlot()
        self.modes = ModesStrip()
        self.batch_plots = BatchPlots()
        self.step = StepThrough(self.state)
        self.derivative = DerivativeTable()
        self.jacobian = JacobianMatrix(self.state)
        self.notebook_code = NotebookCode(self.state)

        layout = QHBoxLayout(self)
        layout.addWidget(self._control_column())
        layout.addWidget(self._plot_column(), 1)
        self._wire()
        self._bind_shortcuts()
        self.live.refresh()

    # ------------------------------------------------------------------ layout and wiring
    def _control_column(self) -> QScrollArea:
        controls = QWidget()
        col = QVBoxLayout(controls)
        for group in (self.signal_editor, self.kernel_editor, self.operation,
                      self.batch_editor, self.notebook_code):
            col.addWidget(group)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no keys of its own: not a Tab stop
        self._controls = scroll
        self._fit_controls()
        return scroll

    def _fit_controls(self) -> None:
        """The control column as wide as its widgets want at the current text scale
        (presentation mode widens it; turning it off returns the normal width)."""
        scroll = self._controls
        if self._shut_down:
            return
        for widget in (scroll.widget(), *scroll.widget().findChildren(QWidget)):
            if widget.layout() is not None:  # sizes cached at the old text scale
                widget.layout().invalidate()
            widget.updateGeometry()
        width = scroll.widget().sizeHint().width()
        scroll.setMinimumWidth(width + 24)
        scroll.setMaximumWidth(width + 40)

    def _plot_column(self) -> QScrollArea:
        """Plots above, the step-through and derivative below, all in one splitter: on a
        small screen every part shrinks in proportion (and the user can drag the edges)."""
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.signal_plot.widget)
        row = QSplitter(Qt.Orientation.Horizontal)
        row.addWidget(self.kernel_plot.widget)
        row.addWidget(self.output_plot.widget)
        row.setSizes([350, 550])
        split.addWidget(row)
        split.addWidget(self.modes)
        split.addWidget(self.batch_plots)

        step_row = QWidget()
        step_layout = QHBoxLayout(step_row)
        step_layout.setContentsMargins(0, 0, 0, 0)
        step_layout.addWidget(self.step, 1)
        self.derivative_tabs = QTabWidget()
        self.derivative_tabs.addTab(self.derivative, "This row: ∂z_i/∂w_j")
        self.derivative_tabs.addTab(self.jacobian, "Whole Jacobian ∂z/∂w")
        self.derivative_tabs.tabBar().setAccessibleName("Derivative: this row or the whole "
                                                        "Jacobian")
        step_layout.addWidget(self.derivative_tabs, 1)
        split.addWidget(step_row)
        for index, stretch in enumerate((3, 3, 2, 2, 2)):
            split.setStretchFactor(index, stretch)
        split.setSizes([300, 260, 200, 240, 220])
        for plot in (self.signal_plot.widget, self.kernel_plot.widget, self.output_plot.widget):
            plot.setMinimumHeight(MIN_PLOT_HEIGHT)
        # below the plots' minimum the column scrolls: nothing is squeezed unreadable
        scroll = QScrollArea()
        scroll.setWidget(split)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return scroll

    def _wire(self) -> None:
        for component in (self.signal_plot, self.kernel_plot, self.output_plot, self.modes,
                          self.batch_plots, self.step, self.derivative, self.jacobian,
                          self.batch_editor):
            self.live.changed.connect(component.show_view)
        for component in (self.signal_plot, self.kernel_plot, self.output_plot, self.modes,
                          self.batch_plots, self.step):
            self.follow_theme(component.restyle)
            component.restyle()
        # after the new fonts reached the widgets (they arrive by posted events)
        self.follow_theme(lambda: QTimer.singleShot(0, self._fit_controls))
        self.signal_editor.drawing_toggled.connect(self.signal_plot.set_drawing)
        self.signal_editor.status.connect(self.status_message)
        self.kernel_editor.status.connect(self.status_message)

    def _bind_shortcuts(self) -> None:
        self.add_shortcuts((
            ("Space", self.step.toggle_play),
            ("Alt+Right", lambda: self.step.step_by(1)),
            ("Alt+Left", lambda: self.step.step_by(-1)),
            ("Ctrl+G", self.signal_editor.generate),
            ("Ctrl+K", self.kernel_editor.apply_preset),
            ("Ctrl+D", self.signal_editor.toggle_drawing),
            ("Ctrl+B", self.batch_editor.toggle),
            ("Ctrl+Shift+A", self.operation.toggle_all_modes),
            ("Ctrl+F", self.operation.cycle_flip),
            ("Ctrl+M", self.operation.cycle_mode),
        ))

    # ------------------------------------------------------------------ drawing
    @property
    def view(self) -> SignalsView:
        """What the lab shows now (derived from :attr:`state`)."""
        return self.live.view

    def refresh(self) -> None:
        """Redraw now (edits are otherwise throttled to one redraw per frame)."""
        self.live.refresh()

    # ------------------------------------------------------------------ LabPanel API
    def data_exports(self) -> list[DataExport]:
        return [DataExport("Signal, kernel and output as CSV…", "CSV (*.csv)",
                           "convlab-signals.csv", self.save_csv)]

    def save_csv(self, path: Path) -> None:
        """Write x, w, z (and the batch X, Z when shown) to ``path`` as CSV."""
        series = csv_series(compute_view(self.state))  # the state now, even mid-burst
        with open(path, "w", newline="", encoding="utf-8") as stream:
            write_signals_csv(stream, series)

    def get_state(self) -> dict[str, Any]:
        return self.state.to_dict()

    def set_state(self, state: dict[str, Any]) -> None:
        checked = SignalsState.from_dict(state)  # a copy; ValueError: nothing changes
        with self.live.held():
            self.state.update(checked.to_dict())

    def revision(self) -> int:
        """A number that changes whenever :meth:`get_state` would return something new."""
        return self.state.revision

    def pause(self) -> None:
        """Stop the step-through animation (the lab is hidden, or View → Pause All)."""
        self.step.pause()

    def shutdown(self) -> None:
        if not self._shut_down:
            self.step.pause()
        super().shutdown()

    def self_test(self) -> None:
        saved = self.get_state()
        edit = self.signal_editor.edit
        try:
            self.set_state(SignalsState().to_dict())
            edit.setText("1, 2, 4, 7")
            edit.textEdited.emit("1, 2, 4, 7")
            self.refresh()
            got = self.output_plot.z_stems.getData()[1]
            assert np.allclose(got, [-1, -2, -3]), f"valid correlation gave {got}"
            self.operation.mode_combo.setCurrentText("full")
            self.operation.flip_combo.setCurrentIndex(1)
            self.refresh()
            got = self.output_plot.z_stems.getData()[1]
            assert np.allclose(got, [1, 1, 2, 3, -7]), f"full convolution gave {got}"
            self.step.slider.setValue(2)
            self.refresh()
            assert self.view.step is not None
            assert self.view.step.sources.tolist() == [2, 1], "window of z_2 is wrong"
            assert np.allclose(self.view.step.values, [4, 2]), "dz_2/dw is wrong"
        finally:
            self.set_state(saved)
