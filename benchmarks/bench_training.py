"""Issue 8 §3 (core) and §6: training steps per second, and the exact loss landscape.

Training: the notebook's default problem (rising/falling signals, 50 per
class, 2-tap kernel, no bias, weights (0.5, 0.5), learning rates 0.01,
full-batch SGD). ConvLab's ``Trainer.step(n)`` keeps a full history (loss and
accuracy on both sets at every step); the peers are what a student would write:

* a plain numpy loop: per step, the valid cross-correlation of all training
  signals, the mean, the residual and the chain-rule gradient (no history);
* the same model in PyTorch with autograd (``loss.backward()`` and
  ``torch.optim.SGD``), when PyTorch is installed.

All three end at the same weights (checked).

Landscape: ``cc.loss_surface`` on a 200×200 grid of (w₁, w₂) around the
optimum, vs the direct evaluation (predictions of every signal at every grid
point, vectorized with numpy) and vs a Python loop over grid points calling
``cc.loss`` (timed on a subset of rows and scaled, as the table says).
"""

from __future__ import annotations

import numpy as np

from .harness import (
    Context,
    NotAvailable,
    Row,
    Target,
    describe_error,
    measure,
    median,
    not_available,
)

__all__ = ["bench_landscape", "bench_training", "numpy_training", "torch_training"]

STEPS_TARGET = 50_000.0
LANDSCAPE_TARGET = 0.005
LEARNING_RATE = 0.01


def numpy_training(x: np.ndarray, y: np.ndarray, steps: int) -> np.ndarray:
    """Full-batch gradient descent on the 2-tap model, written plainly; returns (w1, w2)."""
    w = np.array([0.5, 0.5])
    left, right = x[:, :-1], x[:, 1:]
    n = len(y)
    for _ in range(steps):
        z = w[0] * left + w[1] * right  # valid cross-correlation, (N, n-1)
        residual = z.mean(axis=1) - y  # ∂L/∂p · N
        grad = np.array([residual @ left.mean(axis=1), residual @ right.mean(axis=1)]) / n
        w -= LEARNING_RATE * grad
    return w


def torch_training(threads: int):
    """A PyTorch autograd version of the same loop, or NotAvailable."""
    try:
        import torch
    except Exception as exc:
        raise NotAvailable(f"PyTorch not importable ({type(exc).__name__}: {exc})") from exc
    torch.set_num_threads(threads)

    def run(x: np.ndarray, y: np.ndarray, steps: int) -> np.ndarray:
        xt = torch.from_numpy(x).unsqueeze(1)  # (N, 1, n) float64
        yt = torch.from_numpy(y)
        w = torch.tensor([[[0.5, 0.5]]], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([w], lr=LEARNING_RATE)
        for _ in range(steps):
            opt.zero_grad()
            p = torch.nn.functional.conv1d(xt, w).mean(dim=(1, 2))
            loss = 0.5 * ((yt - p) ** 2).mean()
            loss.backward()
            opt.step()
        return w.detach().numpy().ravel().copy()

    return run, f"PyTorch {torch.__version__} autograd loop"


def bench_training(ctx: Context) -> list[Row]:
    """Steps per second of ConvLab's Trainer vs a numpy loop and a PyTorch loop."""
    bench = "training (core)"
    steps = ctx.pick(200, 20_000, 100_000)
    case = f"2 taps, full batch, {steps:,} steps"
    try:
        from convlab.core.datasets import updown_dataset
        from convlab.core.training import Trainer
    except Exception as exc:
        return [not_available(bench, case, "ConvLab Trainer", "steps/s", describe_error(exc))]
    data = updown_dataset(seed=0)
    (x, y), _ = data
    trainer = Trainer(data)

    def ours():
        trainer.reset()
        trainer.step(steps)

    try:
        ours()
        final = trainer.params
        t = measure(ours, ctx.repeat)
    except Exception as exc:
        return [not_available(bench, case, "ConvLab Trainer", "steps/s", describe_error(exc))]
    rates = [steps / v for v in t]
    row = Row(bench, case, "ConvLab Trainer.step (with history)", median(rates), "steps/s",
              rates, note=f"history of {len(trainer.history):,} points")
    rows = [row.judge(Target(">=", STEPS_TARGET))]

    peer_steps = ctx.pick(100, 5_000, 20_000)
    peers: list[tuple[str, object]] = [("plain numpy loop (no history)", numpy_training)]
    try:
        run, name = torch_training(ctx.threads)
        peers.append((name, run))
    except NotAvailable as exc:
        rows.append(not_available(bench, case, "PyTorch autograd loop", "steps/s", str(exc)))
    trainer.reset()
    trainer.step(peer_steps)
    reference = trainer.params
    for name, fn in peers:
        try:
            got = fn(x, y, peer_steps)
            if not np.allclose(got, reference, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"{name} ends at {got}, ConvLab at {reference}")
            t = measure(lambda fn=fn: fn(x, y, peer_steps), ctx.repeat)
            rates = [peer_steps / v for v in t]
            peer = Row(bench, case, name, median(rates), "steps/s", rates,
                       ratio=row.value / median(rates),
                       note=f"{peer_steps:,} steps; same weights as ConvLab's")
        except Exception as exc:
            peer = not_available(bench, case, name, "steps/s", describe_error(exc))
        rows.append(peer)
    row.add_note(f"final weights {np.round(final, 4).tolist()}")
    return rows


def bench_landscape(ctx: Context) -> list[Row]:
    """The exact loss on a 200×200 grid: closed form vs direct evaluation."""
    bench = "landscape"
    grid = ctx.pick(20, 200, 200)
    case = f"{grid}×{grid} grid"
    try:
        from convlab.core.datasets import updown_dataset
        from convlab.core.training import QuadraticLoss, loss, loss_surface
    except Exception as exc:
        return [not_available(bench, case, "ConvLab loss_surface", "s", describe_error(exc))]
    (x, y), _ = updown_dataset(seed=0)
    params = np.array([0.5, 0.5])
    u = np.linspace(-2.0, 2.0, grid)
    v = np.linspace(-2.0, 2.0, grid + 1)  # unequal sizes catch a swapped axis
    rows: list[Row] = []
    try:
        z = loss_surface(x, y, params, u, v)
        t = measure(lambda: loss_surface(x, y, params, u, v), ctx.repeat * 20)
    except Exception as exc:
        return [not_available(bench, case, "ConvLab loss_surface", "s", describe_error(exc))]

    def direct():
        left, right = x[:, :-1].mean(axis=1), x[:, 1:].mean(axis=1)
        p = u[:, None, None] * left + v[None, :, None] * right  # (U, V, N)
        return 0.5 * np.mean((y - p) ** 2, axis=2)

    expected = direct()
    if not np.allclose(z, expected, rtol=1e-10, atol=1e-12):
        raise AssertionError("loss_surface differs from the direct evaluation")
    ours = Row(bench, case, "ConvLab loss_surface (from the data)", median(t), "s", t,
               note="equal to the direct evaluation")
    rows.append(ours.judge(Target("<", LANDSCAPE_TARGET)))
    quadratic = QuadraticLoss.from_data(x, y, 2)
    t = measure(lambda: quadratic.surface(params, u, v), ctx.repeat * 20)
    rows.append(Row(bench, case, "ConvLab QuadraticLoss.surface (H, g precomputed)", median(t),
                    "s", t, note="what a panel redraw needs"))
    t = measure(direct, ctx.repeat)
    rows.append(Row(bench, case, "direct numpy evaluation (U×V×N predictions)", median(t), "s", t,
                    ratio=median(t) / ours.value))
    sub = max(1, grid // 20)

    def loop():
        return [[loss(x, y, [a, b]) for b in v] for a in u[:sub]]

    if not np.allclose(loop(), z[:sub]):
        raise AssertionError("the cc.loss loop differs from loss_surface")
    t = [s * grid / sub for s in measure(loop, ctx.repeat)]
    rows.append(Row(bench, case, "Python loop of cc.loss over grid points", median(t), "s", t,
                    ratio=median(t) / ours.value,
                    note=f"extrapolated ×{grid / sub:.0f} from {sub} rows"))
    return rows
