"""Issue 8 §3 (in the app) and §4: the real panels, offscreen, driven through their widgets.

Gradient Descent panel: the Run button at the "max" speed setting, for a fixed
wall time in a real Qt event loop; optimizer steps come from the trainer's
step counter, frames from the paint events of the loss plot (a frame is a
repaint that reached the screen, not a timer tick).

Interactivity: the time from a user action to the updated figure, including
``processEvents`` until the plotted data shows the new result (checked
against the core), so coalescing timers and the repaint are counted:

* MNIST panel: a threshold-slider move → the masks shown for all four detectors;
* MNIST panel: a kernel-cell edit → that detector's response;
* Signals panel: the last keystroke of a kernel typed into the kernel field →
  the output stems equal ``cc.conv1d`` of the signal with the new kernel.

The panels are built standalone at 1280×820 with the offscreen platform;
painting offscreen costs less than on a real display, so frame rates here
are an upper bound of what a screen gets, and latencies a lower bound.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from .harness import Context, Row, Target, describe_error, median, not_available

__all__ = ["bench_gradient_panel", "bench_interactivity"]

FPS_TARGET = 30.0
LATENCY_TARGET_MS = 16.0
SIZE = (1280, 820)


_APP: list = []  # keeps the QApplication alive between benchmarks


def qt_app():
    """The QApplication (created offscreen if there is none yet)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(["convlab-benchmarks"])
        _APP.append(app)
    from convlab.gui.theme import theme_manager

    theme_manager().apply()
    return app


class _PaintCounter:
    """Counts paint events of one widget (a QObject event filter, created lazily)."""

    def __init__(self, widget) -> None:
        from PyQt6.QtCore import QEvent, QObject

        counter = self

        class Filter(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self.widget = widget
        self.filter = Filter()
        widget.installEventFilter(self.filter)

    def remove(self) -> None:
        self.widget.removeEventFilter(self.filter)


def _show(panel) -> None:
    from PyQt6.QtWidgets import QApplication

    panel.resize(*SIZE)
    panel.show()
    for _ in range(5):
        QApplication.processEvents()


def _close(panel) -> None:
    from PyQt6.QtWidgets import QApplication

    panel.shutdown()
    panel.close()
    panel.deleteLater()
    QApplication.processEvents()


def _run_event_loop(seconds: float) -> None:
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


#: Pause before each timed edit: the panels redraw an edit at once but throttle bursts to
#: one redraw a frame, and people do not type or edit 60 times a second.
_PAUSE_S = 0.03


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Process events until ``condition()`` holds; False on timeout."""
    from PyQt6.QtCore import QEventLoop
    from PyQt6.QtWidgets import QApplication

    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 1)
    return True


# -- Gradient Descent panel -------------------------------------------------------------------
def bench_gradient_panel(ctx: Context) -> list[Row]:
    """Steps/s and frames/s of the running Gradient Descent panel (max speed, live plots)."""
    bench = "training (panel)"
    seconds = ctx.pick(0.3, 2.0, 3.0)
    runs = ctx.pick(1, 2, 3)
    case = f"Run at max speed, {runs}×{seconds:g} s"
    try:
        qt_app()
        from convlab.labs.gradient.panel import GradientPanel
    except Exception as exc:
        return [not_available(bench, case, "GradientPanel", "steps/s", describe_error(exc))]
    panel = GradientPanel()
    counter = None
    try:
        _show(panel)
        combo = panel.toolbar.speed_combo
        index = combo.findData(0)  # 0 = "max (8 ms per frame)"
        if index < 0:
            raise RuntimeError("the speed menu has no 'max' entry")
        combo.setCurrentIndex(index)
        plot = panel.curves.loss_plot
        counter = _PaintCounter(plot.viewport())
        rates, fps, own = [], [], []
        for _ in range(runs):
            panel.toolbar.reset_button.click()
            _run_event_loop(0.05)
            start_steps, start_frames = panel.controller.trainer.step_count, counter.count
            t0 = time.perf_counter()
            panel.toolbar.run_button.setChecked(True)
            _run_event_loop(seconds)
            panel.toolbar.run_button.setChecked(False)
            elapsed = time.perf_counter() - t0
            if panel.controller.trainer.diverged:
                raise RuntimeError(f"the default run diverged: {panel.controller.trainer.status}")
            rates.append((panel.controller.trainer.step_count - start_steps) / elapsed)
            fps.append((counter.count - start_frames) / elapsed)
            runs = panel.controller
            own.append(f"{runs.steps_per_second:,.0f} steps/s, {runs.frames_per_second:.0f} fps")
        history = len(panel.controller.trainer.history)
    except Exception as exc:
        return [not_available(bench, case, "GradientPanel", "steps/s", describe_error(exc))]
    finally:
        if counter is not None:
            counter.remove()
        _close(panel)
    steps = Row(bench, case, "GradientPanel: optimizer steps while running", median(rates),
                "steps/s", rates,
                note=f"the panel's own read-out: {own[-1]}; history {history:,} points")
    frames = Row(bench, case, "GradientPanel: loss-plot repaints while running", median(fps),
                 "frames/s", fps, note="paint events of the loss plot")
    return [steps, frames.judge(Target(">=", FPS_TARGET))]


# -- interactivity ----------------------------------------------------------------------------
def _latency_row(bench: str, case: str, subject: str, times_s: list[float], note: str) -> Row:
    ms = [t * 1000 for t in times_s]
    row = Row(bench, case, subject, median(ms), "ms", ms,
              note=f"{note}; worst {max(ms):.1f} ms of {len(ms)}")
    return row.judge(Target("<", LATENCY_TARGET_MS))


def _redraw_row(bench: str, case: str, subject: str, refresh: Callable[[], None],
                changes: int) -> Row:
    """The panel's own redraw plus the repaint, without the coalescing timer (a diagnosis)."""
    from PyQt6.QtWidgets import QApplication

    times = []
    for _ in range(changes):
        t0 = time.perf_counter()
        refresh()
        QApplication.processEvents()
        times.append((time.perf_counter() - t0) * 1000)
    return Row(bench, case, subject, median(times), "ms", times,
               note="refresh() called directly, then processEvents: no coalescing timer")


def _mnist_rows(ctx: Context, bench: str, changes: int) -> list[Row]:
    from PyQt6.QtWidgets import QApplication

    from convlab.labs.mnist.panel import MnistPanel

    panel = MnistPanel()
    try:
        _show(panel)
        panel.model.display = "mask"
        view = panel.figure_view
        kernels = len(panel.figure.masks)
        # -- threshold slider
        slider = panel.controls.threshold_slider
        base = slider.value()
        times = []
        for i in range(changes):
            value = base + (i % 7 + 1) * (1 if i % 2 else -1)
            before = panel.figure.level
            t0 = time.perf_counter()
            slider.setValue(value)
            QApplication.processEvents()
            times.append(time.perf_counter() - t0)
            level = panel.figure.level
            if level == before or not np.isclose(level, panel.controls.threshold_spin.value()):
                raise AssertionError(f"the figure's threshold {level} did not follow the slider")
            want = panel.figure.responses > level
            for k in range(kernels):
                if not np.array_equal(view.displayed(k) > 0.5, want[k]):
                    raise AssertionError(f"detector {k} does not show the mask at {level}")
        rows = [_latency_row(bench, "MNIST: threshold slider → 4 masks", "MnistPanel", times,
                             "masks checked against the responses")]
        # -- one kernel cell
        editor = panel.kernel_editor
        times = []
        for i in range(changes):
            k, value = i % kernels, float(i % 5 - 2)
            digit = panel.selection.current_digit()
            _run_event_loop(_PAUSE_S)  # a person's edits are further apart than one frame
            t0 = time.perf_counter()
            editor.set_cell(k, 1, 1, value)
            ok = _wait_until(lambda k=k, value=value: panel.figure is not None
                             and panel.figure.kernels[k][1, 1] == value)
            QApplication.processEvents()
            times.append(time.perf_counter() - t0)
            if not ok:
                raise AssertionError("the figure did not follow the kernel edit")
            from scipy.signal import convolve2d

            from convlab.core.detectors import scale_digit

            want = convolve2d(scale_digit(digit, np.float64), panel.figure.kernels[k])
            if not np.allclose(panel.figure.responses[k], want):
                raise AssertionError("the response of the edited kernel is wrong")
        rows.append(_latency_row(bench, "MNIST: kernel cell edit → response", "MnistPanel",
                                 times, "response checked against scipy.signal.convolve2d"))
        rows.append(_redraw_row(bench, "MNIST: kernel cell edit → response",
                                "LiveFigure.refresh() + repaint", _refresh_figure(panel),
                                changes))
        return rows
    finally:
        _close(panel)


def _refresh_figure(panel):
    """Recompute and redraw the MNIST figure (forced: the live figure skips unchanged inputs)."""
    def refresh() -> None:
        panel.live.invalidate()
        panel.live.refresh()
    return refresh


def _signals_rows(ctx: Context, bench: str, changes: int) -> list[Row]:
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QApplication

    from convlab.core.conv1d import conv1d
    from convlab.labs.signals.panel import SignalsPanel

    panel = SignalsPanel()
    try:
        _show(panel)
        edit = panel.kernel_editor.edit
        times = []
        for i in range(changes):
            digit = str(i % 9 + 1)
            text = f"1, -1, 0.{digit}"
            edit.setFocus()
            edit.selectAll()
            QTest.keyClicks(edit, text[:-1])  # everything but the last keystroke, untimed
            panel.refresh()
            QApplication.processEvents()
            s = panel.state
            want = conv1d(np.asarray(s.x), [1, -1, float(f"0.{digit}")], mode=s.mode,
                          flip=s.flip, stride=s.stride, dilation=s.dilation,
                          padding_mode=s.padding_mode)

            def shown(want=want) -> bool:
                z = panel.output_plot.z_stems.getData()[1]
                return z is not None and len(z) == len(want) and np.allclose(z, want)

            _run_event_loop(_PAUSE_S)  # a person's keystrokes are further apart than one frame
            t0 = time.perf_counter()
            QTest.keyClick(edit, digit)
            ok = _wait_until(shown)
            QApplication.processEvents()
            times.append(time.perf_counter() - t0)
            if not ok:
                raise AssertionError(f"the output did not become conv1d(x, [{text}])")
        last_tap = iter(np.resize([0.25, 0.75], changes))

        def edit_and_refresh() -> None:  # an unchanged state redraws nothing: change a tap
            with panel.live.held():  # recomputes once, when the block ends
                panel.state.w = [1.0, -1.0, float(next(last_tap))]

        case = "Signals: kernel keystroke → output"
        return [_latency_row(bench, case, "SignalsPanel", times,
                             "output checked against cc.conv1d"),
                _redraw_row(bench, case, "SignalsPanel: tap edit, refresh() + repaint",
                            edit_and_refresh, changes)]
    finally:
        _close(panel)


def bench_interactivity(ctx: Context) -> list[Row]:
    """Latency from a widget change to the updated plot, in the MNIST and Signals panels."""
    bench = "interactivity"
    changes = ctx.pick(3, 15, 30)
    rows: list[Row] = []
    try:
        qt_app()
    except Exception as exc:
        return [not_available(bench, "-", "Qt", "ms", describe_error(exc))]
    for name, fn in (("MnistPanel", _mnist_rows), ("SignalsPanel", _signals_rows)):
        try:
            rows.extend(fn(ctx, bench, changes))
        except Exception as exc:
            rows.append(not_available(bench, name, name, "ms", describe_error(exc)))
    return rows
