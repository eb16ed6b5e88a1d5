"""Session files: round trip, atomic save, and clean errors for bad files."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convlab import session as ss

LABS = {
    "signals": {"signal": [1.0, 2.0, 3.0, 0.0, -1.0], "kernel": [1.0, -1.0], "mode": "valid"},
    "gradient": {"lr": [0.01, 0.01], "weights": [0.5, 0.5], "step": 0},
}


def test_round_trip(tmp_path):
    path = tmp_path / "lab.convlab"
    ss.save_session(path, LABS, app_version="0.1.0")
    assert ss.load_session(path) == LABS
    document = json.loads(path.read_text())
    assert document["format"] == "convlab-session" and document["version"] == ss.VERSION


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "lab.convlab"
    ss.save_session(path, LABS)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        ss.save_session(path, {"signals": {"signal": [9.0]}})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lab.convlab"]  # no temp file left


def test_nan_is_refused_on_save(tmp_path):
    with pytest.raises(ValueError):
        ss.save_session(tmp_path / "x.convlab", {"signals": {"v": float("nan")}})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a valid session"),
        (b"{\"format\": \"convlab-session\", \"version\": 1, \"labs\": {", "not a valid session"),
        (b"[1, 2, 3]", "not a ConvLab session"),
        (b"{\"format\": \"other\"}", "not a ConvLab session"),
        (b"{\"format\": \"convlab-session\", \"labs\": {}}", "no valid version"),
        (b"{\"format\": \"convlab-session\", \"version\": true, \"labs\": {}}", "no valid version"),
        (b"{\"format\": \"convlab-session\", \"version\": 99, \"labs\": {}}", "newer ConvLab"),
        (b"{\"format\": \"convlab-session\", \"version\": 1, \"labs\": []}", "malformed"),
        (b"{\"format\": \"convlab-session\", \"version\": 1, \"labs\": {\"a\": 1}}", "malformed"),
        (b"{\"format\": \"convlab-session\", \"version\": 1, \"labs\": {\"a\": {\"v\": NaN}}}",
         "finite"),
        (b"\xff\xfe\x00garbage", "not a text file"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.convlab"
    path.write_bytes(content)
    with pytest.raises(ss.SessionError, match=message) as info:
        ss.load_session(path)
    assert "bad.convlab" in str(info.value)


def test_huge_file_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.convlab"
    path.write_bytes(b" " * 2048)
    monkeypatch.setattr(ss, "MAX_BYTES", 1024)
    with pytest.raises(ss.SessionError, match="too large"):
        ss.load_session(path)


def test_missing_file(tmp_path):
    with pytest.raises(ss.SessionError, match="cannot read"):
        ss.load_session(tmp_path / "nope.convlab")


@settings(max_examples=max(200, settings().max_examples), deadline=None)
@given(data=st.data())
def test_mutated_sessions_load_or_raise_session_error(data):
    text = ss.session_to_text(LABS)
    raw = bytearray(text.encode())
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del raw[pos:]
        else:
            raw[pos:pos] = data.draw(st.binary(max_size=8))
    try:
        labs = ss.session_from_text(raw.decode("utf-8", errors="replace"))
    except ss.SessionError:
        return
    assert isinstance(labs, dict) and all(isinstance(v, dict) for v in labs.values())
