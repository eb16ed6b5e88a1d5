"""Export Animation…: rendering frames, the dialog, the exporter (GIF, MP4), cancel, failure."""

from __future__ import annotations

import numpy as np
import pytest
from _fake_animation import FakeAnimatedLab, FakeShortRunLab
from PIL import Image
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QMessageBox, QProgressBar, QPushButton, QWidget

import convlab.media
from convlab.gui import animation_export as ae
from convlab.gui.animation_export import (
    AnimationExporter,
    ExportAnimationDialog,
    ExportSettings,
    render_frame,
)
from convlab.media import frame_steps


@pytest.fixture
def lab(qtbot):
    panel = FakeAnimatedLab()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel
    panel.shutdown()


def listing(folder):
    return sorted((p.name, p.stat().st_size) for p in folder.iterdir())


def run_export(qtbot, lab, settings, **kwargs):
    exporter = AnimationExporter(lab, lab, settings, show_progress=False, **kwargs)
    with qtbot.waitSignal(exporter.finished, timeout=20000) as blocker:
        exporter.start()
    return exporter, blocker.args


def gif_frames(path):
    image = Image.open(path)
    frames = []
    for i in range(image.n_frames):
        image.seek(i)
        frames.append(np.asarray(image.convert("RGB")).astype(int))
    return frames


# -- render_frame --------------------------------------------------------------------


def test_render_frame_keeps_the_aspect_and_colours(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(10, 200, 30))
    widget.setPalette(palette)
    widget.setAutoFillBackground(True)
    widget.resize(200, 90)
    frame = render_frame(widget, 400)
    assert frame.shape == (180, 400, 3) and frame.dtype == np.uint8
    assert (frame == (10, 200, 30)).all()
    assert render_frame(widget, 301).shape == (round(90 * 301 / 200), 301, 3)


def test_render_frame_draws_at_the_output_resolution(lab):
    small = render_frame(lab.plot, 480)
    large = render_frame(lab.plot, 960)
    assert large.shape[1] == 2 * small.shape[1]
    # Drawn, not scaled: the large frame's curve is as thin (in its pixels) as the small
    # one's, so it is not 2× the small frame's number of curve pixels squared but about 2×.
    blue = lambda f: int(np.sum((f[..., 2] > 150) & (f[..., 0] < 100)))  # noqa: E731
    assert 1.2 * blue(small) < blue(large) < 3.0 * blue(small)


# -- the exporter ---------------------------------------------------------------------


def test_ten_frame_gif_matches_the_lab_at_its_first_and_last_steps(qtbot, lab, tmp_path):
    lab.show_step(500)
    settings = ExportSettings(tmp_path / "run.gif", "gif", n_frames=10, fps=10,
                              spacing="even", width=480)
    exporter, (outcome, message) = run_export(qtbot, lab, settings)
    assert outcome == "saved", message
    assert message.startswith(f"Saved {settings.path} (10 frames, ")
    assert message.endswith(" MB)")
    steps = frame_steps(lab.steps, 10, "even")
    assert exporter.steps.tolist() == steps.tolist() == [0, 110, 220, 330, 440, 560, 670,
                                                         780, 890, 1000]
    frames = gif_frames(settings.path)
    assert len(frames) == 10
    for index in (0, -1):
        lab.show_step(int(steps[index]))
        expected = render_frame(lab.plot, 480).astype(int)
        assert frames[index].shape == expected.shape
        error = np.abs(frames[index] - expected)
        assert error.mean() < 1.0 and np.percentile(error, 99) <= 16
    assert np.any(frames[0] != frames[-1], axis=2).sum() > 500  # the curve grew


def test_exporter_pauses_the_lab_and_restores_the_step_shown(qtbot, lab, tmp_path):
    for before in (500, None):
        lab.show_step(before)
        pauses = lab.pauses
        _, (outcome, _) = run_export(qtbot, lab, ExportSettings(
            tmp_path / "run.gif", n_frames=4, width=320))
        assert outcome == "saved"
        assert lab.pauses == pauses + 1
        assert lab.shown_step() == before and lab.show_calls[-1] == before


def test_mp4_export(qtbot, lab, tmp_path):
    import imageio_ffmpeg

    settings = ExportSettings(tmp_path / "run.mp4", "mp4", n_frames=6, fps=5, width=321)
    _, (outcome, message) = run_export(qtbot, lab, settings)
    assert outcome == "saved", message
    reader = imageio_ffmpeg.read_frames(str(settings.path))
    meta = next(reader)
    height = round(lab.plot.height() * 321 / lab.plot.width())
    assert meta["size"] == (322, height + height % 2)
    assert sum(1 for _ in reader) == 6


def test_cancel_leaves_the_folder_unchanged(qtbot, lab, tmp_path):
    (tmp_path / "old.txt").write_text("keep")
    before = listing(tmp_path)
    for fmt in ("gif", "html"):
        lab.show_step(300)
        settings = ExportSettings(tmp_path / f"run.{fmt}", fmt, n_frames=60, width=480)
        exporter = AnimationExporter(lab, lab, settings, show_progress=False)
        with qtbot.waitSignal(exporter.finished, timeout=20000) as blocker:
            exporter.start()
            qtbot.waitUntil(lambda e=exporter: e._next >= 8, timeout=10000)
            exporter.cancel()
        assert blocker.args == ["cancelled", "Export cancelled"]
        assert listing(tmp_path) == before
        assert lab.shown_step() == 300


def test_a_failure_is_reported_plainly_and_leaves_nothing(qtbot, lab, tmp_path):
    before = listing(tmp_path)
    settings = ExportSettings(tmp_path / "missing" / "run.gif", n_frames=5, width=320)
    _, (outcome, message) = run_export(qtbot, lab, settings)
    assert outcome == "failed"
    assert str(settings.path) in message and "Traceback" not in message
    assert listing(tmp_path) == before

    lab.fail_at = 600
    lab.show_step(200)
    _, (outcome, message) = run_export(
        qtbot, lab, ExportSettings(tmp_path / "run.gif", n_frames=10, width=320))
    assert outcome == "failed"
    assert message == "Could not render step 670: this step cannot be shown"
    assert listing(tmp_path) == before
    assert lab.shown_step() == 200


def test_progress_dialog_cancel_button_cancels(qtbot, lab, tmp_path):
    exporter = AnimationExporter(lab, lab, ExportSettings(tmp_path / "run.gif", n_frames=80,
                                                          width=480))
    with qtbot.waitSignal(exporter.finished, timeout=20000) as blocker:
        exporter.start()
        assert exporter._progress is not None and exporter._progress.isVisible()
        button = exporter._progress.findChild(QPushButton)
        assert button.text() == "Cancel"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "cancelled"
    assert listing(tmp_path) == []


# -- the dialog -----------------------------------------------------------------------


def test_progress_updates_never_run_the_event_loop(qtbot, lab, tmp_path):
    # QProgressDialog.setValue processes events when the dialog is modal: the encoder's
    # result could arrive inside an update and close the dialog under it (a CI failure).
    exporter = AnimationExporter(lab, lab, ExportSettings(tmp_path / "run.gif", n_frames=4,
                                                          width=200))
    exporter.start()
    exporter._next = 1  # as if frames were rendered
    exporter._update_progress()
    ran = []
    QTimer.singleShot(0, lambda: ran.append("event loop"))
    exporter._next = 2
    exporter._update_progress()
    assert ran == [] and exporter._progress.isVisible()
    assert exporter._progress.findChild(QProgressBar).value() == 250  # 2 of 4 × 2 phases
    assert exporter._progress.labelText() == "Rendering frame 2 of 4, encoded 0…"
    with qtbot.waitSignal(exporter.finished, timeout=5000):
        exporter.cancel()


def test_dialog_defaults_and_estimate(qtbot, lab, tmp_path):
    dialog = ExportAnimationDialog(lab, folder=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.frames_box.value() == 100 and dialog.frames_box.minimum() == 2
    assert dialog.frames_box.maximum() == 1000
    assert dialog.fps_box.value() == 10 and dialog.width_box.value() == 1280
    assert dialog.spacing_box.currentData() == "even"  # a 1,000-step run
    settings = dialog.settings()
    assert settings == ExportSettings(tmp_path / "convlab-fake.gif", "gif", 100, 10, "even",
                                      1280)
    # 101 recorded steps, 100 asked: 0, 10.1, 20.2, … → 100 distinct steps, 10 s at 10 fps
    assert dialog.estimate.text() == "≈ 100 frames, ~10.0 s"
    dialog.frames_box.setValue(500)  # more than recorded: every recorded step
    dialog.fps_box.setValue(30)
    assert dialog.estimate.text() == "≈ 101 frames, ~3.4 s"  # 101 / 30 = 3.37
    dialog.format_box.setCurrentIndex(1)
    assert dialog.settings().path == tmp_path / "convlab-fake.mp4"
    assert dialog.settings().fmt == "mp4"


def test_dialog_defaults_to_log_spacing_for_long_runs(qtbot):
    lab = FakeAnimatedLab(steps=np.arange(0, 20_001, 20, dtype=np.int64))
    qtbot.addWidget(lab)
    dialog = ExportAnimationDialog(lab)
    qtbot.addWidget(dialog)
    assert dialog.spacing_box.currentData() == "log"
    assert "logarithmic for runs longer than 1,000 steps" in dialog.spacing_box.toolTip()
    n = len(frame_steps(lab.steps, 100, "log"))
    assert n < 100 and dialog.estimate.text() == f"≈ {n} frames, ~{n / 10:.1f} s"
    lab.shutdown()


@pytest.mark.parametrize("available", [True, False])
def test_dialog_greys_out_video_without_the_encoder(qtbot, lab, monkeypatch, available):
    monkeypatch.setattr(convlab.media, "encoder_available", lambda: available)
    dialog = ExportAnimationDialog(lab)
    qtbot.addWidget(dialog)
    model = dialog.format_box.model()
    assert model.item(0).isEnabled()
    assert model.item(1).isEnabled() is available and model.item(2).isEnabled() is available
    assert dialog.install_note.isHidden() is available
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    dialog.install_note.linkActivated.emit("install")
    assert 'pip install "convlab[video]"' in shown[0]


def test_export_animation_explains_a_run_too_short(qtbot, monkeypatch):
    lab = FakeShortRunLab()
    qtbot.addWidget(lab)
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    monkeypatch.setattr(ae, "export_animation_dialog",
                        lambda *a: pytest.fail("no dialog for a run of one step"))
    lab.export_animation()
    assert "fewer than two recorded steps" in shown[0]
    lab.shutdown()


def test_export_animation_opens_the_dialog_and_reports_on_the_status_bar(
        qtbot, lab, tmp_path, monkeypatch):
    messages = []
    lab.status_message.connect(messages.append)

    def accept(dialog):
        dialog.path_edit.setText(str(tmp_path / "out.gif"))
        dialog.frames_box.setValue(3)
        dialog.width_box.setValue(320)
        return ExportAnimationDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportAnimationDialog, "exec", accept)
    pauses = lab.pauses
    lab.export_animation()
    qtbot.waitUntil(lambda: bool(messages), timeout=20000)
    assert messages[0].startswith(f"Saved {tmp_path / 'out.gif'} (3 frames, ")
    assert lab.pauses >= pauses + 1
