"""The CNN Training lab's script: the same network, seed, settings and steps, and its
``--animate``."""

from __future__ import annotations

from typing import Any

from ._common import _ANIMATION, _animated_main, _data_source_code, _header, _literal

_CNN_ANIMATION = '''

def checkpoint_steps(frames: int) -> list:
    """The steps to record for an animation of ``frames``: evenly spaced over 0 … STEPS.

    Exits (status 1) if there is nothing to animate: no training (STEPS = 0).
    """
    if STEPS < 1:
        print("nothing to animate: the network has not been trained yet (STEPS = 0)",
              file=sys.stderr)
        raise SystemExit(1)
    return frame_steps(range(STEPS + 1), frames, "even")


def animation(results: dict, plt) -> tuple:
    """The figure and update(k), which draws it as the run was at checkpoint k.

    The first layer's kernels as images (coolwarm, the same symmetric limits in
    every frame), the loss of every batch with a cursor at the checkpoint, and
    the test accuracy at the checkpoints so far.
    """
    record = results["checkpoints"]
    steps = record["steps"]
    kernels = np.asarray(record["kernels"], dtype=float)  # (frames, filters, kh, kw)
    accuracy = 100 * np.asarray(record["test_accuracy"], dtype=float)
    finite = kernels[np.isfinite(kernels)]
    scale = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
    n = kernels.shape[1]
    columns = min(n, 8)
    rows = -(-n // columns)
    fig = plt.figure(figsize=(10, 3.2 + 1.4 * rows), constrained_layout=True)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.4 * rows + 0.4, 3.2])
    images = []
    for i, ax in enumerate(np.atleast_1d(top.subplots(rows, columns)).ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < n:
            images.append(ax.imshow(kernels[0, i], cmap="coolwarm", vmin=-scale, vmax=scale))
            ax.set_title(f"filter {i + 1}", fontsize="small")
        else:
            ax.set_axis_off()
    top.colorbar(images[0], ax=top.axes, shrink=0.8, label="weight")
    top.suptitle("First layer's kernels")
    curve, acc = bottom.subplots(1, 2)
    loss = np.asarray(results["loss"], dtype=float)
    batches = np.arange(1, len(loss) + 1)
    curve.plot(batches, loss, color="grey", alpha=0.35, lw=1)
    so_far, = curve.plot([], [], lw=1.5)
    cursor = curve.axvline(0, color="black", lw=1, ls="--")
    curve.set_xlim(0, max(STEPS, 1))
    curve.set_xlabel("batch")
    curve.set_ylabel("cross-entropy")
    curve.set_title("Training loss")
    line, = acc.plot([], [], "o-")
    acc.set_xlim(0, max(STEPS, 1))
    acc.set_ylim(0, 100)
    acc.set_xlabel("batch")
    acc.set_ylabel("test accuracy (%)")
    title = acc.set_title("")
    heading = fig.suptitle("")

    def update(k: int) -> list:
        step = steps[k]
        for i, image in enumerate(images):
            image.set_data(kernels[k, i])
        so_far.set_data(batches[:step], loss[:step])
        cursor.set_xdata([step, step])
        line.set_data(steps[: k + 1], accuracy[: k + 1])
        title.set_text(f"Test accuracy {accuracy[k]:.1f} %")
        heading.set_text(f"CNN training — after {step} of {STEPS} batches")
        return []

    return fig, update
'''

_CNN_MAIN = _animated_main(
    options="",
    compute="compute(checkpoints=checkpoint_steps(args.frames))",
    animate='''        steps = results["checkpoints"]["steps"]  # fewer if the run diverged
        fig, update = animation(results, plt)
        message = write_animation(fig, update, len(steps), args.animate, args.fps, ffmpeg, plt)
        message += f"; batches {steps[0]} … {steps[-1]}, evenly spaced"
''')


def _mnist_path(source: str) -> str | None:
    """The folder or file a data set's description names (None: the bundled sample)."""
    import re

    match = re.match(r"^(?:folder|Keras file) (.*) \([\d,]+ \+ [\d,]+ digits\)$", source)
    return match.group(1) if match else None


def cnn_script(state: dict[str, Any]) -> str:
    """Script for the CNN Training lab: the same network, seed, settings and steps; it prints
    the same test accuracy."""
    from convlab.labs.cnn.model import CNNState

    settings = CNNState.from_dict({k: v for k, v in state.items() if k != "run"})
    run = state.get("run")
    if run is None:  # nothing trained yet
        spec, steps, changes, source = settings.architecture(), 0, [], None
        options = settings.trainer_options()
    else:
        spec, changes = run["architecture"], run["lr_changes"]
        steps = int(run["trainer"]["step_count"])
        options = {**run["options"], "learning_rate": float(run["initial_learning_rate"])}
        source = _mnist_path(run["data"]["source"])
    body = f'''ARCHITECTURE = {_literal(spec)}
OPTIONS = {_literal(options)}  # cc.CNNTrainer's settings; the seed also seeds the weights
LEARNING_RATE_CHANGES = {_literal(changes)}  # [step, new rate] made during the run
STEPS = {steps}
{_data_source_code(source)}


def compute(checkpoints=()) -> dict:
    """Build the network, train it STEPS batches with the same seed, evaluate the test set.

    ``checkpoints``: steps at which to record the first layer's kernels and the
    test accuracy too (for --animate; results["checkpoints"]). Recording only
    looks: the training, and so every other result, is the same without it.
    """
    data = cc.load_mnist(data_source())
    net = cc.build_network(ARCHITECTURE, seed=OPTIONS["seed"])
    trainer = cc.CNNTrainer(net, (data.train_images, data.train_labels), **OPTIONS)
    marks = sorted(set(int(s) for s in checkpoints))
    record = {{"steps": [], "kernels": [], "test_accuracy": []}}

    def look() -> None:
        if trainer.step_count in marks and trainer.step_count not in record["steps"]:
            record["steps"].append(trainer.step_count)
            record["kernels"].append(net.params["0.weight"][:, 0].tolist())
            record["test_accuracy"].append(
                cc.evaluate_network(net, data.test_images, data.test_labels).accuracy)

    def train_to(stop: int) -> None:
        """Train on to step ``stop``, stopping at each checkpoint on the way to look."""
        look()
        while trainer.step_count < stop:
            ahead = [m for m in marks if trainer.step_count < m < stop]
            if not trainer.step(min([*ahead, stop]) - trainer.step_count):
                break  # diverged: no more steps
            look()

    for step, rate in LEARNING_RATE_CHANGES:
        train_to(step)
        trainer.set_learning_rate(rate)
    train_to(STEPS)
    result = cc.evaluate_network(net, data.test_images, data.test_labels)
    extra = {{"checkpoints": record}} if marks else {{}}
    return {{**extra,
        "steps": trainer.step_count,
        "epochs": trainer.epoch_progress,
        "test_accuracy": result.accuracy,
        "test_loss": result.loss,
        "confusion": result.confusion.tolist(),
        "kernels": net.params["0.weight"][:, 0].tolist(),
        "loss": trainer.history.loss,
        "summary": net.summary(),
    }}


def report(results: dict) -> None:
    print(results["summary"])
    n = int(np.sum(results["confusion"]))
    right = int(np.trace(results["confusion"]))
    print(f"after {{results['steps']}} batches ({{results['epochs']:.2f}} epochs): "
          f"test accuracy {{100 * results['test_accuracy']:.2f}} % ({{right}} of {{n}})")


def plot(results: dict, plt) -> None:
    kernels = np.asarray(results["kernels"])
    fig = plt.figure(figsize=(10, 6), constrained_layout=True)
    grid = fig.add_gridspec(2, max(len(kernels), 2))
    ax = fig.add_subplot(grid[0, :])
    ax.plot(results["loss"])
    ax.set_xlabel("batch")
    ax.set_ylabel("cross-entropy")
    scale = max(float(np.abs(kernels).max()), 2.0)
    for i, kernel in enumerate(kernels):
        k = fig.add_subplot(grid[1, i])
        k.imshow(kernel, cmap="coolwarm", vmin=-scale, vmax=scale)
        k.set_xticks([])
        k.set_yticks([])
'''
    summary = (
        f"A convolutional network trained {steps} batches ({options['optimizer']}, learning "
        f"rate {options['learning_rate']!r}, batches of {options['batch_size']}, seed "
        f"{options['seed']}) with convlab.core.CNNTrainer, then evaluated on the test digits."
    )
    return (_header("CNN Training", summary, animated=True) + body + _ANIMATION + _CNN_ANIMATION
            + _CNN_MAIN)
