"""What every exported script shares: its header, its ``main()`` (with and without
``--animate``), the animation helpers written into the script, literals, the MNIST source."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import convlab

_HEADER = '''#!/usr/bin/env python3
"""ConvLab {version} — {lab}, exported {date}.

{summary}

Run it with the Python that has ConvLab installed:
    python {{this file}}            print the results (and plot them if matplotlib is installed)
    python {{this file}} --json     print the results as JSON
{usage}"""

import argparse
import json
{imports}
import numpy as np

import convlab.core as cc

'''

#: The start of every script's ``main()``: its parser and the options all scripts have.
_PARSER = '''

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-plot", action="store_true", help="do not draw with matplotlib")
'''

#: The end of every script's ``main()``: the plots (unless ``--no-plot``), and the entry point.
_SHOW = '''    if not args.no_plot:
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("(install matplotlib to see the plots)")
            return
        plot(results, plt)
        plt.show()


if __name__ == "__main__":
    main()
'''

_MAIN = _PARSER + '''    args = parser.parse_args()
    results = compute()
    if args.json:
        print(json.dumps(results))
        return
    report(results)
''' + _SHOW

#: Code the Gradient and CNN scripts share for ``--animate``: the options' checks, the frame
#: schedule, finding matplotlib (and ffmpeg) and writing the file.
_ANIMATION = '''

# ---------------------------------------------------------------- --animate FILE
ANIMATION_FORMATS = {".gif": "GIF", ".mp4": "MP4 video", ".html": "web page"}


def animation_file(name: str) -> str:
    """--animate's argument: a file name ending in .gif, .mp4 or .html (the format)."""
    if Path(name).suffix.lower() not in ANIMATION_FORMATS:
        raise argparse.ArgumentTypeError(
            f"{name!r}: the animation's file name must end in .gif, .mp4 or .html")
    if not Path(name).expanduser().resolve().parent.is_dir():
        raise argparse.ArgumentTypeError(f"{name!r}: no such folder to write it in")
    return str(Path(name).expanduser())


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ≥ 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number > 0")
    return value


def frame_steps(recorded, frames: int, spacing: str = "even") -> list:
    """The steps an animation's frames show: ``frames`` of the ``recorded`` steps.

    ``recorded`` are the steps the run kept, increasing. The first and the last
    are always shown; frame k in between shows the last recorded step at or
    before its target step. The targets are evenly spaced from the first step to
    the last (``"even"``), or evenly spaced in log(1 + step) (``"log"``: the early
    steps, where most happens, get more frames). No step is shown twice: a target
    that would repeat the previous frame's step takes the next recorded step.
    With fewer recorded steps than frames, each is shown once.

    >>> frame_steps(range(301), 8)
    [0, 42, 85, 128, 171, 214, 257, 300]
    >>> frame_steps(range(301), 8, "log")
    [0, 1, 4, 10, 25, 57, 132, 300]
    """
    steps = np.asarray(list(recorded), dtype=np.int64)
    n = min(int(frames), len(steps))
    if n < 2:
        return steps[-n:].tolist() if n else []
    first, last = float(steps[0]), float(steps[-1])
    if spacing == "log":
        targets = first + np.expm1(np.linspace(0.0, np.log1p(last - first), n))
    elif spacing == "even":
        targets = np.linspace(first, last, n)
    else:
        raise ValueError(f"spacing must be 'even' or 'log', got {spacing!r}")
    targets[0], targets[-1] = first, last
    # the last recorded step at or before each target (a hair of slack for rounding)
    index = np.searchsorted(steps, targets + 1e-9 * max(1.0, abs(last)), side="right") - 1
    for k in range(1, n):
        index[k] = max(index[k], index[k - 1] + 1)
    index = np.minimum(index, len(steps) - n + np.arange(n))  # room left for the rest
    return steps[index].tolist()


def animation_tools(path: str):
    """matplotlib's pyplot, headless, and the ffmpeg to use (None: none found, or not needed).

    Without matplotlib (or, for an .mp4, without ffmpeg) this says how to install
    it and exits with status 2.
    """
    try:
        import matplotlib
    except ImportError:
        print(f"--animate needs matplotlib: install it with  {sys.executable} -m pip install "
              "matplotlib", file=sys.stderr)
        raise SystemExit(2) from None
    matplotlib.use("Agg")  # headless: no window, works without a display
    import matplotlib.pyplot as plt

    suffix = Path(path).suffix.lower()
    ffmpeg = find_ffmpeg(matplotlib) if suffix in (".mp4", ".html") else None
    if suffix == ".mp4" and ffmpeg is None:
        print(f"an .mp4 needs ffmpeg: install it with  {sys.executable} -m pip install "
              "imageio-ffmpeg  (or write a .gif or an .html)", file=sys.stderr)
        raise SystemExit(2)
    return plt, ffmpeg


def find_ffmpeg(matplotlib):
    """The system's ffmpeg, else imageio-ffmpeg's bundled one (set for matplotlib), else None."""
    from matplotlib import animation

    if animation.writers.is_available("ffmpeg"):
        return matplotlib.rcParams["animation.ffmpeg_path"]
    try:
        import imageio_ffmpeg

        matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None
    if animation.writers.is_available("ffmpeg"):
        return matplotlib.rcParams["animation.ffmpeg_path"]
    return None


def write_animation(fig, update, frames: int, path: str, fps: float, ffmpeg, plt) -> str:
    """Render update(0 … frames − 1) into ``path`` (its suffix says the format).

    Returns the line saying what was written.
    """
    import matplotlib
    from matplotlib import animation

    update(0)
    fig.canvas.draw()  # lay the figure out once, then keep it: each frame draws much faster
    fig.set_layout_engine(None)
    fig.canvas.draw_idle = lambda *_args, **_kwargs: None  # headless: only the saving draws
    anim = animation.FuncAnimation(fig, update, frames=frames, interval=1000 / fps,
                                   blit=False, repeat=False)
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        anim.save(path, writer=animation.PillowWriter(fps=fps))
        how = "GIF, matplotlib's PillowWriter"
    elif suffix == ".mp4":
        anim.save(path, writer=animation.FFMpegWriter(fps=fps))
        how = f"MP4 video, ffmpeg {ffmpeg}"
    else:
        matplotlib.rcParams["animation.embed_limit"] = 500.0  # MB: never cut the page short
        if ffmpeg is not None:
            body = anim.to_html5_video()
            how = f"web page with an HTML5 video, ffmpeg {ffmpeg}"
        else:
            body = anim.to_jshtml(fps=fps)
            how = ("web page with a JavaScript animation: no ffmpeg found (python -m pip "
                   "install imageio-ffmpeg for a video)")
        title = __doc__.splitlines()[0]
        Path(path).write_text(
            "<!DOCTYPE html>\\n<html>\\n<head>\\n<meta charset=\\"utf-8\\">\\n"
            f"<title>{title}</title>\\n</head>\\n<body>\\n<h1>{title}</h1>\\n{body}\\n"
            "</body>\\n</html>\\n", encoding="utf-8")
    plt.close(fig)
    return f"wrote {path}: {frames} frames at {fps:g} fps ({how})"
'''


def _animated_main(options: str, compute: str, animate: str) -> str:
    """``main()`` of a script that can also ``--animate``.

    ``options`` adds its own argparse options (code lines, indented 4), ``compute``
    is the expression computing the results when animating, and ``animate`` the
    lines (indented 8) that render them — given ``plt``, ``ffmpeg``, ``args`` and
    ``results``, they set ``message`` (the line saying what was written).
    """
    return _PARSER + f'''    parser.add_argument("--animate", metavar="FILE", type=animation_file,
                        help="render the run as an animation into FILE, headless with "
                             "matplotlib: its suffix says the format, .gif, .mp4 or .html")
    parser.add_argument("--frames", metavar="N", type=positive_int, default=100,
                        help="frames in the animation (default 100)")
    parser.add_argument("--fps", metavar="F", type=positive_float, default=10.0,
                        help="frames per second (default 10)")
{options}    args = parser.parse_args()
    if args.animate:
        plt, ffmpeg = animation_tools(args.animate)  # first: exits if matplotlib is missing
        results = {compute}
    else:
        results = compute()
    if args.json:
        print(json.dumps(results))
    else:
        report(results)
    if args.animate:
{animate}        print(message, file=sys.stderr if args.json else sys.stdout)
        return
    if args.json:
        return
''' + _SHOW


def _literal(value: Any) -> str:
    """A Python literal for JSON-safe ``value`` (floats exact, None/True/False spelled)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into a script")


_ANIMATE_USAGE = (
    "    python {this file} --animate run.gif   render the run as an animation (.gif, .mp4 or\n"
    "                                           .html; needs matplotlib): see --help\n")


def _header(lab: str, summary: str, animated: bool = False) -> str:
    return _HEADER.format(
        version=convlab.__version__,
        lab=lab,
        date=_dt.date.today().isoformat(),
        summary=summary,
        usage=_ANIMATE_USAGE if animated else "",
        imports="import sys\nfrom pathlib import Path\n" if animated else "",
    )


def _mnist_source_name(source: str) -> str:
    """The last part of a data-source path (a folder or a .npz name), never the full path."""
    import pathlib

    return pathlib.PurePath(source.replace("\\", "/")).name or "mnist"


def _data_source_code(source: str | None) -> str:
    """``DATA_SOURCE = …`` and ``data_source()`` for a script that loads MNIST like the lab.

    A data folder is named by its last part only (the full path would reveal the user's
    folders when the script is shared); the script looks for it next to itself, and
    says how to point it elsewhere.
    """
    if source is None:
        declaration = "DATA_SOURCE = None  # None: the sample bundled with ConvLab"
    else:
        declaration = (
            "# The lab read the digits from a folder (or Keras .npz) called "
            f"{_mnist_source_name(source)!r};\n"
            "# its full path is not written here, so the script can be shared. Put that folder\n"
            "# next to this script, or set DATA_SOURCE to where the four MNIST files are\n"
            "# (None: the sample bundled with ConvLab).\n"
            f"DATA_SOURCE = {_mnist_source_name(source)!r}"
        )
    return declaration + '''


def data_source():
    """DATA_SOURCE as load_mnist takes it: a relative path is taken from this script's folder."""
    if DATA_SOURCE is None:
        return None
    path = Path(DATA_SOURCE).expanduser()
    if not path.is_absolute():
        path = Path(__file__).resolve().parent / path
    if not path.exists():
        raise SystemExit(f"No MNIST at {path}: set DATA_SOURCE at the top of this script to "
                         "the folder with the four MNIST files (or None for the bundled sample).")
    return str(path)
'''
