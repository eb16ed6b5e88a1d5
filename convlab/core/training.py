"""Step-by-step training of the notebook's k-tap classifier, and what it converges to.

The model, its loss and exact gradient are in :mod:`convlab.core.tap_model`,
the loss as an exact quadratic (landscape, least-squares optimum) in
:mod:`convlab.core.quadratic_loss`, the optimizers in
:mod:`convlab.core.optimizers` and the bounded history in
:mod:`convlab.core.training_history`; this module's :class:`Trainer` ties them
together and re-exports their public names (``convlab.core`` star-imports
this module).

What training converges to
--------------------------
Gradient descent on a convex quadratic goes to the least-squares optimum (with
a small enough learning rate: ``α·λ_max(H) < 2``). On the rising/falling data
(:func:`convlab.core.updown_dataset`, 2 taps, length 5) a signal
``x_t = a·t + b + noise`` has ``F_1 ≈ 1.5a + b`` and ``F_2 ≈ 2.5a + b``, so
``p ≈ (1.5·w₁ + 2.5·w₂)·a + (w₁ + w₂)·b``:

* **no bias** (the notebook's model): the response to the slope,
  ``1.5·w₁ + 2.5·w₂``, settles near ``E[a·y]/E[a²] = −0.75/(7/3) ≈ −1/3``, while
  ``w₁ + w₂`` only multiplies the random intercept and the noise: the two
  features are almost collinear, ``H`` is badly conditioned, and the valley
  along ``w₁ + w₂`` is long and flat, so plain gradient descent crawls. Rising
  signals are then predicted below 0.5, but falling ones only cross 0.5 for
  steep slopes: test accuracy stays mediocre (over 200 seeds: median 70 %,
  90 % of the data sets between 50 and 90 %; training accuracy 60–85 %).
* **with a bias** the bias takes the mean label (0.5 ± 0.03), and the kernel
  becomes a difference filter, ``p ≈ 0.5 − a/3``: ``w₂ < 0 < w₁`` (``w₁ > 0`` in
  about 99 % of the data sets), ``w₁ − w₂ ≈ 0.44`` while ``w₁ + w₂ ≈ −0.05``
  stays small (it still picks up a little slope, since ``F_1 + F_2`` carries
  ``4a``). The test set is classified perfectly (every one of 300 seeds checked).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .datasets import UpDownSplit
from .optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    Momentum,
    Nesterov,
    Optimizer,
    OptimizerGroup,
    make_optimizer,
    optimizer_options,
)
from .quadratic_loss import QuadraticLoss, _lstsq, least_squares_optimum, loss_surface
from .tap_model import (
    GRADIENTS,
    THRESHOLD,
    GradientCheck,
    _labels,
    accuracy,
    check_gradient,
    design_matrix,
    formula_gradient,
    loss,
    loss_gradient,
    notebook_gradient,
    param_names,
    predict,
    window_means,
)
from .training_history import History
from .validation import as_finite_array, check_choice, check_positive_int

__all__ = [
    "GRADIENTS",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "GradientCheck",
    "History",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "OptimizerGroup",
    "QuadraticLoss",
    "Trainer",
    "accuracy",
    "check_gradient",
    "design_matrix",
    "formula_gradient",
    "least_squares_optimum",
    "loss",
    "loss_gradient",
    "loss_surface",
    "make_optimizer",
    "notebook_gradient",
    "optimizer_options",
    "param_names",
    "predict",
    "window_means",
]


class Trainer:
    """Trains the k-tap model step by step, keeping a history; reproducible and NaN-safe.

    Parameters
    ----------
    data : ((x_train, y_train), (x_test, y_test))
        As returned by :func:`convlab.core.updown_dataset`; shapes ``(N, n)``, ``(N,)``.
    taps : int
        Kernel size ``k`` (2 as in the notebook).
    bias : bool
        Add a trainable bias (the notebook has none).
    initial_params : array_like, shape (P,), optional
        Starting ``(w_1 … w_k[, b])``; default every weight ``0.5`` and the bias ``0``.
    learning_rates : float or array_like, shape (P,)
        One learning rate per parameter (the notebook's ``alphas = (0.01, 0.01)``).
    optimizer : str
        ``"sgd"``, ``"momentum"``, ``"nesterov"`` or ``"adam"``
        (see :mod:`convlab.core.optimizers` for the formulas).
    batch_size : int, optional
        ``None`` (default) uses every training signal in each step (full batch);
        otherwise each step uses the next ``batch_size`` signals of a shuffled
        epoch (the last batch of an epoch may be smaller).
    seed : int, optional
        Seeds the mini-batch shuffling; the same seed gives the same run.
    history_cap : int
        Maximum number of history points kept (see :class:`History`).
    explode_factor : float
        The run counts as diverged when the training loss exceeds
        ``explode_factor · max(L₀, 1)`` (``L₀`` = loss at step 0) or becomes NaN/inf.
    gradient : str
        The formula each step follows, one of :data:`GRADIENTS`: ``"chain_rule"``
        (the exact gradient, default); ``"notebook"`` (the notebook's lambdas as
        written: a constant, :func:`notebook_gradient` of the training matrix);
        ``"no_chain_rule"`` (``∂p/∂θ`` averaged over the signals — or over the
        mini-batch — without the ``(p − y)`` factor). The two wrong ones do not
        depend on the weights, so the weights drift in a straight line.
    **optimizer_options
        ``momentum`` (momentum, Nesterov), ``beta1``, ``beta2``, ``eps`` (Adam).

    Notes
    -----
    The loss is a convex quadratic, so with a small enough learning rate the
    weights converge to :func:`least_squares_optimum` of the training set. With
    the notebook's defaults (no bias) ``1.5·w₁ + 2.5·w₂`` approaches ≈ −1/3
    quickly, then the weights crawl along the flat valley of ``w₁ + w₂``; test
    accuracy ends mediocre, typically 50–90 %. With ``bias=True`` the kernel
    becomes a difference filter (``w₂ < 0 < w₁``, ``w₁ + w₂`` small), ``b ≈ 0.5``
    and test accuracy reaches 100 % (see the module docstring for the derivation
    and the statistics over seeds).

    When the loss becomes NaN/inf or explodes, the trainer stops at the last
    finite state (parameters, optimizer memory, history), :attr:`diverged` is
    True and :attr:`status` says at which step. :meth:`reset`,
    :meth:`set_params` or a new learning rate / optimizer allow stepping again.

    Examples
    --------
    >>> from convlab.core import updown_dataset
    >>> trainer = Trainer(updown_dataset(seed=0))
    >>> trainer.step(1000)
    1000
    >>> len(trainer.history), trainer.step_count
    (1001, 1000)
    """

    _CHUNK = 2048  # steps run between vectorized evaluations (bounds memory and the replay)

    def __init__(
        self,
        data: UpDownSplit,
        taps: int = 2,
        bias: bool = False,
        initial_params: ArrayLike | None = None,
        learning_rates: ArrayLike = 0.01,
        optimizer: str = "sgd",
        batch_size: int | None = None,
        seed: int | None = None,
        history_cap: int = 20_000,
        explode_factor: float = 1e6,
        gradient: str = "chain_rule",
        **optimizer_options: float,
    ):
        (x_train, y_train), (x_test, y_test) = data
        self.taps = check_positive_int(taps, "the number of taps")
        self.bias = bool(bias)
        self.names = param_names(self.taps, self.bias)
        n_params = len(self.names)
        self._a_train = design_matrix(x_train, self.taps, self.bias)
        self._a_test = design_matrix(x_test, self.taps, self.bias)
        self._y_train = _labels(y_train, self._a_train.shape[0])
        self._y_test = _labels(y_test, self._a_test.shape[0])
        self.quadratic = QuadraticLoss.from_data(x_train, y_train, self.taps, self.bias)
        self._notebook = notebook_gradient(x_train, self.taps, self.bias)
        self._column_means = self._a_train.mean(axis=0)
        self.gradient_formula = "chain_rule"
        self.set_gradient_formula(gradient)
        if initial_params is None:
            initial = np.full(n_params, 0.5)
            if self.bias:
                initial[-1] = 0.0
        else:
            initial = self._check_params(initial_params)
        self._initial = initial
        self.explode_factor = float(explode_factor)
        if not self.explode_factor > 1:
            raise ValueError(f"explode_factor must be > 1, got {explode_factor}")
        self.seed = seed
        self.batch_size = None
        self.set_batch_size(batch_size)
        self.optimizer: Optimizer = make_optimizer(
            optimizer, n_params, learning_rates, **optimizer_options
        )
        self.history = History(n_params, history_cap)
        self._params = np.zeros(n_params)
        self._grad = np.zeros(n_params)
        self._buffer = np.zeros((self._CHUNK, n_params))
        self.reset()

    # -- configuration ---------------------------------------------------------------------
    def _check_params(self, params: ArrayLike) -> NDArray[np.float64]:
        theta = as_finite_array(params, "the parameters", ndims=(1,)).copy()
        if theta.size != len(self.names):
            raise ValueError(
                f"give {len(self.names)} parameters ({', '.join(self.names)}), got {theta.size}"
            )
        return theta

    @property
    def n_params(self) -> int:
        """Number of parameters ``P`` (taps, plus one with a bias)."""
        return len(self.names)

    @property
    def initial_params(self) -> NDArray[np.float64]:
        """The starting point :meth:`reset` returns to, shape ``(P,)``."""
        return self._initial.copy()

    @property
    def learning_rates(self) -> NDArray[np.float64]:
        """Current learning rates, shape ``(P,)``."""
        return self.optimizer.learning_rates.copy()

    def set_learning_rates(self, learning_rates: ArrayLike) -> None:
        """New learning rates, used from the next step (the optimizer keeps its memory)."""
        self.optimizer.set_learning_rates(learning_rates)
        self._diverged_at = None

    def set_optimizer(self, name: str, **options: float) -> None:
        """Switch optimizer from the next step (its memory starts at zero; learning rates kept)."""
        self.optimizer = make_optimizer(name, self.n_params, self.optimizer.learning_rates,
                                        **options)
        self._diverged_at = None

    def set_gradient_formula(self, name: str) -> None:
        """Follow the formula ``name`` (one of :data:`GRADIENTS`) from the next step."""
        self.gradient_formula = check_choice(name, "the gradient formula", GRADIENTS)
        self._diverged_at = None

    def set_batch_size(self, batch_size: int | None) -> None:
        """``None`` for full batch, else the mini-batch size (from the next step)."""
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "the batch size")
            if batch_size >= self._a_train.shape[0]:
                batch_size = None  # a batch as large as the training set is the full batch
        self.batch_size = batch_size

    # -- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the initial parameters, step 0, fresh optimizer memory and shuffling."""
        self._params[:] = self._initial
        self.optimizer.reset()
        self._rng = np.random.default_rng(self.seed)
        self._order = np.arange(self._a_train.shape[0])
        self._position = self._order.size  # the first mini-batch step draws a permutation
        self.step_count = 0
        self._diverged_at: int | None = None
        self.history.clear()
        values = self._evaluate(self._params[None, :])
        self._start_loss = float(values[0, 0])
        self.history.append(np.zeros(1, dtype=np.int64), self._params[None, :], values)

    def set_params(self, params: ArrayLike) -> None:
        """Restart from ``params`` (P,): the new start that :meth:`reset` returns to."""
        self._initial = self._check_params(params)
        self.reset()

    @property
    def params(self) -> NDArray[np.float64]:
        """Current ``(w_1 … w_k[, b])``, a copy, shape ``(P,)``."""
        return self._params.copy()

    @property
    def diverged_at(self) -> int | None:
        """The step at which the loss blew up (the run stopped one step before), or None."""
        return self._diverged_at

    @property
    def diverged(self) -> bool:
        """True after the loss became NaN/inf or exploded (the trainer stopped)."""
        return self._diverged_at is not None

    @property
    def status(self) -> str:
        """A sentence for the status bar: the step count, or where the run diverged."""
        if self._diverged_at is not None:
            return (f"diverged at step {self._diverged_at} — lower the learning rate "
                    f"(stopped at the last finite state, step {self.step_count})")
        return f"step {self.step_count}"

    def gradient(self) -> NDArray[np.float64]:
        """Full-batch gradient of the training loss at the current parameters, shape ``(P,)``."""
        return self.quadratic.gradient(self._params)

    def direction(self) -> NDArray[np.float64]:
        """The full-batch "gradient" the chosen formula gives at the current parameters, (P,).

        Equal to :meth:`gradient` with ``"chain_rule"``; a step goes along minus this.
        """
        if self.gradient_formula == "notebook":
            return self._notebook.copy()
        if self.gradient_formula == "no_chain_rule":
            return self._column_means.copy()
        return self.gradient()

    def optimum(self) -> NDArray[np.float64]:
        """:func:`least_squares_optimum` of the training set, shape ``(P,)``."""
        return _lstsq(self._a_train, self._y_train)

    def metrics(self) -> dict[str, float]:
        """The latest history values: ``train_loss``, ``test_loss``, ``train_accuracy``, …."""
        h = self.history
        return {name: float(getattr(h, name)[-1]) for name in History.COLUMNS}

    # -- stepping --------------------------------------------------------------------------
    def _evaluate(self, params: NDArray[np.float64]) -> NDArray[np.float64]:
        """Losses and accuracies at many parameter vectors (M, P) → (4, M)."""
        out = np.empty((4, params.shape[0]))
        for row, a, y in ((0, self._a_train, self._y_train), (1, self._a_test, self._y_test)):
            # p = Σ_j θ_j·A_j term by term, not a matrix product: the rounding is then the
            # same however the steps were grouped, so a rerun is identical to the last bit
            pred = np.multiply.outer(params[:, 0], a[:, 0])  # (M, N)
            for j in range(1, a.shape[1]):
                pred += np.multiply.outer(params[:, j], a[:, j])
            out[row + 2] = np.mean((pred > THRESHOLD) == (y > THRESHOLD), axis=1)
            pred -= y
            np.square(pred, out=pred)
            out[row] = 0.5 * np.mean(pred, axis=1)
        return out

    def _snapshot(self) -> dict[str, Any]:
        return {
            "params": self._params.copy(),
            "optimizer": self.optimizer.get_state(),
            "rng": self._rng.bit_generator.state,
            "order": self._order.copy(),
            "position": self._position,
        }

    def _restore(self, snap: dict[str, Any]) -> None:
        self._params[:] = snap["params"]
        self.optimizer.set_state(snap["optimizer"])
        self._rng.bit_generator.state = snap["rng"]
        self._order[:] = snap["order"]
        self._position = snap["position"]

    def _run(self, out: NDArray[np.float64]) -> None:
        """The hot loop: ``len(out)`` updates, the parameters after each written to ``out``."""
        theta, grad, update = self._params, self._grad, self.optimizer.update
        formula = self.gradient_formula
        if formula == "notebook" or (formula == "no_chain_rule" and self.batch_size is None):
            constant = self._notebook if formula == "notebook" else self._column_means
            for row in out:
                grad[:] = constant  # the optimizer may not keep it: copy every step
                update(theta, grad)
                row[:] = theta
            return
        if self.batch_size is None:
            h, g = self.quadratic.hessian, self.quadratic.linear
            for row in out:
                np.dot(h, theta, out=grad)  # ∇L = Hθ − g
                grad -= g
                update(theta, grad)
                row[:] = theta
            return
        a, y, size, n = self._a_train, self._y_train, self.batch_size, self._a_train.shape[0]
        for row in out:
            if self._position >= n:
                self._order = self._rng.permutation(n)
                self._position = 0
            batch = self._order[self._position : self._position + size]
            self._position += size
            a_batch = a[batch]
            if formula == "no_chain_rule":
                np.mean(a_batch, axis=0, out=grad)  # ∂p/∂θ only: the (p − y) is missing
            else:
                residual = a_batch @ theta - y[batch]
                np.dot(residual, a_batch, out=grad)  # Aᵀ(p − y)/B
                grad /= batch.size
            update(theta, grad)
            row[:] = theta

    def step(self, n: int = 1) -> int:
        """Make up to ``n`` updates; returns how many were made (fewer if the run diverged).

        Each update is recorded in :attr:`history`. A diverged trainer makes no
        update (returns 0) until it is reset or given new settings.
        """
        n = check_positive_int(n, "the number of steps", minimum=0)
        done = 0
        with np.errstate(all="ignore"):
            while done < n and self._diverged_at is None:
                m = min(n - done, self._CHUNK)
                snap = self._snapshot()
                block = self._buffer[:m]
                self._run(block)
                values = self._evaluate(block)
                limit = self.explode_factor * max(self._start_loss, 1.0)
                bad = ~np.isfinite(values[:2]).all(axis=0) | ~(values[0] <= limit)
                if bad.any():
                    m = int(np.argmax(bad))
                    self._restore(snap)
                    self._run(block[:m])  # replay up to the last finite state
                    self._diverged_at = self.step_count + m + 1
                steps = np.arange(self.step_count + 1, self.step_count + m + 1)
                self.history.append(steps, block[:m], values[:, :m])
                self.step_count += m
                done += m
        return done
