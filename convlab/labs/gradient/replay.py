"""The Gradient Descent lab's timeline of a run, and its exact replay (numpy only, no Qt).

A run is defined by its data and model (which rebuild it from step 0) and by
the *run settings* — learning rates, optimizer and its options, batch size,
gradient formula and the race's contenders — which the user may change while
it trains. :class:`Timeline` records the run settings in force at step 0 and
every later change with the step it was made at; :func:`replay` steps fresh
runs through the same changes at the same steps, so a saved session (or an
exported script) ends at bit-identical weights. A restart (Reset, a new start
typed or clicked on the landscape) begins a new timeline at step 0.

:func:`apply_changes` is the one place that turns a change of the run settings
into calls on the trainers: the live controller and the replay both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import convlab.core as cc

from .model import MAX_TIMELINE, OPTIMIZER_LABELS, RUN_FIELDS, RacerSpec

__all__ = ["REPLAY_CHUNK", "Run", "Timeline", "apply_changes", "replay"]

REPLAY_CHUNK = 16_384  # steps between two progress reports / cancel checks


@dataclass
class Run:
    """One trainer on the lab's plots: its label, colour and (in a race) its contender."""

    trainer: cc.Trainer
    label: str
    color_index: int
    racer_index: int | None = None
    reported: bool = False  # divergence already announced


class Timeline:
    """The run settings at step 0 and each later change ``(step, field, value)``.

    Changes made before the first step only update the settings at step 0.
    At most :data:`~convlab.labs.gradient.model.MAX_TIMELINE` changes are kept:
    :meth:`record` returns False when the timeline is full.
    """

    def __init__(self, base: Mapping[str, Any]) -> None:
        self.base = {name: base[name] for name in RUN_FIELDS}
        self.changes: list[tuple[int, str, Any]] = []

    def record(self, step: int, name: str, value: Any) -> bool:
        """Add a change made at ``step`` (after that many steps); False if the timeline is full."""
        if step == 0 and not self.changes:
            self.base[name] = value
            return True
        if len(self.changes) >= MAX_TIMELINE:
            return False
        self.changes.append((int(step), name, value))
        return True

    @property
    def full(self) -> bool:
        return len(self.changes) >= MAX_TIMELINE

    def entries(self) -> tuple[tuple[int, tuple[tuple[str, Any], ...]], ...]:
        """As the lab's state stores it: ``((0, base items), (step, ((field, value),)), …)``."""
        return ((0, tuple(self.base.items())),
                *((step, ((name, value),)) for step, name, value in self.changes))

    @classmethod
    def from_entries(cls, entries: Sequence[tuple[int, Iterable[tuple[str, Any]]]]) -> Timeline:
        """The inverse of :meth:`entries` (entries already validated by the lab's state)."""
        timeline = cls(dict(entries[0][1]))
        for step, items in entries[1:]:
            for name, value in items:
                timeline.changes.append((int(step), name, value))
        return timeline


def apply_changes(runs: Sequence[Run], settings: MutableMapping[str, Any],
                  changes: Mapping[str, Any], race: bool) -> list[str]:
    """Apply changed run settings to the runs from their next step; returns what changed.

    ``settings`` (every field of :data:`RUN_FIELDS`) is updated in place. Outside
    a race the single run follows ``learning_rates`` and ``optimizer``; in a race
    each contender follows its own row of ``racers``. Every run follows the
    optimizer options, the batch size and the gradient formula. The changes are
    applied in the order of :data:`RUN_FIELDS`, whatever order they come in.
    """
    old = dict(settings)
    for name in RUN_FIELDS:
        if name in changes:
            settings[name] = changes[name]
    said: list[str] = []
    if race and "racers" in changes:
        for run in runs:
            i = run.racer_index
            if i is None or settings["racers"][i] == old["racers"][i]:
                continue
            racer: RacerSpec = settings["racers"][i]
            if run.trainer.optimizer.name != racer.optimizer:
                run.trainer.set_optimizer(racer.optimizer,
                                          **cc.optimizer_options(racer.optimizer, settings))
            run.trainer.set_learning_rates(racer.learning_rate)
            run.label = racer.label()
            run.reported = False
            said.append(f"{racer.label()} from the next step")
    if not race and runs:
        first = runs[0]
        if "learning_rates" in changes and list(first.trainer.learning_rates) != list(
                settings["learning_rates"]):
            first.trainer.set_learning_rates(settings["learning_rates"])
            first.reported = False
            said.append("Learning rates ({}) apply from the next step".format(
                ", ".join(f"{v:g}" for v in settings["learning_rates"])))
        name = settings["optimizer"]
        if "optimizer" in changes and first.trainer.optimizer.name != name:
            first.trainer.set_optimizer(name, **cc.optimizer_options(name, settings))
            first.label = OPTIMIZER_LABELS[name]
            first.reported = False
            said.append(f"{OPTIMIZER_LABELS[name]} from step "
                        f"{first.trainer.step_count + 1} on")
    if any(name in changes for name in ("momentum", "beta1", "beta2")):
        for run in runs:
            options = cc.optimizer_options(run.trainer.optimizer.name, settings)
            if options:
                run.trainer.optimizer.set_options(**options)
        said.append("Optimizer settings apply from the next step")
    if "batch_size" in changes:
        for run in runs:
            run.trainer.set_batch_size(settings["batch_size"] or None)
        said.append(f"Batch size {settings['batch_size'] or 'full'} from the next step")
    if "gradient" in changes:
        for run in runs:
            if run.trainer.gradient_formula != settings["gradient"]:
                run.trainer.set_gradient_formula(settings["gradient"])
                run.reported = False
        said.append("Gradient formula applies from the next step")
    return said


def replay(
    runs: Sequence[Run], timeline: Timeline, race: bool, final_step: int,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Sequence[Run]:
    """Step fresh ``runs`` (made with ``timeline.base``) to ``final_step`` through its changes.

    The runs step together, ``REPLAY_CHUNK`` steps at a time (a run that diverges
    stops, as it did live); each change applies when the furthest run reaches its
    step, as it did live. Raises :class:`convlab.core.Cancelled` when ``cancel()``
    becomes True (checked between chunks). Returns ``runs``.
    """
    settings = dict(timeline.base)
    clock = max((r.trainer.step_count for r in runs), default=0)
    stops = [(step, {name: value}) for step, name, value in timeline.changes]
    for step, changes in [*stops, (final_step, {})]:
        while clock < min(step, final_step):
            n = min(REPLAY_CHUNK, step - clock)
            for run in runs:
                run.trainer.step(n)
            clock += n
            if cancel is not None and cancel():
                raise cc.Cancelled("replay cancelled")
            if progress is not None:
                progress(clock / max(final_step, 1), f"step {clock:,} of {final_step:,}")
        if changes and step <= final_step:
            apply_changes(runs, settings, changes, race)
    return runs
