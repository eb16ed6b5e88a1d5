"""Animated GIF through Pillow: one shared palette, frame differencing, streamed.

Every frame is mapped (without dithering, by default) onto **one** palette
made from a sample of the animation, so a pixel that does not change keeps
its palette index from frame to frame. Each frame after the first is then
stored as the rectangle of pixels that changed, in which the unchanged ones
are the transparent index (disposal "do not dispose": the previous frame
shows through). A frame equal to the previous one lengthens the previous
frame's delay instead of being stored. Plot-like pictures (flat backgrounds,
a few curves and labels moving) compress to a few tens of kB a frame.

The file is written frame by frame (nothing but the previous frame is kept),
atomically: into a temporary file beside the destination that is renamed at
the end and removed on an error or a cancel.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import IO

import numpy as np

from convlab.core.atomic import atomic_output

from ._frames import ProgressFn, check_fps, checked_frames, frame_progress

__all__ = ["GIF_MAX_FPS", "gif_delays", "gif_palette", "write_gif"]

#: Browsers show delays under 2/100 s as 1/10 s: 50 fps is the fastest a GIF plays.
GIF_MAX_FPS = 50.0
_COLOURS = 255  # index 255 stays free: it is the transparent "unchanged" pixel
_TRANSPARENT = 255


def gif_delays(n_frames: int, fps: float) -> np.ndarray:
    """Each frame's delay in hundredths of a second (GIF's unit) for ``fps``.

    Rounded so the running total stays as close as possible to the exact time
    (at 30 fps the delays go 3, 3, 4, …), never below 2.

    Parameters
    ----------
    n_frames : int
    fps : float
        In (0, 50].

    Returns
    -------
    ndarray of int64, shape (n_frames,)

    Examples
    --------
    >>> gif_delays(6, 30).tolist()
    [3, 4, 3, 3, 4, 3]
    >>> gif_delays(3, 10).tolist()
    [10, 10, 10]
    """
    fps = check_fps(fps, GIF_MAX_FPS)
    ends = np.round(np.arange(1, n_frames + 1) * (100.0 / fps)).astype(np.int64)
    delays = np.diff(ends, prepend=0)
    return np.maximum(delays, 2)


def gif_palette(sample: Sequence[np.ndarray], colours: int = _COLOURS) -> np.ndarray:
    """An adaptive palette for frames like ``sample`` (median cut over all of them).

    Parameters
    ----------
    sample : sequence of ndarray of uint8, each (H_i, W_i, 3)
        Frames whose colours the palette must cover (e.g. the first, the last
        and a few between).
    colours : int
        At most this many entries (2–256).

    Returns
    -------
    ndarray of uint8, shape (K, 3)
        ``K <= colours``; every colour of the sample when it has no more than
        ``colours`` distinct colours.
    """
    from PIL import Image

    if not sample:
        raise ValueError("the palette needs at least one sample frame")
    if not 2 <= colours <= 256:
        raise ValueError(f"a GIF palette has 2 to 256 colours, got {colours}")
    pixels = np.concatenate([np.asarray(f, dtype=np.uint8).reshape(-1, 3) for f in sample])
    present = np.zeros(1 << 24, dtype=bool)
    present[_pack(pixels)] = True
    distinct = np.flatnonzero(present)
    if distinct.size <= colours:
        return _unpack(distinct)
    # Median cut over a strip image of the sample's pixels.
    strip = Image.fromarray(pixels.reshape(1, -1, 3))
    quantised = strip.quantize(colors=colours, method=Image.Quantize.MEDIANCUT,
                               dither=Image.Dither.NONE)
    used = len(quantised.getcolors(256) or ()) or colours
    table = np.frombuffer(bytes(quantised.getpalette() or b""), dtype=np.uint8)
    return table.reshape(-1, 3)[:used].copy()


def _pack(rgb: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 colours as one int per colour ``r << 16 | g << 8 | b``."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    packed = rgb[..., 0].astype(np.int32) << 16
    packed |= rgb[..., 1].astype(np.int32) << 8
    packed |= rgb[..., 2]
    return packed


def _unpack(packed: np.ndarray) -> np.ndarray:
    packed = np.asarray(packed, dtype=np.int64)
    return np.stack([packed >> 16, (packed >> 8) & 255, packed & 255], axis=-1).astype(np.uint8)


class _Quantiser:
    """Maps RGB frames onto one fixed palette: each colour to its nearest entry.

    Exact (squared RGB distance, the lower index on a tie) through a table of
    all 2²⁴ colours filled in as colours are met, so a frame costs two table
    look-ups once its colours have been seen. With ``dither``, Pillow's
    Floyd–Steinberg onto the same palette instead.
    """

    def __init__(self, palette: np.ndarray, dither: bool) -> None:
        self._palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
        if not 1 <= self._palette.shape[0] <= _COLOURS:
            raise ValueError(f"the palette must have 1 to {_COLOURS} colours")
        self._dither = dither
        self._lut = np.full(1 << 24, -1, dtype=np.int16)  # -1: not met yet

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if self._dither:
            return self._pillow(frame)
        keys = _pack(frame)
        indices = self._lut[keys]
        unknown = indices < 0
        if unknown.any():
            self._learn(np.unique(keys[unknown]))
            indices = self._lut[keys]
        return indices.astype(np.uint8)

    def _learn(self, keys: np.ndarray) -> None:
        entries = self._palette.astype(np.int32)
        for start in range(0, keys.size, 4096):
            chunk = keys[start:start + 4096]
            colours = _unpack(chunk).astype(np.int32)
            distance = ((colours[:, None, :] - entries[None, :, :]) ** 2).sum(axis=2)
            self._lut[chunk] = np.argmin(distance, axis=1)

    def _pillow(self, frame: np.ndarray) -> np.ndarray:
        from PIL import Image

        table = np.zeros((256, 3), dtype=np.uint8)
        table[: self._palette.shape[0]] = self._palette
        table[self._palette.shape[0]:] = self._palette[0]
        palette_image = Image.new("P", (1, 1))
        palette_image.putpalette(table.tobytes())
        out = np.asarray(Image.fromarray(np.ascontiguousarray(frame)).quantize(
            palette=palette_image, dither=Image.Dither.FLOYDSTEINBERG), dtype=np.uint8)
        return np.where(out >= self._palette.shape[0], 0, out).astype(np.uint8)


def _header(width: int, height: int, palette: np.ndarray, loop: int) -> bytes:
    table = np.zeros((256, 3), dtype=np.uint8)
    table[: palette.shape[0]] = palette
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0)  # 256-colour table
    netscape = b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00"
    return screen + table.tobytes() + netscape


def _frame_bytes(indices: np.ndarray, offset: tuple[int, int], delay_cs: int,
                 transparent: bool) -> bytes:
    """Graphic control extension, image descriptor and LZW data of one frame (Pillow)."""
    from PIL import GifImagePlugin, Image

    image = Image.fromarray(np.ascontiguousarray(indices))  # "L": the raw indices
    params: dict = {"duration": int(delay_cs) * 10, "disposal": 1}
    if transparent:
        params["transparency"] = _TRANSPARENT
    return b"".join(GifImagePlugin.getdata(image, offset=offset, **params))


def _box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The bounding box ``(y0, y1, x0, x1)`` of the True pixels of ``mask``, or None."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def write_gif(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    *,
    fps: float = 10.0,
    palette_sample: Sequence[np.ndarray] | None = None,
    n_frames: int | None = None,
    dither: bool = False,
    loop: int = 0,
    progress: ProgressFn | None = None,
    cancel: Callable[[], bool] | None = None,
) -> int:
    """Write an animated GIF of ``frames``; return the number of frames written.

    Parameters
    ----------
    path : str or path-like
        The GIF file (replaced atomically if it exists).
    frames : iterable of ndarray of uint8, each (H, W, 3)
        RGB frames, all the same size; consumed one at a time (an iterator
        fed by another thread is fine).
    fps : float
        Frames per second, in (0, 50]. Delays are rounded to GIF's 1/100 s
        keeping the total time right (see :func:`gif_delays`).
    palette_sample : sequence of frames, optional
        Frames to build the shared palette from (:func:`gif_palette`); give a
        spread of the animation (its first and last frames at least). Default:
        ``frames`` itself when it is a sequence (up to 8 frames spread over
        it), else the first frame.
    n_frames : int, optional
        The number of frames, for progress fractions only (default
        ``len(frames)`` when it has one).
    dither : bool
        Floyd–Steinberg dithering (default off: flat plot colours stay flat and
        unchanged pixels stay equal, which keeps the file small).
    loop : int
        0 (the default) loops forever; otherwise the number of repetitions.
    progress : callable, optional
        ``progress(fraction, message)`` after each frame.
    cancel : callable, optional
        Asked before each frame; when it returns True the temporary file is
        removed and :class:`convlab.core.Cancelled` is raised.

    Returns
    -------
    int
        Frames in the file (a frame equal to the previous one lengthens its
        delay instead, so this may be fewer than given).

    Raises
    ------
    ValueError
        Bad frames (see :func:`convlab.media.checked_frames`), no frames, a bad
        ``fps``.
    OSError
        The file cannot be written. Nothing is left behind.
    convlab.core.Cancelled
        ``cancel()`` returned True. Nothing is left behind.
    """
    delays_per_second = check_fps(fps, GIF_MAX_FPS)
    if n_frames is None and hasattr(frames, "__len__"):
        n_frames = len(frames)  # type: ignore[arg-type]
    if palette_sample is None and isinstance(frames, Sequence) and len(frames):
        picks = np.unique(np.linspace(0, len(frames) - 1, min(8, len(frames))).astype(int))
        palette_sample = [frames[i] for i in picks]
    ends_cs = 100.0 / delays_per_second
    with atomic_output(path) as handle:
        return _stream(handle, checked_frames(frames, cancel), palette_sample, ends_cs,
                       dither, loop, n_frames, progress)


def _stream(handle: IO[bytes], frames, palette_sample, frame_cs: float, dither: bool,
            loop: int, n_frames: int | None, progress: ProgressFn | None) -> int:
    quantise: _Quantiser | None = None
    previous_rgb: np.ndarray | None = None
    indices: np.ndarray | None = None
    pending: tuple[np.ndarray, tuple[int, int], bool] | None = None
    pending_start = 0  # the pending frame's first frame number
    written = 0
    seen = 0
    for frame in frames:
        piece: tuple[np.ndarray, tuple[int, int], bool] | None
        if quantise is None or previous_rgb is None or indices is None:
            palette = gif_palette(list(palette_sample) if palette_sample else [frame])
            quantise = _Quantiser(palette, dither)
            handle.write(_header(frame.shape[1], frame.shape[0], palette, loop))
            indices = quantise(frame)
            piece = (indices, (0, 0), False)
        else:
            piece = _delta(quantise, previous_rgb, frame, indices, dither)
            if piece is not None:
                indices = piece[3]
                piece = piece[:3]
        if piece is not None:  # else the same picture: the pending frame lasts longer
            if pending is not None:
                written += _flush(handle, pending, pending_start, seen, frame_cs)
                pending_start = seen
            pending = piece
        previous_rgb = frame.copy()  # the caller may reuse its buffer
        seen += 1
        frame_progress(progress, seen, n_frames)
    if pending is not None:
        written += _flush(handle, pending, pending_start, seen, frame_cs)
    handle.write(b";")
    return written


def _delta(quantise: _Quantiser, previous_rgb: np.ndarray, frame: np.ndarray,
           previous: np.ndarray, dither: bool):
    """What changed since the previous frame: ``(crop, (x, y), True, indices)`` or None.

    Without dithering only the rectangle of changed RGB pixels is mapped onto
    the palette (the rest keeps its indices); in the stored rectangle, pixels
    whose index did not change are the transparent index.
    """
    if dither:  # dithering spreads errors: every pixel may change with any other
        current = quantise(frame)
    else:
        unequal = frame != previous_rgb
        rgb_box = _box(unequal[..., 0] | unequal[..., 1] | unequal[..., 2])
        if rgb_box is None:
            return None
        y0, y1, x0, x1 = rgb_box
        current = previous.copy()
        current[y0:y1, x0:x1] = quantise(frame[y0:y1, x0:x1])
    changed = current != previous
    box = _box(changed)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    crop = current[y0:y1, x0:x1].copy()
    crop[~changed[y0:y1, x0:x1]] = _TRANSPARENT
    return crop, (x0, y0), True, current


def _flush(handle: IO[bytes], piece, start: int, end: int, frame_cs: float) -> int:
    """Write a frame shown from frame ``start`` to ``end`` (delay rounded on the running total)."""
    indices, offset, transparent = piece
    delay = max(2, round(end * frame_cs) - round(start * frame_cs))
    handle.write(_frame_bytes(indices, offset, delay, transparent))
    return 1
