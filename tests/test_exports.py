"""Data exports read back to the same numbers."""

from __future__ import annotations

import csv
import io

import numpy as np

import convlab.core as cc
from convlab.exports import save_detector_npz, write_signals_csv, write_updown_csv


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
