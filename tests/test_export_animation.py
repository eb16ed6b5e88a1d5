"""Exported Gradient and CNN scripts: ``--animate FILE`` renders the run, frame by frame (issue 19).

Each script runs in a subprocess, as a user runs it; the files it writes are read
back (Pillow for the GIF, imageio-ffmpeg for the MP4) and their frames counted.
The frames' contents are checked through the script's own functions, loaded with
runpy: the schedule against hand-computed steps, the frames against the run's
recorded history (and, for the CNN, against a separate training to that step).
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg  # matplotlib and imageio-ffmpeg: in the test extra
import numpy as np
import pytest
from PIL import Image as PIL

import convlab.core as cc
from convlab.export_script import cnn_script, gradient_script


def _gradient_state(**changes) -> dict:
    from convlab.labs.gradient.model import GradientLabState

    return {**GradientLabState().to_dict(), "step": 300, **changes}


def _cnn_state(steps: int = 12) -> dict:
    """A tiny CNN run on the bundled sample: 12 batches, the learning rate changed at 5."""
    from convlab.labs.cnn.model import CNNState

    settings = CNNState()
    return {**settings.to_dict(), "run": {
        "architecture": settings.architecture(),
        "lr_changes": [[5, 0.02]],
        "trainer": {"step_count": steps},
        "options": {"batch_size": 32, "optimizer": "sgd", "seed": 3},
        "initial_learning_rate": 0.05,
        "data": {"source": "bundled sample (1,000 + 1,000 digits)"},
    }}


def _write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(script: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=120, cwd=script.parent, env=env)


def _env(tmp_path: Path, *, fake: tuple[str, ...] = (), no_system_ffmpeg: bool = False) -> dict:
    """The environment for a script run: ``fake`` packages whose import fails come first on
    PYTHONPATH; ``no_system_ffmpeg`` leaves only an empty folder on PATH."""
    env = dict(os.environ)
    if fake:
        shim = tmp_path / "shim"
        for name in fake:
            (shim / name).mkdir(parents=True, exist_ok=True)
            (shim / name / "__init__.py").write_text(
                f"raise ImportError('no {name} here (test shim)')\n", encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join([str(shim), env.get("PYTHONPATH", "")])
    if no_system_ffmpeg:
        (tmp_path / "empty-bin").mkdir(exist_ok=True)
        env["PATH"] = str(tmp_path / "empty-bin")
    return env


@pytest.fixture(scope="module")
def gradient_file(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("gradient"), gradient_script(_gradient_state()),
                  "gradient.py")


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("cnn"), cnn_script(_cnn_state()), "cnn.py")


# ------------------------------------------------------------------ the frame schedule
def test_frame_schedule_is_the_documented_one(gradient_file):
    script = runpy.run_path(str(gradient_file), run_name="exported")
    frame_steps = script["frame_steps"]
    # even: floor(k·300/7) — 42.86 → 42, 85.71 → 85, …
    assert frame_steps(range(301), 8) == [0, 42, 85, 128, 171, 214, 257, 300]
    # log: floor(expm1(k·ln(301)/7)) — 1.26, 4.11, 10.54, 25.08, 57.94, 132.19
    assert frame_steps(range(301), 8, "log") == [0, 1, 4, 10, 25, 57, 132, 300]
    # a thinned history (every 2nd step, then the latest): the last recorded step ≤ target
    assert frame_steps([*range(0, 1001, 2), 1001], 5) == [0, 250, 500, 750, 1001]
    assert frame_steps([*range(0, 1001, 2), 1001], 4) == [0, 332, 666, 1001]  # 333.7, 667.3
    # log targets crowd the first steps (0.62, 1.61 → 0, 1): no step is shown twice
    assert frame_steps(range(11), 6, "log") == [0, 1, 2, 3, 5, 10]
    assert frame_steps([0, 5, 9], 8) == [0, 5, 9]  # fewer recorded steps than frames
    assert frame_steps(range(301), 1) == [300]
    with pytest.raises(ValueError, match="spacing"):
        frame_steps(range(10), 3, "linear")


def test_gradient_frames_are_the_runs_recorded_points(tmp_path):
    racers = [{"enabled": True, "optimizer": "sgd", "learning_rate": 0.01},
              {"enabled": True, "optimizer": "adam", "learning_rate": 0.05},
              {"enabled": False, "optimizer": "momentum", "learning_rate": 0.01},
              {"enabled": True, "optimizer": "sgd", "learning_rate": 3.0}]  # diverges early
    path = _write(tmp_path, gradient_script(_gradient_state(race=True, racers=racers)), "g.py")
    out = _run(path, "--json")
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)  # the history the script prints
    script = runpy.run_path(str(path), run_name="exported")
    recorded = script["recorded_steps"](results)
    assert recorded == list(range(301))
    steps = script["frame_steps"](recorded, 8, "even")
    assert steps == [0, 42, 85, 128, 171, 214, 257, 300]
    runs = results["runs"]
    stopped = runs[2]["history_steps"][-1]
    assert "diverged" in runs[2]["status"] and stopped < 42
    for frame, step in zip(script["frames_of"](results, steps), steps, strict=True):
        assert frame["step"] == step
        for run, at in zip(runs, frame["runs"], strict=True):
            i = run["history_steps"].index(min(step, run["history_steps"][-1]))
            assert at["index"] == i  # the path so far: history rows 0 … i
            assert at["params"] == run["history_params"][i]
            assert at["train_loss"] == run["history_train_loss"][i]
        assert [at["step"] for at in frame["runs"]] == [step, step, min(step, stopped)]


# ------------------------------------------------------------------ the files
def test_gradient_gif_has_the_frames_at_the_fps(gradient_file, tmp_path):
    out = _run(gradient_file, "--animate", str(tmp_path / "run.gif"), "--frames", "8",
               "--fps", "5")
    assert out.returncode == 0, out.stderr
    assert "8 frames at 5 fps" in out.stdout and "steps 0 … 300, even spacing" in out.stdout
    assert "step 300: w1 =" in out.stdout  # the report is printed as without --animate
    with PIL.open(tmp_path / "run.gif") as gif:
        assert gif.n_frames == 8
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            assert gif.info["duration"] == 200  # ms: 1000 / fps
            frames.append(np.asarray(gif.convert("RGB")))
    assert frames[0].shape == frames[-1].shape and not np.array_equal(frames[0], frames[-1])


def test_gradient_mp4_and_html_video(gradient_file, tmp_path):
    out = _run(gradient_file, "--animate", str(tmp_path / "run.mp4"), "--frames", "4",
               "--fps", "4", "--spacing", "log")
    assert out.returncode == 0, out.stderr
    assert "MP4 video" in out.stdout and "log spacing" in out.stdout
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "run.mp4"))
    meta = next(reader)
    assert meta["fps"] == 4.0
    assert sum(1 for _ in reader) == 4
    out = _run(gradient_file, "--animate", str(tmp_path / "run.html"), "--frames", "3")
    assert out.returncode == 0, out.stderr
    assert "HTML5 video" in out.stdout  # imageio-ffmpeg is installed: a video
    page = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<video" in page
    assert "data:video/mp4;base64," in page  # self-contained: the video is in the page


def test_html_without_ffmpeg_is_a_javascript_animation_and_mp4_says_what_to_install(
        cnn_file, tmp_path):
    env = _env(tmp_path, fake=("imageio_ffmpeg",), no_system_ffmpeg=True)
    out = _run(cnn_file, "--animate", str(tmp_path / "run.html"), "--frames", "5", env=env)
    assert out.returncode == 0, out.stderr
    assert "JavaScript animation: no ffmpeg found" in out.stdout
    page = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert "<video" not in page
    assert page.count("data:image/png;base64,") == 5  # one embedded frame per frame
    out = _run(cnn_file, "--animate", str(tmp_path / "run.mp4"), env=env)
    assert out.returncode == 2
    assert "pip install imageio-ffmpeg" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "run.mp4").exists() and "test accuracy" not in out.stdout


@pytest.mark.parametrize("which", ["gradient", "cnn"])
def test_missing_matplotlib_says_how_to_install_it(gradient_file, cnn_file, tmp_path, which):
    script = gradient_file if which == "gradient" else cnn_file
    out = _run(script, "--animate", str(tmp_path / "run.gif"),
               env=_env(tmp_path, fake=("matplotlib",)))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"--animate needs matplotlib: install it with  {sys.executable} -m pip install "
        "matplotlib"]
    assert not (tmp_path / "run.gif").exists()


@pytest.mark.parametrize("args, message", [
    (["--animate", "run.png"], "must end in .gif, .mp4 or .html"),
    (["--animate", "run"], "must end in .gif, .mp4 or .html"),
    (["--animate", "no/such/folder/run.gif"], "no such folder to write it in"),
    (["--animate", "run.gif", "--frames", "0"], "is not a whole number ≥ 1"),
    (["--animate", "run.gif", "--fps", "-3"], "is not a number > 0"),
])
def test_bad_options_are_argparse_errors(gradient_file, args, message):
    out = _run(gradient_file, *args)
    assert out.returncode == 2
    assert "usage:" in out.stderr and message in out.stderr and "Traceback" not in out.stderr


# ------------------------------------------------------------------ the CNN script
def test_cnn_animation_records_the_run_without_changing_it(cnn_file, tmp_path):
    plain = _run(cnn_file, "--json")
    assert plain.returncode == 0, plain.stderr
    out = _run(cnn_file, "--json", "--animate", str(tmp_path / "run.gif"), "--frames", "8")
    assert out.returncode == 0, out.stderr
    assert "wrote" in out.stderr and "8 frames" in out.stderr  # stdout stays JSON
    animated = json.loads(out.stdout)
    record = animated.pop("checkpoints")
    assert animated == json.loads(plain.stdout)  # the same training, to the same numbers
    # floor(k·12/7): 1.71, 3.43, 5.14, 6.86, 8.57, 10.29
    assert record["steps"] == [0, 1, 3, 5, 6, 8, 10, 12]
    assert record["kernels"][-1] == animated["kernels"]
    assert record["test_accuracy"][-1] == animated["test_accuracy"]
    # a checkpoint is the network as it was at that step: train a copy that far by hand
    data = cc.load_mnist()
    state = _cnn_state()
    net = cc.build_network(state["run"]["architecture"], seed=3)
    trainer = cc.CNNTrainer(net, (data.train_images, data.train_labels), batch_size=32,
                            optimizer="sgd", seed=3, learning_rate=0.05)
    assert record["kernels"][0] == net.params["0.weight"][:, 0].tolist()
    trainer.step(5)
    trainer.set_learning_rate(0.02)
    trainer.step(3)
    assert record["kernels"][5] == net.params["0.weight"][:, 0].tolist()
    accuracy = cc.evaluate_network(net, data.test_images, data.test_labels).accuracy
    assert record["test_accuracy"][5] == accuracy
    assert record["kernels"][5] != record["kernels"][0]  # the kernels do move
    with PIL.open(tmp_path / "run.gif") as gif:
        assert gif.n_frames == 8
        assert gif.info["duration"] == 100  # the default 10 fps


def test_cnn_mp4_has_the_frames(cnn_file, tmp_path):
    out = _run(cnn_file, "--animate", str(tmp_path / "run.mp4"), "--frames", "6")
    assert out.returncode == 0, out.stderr
    assert "batches 0 … 12, evenly spaced" in out.stdout
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "run.mp4"))
    assert next(reader)["fps"] == 10.0
    assert sum(1 for _ in reader) == 6


def test_an_untrained_cnn_has_nothing_to_animate(tmp_path):
    from convlab.labs.cnn.model import CNNState

    path = _write(tmp_path, cnn_script(CNNState().to_dict()), "cnn.py")
    out = _run(path, "--animate", str(tmp_path / "run.gif"))
    assert out.returncode == 1 and "nothing to animate" in out.stderr
    assert not (tmp_path / "run.gif").exists()
