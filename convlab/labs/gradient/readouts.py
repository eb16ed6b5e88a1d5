"""The Gradient Descent lab's read-outs: the gradient check and what the curvature means."""

from __future__ import annotations

import textwrap

import numpy as np
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

import convlab.core as cc
from convlab.gui.theme import error_color

from .maths import sgd_curvature
from .model import GRADIENT_LABELS, GradientLabState
from .notebook_code import NotebookCodeButton
from .runs import RunController

__all__ = ["MISSING", "BiasLesson", "GradientBox", "bias_text", "curvature_text",
           "gradient_html"]

#: What a wrong gradient formula leaves out: one line under the check.
MISSING = {
    "notebook": "The notebook's formula misses the chain rule's factor (p − y), so it ignores "
                "the weights, and it averages signals (rows) instead of window positions.",
    "no_chain_rule": "Without the chain rule the factor ∂L/∂p = (p − y) is missing: the "
                     "'gradient' ignores the weights and the error.",
}


def curvature_text(hessian: np.ndarray, learning_rates: tuple[float, ...]) -> str:
    """The valley's shape and what it means for plain SGD with ``learning_rates``."""
    c = sgd_curvature(hessian, learning_rates)
    lam = c.eigenvalues
    text = (f"Curvatures λ from {lam[0]:.3g} to {lam[-1]:.3g} "
            f"(ratio {c.ratio:,.0f}): a long, narrow valley. " if c.ratio > 30 else
            f"Curvatures λ from {lam[0]:.3g} to {lam[-1]:.3g} (ratio {c.ratio:,.0f}). ")
    text += f"Plain SGD with these α: μ_max = {c.scaled[-1]:.3g} "
    if not c.stable:
        text += "> 2, it diverges."
    elif np.isfinite(c.steps_per_efold):
        text += (f"< 2, stable; the slowest direction needs ≈{c.steps_per_efold:,.0f} "
                 "steps per factor e.")
    else:
        text += "< 2, but a flat direction never converges."
    return text


def gradient_html(check: cc.GradientCheck, names: list[str],
                  formula: str = "chain_rule", caption: str = "") -> str:
    """A table of the formula's gradient beside finite differences, and a verdict.

    A disagreement is red, with what the formula misses (:data:`MISSING`).
    ``caption`` (e.g. the step shown on the timeline) is a line above the table.
    """
    rows = "".join(
        f"<tr><td>∂L/∂{n}</td><td align='right'>{a:+.5g}</td>"
        f"<td align='right'>{d:+.5g}</td></tr>"
        for n, a, d in zip(names, check.analytic, check.numeric, strict=True))
    difference = float(np.linalg.norm(check.analytic - check.numeric))
    if check.relative_error < 1e-5:
        verdict = "✓ they agree"
    elif difference < 100 * check.resolution:
        verdict = "✓ equal within rounding noise (the gradient is nearly 0)"
    else:
        verdict = "✗ they disagree"
    text = f"relative error {check.relative_error:.1e}: {verdict}"
    if verdict.startswith("✗"):
        # wrapped by hand: a word-wrapped label would fight the column's fitted width
        why = "<br>".join(textwrap.wrap(MISSING.get(formula, ""), 42))
        text = f"<span style='color:{error_color()}'>{text}<br>{why}</span>"
    head = "chain rule" if formula == "chain_rule" else GRADIENT_LABELS[formula].split(",")[0]
    table = (f"<table cellspacing='4'><tr><th></th><th>{head}</th><th>finite diff.</th></tr>"
             f"{rows}</table>{text}")
    return f"<b>{caption}</b>{table}" if caption else table


class GradientBox(QGroupBox):
    """The gradient at the current point (chain rule vs finite differences) and the curvature."""

    def __init__(self, model: GradientLabState, controller: RunController) -> None:
        super().__init__("Gradient and curvature")
        self._model = model
        self._controller = controller
        #: The latest check shown (``None`` before the first draw).
        self.gradient_check: cc.GradientCheck | None = None
        self.gradient_label = QLabel()
        self.gradient_label.setTextFormat(Qt.TextFormat.RichText)
        self.gradient_label.setToolTip(
            "∂L/∂θ by the chain rule at the current point, beside central finite "
            "differences of the loss; a tiny relative error means the gradient is right."
        )
        self.curvature_label = QLabel()
        self.curvature_label.setWordWrap(True)
        self.curvature_label.setToolTip(
            "Eigenvalues λ of the loss's Hessian H = AᵀA/N: the valley's curvatures. Plain "
            "full-batch SGD multiplies the error along each direction by |1 − μ| per step, "
            "μ the eigenvalues of α^½·H·α^½: above μ = 2 it diverges; a tiny μ crawls.")
        self.notebook_code = NotebookCodeButton(model)
        layout = QVBoxLayout(self)
        layout.addWidget(self.gradient_label)
        layout.addWidget(self.curvature_label)
        layout.addWidget(self.notebook_code)
        controller.stepped.connect(self.show_gradient)
        controller.state_changed.connect(self.show_gradient)
        controller.runs_rebuilt.connect(self.show_curvature)
        model.events.learning_rates.connect(self.show_curvature)

    def show_gradient(self) -> None:
        """The gradient at the point shown beside finite differences (the formula followed
        there); scrubbed to an earlier step, the table says which."""
        c = self._controller
        (x, y), _ = c.data
        formula = c.shown_formula()
        check = cc.check_gradient(x, y, c.shown_params(), self._model.bias, formula=formula)
        shown = c.shown_step()
        caption = "" if shown is None else (
            f"showing step {int(c.shown_history().steps[-1]):,} of {c.trainer.step_count:,}")
        self.gradient_label.setText(gradient_html(check, self._model.names, formula, caption))
        self.gradient_check = check

    def show_curvature(self) -> None:
        """The valley's shape and what it means for SGD with the chosen learning rates."""
        hessian = self._controller.trainer.quadratic.hessian
        self.curvature_label.setText(curvature_text(hessian, self._model.learning_rates))


def bias_text(theta: np.ndarray, taps: int, bias: bool) -> str:
    """Why the model without a bias cannot separate; with one, what the kernel became."""
    if not bias:
        return ("No bias: p = Σ wⱼ·Fⱼ has no offset. Only the slope response "
                "1.5·w₁ + 2.5·w₂ is learned; w₁ + w₂ is undetermined along the valley, so "
                "the 0.5 threshold cannot split the classes.")
    b = theta[-1]
    if taps == 2:
        w1, w2 = theta[0], theta[1]
        shape = ("a difference filter (w₂ < 0 < w₁)" if w2 < 0 < w1
                 else "on its way to a difference filter (w₂ < 0 < w₁)")
        return (f"With the bias b = {b:.3g} (the mean label is 0.5), the kernel became "
                f"{shape}: w₁ − w₂ = {w1 - w2:.3g} measures the slope, "
                f"w₁ + w₂ = {w1 + w2:.3g} stays small.")
    kernel = ", ".join(f"{w:.3g}" for w in theta[:taps])
    return (f"With the bias b = {b:.3g} (the mean label is 0.5), the kernel became "
            f"w = ({kernel}): the differences between taps measure the slope.")


class BiasLesson(QWidget):
    """Under the plots (the accuracy's row ends above it): why no bias cannot separate
    (and "try: add a bias"), or what the kernel became with one."""

    #: A sentence for the status line (a refused change).
    message = pyqtSignal(str)

    def __init__(self, model: GradientLabState, controller: RunController) -> None:
        super().__init__()
        self._model = model
        self._controller = controller
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.text.setMinimumWidth(200)
        self.add_bias_button = QPushButton("Try: add a bias")
        self.add_bias_button.setToolTip("Train p = mean(x ⋆ w) + b: the bias takes the mean "
                                        "label, the kernel is free to measure the slope")
        self.add_bias_button.setAccessibleName("Try: add a bias")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.add_bias_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.add_bias_button.clicked.connect(self.add_bias)
        controller.stepped.connect(self.show_lesson)
        controller.runs_rebuilt.connect(self.show_lesson)

    def add_bias(self) -> None:
        """Add the bias (training restarts at step 0)."""
        try:
            self._model.set_structure("bias", True)
        except ValueError as exc:
            self.message.emit(f"Not changed: {exc}")

    def show_lesson(self) -> None:
        s = self._model
        self.add_bias_button.setVisible(not s.bias)
        text = bias_text(self._controller.shown_params(), s.taps, s.bias)
        if text != self.text.text():
            self.text.setText(text)
