"""Export Animation… from the real labs (issue 19): the frames of the GIF and MP4 are the
lab's plot area at the chosen steps, as a screenshot of the lab at that step shows it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import convlab.core as cc
from convlab.gui.animation_export import AnimationExporter, ExportSettings, render_frame
from convlab.gui.digits import DigitData
from convlab.labs.cnn.panel import CNNPanel
from convlab.labs.gradient.panel import GradientPanel

WIDTH = 480


def export(qtbot, lab, path: Path, fmt: str, frames: int) -> AnimationExporter:
    exporter = AnimationExporter(lab, lab.animation_source(),
                                 ExportSettings(path, fmt, n_frames=frames, fps=5,
                                                spacing="even", width=WIDTH),
                                 show_progress=False)
    with qtbot.waitSignal(exporter.finished, timeout=60_000) as outcome:
        exporter.start()
    assert outcome.args[0] == "saved", outcome.args[1]
    return exporter


def gif_frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        frames = []
        for i in range(image.n_frames):
            image.seek(i)
            frames.append(np.asarray(image.convert("RGB"), dtype=np.int16))
    return frames


def screenshot_at(lab, step: int) -> np.ndarray:
    """The lab's plot area rendered at ``step`` (as the scrubber shows it)."""
    lab.show_step(step)
    return render_frame(lab.animation_widget(), WIDTH).astype(np.int16)


def assert_same_picture(frame: np.ndarray, screenshot: np.ndarray) -> None:
    """Equal within the GIF's palette error: small mean, and few pixels off by more."""
    assert frame.shape == screenshot.shape
    error = np.abs(frame - screenshot).max(axis=2)
    assert error.mean() < 2.0
    assert np.mean(error > 40) < 0.005


@pytest.fixture
def gradient_lab(show_panel):
    lab = show_panel(GradientPanel, size=(1366, 740))
    for _ in range(60):
        lab.controller.step_once()
    lab.controller.flush()
    return lab


def test_a_gradient_gif_has_the_frames_the_lab_shows_at_those_steps(qtbot, gradient_lab,
                                                                     tmp_path):
    lab = gradient_lab
    path = tmp_path / "run.gif"
    exporter = export(qtbot, lab, path, "gif", 10)
    steps = exporter.steps
    # every step is recorded: the recorded steps nearest to 0, 60/9, 2·60/9, …, 60
    np.testing.assert_array_equal(steps, [0, 7, 13, 20, 27, 33, 40, 47, 53, 60])
    assert lab.shown_step() is None  # back to live, as it was
    frames = gif_frames(path)
    assert len(frames) == 10
    first, last = screenshot_at(lab, int(steps[0])), screenshot_at(lab, int(steps[-1]))
    assert_same_picture(frames[0], first)
    assert_same_picture(frames[-1], last)
    assert np.abs(first - last).max(axis=2).mean() > 0.5  # the run moved between them
    assert [f for f in tmp_path.iterdir()] == [path]  # no temporary file left


def test_a_gradient_mp4_has_one_frame_per_step_chosen(qtbot, gradient_lab, tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg",
                                         reason="the video extra (imageio-ffmpeg) is missing")
    path = tmp_path / "run.mp4"
    export(qtbot, gradient_lab, path, "mp4", 6)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    decoded = [np.frombuffer(f, np.uint8).reshape(meta["size"][1], meta["size"][0], 3)
               for f in reader]
    assert len(decoded) == 6
    last = screenshot_at(gradient_lab, 60)
    h, w = last.shape[:2]
    assert np.abs(decoded[-1][:h, :w].astype(np.int16) - last).mean() < 6  # lossy H.264


def test_a_cnn_gif_shows_the_scrub_points(qtbot, tmp_path):
    lab = CNNPanel(data=DigitData(cc.load_mnist()))
    qtbot.addWidget(lab)
    lab.resize(1366, 740)
    lab.show()
    try:
        lab.model.update({"batch_size": 50, "split": "test", "index": 3})
        lab.controller.train_now(40)
        points = lab.animation_steps()
        assert points[0] == 0 and points[-1] == 40 and len(points) >= 5
        path = tmp_path / "cnn.gif"
        exporter = export(qtbot, lab, path, "gif", len(points))
        np.testing.assert_array_equal(exporter.steps, points)
        frames = gif_frames(path)
        assert len(frames) == len(points)
        assert_same_picture(frames[0], screenshot_at(lab, int(points[0])))
        assert_same_picture(frames[-1], screenshot_at(lab, int(points[-1])))
        assert lab.shown_step() is None
    finally:
        lab.shutdown()
