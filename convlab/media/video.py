"""MP4 (H.264 through ``imageio-ffmpeg``) and a self-contained HTML page with it embedded.

``imageio-ffmpeg`` brings its own ``ffmpeg`` program; it is an optional extra
(``pip install "convlab[video]"``), imported only when a video is written.
Without it, :func:`write_mp4` and :func:`write_html` raise
:class:`MissingEncoder`, whose message says what to install.

ffmpeg writes into a scratch file in the system's temporary folder; the
finished video is then copied atomically to its destination (a temporary
file beside it, renamed at the end), so a cancelled or failed export leaves
the destination folder as it was.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from convlab.core.atomic import atomic_output, atomic_write_text

from ._frames import ProgressFn, check_fps, checked_frames, frame_progress

__all__ = [
    "INSTALL_HINT",
    "VIDEO_MAX_FPS",
    "MissingEncoder",
    "encoder_available",
    "html_page",
    "pad_to_even",
    "write_html",
    "write_mp4",
]

#: What to run to be able to write MP4 and HTML animations.
INSTALL_HINT = 'pip install "convlab[video]"   (or: pip install imageio-ffmpeg)'
VIDEO_MAX_FPS = 120.0


class MissingEncoder(RuntimeError):
    """``imageio-ffmpeg`` is not installed: MP4 and HTML animations cannot be written."""

    def __init__(self, detail: str = "") -> None:
        text = ("Writing MP4 video needs the optional package imageio-ffmpeg, which is not "
                f"installed. Install it with:\n    {INSTALL_HINT}")
        super().__init__(text + (f"\n({detail})" if detail else ""))


def encoder_available() -> bool:
    """Whether ``imageio_ffmpeg`` can be imported and finds its ``ffmpeg`` program."""
    try:
        _ffmpeg()
    except MissingEncoder:
        return False
    return True


def _ffmpeg():
    """The ``imageio_ffmpeg`` module, its ffmpeg located; :class:`MissingEncoder` if not."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise MissingEncoder() from exc
    try:
        imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:  # installed, but no ffmpeg binary for this platform
        raise MissingEncoder(str(exc)) from exc
    return imageio_ffmpeg


def pad_to_even(frame: np.ndarray) -> np.ndarray:
    """``frame`` with a row and/or a column added (copies of the last) to make both sizes even.

    H.264 in yuv420p stores colour at half resolution, so it needs even sizes;
    padding keeps the picture undistorted (no scaling).

    Parameters
    ----------
    frame : ndarray, shape (H, W, 3)

    Returns
    -------
    ndarray, shape (H + H % 2, W + W % 2, 3)
        ``frame`` itself when both sizes are already even.

    Examples
    --------
    >>> pad_to_even(np.zeros((3, 4, 3), np.uint8)).shape
    (4, 4, 3)
    """
    pad_rows, pad_cols = frame.shape[0] % 2, frame.shape[1] % 2
    if not (pad_rows or pad_cols):
        return frame
    return np.pad(frame, ((0, pad_rows), (0, pad_cols), (0, 0)), mode="edge")


def _encode(scratch: Path, frames: Iterator[np.ndarray], fps: float, quality: float,
            n_frames: int | None, progress: ProgressFn | None) -> tuple[int, tuple[int, int]]:
    """Encode ``frames`` into the MP4 file ``scratch``; return (frames, (width, height))."""
    ffmpeg = _ffmpeg()
    writer = None
    count = 0
    size = (0, 0)
    try:
        for frame in frames:
            padded = np.ascontiguousarray(pad_to_even(frame))
            if writer is None:
                size = (padded.shape[1], padded.shape[0])
                writer = ffmpeg.write_frames(
                    str(scratch), size, fps=fps, codec="libx264", pix_fmt_in="rgb24",
                    pix_fmt_out="yuv420p", quality=quality, macro_block_size=1,
                    ffmpeg_log_level="error",
                    output_params=["-f", "mp4", "-movflags", "+faststart"])
                writer.send(None)
            writer.send(padded)
            count += 1
            frame_progress(progress, count, n_frames)
    finally:
        if writer is not None:
            writer.close()  # waits for ffmpeg to finish the file
    if not scratch.exists() or scratch.stat().st_size == 0:
        raise OSError("ffmpeg did not write the video (see the log for its message)")
    return count, size


@contextlib.contextmanager
def _scratch_file() -> Iterator[Path]:
    folder = tempfile.mkdtemp(prefix="convlab-video-")
    path = Path(folder) / "video.mp4"
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _copy_atomically(source: Path, path: str | os.PathLike) -> None:
    with atomic_output(path) as out, open(source, "rb") as src:
        while chunk := src.read(1 << 20):
            out.write(chunk)


def write_mp4(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    *,
    fps: float = 10.0,
    quality: float = 8.0,
    n_frames: int | None = None,
    progress: ProgressFn | None = None,
    cancel: Callable[[], bool] | None = None,
) -> int:
    """Write ``frames`` as an H.264 MP4 (yuv420p, plays everywhere); return the frame count.

    Parameters
    ----------
    path : str or path-like
        The video file (replaced atomically if it exists).
    frames : iterable of ndarray of uint8, each (H, W, 3)
        RGB frames, all the same size; an odd width or height is padded by one
        pixel (the picture is never scaled).
    fps : float
        Frames per second, in (0, 120].
    quality : float
        imageio-ffmpeg's 0–10 scale (10 best; 8 is H.264 CRF 10: sharp text).
    n_frames : int, optional
        The number of frames, for progress fractions (default ``len(frames)``).
    progress, cancel : callable, optional
        As for :func:`convlab.media.write_gif`.

    Raises
    ------
    MissingEncoder
        imageio-ffmpeg is not installed (nothing is written).
    ValueError, OSError, convlab.core.Cancelled
        As for :func:`convlab.media.write_gif`; nothing is left behind.
    """
    fps = check_fps(fps, VIDEO_MAX_FPS)
    _ffmpeg()
    if n_frames is None and hasattr(frames, "__len__"):
        n_frames = len(frames)  # type: ignore[arg-type]
    with _scratch_file() as scratch:
        count, _ = _encode(scratch, checked_frames(frames, cancel), fps, quality, n_frames,
                           progress)
        _copy_atomically(scratch, path)
    return count


def html_page(mp4: bytes, width: int, height: int, title: str, caption: str = "") -> str:
    """A self-contained HTML page playing ``mp4`` (embedded as base64; no external resources).

    Parameters
    ----------
    mp4 : bytes
        An H.264 MP4 file.
    width, height : int
        The video's size in pixels (the page shows it at most this large).
    title : str
        The page's title and heading.
    caption : str
        One line under the video.

    Examples
    --------
    >>> page = html_page(b"abc", 640, 360, "Run <1>", "100 frames")
    >>> 'src="data:video/mp4;base64,YWJj"' in page, "Run &lt;1&gt;" in page
    (True, True)
    """
    data = base64.b64encode(mp4).decode("ascii")
    title_text = html.escape(title)
    caption_html = (f'\n<p class="caption">{html.escape(caption)}</p>' if caption else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ConvLab">
<title>{title_text}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: {width}px;
       padding: 0 1em; color: #222; background: #fff; }}
video {{ width: 100%; max-width: {width}px; height: auto; display: block; }}
.caption {{ color: #555; }}
</style>
</head>
<body>
<h1>{title_text}</h1>
<video controls autoplay loop muted playsinline width="{width}" height="{height}"
       src="data:video/mp4;base64,{data}">
Your browser cannot play this MP4 video.
</video>{caption_html}
</body>
</html>
"""


def write_html(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    *,
    title: str,
    caption: str = "",
    fps: float = 10.0,
    quality: float = 8.0,
    n_frames: int | None = None,
    progress: ProgressFn | None = None,
    cancel: Callable[[], bool] | None = None,
) -> int:
    """Write a self-contained HTML page playing ``frames`` as an embedded MP4.

    Like matplotlib's ``Animation.to_html5_video``, but a whole page: a
    heading ``title``, the video (``controls autoplay loop muted``) and a
    one-line ``caption``. Parameters, return value and errors as for
    :func:`write_mp4`.
    """
    fps = check_fps(fps, VIDEO_MAX_FPS)
    _ffmpeg()
    if n_frames is None and hasattr(frames, "__len__"):
        n_frames = len(frames)  # type: ignore[arg-type]
    with _scratch_file() as scratch:
        count, (width, height) = _encode(scratch, checked_frames(frames, cancel), fps,
                                         quality, n_frames, progress)
        page = html_page(scratch.read_bytes(), width, height, title, caption)
    atomic_write_text(path, page)
    return count
