"""Downloading the full MNIST set into the per-user cache, checked and written atomically.

:func:`download_mnist` fetches each of the four files from the first mirror
that delivers it intact.  The response is streamed (never held in memory
whole), decompressed on the fly — never beyond the expected size, so a
decompression bomb costs nothing — and the SHA-256 of the *decompressed*
content is compared with the published hash, which does not depend on how a
mirror compressed the file.  Data goes to a temporary file in the destination
folder that is fsync'ed and renamed into place only once it is verified: an
interrupted, cancelled, truncated or corrupt download leaves nothing behind
that could later load as if valid.

The network is read in pieces of at most 16 KiB as they arrive, and a
watchdog thread per transfer enforces ``cancel()``, a minimum rate and an
overall deadline by shutting the socket down, so cancelling (or closing the
app) takes effect within about 0.1 s even while a server drips data, stays
silent or does not accept the connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ._progress import CancelCallback, Cancelled, ProgressCallback, check_cancel, report
from .atomic import atomic_output
from .idx import describe_start

if TYPE_CHECKING:
    import socket
    import urllib.request

__all__ = ["DEFAULT_MIRRORS", "MNIST_FILES", "DownloadError", "ExpectedFile", "download_mnist"]

class ExpectedFile(NamedTuple):
    """Size in bytes and SHA-256 (hex) of a file's *decompressed* content."""

    size: int
    sha256: str


#: The four MNIST files (decompressed), from ``shared/mnist/README.md``.
MNIST_FILES: dict[str, ExpectedFile] = {
    "train-images-idx3-ubyte": ExpectedFile(
        47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train-labels-idx1-ubyte": ExpectedFile(
        60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "t10k-images-idx3-ubyte": ExpectedFile(
        7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "t10k-labels-idx1-ubyte": ExpectedFile(
        10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}

#: Public mirrors serving the four gzipped files under the standard names
#: (the ones torchvision and TensorFlow use).
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

_CHUNK = 2**18  # reading files already on disk
_PIECE = 2**14  # the most read from the network at once: cancel is checked between pieces
_TICK = 0.1  # how often the watchdog looks at cancel(), the deadline and the rate
_MIN_DEADLINE = 300.0  # seconds any file may take, however small
_DEADLINE_RATE = 2**14  # bytes/s: the default deadline of a larger file is its size at this rate
_GZIP_MAGIC = b"\x1f\x8b"


class DownloadError(Exception):
    """Every mirror failed for some file; the message says what each one said.

    ``failures`` lists ``(url, reason)`` pairs.
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.failures = list(failures)


class _BadContent(Exception):
    """The bytes received are not the expected file."""


class _Verifier:
    """Check a stream of (possibly gzipped) bytes against an expected size and SHA-256."""

    def __init__(self, expected: ExpectedFile) -> None:
        self.expected = expected
        self.digest = hashlib.sha256()
        self.size = 0
        self.inflater = None  # decided by the first two bytes
        self.started = False
        self._head = b""  # the first byte, while waiting for the second

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if not self.started:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            self.started = True
            if data[:2] == _GZIP_MAGIC:
                self.inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            elif data[:2] != b"\0\0":
                raise _BadContent("the server sent neither gzip nor IDX data "
                                  f"({describe_start(data)})")
        if self.inflater is None:
            self._add(data)
            return
        if self.inflater.eof:
            raise _BadContent("unexpected data after the end of the gzip stream")
        try:
            # At most one byte more than expected per call: a bomb stops right there.
            self._add(self.inflater.decompress(data, self._room()))
            while self.inflater.unconsumed_tail:
                self._add(self.inflater.decompress(self.inflater.unconsumed_tail, self._room()))
        except zlib.error as exc:
            raise _BadContent(f"corrupt gzip data ({exc})") from exc
        if self.inflater.eof and self.inflater.unused_data:
            raise _BadContent("unexpected data after the end of the gzip stream")

    def _room(self) -> int:
        return self.expected.size - self.size + 1

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.expected.size:
            raise _BadContent(f"more than the expected {self.expected.size:,} bytes")
        self.digest.update(data)

    @property
    def compressed(self) -> bool:
        return self.inflater is not None

    def finish(self) -> None:
        if not self.started:
            raise _BadContent(f"the response is only {len(self._head)} byte(s) long"
                              if self._head else "empty response")
        if self.inflater is not None and not self.inflater.eof:
            raise _BadContent("the gzip stream is incomplete (truncated download)")
        if self.size != self.expected.size:
            raise _BadContent(f"got {self.size:,} bytes instead of {self.expected.size:,} "
                              "(truncated download)")
        if self.digest.hexdigest() != self.expected.sha256:
            raise _BadContent(f"SHA-256 {self.digest.hexdigest()} does not match the expected "
                              f"{self.expected.sha256} (corrupt data)")


def _is_intact(path: Path, expected: ExpectedFile) -> bool:
    """Whether an existing file (gzipped or not) holds exactly the expected content."""
    verifier = _Verifier(expected)
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                verifier.feed(chunk)
        verifier.finish()
    except (OSError, _BadContent):
        return False
    return True


def _reason(exc: BaseException, timeout: float) -> str:
    import urllib.error

    if isinstance(exc, _Stopped):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} ({exc.reason})"
    if isinstance(exc, TimeoutError) or (
        isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, TimeoutError)
    ):
        return f"no response within {timeout:g} s"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    return str(exc) or type(exc).__name__


# --------------------------------------------------------------------------- transfer limits

@dataclass(frozen=True)
class _Limits:
    """How long and how slowly one file may take (see :func:`download_mnist`)."""

    timeout: float
    min_rate: float
    rate_window: float
    deadline: float | None
    user_agent: str

    def deadline_for(self, expected: ExpectedFile) -> float:
        """Seconds one file may take in all: given, or generous for its size."""
        if self.deadline is not None:
            return self.deadline
        return max(_MIN_DEADLINE, expected.size / _DEADLINE_RATE)


class _Stopped(Exception):
    """The watchdog stopped a transfer that was too slow or too long (try the next mirror)."""


class _Watchdog:
    """Stop a transfer from outside when it must end, even while it waits for data.

    The downloading thread blocks inside the socket (connecting, in the TLS
    handshake, waiting for headers or for the next piece of data), where it
    cannot look at ``cancel()``; a socket timeout cannot be used for that, as a
    socket file refuses every read after one timeout.  So a helper thread
    looks every :data:`_TICK` seconds at ``cancel()``, the overall deadline and
    the transfer rate; when one says stop, it records why and shuts the
    connection's sockets down, which wakes the blocked call at once.  The
    downloading thread then raises :meth:`raise_if_stopped`'s reason instead
    of whatever the closed socket made it see.  Only a name look-up (DNS)
    cannot be woken this way; it ends with the system resolver's own timeout.

    ``cancel`` is called from the helper thread: it must be thread-safe (the
    GUI's ``threading.Event.is_set`` is).
    """

    def __init__(self, cancel: CancelCallback | None, limits: _Limits, deadline: float) -> None:
        self.cancel = cancel
        self.limits = limits
        self.deadline = deadline
        self.received = 0  # bytes received so far, updated by the downloading thread
        self.reason: str | None = None
        self._cancelled = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="convlab-download-watchdog",
                                        daemon=True)

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down if the transfer is stopped (now or later)."""
        with self._lock:
            self._sockets.append(sock)
            stopped = self.reason is not None
        if stopped:
            self._shut(sock)
        self.raise_if_stopped()

    def raise_if_stopped(self) -> None:
        """Raise :class:`Cancelled` or :class:`_Stopped` if the transfer was stopped."""
        if self._cancelled:
            raise Cancelled("cancelled")
        if self.reason is not None:
            raise _Stopped(self.reason)

    def _run(self) -> None:
        start = window_start = time.monotonic()
        window_bytes = 0
        while not self._done.wait(_TICK):
            now = time.monotonic()
            if self.cancel is not None and self.cancel():
                self._stop("cancelled", cancelled=True)
                return
            if now - start > self.deadline:
                self._stop(f"did not finish within {self.deadline:g} s")
                return
            if now - window_start >= self.limits.rate_window:
                got = self.received - window_bytes
                if got < self.limits.min_rate * (now - window_start):
                    self._stop(f"slower than {self.limits.min_rate:g} bytes/s for "
                               f"{self.limits.rate_window:g} s ({got:,} bytes in "
                               f"{now - window_start:.1f} s)")
                    return
                window_start, window_bytes = now, self.received

    def _stop(self, reason: str, cancelled: bool = False) -> None:
        with self._lock:
            self.reason, self._cancelled = reason, cancelled
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        import socket

        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _opener(watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    """urllib's opener (proxies, redirects, TLS as usual) whose sockets ``watchdog`` can stop."""
    import http.client
    import socket
    import urllib.request

    def create_connection(address: tuple[str, int], timeout: float | None = None,
                          source_address: tuple[str, int] | None = None) -> socket.socket:
        # socket.create_connection, with each socket watched before it connects.
        host, port = address
        error: OSError | None = None
        for family, kind, proto, _, where in socket.getaddrinfo(host, port, 0,
                                                                 socket.SOCK_STREAM):
            sock = socket.socket(family, kind, proto)
            try:
                watchdog.watch(sock)
                sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(where)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
            except BaseException:
                sock.close()
                raise
        raise error or OSError(f"cannot resolve {host}")

    class HTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = create_connection

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(HTTPConnection, req)

    handlers: list[type] = [HTTPHandler]
    if hasattr(http.client, "HTTPSConnection"):  # Python built with ssl

        class HTTPSConnection(http.client.HTTPSConnection):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._create_connection = create_connection

        class HTTPSHandler(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(HTTPSConnection, req, context=self._context)

        handlers.append(HTTPSHandler)
    return urllib.request.build_opener(*handlers)


# --------------------------------------------------------------------------- one file, one URL

def _fetch(url: str, dest: Path, name: str, expected: ExpectedFile, limits: _Limits,
           on_bytes: Callable[[int, str], None], cancel: CancelCallback | None) -> Path:
    """Download ``url`` into ``dest`` as ``name`` or ``name.gz``; return the path written.

    Raises :class:`Cancelled`, :class:`_Stopped` (too slow, too long),
    :class:`_BadContent`, or what urllib raises.
    """
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": limits.user_agent})
    with _Watchdog(cancel, limits, limits.deadline_for(expected)) as watchdog:
        try:
            with _opener(watchdog).open(request, timeout=limits.timeout) as response:
                return _receive(response, url, dest, name, expected, watchdog, on_bytes, cancel)
        except Exception:
            watchdog.raise_if_stopped()  # the real reason the connection failed
            raise


def _pieces(response: Any, watchdog: _Watchdog,
            cancel: CancelCallback | None) -> Iterator[bytes]:
    """The body in pieces of at most :data:`_PIECE` bytes, each as soon as it arrives."""
    while True:
        check_cancel(cancel)
        watchdog.raise_if_stopped()
        piece = response.read1(_PIECE)
        if not piece:
            return
        watchdog.received += len(piece)
        yield piece


def _receive(response: Any, url: str, dest: Path, name: str, expected: ExpectedFile,
             watchdog: _Watchdog, on_bytes: Callable[[int, str], None],
             cancel: CancelCallback | None) -> Path:
    """Verify and save the body of ``response``; return the path written."""
    verifier = _Verifier(expected)
    pieces = _pieces(response, watchdog, cancel)
    first = b""
    for piece in pieces:  # the first two bytes tell gzip from raw IDX
        first += piece
        if len(first) >= 2:
            break
    verifier.feed(first)
    final = dest / (f"{name}.gz" if verifier.compressed else name)
    with atomic_output(final) as out:
        out.write(first)
        on_bytes(verifier.size, url)
        for piece in pieces:
            verifier.feed(piece)
            out.write(piece)
            on_bytes(verifier.size, url)
        try:
            verifier.finish()
        except _BadContent:
            watchdog.raise_if_stopped()  # cut short by the watchdog, not by the server
            raise
    return final


# --------------------------------------------------------------------------- the whole set

def download_mnist(
    dest: str | os.PathLike,
    *,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    files: Mapping[str, ExpectedFile] = MNIST_FILES,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    timeout: float = 30.0,
    retries: int = 2,
    retry_delay: float = 2.0,
    user_agent: str = "ConvLab",
    min_rate: float = 1024.0,
    rate_window: float = 10.0,
    deadline: float | None = None,
) -> Path:
    """Download the full MNIST set (verified) into a folder, and return that folder.

    Each file is fetched from ``<mirror>/<name>.gz`` for the first mirror that
    delivers the expected content (gzipped or not); files already in ``dest``
    with the right content are kept.  ``load_mnist(folder)`` then loads them.

    The body is read in pieces of at most 16 KiB as they arrive.  Cancelling
    takes effect within about 0.1 s however slowly the server sends, also
    while connecting or waiting for data; a mirror that sends too slowly
    (``min_rate``), stops sending (``timeout``) or takes too long in all
    (``deadline``) is given up for the next one.

    Parameters
    ----------
    dest : path-like
        Destination folder (created if needed); the app passes its per-user
        cache folder.
    mirrors : sequence of str
        Base URLs tried in order, e.g. ``"https://example.org/mnist/"``.
    files : mapping of str to ExpectedFile
        File name (without ``.gz``) → size and SHA-256 of the decompressed
        content; default :data:`MNIST_FILES`.
    progress, cancel : callable, optional
        The core's progress and cancellation callbacks; cancelling removes the
        partial file and raises :class:`Cancelled`.  ``cancel`` is also called
        from a helper thread, so it must be thread-safe (reading a flag or a
        ``threading.Event`` is).
    timeout : float
        Seconds to wait for a connection, or for the next data, before giving
        up on a mirror.
    retries : int
        How many more passes over all mirrors after the first one fails.
    retry_delay : float
        Seconds to wait between passes.
    user_agent : str
        The HTTP ``User-Agent`` sent to the mirrors (the app sends its version).
    min_rate, rate_window : float
        A mirror delivering fewer than ``min_rate`` bytes per second over any
        ``rate_window`` seconds (from the request on; 1 KiB/s over 10 s by
        default) is given up.
    deadline : float, optional
        Seconds one file may take from request to last byte; by default
        generous for its size (5 minutes, or 16 KiB/s on average for a file
        larger than 4.9 MB: 48 minutes for the 47 MB training images).

    Returns
    -------
    pathlib.Path
        The folder holding the verified files.

    Raises
    ------
    DownloadError
        If some file could not be fetched intact from any mirror; the message
        lists what each attempt said.
    Cancelled
        If ``cancel()`` returned True.
    ValueError
        If ``mirrors`` or ``files`` is empty, or a number is out of range.
    """
    mirrors = _check_arguments(mirrors, files, retries, timeout, min_rate, rate_window,
                               deadline)
    limits = _Limits(timeout, min_rate, rate_window, deadline, user_agent)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    from .mnist import mnist_file_names

    total = sum(e.size for e in files.values()) or 1
    done = 0
    for name, expected in files.items():
        check_cancel(cancel)
        variants = [dest / v for v in mnist_file_names(name)]
        if any(p.is_file() and _is_intact(p, expected) for p in variants):
            done += expected.size
            report(progress, done / total, f"{name} already downloaded")
            continue
        on_bytes = _byte_reporter(progress, name, expected.size, done, total)
        saved = _fetch_from_mirrors(name, expected, dest, mirrors, limits, retries, retry_delay,
                                    on_bytes, cancel)
        for other in variants:
            if other != saved and other.exists():
                other.unlink()
        done += expected.size
        report(progress, done / total, f"{name} downloaded and verified")
    return dest


def _check_arguments(mirrors: Sequence[str] | str, files: Mapping[str, ExpectedFile],
                     retries: int, timeout: float, min_rate: float, rate_window: float,
                     deadline: float | None) -> Sequence[str]:
    """Refuse impossible arguments; return the mirrors as a sequence."""
    if isinstance(mirrors, str):
        mirrors = (mirrors,)
    if not mirrors:
        raise ValueError("give at least one mirror URL to download from")
    if not files:
        raise ValueError("give at least one file to download")
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, got {retries}")
    for label, value in (("timeout", timeout), ("rate_window", rate_window),
                         ("deadline", deadline)):
        if value is not None and not value > 0:
            raise ValueError(f"{label} must be a positive number of seconds, got {value}")
    if not min_rate >= 0:
        raise ValueError(f"min_rate must be 0 or more bytes per second, got {min_rate}")
    return mirrors


def _byte_reporter(progress: ProgressCallback | None, name: str, size: int, done: int,
                   total: int) -> Callable[[int, str], None]:
    """``on_bytes(got, url)``: report the progress of one file within the whole set."""
    import urllib.parse

    def on_bytes(got: int, url: str) -> None:
        host = urllib.parse.urlsplit(url).netloc or url
        report(progress, (done + got) / total,
               f"downloading {name}: {got / 1e6:.1f} of {size / 1e6:.1f} MB from {host}")

    return on_bytes


def _fetch_from_mirrors(name: str, expected: ExpectedFile, dest: Path, mirrors: Sequence[str],
                        limits: _Limits, retries: int, retry_delay: float,
                        on_bytes: Callable[[int, str], None],
                        cancel: CancelCallback | None) -> Path:
    """Try every mirror, ``retries + 1`` times over; return the path saved or raise."""
    import http.client

    failures: list[tuple[str, str]] = []
    for attempt in range(retries + 1):
        if attempt:
            _wait(retry_delay, cancel)
        for mirror in mirrors:
            url = mirror.rstrip("/") + f"/{name}.gz"
            try:
                return _fetch(url, dest, name, expected, limits, on_bytes, cancel)
            except (OSError, http.client.HTTPException, ValueError, _BadContent,
                    _Stopped) as exc:
                failures.append((url, _reason(exc, limits.timeout)))
    lines = "; ".join(f"{url}: {why}" for url, why in failures)
    raise DownloadError(f"could not download {name} from any mirror — {lines}", failures)


def _wait(seconds: float, cancel: CancelCallback | None) -> None:
    """Sleep ``seconds`` while staying responsive to ``cancel``."""
    deadline = time.monotonic() + seconds
    while True:
        check_cancel(cancel)
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))
