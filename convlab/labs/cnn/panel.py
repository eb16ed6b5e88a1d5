"""The CNN Training lab: watch a convolutional network learn its kernels from MNIST, live.

The Gradient lab learned a 1-D kernel, the MNIST lab showed four hand-made
2-D kernels; here a network learns its 2-D kernels from the application's
digits (those the MNIST lab loaded: the bundled sample by default), and the
learned kernels stand beside the hand-made ones.

This module only builds the lab's parts, lays them out and wires them; each
part binds to the model (:class:`~.model.CNNState`) or to the training
controller on its own:

* :mod:`.model` — the settings (network blocks, optimizer …), validated;
* :mod:`.run` — one training run (the core's trainer, evaluations, snapshots; Qt-free);
* :mod:`.controller` — Train / Pause / Step / Reset, the worker, the GUI-side network;
* :mod:`.controls` — the Network and Training boxes (presets, lesson, settings, progress);
* :mod:`.curves`, :mod:`.kernels`, :mod:`.confusion` — loss and accuracy, the learned
  kernels beside the detectors, the confusion matrix with its digits;
* :mod:`.inside` — one digit (or your drawing) through every layer, scores and softmax;
* :mod:`.editor` — the layer editor with output shapes, and the gradient check;
* :mod:`.persist` — arrays in a session (exact, no pickle).

Under the plots, the timeline (:class:`convlab.gui.timeline.TimelineScrubber`)
goes back to any test evaluation of the run: the kernels, the feature maps, the
confusion matrix and the drawing's verdict then show that step (from the run's
:class:`~.run.ScrubPoint` there, through a network of the panel's own holding its
weights) and the curves a cursor at it; training goes on from the latest step.
The panel is its own :class:`convlab.gui.base.AnimationSource`.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.base import DataExport, LabPanel
from convlab.gui.digits import DigitData, shared_digits
from convlab.gui.theme import theme_manager
from convlab.gui.timeline import TimelineScrubber

from .confusion import ConfusionBox
from .controller import TrainingController
from .controls import NetworkBox, TrainingBox
from .curves import TrainingCurves
from .editor import GradientCheckBox, NetworkEditor
from .inside import DigitPicker, FeatureMaps
from .kernels import KernelView
from .model import CNNState
from .run import ScrubPoint, Snapshot

__all__ = ["CNNPanel", "CNNState"]

#: Digits the gradient check uses.
CHECK_BATCH = 32
#: The timeline's keys (none of the window's, none of the lab's others).
SCRUB_KEYS = {"back": "[", "forward": "]", "play": "P", "latest": "L"}


class CNNPanel(LabPanel):
    """Train a CNN on MNIST: curves, kernels vs detectors, confusion, feature maps, editor."""

    def __init__(self, parent: QWidget | None = None, data: DigitData | None = None) -> None:
        """``data``: the digits to train on (default: the application's, shared by the labs)."""
        super().__init__(parent)
        self.model = CNNState()
        self.data = shared_digits() if data is None else data
        self.controller = TrainingController(self.model, self.data, self.tasks, self)
        self.network_box = NetworkBox(self.model)
        self.training_box = TrainingBox(self.model, self.controller)
        self.curves = TrainingCurves()
        self.kernels = KernelView()
        self.confusion = ConfusionBox()
        self.picker = DigitPicker(self.model, self.data)
        self.feature_maps = FeatureMaps()
        self.editor = NetworkEditor(self.model)
        self.gradient_check = GradientCheckBox()
        self.tabs = QTabWidget()
        self.scrubber = TimelineScrubber()
        self.export_button = QPushButton("Export Animation…")
        self.export_button.setToolTip("Save the run as an animated GIF, MP4 or HTML page")
        self._shown_evaluation: cc.CNNEvaluation | None = None
        self._shown_point: ScrubPoint | None = None  # None: live
        self._scrub_net: cc.Sequential = self.controller.view_net.copy()
        self._plot_pages: tuple[QWidget, QWidget] = (QWidget(), QSplitter())
        self._lay_out()
        self._wire()
        self._leave_the_tab_chain()
        self._on_run_changed()
        if self.controller.snapshot is not None:
            self._show_snapshot(self.controller.snapshot)

    # -- building -----------------------------------------------------------------------------
    def _leave_the_tab_chain(self) -> None:
        """Plots and scroll areas have no keys of their own: Tab goes from control to control.

        (The mouse still clicks the confusion matrix and the thumbnails; their digits are
        reachable from the keyboard through the digit picker.)
        """
        for view in self.findChildren(pg.GraphicsView):
            for widget in (view, view.viewport()):
                widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for area in self.findChildren(QScrollArea):
            area.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _lay_out(self) -> None:
        training, inside = self._plot_pages
        grid = _FillingGrid(training)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.addWidget(self.curves, 0, 0)
        grid.addWidget(self.confusion, 0, 1)
        grid.addWidget(self.kernels, 1, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 1)
        inside.addWidget(_scroll(self.picker))
        inside.addWidget(self.feature_maps)
        inside.setStretchFactor(1, 1)
        network = QWidget()
        nl = QHBoxLayout(network)
        nl.setContentsMargins(2, 2, 2, 2)
        nl.addWidget(self.editor, 3)
        nl.addWidget(self.gradient_check, 2)
        # every page scrolls when the window is smaller than it (a tab widget is as wide as
        # its widest page: without this, presentation mode made the window 1,340 px wide);
        # the Training page keeps the room its plots and captions need to stay readable
        # (_on_theme_changed) instead of squeezing them until they overlap
        self._training_area = _scroll(training)
        for page, title in ((training, "Training"), (inside, "Inside the network"),
                            (network, "Network editor")):
            if page is training:
                self._training_area.setHorizontalScrollBarPolicy(
                    Qt.ScrollBarPolicy.ScrollBarAsNeeded)
                self._training_area.setFrameShape(QScrollArea.Shape.NoFrame)
                self.tabs.addTab(self._training_area, title)
                continue
            area = _scroll(page)
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            area.setFrameShape(QScrollArea.Shape.NoFrame)
            self.tabs.addTab(area, title)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.network_box)
        ll.addWidget(self.training_box)
        ll.addStretch(1)
        splitter = QSplitter()
        side = _scroll(left)
        side.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        side.setMinimumWidth(280)  # larger text (presentation) scrolls rather than widening
        # the lab's toolbar is the tab bar's free end (beside the timeline, the row would be
        # too wide for 1024 px in presentation mode)
        self.tabs.setCornerWidget(self.export_button, Qt.Corner.TopRightCorner)
        plots = QWidget()
        pl = QVBoxLayout(plots)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(2)
        pl.addWidget(self.tabs, 1)
        pl.addWidget(self.scrubber)
        splitter.addWidget(side)
        splitter.addWidget(plots)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 1000])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(splitter)

    def _wire(self) -> None:
        c = self.controller
        c.updated.connect(self._show_snapshot)
        c.run_changed.connect(self._on_run_changed)
        c.message.connect(self.status_message)
        for signal in (self.model.events.split, self.model.events.index,
                       self.model.events.digit_source, self.model.events.drawing):
            signal.connect(self._show_digit)
        self.confusion.digit_chosen.connect(self._on_digit_chosen)
        self.gradient_check.requested.connect(self.check_gradients)
        self.follow_theme(self.curves.recolor)
        self.follow_theme(self.kernels.restyle)
        self.follow_theme(self.feature_maps.restyle)
        self.follow_theme(self.confusion.matrix.restyle)
        self.follow_theme(self._on_theme_changed)
        self._on_theme_changed()
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.add_shortcuts((
            ("Ctrl+Shift+T", c.toggle),
            ("Ctrl+Shift+N", c.step),
            ("Ctrl+Shift+R", c.reset),
        ))
        s = self.scrubber
        s.step_chosen.connect(self._on_step_chosen)
        self.export_button.clicked.connect(lambda _checked=False: self.export_animation())
        k = SCRUB_KEYS
        self.add_shortcuts(((k["back"], s.step_back), (k["forward"], s.step_forward),
                            (k["play"], s.toggle_play), (k["latest"], s.go_live)))
        for widget, key in ((s.slider, f"{k['back']} / {k['forward']}"),
                            (s.play_button, k["play"]), (s.live_button, k["latest"])):
            widget.setToolTip(f"{widget.toolTip()} ({key})")

    # -- what is shown ------------------------------------------------------------------------
    def _on_theme_changed(self) -> None:
        """The Training page's minimum grows with the text: it scrolls rather than squeezes."""
        scale = theme_manager().scale
        width, height = TRAINING_PAGE_MIN
        self._training_area.widget().setMinimumSize(round(width * scale), round(height * scale))

    def _on_run_changed(self) -> None:
        """A new run: views that cache shapes rebuild, the timeline goes live."""
        net = self.controller.view_net
        self._scrub_net = net.copy()
        self._shown_point = None
        self.scrubber.set_steps(np.zeros(0, np.int64))
        self.scrubber.go_live()
        self.curves.show_cursor(None)
        self.confusion.show_step_note(None)
        self.feature_maps.build(net)
        self.kernels.set_kernel_count(net.params["0.weight"].shape[0])
        images, labels = self.data.split("test")
        self.confusion.set_test_digits(images, labels)
        self.confusion.clear()
        self._shown_evaluation = None

    def _show_snapshot(self, snap: Snapshot, everything: bool = False) -> None:
        """Redraw the views of the tab shown (hidden ones catch up when their tab opens;
        ``everything``: all of them). Scrubbed, only the curves grow: the other views stay
        at the step shown."""
        self.scrubber.set_steps(_scrub_steps(snap))
        training = self.tabs.currentIndex() == 0 or not self.controller.running or everything
        if self._shown_point is not None:
            if training:
                self.curves.show_snapshot(snap)
            return
        if training:
            self.curves.show_snapshot(snap)
            self.kernels.show_weights(snap.params["0.weight"])
            if snap.evaluation is not None and snap.evaluation is not self._shown_evaluation:
                self._shown_evaluation = snap.evaluation
                self.confusion.set_evaluation(snap.evaluation.confusion,
                                              snap.evaluation.predictions)
        if self.tabs.currentIndex() == 1 or not self.controller.running or everything:
            self._show_digit()

    def _on_step_chosen(self, step: int | None) -> None:
        """Show the run at a scrub point's step, or (None) the latest step again."""
        snap = self.controller.snapshot
        point = snap.point_at(step) if snap is not None and step is not None else None
        if point is None:
            self._shown_point = None
            self._shown_evaluation = None  # the latest evaluation is drawn again
            self.curves.show_cursor(None)
            self.confusion.show_step_note(None)
            if snap is not None:
                self._show_snapshot(snap, everything=True)
            return
        self._shown_point = point
        self._scrub_net.set_params(point.params)
        self.kernels.show_weights(point.params["0.weight"])
        self.confusion.set_evaluation(point.confusion, point.predictions)
        self.confusion.show_step_note(point.step)
        self.curves.show_snapshot(snap)
        self.curves.show_cursor(point.step, snap.batches_per_epoch, point.accuracy, point.loss)
        self._show_digit()

    def shown_network(self) -> cc.Sequential:
        """The network the views show: the weights at the step shown (the latest when live)."""
        return self.controller.view_net if self._shown_point is None else self._scrub_net

    def _on_tab_changed(self, _index: int) -> None:
        if self.controller.snapshot is not None:
            self._show_snapshot(self.controller.snapshot)

    def _show_digit(self, *_args: Any) -> None:
        self.feature_maps.show_digit(self.shown_network(), self.picker.digit())
        p = self.feature_maps.probabilities
        best = int(np.argmax(p))
        label = self.picker.true_label()
        truth = "your drawing" if label is None else f"a {label}"
        self.picker.set_verdict(f"This is {truth}; the network says <b>{best}</b> "
                                f"({100 * p[best]:.1f} %).")

    def _on_digit_chosen(self, index: int) -> None:
        self.picker.show_test_digit(index)
        self.tabs.setCurrentIndex(1)

    def check_gradients(self) -> None:
        """The core's gradient check on a batch of training digits (GUI-side network)."""
        images, labels = self.data.split("train")
        step = self.controller.snapshot.step if self.controller.snapshot else 0
        rng = np.random.default_rng(self.model.seed + step)
        idx = rng.choice(len(labels), size=min(CHECK_BATCH, len(labels)), replace=False)
        self.gradient_check.run(self.controller.view_net, images[idx], labels[idx])

    # -- AnimationSource ----------------------------------------------------------------------
    def animation_source(self) -> CNNPanel | None:
        """The panel itself (before two steps there is nothing to animate yet: Export
        Animation… says so)."""
        return self

    def animation_steps(self) -> NDArray[np.int64]:
        """The test evaluations' steps (and the latest step if later), increasing, (M,)."""
        return np.array(self.scrubber.steps, dtype=np.int64)

    def show_step(self, step: int | None) -> None:
        """Show the run at the last scrub point ≤ ``step`` (None or the latest: live); every
        view is drawn when this returns."""
        steps = self.scrubber.steps
        if step is None or steps.size < 2 or step >= steps[-1]:
            self.controller.show_latest()  # live: no throttled redraw left waiting
        self.scrubber.show_step(step)

    def shown_step(self) -> int | None:
        """The step shown, or None when the views follow training (live)."""
        return self.scrubber.shown_step()

    def animation_widget(self) -> QWidget:
        """The plots of the tab shown: the Training page, or Inside the network (the whole
        page, not its scroll area's viewport)."""
        training, inside = self._plot_pages
        return inside if self.tabs.currentIndex() == 1 else training

    def animation_name(self) -> str:
        return "convlab-cnn"

    # -- LabPanel API -------------------------------------------------------------------------
    def pause(self) -> None:
        self.controller.pause()
        if self.scrubber.playing:
            self.scrubber.toggle_play()

    def get_state(self) -> dict[str, Any]:
        return {**self.model.to_dict(), "run": self.controller.get_state()}

    def revision(self) -> int:
        """Changes whenever :meth:`get_state` would return something different."""
        return hash((self.model.revision, self.controller.revision))

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore settings and, if saved, the trained run (all checked before anything changes).

        Raises
        ------
        ValueError
            If the settings or the saved run are not valid (the lab is unchanged then).
        """
        if not isinstance(state, dict):
            raise ValueError("the CNN Training lab's state must be a mapping")
        settings = {k: v for k, v in state.items() if k != "run"}
        new = CNNState.from_dict(settings)
        try:
            run = self.controller.check_state(state.get("run"), new)
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"the saved training run cannot be restored: {exc}") from None
        self.controller.pause()
        self.model.update(new.to_dict())
        self.controller.restore(run, state.get("run"))

    def data_exports(self) -> list[DataExport]:
        return [
            DataExport("Trained weights (.npz)…", "NumPy arrays (*.npz)", "convlab-cnn.npz",
                       self.save_weights),
            DataExport("Training history as CSV…", "CSV (*.csv)", "convlab-cnn-history.csv",
                       self.save_history_csv),
            DataExport("Confusion matrix as CSV…", "CSV (*.csv)", "convlab-cnn-confusion.csv",
                       self.save_confusion_csv),
            DataExport("Kernels as PNG…", "PNG image (*.png)", "convlab-cnn-kernels.png",
                       lambda path: _save_png(self.kernels, path)),
            DataExport("Feature maps as PNG…", "PNG image (*.png)",
                       "convlab-cnn-feature-maps.png",
                       lambda path: _save_png(self.feature_maps, path)),
        ]

    def save_weights(self, path: Path) -> None:
        """The network shown (architecture and weights, ``cc.load_network`` reads it): at
        the step the timeline shows."""
        snap, point = self.controller.snapshot, self._shown_point
        step = point.step if point is not None else snap.step if snap else 0
        cc.save_network(path, self.shown_network(), metadata={
            "settings": self.model.to_dict() | {"drawing": None}, "step": step})

    def save_history_csv(self, path: Path) -> None:
        """Per batch: step, epoch, loss, accuracy, running loss/accuracy; then evaluations."""
        snap = self.controller.snapshot
        if snap is None:  # pragma: no cover - a run always has a snapshot
            raise OSError("nothing to write yet")
        h, e = snap.history, snap.evals
        tests = {int(s): (a, lo) for s, a, lo in
                 zip(e["steps"], e["test_accuracy"], e["test_loss"], strict=True)}
        with open(path, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["step", "epoch", "loss", "accuracy", "running_loss",
                          "running_accuracy", "test_accuracy", "test_loss"])
            out.writerow([0, 0.0, "", "", "", "", *tests.get(0, ("", ""))])  # the start
            for i, step in enumerate(h["steps"]):
                test = tests.get(int(step), ("", ""))
                out.writerow([int(step), step / snap.batches_per_epoch, h["loss"][i],
                              h["accuracy"][i], h["running_loss"][i],
                              h["running_accuracy"][i], *test])

    def save_confusion_csv(self, path: Path) -> None:
        """``confusion[true, predicted]`` on the test set (at the step shown), with headers."""
        counts = self.confusion.matrix.counts
        with open(path, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["true \\ predicted", *range(10)])
            for r in range(10):
                out.writerow([r, *counts[r].tolist()])

    def prepare_screenshot(self) -> None:
        """A short deterministic training (network A from the detectors, 3 epochs of the data
        shown), so the picture shows learned kernels and a filled confusion matrix."""
        self.controller.pause()
        self.model.use_preset("A-detectors")
        self.model.update({"epochs": 3, "split": "test", "index": 0})
        self.controller.reset()
        self.controller.train_now(self.controller.target_steps())
        counts = self.confusion.matrix.counts.copy()
        np.fill_diagonal(counts, -1)
        r, c = np.unravel_index(int(np.argmax(counts)), counts.shape)
        self.confusion.show_cell(int(r), int(c))
        self.tabs.setCurrentIndex(0)

    def self_test(self) -> None:
        saved = self.get_state()
        try:
            self.model.use_preset("A-detectors")
            self.controller.reset()
            for _ in range(3):
                self.controller.step()
            net = cc.build_network(self.model.architecture(), seed=self.model.seed)
            trainer = cc.CNNTrainer(net, self.data.dataset, **self.model.trainer_options())
            trainer.step(3)
            for name, value in net.params.items():
                assert np.array_equal(self.controller.view_net.params[name], value), name
            assert np.array_equal(self.kernels.kernels(), net.params["0.weight"][:, 0]), \
                "the kernels shown are not the first layer's"
            x = self.picker.digit()[None, None].astype(np.float32)
            _out, kept = net.forward(x, keep=True)
            for shown, want in zip(self.feature_maps.shown_maps(),
                                   [k[0] for k in kept if k.ndim == 4], strict=True):
                assert np.array_equal(shown, want), "a feature map is wrong"
            p = net.probabilities(self.picker.digit())
            assert np.allclose(self.feature_maps.probabilities, p, atol=1e-6), "softmax"
            self.show_step(0)  # the timeline: the start again, then live
            start = cc.build_network(self.model.architecture(), seed=self.model.seed)
            assert np.array_equal(self.kernels.kernels(), start.params["0.weight"][:, 0]), \
                "the timeline does not show the first layer at step 0"
            self.show_step(None)
            assert np.array_equal(self.kernels.kernels(), net.params["0.weight"][:, 0]), \
                "the timeline does not return to the latest step"
        finally:
            self.set_state(saved)


def _scrub_steps(snap: Snapshot) -> NDArray[np.int64]:
    """The steps the timeline offers: the scrub points', then the latest step if later."""
    steps = snap.point_steps
    if steps.size == 0 or snap.step > steps[-1]:
        steps = np.append(steps, np.int64(snap.step))
    return steps


#: The Training page's smallest readable size at text scale 1 (what it gets at 1024×600).
TRAINING_PAGE_MIN = (700, 400)


class _FillingGrid(QGridLayout):
    """A grid that does not tell its scroll area about height-for-width.

    A scroll area gives a page whose layout has height-for-width (here: the
    confusion matrix's wrapped caption) its *preferred* height for the width,
    1,456 px for these plots; without it, the page fills the viewport and
    scrolls only below its minimum size.
    """

    def hasHeightForWidth(self) -> bool:
        return False


def _scroll(widget: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


def _save_png(widget: QWidget, path: Path) -> None:
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
