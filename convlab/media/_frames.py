"""What the writers share: checking frames, counting progress, honouring cancel."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from convlab.core import check_cancel, report

__all__ = ["ProgressFn", "checked_frames", "frame_progress"]

ProgressFn = Callable[[float, str], None]


def check_fps(fps: float, limit: float) -> float:
    """``fps`` as a float, or ``ValueError`` if it is not in (0, limit]."""
    value = float(fps)
    if not 0 < value <= limit:
        raise ValueError(f"the frame rate must be above 0 and at most {limit:g} fps, got {fps!r}")
    return value


def checked_frames(
    frames: Iterable[np.ndarray],
    cancel: Callable[[], bool] | None,
) -> Iterator[np.ndarray]:
    """The frames, each checked: RGB uint8 ``(H, W, 3)``, all of one size.

    ``cancel`` is asked before each frame is taken (so a cancel is honoured
    within one frame); it raises :class:`convlab.core.Cancelled`.
    """
    shape: tuple[int, ...] | None = None
    iterator = iter(frames)
    while True:
        check_cancel(cancel)
        try:
            frame = next(iterator)
        except StopIteration:
            break
        array = np.asarray(frame)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(
                f"a frame must be an RGB uint8 array of shape (H, W, 3), got "
                f"{array.dtype} {array.shape}")
        if shape is None:
            if array.shape[0] < 1 or array.shape[1] < 1:
                raise ValueError(f"a frame must not be empty, got shape {array.shape}")
            shape = array.shape
        elif array.shape != shape:
            raise ValueError(f"every frame must have the first one's size {shape[1]}×"
                             f"{shape[0]}, got {array.shape[1]}×{array.shape[0]}")
        yield array
    check_cancel(cancel)
    if shape is None:
        raise ValueError("there are no frames to write")


def frame_progress(progress: ProgressFn | None, done: int, total: int | None) -> None:
    """Report ``done`` of ``total`` frames written (nothing when the total is unknown)."""
    if total:
        report(progress, done / total, f"Frame {done} of {total}")
