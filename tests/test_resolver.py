"""The shortener resolver: HEAD requests only, bounded hops and time, no private addresses,
against a real local HTTP server."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moderator.resolver import head_resolver


class _Handler(BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802
        self.server.methods.append(self.command)  # type: ignore[attr-defined]
        if self.path.startswith("/loop"):
            n = int(self.path.rsplit("/", 1)[1])
            self._redirect(f"/loop/{n + 1}")
        elif self.path == "/short":
            self._redirect("/hop")
        elif self.path == "/hop":
            self._redirect("/final")
        elif self.path == "/slow":
            time.sleep(2)
            self._redirect("/never")
        else:
            self.send_response(200)
            self.end_headers()

    def do_GET(self):  # noqa: N802
        self.server.methods.append(self.command)  # type: ignore[attr-defined]
        self.send_response(500)
        self.end_headers()

    def _redirect(self, location):
        self.send_response(301)
        self.send_header("Location", location)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.methods = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_resolver_follows_redirects_with_head_only(server):
    httpd, base = server
    resolve = head_resolver(timeout=3.0, max_hops=5, allow_private=True)
    assert resolve(f"{base}/short") == f"{base}/final"
    assert httpd.methods == ["HEAD", "HEAD", "HEAD"]


def test_resolver_refuses_private_addresses_by_default(server):
    httpd, base = server
    assert head_resolver(timeout=1.0)(f"{base}/short") is None
    assert httpd.methods == []


def test_resolver_stops_after_max_hops(server):
    httpd, base = server
    resolve = head_resolver(timeout=3.0, max_hops=3, allow_private=True)
    assert resolve(f"{base}/loop/0") == f"{base}/loop/4"
    assert len(httpd.methods) == 4


def test_resolver_bounds_time(server):
    _, base = server
    resolve = head_resolver(timeout=0.5, max_hops=5, allow_private=True)
    start = time.monotonic()
    assert resolve(f"{base}/slow") is None
    assert time.monotonic() - start < 1.5


def test_resolver_on_refused_connection_returns_none():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert head_resolver(timeout=1.0, allow_private=True)(f"http://127.0.0.1:{port}/x") is None
