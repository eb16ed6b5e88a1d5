"""The Signals & Kernels lab's script: the same ``x * w`` (and batch) as the app."""

from __future__ import annotations

import dataclasses
from typing import Any

import convlab.core as cc

from ._common import _MAIN, _header, _literal


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
