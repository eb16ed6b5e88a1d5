"""The Gradient Descent lab's training histories as CSV (no Qt)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

import convlab.core as cc

__all__ = ["write_history_csv"]


def write_history_csv(
    stream: TextIO, runs: Iterable[tuple[str, Sequence[str], cc.History]]
) -> int:
    """Write training histories as CSV; returns the number of data rows.

    Columns: ``run, step, <parameter names…>, train_loss, test_loss,
    train_accuracy, test_accuracy``. ``runs`` holds ``(label, names, history)``
    for each run (one normally, one per contender in a race); the parameter
    columns are the union of the runs' names, a run lacking one leaves it empty.
    Numbers are written with full precision (``repr``).
    """
    runs = list(runs)
    names: list[str] = []
    for _, run_names, _ in runs:
        names += [n for n in run_names if n not in names]
    columns = cc.History.COLUMNS
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["run", "step", *names, *columns])
    rows = 0
    for label, run_names, history in runs:
        index = {n: i for i, n in enumerate(run_names)}
        values = [getattr(history, c) for c in columns]
        for r, step in enumerate(history.steps):
            params = history.params[r]
            cells = [repr(float(params[index[n]])) if n in index else "" for n in names]
            writer.writerow([label, int(step), *cells, *(repr(float(v[r])) for v in values)])
            rows += 1
    return rows
