"""Issue 14: the CNN Training lab stays responsive while it trains, and trains at the core's pace.

For network A (the app's default: the four detectors as a trainable start) and network B
(ConvNetJS's), on the bundled sample (or the full set with ``--mnist``), the
panel is built standalone at 1280×820 (offscreen) and Train is pressed:

* **repaint latency**: every 100 ms a timer asks the loss plot to repaint (as a
  hover or a resize would); the longest time from such a request to the plot's
  paint event while the worker trains is how long the window keeps a user
  waiting. Target < 50 ms.
* **repaint gap**: the longest time between two paint events of the loss plot
  (its own redraws and the requested ones), for information.
* **live views**: the longest gap between two snapshots shown (curves, kernels,
  feature maps redrawn), for information (a test evaluation of B takes a while).
* **throughput**: batches per second in the panel (the worker, with the views
  redrawing) against the core alone (``CNNTrainer.step`` in a loop, same
  network, settings and data), taking turns.
"""

from __future__ import annotations

import itertools
import time

from .bench_gui import SIZE, _close, _PaintCounter, _run_event_loop, qt_app
from .harness import Context, Row, Target, describe_error, median, not_available

__all__ = ["bench_cnn_panel"]

GAP_TARGET_MS = 50.0


class _PaintTimes(_PaintCounter):
    """Paint events of a widget with their times."""

    def __init__(self, widget) -> None:
        super().__init__(widget)
        self.times: list[float] = []
        from PyQt6.QtCore import QEvent, QObject

        times = self.times

        class Filter(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint:
                    times.append(time.perf_counter())
                return False

        widget.removeEventFilter(self.filter)
        self.filter = Filter()
        widget.installEventFilter(self.filter)


def _max_gap_ms(times: list[float], start: float, end: float) -> float:
    points = [start, *[t for t in times if start <= t <= end], end]
    return 1000 * max(b - a for a, b in itertools.pairwise(points))


def _max_latency_ms(requests: list[float], paints: list[float], start: float,
                    end: float) -> float:
    """Longest time from a request to the first paint after it (to ``end`` if none came)."""
    import bisect

    worst = 0.0
    for t in requests:
        if start <= t <= end - 0.06:
            i = bisect.bisect_right(paints, t)
            worst = max(worst, (paints[i] if i < len(paints) else end) - t)
    return 1000 * worst


def _run_rate(panel, seconds: float) -> float:
    from convlab.labs.cnn.run import TrainingRun

    model = panel.model
    run = TrainingRun(model.architecture(), model.trainer_options(), panel.data.dataset)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        run.advance(5)
    return run.step / (time.perf_counter() - t0)


def _core_rate(panel, seconds: float) -> float:
    import convlab.core as cc

    model = panel.model
    net = cc.build_network(model.architecture(), seed=model.seed)
    data = panel.data.dataset
    trainer = cc.CNNTrainer(net, (data.train_images, data.train_labels),
                            **model.trainer_options())
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.step(5)
    return trainer.step_count / (time.perf_counter() - t0)


def _digits(ctx: Context):
    import convlab.core as cc
    from convlab.gui.digits import DigitData

    if ctx.mnist_dir is not None:
        try:
            return DigitData(cc.load_mnist(ctx.mnist_dir)), "full MNIST"
        except Exception as exc:  # a note, then the sample
            ctx.note(f"cnn_panel: could not load {ctx.mnist_dir} ({describe_error(exc)})")
    return DigitData(cc.load_mnist()), "bundled sample"


def _measure(panel, preset: str, seconds: float, runs: int) -> dict[str, list[float]]:
    """Train ``runs`` times for ``seconds`` with repaint requests every 50 ms; the figures."""
    from PyQt6.QtCore import QTimer

    panel.resize(*SIZE)
    panel.show()
    _run_event_loop(0.1)
    panel.model.use_preset(preset)
    panel.model.epochs = 100  # trains for as long as we watch
    viewport = panel.curves.loss_plot.viewport()
    paints = _PaintTimes(viewport)
    shown: list[float] = []
    requests: list[float] = []
    panel.controller.updated.connect(lambda _s: shown.append(time.perf_counter()))

    def request() -> None:
        requests.append(time.perf_counter())
        viewport.update()

    poke = QTimer()
    poke.setInterval(100)
    poke.timeout.connect(request)
    out: dict[str, list[float]] = {k: [] for k in ("latency", "gap", "live", "rate", "run",
                                                   "core")}
    try:
        for _ in range(runs):
            panel.controller.reset()
            _run_event_loop(0.05)
            step0 = panel.controller.run.step
            poke.start()
            t0 = time.perf_counter()
            panel.controller.train()
            _run_event_loop(seconds)
            t1 = time.perf_counter()
            panel.controller.pause()
            poke.stop()
            out["gap"].append(_max_gap_ms(paints.times, t0 + 0.05, t1))
            out["latency"].append(_max_latency_ms(requests, paints.times, t0 + 0.05, t1))
            out["live"].append(_max_gap_ms(shown, t0 + 0.05, t1))
            out["rate"].append((panel.controller.snapshot.step - step0) / (t1 - t0))
            out["core"].append(_core_rate(panel, seconds))
            out["run"].append(_run_rate(panel, seconds))
    finally:
        paints.remove()
    return out


def bench_cnn_panel(ctx: Context) -> list[Row]:
    """Repaint latency and batches/s of the CNN lab while it trains networks A and B."""
    bench = "cnn panel"
    seconds = ctx.pick(0.5, 2.0, 4.0)
    runs = ctx.pick(1, 2, 3)
    try:
        qt_app()
        from convlab.labs.cnn.panel import CNNPanel
    except Exception as exc:
        return [not_available(bench, "train", "CNNPanel", "ms", describe_error(exc))]
    data, where = _digits(ctx)
    rows: list[Row] = []
    for preset in ("A-detectors", "B"):
        case = f"network {preset}, {where}, Train {runs}×{seconds:g} s"
        panel = CNNPanel(data=data)
        try:
            m = _measure(panel, preset, seconds, runs)
        except Exception as exc:
            rows.append(not_available(bench, case, "CNNPanel", "ms", describe_error(exc)))
            continue
        finally:
            _close(panel)
        rows.append(Row(bench, case, "CNNPanel: longest wait from a repaint request to the "
                        "loss plot's repaint while training", median(m["latency"]), "ms",
                        m["latency"], note="asked every 100 ms"
                        ).judge(Target("<", GAP_TARGET_MS)))
        rows.append(Row(bench, case, "CNNPanel: longest gap between loss-plot repaints",
                        median(m["gap"]), "ms", m["gap"]))
        rows.append(Row(bench, case, "CNNPanel: longest gap between two snapshots shown",
                        median(m["live"]), "ms", m["live"],
                        note="curves, kernels, confusion redrawn; includes test evaluations"))
        rate = median(m["rate"])
        rows.append(Row(bench, case, "CNNPanel: batches/s while training (views live)", rate,
                        "batches/s", m["rate"]))
        rows.append(Row(bench, case, "the lab's TrainingRun.advance alone (no GUI)",
                        median(m["run"]), "batches/s", m["run"],
                        note=f"the same work (core steps + 4 test evaluations an epoch); "
                             f"panel/this = {rate / median(m['run']):.2f}"))
        rows.append(Row(bench, case, "core CNNTrainer.step alone", median(m["core"]),
                        "batches/s", m["core"],
                        note=f"no test evaluations; panel/core = {rate / median(m['core']):.2f}"))
    return rows
