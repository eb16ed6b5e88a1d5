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

from collections.abc import Callable
from typing import Any

from .cnn import cnn_script
from .gradient import GRADIENT_HISTORY_CAP, gradient_script
from .mnist import mnist_script
from .signals import signals_script

__all__ = ["GRADIENT_HISTORY_CAP", "SCRIPT_EXPORTERS", "cnn_script", "gradient_script",
           "mnist_script", "signals_script"]

SCRIPT_EXPORTERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "signals": signals_script,
    "gradient": gradient_script,
    "mnist": mnist_script,
    "cnn": cnn_script,
}
