"""The network: a Sequential stack of layers, its JSON-safe description, and presets.

An architecture is described by plain JSON values, so a session can store it
and an editor can change it::

    {"input_shape": [1, 28, 28],
     "layers": [{"type": "conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3,
                 "init": "line_detectors", "frozen": true},
                {"type": "relu"},
                {"type": "maxpool2d", "size": 2},
                {"type": "flatten"},
                {"type": "dense", "in_features": 676, "out_features": 10}]}

:func:`check_architecture` validates one, with messages a student can act on
(``"layer 3: kernel 5 does not fit a 4×4 input"``; layers are numbered from
0, like the parameter names ``"0.weight"``), :func:`build_network` builds
it with seeded weights, and :data:`CNN_PRESETS` holds the issue's networks A
(the notebook's line detectors: frozen, trainable, or a random start) and B
(ConvNetJS's MNIST network).

Examples
--------
>>> net = build_network(CNN_PRESETS["A-frozen"])
>>> [info.output_shape for info in net.describe()]
[(4, 26, 26), (4, 26, 26), (4, 13, 13), (676,), (10,)]
>>> net.n_params, sorted(net.params)
(6810, ['0.bias', '0.weight', '4.bias', '4.weight'])
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..threads import single_threaded_blas
from .init import INITIALISATIONS, check_line_detector_layer, initialise
from .layers import AvgPool2D, Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU

__all__ = [
    "CNN_PRESETS",
    "LAYER_TYPES",
    "ArchitectureError",
    "LayerInfo",
    "Sequential",
    "build_network",
    "check_architecture",
    "network_a",
    "network_b",
    "prepare_images",
]

Shape = tuple[int, ...]


class ArchitectureError(ValueError):
    """An architecture description that cannot be built; the message names the layer."""


#: Layer types by their name in an architecture description.
LAYER_TYPES: Mapping[str, type[Layer]] = MappingProxyType(
    {cls.kind: cls for cls in (Conv2D, ReLU, MaxPool2D, AvgPool2D, Flatten, Dense)}
)

#: Options of each layer type: required ones map to ``None``, optional ones to their default.
_OPTIONS: dict[str, dict[str, Any]] = {
    "conv2d": {"in_channels": None, "out_channels": None, "kernel_size": None, "stride": 1,
               "padding": 0, "init": "he", "frozen": False},
    "dense": {"in_features": None, "out_features": None, "init": "he", "frozen": False},
    "maxpool2d": {"size": None, "stride": None},
    "avgpool2d": {"size": None, "stride": None},
    "relu": {},
    "flatten": {},
}
_CONSTRUCTOR_ARGS = {"conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding"),
                     "dense": ("in_features", "out_features"),
                     "maxpool2d": ("size", "stride"), "avgpool2d": ("size", "stride"),
                     "relu": (), "flatten": ()}


# -- the description ---------------------------------------------------------------------------
def _shape(value: Any, name: str) -> Shape:
    if (not isinstance(value, (list, tuple)) or len(value) not in (1, 3)
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
                   for v in value)):
        raise ArchitectureError(f"{name} must be [channels, height, width] (whole numbers "
                                f"≥ 1), got {value!r}")
    return tuple(int(v) for v in value)


def _layer_from_entry(index: int, entry: Any, dtype: Any) -> Layer:
    where = f"layer {index}"
    if not isinstance(entry, Mapping):
        raise ArchitectureError(f"{where}: must be an object with a 'type', got {entry!r:.60}")
    kind = entry.get("type")
    if kind not in LAYER_TYPES:
        raise ArchitectureError(f"{where}: unknown layer type {kind!r}; choose from "
                                f"{', '.join(LAYER_TYPES)}")
    options = _OPTIONS[kind]
    unknown = sorted(set(entry) - set(options) - {"type"})
    if unknown:
        raise ArchitectureError(f"{where}: {kind} has no option {', '.join(map(repr, unknown))}"
                                f"; it knows {', '.join(options) or 'none'}")
    missing = [k for k, default in options.items() if default is None and k not in entry
               and not (k == "stride" and kind.endswith("pool2d"))]
    if missing:
        raise ArchitectureError(f"{where}: {kind} needs {', '.join(missing)}")
    args = [entry.get(k, options[k]) for k in _CONSTRUCTOR_ARGS[kind]]
    try:
        layer = LAYER_TYPES[kind](*args, **({"dtype": dtype} if kind in ("conv2d", "dense")
                                            else {}))
    except ValueError as exc:
        raise ArchitectureError(f"{where}: {exc}") from None
    if "frozen" in options:
        frozen = entry.get("frozen", False)
        if not isinstance(frozen, bool):
            raise ArchitectureError(f"{where}: frozen must be true or false, got {frozen!r}")
        init = entry.get("init", "he")
        if init not in INITIALISATIONS:
            raise ArchitectureError(f"{where}: unknown init {init!r}; choose from "
                                    f"{', '.join(INITIALISATIONS)}")
        if init == "line_detectors":
            try:
                check_line_detector_layer(layer)
            except ValueError as exc:
                raise ArchitectureError(f"{where}: {exc}") from None
        layer.frozen = frozen
        layer.init = init  # type: ignore[attr-defined]
    return layer


def _layers_from_spec(spec: Any, dtype: Any = np.float32) -> tuple[Shape, list[Layer]]:
    if not isinstance(spec, Mapping):
        raise ArchitectureError("an architecture is an object with 'input_shape' and 'layers'")
    unknown = sorted(set(spec) - {"input_shape", "layers"})
    if unknown:
        raise ArchitectureError(f"an architecture has no entry {', '.join(map(repr, unknown))}")
    input_shape = _shape(spec.get("input_shape", [1, 28, 28]), "input_shape")
    entries = spec.get("layers")
    if not isinstance(entries, (list, tuple)) or not entries:
        raise ArchitectureError("an architecture needs a non-empty list of layers")
    layers = [_layer_from_entry(i, e, dtype) for i, e in enumerate(entries)]
    _output_shapes(layers, input_shape)
    return input_shape, layers


def _output_shapes(layers: Sequence[Layer], input_shape: Shape) -> list[Shape]:
    shapes, shape = [], input_shape
    for i, layer in enumerate(layers):
        try:
            shape = layer.output_shape(shape)
        except ValueError as exc:
            raise ArchitectureError(f"layer {i}: {exc}") from None
        shapes.append(shape)
    return shapes


def check_architecture(spec: Any) -> dict[str, Any]:
    """Validate an architecture description; return it with every default filled in.

    Raises
    ------
    ArchitectureError
        (a ValueError) naming the first layer that cannot be built and why, e.g.
        ``"layer 3: kernel 5 does not fit a 4×4 input"``.

    Examples
    --------
    >>> check_architecture({"layers": [{"type": "maxpool2d", "size": 2}]})["layers"]
    [{'type': 'maxpool2d', 'size': 2, 'stride': 2}]
    >>> check_architecture({"input_shape": [1, 4, 4],
    ...                     "layers": [{"type": "conv2d", "in_channels": 1,
    ...                                 "out_channels": 2, "kernel_size": 5}]})
    Traceback (most recent call last):
    ...
    convlab.core.cnn.model.ArchitectureError: layer 0: kernel 5 does not fit a 4×4 input
    """
    input_shape, layers = _layers_from_spec(spec)
    return Sequential(layers, input_shape).spec()


def build_network(spec: Any, seed: int | None = 0, dtype: Any = np.float32) -> Sequential:
    """Build (and initialise, seeded) the network an architecture describes.

    Parameters
    ----------
    spec : dict
        See the module docstring; validated by :func:`check_architecture`.
    seed : int or None
        Seeds the He initialisation: the same seed gives the same weights.
    dtype : np.float32 (default) or np.float64

    Raises
    ------
    ArchitectureError
    """
    input_shape, layers = _layers_from_spec(spec, dtype)
    model = Sequential(layers, input_shape)
    model.initialise(seed)
    return model


# -- the model ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerInfo:
    """One row of :meth:`Sequential.describe` (what an architecture editor shows)."""

    index: int
    text: str
    output_shape: Shape
    n_params: int
    frozen: bool

    @property
    def shape_text(self) -> str:
        return "×".join(map(str, self.output_shape))


_local = threading.local()


@contextmanager
def _pinned_blas() -> Iterator[None]:
    """:func:`single_threaded_blas`, entered once however deeply the calls nest."""
    if getattr(_local, "depth", 0):
        _local.depth += 1
        try:
            yield
        finally:
            _local.depth -= 1
        return
    _local.depth = 1
    try:
        with single_threaded_blas():
            yield
    finally:
        _local.depth = 0


def prepare_images(images: ArrayLike, input_shape: Shape = (1, 28, 28),
                   dtype: Any = np.float32) -> NDArray:
    """Digits as the network's input ``(N, C, H, W)``: uint8 ÷ 255, floats as they are.

    Parameters
    ----------
    images : (N, H, W) or (N, C, H, W) array, or one (H, W) digit
        Integer pixels 0…255 (MNIST's uint8) are divided by 255; float pixels
        are taken as they are (the notebook's digits are in [0, 1]).
    input_shape : (C, H, W) the network expects
    """
    x = np.asarray(images)
    dtype = np.dtype(dtype)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"images must be numbers, got an array of {x.dtype}")
    c, h, w = input_shape if len(input_shape) == 3 else (0, 0, 0)
    if x.ndim == 2 and c == 1:
        x = x[None]
    if x.ndim == 3 and c == 1:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1:] != tuple(input_shape) or x.shape[0] == 0:
        raise ValueError(f"the network takes images of {c}×{h}×{w} (N, C, H, W), got an array "
                         f"of shape {np.shape(images)}")
    if x.dtype.kind in "biu":
        return np.divide(x, dtype.type(255), dtype=dtype)
    x = x.astype(dtype, copy=False)
    if not np.isfinite(x).all():
        raise ValueError("images contain NaN or infinity")
    return x


class Sequential:
    """Layers applied one after another, with parameters reachable by name.

    Parameters
    ----------
    layers : sequence of :class:`~convlab.core.cnn.layers.Layer`
    input_shape : (C, H, W)
        One example's shape (MNIST: ``(1, 28, 28)``).

    Attributes
    ----------
    params, grads : dict name → array
        ``"{index}.weight"`` and ``"{index}.bias"`` of each layer with
        parameters, as in a PyTorch ``state_dict``. They are the layers' own
        arrays: writing into them changes the model.

    Notes
    -----
    The public layout is PyTorch's ``(N, C, H, W)``; inside, images are
    channel-major (see :mod:`convlab.core.cnn.layers`). Computation runs in
    the parameters' dtype with BLAS pinned to one thread
    (:func:`convlab.core.single_threaded_blas`).
    """

    def __init__(self, layers: Sequence[Layer], input_shape: Sequence[int] = (1, 28, 28)):
        self.layers: list[Layer] = list(layers)
        if not self.layers:
            raise ArchitectureError("a network needs at least one layer")
        self.input_shape: Shape = _shape(list(input_shape), "input_shape")
        self._shapes = _output_shapes(self.layers, self.input_shape)
        self.params: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}
        for i, layer in enumerate(self.layers):
            for name, value in layer.params.items():
                self.params[f"{i}.{name}"] = value
                self.grads[f"{i}.{name}"] = layer.grads[name]
            if layer.params and not hasattr(layer, "init"):
                layer.init = "he"  # type: ignore[attr-defined]

    # -- description --------------------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (and of the computation)."""
        for value in self.params.values():
            return value.dtype
        return np.dtype(np.float32)

    @property
    def output_shape(self) -> Shape:
        """One example's output shape (``(10,)`` for a digit classifier)."""
        return self._shapes[-1]

    def output_shapes(self) -> list[Shape]:
        """Each layer's per-example output shape."""
        return list(self._shapes)

    @property
    def n_params(self) -> int:
        """Number of parameters, frozen or not."""
        return int(sum(v.size for v in self.params.values()))

    @property
    def n_trainable(self) -> int:
        """Number of parameters in layers that are not frozen."""
        return int(sum(layer.n_params for layer in self.layers if not layer.frozen))

    def describe(self) -> list[LayerInfo]:
        """Index, text (``"Conv2D(1, 4, 3)"``), output shape, parameter count, frozen flag."""
        return [LayerInfo(i, repr(layer), shape, layer.n_params, layer.frozen)
                for i, (layer, shape) in enumerate(zip(self.layers, self._shapes, strict=True))]

    def summary(self) -> str:
        """:meth:`describe` as a small text table."""
        lines = [f"input {'×'.join(map(str, self.input_shape))}"]
        for info in self.describe():
            flag = "  (frozen)" if info.frozen else ""
            lines.append(f"{info.index:>3}  {info.text:<28} → {info.shape_text:<10} "
                         f"{info.n_params:>7,} parameters{flag}")
        lines.append(f"total {self.n_params:,} parameters, {self.n_trainable:,} trainable")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Sequential({', '.join(map(repr, self.layers))})"

    def spec(self) -> dict[str, Any]:
        """The architecture as JSON-safe values (see :func:`build_network`)."""
        layers = []
        for layer in self.layers:
            entry = layer.config()
            if layer.params:
                entry["init"] = getattr(layer, "init", "he")
                entry["frozen"] = bool(layer.frozen)
            layers.append(entry)
        return {"input_shape": list(self.input_shape), "layers": layers}

    def set_frozen(self, index: int, frozen: bool = True) -> None:
        """Freeze (or unfreeze) the parameters of layer ``index``."""
        layer = self.layers[index]
        if not layer.params:
            raise ValueError(f"layer {index} ({layer!r}) has no parameters to freeze")
        layer.frozen = bool(frozen)

    # -- parameters ---------------------------------------------------------------------------
    def initialise(self, seed: int | None = 0) -> None:
        """Re-initialise every parameter layer with its ``init`` method (seeded)."""
        rng = np.random.default_rng(seed)
        for i, layer in enumerate(self.layers):
            if layer.params:
                relu_follows = i + 1 < len(self.layers) and isinstance(self.layers[i + 1], ReLU)
                initialise(layer, getattr(layer, "init", "he"), relu_follows, rng)
                for g in layer.grads.values():
                    g[...] = 0

    def get_params(self) -> dict[str, NDArray]:
        """Copies of every parameter array."""
        return {name: value.copy() for name, value in self.params.items()}

    def set_params(self, values: Mapping[str, ArrayLike]) -> None:
        """Overwrite parameters by name (shapes must match; others are left alone)."""
        for name, value in values.items():
            if name not in self.params:
                raise KeyError(f"the network has no parameter {name!r}; it has "
                               f"{', '.join(self.params)}")
            arr = np.asarray(value)
            if arr.shape != self.params[name].shape:
                raise ValueError(f"{name} must have shape {self.params[name].shape}, got "
                                 f"{arr.shape}")
            if arr.dtype.kind not in "biuf" or not np.isfinite(arr).all():
                raise ValueError(f"{name} must be finite numbers")
            self.params[name][...] = arr

    def copy(self, dtype: Any = None) -> Sequential:
        """An independent copy (optionally in another dtype, e.g. float64 for checks)."""
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        layers = []
        for layer in self.layers:
            clone = copy.copy(layer)
            clone.params = {k: v.astype(dtype, copy=True) for k, v in layer.params.items()}
            clone.grads = {k: np.zeros_like(v) for k, v in clone.params.items()}
            clone.release()
            layers.append(clone)
        return Sequential(layers, self.input_shape)

    def release(self) -> None:
        """Free every layer's buffers (they come back on the next pass)."""
        for layer in self.layers:
            layer.release()

    # -- computation --------------------------------------------------------------------------
    def _first_trained(self) -> int:
        """Index of the first layer whose parameters train (len(layers) if none)."""
        for i, layer in enumerate(self.layers):
            if layer.params and not layer.frozen:
                return i
        return len(self.layers)

    def _check_input(self, x: ArrayLike) -> NDArray:
        arr = np.asarray(x)
        if arr.dtype.kind != "f":
            raise ValueError(f"forward takes float images (N, C, H, W), got {arr.dtype}: "
                             "scale digits to [0, 1] first (cc.prepare_images)")
        if arr.ndim != 4 or arr.shape[1:] != self.input_shape or arr.shape[0] == 0:
            raise ValueError(f"the network takes images of {'×'.join(map(str, self.input_shape))}"
                             f" as (N, C, H, W), got shape {arr.shape}")
        return arr.astype(self.dtype, copy=False)

    def _crop(self, i: int) -> tuple[int, int] | None:
        """The output rows and columns of Conv2D ``i`` that are read, if a pooling after it
        (and its ReLUs) drops the last ones (floor mode), else None."""
        j = i + 1
        while j < len(self.layers) and isinstance(self.layers[j], ReLU):
            j += 1
        pool = self.layers[j] if j < len(self.layers) else None
        if not isinstance(pool, (MaxPool2D, AvgPool2D)):
            return None
        _, oh, ow = self._shapes[i]
        _, ph, pw = self._shapes[j]
        used = ((ph - 1) * pool.stride + pool.size, (pw - 1) * pool.stride + pool.size)
        return used if used != (oh, ow) else None

    def _run(self, x: NDArray, train: bool, keep: bool = False
             ) -> tuple[NDArray, list[NDArray]]:
        """Forward pass of an (N, C, H, W) array in the model's dtype (no checks).

        Without ``keep``, a ReLU before a MaxPool2D is applied by the pooling, and a
        Conv2D before a pooling that drops its last rows or columns does not compute
        them (both exact: the gradients are the same, up to the order of sums).
        """
        a = x.transpose(1, 0, 2, 3)  # channel-major inside
        first = self._first_trained() if train else len(self.layers)
        kept = []
        layers = self.layers
        for i, layer in enumerate(layers):
            if not keep and isinstance(layer, ReLU) and i + 1 < len(layers) \
                    and isinstance(layers[i + 1], MaxPool2D):
                a = layer.pass_to_pool(a)  # the pooling applies it to the pooled values
                continue
            if isinstance(layer, MaxPool2D):
                fused = i > 0 and isinstance(layers[i - 1], ReLU) and layers[i - 1]._fused
                a = layer.forward(a, train=i >= first, relu=fused)
            elif isinstance(layer, Conv2D) and not keep:
                a = layer.forward(a, train=i >= first, crop=self._crop(i))
            else:
                # a ReLU may overwrite its input unless it is the caller's array or a ReLU's
                inplace = i > 0 and not isinstance(layers[i - 1], ReLU)
                a = layer.forward(a, train=i >= first, inplace=inplace)
            if keep:
                kept.append(a.transpose(1, 0, 2, 3).copy() if a.ndim == 4 else a.copy())
        if train:
            self._trained_from = first
        return a, kept

    def forward(self, x: ArrayLike, keep: bool = False
                ) -> NDArray | tuple[NDArray, list[NDArray]]:
        """The network's output for a batch, ready for :meth:`backward`.

        Parameters
        ----------
        x : (N, C, H, W) float array
        keep : bool
            Also return every layer's output (copies; images as ``(N, C, H, W)``,
            features as ``(N, F)``) — for drawing what one digit looks like
            inside the network.

        Returns
        -------
        out : (N, K) array (a copy), or ``(out, outputs)`` with ``keep=True``
        """
        x = self._check_input(x)
        with _pinned_blas():
            out, kept = self._run(x, train=True, keep=keep)
        out = out.transpose(1, 0, 2, 3).copy() if out.ndim == 4 else out.copy()
        return (out, kept) if keep else out

    def backward(self, dout: ArrayLike) -> None:
        """Gradients of every trainable parameter into :attr:`grads`, given ``∂L/∂out``.

        Uses what the last :meth:`forward` (or training step) kept. Layers
        before the first trainable one are skipped (no gradient flows to the
        input); frozen layers' gradients are left unchanged.
        """
        first = getattr(self, "_trained_from", None)
        if first is None:
            raise RuntimeError("call forward before backward")
        d = np.ascontiguousarray(dout, dtype=self.dtype)
        with _pinned_blas():
            self._backward(d, first)

    def _backward(self, d: NDArray, first: int) -> None:
        for i in range(len(self.layers) - 1, first - 1, -1):
            d = self.layers[i].backward(d, need_dx=i > first)

    def predict_logits(self, images: ArrayLike, batch_size: int = 256) -> NDArray:
        """Outputs for many digits, in blocks (no state kept for backward).

        Parameters
        ----------
        images : (N, H, W) or (N, C, H, W); uint8 pixels are divided by 255
        batch_size : int
            Digits per block (bounds the memory of the im2col buffers).

        Returns
        -------
        (N, K) array
        """
        x = prepare_images(images, self.input_shape, self.dtype)
        out = np.empty((x.shape[0], *self.output_shape), self.dtype)
        with _pinned_blas():
            for start in range(0, x.shape[0], batch_size):
                block = self._run(x[start : start + batch_size], train=False)[0]
                out[start : start + batch_size] = (block.transpose(1, 0, 2, 3)
                                                   if block.ndim == 4 else block)
        return out

    def predict(self, images: ArrayLike, batch_size: int = 256) -> NDArray[np.intp]:
        """The predicted class (the largest output) of each digit, shape ``(N,)``."""
        return np.argmax(self.predict_logits(images, batch_size), axis=1)

    def probabilities(self, images: ArrayLike, batch_size: int = 256) -> NDArray:
        """Softmax of the outputs: ``(N, K)``, or ``(K,)`` for one ``(H, W)`` digit."""
        from .losses import softmax

        one = np.ndim(images) == 2
        p = softmax(self.predict_logits(images, batch_size))
        return p[0] if one else p


# -- presets -----------------------------------------------------------------------------------
def network_a(start: str = "detectors-frozen") -> dict[str, Any]:
    """The notebook's detectors as a network: ``Conv2D(1,4,3) → ReLU → MaxPool2D(2) → Flatten →
    Dense(676,10)``.

    Parameters
    ----------
    start : {"detectors-frozen", "detectors", "random"}
        The four line detectors as fixed kernels (only the classifier learns),
        as a trainable start, or a random (He) start.

    Returns
    -------
    dict, the architecture description (build it with :func:`build_network`).
    """
    if start not in ("detectors-frozen", "detectors", "random"):
        raise ValueError(f"start must be 'detectors-frozen', 'detectors' or 'random', "
                         f"got {start!r}")
    conv: dict[str, Any] = {"type": "conv2d", "in_channels": 1, "out_channels": 4,
                            "kernel_size": 3, "stride": 1, "padding": 0,
                            "init": "he" if start == "random" else "line_detectors",
                            "frozen": start == "detectors-frozen"}
    return {"input_shape": [1, 28, 28], "layers": [
        conv, {"type": "relu"}, {"type": "maxpool2d", "size": 2, "stride": 2},
        {"type": "flatten"},
        {"type": "dense", "in_features": 676, "out_features": 10, "init": "he",
         "frozen": False}]}


def network_b() -> dict[str, Any]:
    """ConvNetJS's MNIST network: ``Conv2D(1,8,5,padding=2) → ReLU → MaxPool2D(2) →
    Conv2D(8,16,5,padding=2) → ReLU → MaxPool2D(3) → Flatten → Dense(256,10)``."""
    def conv(i: int, o: int) -> dict[str, Any]:
        return {"type": "conv2d", "in_channels": i, "out_channels": o, "kernel_size": 5,
                "stride": 1, "padding": 2, "init": "he", "frozen": False}

    return {"input_shape": [1, 28, 28], "layers": [
        conv(1, 8), {"type": "relu"}, {"type": "maxpool2d", "size": 2, "stride": 2},
        conv(8, 16), {"type": "relu"}, {"type": "maxpool2d", "size": 3, "stride": 3},
        {"type": "flatten"},
        {"type": "dense", "in_features": 256, "out_features": 10, "init": "he",
         "frozen": False}]}


class _Presets(Mapping):
    """Read-only presets; each lookup returns a fresh copy that the caller may edit."""

    def __init__(self, specs: dict[str, dict[str, Any]]):
        self._specs = specs

    def __getitem__(self, name: str) -> dict[str, Any]:
        return copy.deepcopy(self._specs[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


#: The issue's networks by name (architecture descriptions; build with :func:`build_network`).
CNN_PRESETS: Mapping[str, dict[str, Any]] = _Presets({
    "A-frozen": network_a("detectors-frozen"),
    "A-detectors": network_a("detectors"),
    "A-random": network_a("random"),
    "B": network_b(),
})
