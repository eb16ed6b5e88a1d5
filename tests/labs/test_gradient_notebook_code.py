"""The Gradient lab's "Show the notebook's code": both codes run and agree with the lab."""

from __future__ import annotations

import numpy as np

import convlab.core as cc
from convlab.labs.gradient.notebook_code import convlab_code, notebook_code
from convlab.labs.gradient.panel import GradientPanel


def test_the_notebook_loop_is_the_notebook_formula_and_convlab_code_runs(show_panel):
    panel = show_panel(GradientPanel)
    panel.model.update({"start": (0.3, -0.2), "learning_rates": (0.02, 0.01),
                        "gradient": "notebook"})
    (x, y), _ = panel.model.dataset()
    scope = {"x_train": x, "steps": 40}
    exec(notebook_code(panel.model), scope)
    ours = {"steps": 40}
    exec(convlab_code(panel.model), ours)
    # the notebook's loop and ConvLab's Trainer with the notebook's formula: same weights
    np.testing.assert_allclose(scope["w"], ours["w"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["g_notebook"], cc.notebook_gradient(x, taps=2))
    np.testing.assert_allclose(ours["g"], cc.loss_gradient(x, y, [0.3, -0.2]))
    # the window shows both, and follows the model
    button = panel.gradient_box.notebook_code
    button.show_code()
    notebook, convlab = button.texts()
    assert "dl_dw0 = lambda: (X[:-1]).mean()" in notebook and "gradient='notebook'" in convlab
    panel.model.gradient = "chain_rule"
    assert "gradient='chain_rule'" in button.texts()[1]
    button.dialog.close()
