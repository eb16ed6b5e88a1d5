"""What a new user meets in the MNIST lab (issues 16, 18, 21): typed thresholds, one-line
failures, framed images, a readable hover read-out, a steady grid, export, 1-based
numbering, presentation mode and small screens, accessible names and focus."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.labs.mnist.data import DOWNLOAD_FAILED
from convlab.labs.mnist.detectors import THRESHOLD_SLIDER_RANGE, THRESHOLD_STEP
from convlab.labs.mnist.panel import MnistPanel

SAMPLE = cc.load_mnist()


@pytest.fixture
def panel(qtbot):
    p = MnistPanel(data=DigitData(SAMPLE))
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    qtbot.waitUntil(lambda: not p.tasks.busy, timeout=5000)
    yield p
    p.shutdown()


# -- issue 16 §3: the threshold box and slider ---------------------------------------
@pytest.mark.parametrize(("typed", "value", "shown"),
                         [("1.5", 1.5, "1.50"), ("2.5", 2.5, "2.50"), ("0.75", 0.75, "0.75"),
                          ("-3.25", -3.25, "-3.25"), ("12", 12.0, "12.00")])
def test_typed_decimals_reach_the_threshold(panel, qtbot, typed, value, shown):
    spin = panel.controls.threshold_spin
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, typed)
    assert panel.model.threshold == value  # live, while typing
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.text() == shown
    assert panel.model.threshold == value
    assert panel.figure.level == value


def test_the_slider_is_linear_over_a_useful_range_in_fine_steps(panel):
    slider = panel.controls.threshold_slider
    low, high = THRESHOLD_SLIDER_RANGE
    assert (slider.minimum() * THRESHOLD_STEP, slider.maximum() * THRESHOLD_STEP) == (low, high)
    assert (low, high) == (-2.0, 6.0) and THRESHOLD_STEP == 0.05
    slider.setValue(31)
    assert panel.model.threshold == pytest.approx(1.55)
    slider.setValue(slider.value() + slider.singleStep())
    assert panel.model.threshold == pytest.approx(1.60)
    # the box goes beyond the slider; the slider then rests at its end
    panel.controls.threshold_spin.setValue(40.0)
    assert panel.model.threshold == 40.0 and slider.value() == slider.maximum()


# -- issue 16 §5: one line when a download fails, percent while it runs -----------------
def test_a_failed_download_is_one_plain_line_with_details_behind_a_button(panel, qtbot,
                                                                           monkeypatch):
    reasons = "; ".join(f"https://mirror{i}.example/train-images-idx3-ubyte.gz: "
                        "[Errno -2] Name or service not known" for i in range(20))

    def failing_download(dest, *, progress, cancel, user_agent):
        raise cc.DownloadError(f"could not download train-images-idx3-ubyte from any mirror "
                               f"— {reasons}")

    monkeypatch.setattr(cc, "download_mnist", failing_download)
    box = panel.data_box
    digit_top = panel.browser.mapTo(panel, panel.browser.rect().topLeft()).y()
    box.download_button.click()
    qtbot.waitUntil(lambda: box.error_label.isVisible(), timeout=5000)
    assert box.error_text() == DOWNLOAD_FAILED
    assert "Errno" not in box.error_text() and "http" not in box.error_text()
    fm = box.error_label.fontMetrics()
    assert box.error_label.height() <= 3 * fm.lineSpacing() + 4  # one line, wrapped at most
    assert box.details_button.isVisible()
    assert "mirror19.example" in box.error_details()
    dialog = box.show_details()
    assert "Name or service not known" in dialog.detailedText()
    dialog.close()
    # the Digit box moved down by the line and the button only
    qtbot.wait(10)
    moved = panel.browser.mapTo(panel, panel.browser.rect().topLeft()).y() - digit_top
    assert moved < 4 * fm.lineSpacing() + box.details_button.sizeHint().height()
    # a later good load takes the message away
    box.load_source(None)
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert box.error_text() == "" and not box.details_button.isVisible()


def test_the_download_bar_shows_percent_and_megabytes(panel):
    box = panel.data_box
    box._set_busy(True, "Downloading MNIST…")
    box._on_progress(0.31, "downloading train-images-idx3-ubyte: 3.1 of 9.9 MB from example.org")
    assert box.progress.isTextVisible()
    assert box.progress.text() == "31 % · 3.1 of 9.9 MB"
    box._set_busy(False)
