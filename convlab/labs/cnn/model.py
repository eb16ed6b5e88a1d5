"""The CNN Training lab's state model: the network, the training settings, the digit shown.

:class:`CNNState` is an evented, validated dataclass (:class:`convlab.state.LabState`):
every field has a change signal, ``state.events.<field>``, and a
``validate_<field>`` check that runs before a value is stored, so the model
never holds a network that cannot be built or a setting the trainer refuses.
No Qt here.

The network is a list of *blocks* — ``Conv2D → [ReLU] → [pooling]`` — then
``Flatten → Dense(…, 10)``, the shape of every network of the issue. Each block
is a small dict (:data:`BLOCK_KEYS`); :func:`architecture` turns the blocks into
the core's architecture description (:func:`convlab.core.build_network`),
:func:`layer_rows` describes every layer with its output shape and parameter
count, and both raise ``ValueError`` with a student-readable reason (``"block
2: kernel 5 does not fit a 4×4 input"``) for an impossible network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from psygnal import evented

import convlab.core as cc
from convlab.core.validation import check_choice
from convlab.state import LabState, check_bool, check_drawing, check_int, check_number

__all__ = [
    "BLOCK_KEYS",
    "DIGIT_SIDE",
    "INITS",
    "LESSONS",
    "MAX_BLOCKS",
    "MAX_PARAMS",
    "OPTIMIZERS",
    "POOLS",
    "PRESETS",
    "CNNState",
    "LayerRow",
    "architecture",
    "block",
    "check_network",
    "layer_rows",
    "preset_network",
    "preset_of",
]

DIGIT_SIDE = 28
N_CLASSES = 10
#: Most blocks the editor offers, and the largest network the lab trains (parameters).
MAX_BLOCKS = 4
MAX_PARAMS = 250_000
#: Limits of each block setting: (smallest, largest).
LIMITS = {"filters": (1, 32), "kernel_size": (1, 9), "stride": (1, 4), "padding": (0, 4),
          "pool_size": (2, 4)}
POOLS = {"max": "max pooling", "avg": "average pooling", "none": "no pooling"}
BLOCK_KEYS = ("filters", "kernel_size", "stride", "padding", "relu", "pool", "pool_size")
#: How the first layer starts: the notebook's detectors or a seeded random (He) start.
INITS = {"line_detectors": "the four line detectors", "he": "random (He, seeded)"}
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD + momentum", "nesterov": "Nesterov",
              "adam": "Adam"}
SPLITS = {"test": "test set", "train": "training set"}
DIGIT_SOURCES = ("dataset", "drawing")


def block(filters: int, kernel_size: int, stride: int = 1, padding: int = 0, relu: bool = True,
          pool: str = "max", pool_size: int = 2) -> dict[str, Any]:
    """One block's settings as the model stores them."""
    return {"filters": filters, "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "relu": relu, "pool": pool, "pool_size": pool_size}


_A = [block(4, 3)]
_B = [block(8, 5, padding=2), block(16, 5, padding=2, pool_size=3)]

#: The issue's networks: (title, blocks, first layer's init, first layer frozen).
PRESETS: dict[str, tuple[str, list[dict[str, Any]], str, bool]] = {
    "A-frozen": ("The notebook's detectors, frozen + a linear classifier", _A,
                 "line_detectors", True),
    "A-detectors": ("The notebook's detectors as a start, trainable", _A, "line_detectors",
                    False),
    "A-random": ("Random start, 4 filters 3×3 (same shape)", _A, "he", False),
    "B": ("ConvNetJS's MNIST network (2 conv blocks)", _B, "he", False),
}

#: What to look for with each preset (shown under the network, not only as a tooltip).
LESSONS: dict[str, str] = {
    "A-frozen": (
        "Only the classifier learns: the four kernels stay the notebook's line detectors. "
        "After one epoch of the full MNIST set this reaches about <b>94.7 %</b> on the test "
        "digits — four hand-made kernels and a linear classifier. Watch the kernels: they "
        "never move, their distance to the nearest detector stays 0."),
    "A-detectors": (
        "The same network, but the detectors may learn from there. One epoch of the full "
        "set gives about <b>95.6 %</b>, better than frozen (94.7 %). Do the learned kernels "
        "still look like lines? Watch each kernel's distance to the nearest detector grow "
        "from 0."),
    "A-random": (
        "Four 3×3 kernels learned from a random start. One epoch of the full set reaches "
        "about <b>91.1 %</b> — <i>worse</i> than the four hand-made detectors frozen "
        "(94.7 %). Do any of the learned kernels become line detectors (a small distance)?"),
    "B": (
        "ConvNetJS's MNIST network: 8 kernels 5×5, then 16 more on their outputs. It learns "
        "everything from a random start and beats the detectors (about 97 % after one epoch "
        "of the full set), but its kernels are harder to read. Compare its feature maps with "
        "network A's."),
    "custom": (
        "Your own network. Try fewer or more filters, a larger kernel, stride 2 instead of "
        "pooling, or no ReLU — and compare the test accuracy with the presets' after the "
        "same number of epochs."),
}


# -- blocks → architecture -------------------------------------------------------------------
def _check_block(index: int, value: Any) -> dict[str, Any]:
    where = f"block {index + 1}"
    if not isinstance(value, dict) or set(value) != set(BLOCK_KEYS):
        raise ValueError(f"{where} must have the settings {', '.join(BLOCK_KEYS)}")
    out = dict(value)
    for key, (low, high) in LIMITS.items():
        if isinstance(value[key], float):
            raise ValueError(f"{where}: {key} must be a whole number, got {value[key]!r}")
        out[key] = check_int(value[key], f"{where}: {key.replace('_', ' ')}", low, high)
    out["relu"] = check_bool(value["relu"], f"{where}: relu")
    out["pool"] = check_choice(value["pool"], f"{where}: pool", tuple(POOLS))
    return out


@dataclass(frozen=True)
class LayerRow:
    """One layer as the editor lists it."""

    block: int  # 1-based block number (0: the classifier)
    text: str
    shape: tuple[int, ...]
    n_params: int

    @property
    def shape_text(self) -> str:
        return "×".join(map(str, self.shape))


def _rows(blocks: list[dict[str, Any]]) -> list[LayerRow]:
    """Every layer with its output shape (ValueError naming the block that does not fit)."""
    rows: list[LayerRow] = []
    channels, size = 1, DIGIT_SIDE
    for i, b in enumerate(blocks):
        where = f"block {i + 1}"
        k, s, p = b["kernel_size"], b["stride"], b["padding"]
        try:
            size = cc.conv_output_size(size, k, s, p)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        n = b["filters"] * (channels * k * k + 1)
        extra = "".join(f", {name}={v}" for name, v in (("stride", s), ("padding", p)) if v
                        and not (name == "stride" and v == 1))
        rows.append(LayerRow(i + 1, f"Conv2D({channels}, {b['filters']}, {k}{extra})",
                             (b["filters"], size, size), n))
        channels = b["filters"]
        if b["relu"]:
            rows.append(LayerRow(i + 1, "ReLU", (channels, size, size), 0))
        if b["pool"] != "none":
            q = b["pool_size"]
            try:
                size = cc.pool_output_size(size, q, q)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            title = "MaxPool2D" if b["pool"] == "max" else "AvgPool2D"
            rows.append(LayerRow(i + 1, f"{title}({q})", (channels, size, size), 0))
    features = channels * size * size
    rows.append(LayerRow(0, "Flatten", (features,), 0))
    rows.append(LayerRow(0, f"Dense({features}, {N_CLASSES})", (N_CLASSES,),
                         (features + 1) * N_CLASSES))
    return rows


def layer_rows(blocks: Any, first_init: str = "he") -> list[LayerRow]:
    """Each layer of the network the blocks describe: text, output shape, parameters.

    Raises
    ------
    ValueError
        For blocks the lab cannot build (a setting out of range, a kernel or pooling
        window that does not fit, too many parameters, detectors on the wrong shape),
        saying which block and why.
    """
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_BLOCKS:
        raise ValueError(f"the network needs 1 to {MAX_BLOCKS} blocks")
    checked = [_check_block(i, b) for i, b in enumerate(blocks)]
    rows = _rows(checked)
    total = sum(r.n_params for r in rows)
    if total > MAX_PARAMS:
        raise ValueError(f"{total:,} parameters: the lab trains networks of up to "
                         f"{MAX_PARAMS:,} (fewer filters, or pooling, make it smaller)")
    first = checked[0]
    if first_init == "line_detectors" and (first["filters"], first["kernel_size"]) != (4, 3):
        raise ValueError("the line detectors are four 3×3 kernels: block 1 needs 4 filters "
                         "of size 3 (or start the first layer at random)")
    return rows


def architecture(network: dict[str, Any]) -> dict[str, Any]:
    """The core's architecture description of a ``network`` (validated by the core too)."""
    blocks, first_init = network["blocks"], network["first_init"]
    first_frozen = network["first_frozen"]
    rows = layer_rows(blocks, first_init)
    layers: list[dict[str, Any]] = []
    channels = 1
    for i, b in enumerate(blocks):
        layers.append({"type": "conv2d", "in_channels": channels, "out_channels": b["filters"],
                       "kernel_size": b["kernel_size"], "stride": b["stride"],
                       "padding": b["padding"], "init": first_init if i == 0 else "he",
                       "frozen": bool(first_frozen) if i == 0 else False})
        channels = b["filters"]
        if b["relu"]:
            layers.append({"type": "relu"})
        if b["pool"] != "none":
            layers.append({"type": f"{b['pool']}pool2d", "size": b["pool_size"],
                           "stride": b["pool_size"]})
    layers.append({"type": "flatten"})
    layers.append({"type": "dense", "in_features": rows[-2].shape[0],
                   "out_features": N_CLASSES, "init": "he", "frozen": False})
    return cc.check_architecture({"input_shape": [1, DIGIT_SIDE, DIGIT_SIDE],
                                  "layers": layers})


def preset_of(network: dict[str, Any]) -> str:
    """The preset a ``network`` is (``"custom"`` if none)."""
    for name in PRESETS:
        if network == preset_network(name):
            return name
    return "custom"


def _blank_drawing() -> list[list[float]]:
    return np.zeros((DIGIT_SIDE, DIGIT_SIDE)).tolist()


def preset_network(name: str) -> dict[str, Any]:
    """The ``network`` value of preset ``name`` (a fresh copy)."""
    _title, blocks, init, frozen = PRESETS[check_choice(name, "preset", tuple(PRESETS))]
    return {"blocks": [dict(b) for b in blocks], "first_init": init, "first_frozen": frozen}


def check_network(value: Any) -> dict[str, Any]:
    """``value`` checked as a ``network`` (blocks, first layer's start, frozen); a copy.

    Raises
    ------
    ValueError
        Saying which block does not fit and why (see :func:`layer_rows`).
    """
    keys = ("blocks", "first_init", "first_frozen")
    if not isinstance(value, dict) or set(value) != set(keys):
        raise ValueError(f"network must have the entries {', '.join(keys)}")
    init = check_choice(value["first_init"], "first layer's start", tuple(INITS))
    frozen = check_bool(value["first_frozen"], "frozen first layer")
    layer_rows(value["blocks"], init)
    return {"blocks": [_check_block(i, b) for i, b in enumerate(value["blocks"])],
            "first_init": init, "first_frozen": frozen}


@evented
@dataclass
class CNNState(LabState):
    """Everything the lab's settings hold, as JSON-safe values.

    ``network`` describes the network: ``blocks`` (see the module docstring),
    ``first_init`` (how the first layer starts) and ``first_frozen`` (whether it
    learns); one field, so an edit is checked as a whole. The training settings are
    those of :class:`convlab.core.CNNTrainer`, ``epochs`` how far Train goes.
    ``split`` and ``index`` name the digit whose feature maps are shown (or the
    ``drawing``, a 28×28 list in [0, 1], when ``digit_source`` is ``"drawing"``).
    """

    label = "CNN Training lab"

    network: dict[str, Any] = field(default_factory=lambda: preset_network("A-detectors"))
    optimizer: str = "sgd"
    learning_rate: float = 0.05
    momentum: float = 0.9
    batch_size: int = 64
    epochs: int = 5
    seed: int = 0
    split: str = "test"
    index: int = 0
    digit_source: str = "dataset"
    drawing: list[list[float]] = field(default_factory=_blank_drawing)

    # -- per-field checks ----------------------------------------------------------------------
    def validate_network(self, value: Any) -> dict[str, Any]:
        return check_network(value)

    def validate_optimizer(self, value: Any) -> str:
        return check_choice(value, "optimizer", tuple(OPTIMIZERS))

    def validate_learning_rate(self, value: Any) -> float:
        rate = check_number(value, "learning rate", 0.0, 10.0)
        if rate <= 0:
            raise ValueError("learning rate must be more than 0")
        return rate

    def validate_momentum(self, value: Any) -> float:
        return check_number(value, "momentum", 0.0, 0.999)

    def validate_batch_size(self, value: Any) -> int:
        return check_int(value, "batch size", 1, 1024)

    def validate_epochs(self, value: Any) -> int:
        return check_int(value, "epochs", 1, 100)

    def validate_seed(self, value: Any) -> int:
        return check_int(value, "seed", 0, 2**31 - 1)

    def validate_split(self, value: Any) -> str:
        return check_choice(value, "split", tuple(SPLITS))

    def validate_index(self, value: Any) -> int:
        if not isinstance(value, int):
            raise ValueError(f"digit index must be a whole number, got {value!r:.80}")
        return check_int(value, "digit index", 0, 2**31 - 1)

    def validate_digit_source(self, value: Any) -> str:
        return check_choice(value, "digit source", DIGIT_SOURCES)

    def validate_drawing(self, value: Any) -> list[list[float]]:
        return check_drawing(value, "drawing", DIGIT_SIDE)

    # -- derived values ------------------------------------------------------------------------
    @property
    def preset(self) -> str:
        """The preset the network is (``"custom"`` after an edit no preset matches)."""
        return preset_of(self.network)

    def architecture(self) -> dict[str, Any]:
        """The network as the core builds it (:func:`convlab.core.build_network`)."""
        return architecture(self.network)

    def use_preset(self, name: str) -> None:
        """Switch to preset ``name`` (the network only; the training settings stay)."""
        self.network = preset_network(name)

    def trainer_options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`convlab.core.CNNTrainer` for these settings."""
        options: dict[str, Any] = {"batch_size": self.batch_size, "optimizer": self.optimizer,
                                   "learning_rate": self.learning_rate, "seed": self.seed}
        if self.optimizer in ("momentum", "nesterov"):
            options["momentum"] = self.momentum
        return options
