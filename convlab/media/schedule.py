"""Which recorded steps of a run become the frames of an animation."""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["SPACINGS", "frame_steps"]

#: The two ways frames can be spread over a run.
SPACINGS = ("even", "log")


def frame_steps(
    steps: np.ndarray,
    n_frames: int,
    spacing: Literal["even", "log"] = "even",
) -> np.ndarray:
    """The recorded steps shown as the frames of an animation.

    ``n_frames`` target steps are spread from the first recorded step to the
    last — evenly in step value (``"even"``), or evenly in the logarithm of
    the steps since the start (``"log"``: targets ``s0 - 1 + geomspace(1,
    s_last - s0 + 1, n_frames)``, so the early, fast-changing part of a long
    run gets more frames). Each target becomes the recorded step nearest to it
    (the earlier one on a tie), and repeated steps are dropped.

    So the result always starts with the first recorded step and ends with the
    last, holds only recorded steps, increases strictly, and has **at most**
    ``n_frames`` entries: fewer when several targets fall nearest the same
    recorded step (e.g. the first targets of a log schedule, when the record
    is thinned). When no more steps are recorded than frames are asked
    (``len(steps) <= n_frames``), every recorded step is a frame.

    Parameters
    ----------
    steps : ndarray of int, shape (M,)
        The recorded steps, strictly increasing.
    n_frames : int
        Frames asked for, at least 2.
    spacing : {"even", "log"}
        How the targets are spread.

    Returns
    -------
    ndarray of int64, shape (K,)
        ``K <= min(M, n_frames)``; ``K = M`` when ``M <= n_frames``; ``K >= 2``
        when ``M >= 2``. An empty or one-step record is returned as it is.

    Raises
    ------
    ValueError
        If ``steps`` is not one-dimensional and strictly increasing, if
        ``n_frames < 2`` or ``spacing`` is unknown.

    Examples
    --------
    >>> frame_steps(np.arange(0, 101, 10), 3)
    array([  0,  50, 100])
    >>> frame_steps(np.arange(0, 1001), 4, "log")
    array([   0,    9,   99, 1000])
    """
    if spacing not in SPACINGS:
        raise ValueError(f"spacing must be 'even' or 'log', got {spacing!r}")
    if isinstance(n_frames, bool) or int(n_frames) != n_frames or n_frames < 2:
        raise ValueError(f"an animation needs at least 2 frames, got {n_frames!r}")
    recorded = np.asarray(steps)
    if recorded.ndim != 1:
        raise ValueError(f"steps must be one-dimensional, got shape {recorded.shape}")
    recorded = recorded.astype(np.int64)
    if recorded.size and np.any(np.diff(recorded) <= 0):
        raise ValueError("steps must be strictly increasing")
    if recorded.size <= int(n_frames):
        return recorded.copy()
    first, last = int(recorded[0]), int(recorded[-1])
    if spacing == "even":
        targets = np.linspace(first, last, int(n_frames))
    else:
        targets = first - 1 + np.geomspace(1, last - first + 1, int(n_frames))
    # Nearest recorded step: compare the neighbours either side of each target.
    right = np.clip(np.searchsorted(recorded, targets, side="left"), 1, recorded.size - 1)
    left = right - 1
    take_right = (recorded[right] - targets) < (targets - recorded[left])
    chosen = np.where(take_right, recorded[right], recorded[left])
    chosen[0], chosen[-1] = first, last  # exact, whatever the rounding of the targets
    return np.unique(chosen)
