"""The notebook's code beside ConvLab's: how the figure is computed both ways.

:func:`notebook_code` writes the figure's computation the notebook's way
(``scipy.signal.convolve2d`` digit by kernel, a ``> threshold`` and matplotlib's
``imshow`` in the notebook's layout) and :func:`convlab_code` the same with
:func:`convlab.core.detector_figure`, both with the lab's current settings.
:class:`NotebookCodeButton` opens them side by side (a non-modal window that
follows the settings). The texts are Qt-free; the button owns its window.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QWidget

import convlab.core as cc
from convlab.gui.code_compare import CodeCompareButton

from .model import MnistState

__all__ = ["FIGURE_MARK", "NotebookCodeButton", "convlab_code", "notebook_code"]

#: The line that starts the drawing part of :func:`notebook_code` (what comes before it
#: computes the masks, with numpy and scipy only).
FIGURE_MARK = "# -- the figure"
_VARIABLES = ("vertical", "horizontal", "diagonal_1", "diagonal_2")


def _rows(kernel: list[list[float]]) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in kernel) + "]"


def _digit_lines(state: dict[str, Any]) -> tuple[str, str]:
    if state["digit_source"] == "drawing":
        return "digit = drawing  # the 28×28 drawing, already in [0, 1]", "digit = drawing"
    images = "X_train" if state["split"] == "train" else "X_test"
    index = int(state["index"])
    return (f"digit = {images}[{index}] / 255  # {state['split']} digit #{index}, scaled to [0, 1]",
            f"digit = cc.load_mnist().split({state['split']!r})[0][{index}]")


def notebook_code(state: dict[str, Any]) -> str:
    """The figure computed and drawn as the notebook does, with ``state``'s settings."""
    digit, _ = _digit_lines(state)
    function = "convolve2d" if state["flip"] else "correlate2d"
    mode = "" if state["mode"] == "full" else f", mode={state['mode']!r}"
    kernels = "\n".join(f"{var} = np.array({_rows(k)})"
                        for var, k in zip(_VARIABLES, state["kernels"], strict=True))
    return f"""import numpy as np
from scipy.signal import {function}

# X_train / X_test: the MNIST images (uint8, 0…255), as the notebook loaded them
{digit}

{kernels}
kernels = [{", ".join(_VARIABLES)}]

masks = []
for kernel in kernels:
    response = {function}(digit, kernel{mode})
    masks.append(response > {state["threshold"]!r})

{FIGURE_MARK}: kernel | mask, kernel | mask on each row, then the digit
import matplotlib.pyplot as plt

fig, axes = plt.subplots(3, 4, figsize=(9, 7))
for k, (kernel, mask) in enumerate(zip(kernels, masks)):
    row, col = divmod(k, 2)
    axes[row, 2 * col].imshow(kernel, cmap="bwr")
    axes[row, 2 * col + 1].imshow(mask, cmap="gray")
axes[2, 1].imshow(digit, cmap="gray")
for ax in axes.ravel():
    ax.axis("off")
plt.show()
"""


def convlab_code(state: dict[str, Any]) -> str:
    """The same figure with ConvLab's core: one call computes responses and masks."""
    _, digit = _digit_lines(state)
    kernels = ",\n".join(f"    {name!r}: {_rows(k)}"
                         for name, k in zip(cc.LINE_DETECTORS, state["kernels"], strict=True))
    return f"""import convlab.core as cc

{digit}
kernels = {{
{kernels},
}}

# scale to [0, 1], {"convolve" if state["flip"] else "correlate"} with each kernel \
({state["mode"]} mode), threshold
fig = cc.detector_figure(digit, kernels, {state["threshold"]!r}, {state["mode"]!r}, \
flip={bool(state["flip"])!r})
fig.responses  # (4, H, W): one response per kernel
fig.masks      # (4, H, W): response > {state["threshold"]!r}

# the figure: File → Export as Python Script writes a script that draws it
"""


class NotebookCodeButton(CodeCompareButton):
    """Opens the notebook's code beside ConvLab's; the window follows the lab's settings."""

    def __init__(self, model: MnistState, parent: QWidget | None = None) -> None:
        super().__init__(
            lambda: (notebook_code(model.to_dict()), convlab_code(model.to_dict())),
            ("<b>The notebook</b>: scipy.signal and matplotlib",
             "<b>ConvLab</b>: convlab.core.detector_figure"),
            note="Both compute the same masks with the lab's current settings; the window "
                 "follows the threshold, mode, operation, kernels and digit.",
            tooltip="The figure's computation as the notebook writes it (scipy, matplotlib) "
                    "beside ConvLab's equivalent",
            parent=parent)
        model.events.connect(self.refresh)
