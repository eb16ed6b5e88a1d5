"""Fixtures for the core tests: a local HTTP server standing in for MNIST mirrors."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Route:
    """What the server answers for one path.

    ``kind`` is ``"ok"`` (send ``body``), ``"status"`` (send error ``status``),
    ``"truncated"`` (announce ``len(body)`` bytes, send only ``cut`` of them and
    close), ``"slow"`` (wait ``delay`` seconds, then send ``body``), ``"flaky"``
    (``status`` the first ``fail_times`` requests, then ``body``) or ``"drip"``
    (send the headers at once, then ``piece`` bytes of ``body`` every ``delay``
    seconds; ``piece=0`` sends nothing after the headers; after ``for_at_most``
    seconds it closes the connection, so a client that cannot cancel fails
    instead of hanging).  Waits end as soon as the server shuts down, so no
    test waits for a slow route to finish.
    """

    kind: str
    body: bytes = b""
    status: int = 404
    cut: int = 0
    delay: float = 0.0
    fail_times: int = 1
    piece: int = 1
    for_at_most: float = 10.0


@dataclass
class LocalServer:
    """A running server: set ``routes[path]``, read ``requests`` (paths in order)
    and ``user_agents`` (the ``User-Agent`` of each request)."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def route(self, path: str, kind: str, body: bytes = b"", **options: object) -> None:
        """Answer requests for ``path`` as :class:`Route` ``(kind, body, **options)`` says."""
        self.routes[path] = Route(kind, body, **options)

    def url(self, prefix: str) -> str:
        """Base URL of a "mirror" living under ``/prefix/``."""
        return f"http://127.0.0.1:{self.port}/{prefix}/"


def _handler(server_state: LocalServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.requests.append(self.path)
            server_state.user_agents.append(self.headers.get("User-Agent", ""))
            route = server_state.routes.get(self.path, Route("status", status=404))
            if route.kind == "flaky":
                seen = server_state.requests.count(self.path)
                route = (Route("status", status=route.status) if seen <= route.fail_times
                         else Route("ok", route.body))
            if route.kind == "status":
                self.send_error(route.status)
                return
            if route.kind == "slow" and server_state.stop.wait(route.delay):
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.kind == "drip":
                self._drip(route)
                return
            body = route.body[: route.cut] if route.kind == "truncated" else route.body
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout or cancel): expected in these tests
            if route.kind == "truncated":
                self.close_connection = True

        def _drip(self, route: Route) -> None:
            sent = 0
            end = time.monotonic() + route.for_at_most
            while (sent < len(route.body) and time.monotonic() < end
                   and not server_state.stop.wait(route.delay)):
                try:
                    self.wfile.write(route.body[sent : sent + route.piece])
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up: expected in these tests
                sent += route.piece

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """An HTTP server on 127.0.0.1 in a thread, shut down (and joined) after the test."""
    state = LocalServer(port=0)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="test-http-server")
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()  # ends every wait of "slow" and "drip" routes
        server.shutdown()
        server.server_close()  # joins the request threads (block_on_close)
        thread.join(timeout=5)


@pytest.fixture
def cancel_after() -> Callable[[int], Callable[[], bool]]:
    """``cancel_after(n)`` gives a cancel callback that returns True from its n-th call on."""

    def make(n: int) -> Callable[[], bool]:
        calls = 0

        def cancel() -> bool:
            nonlocal calls
            calls += 1
            return calls >= n

        return cancel

    return make
