"""Seeded initialisation of the network's weights.

* ``"he"`` (default): Kaiming/He normal, ``w ~ N(0, 2 / fan_in)``, for layers
  followed by a ReLU — the variance of the activations then stays about the
  same from layer to layer. A layer *not* followed by a ReLU (the last Dense)
  gets ``N(0, 1 / fan_in)`` (LeCun), so the first logits are of order 1.
  Biases start at zero.
* ``"line_detectors"``: the notebook's four 3×3 line detectors
  (:data:`convlab.core.LINE_DETECTORS`, in its order) as the kernels of a
  ``Conv2D(1, 4, 3)``, biases zero. They are symmetric under a 180° rotation,
  so cross-correlating with them (what Conv2D does) gives exactly the
  notebook's true convolution.

``fan_in`` is ``in_channels·k·k`` for a Conv2D and ``in_features`` for a Dense.
"""

from __future__ import annotations

import numpy as np

from ..detectors import LINE_DETECTORS
from .layers import Conv2D, Dense, Layer

__all__ = ["INITIALISATIONS", "line_detector_bank"]

#: The initialisations a parameter layer can ask for in an architecture description.
INITIALISATIONS = ("he", "line_detectors")


def line_detector_bank() -> np.ndarray:
    """The four line detectors as a Conv2D weight, shape ``(4, 1, 3, 3)`` float64.

    >>> line_detector_bank()[0, 0]
    array([[-1.,  2., -1.],
           [-1.,  2., -1.],
           [-1.,  2., -1.]])
    """
    return np.stack([np.asarray(k, dtype=np.float64) for k in LINE_DETECTORS.values()])[:, None]


def check_line_detector_layer(layer: Layer) -> None:
    """Raise ValueError unless ``layer`` is a ``Conv2D(1, 4, 3)`` (the detectors' shape)."""
    if not (isinstance(layer, Conv2D) and layer.params["weight"].shape == (4, 1, 3, 3)):
        raise ValueError("the line detectors are four 3×3 kernels on one channel: "
                         "use them on a Conv2D(1, 4, 3)")


def initialise(layer: Layer, method: str, relu_follows: bool, rng: np.random.Generator) -> None:
    """Set a parameter layer's weights in place (``method``: one of :data:`INITIALISATIONS`)."""
    if method == "line_detectors":
        check_line_detector_layer(layer)
        layer.params["weight"][...] = line_detector_bank()
        layer.params["bias"][...] = 0
        return
    if method != "he":
        raise ValueError(f"unknown initialisation {method!r}; choose from "
                         f"{', '.join(INITIALISATIONS)}")
    weight = layer.params["weight"]
    if isinstance(layer, Conv2D):
        fan_in = layer.in_channels * layer.kernel_size**2
    elif isinstance(layer, Dense):
        fan_in = layer.in_features
    else:  # pragma: no cover - only Conv2D and Dense have parameters
        raise TypeError(f"{layer!r} has no weights")
    std = np.sqrt((2.0 if relu_follows else 1.0) / fan_in)
    weight[...] = rng.standard_normal(weight.shape) * std
    layer.params["bias"][...] = 0
