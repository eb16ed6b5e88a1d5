"""The Gradient Descent lab's script: the same data, model and run, and its ``--animate``."""

from __future__ import annotations

import copy
from typing import Any

from ._common import _ANIMATION, _animated_main, _header, _literal

#: Points of history a Gradient run keeps, in the app and in its exported script alike.
GRADIENT_HISTORY_CAP = 10_000
_RUN_FIELDS = ("learning_rates", "optimizer", "momentum", "beta1", "beta2", "batch_size",
               "gradient", "racers")


def gradient_script(state: dict[str, Any]) -> str:
    """Script for the Gradient Descent lab: the same data, model and run to the same step.

    The run follows the session's ``timeline`` (the run settings at step 0 and
    every change made while it trained), so the script ends at the app's weights;
    an older session without a timeline runs with its saved settings throughout.
    """
    timeline = copy.deepcopy(state.get("timeline")) or [
        {"step": 0, "set": {name: state[name] for name in _RUN_FIELDS if name in state}}]
    timeline[0]["set"].setdefault("gradient", "chain_rule")  # a session from before the choice
    data = {
        "n_samples": int(state["n_samples"]),
        "length": int(state["length"]),
        "noise": float(state["noise"]),
        "seed": int(state["data_seed"]),
        "test_fraction": float(state["test_fraction"]),
    }
    data.update({key: [float(v) for v in state[key]]
                 for key in ("slope_range", "intercept_range") if key in state})
    model = {
        "taps": int(state["taps"]),
        "bias": bool(state["bias"]),
        "initial_params": [float(v) for v in state["start"]],
        "seed": int(state["data_seed"]),  # mini-batch shuffling
        "history_cap": GRADIENT_HISTORY_CAP,  # as the app: its history CSV has the same rows
    }
    steps = int(state.get("step", 0))
    slice_axes = [int(i) for i in state.get("slice_axes", (0, 1))]
    race = bool(state["race"])
    base = timeline[0]["set"]
    optimizers = ([r["optimizer"] for r in base["racers"] if r["enabled"]] if race else []) \
        or [base["optimizer"]]
    body = f'''DATA = {_literal(data)}
MODEL = {_literal(model)}
RACE = {race!r}  # True: one run per enabled contender of "racers"
# The run settings at step 0, then each change made while training, at the step it was made.
TIMELINE = {_literal(timeline)}
STEPS = {steps}
SLICE_AXES = {_literal(slice_axes)}  # the two parameters the landscape shows (--animate)
LOG_LOSS = {bool(state.get("log_loss", True))!r}  # the loss axis, as in the lab (--animate)
LOG_STEPS = {bool(state.get("log_steps", False))!r}  # the step axis (--animate; log spacing: log)
LABELS = {{"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam"}}


def make_runs(data, settings: dict) -> list:
    """The runs at step 0: one, or one per enabled contender of a race."""
    def trainer(optimizer, rates):
        return cc.Trainer(data, learning_rates=rates, optimizer=optimizer,
                          batch_size=settings["batch_size"] or None,
                          gradient=settings["gradient"], **MODEL,
                          **cc.optimizer_options(optimizer, settings))
    if RACE:
        runs = [{{"label": f"{{LABELS[r['optimizer']]}} α={{r['learning_rate']:g}}", "racer": i,
                  "trainer": trainer(r["optimizer"], r["learning_rate"])}}
                for i, r in enumerate(settings["racers"]) if r["enabled"]]
        if runs:
            return runs
    return [{{"label": LABELS[settings["optimizer"]], "racer": None,
             "trainer": trainer(settings["optimizer"], settings["learning_rates"])}}]


def apply(runs: list, settings: dict, changes: dict) -> None:
    """Changed settings act from the next step, as in the app."""
    old = dict(settings)
    settings.update(changes)
    for run in runs:
        t = run["trainer"]
        i = run["racer"]
        if i is not None:
            racer = settings["racers"][i]
            if "racers" in changes and racer != old["racers"][i]:
                if t.optimizer.name != racer["optimizer"]:
                    t.set_optimizer(racer["optimizer"],
                                    **cc.optimizer_options(racer["optimizer"], settings))
                t.set_learning_rates(racer["learning_rate"])
        else:
            if ("learning_rates" in changes
                    and list(t.learning_rates) != list(settings["learning_rates"])):
                t.set_learning_rates(settings["learning_rates"])
            if "optimizer" in changes and t.optimizer.name != settings["optimizer"]:
                t.set_optimizer(settings["optimizer"],
                                **cc.optimizer_options(settings["optimizer"], settings))
        if {{"momentum", "beta1", "beta2"}} & set(changes):
            options = cc.optimizer_options(t.optimizer.name, settings)
            if options:
                t.optimizer.set_options(**options)
        if "batch_size" in changes:
            t.set_batch_size(settings["batch_size"] or None)
        if "gradient" in changes and t.gradient_formula != settings["gradient"]:
            t.set_gradient_formula(settings["gradient"])


def compute() -> dict:
    """Make the rising/falling data, train each run STEPS steps along TIMELINE."""
    data = cc.updown_dataset(**DATA)
    (x_test, y_test) = data[1]
    settings = dict(TIMELINE[0]["set"])
    runs = make_runs(data, settings)
    clock = 0
    for entry in [*TIMELINE[1:], {{"step": STEPS, "set": {{}}}}]:
        for run in runs:
            run["trainer"].step(entry["step"] - clock)
        clock = entry["step"]
        apply(runs, settings, entry["set"])
    results = []
    for run in runs:
        trainer = run["trainer"]
        params = trainer.params
        results.append({{
            "label": run["label"],
            "names": cc.param_names(MODEL["taps"], MODEL["bias"]),
            "params": params.tolist(),
            "step": trainer.step_count,
            "status": trainer.status,
            "gradient": trainer.gradient_formula,
            "metrics": trainer.metrics(),
            "history_steps": trainer.history.steps.tolist(),
            "history_params": trainer.history.params.tolist(),
            "history_train_loss": trainer.history.train_loss.tolist(),
            "test_predictions": cc.predict(x_test, params, MODEL["bias"]).tolist(),
            "test_labels": y_test.tolist(),
        }})
    return {{"runs": results}}


def report(results: dict) -> None:
    for run in results["runs"]:
        weights = ", ".join(f"{{n}} = {{v:.6g}}" for n, v in zip(run["names"], run["params"]))
        m = run["metrics"]
        print(f"{{run['label']}} ({{run['gradient']}} gradient): {{run['status']}}: {{weights}}")
        print(f"    loss {{m['train_loss']:.6g}} (train) {{m['test_loss']:.6g}} (test), "
              f"accuracy {{m['train_accuracy']:.0%}} (train) {{m['test_accuracy']:.0%}} (test)")


def plot(results: dict, plt) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for run in results["runs"]:
        ax1.plot(run["history_steps"], run["history_train_loss"], label=run["label"])
        ax2.plot(run["test_predictions"], "o", label=f"{{run['label']}}: prediction")
    ax2.plot(results["runs"][0]["test_labels"], "k_", markersize=12, label="label")
    ax1.set_xlabel("step")
    ax1.set_ylabel("training loss ½·mean((y − p)²)")
    ax1.set_yscale("log")
    ax2.set_xlabel("test signal")
    ax2.set_ylabel("prediction")
    ax1.legend()
    ax2.legend()
'''
    changes = len(timeline) - 1
    summary = (
        f"The rising/falling experiment: a {model['taps']}-tap kernel"
        f"{' with a bias' if model['bias'] else ''} trained by "
        f"{', '.join(optimizers)} for {steps} steps"
        f"{f' ({changes} settings changed along the way)' if changes else ''}, "
        "with convlab.core.Trainer."
    )
    return (_header("Gradient Descent", summary, animated=True) + body + _ANIMATION
            + _GRADIENT_ANIMATION + _GRADIENT_MAIN)


#: The Gradient script's animation: the lab's landscape, loss curve, kernel and predictions.
_GRADIENT_ANIMATION = '''

LONG_RUN = 1000  # --spacing auto: log spacing for runs of more steps than this, else even
# The landscape as the lab draws it: GRID × GRID exact losses, coloured log10(L − L_min + floor),
# contours at L_min + 10^k, k = −5, −4.5, … 3.
GRID = 161
LOG_FLOOR = 1e-6
CONTOUR_STEPS = 10.0 ** np.arange(-5.0, 3.25, 0.5)


def landscape_window(points, margin: float = 0.6, min_span: float = 0.6) -> tuple:
    """The square around ``points`` (M, 2) the lab shows: ((u0, u1), (v0, v1))."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if pts.size == 0:
        pts = np.zeros((1, 2))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum((hi - lo) * (1 + 2 * margin), min_span).max()
    centre = (lo + hi) / 2
    return ((centre[0] - span / 2, centre[0] + span / 2),
            (centre[1] - span / 2, centre[1] + span / 2))


def recorded_steps(results: dict) -> list:
    """Every step some run recorded in its history, increasing."""
    return sorted({s for run in results["runs"] for s in run["history_steps"]})


def frames_of(results: dict, steps) -> list:
    """What each frame shows: for each of ``steps``, each run at its last recorded step ≤ it.

    A list (one per frame) of {"step", "runs": [{"index", "step", "params",
    "train_loss"}]}; ``index`` is the row of the run's history, so its path so
    far is ``history_params[: index + 1]``. A run that stopped earlier (it
    diverged) stays at its last point.
    """
    frames = []
    for step in steps:
        runs = []
        for run in results["runs"]:
            i = max(0, int(np.searchsorted(run["history_steps"], step, side="right")) - 1)
            runs.append({"index": i, "step": run["history_steps"][i],
                         "params": run["history_params"][i],
                         "train_loss": run["history_train_loss"][i]})
        frames.append({"step": int(step), "runs": runs})
    return frames


def animation(results: dict, steps, plt, log_steps: bool = LOG_STEPS) -> tuple:
    """The figure and update(k), which draws it as the run was at ``steps[k]``.

    As the lab shows it: the loss landscape over the two weights (the exact
    loss, each run's path so far and its current point, the start and the
    least-squares optimum), the training loss with a cursor at the frame's step,
    the first run's kernel as stems and its predictions on the test signals.
    ``log_steps``: a logarithmic step axis (symlog: step 0 stays in view).
    """
    runs = results["runs"]
    frames = frames_of(results, steps)
    (x_train, y_train), (x_test, y_test) = cc.updown_dataset(**DATA)
    taps, bias = MODEL["taps"], MODEL["bias"]
    quadratic = cc.QuadraticLoss.from_data(x_train, y_train, taps, bias)
    optimum = cc.least_squares_optimum(x_train, y_train, taps, bias)
    min_loss = float(quadratic(optimum))
    paths = [np.array(run["history_params"], dtype=float).reshape(len(run["history_steps"]), -1)
             for run in runs]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ((land, curve), (kernel, preds)) = plt.subplots(2, 2, figsize=(11, 8),
                                                         constrained_layout=True)
    title = fig.suptitle("")

    # the landscape: over the two weights, or a slice through the point (more parameters)
    names = runs[0]["names"]
    two = len(names) >= 2
    a, b = SLICE_AXES if two else (0, 0)
    start = np.array(MODEL["initial_params"], dtype=float)
    (u0, u1), (v0, v1) = landscape_window(
        [[p[a], p[b]] for p in [start, optimum, *[path[-1] for path in paths]]])
    u, v = np.linspace(u0, u1, GRID), np.linspace(v0, v1, GRID)
    sliced = len(names) > 2  # the slice goes through the first run's point: it moves
    surface = {"theta": None, "contours": None}

    def draw_surface(theta) -> None:
        if not np.all(np.isfinite(theta)) or (surface["theta"] is not None and not sliced):
            return
        z = quadratic.surface(theta, u, v, (a, b)).T  # rows = v
        with np.errstate(all="ignore"):
            image = np.nan_to_num(np.log10(np.maximum(z - min_loss, 0.0) + LOG_FLOOR),
                                  nan=308.0, posinf=308.0)
        hi = float(image.max()) if image.max() > image.min() else float(image.min()) + 1
        picture.set_data(image)
        picture.set_clim(float(image.min()), hi)
        if surface["contours"] is not None:
            surface["contours"].remove()
        levels = [c for c in min_loss + CONTOUR_STEPS if z.min() < c < z.max()]
        surface["contours"] = land.contour(u, v, z, levels=levels, colors="white",
                                           linewidths=0.7, alpha=0.5) if levels else None
        surface["theta"] = theta

    if two:
        picture = land.imshow(np.zeros((GRID, GRID)), origin="lower", extent=(u0, u1, v0, v1),
                              cmap="viridis", aspect="auto", interpolation="bilinear")
        fig.colorbar(picture, ax=land, label="log₁₀(L − L_min)")
        land.plot([start[a]], [start[b]], "o", mfc="none", mec="white", mew=2, ms=9,
                  label="start")
        land.plot([optimum[a]], [optimum[b]], "*", color="#FF4081", mec="black", ms=14,
                  label="optimum")
        lines = [land.plot([], [], color=colours[i % len(colours)], lw=2.2,
                           label=run["label"])[0] for i, run in enumerate(runs)]
        points = [land.plot([], [], "o", color=colours[i % len(colours)], mec="black",
                            ms=10, zorder=4)[0] for i in range(len(runs))]
        land.set_xlim(u0, u1)
        land.set_ylim(v0, v1)
        land.set_xlabel(names[a])
        land.set_ylabel(names[b])
        land.set_title("Loss landscape" if not sliced else "Loss slice at the point")
        land.legend(loc="upper right", fontsize="small")
    else:
        land.text(0.5, 0.5, "One parameter only:\\nno landscape", ha="center", va="center",
                  transform=land.transAxes)
        land.set_axis_off()

    # the training loss, with a cursor at the frame's step
    for i, run in enumerate(runs):
        curve.plot(run["history_steps"], run["history_train_loss"],
                   color=colours[i % len(colours)], alpha=0.3, lw=1)
    so_far = [curve.plot([], [], color=colours[i % len(colours)], lw=2, label=run["label"])[0]
              for i, run in enumerate(runs)]
    now = [curve.plot([], [], "o", color=colours[i % len(colours)])[0] for i in range(len(runs))]
    cursor = curve.axvline(0, color="grey", lw=1, ls="--")
    if LOG_LOSS:
        curve.set_yscale("log")
    if log_steps:
        curve.set_xscale("symlog", linthresh=1.0)
    curve.set_xlim(0, max(max(run["history_steps"][-1] for run in runs), 1))
    curve.set_xlabel("step")
    curve.set_ylabel("training loss ½·mean((y − p)²)")
    curve.set_title("Training loss")
    curve.legend(fontsize="small")

    # the first run's kernel (stems) and its test predictions, on limits fixed over the run
    first = np.array([f["runs"][0]["params"] for f in frames], dtype=float)
    weights = first[:, :taps]
    finite = weights[np.isfinite(weights)]
    bound = 1.15 * max(float(np.abs(finite).max()) if finite.size else 0.0, 0.1)
    kernel.axhline(0, color="grey", lw=1)
    stems = kernel.vlines(np.arange(1, taps + 1), 0, np.zeros(taps), color=colours[0], lw=2)
    heads, = kernel.plot(np.arange(1, taps + 1), np.zeros(taps), "o", color=colours[0], ms=8)
    kernel.set_xlim(0.5, taps + 0.5)
    kernel.set_ylim(-bound, bound)
    kernel.set_xticks(np.arange(1, taps + 1))
    kernel.set_xlabel("tap j")
    kernel.set_ylabel("w_j")
    predictions = np.array([cc.predict(x_test, p, bias) if np.all(np.isfinite(p))
                            else np.full(len(y_test), np.nan) for p in first])
    shown = predictions[np.isfinite(predictions)]
    low = max(min(float(shown.min()) if shown.size else 0.0, -0.1), -2.0)
    high = min(max(float(shown.max()) if shown.size else 1.0, 1.1), 3.0)
    index = np.arange(len(y_test))
    rising = np.asarray(y_test) == 0
    dots = [preds.scatter(index[mask], np.zeros(int(mask.sum())), s=30, color=colour,
                          label=text, zorder=3)
            for mask, colour, text in ((rising, colours[0], "p (rising)"),
                                       (~rising, colours[1], "p (falling)"))]
    preds.scatter(index, y_test, s=60, facecolors="none", edgecolors="black", label="label y")
    preds.axhline(0.5, color="grey", ls="--", lw=1.2)
    pad = 0.05 * (high - low)
    preds.set_ylim(low - pad, high + pad)
    preds.xaxis.get_major_locator().set_params(integer=True)
    preds.set_xlabel("test signal")
    preds.set_ylabel("● p   ○ label y")
    preds.set_title(f"Test predictions ({runs[0]['label']})" if len(runs) > 1
                    else "Test predictions")
    preds.legend(fontsize="small", loc="best")

    def update(k: int) -> list:
        frame = frames[k]
        step = frame["step"]
        for i, (run, at) in enumerate(zip(runs, frame["runs"])):
            n = at["index"] + 1
            if two:
                path = paths[i]
                lines[i].set_data(path[:n, a], path[:n, b])
                points[i].set_data([path[n - 1, a]], [path[n - 1, b]])
            so_far[i].set_data(run["history_steps"][:n], run["history_train_loss"][:n])
            now[i].set_data([at["step"]], [at["train_loss"]])
        cursor.set_xdata([step, step])
        theta = np.array(frame["runs"][0]["params"], dtype=float)
        if two:
            draw_surface(theta)
        w = theta[:taps]
        stems.set_segments([[(j + 1, 0.0), (j + 1, float(w[j]))] for j in range(taps)])
        heads.set_ydata(w)
        kernel.set_title("Kernel w = (" + ", ".join(f"{x:.3g}" for x in w) + ")"
                         + (f", b = {theta[-1]:.3g}" if bias else ""))
        p = predictions[k]
        for dot, mask in zip(dots, (rising, ~rising)):
            dot.set_offsets(np.column_stack([index[mask], p[mask]]))
        title.set_text(f"Gradient descent — step {step} of {STEPS}")
        return []

    return fig, update
'''


_GRADIENT_MAIN = _animated_main(
    options='''    parser.add_argument("--spacing", choices=("auto", "even", "log"), default="auto",
                        help="frames evenly spaced over the run's steps, or in log(1 + step); "
                             f"auto: log for runs of more than {LONG_RUN} steps (default)")
''',
    compute="compute()",
    animate='''        recorded = recorded_steps(results)
        spacing = args.spacing
        if spacing == "auto":
            spacing = "log" if recorded[-1] > LONG_RUN else "even"
        steps = frame_steps(recorded, args.frames, spacing)
        if len(steps) < 2:
            print("nothing to animate: the run has not taken a step yet", file=sys.stderr)
            raise SystemExit(1)
        fig, update = animation(results, steps, plt, LOG_STEPS or spacing == "log")
        message = write_animation(fig, update, len(steps), args.animate, args.fps, ffmpeg, plt)
        message += f"; steps {steps[0]} … {steps[-1]}, {spacing} spacing"
''')


#: The CNN script's animation: the first layer's kernels, the loss curve and the accuracy.
