"""The CNN lab's parts on their own: widget edits reach the model, model changes show in the
widgets; the distance readout; no part holds more than ~30 attributes; no mixins."""

from __future__ import annotations

import numpy as np
import pytest
from _lab_helpers import own_attributes

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.gui.worker import TaskRunner
from convlab.labs.cnn.controller import TrainingController
from convlab.labs.cnn.controls import NetworkBox, TrainingBox
from convlab.labs.cnn.editor import NetworkEditor
from convlab.labs.cnn.inside import DigitPicker
from convlab.labs.cnn.kernels import distance_texts
from convlab.labs.cnn.model import LESSONS, CNNState, preset_network
from convlab.labs.cnn.panel import CNNPanel

MAX_ATTRIBUTES = 30


@pytest.fixture(scope="module")
def data():
    return DigitData(cc.load_mnist())


def test_network_box_presets_both_ways(qtbot):
    model = CNNState()
    box = NetworkBox(model)
    qtbot.addWidget(box)
    box.preset_combo.activated.emit(box.preset_combo.findData("B"))
    assert model.preset == "B"
    assert "97 %" in box.lesson.text()
    assert "5,994 parameters" in box.summary.text()  # 8·26 + 16·(8·25 + 1) + 257·10
    model.network = preset_network("A-random")
    assert box.preset_combo.currentData() == "A-random"
    assert box.lesson.text() == LESSONS["A-random"] and "91.1 %" in box.lesson.text()
    edited = preset_network("A-random")
    edited["blocks"][0]["filters"] = 6
    model.network = edited
    assert box.preset_combo.currentData() == "custom"


def test_training_box_binds_settings_both_ways(qtbot, data):
    model = CNNState()
    tasks = TaskRunner()
    controller = TrainingController(model, data, tasks)
    box = TrainingBox(model, controller)
    qtbot.addWidget(box)
    box.optimizer.setCurrentIndex(box.optimizer.findData("momentum"))
    assert model.optimizer == "momentum" and box.momentum.isEnabled()
    box.learning_rate.setValue(0.125)
    box.batch_size.setValue(10)
    box.epochs.setValue(4)
    box.seed.setValue(9)
    assert (model.learning_rate, model.batch_size, model.epochs, model.seed) == (0.125, 10, 4, 9)
    model.update({"optimizer": "adam", "learning_rate": 0.001, "batch_size": 128, "seed": 2})
    assert box.optimizer.currentData() == "adam" and not box.momentum.isEnabled()
    assert (box.learning_rate.value(), box.batch_size.value(), box.seed.value()) == \
        (0.001, 128, 2)
    box.step_button.click()
    assert controller.snapshot.step == 1
    assert "step 1" in box.progress_label.text()
    assert controller.run.trainer.batch_size == 128  # a new batch size started a new run
    tasks.shutdown()


def test_editor_binds_the_network_both_ways(qtbot):
    model = CNNState()
    editor = NetworkEditor(model)
    qtbot.addWidget(editor)
    editor.first_init.setCurrentIndex(editor.first_init.findData("he"))
    editor.set_cell(0, "filters", 6)
    assert model.network["blocks"][0]["filters"] == 6 and model.network["first_init"] == "he"
    assert editor.layers.item(0, 1).text() == "6×26×26"
    assert editor.total.text() == "Total: 10,210 parameters"  # 60 + 6·13·13·10 + 10
    editor.add_block()
    assert len(model.network["blocks"]) == 2
    editor.remove_block()
    assert len(model.network["blocks"]) == 1
    model.network = preset_network("B")
    assert editor.blocks.rowCount() == 2
    assert editor.edited_network() == model.network
    assert editor.layers.rowCount() == 8 and editor.layers.item(5, 1).text() == "16×4×4"


def test_digit_picker_binds_the_digit_both_ways(qtbot, data):
    model = CNNState()
    picker = DigitPicker(model, data)
    qtbot.addWidget(picker)
    picker.index.setValue(12)
    assert model.index == 12
    np.testing.assert_array_equal(picker.digit(), data.split("test")[0][12] / 255.0)
    assert picker.true_label() == data.label("test", 12)
    picker.split.setCurrentIndex(picker.split.findData("train"))
    assert model.split == "train"
    picker.go(-13)
    assert model.index == data.size("train") - 1
    model.update({"split": "test", "index": 3})
    assert (picker.split.currentData(), picker.index.value()) == ("test", 3)
    picker.use_drawing.setChecked(True)
    assert model.digit_source == "drawing" and picker.true_label() is None
    model.digit_source = "dataset"
    assert not picker.use_drawing.isChecked()


def test_distance_readout_names_the_nearest_detector():
    bank = cc.line_detector_bank()
    texts = distance_texts(np.concatenate([bank[[1]], -bank[[3]], np.zeros((1, 1, 3, 3))]))
    assert texts == ["d 0.00 → —", "d 0.00 → /", "d —"]
    assert distance_texts(np.ones((2, 1, 5, 5))) == ["d: 3×3 only"] * 2




def test_no_part_of_the_lab_holds_more_than_thirty_attributes(qtbot, data):
    panel = CNNPanel(data=data)
    qtbot.addWidget(panel)
    parts = [panel, panel.model, panel.controller, panel.controller.run, panel.network_box,
             panel.training_box, panel.curves, panel.kernels, panel.confusion,
             panel.confusion.matrix, panel.confusion.mosaic, panel.picker, panel.feature_maps,
             panel.editor, panel.gradient_check, panel.scrubber]
    counts = {type(p).__name__: len(own_attributes(p)) for p in parts}
    assert max(counts.values()) <= MAX_ATTRIBUTES, counts
    assert counts["CNNPanel"] >= 10
    panel.shutdown()


def test_the_panel_has_no_mixins():
    convlab_bases = [c for c in CNNPanel.__mro__[1:] if c.__module__.startswith("convlab")]
    assert [c.__name__ for c in convlab_bases] == ["LabPanel"]


def test_gradient_check_shows_small_errors_per_parameter(qtbot, data):
    panel = CNNPanel(data=data)
    qtbot.addWidget(panel)
    panel.model.use_preset("B")
    panel.gradient_check.button.click()
    result = panel.gradient_check.result
    assert result.names == ("0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias")
    assert result.passed()
    assert panel.gradient_check.table.rowCount() == 6
    verdicts = {panel.gradient_check.table.item(r, 3).text() for r in range(6)}
    assert verdicts <= {"ok", "—"} and "ok" in verdicts
    panel.shutdown()


def test_tab_walks_from_control_to_control_never_stopping_on_a_plot(qtbot):
    import pyqtgraph as pg
    from PyQt6.QtCore import Qt
    from PyQt6.QtWidgets import QScrollArea

    panel = CNNPanel(data=DigitData(cc.load_mnist()))
    qtbot.addWidget(panel)
    stops = [w for w in panel.findChildren((pg.GraphicsView, QScrollArea))
             if w.focusPolicy() & Qt.FocusPolicy.TabFocus]
    assert stops == []
    assert panel.training_box.train_button.focusPolicy() & Qt.FocusPolicy.TabFocus
    panel.shutdown()
