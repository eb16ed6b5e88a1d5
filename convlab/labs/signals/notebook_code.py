"""The notebook's convolution code beside ConvLab's one-liner (issue 15 §4).

:class:`NotebookCode` is a button that opens a dialog: on the left the
notebook's sliding dot product ``_convolve(x, w)`` and its batch
``convolve(X, w)``, on the right the same with ``convlab.core`` — with the
lab's current settings filled in, so a learner can run either and compare.
Both snippets are runnable: a test executes them and compares with the lab.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

import convlab.core as cc
from convlab.gui.code_compare import CodeCompareButton

from .model import SignalsState

__all__ = ["NOTEBOOK_CODE", "NotebookCode", "convlab_code"]

#: The notebook's way: a window slides along x, each output is a dot product.
NOTEBOOK_CODE = '''\
import numpy as np

def _convolve(x, w):
    """One signal: slide w along x, a dot product per position."""
    k = len(w)
    return np.array([np.dot(x[i:i + k], w)
                     for i in range(len(x) - k + 1)])

def convolve(X, w):
    """A batch: one signal per row of X, the same kernel."""
    return np.array([_convolve(x, w) for x in X])

z = _convolve(x, w)
Z = convolve(X, w)
'''


def convlab_code(settings: cc.Conv1dSettings) -> str:
    """The same with ``convlab.core``, for the lab's ``settings`` (defaults left out)."""
    defaults = cc.Conv1dSettings()
    args = "".join(f", {name}={getattr(settings, name)!r}"
                   for name in ("mode", "flip", "stride", "dilation", "padding_mode")
                   if getattr(settings, name) != getattr(defaults, name))
    note = ("# the notebook's case: valid cross-correlation (flip=False), stride 1\n"
            if not args else
            "# the lab's settings now; the notebook's code computes the defaults\n"
            "# (mode='valid', flip=False, stride=1, dilation=1)\n")
    return (f"import convlab.core as cc\n\n{note}"
            f"z = cc.conv1d(x, w{args})\n"
            f"Z = cc.conv1d(X, w{args})   # a batch: every row at once\n\n"
            f"# or, the settings held together:\n"
            f"s = cc.Conv1dSettings({args[2:]})\n"
            f"z = s.conv1d(x, w)\n"
            f"J = s.jacobian(x, len(w))   # dz_i/dw_j: z == J @ w\n")


class NotebookCode(CodeCompareButton):
    """"Show the notebook's code": the side-by-side window for the current settings."""

    def __init__(self, state: SignalsState, parent: QWidget | None = None) -> None:
        super().__init__(
            lambda: (NOTEBOOK_CODE, convlab_code(_settings(state))),
            ("<b>The notebook</b>: a sliding dot product, a loop over rows",
             "<b>ConvLab</b> (<code>convlab.core</code>): the same in one call, with every "
             "setting of this lab"),
            tooltip="The notebook's sliding dot product _convolve and its batch "
                    "convolve(X, w), beside ConvLab's equivalent one-liner",
            parent=parent)
        state.events.connect(self.refresh)


def _settings(state: SignalsState) -> cc.Conv1dSettings:
    return cc.Conv1dSettings(state.mode, state.flip, state.stride, state.dilation,
                             state.padding_mode)
