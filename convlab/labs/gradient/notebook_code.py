"""The notebook's training code beside ConvLab's (issue 15 §4).

The notebook trains its 2-tap kernel with hand-written gradients,
``dl_dw0 = lambda: (t.X[0][:-1]).mean()`` and ``dl_dw1 = lambda: (t.X[0][1:]).mean()``
(``t.X[0]`` is the training matrix, one signal per row): no chain rule, and rows
sliced where window positions were meant. :func:`notebook_code` writes that loop;
:func:`convlab_code` the same run with :mod:`convlab.core`, with the lab's
settings and both gradients side by side. Both are runnable (a test runs them).
"""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from convlab.gui.code_compare import CodeCompareButton

from .model import GradientLabState

__all__ = ["NotebookCodeButton", "convlab_code", "notebook_code"]


def notebook_code(state: GradientLabState) -> str:
    """The notebook's loop for the lab's start and learning rates (2 taps, no bias)."""
    w0, w1 = [*state.start, 0.0, 0.0][:2]  # the notebook's kernel has two taps
    lr0, lr1 = [*state.learning_rates, 0.01, 0.01][:2]
    return f'''import numpy as np

# t.X[0]: the training signals, one per row (as the notebook's Trainer holds them)
X = x_train
w = np.array([{w0!r}, {w1!r}])
lr = np.array([{lr0!r}, {lr1!r}])

# the notebook's hand-written gradients, as written:
dl_dw0 = lambda: (X[:-1]).mean()   # t.X[0][:-1]: every signal but the last …
dl_dw1 = lambda: (X[1:]).mean()    # t.X[0][1:]: … every signal but the first
# they never look at w: no −(y − p) factor (the chain rule), so they are constants

for step in range(steps):
    w = w - lr * np.array([dl_dw0(), dl_dw1()])
'''


def convlab_code(state: GradientLabState) -> str:
    """The same data and run with ``convlab.core``: the notebook's gradient and the correct one."""
    return f'''import convlab.core as cc

data = cc.updown_dataset(n_samples={state.n_samples}, length={state.length}, \\
                         noise={state.noise!r}, seed={state.data_seed}, \\
                         test_fraction={state.test_fraction!r})
(x_train, y_train), (x_test, y_test) = data

# the notebook's gradient, as written (a constant vector) …
g_notebook = cc.notebook_gradient(x_train, taps=2)
# … and the correct one, by the chain rule, at the start
g = cc.loss_gradient(x_train, y_train, {list(state.start)[:2]!r})

# the run, with either formula: "chain_rule", "notebook" or "no_chain_rule"
trainer = cc.Trainer(data, taps=2, initial_params={list(state.start)[:2]!r},
                     learning_rates={list(state.learning_rates)[:2]!r},
                     gradient={state.gradient!r})
trainer.step(steps)
w = trainer.params
'''


class NotebookCodeButton(CodeCompareButton):
    """"Show the notebook's code": its training loop beside ConvLab's, for the lab's settings."""

    def __init__(self, model: GradientLabState, parent: QWidget | None = None) -> None:
        super().__init__(
            lambda: (notebook_code(model), convlab_code(model)),
            ("<b>The notebook</b>: hand-written gradients, no chain rule",
             "<b>ConvLab</b> (<code>convlab.core</code>): the same data, both gradients"),
            note="The notebook's lambdas slice signals (rows) where window positions were "
                 "meant and leave out −(y − p): their 'gradient' is a constant.",
            tooltip="The notebook's training loop and its hand-written gradients, beside "
                    "ConvLab's Trainer with the correct gradient and the notebook's",
            parent=parent)
        model.events.connect(self.refresh)
