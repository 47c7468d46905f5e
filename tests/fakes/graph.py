"""A fake Graph API server for Facebook Pages and Instagram, on 127.0.0.1, in-process.

It answers in the shapes of the real Graph API (``{"data": [...], "paging": {"cursors":
{"before", "after"}, "next"}}`` lists, ``fields=`` selection, ``{"error": {"message", "type",
"code", "error_subcode", "fbtrace_id"}}`` errors, ``x-app-usage`` headers), keeps state (a hidden
comment reads back hidden, a deleted one is gone), lets a test add comments while it runs and
inspect the actions applied, and has switches for faults::

    with FakeGraph(token="t0k") as fake:
        page = fake.add_page("100")
        post = fake.add_post(page, "2026-11-24T10:00:00+0000", "Hello")
        cid = fake.add_fb_comment(post, "Nice", "2026-11-24T10:05:00+0000")
        fake.fail("throttle", times=2, code=4, headers=True)
        ... connector with api_base=fake.base_url ...
        assert fake.actions == [("hide", cid)]

Shapes follow developers.facebook.com/docs/graph-api (Page feed, Post comments with
``filter=stream`` / ``order``, Comment ``is_hidden``) and the Instagram Platform reference
(IG User media, IG Media comments with ``replies``, IG Comment ``hide``).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .harness import QuietServer

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
NESTED_LIMIT = 25  # items inlined by a field expansion such as replies{...}
_PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)(?:/([^/]+))?/?$")


def graph_time(when: datetime) -> str:
    """A time as the Graph API writes it: ``2026-11-24T10:05:00+0000``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Fault:
    kind: str  # throttle | http429 | server_error | slow | malformed | unauthorized
    times: int = 1
    path: str | None = None  # only requests whose path contains this
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    token_in_url: bool


class FakeGraph:
    def __init__(self, token: str = "fake-page-token", version: str = "v21.0"):
        self.token = token
        self.version = version
        self.revoked = False
        self.usage_percent = 1  # reported in x-app-usage on every answer
        self.objects: dict[str, dict[str, Any]] = {}  # id -> API record (kept with "_" keys)
        self.edges: dict[tuple[str, str], list[str]] = {}  # (node, edge) -> ids, oldest first
        self.actions: list[tuple[str, str]] = []  # ("hide" | "unhide" | "delete", id)
        self.requests: list[Request] = []
        self.faults: deque[Fault] = deque()
        self._lock = threading.RLock()
        self._ids = itertools.count(17841400000000001)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeGraph":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True,
                                        name="fake-graph")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "FakeGraph":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    # -- content ---------------------------------------------------------------------------

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _add(self, record: dict[str, Any], parent: str | None, edge: str | None) -> str:
        with self._lock:
            self.objects[record["id"]] = record
            if parent is not None and edge is not None:
                self.edges.setdefault((parent, edge), []).append(record["id"])
        return record["id"]

    def add_page(self, page_id: str, name: str = "Acme Bank") -> str:
        return self._add({"id": page_id, "name": name, "_kind": "page"}, None, None)

    def add_post(self, page_id: str, created_time: str, message: str = "",
                 *, by_page: bool = True) -> str:
        post_id = f"{page_id}_{self._new_id()}"
        record = {"id": post_id, "created_time": created_time, "message": message,
                  "permalink_url": f"https://www.facebook.com/{page_id}/posts/"
                                   f"{post_id.split('_')[1]}", "_kind": "post"}
        self._add(record, page_id, "feed")
        if by_page:
            self.edges.setdefault((page_id, "posts"), []).append(post_id)
        return post_id

    def add_fb_comment(self, post_id: str, message: str, created_time: str, *,
                       author: tuple[str, str] | None = ("5550001", "Jane Doe"),
                       parent: str | None = None, link: str | None = None) -> str:
        """A comment (or, with ``parent``, a reply). ``author=None`` leaves ``from`` out, as
        the API does when the Page may not see who wrote it. ``link`` adds a share
        attachment whose url is wrapped in l.facebook.com, like the real one."""
        cid = f"{post_id.split('_')[-1]}_{self._new_id()}"
        record: dict[str, Any] = {
            "id": cid, "created_time": created_time, "message": message,
            "permalink_url": self.objects[post_id]["permalink_url"] + f"?comment_id={cid}",
            "is_hidden": False, "can_hide": True, "_kind": "fb_comment", "_post": post_id,
        }
        if author is not None:
            record["from"] = {"name": author[1], "id": author[0]}
        if parent is not None:
            p = self.objects[parent]
            record["parent"] = {"created_time": p["created_time"], "message": p["message"],
                                "id": p["id"], **({"from": p["from"]} if "from" in p else {})}
        if link is not None:
            record["attachment"] = {
                "type": "share", "title": link,
                "url": "https://l.facebook.com/l.php?" + urlencode({"u": link, "h": "AT0xyz"}),
                "target": {"url": "https://l.facebook.com/l.php?" + urlencode({"u": link})},
            }
        self._add(record, post_id, "comments")
        if parent is not None:
            self.edges.setdefault((parent, "comments"), []).append(cid)
        return cid

    def add_ig_user(self, ig_user_id: str, username: str = "acmebank") -> str:
        return self._add({"id": ig_user_id, "username": username, "_kind": "ig_user"}, None, None)

    def add_media(self, ig_user_id: str, timestamp: str, caption: str = "") -> str:
        mid = self._new_id()
        record = {"id": mid, "timestamp": timestamp, "caption": caption,
                  "media_type": "IMAGE", "comments_count": 0,
                  "permalink": f"https://www.instagram.com/p/{_shortcode(mid)}/", "_kind": "media"}
        return self._add(record, ig_user_id, "media")

    def add_ig_comment(self, media_id: str, text: str, timestamp: str, *,
                       username: str = "jane.doe", user_id: str | None = "9990001",
                       parent: str | None = None) -> str:
        cid = self._new_id()
        record: dict[str, Any] = {"id": cid, "text": text, "timestamp": timestamp,
                                  "username": username, "hidden": False, "like_count": 0,
                                  "_kind": "ig_comment", "_media": media_id}
        if user_id is not None:
            record["from"] = {"id": user_id, "username": username}
        if parent is not None:
            record["parent_id"] = parent
            self._add(record, parent, "replies")
        else:
            self._add(record, media_id, "comments")
        with self._lock:
            self.objects[media_id]["comments_count"] += 1
        return cid

    def add_raw(self, parent: str, edge: str, item: Any) -> None:
        """Put an arbitrary (malformed) item into an edge list, as a broken upstream might."""
        key = f"raw-{self._new_id()}"
        with self._lock:
            self.objects[key] = {"_raw": item, "_kind": "raw"}
            self.edges.setdefault((parent, edge), []).append(key)

    # -- switches --------------------------------------------------------------------------

    def fail(self, kind: str, times: int = 1, path: str | None = None, **options: Any) -> None:
        """Make the next ``times`` matching requests fail. Kinds:

        - ``throttle``: HTTP 400 with a Graph throttling error (``code`` 4, 17, 32, 613 or a
          business use case code like 80001); ``headers=True`` adds ``x-app-usage`` at 100% and
          ``x-business-use-case-usage`` with ``regain_minutes`` (default 0);
        - ``http429``: HTTP 429, with ``Retry-After: retry_after`` when given;
        - ``server_error``: HTTP 500 with a transient Graph error, or an HTML page (``html=True``);
        - ``slow``: answer normally after ``seconds``;
        - ``malformed``: HTTP 200 with a truncated JSON body;
        - ``unauthorized``: HTTP 401 with an OAuthException code 190.
        """
        with self._lock:
            self.faults.append(Fault(kind, times, path, options))

    def revoke(self) -> None:
        """The token expires: every call answers OAuthException 190/463, as Graph does."""
        self.revoked = True

    def request_count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if method is None or r.method == method)

    # -- serving ---------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path is None or fault.path in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def handle(self, method: str, path: str, query: dict[str, list[str]],
               form: dict[str, list[str]], auth: str | None) -> tuple[int, dict[str, str], bytes]:
        token_in_url = "access_token" in query
        with self._lock:
            self.requests.append(Request(method, path, query, token_in_url))
        fault = self._take_fault(method, path)
        if fault is not None:
            answer = self._fault_answer(fault)
            if answer is not None:
                return answer
        params = {k: v[-1] for k, v in {**query, **form}.items()}
        token = params.get("access_token")
        if token is None and auth:
            scheme, _, value = auth.partition(" ")
            token = value if scheme.lower() in ("bearer", "oauth") else None
        if token is None:
            return _error(400, "An access token is required to request this resource.",
                          "OAuthException", 104)
        if token != self.token or self.revoked:
            return _error(400, "Error validating access token: Session has expired on "
                               "Tuesday, 24-Nov-26 10:00:00 PST.", "OAuthException", 190, 463)
        match = _PATH.match(path)
        if not match:
            return _error(400, "Unknown path components: " + path, "OAuthException", 2500)
        _, node, edge = match.groups()
        with self._lock:
            if node not in self.objects:
                return _missing(method, node)
            if method == "GET":
                body = self._list(node, edge, params, query, token_in_url) if edge \
                    else self._render(self.objects[node], params.get("fields"))
            elif method == "POST" and edge is None:
                answer = self._update(node, params)
                if isinstance(answer, tuple):
                    return answer
                body = answer
            elif method == "DELETE" and edge is None:
                body = self._delete(node)
            else:
                return _error(400, f"Unsupported {method.lower()} request.", "GraphMethodException",
                              100)
        headers = {"x-app-usage": json.dumps({"call_count": self.usage_percent,
                                              "total_cputime": 1, "total_time": 1})}
        return 200, headers, json.dumps(body).encode()

    def _fault_answer(self, fault: Fault) -> tuple[int, dict[str, str], bytes] | None:
        o = fault.options
        if fault.kind == "slow":
            time.sleep(o.get("seconds", 1.0))
            return None
        if fault.kind == "throttle":
            code = o.get("code", 4)
            messages = {4: "(#4) Application request limit reached",
                        17: "(#17) User request limit reached",
                        32: "(#32) Page request limit reached",
                        613: "(#613) Calls to this api have exceeded the rate limit."}
            status, headers, body = _error(400, messages.get(code, f"(#{code}) There have been "
                                           "too many calls from this business account."),
                                           "OAuthException", code, o.get("subcode"),
                                           is_transient=True)
            if o.get("headers"):
                headers["x-app-usage"] = json.dumps({"call_count": 100, "total_cputime": 12,
                                                     "total_time": 30})
                headers["x-business-use-case-usage"] = json.dumps({"100": [{
                    "type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 30,
                    "estimated_time_to_regain_access": o.get("regain_minutes", 0)}]})
            return status, headers, body
        if fault.kind == "http429":
            status, headers, body = _error(429, "Too many requests", "OAuthException", 4)
            if "retry_after" in o:
                headers["Retry-After"] = str(o["retry_after"])
            return status, headers, body
        if fault.kind == "server_error":
            if o.get("html"):
                return 500, {"content-type": "text/html"}, b"<html><body>Internal error</body></html>"
            return _error(500, "An unexpected error has occurred. Please retry your request "
                               "later.", "OAuthException", 2, is_transient=True)
        if fault.kind == "malformed":
            return 200, {}, b'{"data": [{"id": "1", "message": "trunc'
        if fault.kind == "unauthorized":
            return _error(401, "Error validating access token: The session has been invalidated "
                               "because the user changed their password.", "OAuthException",
                          190, 460)
        raise ValueError(f"unknown fault kind {fault.kind!r}")

    def _items(self, node: str, edge: str, params: dict[str, str]) -> list[dict[str, Any]]:
        ids = self.edges.get((node, edge), [])
        items = [self.objects[i] for i in ids if i in self.objects]
        kind = self.objects[node].get("_kind")
        if kind == "post" and edge == "comments" and params.get("filter") != "stream":
            items = [c for c in items if c.get("_kind") == "raw" or "parent" not in c]
        def when(record: dict[str, Any]) -> str:
            return record.get("created_time") or record.get("timestamp") or ""

        if edge in ("feed", "posts", "media"):  # newest first, like the real edges
            items.sort(key=when, reverse=True)
        elif kind == "post":  # Page comments: chronological unless asked otherwise
            items.sort(key=when)
            if params.get("order") == "reverse_chronological":
                items.reverse()
        # Instagram comments stay in the order they came (oldest first, as in the sample of
        # the comment moderation guide); the API documents no order, and no client relies on one.
        return items

    def _list(self, node: str, edge: str, params: dict[str, str], query: dict[str, list[str]],
              token_in_url: bool) -> dict[str, Any]:
        items = self._items(node, edge, params)
        limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        start = 0
        if "after" in params:
            start = _decode_cursor(params["after"], items)
        page = items[start:start + limit]
        body: dict[str, Any] = {"data": [self._render(i, params.get("fields")) for i in page]}
        if page:
            body["paging"] = {"cursors": {"before": _cursor(page[0]), "after": _cursor(page[-1])}}
            if start + limit < len(items):
                next_query = {k: v[-1] for k, v in query.items()}
                next_query.update(limit=str(limit), after=_cursor(page[-1]))
                if not token_in_url:
                    next_query.pop("access_token", None)
                body["paging"]["next"] = (f"{self.base_url}{self.version}/{node}/{edge}?"
                                          + urlencode(next_query))
        return body

    def _render(self, record: dict[str, Any], fields: str | None) -> Any:
        if record.get("_kind") == "raw":
            return record["_raw"]
        wanted = _top_fields(fields) if fields else None
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key.startswith("_") or (wanted is not None and key not in wanted and key != "id"):
                continue
            out[key] = value
        if wanted and "replies" in wanted and record.get("_kind") == "ig_comment":
            replies = [self.objects[i] for i in self.edges.get((record["id"], "replies"), [])
                       if i in self.objects]
            if replies:
                sub = wanted["replies"]
                shown = replies[:NESTED_LIMIT]
                block: dict[str, Any] = {"data": [self._render(r, sub) for r in shown]}
                if len(replies) > NESTED_LIMIT:
                    block["paging"] = {
                        "cursors": {"before": _cursor(shown[0]), "after": _cursor(shown[-1])},
                        "next": f"{self.base_url}{self.version}/{record['id']}/replies?"
                                + urlencode({"limit": NESTED_LIMIT, "after": _cursor(shown[-1]),
                                             **({"fields": sub} if sub else {})})}
                out["replies"] = block
        return out

    def _update(self, node: str, params: dict[str, str]) -> Any:
        record = self.objects[node]
        kind = record.get("_kind")
        if kind == "fb_comment" and "is_hidden" in params:
            record["is_hidden"] = params["is_hidden"] == "true"
            self.actions.append(("hide" if record["is_hidden"] else "unhide", node))
            return {"success": True}
        if kind == "ig_comment" and "hide" in params:
            record["hidden"] = params["hide"] == "true"
            self.actions.append(("hide" if record["hidden"] else "unhide", node))
            return {"success": True}
        return _error(400, "(#100) Invalid parameter", "OAuthException", 100)

    def _delete(self, node: str) -> dict[str, Any]:
        record = self.objects.pop(node)
        self.actions.append(("delete", node))
        if record.get("_kind") == "ig_comment" and record.get("_media") in self.objects:
            self.objects[record["_media"]]["comments_count"] -= 1
        return {"success": True}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGraph
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between header and body
    wbufsize = 1 << 16  # headers and body leave in one write (flushed after each request)

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True) if raw else {}
        status, headers, body = self.fake.handle(method, split.path, query, form,
                                                 self.headers.get("Authorization"))
        self.send_response(status)
        headers = {"content-type": "application/json; charset=UTF-8",
                   "facebook-api-version": self.fake.version, **headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


def _error(status: int, message: str, kind: str, code: int, subcode: int | None = None,
           *, is_transient: bool | None = None) -> tuple[int, dict[str, str], bytes]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    error["fbtrace_id"] = "AbCdEfGhIjK"
    headers = {"www-authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'} \
        if code == 190 else {}
    return status, headers, json.dumps({"error": error}).encode()


def _missing(method: str, node: str) -> tuple[int, dict[str, str], bytes]:
    return _error(400, f"Unsupported {method.lower()} request. Object with ID '{node}' does not "
                       "exist, cannot be loaded due to missing permissions, or does not support "
                       "this operation. Please read the Graph API documentation at "
                       "https://developers.facebook.com/docs/graph-api",
                  "GraphMethodException", 100, 33)


def _top_fields(fields: str) -> dict[str, str | None]:
    """``id,from{id,name},replies{id,text}`` -> {"id": None, "from": "id,name", ...}."""
    out: dict[str, str | None] = {}
    depth, start = 0, 0
    for i, ch in enumerate(fields + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            part = fields[start:i].strip()
            start = i + 1
            if not part:
                continue
            name, _, sub = part.partition("{")
            name = name.split(".")[0]  # modifiers like replies.limit(50)
            out[name] = sub[:-1] if sub else None
    return out


def _cursor(record: dict[str, Any]) -> str:
    key = record.get("id") or f"raw:{id(record)}"
    return base64.urlsafe_b64encode(str(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, items: list[dict[str, Any]]) -> int:
    for i, item in enumerate(items):
        if _cursor(item) == cursor:
            return i + 1
    return len(items)


def _shortcode(media_id: str) -> str:
    return base64.urlsafe_b64encode(int(media_id).to_bytes(8, "big")).decode().rstrip("=")[:11]
