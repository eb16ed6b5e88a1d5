"""The MNIST lab's components, each built on its own: widget edits set the model,
model changes show in the widgets; no component holds more than ~30 attributes."""

from __future__ import annotations

import numpy as np
import pytest
from _lab_helpers import own_attributes

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.gui.worker import TaskRunner
from convlab.labs.mnist.browser import DigitBrowser
from convlab.labs.mnist.data import DataSourceBox
from convlab.labs.mnist.detectors import THRESHOLD_STEP, DetectorControls
from convlab.labs.mnist.drawing import DrawingBox
from convlab.labs.mnist.figure import DetectorFigureView
from convlab.labs.mnist.inspector import Inspector
from convlab.labs.mnist.kernels import KernelEditor
from convlab.labs.mnist.live import LiveFigure
from convlab.labs.mnist.model import MnistState
from convlab.labs.mnist.panel import MnistPanel
from convlab.labs.mnist.selection import DigitSelection
from convlab.labs.mnist.thumbnails import ThumbnailStrip

SAMPLE = cc.load_mnist()
MAX_ATTRIBUTES = 30


@pytest.fixture
def selection() -> DigitSelection:
    return DigitSelection(MnistState(), DigitData(SAMPLE), seed=1)


def test_detector_controls_bind_both_ways(qtbot):
    model = MnistState()
    controls = DetectorControls(model)
    qtbot.addWidget(controls)
    controls.display_combo.setCurrentIndex(controls.display_combo.findData("overlay"))
    controls.threshold_slider.setValue(-20)
    controls.mode_combo.setCurrentIndex(controls.mode_combo.findData("valid"))
    assert (model.display, model.threshold, model.mode) == ("overlay", -1.0, "valid")
    assert controls.threshold_spin.value() == -1.0
    model.update({"display": "response", "threshold": 3.3, "mode": "same"})
    assert controls.display_combo.currentData() == "response"
    assert controls.threshold_spin.value() == 3.3
    assert controls.threshold_slider.value() == round(3.3 / THRESHOLD_STEP)
    assert controls.mode_combo.currentText() == "same"
    controls.notebook_button.click()
    assert (model.threshold, model.mode, model.flip) == (1.5, "full", True)


def test_the_operation_combo_means_what_it_means_in_every_lab(qtbot):
    model = MnistState()
    controls = DetectorControls(model)
    qtbot.addWidget(controls)
    combo = controls.flip_combo
    assert [combo.itemText(i) for i in range(2)] == ["cross-correlation", "convolution"]
    assert combo.currentIndex() == 1  # the notebook: convolution
    combo.setCurrentIndex(0)
    assert model.flip is False
    model.flip = True
    assert combo.currentIndex() == 1


def test_browser_binds_both_ways(qtbot, selection):
    model = selection.model
    browser = DigitBrowser(selection)
    qtbot.addWidget(browser)
    assert browser.position_spin.value() == 3 and browser.label_label.text() == "label 4"
    assert browser.position_spin.text() == "3 of 1,000"  # counted from 1, for people
    browser.split_combo.setCurrentIndex(browser.split_combo.findData("test"))
    assert model.split == "test" and model.index == 2
    browser.position_spin.setValue(10)
    assert model.index == 9 and browser.position_slider.value() == 9
    model.update({"split": "train", "index": 11})
    assert browser.split_combo.currentData() == "train"
    assert browser.position_spin.value() - 1 == browser.position_slider.value() == 11
    assert browser.label_label.text() == f"label {SAMPLE.train_labels[11]}"
    model.label_filter = 0
    zeros = np.flatnonzero(SAMPLE.train_labels == 0)
    assert browser.filter_combo.currentData() == 0
    assert browser.position_slider.maximum() == len(zeros) - 1
    model.digit_source = "drawing"
    assert browser.label_label.text() == "your drawing"


def test_drawing_box_binds_both_ways(qtbot, selection):
    model = selection.model
    box = DrawingBox(selection)
    qtbot.addWidget(box)
    ink = np.zeros((28, 28))
    ink[4:24, 13] = 0.75
    model.drawing = ink
    np.testing.assert_array_equal(box.canvas.image(), ink)
    assert model.digit_source == "dataset"  # a session's drawing does not switch the source
    box.canvas.stroke([(5.0, 5.0), (9.0, 5.0)])
    assert model.digit_source == "drawing" and box.use_drawing.isChecked()
    np.testing.assert_array_equal(np.array(model.drawing), box.canvas.image())
    assert np.array(model.drawing)[5, 7] > 0.9
    box.use_drawing.setChecked(False)
    assert model.digit_source == "dataset"
    model.digit_source = "drawing"
    assert box.use_drawing.isChecked()
    box.auto_center.setChecked(False)
    assert box.canvas.recenter_on_release is False


def test_kernel_editor_binds_both_ways(qtbot):
    model = MnistState()
    editor = KernelEditor(model)
    qtbot.addWidget(editor)
    editor.which.setCurrentIndex(1)
    editor.cells[2][0].setValue(-7.5)
    assert model.kernels[1][2][0] == -7.5
    assert model.kernels[0] == cc.LINE_DETECTORS["vertical"].tolist()
    assert editor.sum_label.text() == f"sum of weights: {np.sum(model.kernels[1]):.4g}"
    bank = np.arange(4 * 25, dtype=float).reshape(4, 5, 5)
    model.kernels = bank
    assert editor.size.value() == 5
    assert editor.cells[4][4].value() == bank[1, 4, 4]
    assert editor.cells[4][4].isVisibleTo(editor) and not editor.cells[5][5].isVisibleTo(editor)
    editor.size.setValue(1)
    assert model.kernels == [[[bank[i, 2, 2]]] for i in range(4)]
    with pytest.raises(ValueError, match="kernels must be 4 square kernels"):
        editor.set_kernels([np.ones((3, 3))] * 3)


def test_figure_view_follows_display_and_figure(qtbot, selection):
    model = selection.model
    live = LiveFigure(selection)
    view = DetectorFigureView(model, live)
    qtbot.addWidget(view)
    np.testing.assert_array_equal(view.displayed(2), live.figure.masks[2].astype(np.float32))
    model.display = "response"
    np.testing.assert_array_equal(view.displayed(2), live.figure.responses[2])
    model.threshold = 0.25  # same digit and kernels: only the responses are redrawn
    assert view.figure is live.figure and view.figure.level == 0.25
    model.index = 7
    np.testing.assert_array_equal(view.digit_image.image, SAMPLE.train_images[7] / 255)
    for plots in view.detectors:  # image plots have no context menu
        assert plots.kernel_plot.getViewBox().menu is None


def test_live_figure_recomputes_only_when_its_inputs_change(qtbot, selection):
    live = LiveFigure(selection)
    seen = []
    live.changed.connect(seen.append)
    selection.model.display = "overlay"  # not an input of the figure
    selection.model.stats_split = "both"
    live.refresh()
    assert seen == []
    selection.model.mode = "same"
    assert len(seen) == 1 and seen[0].mode == "same" and seen[0].responses.shape == (4, 28, 28)


def test_inspector_keeps_its_pixel_across_figures(qtbot, selection):
    inspector = Inspector()
    qtbot.addWidget(inspector)
    placeholder = inspector.text()
    figure = cc.detector_figure(SAMPLE.train_images[2])
    inspector.show_pixel(3, 3)  # no figure yet: nothing to explain
    assert inspector.text() == placeholder
    inspector.set_figure(figure)
    inspector.show_pixel(10, 11)
    assert f"Σ = {figure.responses[0, 10, 11]:.3f}" in inspector.text()
    other = cc.detector_figure(SAMPLE.train_images[3])
    inspector.set_figure(other)
    assert f"Σ = {other.responses[0, 10, 11]:.3f}" in inspector.text()
    valid = cc.detector_figure(SAMPLE.train_images[3], mode="valid")  # 26×26: (10, 11) fits
    inspector.set_figure(valid)
    assert "row 10, column 11" in inspector.text()


def test_thumbnails_follow_the_index_and_clicks_browse(qtbot, selection):
    strip = ThumbnailStrip(selection, slots=5)
    qtbot.addWidget(strip)
    assert strip.positions == [0, 1, 2, 3, 4]
    selection.model.index = 500
    assert strip.positions == [498, 499, 500, 501, 502]
    frame = strip.image.image[0, 2 * 32 + 1]  # the middle digit is framed
    assert tuple(frame) == (255, 176, 0)
    np.testing.assert_array_equal(strip.image.image[2:30, 2:30, 0], SAMPLE.train_images[498])
    strip.clicked.emit(502)
    assert selection.model.index == 502


def test_data_box_shows_the_source_of_the_digits(qtbot):
    data = DigitData(SAMPLE)
    runner = TaskRunner()
    box = DataSourceBox(data, runner)
    qtbot.addWidget(box)
    assert "bundled sample" in box.source_label.text()
    data.set_dataset(cc.MnistDataset(SAMPLE.train_images[:10], SAMPLE.train_labels[:10],
                                     SAMPLE.test_images[:10], SAMPLE.test_labels[:10],
                                     source="ten digits"))
    assert box.source_label.text() == "<b>Source:</b> ten digits"
    runner.shutdown()


def test_the_statistics_tab_is_built_when_first_shown(qtbot):
    panel = MnistPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.stats_tab.is_built()
    panel.set_state({**panel.get_state(), "stats_split": "both"})
    assert not panel.stats_tab.is_built()
    panel.tabs.setCurrentWidget(panel.stats_tab)
    assert panel.stats_tab.is_built()
    page = panel.statistics_page()
    assert page.split_combo.currentData() == "both"
    assert page.status.text() == "Not computed yet."
    page.split_combo.setCurrentIndex(page.split_combo.findData("test"))
    assert panel.model.stats_split == "test"
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    panel.shutdown()




def test_no_part_of_the_lab_holds_more_than_thirty_attributes(qtbot):
    panel = MnistPanel()
    qtbot.addWidget(panel)
    page = panel.statistics_page()
    parts = [panel, panel.model, panel.data, panel.selection, panel.live, panel.statistics,
             panel.data_box, panel.browser, panel.drawing, panel.drawing.canvas, panel.controls,
             panel.kernel_editor, panel.figure_view, *panel.figure_view.detectors,
             panel.inspector, panel.thumbnails, panel.stats_tab, page, page.view]
    counts = {type(p).__name__: len(own_attributes(p)) for p in parts}
    assert max(counts.values()) <= MAX_ATTRIBUTES, counts
    assert counts["MnistPanel"] >= 10  # the count sees the panel's own members
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    panel.shutdown()


def test_the_panel_has_no_mixins():
    convlab_bases = [c for c in MnistPanel.__mro__[1:] if c.__module__.startswith("convlab")]
    assert [c.__name__ for c in convlab_bases] == ["LabPanel"]
