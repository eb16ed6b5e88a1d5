"""The benchmark harness runs every benchmark at a tiny size and writes well-formed results.

No timing is asserted (benchmarks are not unit tests): only that each
benchmark runs, measures something, and reports it in the table and the JSON
in the documented shape. Synthetic digits only (``--mnist none``).
"""

from __future__ import annotations

import json
import math

import pytest

from benchmarks import run
from benchmarks.harness import Row, Target, format_table, summary

ROW_KEYS = {"benchmark", "case", "subject", "value", "unit", "samples", "ratio", "target",
            "passed", "note"}


@pytest.mark.parametrize("name", run.BENCHMARKS)
def test_each_benchmark_runs_at_smoke_size(name, tmp_path, capsys):
    out = tmp_path / "result.json"
    assert run.main(["--smoke", "--only", name, "--mnist", "none", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["size"] == "smoke" and data["repeat"] == 1 and data["mnist_dir"] is None
    rows = data["rows"]
    assert rows, f"{name} reported nothing"
    for row in rows:
        assert set(row) == ROW_KEYS
        assert "crashed" not in row["note"], row["note"]
        if row["value"] is None:
            assert row["note"].startswith("not available: "), row
        else:
            assert math.isfinite(row["value"]) and row["value"] > 0, row
            assert row["unit"] and row["subject"] and row["case"]
        if row["ratio"] is not None:
            assert math.isfinite(row["ratio"]) and row["ratio"] > 0, row
        assert row["passed"] is None  # smoke sizes are never judged
    measured = [r for r in rows if r["value"] is not None]
    assert measured, f"{name}: every figure is 'not available': {[r['note'] for r in rows]}"
    printed = capsys.readouterr().out
    assert "implementation" in printed and str(out) in printed
    for row in measured:
        assert row["subject"] in printed


def test_conv2d_peers_verify_equal_results(tmp_path):
    out = tmp_path / "conv2d.json"
    run.main(["--smoke", "--only", "conv2d", "--mnist", "none", "--out", str(out)])
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    peers = [r for r in rows if r["subject"].startswith(("scipy", "PyTorch"))
             and r["value"] is not None]
    assert {r["subject"].split()[0] for r in peers} >= {"scipy.signal.convolve2d",
                                                        "scipy.ndimage.convolve"}
    for row in peers:
        assert "results equal to ConvLab's" in row["note"]
        assert row["ratio"] == pytest.approx(row["value"] / next(
            r["value"] for r in rows if r["case"] == row["case"]
            and r["subject"] == "ConvLab conv2d, then > 1.5"))


def test_a_crashing_benchmark_becomes_a_row(monkeypatch, tmp_path):
    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(run, "_benchmark", lambda name: broken)
    out = tmp_path / "r.json"
    assert run.main(["--smoke", "--only", "landscape", "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert row["value"] is None and "RuntimeError: boom" in row["note"]


@pytest.mark.parametrize(
    ("target", "value", "ratio", "expected"),
    [
        (Target("<", 0.6), 0.5, None, True),
        (Target("<", 0.6), 0.6, None, False),
        (Target(">=", 30.0), 30.0, None, True),
        (Target(">=", 25.0, "ratio"), 1.0, 24.9, False),
        (Target(">=", 25.0, "ratio"), 1.0, 25.0, True),
        (Target("<", 0.6), None, None, None),
    ],
)
def test_targets_judge_value_or_ratio(target, value, ratio, expected):
    row = Row("b", "c", "s", value, "s", ratio=ratio).judge(target)
    assert row.passed is expected
    assert row.target


def test_table_and_summary_show_failures():
    rows = [
        Row("conv2d", "N=1", "ConvLab", 0.7, "s").judge(Target("<", 0.6)),
        Row("conv2d", "N=1", "peer", 1.4, "s", ratio=2.0).judge(Target(">=", 4, "ratio")),
        Row("startup", "x", "ConvLab", None, "s", note="not available: no display"),
    ]
    table = format_table(rows)
    assert "700.0 ms" in table and "2.0×" in table and "FAIL" in table and "n/a" in table
    text = summary(rows)
    assert text.startswith("targets: 0 pass, 2 fail")
    assert "conv2d / N=1 / peer" in text


@pytest.mark.parametrize("bad", [["--repeat", "0"], ["--only", "nonsense"], ["--threads", "0"]])
def test_bad_options_are_refused(bad):
    with pytest.raises(SystemExit):
        run.main(bad)
