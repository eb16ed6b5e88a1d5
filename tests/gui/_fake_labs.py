"""Minimal lab panels for testing the main window shell on its own."""

from __future__ import annotations

import threading

from convlab.core import check_cancel
from convlab.gui.base import LabPanel
from convlab.gui.plots import make_plot

built: list[str] = []


def _spin(started: threading.Event, *, progress, cancel):
    started.set()
    while True:
        check_cancel(cancel)
        threading.Event().wait(0.005)


class FakePanel(LabPanel):

    def __init__(self, parent=None):
        super().__init__(parent)
        built.append(type(self).__name__)
        self.plot = make_plot("A plot", "x", "y", parent=self)
        self.shutdown_calls = 0
        self.started = threading.Event()
        self.value = 0
        self.pauses = 0

    def start_work(self):
        return self.tasks.start(_spin, self.started)

    def pause(self):
        self.pauses += 1

    def shutdown(self):
        self.shutdown_calls += 1
        super().shutdown()

    def self_test(self):
        assert self.plot is not None

    def get_state(self):
        return {"value": self.value}

    def set_state(self, state):
        value = state.get("value")
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"value must be a non-negative whole number, got {value!r}")
        self.value = value


class FakeA(FakePanel):
    pass


class FakeB(FakePanel):
    pass


class FakeC(FakePanel):
    pass
