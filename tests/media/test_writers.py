"""The GIF, MP4 and HTML writers: round trips, frame differencing, cancel and failure."""

from __future__ import annotations

import base64
import re
import sys
import tempfile

import numpy as np
import pytest
from PIL import Image

from convlab.core import Cancelled
from convlab.media import (
    MissingEncoder,
    encoder_available,
    gif_delays,
    gif_palette,
    pad_to_even,
    write_gif,
    write_html,
    write_mp4,
)

BLUE, RED, GREY = (31, 119, 180), (214, 39, 40), (60, 60, 60)


def plot_frames(n: int, width: int = 96, height: int = 64) -> list[np.ndarray]:
    """Plot-like frames: white, an axis box, a blue curve growing, a red dot at its end."""
    frames = []
    x = np.arange(8, width - 8)
    y = (height - 10 - (height - 20) * np.exp(-3 * (x - 8) / (width - 16))).astype(int)
    for i in range(n):
        frame = np.full((height, width, 3), 255, np.uint8)
        frame[4, 4:-4] = frame[-5, 4:-4] = GREY
        frame[4:-4, 4] = frame[4:-4, -5] = GREY
        k = 2 + (len(x) - 2) * i // max(n - 1, 1)
        frame[y[:k], x[:k]] = BLUE
        frame[y[k - 1] - 1:y[k - 1] + 2, x[k - 1] - 1:x[k - 1] + 2] = RED
        frames.append(frame)
    return frames


def read_gif(path) -> tuple[Image.Image, list[np.ndarray], list[int]]:
    image = Image.open(path)
    frames, durations = [], []
    for i in range(image.n_frames):
        image.seek(i)
        frames.append(np.asarray(image.convert("RGB")))
        durations.append(image.info["duration"])
    return image, frames, durations


def listing(folder) -> list[tuple[str, int]]:
    return sorted((p.name, p.stat().st_size) for p in folder.iterdir())


# -- GIF ---------------------------------------------------------------------------------


def test_gif_round_trip_is_exact_for_few_colours(tmp_path):
    frames = plot_frames(10)
    path = tmp_path / "run.gif"
    calls = []
    assert write_gif(path, frames, fps=10, progress=lambda f, m: calls.append((f, m))) == 10
    image, back, durations = read_gif(path)
    assert image.n_frames == 10
    assert image.info["loop"] == 0
    assert durations == [100] * 10
    for original, decoded in zip(frames, back, strict=True):
        np.testing.assert_array_equal(decoded, original)
    assert calls[0] == (0.1, "Frame 1 of 10") and calls[-1] == (1.0, "Frame 10 of 10")


def test_gif_stores_only_the_changed_rectangle(tmp_path):
    frames = plot_frames(6)
    path = tmp_path / "run.gif"
    write_gif(path, frames, fps=5)
    image = Image.open(path)
    for i in range(1, 6):
        image.seek(i)
        changed = np.any(frames[i] != frames[i - 1], axis=2)
        rows, cols = np.flatnonzero(changed.any(1)), np.flatnonzero(changed.any(0))
        expected = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
        assert image.dispose_extent == expected
        assert image.disposal_method == 1  # keep the previous frame under the transparent pixels


def test_gif_merges_repeated_frames_into_a_longer_delay(tmp_path):
    a, b = plot_frames(2)
    path = tmp_path / "run.gif"
    assert write_gif(path, [a, a, a, b], fps=10) == 2
    _, back, durations = read_gif(path)
    assert durations == [300, 100]
    np.testing.assert_array_equal(back[1], b)


def test_gif_delays_keep_the_total_time():
    assert gif_delays(3, 10).tolist() == [10, 10, 10]
    delays = gif_delays(30, 30)
    assert sorted(set(delays.tolist())) == [3, 4] and delays.sum() == 100
    assert gif_delays(4, 50).tolist() == [2, 2, 2, 2]
    with pytest.raises(ValueError, match="at most 50"):
        gif_delays(4, 60)


def test_gif_palette_error_is_small_for_many_colours(tmp_path):
    # A smooth two-colour ramp has 2,000+ colours: more than a GIF palette holds.
    yy, xx = np.mgrid[0:64, 0:128]
    ramp = np.stack([xx * 2, yy * 4, 255 - xx], axis=-1).astype(np.uint8)
    frames = [ramp, np.roll(ramp, 9, axis=1)]
    assert len(np.unique(ramp.reshape(-1, 3), axis=0)) > 2000
    path = tmp_path / "ramp.gif"
    write_gif(path, frames, fps=2, palette_sample=frames)
    _, back, _ = read_gif(path)
    palette = gif_palette(frames)
    assert palette.shape[0] <= 255
    for original, decoded in zip(frames, back, strict=True):
        error = np.abs(decoded.astype(int) - original)
        # each pixel is its palette's nearest colour
        distance = ((original.reshape(-1, 1, 3).astype(int) - palette[None].astype(int)) ** 2
                    ).sum(-1)
        nearest = palette[np.argmin(distance, axis=1)].reshape(original.shape)
        np.testing.assert_array_equal(decoded, nearest)
        assert error.mean() < 4


def test_gif_of_plot_like_frames_is_small(tmp_path):
    # 40 of a 1280×720 run: each frame after the first stores only its change.
    frames = plot_frames(40, 1280, 720)
    path = tmp_path / "big.gif"
    write_gif(path, iter(frames), fps=10, palette_sample=[frames[0], frames[-1]])
    size = path.stat().st_size
    first = tmp_path / "first.gif"
    write_gif(first, frames[:1])
    # a whole frame each would be 40 × the first; the deltas cost far less
    assert size < 3 * first.stat().st_size
    assert size < 40 / 200 * 15e6  # the 15 MB for 200 frames, pro rata


def test_gif_cancel_leaves_the_folder_unchanged(tmp_path):
    (tmp_path / "run.gif").write_bytes(b"old")
    before = listing(tmp_path)
    frames = plot_frames(10)
    seen = []

    def cancel() -> bool:
        return len(seen) >= 4

    def counted():
        for frame in frames:
            seen.append(1)
            yield frame

    with pytest.raises(Cancelled):
        write_gif(tmp_path / "run.gif", counted(), n_frames=10, cancel=cancel)
    assert len(seen) == 4
    assert listing(tmp_path) == before
    assert (tmp_path / "run.gif").read_bytes() == b"old"


def test_gif_failures_leave_nothing_behind(tmp_path):
    with pytest.raises(OSError):
        write_gif(tmp_path / "missing" / "run.gif", plot_frames(2))
    assert listing(tmp_path) == []
    frames = [*plot_frames(3), np.zeros((10, 10, 3), np.uint8)]  # a frame of another size
    with pytest.raises(ValueError, match="size"):
        write_gif(tmp_path / "run.gif", frames)
    with pytest.raises(ValueError, match="RGB uint8"):
        write_gif(tmp_path / "run.gif", [np.zeros((4, 4), np.uint8)])
    with pytest.raises(ValueError, match="no frames"):
        write_gif(tmp_path / "run.gif", [])
    assert listing(tmp_path) == []


# -- MP4 and HTML ----------------------------------------------------------------------


def read_video(path) -> tuple[dict, list[np.ndarray]]:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(b, np.uint8).reshape(height, width, 3) for b in reader]
    return meta, frames


def smooth_frames(n: int, width: int, height: int) -> list[np.ndarray]:
    """Frames a video codec keeps well: a grey level rising, a dark bar moving."""
    frames = []
    for i in range(n):
        frame = np.full((height, width, 3), 40 + 18 * i, np.uint8)
        frame[:, 4 * i:4 * i + 8] = (20, 60, 200)
        frames.append(frame)
    return frames


@pytest.fixture
def scratch_dir(tmp_path, monkeypatch):
    """The system temporary folder the video writers use, so leftovers there show."""
    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_encoder_is_installed_by_the_test_extra():
    assert encoder_available()


def test_mp4_round_trip(tmp_path, scratch_dir):
    frames = smooth_frames(10, 64, 48)
    path = tmp_path / "run.mp4"
    assert write_mp4(path, frames, fps=10) == 10
    meta, back = read_video(path)
    assert meta["size"] == (64, 48) and meta["fps"] == 10
    assert len(back) == 10
    for original, decoded in zip(frames, back, strict=True):
        assert np.abs(decoded.astype(int) - original).mean() < 3
    assert list(scratch_dir.iterdir()) == []


def test_mp4_pads_odd_sizes_without_scaling(tmp_path, scratch_dir):
    frames = smooth_frames(4, 65, 47)
    path = tmp_path / "odd.mp4"
    write_mp4(path, frames, fps=4)
    meta, back = read_video(path)
    assert meta["size"] == (66, 48)
    for original, decoded in zip(frames, back, strict=True):
        assert np.abs(decoded[:47, :65].astype(int) - original).mean() < 3
        # the added column and row repeat the picture's edge (the bar is at the left)
        assert np.abs(decoded[:47, 65].astype(int) - original[:, 64]).mean() < 3
        assert np.abs(decoded[47, :65].astype(int) - original[46]).mean() < 3


def test_pad_to_even_repeats_the_edge():
    frame = np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3)
    padded = pad_to_even(frame)
    assert padded.shape == (4, 6, 3)
    np.testing.assert_array_equal(padded[:3, :5], frame)
    np.testing.assert_array_equal(padded[3, :5], frame[2])
    np.testing.assert_array_equal(padded[:3, 5], frame[:, 4])
    assert pad_to_even(padded) is padded


def test_html_page_holds_a_decodable_mp4(tmp_path, scratch_dir):
    frames = smooth_frames(6, 80, 60)
    path = tmp_path / "run.html"
    assert write_html(path, frames, title="Gradient run", caption="6 frames", fps=6) == 6
    page = path.read_text(encoding="utf-8")
    assert "<title>Gradient run</title>" in page and "6 frames" in page
    assert re.search(r"<video controls autoplay loop muted", page)
    assert "http" not in page  # nothing fetched from elsewhere
    encoded = re.search(r'src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', page).group(1)
    video = tmp_path / "embedded.mp4"
    video.write_bytes(base64.b64decode(encoded))
    meta, back = read_video(video)
    assert meta["size"] == (80, 60) and len(back) == 6
    assert np.abs(back[-1].astype(int) - frames[-1]).mean() < 3
    assert list(scratch_dir.iterdir()) == []


@pytest.mark.parametrize("writer", ["mp4", "html"])
def test_video_cancel_leaves_the_folders_unchanged(tmp_path, scratch_dir, writer):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    before = listing(out)
    frames = smooth_frames(10, 32, 32)
    count = {"n": 0}

    def cancel() -> bool:
        count["n"] += 1
        return count["n"] > 5

    with pytest.raises(Cancelled):
        if writer == "mp4":
            write_mp4(out / "run.mp4", frames, cancel=cancel)
        else:
            write_html(out / "run.html", frames, title="t", cancel=cancel)
    assert listing(out) == before
    assert list(scratch_dir.iterdir()) == []


@pytest.mark.parametrize("writer", ["mp4", "html"])
def test_video_into_a_missing_folder_fails_cleanly(tmp_path, scratch_dir, writer):
    target = tmp_path / "missing" / f"run.{writer}"
    with pytest.raises(OSError):
        if writer == "mp4":
            write_mp4(target, smooth_frames(3, 16, 16))
        else:
            write_html(target, smooth_frames(3, 16, 16), title="t")
    assert listing(tmp_path) == [("systemp", scratch_dir.stat().st_size)]
    assert list(scratch_dir.iterdir()) == []


def test_missing_encoder_is_explained(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails
    assert not encoder_available()
    for call in (lambda: write_mp4(tmp_path / "a.mp4", smooth_frames(2, 8, 8)),
                 lambda: write_html(tmp_path / "a.html", smooth_frames(2, 8, 8), title="t")):
        with pytest.raises(MissingEncoder, match=r'pip install "convlab\[video\]"'):
            call()
    assert list(tmp_path.iterdir()) == []
