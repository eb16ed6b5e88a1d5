"""Gradient-descent optimizers with one learning rate per parameter.

Every optimizer updates a parameter vector ``θ`` (shape ``(P,)``) *in place*
from the gradient ``g = ∇L(θ)`` of the current step. ``α`` is the vector of
learning rates (the notebook's ``alphas``, one per weight), and all products
are element-wise:

========  ===============================================================
SGD       ``θ ← θ − α·g``
momentum  ``v ← μ·v + g``;  ``θ ← θ − α·v``  (heavy ball)
Nesterov  ``v ← μ·v + g``;  ``θ ← θ − α·(g + μ·v)``
Adam      ``m ← β₁·m + (1−β₁)·g``;  ``s ← β₂·s + (1−β₂)·g²``;
          ``m̂ = m/(1−β₁ᵗ)``, ``ŝ = s/(1−β₂ᵗ)``;  ``θ ← θ − α·m̂/(√ŝ + ε)``
========  ===============================================================

``v``, ``m``, ``s`` start at zero and ``t`` counts the updates from 1. The
Nesterov line is Sutskever's "look ahead" update written, like PyTorch does,
with the gradient at the current point only (Bengio et al., 2013). Keeping
``α`` outside the velocity means a new learning rate acts from the very next
step without rescaling the optimizer's memory.

The updates allocate nothing: they are written for a training loop that runs
hundreds of thousands of small steps per second.

Many arrays
-----------
An optimizer updates one array of any shape and dtype (``n_params`` may be a
shape such as ``(4, 1, 3, 3)``; ``dtype=np.float32`` for a network).
:class:`OptimizerGroup` keeps one optimizer per named array — the parameters
of a convolutional network — with one learning rate and optional weight decay
(``g ← g + λ·θ`` before the update, as PyTorch's ``weight_decay``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .validation import as_finite_array, check_choice

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "OptimizerGroup",
    "make_optimizer",
    "optimizer_options",
]


class Optimizer:
    """Base class: per-parameter learning rates and an in-place :meth:`update`.

    Parameters
    ----------
    n_params : int or tuple of int
        Number of parameters ``P``, or the shape of the array to update.
    learning_rates : float or array_like, shape (P,) (or the array's shape)
        ``α``; a single number is used for every parameter. Must be finite and >= 0.
    dtype : numpy dtype
        Of the parameters (float64 by default; float32 for a network).
    """

    #: Name used by :func:`make_optimizer` and shown in the app.
    name = "sgd"
    #: Hyper-parameters (besides the learning rates) and their defaults.
    defaults: ClassVar[dict[str, float]] = {}

    def __init__(self, n_params: int | tuple[int, ...], learning_rates: ArrayLike = 0.01, *,
                 dtype: Any = np.float64, **options: float):
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise ValueError(
                f"the {self.name} optimizer has no option {', '.join(sorted(unknown))}; "
                f"it knows {', '.join(self.defaults) or 'only learning rates'}"
            )
        if isinstance(n_params, tuple):
            self.shape: tuple[int, ...] = tuple(int(n) for n in n_params)
        else:
            self.shape = (int(n_params),)
        self.n_params = int(np.prod(self.shape))
        self.dtype = np.dtype(dtype)
        self.learning_rates = np.zeros(self.shape, self.dtype)
        self.set_learning_rates(learning_rates)
        self.options: dict[str, float] = {}
        for key, default in self.defaults.items():
            self._set_option(key, options.get(key, default))
        self._work = np.zeros(self.shape, self.dtype)
        self.reset()

    def _zeros(self) -> NDArray:
        return np.zeros(self.shape, self.dtype)

    def set_learning_rates(self, learning_rates: ArrayLike) -> None:
        """Replace ``α`` (used from the next update on; the optimizer's memory is kept)."""
        lr = as_finite_array(learning_rates, "the learning rates", ndims=(0, len(self.shape)))
        lr = np.broadcast_to(lr, self.shape) if lr.ndim == 0 else lr
        if lr.shape != self.shape:
            raise ValueError(
                f"give one learning rate per parameter ({self.n_params}), got {lr.size}"
            )
        if np.any(lr < 0):
            raise ValueError("learning rates must be >= 0 (a negative one climbs the loss)")
        self.learning_rates[:] = lr

    def _set_option(self, key: str, value: float) -> None:
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"{key} must be a finite number, got {value}")
        if key == "eps":
            if value <= 0:
                raise ValueError(f"eps must be > 0, got {value}")
        elif not 0 <= value < 1:
            raise ValueError(f"{key} must be in [0, 1), got {value}")
        self.options[key] = value

    def set_options(self, **options: float) -> None:
        """Change hyper-parameters such as ``momentum`` (from the next update on)."""
        for key, value in options.items():
            if key not in self.defaults:
                raise ValueError(f"the {self.name} optimizer has no option {key!r}")
            self._set_option(key, value)

    def reset(self) -> None:
        """Forget the optimizer's memory (velocity, moments, step count)."""

    def get_state(self) -> dict[str, Any]:
        """A copy of the optimizer's memory, for :meth:`set_state`."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a memory returned by :meth:`get_state`."""

    def update(self, params: NDArray[np.float64], grad: NDArray[np.float64]) -> None:
        """Apply one update to ``params`` (shape ``(P,)`` or :attr:`shape`) in place."""
        work = self._work
        np.multiply(self.learning_rates, grad, out=work)
        params -= work


class SGD(Optimizer):
    """Plain gradient descent: ``θ ← θ − α·g``."""

    name = "sgd"


class Momentum(Optimizer):
    """Heavy-ball momentum: ``v ← μ·v + g``; ``θ ← θ − α·v`` (``μ`` = ``momentum``)."""

    name = "momentum"
    defaults: ClassVar[dict[str, float]] = {"momentum": 0.9}

    def reset(self) -> None:
        self.velocity = self._zeros()

    def get_state(self) -> dict[str, Any]:
        return {"velocity": self.velocity.copy()}

    def set_state(self, state: dict[str, Any]) -> None:
        self.velocity[:] = state["velocity"]

    def update(self, params: NDArray[np.float64], grad: NDArray[np.float64]) -> None:
        v, work = self.velocity, self._work
        v *= self.options["momentum"]
        v += grad
        np.multiply(self.learning_rates, v, out=work)
        params -= work


class Nesterov(Momentum):
    """Nesterov momentum: ``v ← μ·v + g``; ``θ ← θ − α·(g + μ·v)``."""

    name = "nesterov"

    def update(self, params: NDArray[np.float64], grad: NDArray[np.float64]) -> None:
        v, work = self.velocity, self._work
        mu = self.options["momentum"]
        v *= mu
        v += grad
        np.multiply(v, mu, out=work)
        work += grad
        work *= self.learning_rates
        params -= work


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction; see the module docstring."""

    name = "adam"
    defaults: ClassVar[dict[str, float]] = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def reset(self) -> None:
        self.m = self._zeros()
        self.s = self._zeros()
        self.t = 0

    def get_state(self) -> dict[str, Any]:
        return {"m": self.m.copy(), "s": self.s.copy(), "t": self.t}

    def set_state(self, state: dict[str, Any]) -> None:
        self.m[:] = state["m"]
        self.s[:] = state["s"]
        self.t = int(state["t"])

    def update(self, params: NDArray[np.float64], grad: NDArray[np.float64]) -> None:
        opts, m, s, work = self.options, self.m, self.s, self._work
        b1, b2 = opts["beta1"], opts["beta2"]
        self.t += 1
        m *= b1
        np.multiply(grad, 1.0 - b1, out=work)
        m += work
        s *= b2
        np.square(grad, out=work)
        work *= 1.0 - b2
        s += work
        # α·m̂/(√ŝ + ε) with m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ)
        np.sqrt(s, out=work)
        work *= 1.0 / np.sqrt(1.0 - b2**self.t)
        work += opts["eps"]
        np.divide(m, work, out=work)
        work *= self.learning_rates
        work *= 1.0 / (1.0 - b1**self.t)
        params -= work


#: The optimizers by name, in the order the app lists them.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, Nesterov, Adam)
}


def optimizer_options(name: str, settings: Mapping[str, Any]) -> dict[str, float]:
    """The hyper-parameters optimizer ``name`` takes, picked from ``settings``.

    ``settings`` may hold more (a lab's whole state): only the optimizer's own
    options (those in its ``defaults``) that ``settings`` has are returned.

    >>> optimizer_options("adam", {"momentum": 0.5, "beta1": 0.8, "beta2": 0.99})
    {'beta1': 0.8, 'beta2': 0.99}
    >>> optimizer_options("nesterov", {"momentum": 0.5, "beta1": 0.8}), optimizer_options("sgd", {})
    ({'momentum': 0.5}, {})
    """
    check_choice(name, "optimizer", OPTIMIZERS)
    return {key: float(settings[key]) for key in OPTIMIZERS[name].defaults if key in settings}


def make_optimizer(
    name: str, n_params: int | tuple[int, ...], learning_rates: ArrayLike = 0.01, *,
    dtype: Any = np.float64, **options: float
) -> Optimizer:
    """Create the optimizer called ``name`` (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adam"``).

    Examples
    --------
    >>> import numpy as np
    >>> opt = make_optimizer("momentum", 2, learning_rates=[0.1, 0.01], momentum=0.5)
    >>> theta = np.array([1.0, 1.0])
    >>> opt.update(theta, np.array([1.0, 2.0])); theta      # v = g
    array([0.9 , 0.98])
    >>> opt.update(theta, np.array([1.0, 2.0])); theta      # v = 0.5·g + g
    array([0.75, 0.95])
    """
    check_choice(name, "optimizer", OPTIMIZERS)
    return OPTIMIZERS[name](n_params, learning_rates, dtype=dtype, **options)


class OptimizerGroup:
    """One optimizer per named array: the parameters of a network, updated together.

    Parameters
    ----------
    name : str
        ``"sgd"``, ``"momentum"``, ``"nesterov"`` or ``"adam"``.
    arrays : mapping name → array
        The parameters (their shapes and dtypes size the optimizers' memory).
    learning_rate : float
        ``α`` for every parameter.
    weight_decay : float
        ``λ ≥ 0``: the gradient used is ``g + λ·θ`` (L2 regularisation).
    **options
        ``momentum``, ``beta1``, ``beta2``, ``eps`` as for :func:`make_optimizer`.

    Examples
    --------
    >>> w = {"a": np.ones((2, 2), np.float32), "b": np.zeros(3, np.float32)}
    >>> g = {"a": np.full((2, 2), 2, np.float32), "b": np.ones(3, np.float32)}
    >>> group = OptimizerGroup("sgd", w, learning_rate=0.25)
    >>> group.update(w, g, names=["a"]); w["a"].tolist(), w["b"].tolist()
    ([[0.5, 0.5], [0.5, 0.5]], [0.0, 0.0, 0.0])
    """

    def __init__(self, name: str, arrays: Mapping[str, NDArray], learning_rate: float = 0.01,
                 weight_decay: float = 0.0, **options: float):
        check_choice(name, "optimizer", OPTIMIZERS)
        self.name = name
        self.weight_decay = float(weight_decay)
        if not (np.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight decay must be a finite number >= 0, got {weight_decay}")
        self.optimizers: dict[str, Optimizer] = {
            key: make_optimizer(name, tuple(a.shape), learning_rate, dtype=a.dtype, **options)
            for key, a in arrays.items()
        }
        self._decayed = {key: np.zeros_like(a) for key, a in arrays.items()}
        self.learning_rate = float(learning_rate)

    def set_learning_rate(self, learning_rate: float) -> None:
        """A new ``α`` for every array, from the next update (the memory is kept)."""
        for opt in self.optimizers.values():
            opt.set_learning_rates(learning_rate)
        self.learning_rate = float(learning_rate)

    def update(self, params: Mapping[str, NDArray], grads: Mapping[str, NDArray],
               names: Iterable[str] | None = None) -> None:
        """Update ``params[k]`` in place from ``grads[k]`` for each ``k`` in ``names`` (all)."""
        for key in self.optimizers if names is None else names:
            grad = grads[key]
            if self.weight_decay:
                work = self._decayed[key]
                np.multiply(params[key], self.weight_decay, out=work, casting="same_kind")
                work += grad
                grad = work
            self.optimizers[key].update(params[key], grad)

    def reset(self) -> None:
        """Forget every optimizer's memory."""
        for opt in self.optimizers.values():
            opt.reset()

    def get_state(self) -> dict[str, Any]:
        """Copies of every optimizer's memory, for :meth:`set_state`."""
        return {key: opt.get_state() for key, opt in self.optimizers.items()}

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore a memory returned by :meth:`get_state`."""
        for key, opt in self.optimizers.items():
            opt.set_state(state[key])
