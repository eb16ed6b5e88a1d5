"""Atomic writes: content, permission bits, symbolic links, temporary files, failures."""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

import numpy as np
import pytest

import convlab.core.atomic as atomic_module
from convlab.core import atomic_output, atomic_write_bytes, atomic_write_text

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits and links")
TEMP = re.compile(r"\.(?P<name>.+)\.convlab-tmp-[0-9a-f]{8}")


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """``umask(value)`` sets the process umask for the test; the old one is restored."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


# --------------------------------------------------------------------------- content

def test_bytes_and_text_are_written_exactly(tmp_path):
    atomic_write_bytes(tmp_path / "a.bin", bytes(range(256)))
    assert (tmp_path / "a.bin").read_bytes() == bytes(range(256))
    atomic_write_text(tmp_path / "a.txt", "é\r\nx\ny\n")  # no newline translation
    assert (tmp_path / "a.txt").read_bytes() == b"\xc3\xa9\r\nx\ny\n"
    atomic_write_text(tmp_path / "b.txt", "é", encoding="latin-1")
    assert (tmp_path / "b.txt").read_bytes() == b"\xe9"
    atomic_write_text(tmp_path / "a.txt", "")  # replacing with an empty file
    assert (tmp_path / "a.txt").read_bytes() == b""
    assert names(tmp_path) == ["a.bin", "a.txt", "b.txt"]


def test_text_mode_stream_for_csv(tmp_path):
    import csv

    with atomic_output(tmp_path / "t.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows([["a", "ü"], ["1", "2"]])
    assert (tmp_path / "t.csv").read_bytes() == "a,ü\r\n1,2\r\n".encode()


def test_numpy_savez_streams_into_the_exact_path(tmp_path):
    target = tmp_path / "arrays"  # np.savez(path) would have added ".npz"
    with atomic_output(target) as f:
        np.savez(f, x=np.arange(5), y=np.eye(2))
    assert names(tmp_path) == ["arrays"]
    with np.load(target) as saved:
        np.testing.assert_array_equal(saved["x"], [0, 1, 2, 3, 4])
        np.testing.assert_array_equal(saved["y"], [[1, 0], [0, 1]])


@pytest.mark.parametrize(("mode", "options"), [("ab", {}), ("r", {}), ("w+", {}),
                                               ("wb", {"encoding": "utf-8"})])
def test_bad_modes_are_refused_before_anything_is_created(tmp_path, mode, options):
    with pytest.raises(ValueError, match="mode"):
        with atomic_output(tmp_path / "x", mode, **options):
            pass
    assert names(tmp_path) == []


# --------------------------------------------------------------------------- permissions

@posix_only
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600),
                                                (0o002, 0o664), (0o000, 0o666)])
def test_a_new_file_gets_the_umask_default(tmp_path, umask, mask, expected):
    umask(mask)
    atomic_write_text(tmp_path / "new.txt", "x")
    assert mode_of(tmp_path / "new.txt") == expected
    with open(tmp_path / "reference.txt", "w") as f:  # what open() gives, for comparison
        f.write("x")
    assert mode_of(tmp_path / "reference.txt") == expected


@posix_only
@pytest.mark.parametrize("existing", [0o644, 0o600, 0o755, 0o640, 0o444])
def test_an_existing_file_keeps_its_permission_bits(tmp_path, umask, existing):
    path = tmp_path / "old.txt"
    path.write_text("old")
    os.chmod(path, existing)
    umask(0o077)
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert mode_of(path) == existing


# --------------------------------------------------------------------------- links

@posix_only
def test_writing_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "session.convlab"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.convlab"
    link.symlink_to(Path("real") / "session.convlab")  # relative link
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "session.convlab")
    assert target.read_text() == "new" and mode_of(target) == 0o640
    assert names(tmp_path) == ["link.convlab", "real"]
    assert names(real_dir) == ["session.convlab"]


@posix_only
def test_a_chain_of_links_and_a_dangling_link(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    (tmp_path / "l1").symlink_to(target)
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    atomic_write_text(tmp_path / "l2", "new")
    assert target.read_text() == "new"
    assert (tmp_path / "l1").is_symlink() and (tmp_path / "l2").is_symlink()

    (tmp_path / "dangling").symlink_to(tmp_path / "created.txt")
    atomic_write_text(tmp_path / "dangling", "made")
    assert (tmp_path / "dangling").is_symlink()
    assert (tmp_path / "created.txt").read_text() == "made"


# --------------------------------------------------------------------------- temp files

def test_the_temporary_file_is_named_recognisably_next_to_the_target(tmp_path):
    with atomic_output(tmp_path / "data.csv", "w") as f:
        f.write("partial")
        (temp,) = [n for n in names(tmp_path)]
        assert TEMP.fullmatch(temp) and TEMP.fullmatch(temp)["name"] == "data.csv"
        assert os.stat(tmp_path / temp).st_ino == os.fstat(f.fileno()).st_ino
    assert names(tmp_path) == ["data.csv"]


def test_a_long_name_still_gets_a_valid_temporary_name(tmp_path):
    name = "é" * 100 + ".convlab"  # 208 bytes in UTF-8: the temp name must be shortened
    seen = []
    with atomic_output(tmp_path / name) as f:
        seen.extend(names(tmp_path))
        f.write(b"x")
    assert len(os.fsencode(seen[0])) <= 255 and ".convlab-tmp-" in seen[0]
    assert names(tmp_path) == [name]


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_a_failing_body_leaves_the_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "keep.txt"
    path.write_text("old")
    with pytest.raises(error):
        with atomic_output(path, "w") as f:
            f.write("half of the new")
            raise error()
    assert path.read_text() == "old"
    assert names(tmp_path) == ["keep.txt"]


@pytest.mark.parametrize("step", ["fsync", "replace", "fchmod"])
def test_a_failing_fsync_or_rename_leaves_no_temporary(tmp_path, monkeypatch, step):
    path = tmp_path / "keep.txt"
    path.write_text("old")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_module.os, step, broken)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert names(tmp_path) == ["keep.txt"]


def test_stale_temporaries_of_the_same_file_are_removed_on_the_next_save(tmp_path):
    old = time.time() - atomic_module.STALE_TEMP_SECONDS - 60
    files = {
        ".s.convlab.convlab-tmp-0123abcd": old,  # stale, ours, this file: removed
        ".s.convlab.convlab-tmp-89abcdef": old,  # idem
        ".s.convlab.convlab-tmp-fedcba98": time.time() - 5,  # a save still running: kept
        ".other.convlab.convlab-tmp-0123abcd": old,  # another file's: kept
        ".s.convlab.convlab-tmp-0123abcdX": old,  # not our naming: kept
        ".s.convlab.0123abcd.tmp": old,  # the old mkstemp naming: not ours to judge
        "s.convlab.convlab-tmp-0123abcd": old,  # not hidden: not ours
    }
    for name, mtime in files.items():
        (tmp_path / name).write_bytes(b"leftover")
        os.utime(tmp_path / name, (mtime, mtime))
    atomic_write_text(tmp_path / "s.convlab", "saved")
    kept = set(files) - {".s.convlab.convlab-tmp-0123abcd", ".s.convlab.convlab-tmp-89abcdef"}
    assert names(tmp_path) == sorted(kept | {"s.convlab"})
    assert (tmp_path / "s.convlab").read_text() == "saved"


@posix_only
def test_a_stale_looking_symlink_or_folder_is_never_removed(tmp_path):
    old = time.time() - 10 * atomic_module.STALE_TEMP_SECONDS
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / ".s.txt.convlab-tmp-00000000"
    link.symlink_to(victim)
    folder = tmp_path / ".s.txt.convlab-tmp-11111111"
    folder.mkdir()
    for p in (link, folder):
        os.utime(p, (old, old), follow_symlinks=False)
    atomic_write_text(tmp_path / "s.txt", "x")
    assert link.is_symlink() and folder.is_dir() and victim.read_text() == "precious"


# --------------------------------------------------------------------------- refusals

def test_a_folder_is_refused_before_writing(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write_bytes(tmp_path / "d", b"x")
    assert names(tmp_path) == ["d"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write_bytes(tmp_path / "pipe", b"x")
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)
    assert names(tmp_path) == ["pipe"]


def test_a_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "nope" / "x.bin", b"x")
    assert names(tmp_path) == []


def test_writers_accept_str_paths(tmp_path):
    atomic_write_bytes(str(tmp_path / "s.bin"), b"ok")
    with atomic_output(str(tmp_path / "t.bin")) as f:
        f.write(b"ok")
    assert (tmp_path / "s.bin").read_bytes() == (tmp_path / "t.bin").read_bytes() == b"ok"
