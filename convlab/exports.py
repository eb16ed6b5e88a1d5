"""Data exports of the labs (no Qt): CSV and NumPy files a spreadsheet or notebook opens.

Numbers are written with ``repr`` (full precision), so reading them back gives
the same floats.
"""

from __future__ import annotations

import csv
import os
from typing import TextIO

import numpy as np
from numpy.typing import ArrayLike

import convlab.core as cc

__all__ = ["save_detector_npz", "write_signals_csv", "write_updown_csv"]


def write_signals_csv(
    stream: TextIO,
    series: dict[str, ArrayLike],
) -> int:
    """Write 1-D series (e.g. ``{"x": x, "w": w, "z": z, "X[0]": …}``) as CSV.

    Long format, one row per sample: ``series, index, value``. Returns the row count.
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["series", "index", "value"])
    rows = 0
    for name, values in series.items():
        for i, v in enumerate(np.asarray(values, dtype=float).ravel()):
            writer.writerow([name, i, repr(float(v))])
            rows += 1
    return rows


def write_updown_csv(stream: TextIO, data: cc.UpDownSplit) -> int:
    """Write the rising/falling data set: ``split, label, t0 … t{n-1}``. Returns the row count."""
    (x_train, y_train), (x_test, y_test) = data
    length = x_train.shape[1]
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["split", "label", *(f"t{t}" for t in range(length))])
    rows = 0
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        for signal, label in zip(x, y, strict=True):
            writer.writerow([split, int(label), *(repr(float(v)) for v in signal)])
            rows += 1
    return rows


def save_detector_npz(path: str | os.PathLike, figure: cc.DetectorFigure) -> None:
    """Save a detector figure (digit, kernels, responses, masks, settings) as ``.npz``.

    ``numpy.load(path)`` gives arrays ``digit (H, W)``, ``names (K,)``, ``kernels (K, kh, kw)``,
    ``responses (K, H', W')``, ``masks (K, H', W')`` and the scalars ``level``, ``mode``, ``flip``.
    """
    np.savez(
        path,
        digit=figure.digit,
        names=np.array(figure.names),
        kernels=figure.kernels,
        responses=figure.responses,
        masks=figure.masks,
        level=np.float64(figure.level),
        mode=np.array(figure.mode),
        flip=np.bool_(figure.flip),
    )
