"""File → Export as Python Script: a standalone ``.py`` that redoes a lab's computation.

Each generator takes the lab's saved state (the dict its panel's
``get_state()`` returns, as in a ``.convlab`` session) and returns the text of
a script that uses only :mod:`convlab.core` and numpy — matplotlib too, if it
is installed, to draw the result. Numbers are written with Python's ``repr``,
which round-trips floats exactly, so the script's results equal the app's.

Every script accepts ``--json`` (print its results as JSON, used by the
tests) and ``--no-plot``.
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
"""

import argparse
import json

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


def _literal(value: Any) -> str:
    """A Python literal for JSON-safe ``value`` (floats exact, None/True/False spelled)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into a script")


def _header(lab: str, summary: str) -> str:
    return _HEADER.format(
        version=convlab.__version__,
        lab=lab,
        date=_dt.date.today().isoformat(),
        summary=summary,
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
    return _header("Gradient Descent", summary) + body + _MAIN


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
    body = f'''from pathlib import Path

ARCHITECTURE = {_literal(spec)}
OPTIONS = {_literal(options)}  # cc.CNNTrainer's settings; the seed also seeds the weights
LEARNING_RATE_CHANGES = {_literal(changes)}  # [step, new rate] made during the run
STEPS = {steps}
{_data_source_code(source)}


def compute() -> dict:
    """Build the network, train it STEPS batches with the same seed, evaluate the test set."""
    data = cc.load_mnist(data_source())
    net = cc.build_network(ARCHITECTURE, seed=OPTIONS["seed"])
    trainer = cc.CNNTrainer(net, (data.train_images, data.train_labels), **OPTIONS)
    for step, rate in LEARNING_RATE_CHANGES:
        trainer.step(step - trainer.step_count)
        trainer.set_learning_rate(rate)
    trainer.step(STEPS - trainer.step_count)
    result = cc.evaluate_network(net, data.test_images, data.test_labels)
    return {{
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
    return _header("CNN Training", summary) + body + _MAIN


SCRIPT_EXPORTERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "signals": signals_script,
    "gradient": gradient_script,
    "mnist": mnist_script,
    "cnn": cnn_script,
}
