"""Data exports of the labs (no Qt): CSV and NumPy files a spreadsheet or notebook opens.

Numbers are written with ``repr`` (full precision), so reading them back gives
the same floats.

Every export given a path writes it atomically (:func:`convlab.core.atomic_output`):
a failed or interrupted export leaves the previous file as it was and no
partial file behind, an existing file keeps its permission bits and a symbolic
link is written through.  The CSV writers also accept an open text stream (for
tests and for callers composing several tables); a lab writing its own CSV to a
path uses :func:`open_csv_export`.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterator
from typing import TextIO

import numpy as np
from numpy.typing import ArrayLike

import convlab.core as cc

__all__ = ["open_csv_export", "save_detector_npz", "write_signals_csv", "write_updown_csv"]

CsvTarget = TextIO | str | os.PathLike


@contextlib.contextmanager
def open_csv_export(path: str | os.PathLike) -> Iterator[TextIO]:
    """A text stream for a CSV file at ``path``, written atomically when the block ends.

    UTF-8, ``newline=""`` as the :mod:`csv` module wants.  If the block raises,
    ``path`` is left as it was (see :func:`convlab.core.atomic_output`)::

        with open_csv_export(path) as stream:
            write_history_csv(stream, runs)
    """
    with cc.atomic_output(path, "w", encoding="utf-8", newline="") as stream:
        yield stream


def _is_path(target: CsvTarget) -> bool:
    return isinstance(target, (str, os.PathLike))


def write_signals_csv(target: CsvTarget, series: dict[str, ArrayLike]) -> int:
    """Write 1-D series (e.g. ``{"x": x, "w": w, "z": z, "X[0]": …}``) as CSV.

    Long format, one row per sample: ``series, index, value``. ``target`` is a
    path (written atomically) or an open text stream. Returns the row count.
    """
    if _is_path(target):
        with open_csv_export(target) as stream:
            return write_signals_csv(stream, series)
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(["series", "index", "value"])
    rows = 0
    for name, values in series.items():
        for i, v in enumerate(np.asarray(values, dtype=float).ravel()):
            writer.writerow([name, i, repr(float(v))])
            rows += 1
    return rows


def write_updown_csv(target: CsvTarget, data: cc.UpDownSplit) -> int:
    """Write the rising/falling data set: ``split, label, t0 … t{n-1}``.

    ``target`` is a path (written atomically) or an open text stream. Returns
    the row count.
    """
    if _is_path(target):
        with open_csv_export(target) as stream:
            return write_updown_csv(stream, data)
    (x_train, y_train), (x_test, y_test) = data
    length = x_train.shape[1]
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(["split", "label", *(f"t{t}" for t in range(length))])
    rows = 0
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        for signal, label in zip(x, y, strict=True):
            writer.writerow([split, int(label), *(repr(float(v)) for v in signal)])
            rows += 1
    return rows


def save_detector_npz(path: str | os.PathLike, figure: cc.DetectorFigure) -> None:
    """Save a detector figure (digit, kernels, responses, masks, settings) as ``.npz``, atomically.

    The file is written to exactly ``path`` (``numpy.savez`` given a name
    without ``.npz`` would add the suffix; this does not).  ``numpy.load(path)``
    gives arrays ``digit (H, W)``, ``names (K,)``, ``kernels (K, kh, kw)``,
    ``responses (K, H', W')``, ``masks (K, H', W')`` and the scalars ``level``,
    ``mode``, ``flip``.
    """
    with cc.atomic_output(path) as stream:
        np.savez(
            stream,
            digit=figure.digit,
            names=np.array(figure.names),
            kernels=figure.kernels,
            responses=figure.responses,
            masks=figure.masks,
            level=np.float64(figure.level),
            mode=np.array(figure.mode),
            flip=np.bool_(figure.flip),
        )
