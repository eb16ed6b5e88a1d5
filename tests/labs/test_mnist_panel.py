"""The MNIST Detectors lab, driven through its widgets (pytest-qt).

Most tests share one panel (building one is cheap, but not free) and start
from the lab's defaults; tests that load other digits or compute statistics
build their own.
"""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction

import numpy as np
import pytest
import scipy.signal
from PyQt6.QtCore import QPoint, Qt

import convlab.core as cc
from convlab.gui.digits import DigitData
from convlab.gui.worker import active_task_count
from convlab.labs.mnist.detectors import THRESHOLD_STEP
from convlab.labs.mnist.figure import mask_overlay
from convlab.labs.mnist.model import MnistState
from convlab.labs.mnist.panel import MnistPanel

KERNELS = list(cc.LINE_DETECTORS.values())
SAMPLE = cc.load_mnist()
DEFAULTS = MnistState().to_dict()


def _wait_idle(app, panel, timeout=5.0):
    deadline = time.monotonic() + timeout
    while panel.tasks.busy and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    assert not panel.tasks.busy


@pytest.fixture(scope="module")
def shared(qapp):
    p = MnistPanel()
    p.resize(1200, 800)
    p.show()
    _wait_idle(qapp, p)  # the search for local copies
    yield p
    p.shutdown()
    p.close()
    p.deleteLater()


@pytest.fixture
def panel(shared, qtbot):
    """The shared panel, back at the lab's defaults."""
    shared.set_state(DEFAULTS)
    shared.drawing.canvas.set_recenter_on_release(True)
    shared.drawing.auto_center.setChecked(True)
    shared.kernel_editor.which.setCurrentIndex(0)
    shared.figure_view.show_pixel(-1, -1)
    shared.tabs.setCurrentIndex(0)
    shared.live.refresh()
    assert shared.get_state() == DEFAULTS
    return shared


@pytest.fixture
def fresh(qtbot):
    """A panel of its own (for tests that load other digits or run statistics)."""
    p = MnistPanel(data=DigitData())
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    qtbot.waitUntil(lambda: not p.tasks.busy, timeout=5000)
    yield p
    p.shutdown()


def _displayed_masks(panel):
    return [panel.figure_view.displayed(i) > 0.5 for i in range(len(KERNELS))]


def _notebook_masks(digit_uint8, level=1.5):
    # exact: response n/255 with n an integer is above `level` iff n > floor(255·level)
    # (float64 breaks ties such as n = -102 at level -0.4 either way)
    cutoff = math.floor(Fraction(repr(float(level))) * 255)
    return [scipy.signal.convolve2d(digit_uint8.astype(np.int64), k.astype(np.int64)) > cutoff
            for k in KERNELS]


def test_default_figure_is_the_notebooks(panel):
    x_train = SAMPLE.train_images
    assert panel.model.index == 2 and panel.model.split == "train"
    assert panel.selection.current_label() == 4
    assert panel.browser.label_label.text() == "label 4"
    np.testing.assert_array_equal(panel.figure_view.digit_image.image, x_train[2] / 255)
    for got, want in zip(_displayed_masks(panel), _notebook_masks(x_train[2]), strict=True):
        assert got.shape == (30, 30)
        np.testing.assert_array_equal(got, want)
    for i, kernel in enumerate(KERNELS):
        np.testing.assert_array_equal(panel.figure_view.detectors[i].kernel_image.image, kernel)
        assert panel.figure_view.kernel_text(i, 0, 0) == f"{kernel[0, 0]:g}"


@pytest.mark.parametrize("level", [0.5, 2.25, -0.4])
def test_threshold_slider_changes_displayed_mask(panel, level):
    panel.controls.threshold_slider.setValue(round(level / THRESHOLD_STEP))
    assert panel.model.threshold == pytest.approx(level)
    assert panel.controls.threshold_spin.value() == pytest.approx(level)
    digit = SAMPLE.train_images[2]
    for got, want in zip(_displayed_masks(panel), _notebook_masks(digit, level), strict=True):
        np.testing.assert_array_equal(got, want)


def test_threshold_box_moves_slider(panel):
    panel.controls.threshold_spin.setValue(0.75)
    assert panel.controls.threshold_slider.value() == round(0.75 / THRESHOLD_STEP)
    assert panel.figure.level == 0.75


def test_editing_a_kernel_cell_updates_that_response(panel, qtbot):
    before = panel.figure.responses.copy()
    panel.kernel_editor.set_cell(1, 0, 0, 3.0)
    kernel = KERNELS[1].copy()
    kernel[0, 0] = 3.0
    digit = SAMPLE.train_images[2] / 255
    qtbot.waitUntil(lambda: panel.figure.kernels[1, 0, 0] == 3.0, timeout=2000)
    np.testing.assert_allclose(panel.figure.responses[1], scipy.signal.convolve2d(digit, kernel))
    np.testing.assert_array_equal(_displayed_masks(panel)[1], panel.figure.responses[1] > 1.5)
    np.testing.assert_array_equal(panel.figure.responses[[0, 2, 3]], before[[0, 2, 3]])
    assert panel.model.kernels[1][0][0] == 3.0
    assert panel.figure_view.kernel_text(1, 0, 0) == "3"


def test_kernel_size_and_presets(panel, qtbot):
    editor = panel.kernel_editor
    editor.size.setValue(5)
    qtbot.waitUntil(lambda: panel.figure.kernels.shape == (4, 5, 5), timeout=2000)
    np.testing.assert_array_equal(panel.figure.kernels[0, 1:4, 1:4], KERNELS[0])
    assert panel.figure.responses.shape == (4, 32, 32)
    editor.which.setCurrentIndex(2)
    editor.preset.setCurrentText("Sobel x")
    editor.apply_preset.click()
    qtbot.waitUntil(lambda: panel.figure.kernels[2, 2, 1] == -2, timeout=2000)
    sobel = cc.KERNEL_PRESETS_2D["Sobel x"]
    np.testing.assert_array_equal(panel.figure.kernels[2, 1:4, 1:4], sobel)
    assert panel.figure_view.kernel_text(2, 2, 1) == "-2"
    editor.reset.click()
    qtbot.waitUntil(lambda: panel.figure.kernels.shape == (4, 3, 3), timeout=2000)
    np.testing.assert_array_equal(panel.figure.kernels, np.stack(KERNELS))


@pytest.mark.parametrize(("mode", "flip"), [("same", False), ("valid", True), ("full", False)])
def test_mode_and_operation(panel, mode, flip):
    controls = panel.controls
    controls.mode_combo.setCurrentIndex(controls.mode_combo.findData(mode))
    controls.flip_combo.setCurrentIndex(controls.flip_combo.findData(flip))
    fn = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    digit = SAMPLE.train_images[2] / 255
    for i, k in enumerate(KERNELS):
        np.testing.assert_array_equal(_displayed_masks(panel)[i], fn(digit, k, mode=mode) > 1.5)


def test_display_modes(panel):
    fig = panel.figure
    combo = panel.controls.display_combo
    combo.setCurrentIndex(combo.findData("response"))
    np.testing.assert_array_equal(panel.figure_view.displayed(0), fig.responses[0])
    assert panel.figure_view.colorbar.isVisible()
    low, high = panel.figure_view.detectors[0].response_image.getLevels()
    assert low == -high == -np.abs(fig.responses).max()
    combo.setCurrentIndex(combo.findData("overlay"))
    shown = panel.figure_view.displayed(3)
    assert shown.shape == (30, 30, 3)
    np.testing.assert_array_equal(shown, mask_overlay(fig.digit, fig.masks[3], 1, 1))
    assert not panel.figure_view.colorbar.isVisible()


def test_mask_overlay_places_digit_under_mask():
    digit = np.zeros((4, 4))
    digit[0, 0] = 1.0
    mask = np.zeros((6, 6), bool)
    mask[5, 5] = True
    img = mask_overlay(digit, mask, 1, 1)
    assert tuple(img[1, 1]) == (150, 150, 150)  # digit pixel (0, 0) at padding offset
    assert tuple(img[5, 5]) == (255, 140, 0)
    assert img[0].sum() == 0
    valid = mask_overlay(digit, np.zeros((2, 2), bool), -1, -1)  # valid mode: cropped
    assert valid.sum() == 0


def test_hover_shows_patch_products_and_sums(panel):
    panel.figure_view.show_pixel(12, 14)
    text = panel.inspector.text()
    for i, name in enumerate(cc.LINE_DETECTORS):
        assert name in text
        assert f"Σ = {panel.figure.responses[i, 12, 14]:.3f}" in text
    assert "row 12, column 14" in text
    patch = SAMPLE.train_images[2][10:13, 12:15] / 255  # full mode pads by 2
    assert " ".join(f"{v:5.2f}" for v in patch[0]) in text
    assert panel.figure_view.window_box.isVisible()
    panel.controls.threshold_spin.setValue(-0.25)  # the read-out follows the new threshold
    assert "&gt; -0.25" in panel.inspector.text() or "≤ -0.25" in panel.inspector.text()
    rect = panel.figure_view.window_box.rect()
    # full mode pads by 2: output (12, 14) sees digit rows 10…12, columns 12…14
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (12, 10, 3, 3)
    panel.figure_view.show_pixel(-1, -1)  # the mouse left: the read-out stays
    assert "row 12, column 14" in panel.inspector.text()
    assert not panel.figure_view.window_box.isVisible()


def test_label_filter_shows_only_that_label(panel):
    browser = panel.browser
    browser.filter_combo.setCurrentIndex(browser.filter_combo.findData(7))
    labels = SAMPLE.train_labels
    n_sevens = int((labels == 7).sum())
    assert browser.position_slider.maximum() == n_sevens - 1
    assert browser.position_spin.suffix() == f" of {n_sevens}"
    assert panel.selection.current_label() == 7
    seen = set()
    for step in (browser.next_button, browser.next_button, browser.random_button,
                 browser.prev_button):
        step.click()
        assert panel.selection.current_label() == 7
        seen.add(panel.model.index)
        for pos in panel.thumbnails.positions:
            assert labels[panel.selection.filtered()[pos]] == 7
    assert len(seen) >= 2
    browser.position_slider.setValue(n_sevens - 1)
    assert panel.model.index == int(np.flatnonzero(labels == 7)[-1])
    assert browser.position_spin.value() == n_sevens
    assert browser.position_spin.text() == f"{n_sevens} of {n_sevens}"
    assert browser.label_label.text() == "label 7"
    np.testing.assert_array_equal(panel.figure.digit, SAMPLE.train_images[panel.model.index] / 255)


def test_browser_split_spin_and_thumbnail_click(panel):
    browser = panel.browser
    browser.split_combo.setCurrentIndex(browser.split_combo.findData("test"))
    browser.position_spin.setValue(6)
    assert panel.model.split == "test" and panel.model.index == 5
    np.testing.assert_array_equal(panel.figure.digit, SAMPLE.test_images[5] / 255)
    assert panel.thumbnails.positions == list(range(15))
    last = panel.thumbnails.positions[-1]
    panel.thumbnails.clicked.emit(last)
    assert panel.model.index == last == 14
    assert browser.position_slider.value() == 14
    assert panel.selection.current_label() == int(SAMPLE.test_labels[14])
    assert browser.index_label.text() == "test digit 15 of 1,000 (index 14)"


def _draw(qtbot, canvas, points):
    cell = min(canvas.width(), canvas.height()) / 28
    x0 = (canvas.width() - 28 * cell) / 2
    y0 = (canvas.height() - 28 * cell) / 2
    qpoints = [QPoint(round(x0 + x * cell), round(y0 + y * cell)) for x, y in points]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=qpoints[0])
    for p in qpoints[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=qpoints[-1])


def test_drawing_changes_the_responses(panel, qtbot):
    before = panel.figure.responses.copy()
    box = panel.drawing
    box.auto_center.setChecked(False)
    _draw(qtbot, box.canvas, [(14, 4), (14, 10), (14, 16), (14, 24)])  # a vertical stroke
    ink = box.canvas.image()
    assert ink.max() > 0.9 and ink[:, 14].sum() > 10 * ink[:, 4].sum()
    assert panel.model.digit_source == "drawing" and box.use_drawing.isChecked()
    np.testing.assert_array_equal(np.array(panel.model.drawing), ink)  # what a session saves
    assert panel.browser.label_label.text() == "your drawing"
    qtbot.waitUntil(lambda: np.array_equal(panel.figure.digit, box.canvas.image()), timeout=2000)
    assert not np.array_equal(panel.figure.responses, before)
    for i, k in enumerate(KERNELS):
        np.testing.assert_allclose(panel.figure.responses[i], scipy.signal.convolve2d(ink, k),
                                   atol=1e-12)
    # a vertical stroke fires the vertical detector most
    counts = panel.figure.masks.sum(axis=(1, 2))
    assert counts[0] == counts.max() > 0
    box.clear_button.click()
    qtbot.waitUntil(lambda: not panel.figure.responses.any(), timeout=2000)
    assert not np.any(panel.model.drawing)


def test_drawing_recentres_and_copy_digit(panel, qtbot):
    _draw(qtbot, panel.drawing.canvas, [(3, 3), (3, 8)])
    ink = panel.drawing.canvas.image()
    rows, cols = np.indices(ink.shape)
    assert abs((rows * ink).sum() / ink.sum() - 13.5) <= 0.5
    assert abs((cols * ink).sum() / ink.sum() - 13.5) <= 0.5
    panel.drawing.use_drawing.setChecked(False)
    assert panel.model.digit_source == "dataset"
    assert panel.browser.label_label.text() == "label 4"
    panel.drawing.copy_button.click()
    np.testing.assert_allclose(panel.drawing.canvas.image(), SAMPLE.train_images[2] / 255,
                               atol=5e-5)  # stored to four decimals
    assert panel.model.digit_source == "drawing"


def _big_dataset(n=30000):
    reps = n // len(SAMPLE.train_images)
    return cc.MnistDataset(
        np.tile(SAMPLE.train_images, (reps, 1, 1)),
        np.tile(SAMPLE.train_labels, reps),
        SAMPLE.test_images.copy(),
        SAMPLE.test_labels.copy(),
        source="tiled test set",
    )


def test_statistics_finish_and_match_the_core(fresh, qtbot):
    page = fresh.statistics_page()
    page.split_combo.setCurrentIndex(page.split_combo.findData("both"))
    assert fresh.model.stats_split == "both"
    page.compute_button.click()
    qtbot.waitUntil(lambda: fresh.statistics.result is not None and not fresh.tasks.busy,
                    timeout=10000)
    want = cc.detector_statistics(
        np.concatenate([SAMPLE.train_images, SAMPLE.test_images]),
        np.concatenate([SAMPLE.train_labels, SAMPLE.test_labels]),
    )
    stats = fresh.statistics.result
    np.testing.assert_allclose(stats.fraction_above, want.fraction_above)
    np.testing.assert_allclose(stats.mean_response, want.mean_response, atol=1e-6)
    assert stats.counts.sum() == 2000
    for j, bar in enumerate(page.view.bars):
        np.testing.assert_allclose(bar.opts["height"], 100 * want.fraction_above[:, j])
    np.testing.assert_allclose(page.view.images[1][0].image, want.mean_response[1, 0], atol=1e-6)
    assert page.progress.value() == 1000
    assert page.status.text() == "2,000 digits from bundled sample (1,000 + 1,000 digits)."
    assert page.compute_button.isEnabled() and not page.cancel_button.isEnabled()
    assert active_task_count() == 0
    fresh.controls.threshold_spin.setValue(2.0)
    assert "Settings changed" in page.status.text()
    fresh.controls.threshold_spin.setValue(1.5)
    assert "Settings changed" not in page.status.text()


def test_statistics_computed_before_the_tab_is_built_show_when_it_is(fresh, qtbot):
    assert not fresh.stats_tab.is_built()
    fresh.statistics.compute()  # Ctrl+T on the figure tab
    qtbot.waitUntil(lambda: fresh.statistics.result is not None and not fresh.tasks.busy,
                    timeout=10000)
    assert not fresh.stats_tab.is_built()
    fresh.tabs.setCurrentWidget(fresh.stats_tab)
    assert fresh.stats_tab.is_built()
    page = fresh.statistics_page()
    want = cc.detector_statistics(SAMPLE.train_images, SAMPLE.train_labels)
    for j, bar in enumerate(page.view.bars):
        np.testing.assert_allclose(bar.opts["height"], 100 * want.fraction_above[:, j])
    assert page.status.text().startswith("1,000 digits") and page.progress.value() == 1000


def test_statistics_can_be_cancelled(fresh, qtbot):
    fresh.selection.use_dataset(_big_dataset(), None)
    page = fresh.statistics_page()
    assert page.status.text() == "Not computed for these digits yet: press Compute."
    page.compute_button.click()
    assert page.cancel_button.isEnabled() and not page.compute_button.isEnabled()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=10000)
    assert fresh.statistics.result is None
    assert page.status.text() == "Cancelled."
    assert page.compute_button.isEnabled() and not page.cancel_button.isEnabled()
    assert active_task_count() == 0


def test_shutdown_during_statistics_leaves_no_thread(qtbot):
    p = MnistPanel(data=DigitData())
    qtbot.addWidget(p)
    p.selection.use_dataset(_big_dataset(), None)
    p.statistics.compute()
    p.shutdown()
    assert active_task_count() == 0


def test_bad_folder_shows_error_and_keeps_data(fresh, qtbot, tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03garbage")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00")
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"nothing")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"nothing")
    with pytest.raises(cc.IdxError) as info:
        cc.load_mnist(tmp_path)
    before = fresh.data.dataset
    figure = fresh.figure
    box = fresh.data_box
    box.load_source(tmp_path)
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=5000)
    assert box.error_label.isVisible()
    assert str(info.value) in box.error_details().replace("\n", "; ")
    assert box.error_text().startswith("Could not load: ") and "\n" not in box.error_text()
    assert fresh.data.dataset is before
    assert fresh.model.data_source is None
    assert "bundled sample" in box.source_label.text()
    assert box.bundled_button.isEnabled() and not box.cancel_button.isEnabled()
    np.testing.assert_array_equal(fresh.figure.masks, figure.masks)


def test_missing_folder_error(fresh, qtbot, tmp_path):
    fresh.data_box.load_source(tmp_path / "nowhere")
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=5000)
    assert "no such file or folder" in fresh.data_box.error_text()


def _write_idx_folder(folder, train, test):
    for name, arr in (
        ("train-images-idx3-ubyte", train[0]),
        ("train-labels-idx1-ubyte", train[1]),
        ("t10k-images-idx3-ubyte", test[0]),
        ("t10k-labels-idx1-ubyte", test[1]),
    ):
        cc.write_idx(folder / name, arr)


def test_loading_a_folder_replaces_data(fresh, qtbot, tmp_path):
    _write_idx_folder(tmp_path, (SAMPLE.test_images, SAMPLE.test_labels),
                      (SAMPLE.train_images[:100], SAMPLE.train_labels[:100]))
    box = fresh.data_box
    box.load_source(tmp_path)
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=5000)
    assert box.error_text() == ""
    assert str(tmp_path) in box.source_label.text()
    assert fresh.model.data_source == str(tmp_path)
    np.testing.assert_array_equal(fresh.figure.digit, SAMPLE.test_images[2] / 255)
    box.bundled_button.click()
    qtbot.waitUntil(lambda: fresh.model.data_source is None and not fresh.tasks.busy)
    assert "bundled sample" in box.source_label.text()


def test_a_session_naming_other_digits_loads_them_then_shows_its_digit(fresh, qtbot, tmp_path):
    _write_idx_folder(tmp_path, (SAMPLE.test_images[:50], SAMPLE.test_labels[:50]),
                      (SAMPLE.train_images[:20], SAMPLE.train_labels[:20]))
    state = {**fresh.get_state(), "data_source": str(tmp_path), "index": 40, "threshold": 0.5}
    fresh.set_state(state)
    assert fresh.model.threshold == 0.5  # the settings at once, the digits in the background
    qtbot.waitUntil(lambda: fresh.model.data_source == str(tmp_path), timeout=5000)
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=5000)
    assert fresh.get_state() == state
    np.testing.assert_array_equal(fresh.figure.digit, SAMPLE.test_images[40] / 255)


def test_download_runs_in_background_then_loads(fresh, qtbot, tmp_path, monkeypatch):
    _write_idx_folder(tmp_path, (SAMPLE.train_images[:50], SAMPLE.train_labels[:50]),
                      (SAMPLE.test_images[:50], SAMPLE.test_labels[:50]))

    def fake_download(dest, *, progress, cancel, user_agent):
        assert dest.name == "mnist" and user_agent.startswith("ConvLab/")
        progress(0.5, "half")
        return tmp_path

    monkeypatch.setattr(cc, "download_mnist", fake_download)
    fresh.data_box.download_button.click()
    qtbot.waitUntil(lambda: fresh.model.data_source == str(tmp_path), timeout=5000)
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=5000)
    assert fresh.data.size("train") == 50

    def failing_download(dest, *, progress, cancel, user_agent):
        raise cc.DownloadError("every mirror failed")

    monkeypatch.setattr(cc, "download_mnist", failing_download)
    fresh.data_box.download_button.click()
    qtbot.waitUntil(lambda: fresh.data_box.error_label.isVisible(), timeout=5000)
    assert "every mirror failed" in fresh.data_box.error_details()
    assert fresh.data.size("train") == 50


def test_state_round_trip_and_bad_state(panel, qtbot):
    panel.controls.threshold_spin.setValue(0.8)
    panel.browser.filter_combo.setCurrentIndex(panel.browser.filter_combo.findData(3))
    panel.kernel_editor.set_cell(0, 1, 1, 4.0)
    qtbot.waitUntil(lambda: panel.figure.kernels[0, 1, 1] == 4.0, timeout=2000)
    state = panel.get_state()
    assert json.loads(json.dumps(state)) == state
    panel.controls.notebook_button.click()
    panel.browser.filter_combo.setCurrentIndex(0)
    assert panel.get_state() != state
    panel.set_state(state)
    assert panel.get_state() == state
    assert panel.figure.kernels[0, 1, 1] == 4.0
    assert panel.controls.threshold_slider.value() == round(0.8 / THRESHOLD_STEP)
    assert panel.selection.current_label() == 3
    assert panel.browser.filter_combo.currentData() == 3
    for bad in (
        {**state, "mode": "circular"},
        {**state, "kernels": [[[1.0]]]},
        {**state, "threshold": float("nan")},
        {**state, "label_filter": 12},
        {**state, "bogus": 1},
        {**state, "drawing": [[2.0] * 28] * 28},
    ):
        with pytest.raises(ValueError):
            panel.set_state(bad)
        assert panel.get_state() == state


def test_an_index_past_the_split_is_clamped_on_restore(panel):
    panel.set_state({**DEFAULTS, "index": 10**6})
    assert panel.model.index == 999
    assert panel.browser.index_label.text() == "train digit 1,000 of 1,000 (index 999)"
    assert panel.browser.position_spin.text() == "1,000 of 1,000"


def test_revision_changes_with_the_state_only(panel):
    start = panel.revision()
    panel.get_state()
    assert panel.revision() == start
    panel.controls.mode_combo.setCurrentIndex(panel.controls.mode_combo.findData("same"))
    assert panel.revision() != start


def test_self_test_passes_and_restores_state(panel):
    panel.controls.threshold_spin.setValue(0.3)
    state = panel.get_state()
    panel.self_test()
    assert panel.get_state() == state


def test_detected_copy_is_offered_and_loads(fresh, qtbot, tmp_path, monkeypatch):
    keras = tmp_path / ".keras" / "datasets"
    keras.mkdir(parents=True)
    np.savez(
        keras / "mnist.npz",
        x_train=SAMPLE.train_images[:30],
        y_train=SAMPLE.train_labels[:30],
        x_test=SAMPLE.test_images[:20],
        y_test=SAMPLE.test_labels[:20],
    )
    monkeypatch.setattr(
        cc,
        "find_local_copies",
        lambda cache_dir: cc.mnist.find_local_copies(
            home=tmp_path, cwd=tmp_path, cache_dir=tmp_path / "cache"
        ),
    )
    box = fresh.data_box
    box.search_copies()
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=5000)
    assert box.copies.count() == 1
    assert "keras" in box.copies.itemText(0) and box.use_copy.isEnabled()
    box.use_copy.click()
    qtbot.waitUntil(lambda: not fresh.tasks.busy, timeout=5000)
    assert box.error_text() == ""
    assert "Keras" in box.source_label.text()
    assert fresh.data.size("train") == 30


def test_keyboard_shortcuts(panel, qtbot):
    slider = panel.browser.position_slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert panel.model.index == 3
    qtbot.keyClick(slider, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert panel.model.index == 2


def test_theme_switch_keeps_the_figure(panel):
    from convlab.gui.theme import theme_manager

    masks = [m.copy() for m in _displayed_masks(panel)]
    mgr = theme_manager()
    old = mgr.mode
    try:
        mgr.set_mode("dark")
        mgr.set_mode("light")
    finally:
        mgr.set_mode(old)
    for got, want in zip(_displayed_masks(panel), masks, strict=True):
        np.testing.assert_array_equal(got, want)
    assert panel.figure_view.kernel_text(0, 0, 1) == "2"


def test_save_npz_writes_the_figure_shown(panel, tmp_path):
    panel.controls.threshold_spin.setValue(0.5)
    export = panel.data_exports()[0]
    assert export.file_filter == "NumPy arrays (*.npz)"
    export.write(tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz") as saved:
        np.testing.assert_array_equal(saved["masks"], panel.figure.masks)
        np.testing.assert_array_equal(saved["responses"], panel.figure.responses)


@pytest.mark.parametrize(
    ("size", "want"),
    [
        (5, np.pad(np.arange(9.0).reshape(3, 3), 1)),
        (1, np.array([[4.0]])),
        (3, np.arange(9.0).reshape(3, 3)),
        (4, np.pad(np.arange(9.0).reshape(3, 3), ((0, 1), (0, 1)))),
        (2, np.array([[0.0, 1.0], [3.0, 4.0]])),
    ],
)
def test_resize_kernel(size, want):
    from convlab.labs.mnist.kernels import resize_kernel

    np.testing.assert_array_equal(resize_kernel(np.arange(9.0).reshape(3, 3), size), want)
