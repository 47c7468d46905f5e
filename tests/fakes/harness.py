"""A small threaded HTTP server on 127.0.0.1 for fake platform APIs.

Subclasses implement ``route(request) -> Reply``; the harness gives them a free port, a log of
every request, and fault switches that tests flip at runtime::

    with MyFake() as fake:
        fake.fail("429", headers={"Retry-After": "0"})   # the next request only
        fake.fail("500", times=3, path="/comments")     # the next three matching requests
        fake.fail("slow", delay=2.0)                     # answer after 2 s (client timeouts)
        fake.fail("malformed")                           # 200 with a body that is not JSON
        fake.fail("401")
        client.get(fake.url + "/...")
        assert fake.request_count == 1

As a pytest fixture: ``fake = serving(MyFake)`` at module level (or ``with`` inside a test).

Faults apply before routing, so a faulted request changes no state. Everything is guarded by one
lock: subclasses keep their state on ``self`` and may touch it from the test thread under
``with fake.lock``.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import parse_qs, urlsplit

FAULT_KINDS = ("429", "500", "slow", "malformed", "401")


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]  # the last value of each parameter
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int = 200
    body: Any = None  # bytes are sent as they are; anything else as JSON
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Fault:
    kind: str
    times: int = 1
    path: str | None = None  # only requests whose path contains this
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # for "slow"
    status: int | None = None  # override the status of the fault reply


class FakeServer:
    """Base class: start/stop with ``with`` (or ``start()``/``stop()``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request served
        self._faults: list[Fault] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "FakeServer":
        handler = _make_handler(self)
        self._server = QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name=type(self).__name__,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow replies
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- faults and inspection ---------------------------------------------------------------
    def fail(self, kind: str, *, times: int = 1, path: str | None = None,
             headers: Mapping[str, str] | None = None, delay: float = 0.0,
             status: int | None = None) -> None:
        """Make the next ``times`` requests (matching ``path``) fail with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULT_KINDS}")
        with self.lock:
            self._faults.append(Fault(kind, times, path, dict(headers or {}), delay, status))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    @property
    def request_count(self) -> int:
        with self.lock:
            return len(self.requests)

    def count(self, method: str | None = None, path: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.requests
                       if (method is None or m == method) and path in p)

    # -- for subclasses ----------------------------------------------------------------------
    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def fault_reply(self, fault: Fault) -> Reply:
        """The reply a fault produces; subclasses may shape bodies like their platform."""
        kind = fault.kind
        if kind == "429":
            return Reply(fault.status or 429, {"error": "Too Many Requests"}, fault.headers)
        if kind == "500":
            return Reply(fault.status or 500, {"error": "Internal Server Error"}, fault.headers)
        if kind == "401":
            return Reply(fault.status or 401, {"error": "Unauthorized"}, fault.headers)
        if kind == "malformed":
            return Reply(fault.status or 200, b'{"data": [{"id": "1", "te', fault.headers)
        raise AssertionError(kind)

    # -- internals ---------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.path is None or fault.path in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _serve(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append((request.method, request.path))
        fault = self._take_fault(request.path)
        if fault is not None and fault.kind == "slow":
            self._stopping.wait(fault.delay)
            fault = None  # then answer normally
        if fault is not None:
            return self.fault_reply(fault)
        with self.lock:
            try:
                return self.route(request)
            except Exception as e:  # a bug in a fake must show up as a 500, not a hang
                return Reply(500, {"error": f"fake server error: {type(e).__name__}: {e}"})


class QuietServer(ThreadingHTTPServer):
    """A client that vanishes mid-request (a killed daemon) is no error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serving(factory: Callable[[], FakeServer], **fixture_args: Any) -> Any:
    """A pytest fixture that starts ``factory()`` for a test and stops it afterwards."""
    import pytest

    @pytest.fixture(**fixture_args)
    def fake() -> Iterator[FakeServer]:
        with factory() as server:
            yield server

    return fake


def _make_handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs
        disable_nagle_algorithm = True  # else headers + body in two writes cost 40 ms each
        wbufsize = 1 << 16

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=split.path,
                query={k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            reply = fake._serve(request)
            payload = reply.body if isinstance(reply.body, bytes) else \
                json.dumps(reply.body if reply.body is not None else {}).encode()
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=UTF-8", **reply.headers}
                if self.close_connection:  # say so, or the client may reuse a closing socket
                    headers["Connection"] = "close"
                for name, value in headers.items():
                    self.send_header(name, str(value))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

    return Handler


@dataclass
class Kit:
    """A connector wired to its (fake) platform, for the contract suite
    (``tests/test_connector_contract.py``). Each fake module offers ``contract_kit(tmp_path)``,
    a context manager yielding one."""

    connector: Any
    account: str
    post: Any  # (text) -> id: a new comment appears on the platform, newer than all before
    applied: Any  # () -> list of (action, id) the platform recorded: hide, unhide, delete, ban
    reopen: Any  # () -> a fresh connector for the same account (a restart)
    post_malformed: Any = None  # () -> id: an item the connector must skip, or None
    revoke: Any = None  # () -> None: the credentials stop working, or None


# -- helpers for connector tests -------------------------------------------------------------

class Sleeps(list):
    """A ``sleep`` that records what it was asked to wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def read(connector: Any, cursor: str | None = None, **kw: Any):
    """Everything ``fetch`` yields: (comments, the last cursor, the batches)."""
    batches = list(connector.fetch(cursor, **kw))
    comments = [c for b in batches for c in b.comments]
    return comments, (batches[-1].cursor if batches else cursor), batches


def read_all(connector: Any, cursor: str | None = None, **kw: Any):
    """(comments, batches) of one ``fetch``."""
    comments, _, batches = read(connector, cursor, **kw)
    return comments, batches

