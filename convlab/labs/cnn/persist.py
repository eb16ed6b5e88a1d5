"""Arrays inside a JSON session: exact, compact, validated, no pickle.

A training run's state (:meth:`~.run.TrainingRun.get_state`) holds numpy
arrays — weights, the optimizer's memory, the shuffling order, the history.
:func:`to_json` writes each as ``{"array": dtype, "shape": […], "base64": …}``
(the raw little-endian bytes, so every float comes back bit for bit);
:func:`from_json` reads them back, accepting only plain number dtypes and
checking that the bytes fit the shape. No Qt here.

>>> import numpy as np
>>> data = to_json({"w": np.array([0.1, -2.5], np.float32), "n": 3})
>>> back = from_json(data)
>>> back["w"].dtype, back["w"].tolist() == np.array([0.1, -2.5], np.float32).tolist(), back["n"]
(dtype('float32'), True, 3)
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

__all__ = ["DTYPES", "from_json", "to_json"]

#: The dtypes an array in a session may have.
DTYPES = ("<f4", "<f8", "<i4", "<i8", "|u1")
_KEYS = {"array", "shape", "base64"}


def to_json(value: Any) -> Any:
    """``value`` with every numpy array (and numpy number) as JSON-safe data."""
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype.kind == "i":
            arr = arr.astype("<i8")
        dtype = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        arr = arr.astype(dtype, copy=False)
        if arr.dtype.str not in DTYPES:
            raise TypeError(f"cannot store an array of {arr.dtype} in a session")
        return {"array": arr.dtype.str, "shape": list(arr.shape),
                "base64": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_json(value: Any, where: str = "run") -> Any:
    """The inverse of :func:`to_json`; ``ValueError`` naming the entry for a bad array."""
    if isinstance(value, dict):
        if set(value) == _KEYS:
            return _array(value, where)
        return {k: from_json(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _array(value: dict[str, Any], where: str) -> np.ndarray:
    dtype, shape, text = value["array"], value["shape"], value["base64"]
    if dtype not in DTYPES:
        raise ValueError(f"{where}: arrays may be {', '.join(DTYPES)}, not {dtype!r:.40}")
    if (not isinstance(shape, list) or len(shape) > 8
            or any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in shape)):
        raise ValueError(f"{where}: the shape must be a list of whole numbers")
    if not isinstance(text, str):
        raise ValueError(f"{where}: the data must be base64 text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{where}: the data is not base64") from None
    dt = np.dtype(dtype)
    if len(raw) != int(np.prod(shape, dtype=np.int64)) * dt.itemsize:
        raise ValueError(f"{where}: {len(raw):,} bytes do not make a {dtype} array of "
                         f"shape {tuple(shape)}")
    return np.frombuffer(raw, dtype=dt).reshape(shape).astype(dt.newbyteorder("="))
