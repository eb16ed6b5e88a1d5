"""MNIST download against a local HTTP server: good, bad, slow, flaky mirrors, cancel."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convlab.core import (
    MNIST_FILES,
    Cancelled,
    DownloadError,
    ExpectedFile,
    download_mnist,
    load_mnist,
    read_idx,
    write_idx,
)

NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FAST = {"timeout": 2.0, "retries": 0, "retry_delay": 0.0}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, bytes]:
    """Uncompressed bytes of a tiny MNIST: the sample's first 6 training and 4 test digits."""
    sample = load_mnist()
    folder = tmp_path_factory.mktemp("tiny")
    arrays = {"train_images": sample.train_images[:6], "train_labels": sample.train_labels[:6],
              "test_images": sample.test_images[:4], "test_labels": sample.test_labels[:4]}
    raw = {}
    for part, name in NAMES.items():
        write_idx(folder / name, arrays[part])
        raw[name] = (folder / name).read_bytes()
    return raw


@pytest.fixture(scope="module")
def expected(tiny) -> dict[str, ExpectedFile]:
    return {name: ExpectedFile(len(data), hashlib.sha256(data).hexdigest())
            for name, data in tiny.items()}


def serve(server, prefix: str, tiny: dict[str, bytes], kind: str = "ok", *, compress=True,
          **route) -> str:
    """Serve the tiny files under /prefix/ with the given behaviour; return the mirror URL."""
    for name, data in tiny.items():
        body = gzip.compress(data, mtime=0) if compress else data
        server.route(f"/{prefix}/{name}.gz", kind, body, **route)
    return server.url(prefix)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_downloaded(dest: Path, tiny: dict[str, bytes], suffix: str = ".gz") -> None:
    assert files_in(dest) == sorted(f"{name}{suffix}" for name in tiny)
    for name, data in tiny.items():
        content = (dest / f"{name}{suffix}").read_bytes()
        assert (gzip.decompress(content) if suffix else content) == data


def test_good_mirror(http_server, tiny, expected, tmp_path):
    url = serve(http_server, "good", tiny)
    seen = []
    dest = download_mnist(tmp_path / "mnist", mirrors=[url], files=expected,
                          progress=lambda f, m: seen.append((f, m)), **FAST)
    assert dest == tmp_path / "mnist"
    assert_downloaded(dest, tiny)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("127.0.0.1" in m for _, m in seen)
    assert sorted(http_server.requests) == sorted(f"/good/{n}.gz" for n in tiny)
    data = load_mnist(dest)
    assert data.train_images.shape == (6, 28, 28) and data.test_labels.tolist() == [7, 2, 1, 0]
    np.testing.assert_array_equal(data.train_images, load_mnist().train_images[:6])


def test_uncompressed_mirror_is_saved_uncompressed(http_server, tiny, expected, tmp_path):
    url = serve(http_server, "plain", tiny, compress=False)
    dest = download_mnist(tmp_path, mirrors=[url], files=expected, **FAST)
    assert_downloaded(dest, tiny, suffix="")


def test_hash_is_of_the_decompressed_content(http_server, tiny, expected, tmp_path):
    """A mirror compressing differently (level 1, a file name in the header) is fine."""
    for name, data in tiny.items():
        body = gzip.compress(data, compresslevel=1, mtime=12345)
        http_server.route(f"/other/{name}.gz", "ok", body)
    dest = download_mnist(tmp_path, mirrors=[http_server.url("other")], files=expected, **FAST)
    assert_downloaded(dest, tiny)


def test_bad_mirror_then_good_one(http_server, tiny, expected, tmp_path):
    good = serve(http_server, "good", tiny)
    dest = download_mnist(tmp_path, mirrors=[http_server.url("missing"), good], files=expected,
                          **FAST)
    assert_downloaded(dest, tiny)
    assert http_server.requests[:2] == ["/missing/train-images-idx3-ubyte.gz",
                                        "/good/train-images-idx3-ubyte.gz"]


def _corrupt(data: bytes) -> bytes:
    """Same size, one pixel changed: only the hash can tell."""
    return data[:-1] + bytes([data[-1] ^ 1])


def _bomb(data: bytes) -> bytes:
    """The right content followed by 8 MiB of zeros, gzipped (a few KB)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return comp.compress(data) + comp.compress(bytes(8 * 2**20)) + comp.flush()


BAD = {
    "404": (lambda server, tiny: server.url("missing"), "HTTP error 404"),
    "truncated": (lambda server, tiny: serve(server, "cut", tiny, "truncated", cut=40),
                  "truncated"),
    "corrupt": (lambda server, tiny: _serve_bodies(server, "bad", tiny, _corrupt),
                "does not match"),
    "corrupt-gzip": (lambda server, tiny: _serve_bodies(
        server, "badgz", tiny, lambda d: gzip.compress(d)[:-8] + b"\0" * 8),
        "incorrect data check"),
    "broken-deflate": (lambda server, tiny: _serve_bodies(
        server, "deflate", tiny, lambda d: gzip.compress(d)[:12] + b"\xff" * 40),
        "corrupt gzip"),
    "too-long": (lambda server, tiny: _serve_bodies(server, "long", tiny,
                                                    lambda d: d + b"x"),
                 "more than the expected"),
    "bomb": (lambda server, tiny: _serve_bodies(server, "bomb", tiny, _bomb),
             "more than the expected"),
    "html": (lambda server, tiny: _serve_bodies(server, "html", tiny,
                                                lambda d: b"<html>moved</html>"),
             "looks like a web page"),
    "empty": (lambda server, tiny: _serve_bodies(server, "empty", tiny, lambda d: b""),
              "empty response"),
    "refused": (lambda server, tiny: "http://127.0.0.1:9/mnist/", "cannot connect"),
}


def _serve_bodies(server, prefix: str, tiny: dict[str, bytes], make_body) -> str:
    """Serve ``make_body(data)`` for each file under /prefix/; return the mirror URL."""
    for name, data in tiny.items():
        server.route(f"/{prefix}/{name}.gz", "ok", make_body(data))
    return server.url(prefix)


@pytest.mark.parametrize("case", sorted(BAD))
def test_failing_mirror_leaves_nothing(http_server, tiny, expected, tmp_path, case):
    make_url, reason = BAD[case]
    url = make_url(http_server, tiny)
    dest = tmp_path / "mnist"
    with pytest.raises(DownloadError) as info:
        download_mnist(dest, mirrors=[url], files=expected, **FAST)
    assert reason in str(info.value)
    assert f"{url}train-images-idx3-ubyte.gz" in str(info.value)
    assert info.value.failures == [(f"{url}train-images-idx3-ubyte.gz",
                                    info.value.failures[0][1])]
    assert files_in(dest) == []  # no partial, no temporary, nothing that could load


def test_all_mirrors_fail_message_lists_each(http_server, tiny, expected, tmp_path):
    cut = serve(http_server, "cut", tiny, "truncated", cut=40)
    bad = _serve_bodies(http_server, "bad", tiny, _corrupt)
    missing = http_server.url("missing")
    with pytest.raises(DownloadError) as info:
        download_mnist(tmp_path, mirrors=[missing, cut, bad], files=expected, **FAST)
    urls = [url for url, _ in info.value.failures]
    whys = [why for _, why in info.value.failures]
    assert urls == [f"{m}train-images-idx3-ubyte.gz" for m in (missing, cut, bad)]
    assert "404" in whys[0] and "truncated" in whys[1] and "SHA-256" in whys[2]
    message = str(info.value)
    assert all(url in message and why in message for url, why in info.value.failures)
    assert files_in(tmp_path) == []


def test_slow_mirror_times_out_then_next_one(http_server, tiny, expected, tmp_path):
    slow = serve(http_server, "slow", tiny, "slow", delay=0.6)
    good = serve(http_server, "good", tiny)
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"no response within 0\.2 s"):
        download_mnist(tmp_path / "a", mirrors=[slow], files=expected, timeout=0.2, retries=0)
    assert time.monotonic() - start < 2.0
    dest = download_mnist(tmp_path / "b", mirrors=[slow, good], files=expected, timeout=0.2,
                          retries=0)
    assert_downloaded(dest, tiny)
    assert files_in(tmp_path / "a") == []


def test_retries_pass_over_the_mirrors_again(http_server, tiny, expected, tmp_path):
    flaky = serve(http_server, "flaky", tiny, "flaky", status=503, fail_times=1)
    dest = download_mnist(tmp_path / "ok", mirrors=[flaky], files=expected, timeout=2.0,
                          retries=1, retry_delay=0.0)
    assert_downloaded(dest, tiny)
    assert http_server.requests.count("/flaky/train-images-idx3-ubyte.gz") == 2

    http_server.requests.clear()
    with pytest.raises(DownloadError, match="HTTP error 503"):
        download_mnist(tmp_path / "no-retry", mirrors=[flaky], files=expected, **FAST)


@pytest.mark.parametrize("calls", [1, 2, 3, 5])
def test_cancel_midway_leaves_nothing(http_server, tiny, expected, tmp_path, calls,
                                      cancel_after, monkeypatch):
    import convlab.core.download as download_module

    monkeypatch.setattr(download_module, "_PIECE", 256)  # many pieces per file
    url = serve(http_server, "good", tiny)
    dest = tmp_path / "mnist"
    with pytest.raises(Cancelled):
        download_mnist(dest, mirrors=[url], files=expected, cancel=cancel_after(calls), **FAST)
    assert files_in(dest) == []


def test_cancel_during_the_wait_between_retries(http_server, expected, tmp_path, cancel_after):
    start = time.monotonic()
    with pytest.raises(Cancelled):
        download_mnist(tmp_path, mirrors=[http_server.url("missing")], files=expected,
                       timeout=2.0, retries=3, retry_delay=10.0, cancel=cancel_after(3))
    assert time.monotonic() - start < 2.0
    assert http_server.requests == ["/missing/train-images-idx3-ubyte.gz"]
    assert files_in(tmp_path) == []


def test_cancel_between_files_keeps_the_finished_ones(http_server, tiny, expected, tmp_path):
    url = serve(http_server, "good", tiny)
    done = []

    def cancel() -> bool:
        return len(done) >= 1

    def progress(fraction: float, message: str) -> None:
        if "verified" in message:
            done.append(message)

    with pytest.raises(Cancelled):
        download_mnist(tmp_path, mirrors=[url], files=expected, progress=progress,
                       cancel=cancel, **FAST)
    first = "train-images-idx3-ubyte"
    assert files_in(tmp_path) == [f"{first}.gz"]
    assert gzip.decompress((tmp_path / f"{first}.gz").read_bytes()) == tiny[first]


def test_intact_files_are_kept_and_bad_ones_replaced(http_server, tiny, expected, tmp_path):
    url = serve(http_server, "good", tiny)
    intact = "train-labels-idx1-ubyte"
    (tmp_path / intact).write_bytes(tiny[intact])  # uncompressed, correct
    stale = "t10k-labels-idx1-ubyte"
    (tmp_path / stale).write_bytes(tiny[stale][:-1])  # truncated leftover
    download_mnist(tmp_path, mirrors=[url], files=expected, **FAST)
    assert f"/good/{intact}.gz" not in http_server.requests
    assert f"/good/{stale}.gz" in http_server.requests
    assert not (tmp_path / stale).exists()  # replaced by the verified .gz
    assert gzip.decompress((tmp_path / f"{stale}.gz").read_bytes()) == tiny[stale]
    assert (tmp_path / intact).read_bytes() == tiny[intact]
    np.testing.assert_array_equal(read_idx(tmp_path / intact), load_mnist().train_labels[:6])
    assert load_mnist(tmp_path).train_labels.tolist() == [5, 0, 4, 1, 9, 2]


def test_user_agent_is_the_callers(http_server, tiny, expected, tmp_path):
    url = serve(http_server, "good", tiny)
    download_mnist(tmp_path, mirrors=url, files=expected, user_agent="ConvLab/9.9", **FAST)
    assert set(http_server.user_agents) == {"ConvLab/9.9"}


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [({"mirrors": []}, "at least one mirror"), ({"files": {}}, "at least one file"),
     ({"retries": -1}, "retries")],
)
def test_bad_arguments(tmp_path, kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        download_mnist(tmp_path, **kwargs)


def test_known_hashes_are_the_published_ones():
    """The table from shared/mnist/README.md: sizes and hashes of the decompressed files."""
    assert MNIST_FILES["train-images-idx3-ubyte"] == (
        47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db")
    assert MNIST_FILES["t10k-labels-idx1-ubyte"] == (
        10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")
    assert MNIST_FILES["train-images-idx3-ubyte"].size == 16 + 60000 * 28 * 28
    assert MNIST_FILES["t10k-images-idx3-ubyte"].size == 16 + 10000 * 28 * 28
    assert MNIST_FILES["train-labels-idx1-ubyte"].size == 8 + 60000


@settings(max_examples=max(200, settings().max_examples), deadline=None)
@given(data=st.binary(min_size=1, max_size=3000), level=st.integers(0, 9),
       cuts=st.lists(st.integers(0, 4000), max_size=6), compress=st.booleans(),
       flip=st.one_of(st.none(), st.integers(0, 10_000)))
def test_verifier_is_independent_of_chunking(data, level, cuts, compress, flip):
    """However the response is split into chunks, only the exact content is accepted."""
    from convlab.core.download import _BadContent, _Verifier

    data = b"\0\0" + data  # raw IDX starts with two zero bytes
    body = gzip.compress(data, compresslevel=level, mtime=0) if compress else data
    if flip is not None:
        i = flip % len(body)
        body = body[:i] + bytes([body[i] ^ 0x5A]) + body[i + 1:]
    expected = ExpectedFile(len(data), hashlib.sha256(data).hexdigest())
    verifier = _Verifier(expected)
    bounds = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    try:
        for start, stop in itertools.pairwise(bounds):
            verifier.feed(body[start:stop])
        verifier.finish()
    except _BadContent:
        assert flip is not None  # only a damaged body may be refused
    else:
        # Accepted: the decompressed content was exactly ``data``.
        assert verifier.size == len(data)
        assert verifier.digest.hexdigest() == expected.sha256


# --------------------------------------------------------------------------- slow servers
# Issue 18 item 5: cancel and close take effect within 1 s however the server behaves,
# a trickle is given up for the next mirror, and every file has an overall deadline.

PATIENT = {"timeout": 30.0, "retries": 0}  # the no-data limit is far beyond these tests


def cancel_in(seconds: float):
    """A thread-safe cancel callback that turns True ``seconds`` from now, and that moment."""
    at = time.monotonic() + seconds
    return (lambda: time.monotonic() >= at), at


@pytest.fixture
def full_backlog():
    """127.0.0.1:port of a listener whose accept queue is full: a connect there hangs."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mnist/"
    for sock in [*fillers, listener]:
        sock.close()


STALLS = {
    # 1 byte every 5 s: the reader sits in the socket, where only the watchdog reaches it.
    "drip-every-5s": {"kind": "drip", "piece": 1, "delay": 5.0},
    # 1 byte every 10 ms: cancel is checked between the pieces.
    "fast-trickle": {"kind": "drip", "piece": 1, "delay": 0.01},
    # The headers, then silence.
    "silent-after-headers": {"kind": "drip", "piece": 0, "delay": 1.0},
    # Accepts the connection, never answers.
    "no-headers": {"kind": "slow", "delay": 10.0},
}


@pytest.mark.parametrize("stall", sorted(STALLS))
def test_cancel_stops_a_stalling_download_within_a_second(http_server, tiny, expected,
                                                          tmp_path, stall):
    options = dict(STALLS[stall])
    url = serve(http_server, "stall", tiny, options.pop("kind"), **options)
    cancel, at = cancel_in(0.3)
    with pytest.raises(Cancelled):
        download_mnist(tmp_path / "m", mirrors=[url], files=expected, cancel=cancel, **PATIENT)
    assert time.monotonic() - at < 1.0
    assert files_in(tmp_path / "m") == []


def test_cancel_while_connecting_within_a_second(full_backlog, expected, tmp_path):
    cancel, at = cancel_in(0.3)
    with pytest.raises(Cancelled):
        download_mnist(tmp_path, mirrors=[full_backlog], files=expected, cancel=cancel,
                       **PATIENT)
    assert time.monotonic() - at < 1.0
    assert files_in(tmp_path) == []


def test_closing_the_window_ends_the_download_thread_within_a_second(http_server, tiny,
                                                                     expected, tmp_path):
    """What TaskRunner.shutdown does: set the task's cancel event, then join its thread."""
    import threading

    url = serve(http_server, "stall", tiny, "drip", piece=1, delay=5.0)
    stop = threading.Event()
    outcome = []

    def task() -> None:
        try:
            download_mnist(tmp_path, mirrors=[url], files=expected, cancel=stop.is_set,
                           **PATIENT)
        except BaseException as exc:  # the test inspects what happened
            outcome.append(exc)

    worker = threading.Thread(target=task, name="download-task")
    worker.start()
    time.sleep(0.3)  # the transfer is under way, blocked in the socket
    assert http_server.requests == ["/stall/train-images-idx3-ubyte.gz"]
    stop.set()
    worker.join(timeout=1.0)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    assert files_in(tmp_path) == []


def test_a_trickle_below_the_minimum_rate_moves_on_to_the_next_mirror(http_server, tiny,
                                                                     expected, tmp_path):
    trickle = serve(http_server, "trickle", tiny, "drip", piece=1, delay=0.01)  # ≤ 100 B/s
    slow = {"min_rate": 1000.0, "rate_window": 0.3, **PATIENT}
    with pytest.raises(DownloadError) as info:
        download_mnist(tmp_path / "a", mirrors=[trickle], files=expected, **slow)
    (url, why), = info.value.failures
    assert url == f"{trickle}train-images-idx3-ubyte.gz"
    assert why.startswith("slower than 1000 bytes/s for 0.3 s (")
    assert files_in(tmp_path / "a") == []
    good = serve(http_server, "good", tiny)
    dest = download_mnist(tmp_path / "b", mirrors=[trickle, good], files=expected, **slow)
    assert_downloaded(dest, tiny)


def test_a_file_taking_longer_than_its_deadline_moves_on(http_server, tiny, expected,
                                                        tmp_path):
    # 64 bytes every 10 ms is a fine rate, but the file does not arrive within 0.2 s.
    big = {name: data * 40 for name, data in tiny.items()}
    sizes = {name: ExpectedFile(len(d), hashlib.sha256(d).hexdigest()) for name, d in big.items()}
    url = serve(http_server, "steady", big, "drip", piece=64, delay=0.01, compress=False)
    with pytest.raises(DownloadError, match=r"did not finish within 0\.2 s"):
        download_mnist(tmp_path, mirrors=[url], files=sizes, min_rate=0, deadline=0.2,
                       **PATIENT)
    assert files_in(tmp_path) == []


def test_silence_after_the_headers_is_the_no_data_timeout(http_server, tiny, expected,
                                                         tmp_path):
    url = serve(http_server, "silent", tiny, "drip", piece=0, delay=1.0)
    with pytest.raises(DownloadError, match=r"no response within 0\.3 s"):
        download_mnist(tmp_path, mirrors=[url], files=expected, timeout=0.3, retries=0,
                       min_rate=0)
    assert files_in(tmp_path) == []


def test_the_network_is_read_in_small_pieces(http_server, tiny, expected, tmp_path,
                                             monkeypatch):
    import http.client

    asked = []
    real_read1 = http.client.HTTPResponse.read1

    def read1(self, n=-1):
        asked.append(n)
        return real_read1(self, n)

    monkeypatch.setattr(http.client.HTTPResponse, "read1", read1)
    big = {name: data * 10 for name, data in tiny.items()}  # 47 KB of images: 3+ pieces
    sizes = {name: ExpectedFile(len(d), hashlib.sha256(d).hexdigest()) for name, d in big.items()}
    dest = download_mnist(tmp_path, mirrors=[serve(http_server, "big", big, compress=False)],
                          files=sizes, **FAST)
    assert_downloaded(dest, big, suffix="")
    assert asked and set(asked) == {16 * 1024}
    assert len(asked) >= sum(-(-len(d) // 16384) for d in big.values())


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [({"timeout": 0}, "timeout"), ({"rate_window": -1.0}, "rate_window"),
     ({"deadline": 0.0}, "deadline"), ({"min_rate": -1.0}, "min_rate"),
     ({"timeout": float("nan")}, "timeout")],
)
def test_bad_limits(tmp_path, kwargs, problem):
    with pytest.raises(ValueError, match=problem):  # refused before any connection
        download_mnist(tmp_path, mirrors=["http://127.0.0.1:9/"], **kwargs)
