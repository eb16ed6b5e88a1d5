"""The MNIST Detectors lab, driven through its widgets (pytest-qt)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.signal
from PyQt6.QtCore import QPoint, Qt

import convlab.core as cc
from convlab.gui.mnist_figure import mask_overlay
from convlab.gui.mnist_panel import THRESHOLD_STEP, MnistPanel
from convlab.gui.worker import active_task_count

KERNELS = list(cc.LINE_DETECTORS.values())


@pytest.fixture
def panel(qtbot):
    p = MnistPanel()
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    qtbot.waitUntil(lambda: not p.tasks.busy, timeout=5000)  # the search for local copies
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
    x_train = cc.load_mnist().train_images
    assert panel.state.index == 2 and panel.state.split == "train"
    assert panel.current_label() == 4
    assert panel.label_label.text() == "label 4"
    np.testing.assert_array_equal(panel.figure_view.digit_image.image, x_train[2] / 255)
    for got, want in zip(_displayed_masks(panel), _notebook_masks(x_train[2]), strict=True):
        assert got.shape == (30, 30)
        np.testing.assert_array_equal(got, want)
    for i, kernel in enumerate(KERNELS):
        np.testing.assert_array_equal(panel.figure_view.kernel_images[i].image, kernel)
        assert panel.figure_view.kernel_texts[i][0].textItem.toPlainText() == f"{kernel[0, 0]:g}"


@pytest.mark.parametrize("level", [0.5, 2.25, -0.4])
def test_threshold_slider_changes_displayed_mask(panel, qtbot, level):
    panel.threshold_slider.setValue(round(level / THRESHOLD_STEP))
    assert panel.state.threshold == pytest.approx(level)
    assert panel.threshold_spin.value() == pytest.approx(level)
    digit = panel.data.train_images[2]
    for got, want in zip(_displayed_masks(panel), _notebook_masks(digit, level), strict=True):
        np.testing.assert_array_equal(got, want)


def test_threshold_box_moves_slider(panel):
    panel.threshold_spin.setValue(0.75)
    assert panel.threshold_slider.value() == round(0.75 / THRESHOLD_STEP)
    assert panel.figure.level == 0.75


def test_editing_a_kernel_cell_updates_that_response(panel, qtbot):
    before = panel.figure.responses.copy()
    panel.kernel_editor.set_cell(1, 0, 0, 3.0)
    kernel = KERNELS[1].copy()
    kernel[0, 0] = 3.0
    digit = panel.data.train_images[2] / 255
    qtbot.waitUntil(lambda: panel.figure.kernels[1, 0, 0] == 3.0, timeout=2000)
    np.testing.assert_allclose(panel.figure.responses[1], scipy.signal.convolve2d(digit, kernel))
    np.testing.assert_array_equal(_displayed_masks(panel)[1], panel.figure.responses[1] > 1.5)
    np.testing.assert_array_equal(panel.figure.responses[[0, 2, 3]], before[[0, 2, 3]])
    assert panel.state.kernels[1][0][0] == 3.0
    assert panel.figure_view.kernel_texts[1][0].textItem.toPlainText() == "3"


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
    editor.reset.click()
    qtbot.waitUntil(lambda: panel.figure.kernels.shape == (4, 3, 3), timeout=2000)
    np.testing.assert_array_equal(panel.figure.kernels, np.stack(KERNELS))


@pytest.mark.parametrize(("mode", "flip"), [("same", False), ("valid", True), ("full", False)])
def test_mode_and_operation(panel, mode, flip):
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData(mode))
    panel.flip_combo.setCurrentIndex(panel.flip_combo.findData(flip))
    fn = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    digit = panel.data.train_images[2] / 255
    for i, k in enumerate(KERNELS):
        np.testing.assert_array_equal(_displayed_masks(panel)[i], fn(digit, k, mode=mode) > 1.5)


def test_display_modes(panel):
    fig = panel.figure
    panel.display_combo.setCurrentIndex(panel.display_combo.findData("response"))
    np.testing.assert_array_equal(panel.figure_view.displayed(0), fig.responses[0])
    assert panel.figure_view.colorbar.isVisible()
    low, high = panel.figure_view.response_images[0].getLevels()
    assert low == -high == -np.abs(fig.responses).max()
    panel.display_combo.setCurrentIndex(panel.display_combo.findData("overlay"))
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
    assert panel.figure_view.window_box.isVisible()
    panel.threshold_spin.setValue(-0.25)  # the read-out follows the new threshold
    assert "Σ" in panel.inspector.text() and "-0.25" in panel.inspector.text()
    rect = panel.figure_view.window_box.rect()
    # full mode pads by 2: output (12, 14) sees digit rows 10…12, columns 12…14
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (12, 10, 3, 3)


def test_label_filter_shows_only_that_label(panel):
    panel.filter_combo.setCurrentIndex(panel.filter_combo.findData(7))
    labels = panel.data.train_labels
    n_sevens = int((labels == 7).sum())
    assert panel.position_slider.maximum() == n_sevens - 1
    assert panel.current_label() == 7
    seen = set()
    for step in (panel.next, panel.next, panel.random_digit, panel.previous):
        step()
        assert panel.current_label() == 7
        seen.add(panel.state.index)
        for pos in panel.thumbnails.positions:
            assert labels[panel.filtered_indices()[pos]] == 7
    assert len(seen) >= 2
    panel.position_slider.setValue(n_sevens - 1)
    assert panel.state.index == int(np.flatnonzero(labels == 7)[-1])
    assert panel.label_label.text() == "label 7"
    np.testing.assert_array_equal(
        panel.figure.digit, panel.data.train_images[panel.state.index] / 255
    )


def test_browser_split_spin_and_thumbnail_click(panel, qtbot):
    panel.split_combo.setCurrentIndex(panel.split_combo.findData("test"))
    panel.position_spin.setValue(5)
    assert panel.state.split == "test" and panel.state.index == 5
    np.testing.assert_array_equal(panel.figure.digit, panel.data.test_images[5] / 255)
    last = panel.thumbnails.positions[-1]
    panel.thumbnails.clicked.emit(last)
    assert panel.state.index == last
    assert panel.current_label() == int(panel.data.test_labels[panel.state.index])


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
    canvas = panel.canvas
    canvas.recenter_on_release = False
    _draw(qtbot, canvas, [(14, 4), (14, 10), (14, 16), (14, 24)])  # a vertical stroke
    ink = canvas.image()
    assert ink.max() > 0.9 and ink[:, 14].sum() > 10 * ink[:, 4].sum()
    assert panel.state.digit_source == "drawing" and panel.use_drawing.isChecked()
    assert panel.label_label.text() == "your drawing"
    qtbot.waitUntil(lambda: np.array_equal(panel.figure.digit, canvas.image()), timeout=2000)
    assert not np.array_equal(panel.figure.responses, before)
    for i, k in enumerate(KERNELS):
        np.testing.assert_allclose(panel.figure.responses[i], scipy.signal.convolve2d(ink, k))
    # a vertical stroke fires the vertical detector most
    counts = panel.figure.masks.sum(axis=(1, 2))
    assert counts[0] == counts.max() > 0
    panel.clear_button.click()
    qtbot.waitUntil(lambda: not panel.figure.responses.any(), timeout=2000)


def test_drawing_recentres_and_copy_digit(panel, qtbot):
    _draw(qtbot, panel.canvas, [(3, 3), (3, 8)])
    ink = panel.canvas.image()
    rows, cols = np.indices(ink.shape)
    assert abs((rows * ink).sum() / ink.sum() - 13.5) <= 0.5
    assert abs((cols * ink).sum() / ink.sum() - 13.5) <= 0.5
    panel.use_drawing.setChecked(False)
    qtbot.waitUntil(lambda: panel.state.digit_source == "dataset", timeout=2000)
    assert panel.label_label.text() == "label 4"
    panel.copy_button.click()
    np.testing.assert_allclose(panel.canvas.image(), panel.data.train_images[2] / 255)


def _big_dataset(n=30000):
    base = cc.load_mnist()
    reps = n // len(base.train_images)
    return cc.MnistDataset(
        np.tile(base.train_images, (reps, 1, 1)),
        np.tile(base.train_labels, reps),
        base.test_images.copy(),
        base.test_labels.copy(),
        source="tiled test set",
    )


def test_statistics_finish_and_match_the_core(panel, qtbot):
    panel.stats_split_combo.setCurrentIndex(panel.stats_split_combo.findData("both"))
    panel.stats_button.click()
    qtbot.waitUntil(lambda: panel.stats is not None and not panel.tasks.busy, timeout=10000)
    data = panel.data
    want = cc.detector_statistics(
        np.concatenate([data.train_images, data.test_images]),
        np.concatenate([data.train_labels, data.test_labels]),
    )
    np.testing.assert_allclose(panel.stats.fraction_above, want.fraction_above)
    np.testing.assert_allclose(panel.stats.mean_response, want.mean_response, atol=1e-6)
    assert panel.stats.counts.sum() == 2000
    view = panel.stats_view
    for j, bar in enumerate(view.bars):
        np.testing.assert_allclose(bar.opts["height"], 100 * want.fraction_above[:, j])
    np.testing.assert_allclose(view.images[1][0].image, want.mean_response[1, 0], atol=1e-6)
    assert panel.stats_progress.value() == 1000
    assert "2,000 digits" in panel.stats_status.text()
    assert active_task_count() == 0
    panel.threshold_spin.setValue(2.0)
    assert "Settings changed" in panel.stats_status.text()


def test_statistics_can_be_cancelled(panel, qtbot):
    panel._on_loaded(_big_dataset(), None)
    panel.stats_button.click()
    assert panel.stats_cancel.isEnabled()
    panel.stats_cancel.click()
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=10000)
    assert panel.stats is None
    assert panel.stats_status.text() == "Cancelled."
    assert panel.stats_button.isEnabled() and not panel.stats_cancel.isEnabled()
    assert active_task_count() == 0


def test_shutdown_during_statistics_leaves_no_thread(qtbot):
    p = MnistPanel()
    qtbot.addWidget(p)
    p._on_loaded(_big_dataset(), None)
    p.compute_statistics()
    p.shutdown()
    assert active_task_count() == 0


def test_bad_folder_shows_error_and_keeps_data(panel, qtbot, tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03garbage")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00")
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"nothing")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"nothing")
    with pytest.raises(Exception) as info:
        cc.load_mnist(tmp_path)
    before = panel.data
    figure = panel.figure
    panel.load_source(tmp_path)
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert panel.data_error.isVisible()
    assert str(info.value) in panel.data_error.text()
    assert panel.data is before
    assert panel.state.data_source is None
    assert "bundled sample" in panel.source_label.text()
    np.testing.assert_array_equal(panel.figure.masks, figure.masks)


def test_missing_folder_error(panel, qtbot, tmp_path):
    panel.load_source(tmp_path / "nowhere")
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert "no such file or folder" in panel.data_error.text()


def test_loading_a_folder_replaces_data(panel, qtbot, tmp_path):
    base = cc.load_mnist()
    for name, arr in (
        ("train-images-idx3-ubyte", base.test_images),
        ("train-labels-idx1-ubyte", base.test_labels),
        ("t10k-images-idx3-ubyte", base.train_images[:100]),
        ("t10k-labels-idx1-ubyte", base.train_labels[:100]),
    ):
        cc.write_idx(tmp_path / name, arr)
    panel.load_source(tmp_path)
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert not panel.data_error.isVisible()
    assert str(tmp_path) in panel.source_label.text()
    assert panel.state.data_source == str(tmp_path)
    np.testing.assert_array_equal(panel.figure.digit, base.test_images[2] / 255)
    panel.bundled_button.click()
    qtbot.waitUntil(lambda: panel.state.data_source is None and not panel.tasks.busy)
    assert "bundled sample" in panel.source_label.text()


def test_download_runs_in_background_then_loads(panel, qtbot, tmp_path, monkeypatch):
    base = cc.load_mnist()
    for name, arr in (
        ("train-images-idx3-ubyte", base.train_images[:50]),
        ("train-labels-idx1-ubyte", base.train_labels[:50]),
        ("t10k-images-idx3-ubyte", base.test_images[:50]),
        ("t10k-labels-idx1-ubyte", base.test_labels[:50]),
    ):
        cc.write_idx(tmp_path / name, arr)

    def fake_download(*, progress, cancel):
        progress(0.5, "half")
        return tmp_path

    monkeypatch.setattr(cc, "download_mnist", fake_download)
    panel.download_button.click()
    qtbot.waitUntil(lambda: panel.state.data_source == str(tmp_path), timeout=5000)
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert len(panel.data.train_images) == 50

    def failing_download(*, progress, cancel):
        raise cc.DownloadError("every mirror failed")

    monkeypatch.setattr(cc, "download_mnist", failing_download)
    panel.download_button.click()
    qtbot.waitUntil(lambda: panel.data_error.isVisible(), timeout=5000)
    assert "every mirror failed" in panel.data_error.text()
    assert len(panel.data.train_images) == 50


def test_state_round_trip_and_bad_state(panel, qtbot):
    panel.threshold_spin.setValue(0.8)
    panel.filter_combo.setCurrentIndex(panel.filter_combo.findData(3))
    panel.kernel_editor.set_cell(0, 1, 1, 4.0)
    qtbot.waitUntil(lambda: panel.figure.kernels[0, 1, 1] == 4.0, timeout=2000)
    state = panel.get_state()
    import json

    assert json.loads(json.dumps(state)) == state
    panel.notebook_settings()
    panel.filter_combo.setCurrentIndex(0)
    assert panel.get_state() != state
    panel.set_state(state)
    assert panel.get_state() == state
    assert panel.figure.kernels[0, 1, 1] == 4.0
    assert panel.threshold_slider.value() == round(0.8 / THRESHOLD_STEP)
    assert panel.current_label() == 3
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


def test_self_test_passes_and_restores_state(panel):
    panel.threshold_spin.setValue(0.3)
    state = panel.get_state()
    panel.self_test()
    assert panel.get_state() == state


def test_detected_copy_is_offered_and_loads(panel, qtbot, tmp_path, monkeypatch):
    base = cc.load_mnist()
    keras = tmp_path / ".keras" / "datasets"
    keras.mkdir(parents=True)
    np.savez(
        keras / "mnist.npz",
        x_train=base.train_images[:30],
        y_train=base.train_labels[:30],
        x_test=base.test_images[:20],
        y_test=base.test_labels[:20],
    )
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)  # the panel's own search
    monkeypatch.setattr(
        cc,
        "find_local_copies",
        lambda: cc.mnist.find_local_copies(
            home=tmp_path, cwd=tmp_path, cache_dir=tmp_path / "cache"
        ),
    )
    panel.tasks.start(_find_copies_again, on_result=panel._on_copies)
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert panel.copies.count() == 1
    assert "keras" in panel.copies.itemText(0) and panel.use_copy.isEnabled()
    panel.use_copy.click()
    qtbot.waitUntil(lambda: not panel.tasks.busy, timeout=5000)
    assert not panel.data_error.isVisible(), panel.data_error.text()
    assert "Keras" in panel.source_label.text()
    assert len(panel.data.train_images) == 30


def _find_copies_again(*, progress, cancel):
    from convlab.gui.mnist_data import _find_copies

    return _find_copies(progress=progress, cancel=cancel)


def test_keyboard_shortcuts(panel, qtbot):
    panel.position_slider.setFocus()
    qtbot.keyClick(panel.position_slider, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert panel.state.index == 3
    qtbot.keyClick(panel.position_slider, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert panel.state.index == 2


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
    assert panel.figure_view.kernel_texts[0][1].textItem.toPlainText() == "2"


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
    from convlab.gui.mnist_kernels import resize_kernel

    np.testing.assert_array_equal(resize_kernel(np.arange(9.0).reshape(3, 3), size), want)
