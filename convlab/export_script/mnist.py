"""The MNIST Detectors lab's script: the same digit, detectors, threshold and masks."""

from __future__ import annotations

from typing import Any

import convlab.core as cc

from ._common import _MAIN, _data_source_code, _header, _literal


def mnist_script(state: dict[str, Any]) -> str:
    """Script for the MNIST Detectors lab: the same digit, kernels, responses and masks.

    The figure is drawn in the notebook's layout, as the lab shows it: two
    kernel | response pairs a row, then the digit. A data folder is named
    by its last part only (the full path would reveal the user's folders when
    the script is shared); the script looks for it next to itself, and says
    how to point it elsewhere.
    """

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
