"""File → Export as Python Script: a standalone ``.py`` that redoes a lab's computation.

Each generator takes the lab's saved state (the dict its panel's
``get_state()`` returns, as in a ``.convlab`` session) and returns the text of
a script that uses only :mod:`convlab.core` and numpy — matplotlib too, if it
is installed, to draw the result. Numbers are written with Python's ``repr``,
which round-trips floats exactly, so the script's results equal the app's.

Every script accepts ``--json`` (print its results as JSON, used by the
tests) and ``--no-plot``. The Gradient and CNN scripts also take ``--animate
FILE`` (with ``--frames N``, ``--fps F``; the Gradient script ``--spacing``):
they render the run, frame by frame, headless with matplotlib into a ``.gif``,
an ``.mp4`` or a self-contained ``.html`` page — the notebook's
``animated_train`` — or, without matplotlib, say how to install it (exit
status 2).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
from collections.abc import Callable
from typing import Any

import convlab
import convlab.core as cc

__all__ = ["SCRIPT_EXPORTERS", "cnn_script", "gradient_script", "mnist_script",
           "signals_script"]

_HEADER = '''#!/usr/bin/env python3
"""ConvLab {version} — {lab}, exported {date}.

{summary}

Run it with the Python that has ConvLab installed:
    python {{this file}}            print the results (and plot them if matplotlib is installed)
    python {{this file}} --json     print the results as JSON
{usage}"""

import argparse
import json
{imports}
import numpy as np

import convlab.core as cc

'''

_MAIN = '''

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-plot", action="store_true", help="do not draw with matplotlib")
    args = parser.parse_args()
    results = compute()
    if args.json:
        print(json.dumps(results))
        return
    report(results)
    if not args.no_plot:
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("(install matplotlib to see the plots)")
            return
        plot(results, plt)
        plt.show()


if __name__ == "__main__":
    main()
'''

#: Code the Gradient and CNN scripts share for ``--animate``: the options' checks, the frame
#: schedule, finding matplotlib (and ffmpeg) and writing the file.
_ANIMATION = '''

# ---------------------------------------------------------------- --animate FILE
ANIMATION_FORMATS = {".gif": "GIF", ".mp4": "MP4 video", ".html": "web page"}


def animation_file(name: str) -> str:
    """--animate's argument: a file name ending in .gif, .mp4 or .html (the format)."""
    if Path(name).suffix.lower() not in ANIMATION_FORMATS:
        raise argparse.ArgumentTypeError(
            f"{name!r}: the animation's file name must end in .gif, .mp4 or .html")
    if not Path(name).expanduser().resolve().parent.is_dir():
        raise argparse.ArgumentTypeError(f"{name!r}: no such folder to write it in")
    return str(Path(name).expanduser())


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ≥ 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number > 0")
    return value


def frame_steps(recorded, frames: int, spacing: str = "even") -> list:
    """The steps an animation's frames show: ``frames`` of the ``recorded`` steps.

    ``recorded`` are the steps the run kept, increasing. The first and the last
    are always shown; frame k in between shows the last recorded step at or
    before its target step. The targets are evenly spaced from the first step to
    the last (``"even"``), or evenly spaced in log(1 + step) (``"log"``: the early
    steps, where most happens, get more frames). No step is shown twice: a target
    that would repeat the previous frame's step takes the next recorded step.
    With fewer recorded steps than frames, each is shown once.

    >>> frame_steps(range(301), 8)
    [0, 42, 85, 128, 171, 214, 257, 300]
    >>> frame_steps(range(301), 8, "log")
    [0, 1, 4, 10, 25, 57, 132, 300]
    """
    steps = np.asarray(list(recorded), dtype=np.int64)
    n = min(int(frames), len(steps))
    if n < 2:
        return steps[-n:].tolist() if n else []
    first, last = float(steps[0]), float(steps[-1])
    if spacing == "log":
        targets = first + np.expm1(np.linspace(0.0, np.log1p(last - first), n))
    elif spacing == "even":
        targets = np.linspace(first, last, n)
    else:
        raise ValueError(f"spacing must be 'even' or 'log', got {spacing!r}")
    targets[0], targets[-1] = first, last
    # the last recorded step at or before each target (a hair of slack for rounding)
    index = np.searchsorted(steps, targets + 1e-9 * max(1.0, abs(last)), side="right") - 1
    for k in range(1, n):
        index[k] = max(index[k], index[k - 1] + 1)
    index = np.minimum(index, len(steps) - n + np.arange(n))  # room left for the rest
    return steps[index].tolist()


def animation_tools(path: str):
    """matplotlib's pyplot, headless, and the ffmpeg to use (None: none found, or not needed).

    Without matplotlib (or, for an .mp4, without ffmpeg) this says how to install
    it and exits with status 2.
    """
    try:
        import matplotlib
    except ImportError:
        print(f"--animate needs matplotlib: install it with  {sys.executable} -m pip install "
              "matplotlib", file=sys.stderr)
        raise SystemExit(2) from None
    matplotlib.use("Agg")  # headless: no window, works without a display
    import matplotlib.pyplot as plt

    suffix = Path(path).suffix.lower()
    ffmpeg = find_ffmpeg(matplotlib) if suffix in (".mp4", ".html") else None
    if suffix == ".mp4" and ffmpeg is None:
        print(f"an .mp4 needs ffmpeg: install it with  {sys.executable} -m pip install "
              "imageio-ffmpeg  (or write a .gif or an .html)", file=sys.stderr)
        raise SystemExit(2)
    return plt, ffmpeg


def find_ffmpeg(matplotlib):
    """The system's ffmpeg, else imageio-ffmpeg's bundled one (set for matplotlib), else None."""
    from matplotlib import animation

    if animation.writers.is_available("ffmpeg"):
        return matplotlib.rcParams["animation.ffmpeg_path"]
    try:
        import imageio_ffmpeg

        matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None
    if animation.writers.is_available("ffmpeg"):
        return matplotlib.rcParams["animation.ffmpeg_path"]
    return None


def write_animation(fig, update, frames: int, path: str, fps: float, ffmpeg, plt) -> str:
    """Render update(0 … frames − 1) into ``path`` (its suffix says the format).

    Returns the line saying what was written.
    """
    import matplotlib
    from matplotlib import animation

    update(0)
    fig.canvas.draw()  # lay the figure out once, then keep it: each frame draws much faster
    fig.set_layout_engine(None)
    fig.canvas.draw_idle = lambda *_args, **_kwargs: None  # headless: only the saving draws
    anim = animation.FuncAnimation(fig, update, frames=frames, interval=1000 / fps,
                                   blit=False, repeat=False)
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        anim.save(path, writer=animation.PillowWriter(fps=fps))
        how = "GIF, matplotlib's PillowWriter"
    elif suffix == ".mp4":
        anim.save(path, writer=animation.FFMpegWriter(fps=fps))
        how = f"MP4 video, ffmpeg {ffmpeg}"
    else:
        matplotlib.rcParams["animation.embed_limit"] = 500.0  # MB: never cut the page short
        if ffmpeg is not None:
            body = anim.to_html5_video()
            how = f"web page with an HTML5 video, ffmpeg {ffmpeg}"
        else:
            body = anim.to_jshtml(fps=fps)
            how = ("web page with a JavaScript animation: no ffmpeg found (python -m pip "
                   "install imageio-ffmpeg for a video)")
        title = __doc__.splitlines()[0]
        Path(path).write_text(
            "<!DOCTYPE html>\\n<html>\\n<head>\\n<meta charset=\\"utf-8\\">\\n"
            f"<title>{title}</title>\\n</head>\\n<body>\\n<h1>{title}</h1>\\n{body}\\n"
            "</body>\\n</html>\\n", encoding="utf-8")
    plt.close(fig)
    return f"wrote {path}: {frames} frames at {fps:g} fps ({how})"
'''


def _animated_main(options: str, compute: str, animate: str) -> str:
    """``main()`` of a script that can also ``--animate``.

    ``options`` adds its own argparse options (code lines, indented 4), ``compute``
    is the expression computing the results when animating, and ``animate`` the
    lines (indented 8) that render them — given ``plt``, ``ffmpeg``, ``args`` and
    ``results``, they set ``message`` (the line saying what was written).
    """
    return f'''

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-plot", action="store_true", help="do not draw with matplotlib")
    parser.add_argument("--animate", metavar="FILE", type=animation_file,
                        help="render the run as an animation into FILE, headless with "
                             "matplotlib: its suffix says the format, .gif, .mp4 or .html")
    parser.add_argument("--frames", metavar="N", type=positive_int, default=100,
                        help="frames in the animation (default 100)")
    parser.add_argument("--fps", metavar="F", type=positive_float, default=10.0,
                        help="frames per second (default 10)")
{options}    args = parser.parse_args()
    if args.animate:
        plt, ffmpeg = animation_tools(args.animate)  # first: exits if matplotlib is missing
        results = {compute}
    else:
        results = compute()
    if args.json:
        print(json.dumps(results))
    else:
        report(results)
    if args.animate:
{animate}        print(message, file=sys.stderr if args.json else sys.stdout)
        return
    if args.json:
        return
    if not args.no_plot:
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("(install matplotlib to see the plots)")
            return
        plot(results, plt)
        plt.show()


if __name__ == "__main__":
    main()
'''


def _literal(value: Any) -> str:
    """A Python literal for JSON-safe ``value`` (floats exact, None/True/False spelled)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into a script")


_ANIMATE_USAGE = (
    "    python {this file} --animate run.gif   render the run as an animation (.gif, .mp4 or\n"
    "                                           .html; needs matplotlib): see --help\n")


def _header(lab: str, summary: str, animated: bool = False) -> str:
    return _HEADER.format(
        version=convlab.__version__,
        lab=lab,
        date=_dt.date.today().isoformat(),
        summary=summary,
        usage=_ANIMATE_USAGE if animated else "",
        imports="import sys\nfrom pathlib import Path\n" if animated else "",
    )


def signals_script(state: dict[str, Any]) -> str:
    """Script for the Signals & Kernels lab: the same ``x * w`` (and batch) as the app."""
    names = [f.name for f in dataclasses.fields(cc.Conv1dSettings)]
    settings = dataclasses.asdict(cc.Conv1dSettings(**{name: state[name] for name in names}))
    operation = "true convolution" if settings["flip"] else "cross-correlation"
    body = f'''x = np.array({_literal(state["x"])})
w = np.array({_literal(state["w"])})
X = np.array({_literal(state["batch_x"])})  # the batch: one signal per row
SETTINGS = {_literal(settings)}
BATCH = {state["batch"]!r}


def compute() -> dict:
    """The lab's output: z = x * w, and the batch's, with the same settings."""
    z = cc.conv1d(x, w, **SETTINGS)
    results = {{"x": x.tolist(), "w": w.tolist(), "z": z.tolist()}}
    if BATCH:
        results["Z"] = cc.conv1d(X, w, **SETTINGS).tolist()
    return results


def report(results: dict) -> None:
    print("settings:", SETTINGS)
    for key in ("x", "w", "z"):
        print(key, "=", np.array2string(np.asarray(results[key]), precision=4))
    for i, row in enumerate(results.get("Z", [])):
        print(f"Z[{{i}}] =", np.array2string(np.asarray(row), precision=4))


def plot(results: dict, plt) -> None:
    fig, axes = plt.subplots(3, 1, figsize=(7, 7), constrained_layout=True)
    for ax, key, title in zip(axes, ("x", "w", "z"), ("signal x", "kernel w", "output z")):
        ax.stem(results[key])
        ax.set_title(title)
        ax.set_xlabel("index")
        ax.set_ylabel("value")
'''
    summary = (
        f"The {operation} of a signal with a kernel ({settings['mode']} mode, stride "
        f"{settings['stride']}, dilation {settings['dilation']}, {settings['padding_mode']} "
        "padding), computed with convlab.core.conv1d."
    )
    return _header("Signals & Kernels", summary) + body + _MAIN


def _mnist_source_name(source: str) -> str:
    """The last part of a data-source path (a folder or a .npz name), never the full path."""
    import pathlib

    return pathlib.PurePath(source.replace("\\", "/")).name or "mnist"


def _data_source_code(source: str | None) -> str:
    """``DATA_SOURCE = …`` and ``data_source()`` for a script that loads MNIST like the lab.

    A data folder is named by its last part only (the full path would reveal the user's
    folders when the script is shared); the script looks for it next to itself, and
    says how to point it elsewhere.
    """
    if source is None:
        declaration = "DATA_SOURCE = None  # None: the sample bundled with ConvLab"
    else:
        declaration = (
            "# The lab read the digits from a folder (or Keras .npz) called "
            f"{_mnist_source_name(source)!r};\n"
            "# its full path is not written here, so the script can be shared. Put that folder\n"
            "# next to this script, or set DATA_SOURCE to where the four MNIST files are\n"
            "# (None: the sample bundled with ConvLab).\n"
            f"DATA_SOURCE = {_mnist_source_name(source)!r}"
        )
    return declaration + '''


def data_source():
    """DATA_SOURCE as load_mnist takes it: a relative path is taken from this script's folder."""
    if DATA_SOURCE is None:
        return None
    path = Path(DATA_SOURCE).expanduser()
    if not path.is_absolute():
        path = Path(__file__).resolve().parent / path
    if not path.exists():
        raise SystemExit(f"No MNIST at {path}: set DATA_SOURCE at the top of this script to "
                         "the folder with the four MNIST files (or None for the bundled sample).")
    return str(path)
'''


def mnist_script(state: dict[str, Any]) -> str:
    """Script for the MNIST Detectors lab: the same digit, kernels, responses and masks.

    The figure is drawn in the notebook's layout, as the lab shows it: two
    kernel | response pairs a row, then the digit. A data folder is named
    by its last part only (the full path would reveal the user's folders when
    the script is shared); the script looks for it next to itself, and says
    how to point it elsewhere.
    """
    import convlab.core as cc

    names = list(cc.LINE_DETECTORS)
    kernels = dict(zip(names, state["kernels"], strict=True))
    source_code = _data_source_code(state["data_source"])
    if state["digit_source"] == "drawing":
        digit_code = f"    return np.array({_literal(state['drawing'])})  # your drawing, in [0, 1]"
        where = "a digit drawn in the lab"
    else:
        digit_code = (
            "    data = cc.load_mnist(data_source())\n"
            f"    images, labels = data.split({state['split']!r})\n"
            f"    return images[{int(state['index'])}]"
        )
        where = f"{state['split']} digit #{int(state['index'])}"
    body = f'''from pathlib import Path

KERNELS = {{
{"".join(f"    {name!r}: np.array({_literal(k)}),{chr(10)}" for name, k in kernels.items())}}}
LEVEL = {float(state["threshold"])!r}
MODE = {state["mode"]!r}
FLIP = {bool(state["flip"])!r}  # True: convolution (scipy.signal.convolve2d); False: correlation
DISPLAY = {state["display"]!r}  # what the response images show: "mask", "response" or "overlay"
{source_code}


def digit() -> np.ndarray:
{digit_code}


def compute() -> dict:
    """Scale the digit to [0, 1], convolve it with each kernel, threshold at LEVEL."""
    figure = cc.detector_figure(digit(), KERNELS, LEVEL, MODE, FLIP)
    return {{
        "names": list(figure.names),
        "digit": figure.digit.tolist(),
        "responses": figure.responses.tolist(),
        "masks": figure.masks.astype(int).tolist(),
    }}


def report(results: dict) -> None:
    for name, mask in zip(results["names"], results["masks"]):
        print(f"{{name:>12}}: {{int(np.sum(mask))}} pixels > {{LEVEL}}")


def response_image(results: dict, j: int) -> tuple:
    """What response image j shows (as DISPLAY says): (array, imshow options), and its title."""
    mask = np.array(results["masks"][j], dtype=bool)
    if DISPLAY == "response":
        response = np.array(results["responses"][j])
        bound = float(np.abs(np.array(results["responses"])).max()) or 1.0
        return response, {{"cmap": "coolwarm", "vmin": -bound, "vmax": bound}}, "response"
    title = f"{{int(mask.sum())}} px > {{LEVEL:g}}"
    if DISPLAY == "overlay":  # the digit in grey, the mask in orange, as the lab draws it
        kh, kw = np.array(KERNELS[results["names"][j]]).shape
        grey = np.zeros(mask.shape)
        top, left = cc.conv2d_padding(kh, MODE, FLIP)[0], cc.conv2d_padding(kw, MODE, FLIP)[0]
        if FLIP:
            top, left = top - kh // 2, left - kw // 2
        else:
            top, left = top - (kh - 1) // 2, left - (kw - 1) // 2
        d = np.array(results["digit"])
        r0, c0 = max(0, top), max(0, left)
        r1, c1 = min(mask.shape[0], top + d.shape[0]), min(mask.shape[1], left + d.shape[1])
        grey[r0:r1, c0:c1] = d[r0 - top : r1 - top, c0 - left : c1 - left]
        rgb = np.repeat(grey[..., None] * 150 / 255, 3, axis=2)
        rgb[mask] = (1.0, 140 / 255, 0.0)
        return rgb, {{}}, title
    return mask.astype(float), {{"cmap": "gray", "vmin": 0, "vmax": 1}}, title


def plot(results: dict, plt) -> None:
    """The notebook's figure, as the lab lays it out: two kernel | response pairs a row,
    then the digit."""
    names = results["names"]
    rows = (len(names) + 1) // 2
    fig = plt.figure(figsize=(9, 2.6 * (rows + 1)), constrained_layout=True)
    grid = fig.add_gridspec(rows + 1, 4)
    for j, name in enumerate(names):
        r, c = divmod(j, 2)
        kernel = np.array(KERNELS[name])
        bound = float(np.abs(kernel).max()) or 1.0
        ax = fig.add_subplot(grid[r, 2 * c])
        ax.imshow(kernel, cmap="coolwarm", vmin=-bound, vmax=bound)
        ax.set_title(name)
        image, options, title = response_image(results, j)
        ax = fig.add_subplot(grid[r, 2 * c + 1])
        ax.imshow(image, **options)
        ax.set_title(title)
    ax = fig.add_subplot(grid[rows, 1:3])
    ax.imshow(results["digit"], cmap="gray", vmin=0, vmax=1)
    ax.set_title("digit")
    for ax in fig.axes:
        ax.set_xticks([])
        ax.set_yticks([])
'''
    summary = (
        f"The notebook's line detectors on {where}: responses "
        f"({state['mode']} mode, {'convolution' if state['flip'] else 'cross-correlation'}) "
        f"and masks > {float(state['threshold'])!r}, computed with convlab.core.detector_figure."
    )
    return _header("MNIST Detectors", summary) + body + _MAIN


#: Points of history a Gradient run keeps, in the app and in its exported script alike.
GRADIENT_HISTORY_CAP = 10_000
_RUN_FIELDS = ("learning_rates", "optimizer", "momentum", "beta1", "beta2", "batch_size",
               "gradient", "racers")


def gradient_script(state: dict[str, Any]) -> str:
    """Script for the Gradient Descent lab: the same data, model and run to the same step.

    The run follows the session's ``timeline`` (the run settings at step 0 and
    every change made while it trained), so the script ends at the app's weights;
    an older session without a timeline runs with its saved settings throughout.
    """
    timeline = copy.deepcopy(state.get("timeline")) or [
        {"step": 0, "set": {name: state[name] for name in _RUN_FIELDS if name in state}}]
    timeline[0]["set"].setdefault("gradient", "chain_rule")  # a session from before the choice
    data = {
        "n_samples": int(state["n_samples"]),
        "length": int(state["length"]),
        "noise": float(state["noise"]),
        "seed": int(state["data_seed"]),
        "test_fraction": float(state["test_fraction"]),
    }
    data.update({key: [float(v) for v in state[key]]
                 for key in ("slope_range", "intercept_range") if key in state})
    model = {
        "taps": int(state["taps"]),
        "bias": bool(state["bias"]),
        "initial_params": [float(v) for v in state["start"]],
        "seed": int(state["data_seed"]),  # mini-batch shuffling
        "history_cap": GRADIENT_HISTORY_CAP,  # as the app: its history CSV has the same rows
    }
    steps = int(state.get("step", 0))
    slice_axes = [int(i) for i in state.get("slice_axes", (0, 1))]
    race = bool(state["race"])
    base = timeline[0]["set"]
    optimizers = ([r["optimizer"] for r in base["racers"] if r["enabled"]] if race else []) \
        or [base["optimizer"]]
    body = f'''DATA = {_literal(data)}
MODEL = {_literal(model)}
RACE = {race!r}  # True: one run per enabled contender of "racers"
# The run settings at step 0, then each change made while training, at the step it was made.
TIMELINE = {_literal(timeline)}
STEPS = {steps}
SLICE_AXES = {_literal(slice_axes)}  # the two parameters the landscape shows (--animate)
LOG_LOSS = {bool(state.get("log_loss", True))!r}  # the loss axis, as in the lab (--animate)
LOG_STEPS = {bool(state.get("log_steps", False))!r}  # the step axis (--animate; log spacing: log)
LABELS = {{"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam"}}


def make_runs(data, settings: dict) -> list:
    """The runs at step 0: one, or one per enabled contender of a race."""
    def trainer(optimizer, rates):
        return cc.Trainer(data, learning_rates=rates, optimizer=optimizer,
                          batch_size=settings["batch_size"] or None,
                          gradient=settings["gradient"], **MODEL,
                          **cc.optimizer_options(optimizer, settings))
    if RACE:
        runs = [{{"label": f"{{LABELS[r['optimizer']]}} α={{r['learning_rate']:g}}", "racer": i,
                  "trainer": trainer(r["optimizer"], r["learning_rate"])}}
                for i, r in enumerate(settings["racers"]) if r["enabled"]]
        if runs:
            return runs
    return [{{"label": LABELS[settings["optimizer"]], "racer": None,
             "trainer": trainer(settings["optimizer"], settings["learning_rates"])}}]


def apply(runs: list, settings: dict, changes: dict) -> None:
    """Changed settings act from the next step, as in the app."""
    old = dict(settings)
    settings.update(changes)
    for run in runs:
        t = run["trainer"]
        i = run["racer"]
        if i is not None:
            racer = settings["racers"][i]
            if "racers" in changes and racer != old["racers"][i]:
                if t.optimizer.name != racer["optimizer"]:
                    t.set_optimizer(racer["optimizer"],
                                    **cc.optimizer_options(racer["optimizer"], settings))
                t.set_learning_rates(racer["learning_rate"])
        else:
            if ("learning_rates" in changes
                    and list(t.learning_rates) != list(settings["learning_rates"])):
                t.set_learning_rates(settings["learning_rates"])
            if "optimizer" in changes and t.optimizer.name != settings["optimizer"]:
                t.set_optimizer(settings["optimizer"],
                                **cc.optimizer_options(settings["optimizer"], settings))
        if {{"momentum", "beta1", "beta2"}} & set(changes):
            options = cc.optimizer_options(t.optimizer.name, settings)
            if options:
                t.optimizer.set_options(**options)
        if "batch_size" in changes:
            t.set_batch_size(settings["batch_size"] or None)
        if "gradient" in changes and t.gradient_formula != settings["gradient"]:
            t.set_gradient_formula(settings["gradient"])


def compute() -> dict:
    """Make the rising/falling data, train each run STEPS steps along TIMELINE."""
    data = cc.updown_dataset(**DATA)
    (x_test, y_test) = data[1]
    settings = dict(TIMELINE[0]["set"])
    runs = make_runs(data, settings)
    clock = 0
    for entry in [*TIMELINE[1:], {{"step": STEPS, "set": {{}}}}]:
        for run in runs:
            run["trainer"].step(entry["step"] - clock)
        clock = entry["step"]
        apply(runs, settings, entry["set"])
    results = []
    for run in runs:
        trainer = run["trainer"]
        params = trainer.params
        results.append({{
            "label": run["label"],
            "names": cc.param_names(MODEL["taps"], MODEL["bias"]),
            "params": params.tolist(),
            "step": trainer.step_count,
            "status": trainer.status,
            "gradient": trainer.gradient_formula,
            "metrics": trainer.metrics(),
            "history_steps": trainer.history.steps.tolist(),
            "history_params": trainer.history.params.tolist(),
            "history_train_loss": trainer.history.train_loss.tolist(),
            "test_predictions": cc.predict(x_test, params, MODEL["bias"]).tolist(),
            "test_labels": y_test.tolist(),
        }})
    return {{"runs": results}}


def report(results: dict) -> None:
    for run in results["runs"]:
        weights = ", ".join(f"{{n}} = {{v:.6g}}" for n, v in zip(run["names"], run["params"]))
        m = run["metrics"]
        print(f"{{run['label']}} ({{run['gradient']}} gradient): {{run['status']}}: {{weights}}")
        print(f"    loss {{m['train_loss']:.6g}} (train) {{m['test_loss']:.6g}} (test), "
              f"accuracy {{m['train_accuracy']:.0%}} (train) {{m['test_accuracy']:.0%}} (test)")


def plot(results: dict, plt) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for run in results["runs"]:
        ax1.plot(run["history_steps"], run["history_train_loss"], label=run["label"])
        ax2.plot(run["test_predictions"], "o", label=f"{{run['label']}}: prediction")
    ax2.plot(results["runs"][0]["test_labels"], "k_", markersize=12, label="label")
    ax1.set_xlabel("step")
    ax1.set_ylabel("training loss ½·mean((y − p)²)")
    ax1.set_yscale("log")
    ax2.set_xlabel("test signal")
    ax2.set_ylabel("prediction")
    ax1.legend()
    ax2.legend()
'''
    changes = len(timeline) - 1
    summary = (
        f"The rising/falling experiment: a {model['taps']}-tap kernel"
        f"{' with a bias' if model['bias'] else ''} trained by "
        f"{', '.join(optimizers)} for {steps} steps"
        f"{f' ({changes} settings changed along the way)' if changes else ''}, "
        "with convlab.core.Trainer."
    )
    return (_header("Gradient Descent", summary, animated=True) + body + _ANIMATION
            + _GRADIENT_ANIMATION + _GRADIENT_MAIN)


#: The Gradient script's animation: the lab's landscape, loss curve, kernel and predictions.
_GRADIENT_ANIMATION = '''

LONG_RUN = 1000  # --spacing auto: log spacing for runs of more steps than this, else even
# The landscape as the lab draws it: GRID × GRID exact losses, coloured log10(L − L_min + floor),
# contours at L_min + 10^k, k = −5, −4.5, … 3.
GRID = 161
LOG_FLOOR = 1e-6
CONTOUR_STEPS = 10.0 ** np.arange(-5.0, 3.25, 0.5)


def landscape_window(points, margin: float = 0.6, min_span: float = 0.6) -> tuple:
    """The square around ``points`` (M, 2) the lab shows: ((u0, u1), (v0, v1))."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if pts.size == 0:
        pts = np.zeros((1, 2))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum((hi - lo) * (1 + 2 * margin), min_span).max()
    centre = (lo + hi) / 2
    return ((centre[0] - span / 2, centre[0] + span / 2),
            (centre[1] - span / 2, centre[1] + span / 2))


def recorded_steps(results: dict) -> list:
    """Every step some run recorded in its history, increasing."""
    return sorted({s for run in results["runs"] for s in run["history_steps"]})


def frames_of(results: dict, steps) -> list:
    """What each frame shows: for each of ``steps``, each run at its last recorded step ≤ it.

    A list (one per frame) of {"step", "runs": [{"index", "step", "params",
    "train_loss"}]}; ``index`` is the row of the run's history, so its path so
    far is ``history_params[: index + 1]``. A run that stopped earlier (it
    diverged) stays at its last point.
    """
    frames = []
    for step in steps:
        runs = []
        for run in results["runs"]:
            i = max(0, int(np.searchsorted(run["history_steps"], step, side="right")) - 1)
            runs.append({"index": i, "step": run["history_steps"][i],
                         "params": run["history_params"][i],
                         "train_loss": run["history_train_loss"][i]})
        frames.append({"step": int(step), "runs": runs})
    return frames


def animation(results: dict, steps, plt, log_steps: bool = LOG_STEPS) -> tuple:
    """The figure and update(k), which draws it as the run was at ``steps[k]``.

    As the lab shows it: the loss landscape over the two weights (the exact
    loss, each run's path so far and its current point, the start and the
    least-squares optimum), the training loss with a cursor at the frame's step,
    the first run's kernel as stems and its predictions on the test signals.
    ``log_steps``: a logarithmic step axis (symlog: step 0 stays in view).
    """
    runs = results["runs"]
    frames = frames_of(results, steps)
    (x_train, y_train), (x_test, y_test) = cc.updown_dataset(**DATA)
    taps, bias = MODEL["taps"], MODEL["bias"]
    quadratic = cc.QuadraticLoss.from_data(x_train, y_train, taps, bias)
    optimum = cc.least_squares_optimum(x_train, y_train, taps, bias)
    min_loss = float(quadratic(optimum))
    paths = [np.array(run["history_params"], dtype=float).reshape(len(run["history_steps"]), -1)
             for run in runs]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ((land, curve), (kernel, preds)) = plt.subplots(2, 2, figsize=(11, 8),
                                                         constrained_layout=True)
    title = fig.suptitle("")

    # the landscape: over the two weights, or a slice through the point (more parameters)
    names = runs[0]["names"]
    two = len(names) >= 2
    a, b = SLICE_AXES if two else (0, 0)
    start = np.array(MODEL["initial_params"], dtype=float)
    (u0, u1), (v0, v1) = landscape_window(
        [[p[a], p[b]] for p in [start, optimum, *[path[-1] for path in paths]]])
    u, v = np.linspace(u0, u1, GRID), np.linspace(v0, v1, GRID)
    sliced = len(names) > 2  # the slice goes through the first run's point: it moves
    surface = {"theta": None, "contours": None}

    def draw_surface(theta) -> None:
        if not np.all(np.isfinite(theta)) or (surface["theta"] is not None and not sliced):
            return
        z = quadratic.surface(theta, u, v, (a, b)).T  # rows = v
        with np.errstate(all="ignore"):
            image = np.nan_to_num(np.log10(np.maximum(z - min_loss, 0.0) + LOG_FLOOR),
                                  nan=308.0, posinf=308.0)
        hi = float(image.max()) if image.max() > image.min() else float(image.min()) + 1
        picture.set_data(image)
        picture.set_clim(float(image.min()), hi)
        if surface["contours"] is not None:
            surface["contours"].remove()
        levels = [c for c in min_loss + CONTOUR_STEPS if z.min() < c < z.max()]
        surface["contours"] = land.contour(u, v, z, levels=levels, colors="white",
                                           linewidths=0.7, alpha=0.5) if levels else None
        surface["theta"] = theta

    if two:
        picture = land.imshow(np.zeros((GRID, GRID)), origin="lower", extent=(u0, u1, v0, v1),
                              cmap="viridis", aspect="auto", interpolation="bilinear")
        fig.colorbar(picture, ax=land, label="log₁₀(L − L_min)")
        land.plot([start[a]], [start[b]], "o", mfc="none", mec="white", mew=2, ms=9,
                  label="start")
        land.plot([optimum[a]], [optimum[b]], "*", color="#FF4081", mec="black", ms=14,
                  label="optimum")
        lines = [land.plot([], [], color=colours[i % len(colours)], lw=2.2,
                           label=run["label"])[0] for i, run in enumerate(runs)]
        points = [land.plot([], [], "o", color=colours[i % len(colours)], mec="black",
                            ms=10, zorder=4)[0] for i in range(len(runs))]
        land.set_xlim(u0, u1)
        land.set_ylim(v0, v1)
        land.set_xlabel(names[a])
        land.set_ylabel(names[b])
        land.set_title("Loss landscape" if not sliced else "Loss slice at the point")
        land.legend(loc="upper right", fontsize="small")
    else:
        land.text(0.5, 0.5, "One parameter only:\\nno landscape", ha="center", va="center",
                  transform=land.transAxes)
        land.set_axis_off()

    # the training loss, with a cursor at the frame's step
    for i, run in enumerate(runs):
        curve.plot(run["history_steps"], run["history_train_loss"],
                   color=colours[i % len(colours)], alpha=0.3, lw=1)
    so_far = [curve.plot([], [], color=colours[i % len(colours)], lw=2, label=run["label"])[0]
              for i, run in enumerate(runs)]
    now = [curve.plot([], [], "o", color=colours[i % len(colours)])[0] for i in range(len(runs))]
    cursor = curve.axvline(0, color="grey", lw=1, ls="--")
    if LOG_LOSS:
        curve.set_yscale("log")
    if log_steps:
        curve.set_xscale("symlog", linthresh=1.0)
    curve.set_xlim(0, max(max(run["history_steps"][-1] for run in runs), 1))
    curve.set_xlabel("step")
    curve.set_ylabel("training loss ½·mean((y − p)²)")
    curve.set_title("Training loss")
    curve.legend(fontsize="small")

    # the first run's kernel (stems) and its test predictions, on limits fixed over the run
    first = np.array([f["runs"][0]["params"] for f in frames], dtype=float)
    weights = first[:, :taps]
    finite = weights[np.isfinite(weights)]
    bound = 1.15 * max(float(np.abs(finite).max()) if finite.size else 0.0, 0.1)
    kernel.axhline(0, color="grey", lw=1)
    stems = kernel.vlines(np.arange(1, taps + 1), 0, np.zeros(taps), color=colours[0], lw=2)
    heads, = kernel.plot(np.arange(1, taps + 1), np.zeros(taps), "o", color=colours[0], ms=8)
    kernel.set_xlim(0.5, taps + 0.5)
    kernel.set_ylim(-bound, bound)
    kernel.set_xticks(np.arange(1, taps + 1))
    kernel.set_xlabel("tap j")
    kernel.set_ylabel("w_j")
    predictions = np.array([cc.predict(x_test, p, bias) if np.all(np.isfinite(p))
                            else np.full(len(y_test), np.nan) for p in first])
    shown = predictions[np.isfinite(predictions)]
    low = max(min(float(shown.min()) if shown.size else 0.0, -0.1), -2.0)
    high = min(max(float(shown.max()) if shown.size else 1.0, 1.1), 3.0)
    index = np.arange(len(y_test))
    rising = np.asarray(y_test) == 0
    dots = [preds.scatter(index[mask], np.zeros(int(mask.sum())), s=30, color=colour,
                          label=text, zorder=3)
            for mask, colour, text in ((rising, colours[0], "p (rising)"),
                                       (~rising, colours[1], "p (falling)"))]
    preds.scatter(index, y_test, s=60, facecolors="none", edgecolors="black", label="label y")
    preds.axhline(0.5, color="grey", ls="--", lw=1.2)
    pad = 0.05 * (high - low)
    preds.set_ylim(low - pad, high + pad)
    preds.xaxis.get_major_locator().set_params(integer=True)
    preds.set_xlabel("test signal")
    preds.set_ylabel("● p   ○ label y")
    preds.set_title(f"Test predictions ({runs[0]['label']})" if len(runs) > 1
                    else "Test predictions")
    preds.legend(fontsize="small", loc="best")

    def update(k: int) -> list:
        frame = frames[k]
        step = frame["step"]
        for i, (run, at) in enumerate(zip(runs, frame["runs"])):
            n = at["index"] + 1
            if two:
                path = paths[i]
                lines[i].set_data(path[:n, a], path[:n, b])
                points[i].set_data([path[n - 1, a]], [path[n - 1, b]])
            so_far[i].set_data(run["history_steps"][:n], run["history_train_loss"][:n])
            now[i].set_data([at["step"]], [at["train_loss"]])
        cursor.set_xdata([step, step])
        theta = np.array(frame["runs"][0]["params"], dtype=float)
        if two:
            draw_surface(theta)
        w = theta[:taps]
        stems.set_segments([[(j + 1, 0.0), (j + 1, float(w[j]))] for j in range(taps)])
        heads.set_ydata(w)
        kernel.set_title("Kernel w = (" + ", ".join(f"{x:.3g}" for x in w) + ")"
                         + (f", b = {theta[-1]:.3g}" if bias else ""))
        p = predictions[k]
        for dot, mask in zip(dots, (rising, ~rising)):
            dot.set_offsets(np.column_stack([index[mask], p[mask]]))
        title.set_text(f"Gradient descent — step {step} of {STEPS}")
        return []

    return fig, update
'''


_GRADIENT_MAIN = _animated_main(
    options='''    parser.add_argument("--spacing", choices=("auto", "even", "log"), default="auto",
                        help="frames evenly spaced over the run's steps, or in log(1 + step); "
                             f"auto: log for runs of more than {LONG_RUN} steps (default)")
''',
    compute="compute()",
    animate='''        recorded = recorded_steps(results)
        spacing = args.spacing
        if spacing == "auto":
            spacing = "log" if recorded[-1] > LONG_RUN else "even"
        steps = frame_steps(recorded, args.frames, spacing)
        if len(steps) < 2:
            print("nothing to animate: the run has not taken a step yet", file=sys.stderr)
            raise SystemExit(1)
        fig, update = animation(results, steps, plt, LOG_STEPS or spacing == "log")
        message = write_animation(fig, update, len(steps), args.animate, args.fps, ffmpeg, plt)
        message += f"; steps {steps[0]} … {steps[-1]}, {spacing} spacing"
''')


#: The CNN script's animation: the first layer's kernels, the loss curve and the accuracy.
_CNN_ANIMATION = '''

def checkpoint_steps(frames: int) -> list:
    """The steps to record for an animation of ``frames``: evenly spaced over 0 … STEPS.

    Exits (status 1) if there is nothing to animate: no training (STEPS = 0).
    """
    if STEPS < 1:
        print("nothing to animate: the network has not been trained yet (STEPS = 0)",
              file=sys.stderr)
        raise SystemExit(1)
    return frame_steps(range(STEPS + 1), frames, "even")


def animation(results: dict, plt) -> tuple:
    """The figure and update(k), which draws it as the run was at checkpoint k.

    The first layer's kernels as images (coolwarm, the same symmetric limits in
    every frame), the loss of every batch with a cursor at the checkpoint, and
    the test accuracy at the checkpoints so far.
    """
    record = results["checkpoints"]
    steps = record["steps"]
    kernels = np.asarray(record["kernels"], dtype=float)  # (frames, filters, kh, kw)
    accuracy = 100 * np.asarray(record["test_accuracy"], dtype=float)
    finite = kernels[np.isfinite(kernels)]
    scale = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
    n = kernels.shape[1]
    columns = min(n, 8)
    rows = -(-n // columns)
    fig = plt.figure(figsize=(10, 3.2 + 1.4 * rows), constrained_layout=True)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.4 * rows + 0.4, 3.2])
    images = []
    for i, ax in enumerate(np.atleast_1d(top.subplots(rows, columns)).ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < n:
            images.append(ax.imshow(kernels[0, i], cmap="coolwarm", vmin=-scale, vmax=scale))
            ax.set_title(f"filter {i + 1}", fontsize="small")
        else:
            ax.set_axis_off()
    top.colorbar(images[0], ax=top.axes, shrink=0.8, label="weight")
    top.suptitle("First layer's kernels")
    curve, acc = bottom.subplots(1, 2)
    loss = np.asarray(results["loss"], dtype=float)
    batches = np.arange(1, len(loss) + 1)
    curve.plot(batches, loss, color="grey", alpha=0.35, lw=1)
    so_far, = curve.plot([], [], lw=1.5)
    cursor = curve.axvline(0, color="black", lw=1, ls="--")
    curve.set_xlim(0, max(STEPS, 1))
    curve.set_xlabel("batch")
    curve.set_ylabel("cross-entropy")
    curve.set_title("Training loss")
    line, = acc.plot([], [], "o-")
    acc.set_xlim(0, max(STEPS, 1))
    acc.set_ylim(0, 100)
    acc.set_xlabel("batch")
    acc.set_ylabel("test accuracy (%)")
    title = acc.set_title("")
    heading = fig.suptitle("")

    def update(k: int) -> list:
        step = steps[k]
        for i, image in enumerate(images):
            image.set_data(kernels[k, i])
        so_far.set_data(batches[:step], loss[:step])
        cursor.set_xdata([step, step])
        line.set_data(steps[: k + 1], accuracy[: k + 1])
        title.set_text(f"Test accuracy {accuracy[k]:.1f} %")
        heading.set_text(f"CNN training — after {step} of {STEPS} batches")
        return []

    return fig, update
'''

_CNN_MAIN = _animated_main(
    options="",
    compute="compute(checkpoints=checkpoint_steps(args.frames))",
    animate='''        steps = results["checkpoints"]["steps"]  # fewer if the run diverged
        fig, update = animation(results, plt)
        message = write_animation(fig, update, len(steps), args.animate, args.fps, ffmpeg, plt)
        message += f"; batches {steps[0]} … {steps[-1]}, evenly spaced"
''')


def _mnist_path(source: str) -> str | None:
    """The folder or file a data set's description names (None: the bundled sample)."""
    import re

    match = re.match(r"^(?:folder|Keras file) (.*) \([\d,]+ \+ [\d,]+ digits\)$", source)
    return match.group(1) if match else None


def cnn_script(state: dict[str, Any]) -> str:
    """Script for the CNN Training lab: the same network, seed, settings and steps; it prints
    the same test accuracy."""
    from convlab.labs.cnn.model import CNNState

    settings = CNNState.from_dict({k: v for k, v in state.items() if k != "run"})
    run = state.get("run")
    if run is None:  # nothing trained yet
        spec, steps, changes, source = settings.architecture(), 0, [], None
        options = settings.trainer_options()
    else:
        spec, changes = run["architecture"], run["lr_changes"]
        steps = int(run["trainer"]["step_count"])
        options = {**run["options"], "learning_rate": float(run["initial_learning_rate"])}
        source = _mnist_path(run["data"]["source"])
    body = f'''ARCHITECTURE = {_literal(spec)}
OPTIONS = {_literal(options)}  # cc.CNNTrainer's settings; the seed also seeds the weights
LEARNING_RATE_CHANGES = {_literal(changes)}  # [step, new rate] made during the run
STEPS = {steps}
{_data_source_code(source)}


def compute(checkpoints=()) -> dict:
    """Build the network, train it STEPS batches with the same seed, evaluate the test set.

    ``checkpoints``: steps at which to record the first layer's kernels and the
    test accuracy too (for --animate; results["checkpoints"]). Recording only
    looks: the training, and so every other result, is the same without it.
    """
    data = cc.load_mnist(data_source())
    net = cc.build_network(ARCHITECTURE, seed=OPTIONS["seed"])
    trainer = cc.CNNTrainer(net, (data.train_images, data.train_labels), **OPTIONS)
    marks = sorted(set(int(s) for s in checkpoints))
    record = {{"steps": [], "kernels": [], "test_accuracy": []}}

    def look() -> None:
        if trainer.step_count in marks and trainer.step_count not in record["steps"]:
            record["steps"].append(trainer.step_count)
            record["kernels"].append(net.params["0.weight"][:, 0].tolist())
            record["test_accuracy"].append(
                cc.evaluate_network(net, data.test_images, data.test_labels).accuracy)

    def train_to(stop: int) -> None:
        """Train on to step ``stop``, stopping at each checkpoint on the way to look."""
        look()
        while trainer.step_count < stop:
            ahead = [m for m in marks if trainer.step_count < m < stop]
            if not trainer.step(min([*ahead, stop]) - trainer.step_count):
                break  # diverged: no more steps
            look()

    for step, rate in LEARNING_RATE_CHANGES:
        train_to(step)
        trainer.set_learning_rate(rate)
    train_to(STEPS)
    result = cc.evaluate_network(net, data.test_images, data.test_labels)
    extra = {{"checkpoints": record}} if marks else {{}}
    return {{**extra,
        "steps": trainer.step_count,
        "epochs": trainer.epoch_progress,
        "test_accuracy": result.accuracy,
        "test_loss": result.loss,
        "confusion": result.confusion.tolist(),
        "kernels": net.params["0.weight"][:, 0].tolist(),
        "loss": trainer.history.loss,
        "summary": net.summary(),
    }}


def report(results: dict) -> None:
    print(results["summary"])
    n = int(np.sum(results["confusion"]))
    right = int(np.trace(results["confusion"]))
    print(f"after {{results['steps']}} batches ({{results['epochs']:.2f}} epochs): "
          f"test accuracy {{100 * results['test_accuracy']:.2f}} % ({{right}} of {{n}})")


def plot(results: dict, plt) -> None:
    kernels = np.asarray(results["kernels"])
    fig = plt.figure(figsize=(10, 6), constrained_layout=True)
    grid = fig.add_gridspec(2, max(len(kernels), 2))
    ax = fig.add_subplot(grid[0, :])
    ax.plot(results["loss"])
    ax.set_xlabel("batch")
    ax.set_ylabel("cross-entropy")
    scale = max(float(np.abs(kernels).max()), 2.0)
    for i, kernel in enumerate(kernels):
        k = fig.add_subplot(grid[1, i])
        k.imshow(kernel, cmap="coolwarm", vmin=-scale, vmax=scale)
        k.set_xticks([])
        k.set_yticks([])
'''
    summary = (
        f"A convolutional network trained {steps} batches ({options['optimizer']}, learning "
        f"rate {options['learning_rate']!r}, batches of {options['batch_size']}, seed "
        f"{options['seed']}) with convlab.core.CNNTrainer, then evaluated on the test digits."
    )
    return (_header("CNN Training", summary, animated=True) + body + _ANIMATION + _CNN_ANIMATION
            + _CNN_MAIN)


SCRIPT_EXPORTERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "signals": signals_script,
    "gradient": gradient_script,
    "mnist": mnist_script,
    "cnn": cnn_script,
}
