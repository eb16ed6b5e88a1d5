"""Issue 13: ConvLab's numpy CNN — training and inference throughput, one-epoch accuracy.

Networks (``convlab.core.CNN_PRESETS``):

* **A** — the notebook's detectors: ``Conv2D(1,4,3) → ReLU → MaxPool2D(2) → Flatten →
  Dense(676,10)``, started from the four line detectors (trainable: the
  full backward pass; ``A-frozen`` trains the classifier only);
* **B** — ConvNetJS's MNIST network: ``Conv2D(1,8,5,padding=2) → ReLU →
  MaxPool2D(2) → Conv2D(8,16,5,padding=2) → ReLU → MaxPool2D(3) → Flatten →
  Dense(256,10)``.

Every step is the same in ConvLab and PyTorch: uint8 digits ÷ 255, batch 64,
softmax cross-entropy, plain SGD lr 0.05, the same starting weights, one
thread (``single_threaded_blas`` / ``torch.set_num_threads``). ConvLab and
PyTorch take turns in each repetition (``measure_interleaved``).

``cnn`` measures images per second (training steps; inference in batches of
64). ``cnn_accuracy`` trains one epoch on the 60,000 training digits (the
bundled 1,000-digit sample when no MNIST folder is given — then the figures
are not judged) and reports the test accuracy and the epoch's wall time.
"""

from __future__ import annotations

import time

import numpy as np

from .data import digits
from .harness import (
    Context,
    NotAvailable,
    Row,
    Target,
    describe_error,
    measure_interleaved,
    median,
    not_available,
)

__all__ = ["bench_cnn", "bench_cnn_accuracy"]

BATCH = 64
LR = 0.05
#: Issue 13: training throughput ≥ 2× PyTorch for A, ≥ 0.6× for B; one epoch ≤ 1.5 s / 10 s.
TRAIN_RATIO = {"A": 2.0, "B": 0.6}
EPOCH_TARGET = {"A": 1.5, "B": 10.0}
#: Issue 13: test accuracy after one epoch (batch 64, SGD lr 0.05).
ACCURACY_TARGET = {"A-frozen": 0.94, "A-detectors": 0.95, "A-random": 0.90, "B": 0.97}
PRESET_OF = {"A": "A-detectors", "B": "B"}


def _torch(threads: int):
    try:
        import torch
    except Exception as exc:  # ImportError, or a broken install
        raise NotAvailable(f"PyTorch not importable ({type(exc).__name__}: {exc})") from exc
    torch.set_num_threads(threads)
    return torch


def torch_network(torch, model):
    """The same network in PyTorch, with ConvLab's current weights."""
    nn = torch.nn
    modules = []
    for entry in model.spec()["layers"]:
        kind = entry["type"]
        if kind == "conv2d":
            modules.append(nn.Conv2d(entry["in_channels"], entry["out_channels"],
                                     entry["kernel_size"], entry["stride"], entry["padding"]))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "maxpool2d":
            modules.append(nn.MaxPool2d(entry["size"], entry["stride"]))
        elif kind == "avgpool2d":
            modules.append(nn.AvgPool2d(entry["size"], entry["stride"]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind == "dense":
            modules.append(nn.Linear(entry["in_features"], entry["out_features"]))
    net = nn.Sequential(*modules)
    if model.dtype == np.float64:
        net = net.double()
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.params.items()})
    for i, layer in enumerate(model.layers):
        for p in net[i].parameters():
            p.requires_grad_(not layer.frozen)
    return net


class TorchTrainer:
    """PyTorch's training loop on the same batches as ConvLab's (same order)."""

    def __init__(self, torch, model, images: np.ndarray, labels: np.ndarray):
        self.torch = torch
        self.net = torch_network(torch, model)
        self.opt = torch.optim.SGD([p for p in self.net.parameters() if p.requires_grad], lr=LR)
        self.loss = torch.nn.CrossEntropyLoss()
        self.images = torch.from_numpy(np.array(images))  # a writable copy
        self.labels = torch.from_numpy(labels.astype(np.int64))

    def run(self, order: np.ndarray) -> None:
        torch = self.torch
        index = torch.from_numpy(order)
        for start in range(0, len(order), BATCH):
            idx = index[start : start + BATCH]
            x = self.images[idx].unsqueeze(1).to(torch.float32).div_(255)
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.net(x), self.labels[idx]).backward()
            self.opt.step()

    def infer(self, images) -> None:
        torch = self.torch
        with torch.no_grad():
            for start in range(0, len(images), BATCH):
                x = images[start : start + BATCH].unsqueeze(1).to(torch.float32).div_(255)
                self.net(x)

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        torch = self.torch
        with torch.no_grad():
            x = torch.from_numpy(np.array(images)).unsqueeze(1).float().div_(255)
            return float((self.net(x).argmax(1).numpy() == labels).mean())


def bench_cnn(ctx: Context) -> list[Row]:
    """Training and inference images/s, ConvLab vs PyTorch CPU, networks A and B."""
    bench = "cnn"
    try:
        import convlab.core as cc
    except Exception as exc:
        return [not_available(bench, "all", "ConvLab", "images/s", describe_error(exc))]
    try:
        torch = _torch(ctx.threads)
    except NotAvailable as exc:
        torch, why = None, str(exc)
    n = ctx.pick(2 * BATCH, 100 * BATCH, 200 * BATCH)
    data = digits(ctx, n)
    images, labels = np.ascontiguousarray(data.images), data.labels.astype(np.intp)
    rows: list[Row] = []
    for net_name, preset in (("A", "A-detectors"), ("A", "A-frozen"), ("B", "B")):
        model = cc.build_network(cc.CNN_PRESETS[preset], seed=0)
        trainer = cc.CNNTrainer(model, (images, labels), batch_size=BATCH, learning_rate=LR,
                                seed=0)
        steps = trainer.batches_per_epoch
        ours = f"ConvLab {preset}"
        fns = {ours: lambda t=trainer, s=steps: t.step(s)}
        peer = f"PyTorch {torch.__version__} CPU" if torch is not None else ""
        if torch is not None:
            tt = TorchTrainer(torch, model, images, labels)
            order = np.random.default_rng(0).permutation(n)
            fns[peer] = lambda tt=tt, o=order: tt.run(o)
        times = measure_interleaved(fns, ctx.repeat)
        case = f"train {preset}, batch {BATCH}, {ctx.threads} thread"
        rates = {k: [n / t for t in v] for k, v in times.items()}
        ours_row = Row(bench, case, ours, median(rates[ours]), "images/s", rates[ours],
                       note=f"{n:,} digits per repetition; {data.source}")
        epoch = 60_000 / ours_row.value
        ours_row.add_note(f"one epoch of 60,000 ≈ {epoch:.2f} s")
        if preset == PRESET_OF[net_name]:
            ours_row.judge(Target(">=", 60_000 / EPOCH_TARGET[net_name]))
            ours_row.add_note(f"target = 60,000 digits in {EPOCH_TARGET[net_name]:g} s")
        rows.append(ours_row)
        if torch is not None:
            row = Row(bench, case, peer, median(rates[peer]), "images/s", rates[peer],
                      ratio=ours_row.value / median(rates[peer]),
                      note="same network, weights, batch and thread count")
            if preset == PRESET_OF[net_name]:
                row.judge(Target(">=", TRAIN_RATIO[net_name], "ratio"))
            rows.append(row)
        else:
            rows.append(not_available(bench, case, "PyTorch CPU", "images/s", why))
        if preset == "A-frozen":
            continue
        # inference: the same digits in batches of 64, no gradients
        case = f"infer {net_name}, batch {BATCH}, {ctx.threads} thread"
        fns = {ours: lambda m=model: m.predict_logits(images, batch_size=BATCH)}
        if torch is not None:
            timages = torch.from_numpy(np.array(images))
            fns[peer] = lambda tt=tt, x=timages: tt.infer(x)
        times = measure_interleaved(fns, ctx.repeat)
        rates = {k: [n / t for t in v] for k, v in times.items()}
        ours_row = Row(bench, case, ours, median(rates[ours]), "images/s", rates[ours])
        rows.append(ours_row)
        if torch is not None:
            rows.append(Row(bench, case, peer, median(rates[peer]), "images/s", rates[peer],
                            ratio=ours_row.value / median(rates[peer])))
        else:
            rows.append(not_available(bench, case, "PyTorch CPU", "images/s", why))
    return rows


def _mnist(ctx: Context):
    """The full MNIST set if a folder was given, else the bundled sample (and whether full)."""
    import convlab.core as cc

    if ctx.mnist_dir is not None:
        try:
            return cc.load_mnist(ctx.mnist_dir), True
        except Exception as exc:
            ctx.note(f"could not load MNIST from {ctx.mnist_dir} ({describe_error(exc)})")
    ctx.note("cnn_accuracy: bundled 1,000 + 1,000 digit sample (give --mnist DIR for the "
             "issue's full-set figures); not judged")
    return cc.load_mnist(), False


def bench_cnn_accuracy(ctx: Context) -> list[Row]:
    """One epoch (batch 64, SGD lr 0.05) of A (three starts) and B: test accuracy, wall time."""
    bench = "cnn_accuracy"
    try:
        import convlab.core as cc

        data, full = _mnist(ctx)
    except Exception as exc:
        return [not_available(bench, "all", "ConvLab", "%", describe_error(exc))]
    try:
        torch = _torch(ctx.threads)
    except NotAvailable as exc:
        torch, why = None, str(exc)
    n_train = ctx.pick(4 * BATCH, len(data.train_labels), len(data.train_labels))
    x_train, y_train = data.train_images[:n_train], data.train_labels[:n_train]
    x_test, y_test = data.test_images, data.test_labels.astype(np.intp)
    source = f"{n_train:,} training digits, {len(y_test):,} test digits"
    rows: list[Row] = []
    presets = ctx.pick(["A-frozen", "B"], list(ACCURACY_TARGET), list(ACCURACY_TARGET))
    for preset in presets:
        case = f"{preset}, 1 epoch"
        model = cc.build_network(cc.CNN_PRESETS[preset], seed=0)
        tt = TorchTrainer(torch, model, x_train, y_train) if torch is not None else None
        trainer = cc.CNNTrainer(model, (x_train, y_train), batch_size=BATCH, learning_rate=LR,
                                seed=0)
        start = time.perf_counter()
        trainer.run_epoch()
        elapsed = time.perf_counter() - start
        acc = cc.evaluate_network(model, x_test, y_test).accuracy
        row = Row(bench, case, f"ConvLab {preset}: test accuracy", 100 * acc, "%",
                  note=source)
        if full:
            row.judge(Target(">=", 100 * ACCURACY_TARGET[preset]))
        rows.append(row)
        timing = Row(bench, case, f"ConvLab {preset}: epoch wall time", elapsed, "s",
                     [elapsed], note=f"{source}; training only")
        net = preset[0]
        if full and n_train >= 60_000:
            timing.judge(Target("<", EPOCH_TARGET[net]))
        rows.append(timing)
        if tt is not None:
            order = trainer._order.copy()  # the permutation ConvLab used for this epoch
            tt.run(order)
            rows.append(Row(bench, case, f"PyTorch {torch.__version__}: test accuracy",
                            100 * tt.accuracy(x_test, y_test), "%",
                            note="same start, same batches in the same order"))
        else:
            rows.append(not_available(bench, case, "PyTorch: test accuracy", "%", why))
    return rows
