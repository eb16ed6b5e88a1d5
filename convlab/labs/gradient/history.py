"""The Gradient Descent lab's training histories as CSV (no Qt)."""

from __future__ import annotations

import bisect
import csv
from collections.abc import Iterable
from typing import Any, TextIO

import convlab.core as cc

__all__ = ["write_history_csv"]


def write_history_csv(stream: TextIO, runs: Iterable[tuple[Any, ...]]) -> int:
    """Write training histories as CSV; returns the number of data rows.

    Columns: ``run, step, <parameter names…>, train_loss, test_loss,
    train_accuracy, test_accuracy, gradient``. ``runs`` holds ``(label, names,
    history)`` or ``(label, names, history, gradients)`` for each run (one
    normally, one per contender in a race); the parameter columns are the union
    of the runs' names, a run lacking one leaves it empty. ``gradients`` lists
    ``(step, formula)``: the gradient formula in use after that step (default
    ``[(0, "chain_rule")]``); the ``gradient`` column names the formula that
    made each row's step. Numbers are written with full precision (``repr``).
    """
    runs = list(runs)
    names: list[str] = []
    for run in runs:
        names += [n for n in run[1] if n not in names]
    columns = cc.History.COLUMNS
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["run", "step", *names, *columns, "gradient"])
    rows = 0
    for label, run_names, history, *rest in runs:
        gradients = list(rest[0]) if rest else [(0, "chain_rule")]
        starts = [step for step, _ in gradients]
        index = {n: i for i, n in enumerate(run_names)}
        values = [getattr(history, c) for c in columns]
        for r, step in enumerate(history.steps):
            params = history.params[r]
            cells = [repr(float(params[index[n]])) if n in index else "" for n in names]
            # step s was made after s − 1 steps: by the formula in use from before that
            formula = gradients[max(bisect.bisect_left(starts, int(step)) - 1, 0)][1]
            writer.writerow([label, int(step), *cells, *(repr(float(v[r])) for v in values),
                             formula])
            rows += 1
    return rows
