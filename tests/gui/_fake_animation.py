"""A small lab with a recorded run, for testing Export Animation… without the real labs."""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QVBoxLayout

from convlab.gui.base import LabPanel
from convlab.gui.plots import make_plot


class FakeAnimatedLab(LabPanel):
    """A plot whose curve depends on the step; steps 0, 10, …, 1000 recorded."""

    def __init__(self, parent=None, steps=None):
        super().__init__(parent)
        self.steps = np.arange(0, 1001, 10, dtype=np.int64) if steps is None else steps
        self.plot = make_plot("Loss", "step", "loss", parent=self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot)
        self.curve = self.plot.plot(pen="b")
        self.dot = self.plot.plot(pen=None, symbol="o", symbolBrush="r")
        self.plot.setXRange(0, 1000, padding=0.02)
        self.plot.setYRange(0, 1, padding=0.02)
        self.pauses = 0
        self.shown: int | None = None
        self.fail_at: int | None = None
        self.show_calls: list[int | None] = []
        self._draw(int(self.steps[-1]) if len(self.steps) else 0)
        self.resize(480, 270)

    def _draw(self, step: int) -> None:
        x = np.arange(0, step + 1, 5, dtype=float)
        y = np.exp(-x / 250.0)
        self.curve.setData(x, y)
        self.dot.setData([x[-1]], [y[-1]])

    # -- Lab -------------------------------------------------------------------------
    def pause(self):
        self.pauses += 1

    def get_state(self):
        return {}

    def set_state(self, state):
        pass

    def self_test(self):
        pass

    def animation_source(self):
        return self

    # -- AnimationSource -----------------------------------------------------------
    def animation_steps(self):
        return self.steps

    def show_step(self, step):
        self.show_calls.append(step)
        if step is not None and self.fail_at is not None and step >= self.fail_at:
            raise RuntimeError("this step cannot be shown")
        self.shown = step
        if step is None:
            self._draw(int(self.steps[-1]))
        else:
            index = np.searchsorted(self.steps, step, side="right") - 1
            self._draw(int(self.steps[max(index, 0)]))

    def shown_step(self):
        return self.shown

    def animation_widget(self):
        return self.plot

    def animation_name(self):
        return "convlab-fake"


class FakeQuietLab(LabPanel):
    """A lab without a run (no animation source)."""

    def get_state(self):
        return {}

    def set_state(self, state):
        pass

    def self_test(self):
        pass


class FakeShortRunLab(FakeAnimatedLab):
    """A lab whose run has recorded only one step so far."""

    def __init__(self, parent=None):
        super().__init__(parent, steps=np.array([0], dtype=np.int64))
