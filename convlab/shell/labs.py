"""The registry of labs: all the shell knows of them before one is built.

Adding a lab is one :class:`LabSpec` here (plus its package under
``convlab/labs/``): its key (sessions, settings), tab title, where its panel
class lives (imported when the lab is first shown), and the two or three
"Try this first" steps shown above it until the user dismisses them.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from convlab.gui.base import LabPanel

__all__ = ["LABS", "LabSpec"]


@dataclass(frozen=True)
class LabSpec:
    """Where a lab's panel class lives; imported when the lab is first built."""

    key: str
    title: str  # in tabs and menus: "&X" makes Alt+X the mnemonic, "&&" shows as "&"
    module: str
    cls: str
    try_first: tuple[str, ...] = ()

    def load(self) -> type[LabPanel]:
        return getattr(importlib.import_module(self.module), self.cls)

    @property
    def plain_title(self) -> str:
        """The title as text: "&Signals && Kernels" → "Signals & Kernels"."""
        return re.sub(r"&(.)", r"\1", self.title)


LABS: tuple[LabSpec, ...] = (
    LabSpec(
        "signals", "&Signals && Kernels", "convlab.labs.signals.panel", "SignalsPanel",
        ("Drag a kernel stem up or down in the <b>Kernel w</b> plot: the output z changes "
         "at once.",
         "Press <b>Play</b> under the plots: the shaded window slides along x and each z_i "
         "is a sum of products.",
         "Switch <b>Kind</b> to convolution: the kernel is flipped before it slides."),
    ),
    LabSpec(
        "gradient", "&Gradient Descent", "convlab.labs.gradient.panel", "GradientPanel",
        ("Press <b>Run</b>: the dot walks down the loss landscape to the star (the best "
         "kernel).",
         "Click anywhere on the landscape to start again from there.",
         "Tick <b>Bias b</b> and run again: the accuracy climbs from chance to 100 %."),
    ),
    LabSpec(
        "mnist", "&MNIST Detectors", "convlab.labs.mnist.panel", "MnistPanel",
        ("Move the <b>threshold</b> slider: the masks show where each line detector fires.",
         "Step through the digits, or tick <b>Draw</b> and write your own.",
         "Open the <b>Statistics</b> tab: which detector fires most on each digit class?"),
    ),
    LabSpec(
        "cnn", "&CNN Training", "convlab.labs.cnn.panel", "CNNPanel",
        ("Press <b>Train</b>: the loss falls, the accuracy climbs, the confusion matrix fills.",
         "Choose <b>Random start, 4 filters 3×3</b> and train again: do the learned kernels "
         "become line detectors (a small <i>d</i>)?",
         "Open <b>Inside the network</b>, tick <b>Use my drawing</b> and write a digit."),
    ),
)

