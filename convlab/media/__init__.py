"""Animations of a run as files: animated GIF, MP4 video, an HTML page with the video.

Qt-free (numpy, Pillow, and ``imageio-ffmpeg`` when it is installed), so it
can run in a worker thread or a notebook. Every writer takes an iterable of
RGB uint8 frames ``(H, W, 3)`` plus ``progress(fraction, message)`` and
``cancel()`` callbacks, and writes atomically: a cancelled or failed export
leaves the destination folder as it was. :func:`frame_steps` chooses which
recorded steps of a run become frames.
"""

from __future__ import annotations

from ._frames import checked_frames
from .gif import GIF_MAX_FPS, gif_delays, gif_palette, write_gif
from .schedule import SPACINGS, frame_steps
from .video import (
    INSTALL_HINT,
    VIDEO_MAX_FPS,
    MissingEncoder,
    encoder_available,
    html_page,
    pad_to_even,
    write_html,
    write_mp4,
)

__all__ = [
    "GIF_MAX_FPS",
    "INSTALL_HINT",
    "SPACINGS",
    "VIDEO_MAX_FPS",
    "MissingEncoder",
    "checked_frames",
    "encoder_available",
    "frame_steps",
    "gif_delays",
    "gif_palette",
    "html_page",
    "pad_to_even",
    "write_gif",
    "write_html",
    "write_mp4",
]
