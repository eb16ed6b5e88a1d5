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
"""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from ._progress import CancelCallback, ProgressCallback, check_cancel, report
from .atomic import atomic_output
from .idx import describe_start

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

_CHUNK = 2**18
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

    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} ({exc.reason})"
    if isinstance(exc, TimeoutError) or (
        isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, TimeoutError)
    ):
        return f"no response within {timeout:g} s"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    return str(exc) or type(exc).__name__


def _fetch(url: str, dest: Path, name: str, expected: ExpectedFile, timeout: float,
           on_bytes: Callable[[int, str], None], cancel: CancelCallback | None,
           user_agent: str) -> Path:
    """Download ``url`` into ``dest`` as ``name`` or ``name.gz``; return the path written."""
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    verifier = _Verifier(expected)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        first = b""
        while len(first) < 2:  # the first two bytes tell gzip from raw IDX
            more = response.read(_CHUNK)
            if not more:
                break
            first += more
        verifier.feed(first)
        final = dest / (f"{name}.gz" if verifier.compressed else name)
        with atomic_output(final) as out:
            out.write(first)
            on_bytes(verifier.size, url)
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                check_cancel(cancel)
                verifier.feed(chunk)
                out.write(chunk)
                on_bytes(verifier.size, url)
            verifier.finish()
    return final


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
) -> Path:
    """Download the full MNIST set (verified) into a folder, and return that folder.

    Each file is fetched from ``<mirror>/<name>.gz`` for the first mirror that
    delivers the expected content (gzipped or not); files already in ``dest``
    with the right content are kept.  ``load_mnist(folder)`` then loads them.

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
        partial file and raises :class:`Cancelled`.
    timeout : float
        Seconds to wait for a connection or for each read before giving up on
        a mirror.
    retries : int
        How many more passes over all mirrors after the first one fails.
    retry_delay : float
        Seconds to wait between passes.
    user_agent : str
        The HTTP ``User-Agent`` sent to the mirrors (the app sends its version).

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
        If ``mirrors`` or ``files`` is empty, or ``retries`` is negative.
    """
    # urllib costs ~15 ms to import: not on the way to the first window.
    import http.client
    import urllib.parse

    if isinstance(mirrors, str):
        mirrors = (mirrors,)
    if not mirrors:
        raise ValueError("give at least one mirror URL to download from")
    if not files:
        raise ValueError("give at least one file to download")
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, got {retries}")
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
        failures: list[tuple[str, str]] = []
        saved = None

        def on_bytes(got: int, url: str, base: int = done, name: str = name,
                     size: int = expected.size) -> None:
            host = urllib.parse.urlsplit(url).netloc or url
            report(progress, (base + got) / total,
                   f"downloading {name}: {got / 1e6:.1f} of {size / 1e6:.1f} MB from {host}")

        for attempt in range(retries + 1):
            if attempt:
                _wait(retry_delay, cancel)
            for mirror in mirrors:
                url = mirror.rstrip("/") + f"/{name}.gz"
                try:
                    saved = _fetch(url, dest, name, expected, timeout, on_bytes, cancel, user_agent)
                    break
                except (OSError, http.client.HTTPException, ValueError, _BadContent) as exc:
                    failures.append((url, _reason(exc, timeout)))
            if saved is not None:
                break
        if saved is None:
            lines = "; ".join(f"{url}: {why}" for url, why in failures)
            raise DownloadError(f"could not download {name} from any mirror — {lines}", failures)
        for other in variants:
            if other != saved and other.exists():
                other.unlink()
        done += expected.size
        report(progress, done / total, f"{name} downloaded and verified")
    return dest


def _wait(seconds: float, cancel: CancelCallback | None) -> None:
    """Sleep ``seconds`` while staying responsive to ``cancel``."""
    deadline = time.monotonic() + seconds
    while True:
        check_cancel(cancel)
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))
