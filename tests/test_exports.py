"""Data exports read back to the same numbers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

import convlab.core as cc
from convlab.exports import (
    open_csv_export,
    save_detector_npz,
    write_signals_csv,
    write_updown_csv,
)


def test_signals_csv_round_trip():
    x = np.array([1.0, 2.0, 3.0, 0.0, -1.0])
    w = np.array([1.0, -1.0])
    z = cc.conv1d(x, w)
    stream = io.StringIO()
    rows = write_signals_csv(stream, {"x": x, "w": w, "z": z})
    assert rows == 5 + 2 + 4
    table = list(csv.DictReader(io.StringIO(stream.getvalue())))
    got_z = [float(r["value"]) for r in table if r["series"] == "z"]
    assert got_z == [-1.0, -1.0, 3.0, 1.0]
    assert [int(r["index"]) for r in table if r["series"] == "w"] == [0, 1]


def test_updown_csv_round_trip():
    data = cc.updown_dataset(10, 5, seed=3)
    stream = io.StringIO()
    assert write_updown_csv(stream, data) == 20
    table = list(csv.reader(io.StringIO(stream.getvalue())))
    assert table[0] == ["split", "label", "t0", "t1", "t2", "t3", "t4"]
    (x_train, y_train), (_, y_test) = data
    train = [r for r in table[1:] if r[0] == "train"]
    np.testing.assert_array_equal(np.array([r[2:] for r in train], dtype=float), x_train)
    np.testing.assert_array_equal([int(r[1]) for r in train], y_train)
    assert sum(r[0] == "test" for r in table[1:]) == len(y_test)


def test_detector_npz_round_trip(tmp_path):
    digit = cc.load_mnist().train_images[2]
    figure = cc.detector_figure(digit, cc.LINE_DETECTORS, 1.5, "full", True)
    path = tmp_path / "detectors.npz"
    save_detector_npz(path, figure)
    with np.load(path, allow_pickle=False) as saved:
        np.testing.assert_array_equal(saved["responses"], figure.responses)
        np.testing.assert_array_equal(saved["masks"], figure.masks)
        np.testing.assert_array_equal(saved["digit"], digit / 255.0)
        assert saved["names"].tolist() == list(cc.LINE_DETECTORS)
        assert float(saved["level"]) == 1.5 and str(saved["mode"]) == "full"
        assert bool(saved["flip"])


# --------------------------------------------------------------------------- written to a path

def test_csv_writers_take_a_path_and_write_the_same_bytes(tmp_path):
    x = np.array([0.1, -2.5, 1e-300])
    series = {"x": x, "w": [1.0, 2.0]}
    stream = io.StringIO()
    rows = write_signals_csv(stream, series)
    assert write_signals_csv(tmp_path / "s.csv", series) == rows == 5
    assert (tmp_path / "s.csv").read_bytes() == stream.getvalue().encode("utf-8")
    data = cc.updown_dataset(4, 3, seed=1)
    stream = io.StringIO()
    write_updown_csv(stream, data)
    assert write_updown_csv(str(tmp_path / "u.csv"), data) == 8  # str paths too
    assert (tmp_path / "u.csv").read_bytes() == stream.getvalue().encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "u.csv"]


def test_a_failing_csv_export_keeps_the_old_file_and_leaves_no_partial(tmp_path):
    path = tmp_path / "s.csv"
    write_signals_csv(path, {"x": [1.0]})
    before = path.read_bytes()
    # The second series fails after the first rows were written.
    with pytest.raises(ValueError):
        write_signals_csv(path, {"x": [1.0, 2.0], "bad": ["not a number"]})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]


def test_open_csv_export_is_atomic(tmp_path):
    path = tmp_path / "h.csv"
    with open_csv_export(path) as stream:
        csv.writer(stream, lineterminator="\n").writerow(["step", "é"])
        assert not path.exists()  # nothing visible until the block ends
    assert path.read_bytes() == "step,é\n".encode()


def test_npz_export_is_atomic_and_written_to_the_exact_path(tmp_path, monkeypatch):
    figure = cc.detector_figure(cc.load_mnist().train_images[0], cc.LINE_DETECTORS, 1.0,
                                "same", False)
    path = tmp_path / "figure"  # no .npz: numpy alone would have written figure.npz
    save_detector_npz(path, figure)
    assert [p.name for p in tmp_path.iterdir()] == ["figure"]
    before = path.read_bytes()
    with np.load(path, allow_pickle=False) as saved:
        np.testing.assert_array_equal(saved["masks"], figure.masks)

    def fail_midway(stream, **arrays):
        stream.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", fail_midway)
    with pytest.raises(OSError, match="No space"):
        save_detector_npz(path, figure)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["figure"]
