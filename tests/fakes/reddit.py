"""A fake Reddit API (OAuth host and token endpoint on one server) for the real praw client.

Answers in the shapes of praw's recorded cassettes (``recorded_api/praw__*.json``): ``Listing``
envelopes of ``t1`` things, ``{}`` for remove/approve/lock, ``{"json": {"errors": []}}`` for a
ban, ``x-ratelimit-remaining/used/reset`` headers on every OAuth response; plus the fields the
modern API adds (``permalink``, ``author_fullname``, ``locked``, ``removed``, ``spam``).

State: subreddits, submissions and comments; removed/spam comments leave the listings and the
modqueue, approved ones leave the modqueue, and ``/api/info`` shows every flag. Tests add
comments at runtime (:meth:`add_comment`) and inspect :attr:`actions`.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import time
import zlib
from contextlib import contextmanager
from typing import Any, Iterator

from tests.fakes.harness import FakeServer, Fault, Kit, Reply, Request

_URL = re.compile(r"\[([^\]\n]{0,200})\]\((https?://[^)\s]{1,500})\)"
                  r"|(https?://[^\s<>()\[\]]{1,500})")
LISTING_MAX = 100


def to36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def render_html(body: str) -> str:
    """Reddit's ``body_html``: escaped text with markdown and bare links as anchors."""
    parts, last = [], 0
    for m in _URL.finditer(body):
        parts.append(html.escape(body[last:m.start()], quote=False))
        text, url = (m.group(1), m.group(2)) if m.group(2) else (m.group(3), m.group(3))
        parts.append(f'<a href="{html.escape(url)}">{html.escape(text, quote=False)}</a>')
        last = m.end()
    parts.append(html.escape(body[last:], quote=False))
    return f'<div class="md"><p>{"".join(parts)}</p>\n</div>'


class FakeReddit(FakeServer):
    def __init__(self, *, client_id: str = "fake-client-id", client_secret: str = "fake-secret",
                 username: str = "acme_mod", password: str = "fake-password",
                 refresh_token: str | None = None, ratelimit_limit: int = 10 ** 6,
                 ratelimit_window: float = 600.0, subreddits: tuple[str, ...] = ("acme",)) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password, self.refresh_token = username, password, refresh_token
        # The budget: ``limit`` OAuth requests per ``window`` seconds. Reddit's is 1000 per 600 s,
        # and prawcore then paces every request to ~0.6 s; the default here never throttles.
        # Tests may pin what the headers say with the two overrides below.
        self.ratelimit_limit, self.ratelimit_window = ratelimit_limit, ratelimit_window
        self.ratelimit_remaining: float | None = None
        self.ratelimit_reset: int | None = None
        self._window_start = time.monotonic()
        self._window_used = 0
        self.tokens: set[str] = set()
        self.credentials_revoked = False
        self.comments: dict[str, dict[str, Any]] = {}  # base36 id -> data
        self.order: list[str] = []  # creation order (ids increase with it, like Reddit's)
        self.submissions: dict[str, dict[str, Any]] = {}
        self.subreddits: set[str] = set(subreddits)
        self.banned: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # name -> fullname, created_utc
        # ("remove" | "spam" | "approve" | "lock", comment id) or ("ban", user name)
        self.actions: list[tuple[str, str]] = []
        self.malformed_ids: set[str] = set()  # comments served with a broken shape
        self._next = 36 ** 6  # seven-digit base36 ids, like "dgauydy"
        self._clock = 1_700_000_000.0

    # -- state set-up --------------------------------------------------------------------------
    def _new_id(self) -> str:
        self._next += 1
        return to36(self._next)

    def add_submission(self, subreddit: str, *, title: str = "A post", author: str | None = None,
                       created_utc: float | None = None) -> str:
        with self.lock:
            self.subreddits.add(subreddit)
            sid = self._new_id()
            slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "_"
            self.submissions[sid] = {
                "id": sid, "name": f"t3_{sid}", "title": title, "subreddit": subreddit,
                "author": author or self.username, "created_utc": created_utc or self._tick(),
                "permalink": f"/r/{subreddit}/comments/{sid}/{slug}/",
                "url": f"https://www.reddit.com/r/{subreddit}/comments/{sid}/{slug}/",
            }
            return sid

    def _tick(self) -> float:
        self._clock += 1.0
        return self._clock

    def add_comment(self, subreddit: str, body: str, *, author: str = "someone",
                    submission: str | None = None, parent: str | None = None,
                    created_utc: float | None = None, reported: bool = False,
                    malformed: bool = False) -> str:
        """Post a comment (under ``submission``, made if absent; replying to ``parent``)."""
        with self.lock:
            if submission is None:
                submission = next((s for s, d in self.submissions.items()
                                   if d["subreddit"] == subreddit), None) \
                    or self.add_submission(subreddit)
            post = self.submissions[submission]
            cid = self._new_id()
            created = created_utc if created_utc is not None else self._tick()
            self.comments[cid] = {
                "subreddit_id": "t5_2t5o6", "approved_at_utc": None, "edited": False,
                "banned_by": None, "removal_reason": None, "link_id": post["name"],
                "link_author": post["author"], "likes": None, "replies": "", "user_reports": [],
                "saved": False, "id": cid, "gilded": 0, "archived": False, "score": 1,
                "report_reasons": None, "author": author,
                "author_fullname": self.user(author),
                "num_comments": 1, "parent_id": f"t1_{parent}" if parent else post["name"],
                "subreddit_name_prefixed": f"r/{subreddit}", "approved_by": None,
                "over_18": False, "controversiality": 0, "body": body,
                "link_title": post["title"], "author_flair_css_class": None, "downs": 0,
                "body_html": render_html(body), "quarantine": False, "subreddit": subreddit,
                "name": f"t1_{cid}", "score_hidden": False, "num_reports": 1 if reported else None,
                "link_permalink": post["url"], "stickied": False, "created": created,
                "author_flair_text": None, "link_url": post["url"], "created_utc": created,
                "distinguished": None, "mod_reports": [["spam", "automod"]] if reported else [],
                "subreddit_type": "public", "ups": 1,
                "permalink": f"{post['permalink']}{cid}/",
                "locked": False, "removed": False, "spam": False, "approved": False,
            }
            self.order.append(cid)
            if malformed:
                self.malformed_ids.add(cid)
            return cid

    def user(self, name: str, *, created_utc: float | None = None) -> str:
        """The account ``name`` (made on first use, a year old unless told): its fullname."""
        with self.lock:
            if name not in self.users:
                self.users[name] = {
                    "fullname": f"t2_{to36(zlib.crc32(name.encode()) % 36 ** 6)}",
                    "created_utc": created_utc if created_utc is not None
                    else self._clock - 365 * 86400}
            elif created_utc is not None:
                self.users[name]["created_utc"] = created_utc
            return self.users[name]["fullname"]

    def report(self, cid: str, reason: str = "spam") -> None:
        """A user reports the comment: it enters the modqueue (unless already handled)."""
        with self.lock:
            c = self.comments[cid]
            c["num_reports"] = (c["num_reports"] or 0) + 1
            c["user_reports"] = [[reason, c["num_reports"]]]
            c["approved"] = False

    def flags(self, cid: str) -> set[str]:
        """What moderation did to a comment: removed, spam, approved, locked."""
        with self.lock:
            c = self.comments[cid]
            return {f for f in ("removed", "spam", "approved", "locked") if c[f]}

    def revoke(self) -> None:
        """The user revoked the app: every token and the credentials stop working."""
        with self.lock:
            self.tokens.clear()
            self.credentials_revoked = True

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # -- views -----------------------------------------------------------------------------------
    def _thing(self, cid: str) -> dict[str, Any]:
        data = dict(self.comments[cid])
        if cid in self.malformed_ids:
            data.pop("body", None)
            data["created_utc"] = "yesterday"
        return {"kind": "t1", "data": data}

    def _visible(self, cid: str) -> bool:
        return not self.comments[cid]["removed"]

    def _in_modqueue(self, cid: str) -> bool:
        c = self.comments[cid]
        return not c["removed"] and not c["approved"] and bool(c["num_reports"])

    def _is_selfreply(self, cid: str) -> bool:
        c = self.comments[cid]
        return (c["parent_id"].startswith("t3_") and c["link_author"] == self.username
                and c["author"] != self.username and self._visible(cid))

    def _inbox_thing(self, cid: str) -> dict[str, Any]:
        c = self.comments[cid]
        data = {
            "first_message": None, "first_message_name": None, "subreddit": c["subreddit"],
            "likes": None, "replies": "", "author_fullname": c["author_fullname"], "id": cid,
            "subject": "post reply", "score": 1, "author": c["author"], "num_comments": 1,
            "parent_id": c["parent_id"], "subreddit_name_prefixed": c["subreddit_name_prefixed"],
            "new": True, "type": "post_reply", "body": c["body"], "link_title": c["link_title"],
            "dest": self.username, "was_comment": True, "body_html": c["body_html"],
            "name": c["name"], "created": c["created"], "created_utc": c["created_utc"],
            "context": f"{c['permalink']}?context=3", "distinguished": None,
        }
        if cid in self.malformed_ids:
            data.pop("body")
        return {"kind": "t1", "data": data}

    def _listing(self, ids: list[str], request: Request, thing=None) -> Reply:
        """Newest first, paged by ``after``/``before`` fullnames and ``limit`` (max 100)."""
        thing = thing or self._thing
        ids = list(reversed(ids))
        limit = max(1, min(LISTING_MAX, int(request.query.get("limit") or 25)))
        after, before = request.query.get("after"), request.query.get("before")
        names = [f"t1_{i}" for i in ids]
        if after:
            start = names.index(after) + 1 if after in names else len(names)
            page = ids[start:start + limit]
        elif before:
            end = names.index(before) if before in names else 0
            page = ids[max(0, end - limit):end]
        else:
            page = ids[:limit]
        more = bool(page) and ids.index(page[-1]) + 1 < len(ids)
        return Reply(200, {"kind": "Listing", "data": {
            "after": f"t1_{page[-1]}" if more else None, "dist": len(page), "modhash": None,
            "geo_filter": "", "children": [thing(i) for i in page],
            "before": None}}, self._ratelimit_headers())

    def _spend(self) -> bool:
        """Count one OAuth request against the window; False once the budget is spent."""
        now = time.monotonic()
        if now - self._window_start >= self.ratelimit_window:
            self._window_start, self._window_used = now, 0
        self._window_used += 1
        return self._window_used <= self.ratelimit_limit

    def _ratelimit_headers(self) -> dict[str, str]:
        reset = self.ratelimit_window - (time.monotonic() - self._window_start)
        remaining = max(0, self.ratelimit_limit - self._window_used)
        if self.ratelimit_remaining is not None:
            remaining = self.ratelimit_remaining
        if self.ratelimit_reset is not None:
            reset = self.ratelimit_reset
        return {"x-ratelimit-remaining": f"{remaining:.1f}",
                "x-ratelimit-used": str(self._window_used),
                "x-ratelimit-reset": str(max(0, int(reset)))}

    # -- routing ---------------------------------------------------------------------------------
    def fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "401":
            return Reply(401, {"message": "Unauthorized", "error": 401},
                         {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"',
                          **fault.headers})
        if fault.kind == "429":
            return Reply(429, b"<html><body>Too Many Requests</body></html>",
                         {"Content-Type": "text/html", **fault.headers})
        return super().fault_reply(fault)

    def route(self, request: Request) -> Reply:
        path = request.path
        if path == "/api/v1/access_token":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or auth[7:] not in self.tokens:
            return Reply(401, {"message": "Unauthorized", "error": 401},
                         {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})
        if not self._spend():
            return Reply(429, b"<html><body>Too Many Requests</body></html>",
                         {"Content-Type": "text/html", **self._ratelimit_headers()})
        m = re.fullmatch(r"/r/([^/]+)/comments/?", path)
        if m and request.method == "GET":
            sub = m.group(1)
            if sub not in self.subreddits:
                return Reply(404, {"message": "Not Found", "error": 404})
            return self._listing([i for i in self.order if self.comments[i]["subreddit"] == sub
                                  and self._visible(i)], request)
        m = re.fullmatch(r"/r/([^/]+)/about/modqueue/?", path)
        if m and request.method == "GET":
            subs = self.subreddits if m.group(1) == "mod" else set(m.group(1).split("+"))
            return self._listing([i for i in self.order if self.comments[i]["subreddit"] in subs
                                  and self._in_modqueue(i)], request)
        if path.rstrip("/") == "/message/selfreply" and request.method == "GET":
            return self._listing([i for i in self.order if self._is_selfreply(i)], request,
                                 self._inbox_thing)
        if path.rstrip("/") == "/api/info":
            ids = [n[3:] for n in request.query.get("id", "").split(",") if n.startswith("t1_")]
            return Reply(200, {"kind": "Listing", "data": {
                "after": None, "before": None, "modhash": None, "dist": len(ids),
                "children": [self._thing(i) for i in ids if i in self.comments]}},
                self._ratelimit_headers())
        if path.rstrip("/") == "/api/user_data_by_account_ids":
            wanted = set(request.query.get("ids", "").split(","))
            found = {u["fullname"]: {"name": name, "created_utc": u["created_utc"],
                                     "link_karma": 1, "comment_karma": 1, "profile_img": "",
                                     "profile_color": "", "profile_over_18": False}
                     for name, u in self.users.items() if u["fullname"] in wanted}
            if not found:
                return Reply(404, {"message": "Not Found", "error": 404})
            return Reply(200, found, self._ratelimit_headers())
        if path.rstrip("/") == "/api/v1/me":
            return Reply(200, {"name": self.username, "id": "abc123", "created_utc": 1.5e9},
                         self._ratelimit_headers())
        if request.method == "POST" and path.rstrip("/") in ("/api/remove", "/api/approve",
                                                           "/api/lock"):
            return self._moderate(path.strip("/").split("/")[1], request.form)
        m = re.fullmatch(r"/r/([^/]+)/api/friend/?", path)
        if m and request.method == "POST":
            form = request.form
            if form.get("type") != "banned":
                return Reply(400, {"json": {"errors": [["BAD_TYPE", "bad type", "type"]]}})
            self.banned.setdefault(m.group(1), []).append(form)
            self.actions.append(("ban", form.get("name", "")))
            return Reply(200, {"json": {"errors": []}}, self._ratelimit_headers())
        return Reply(404, {"message": "Not Found", "error": 404})

    def _token(self, request: Request) -> Reply:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Reply(401, {"message": "Unauthorized", "error": 401})
        form = request.form
        grant = form.get("grant_type")
        ok = not self.credentials_revoked and (
            (grant == "password" and form.get("username") == self.username
             and form.get("password") == self.password)
            or (grant == "refresh_token" and self.refresh_token is not None
                and form.get("refresh_token") == self.refresh_token))
        if not ok:
            return Reply(200, {"error": "invalid_grant"})  # what Reddit answers, with a 200
        token = secrets.token_hex(8)
        self.tokens.add(token)
        return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600,
                           "scope": "*"})

    def _moderate(self, action: str, form: dict[str, str]) -> Reply:
        fullname = form.get("id", "")
        cid = fullname[3:]
        if not fullname.startswith("t1_") or cid not in self.comments:
            return Reply(400, {"json": {"errors": [["INVALID_ID", "invalid id", "id"]]}})
        c = self.comments[cid]
        if action == "remove":
            spam = form.get("spam") == "True"
            c.update(removed=True, spam=spam, approved=False, banned_by=self.username)
            self.actions.append(("spam" if spam else "remove", cid))
        elif action == "approve":
            c.update(removed=False, spam=False, approved=True, approved_by=self.username,
                     approved_at_utc=time.time(), banned_by=None, num_reports=0, mod_reports=[])
            self.actions.append(("approve", cid))
        else:
            c["locked"] = True
            self.actions.append(("lock", cid))
        return Reply(200, {}, self._ratelimit_headers())


REDDIT_ACTIONS = {"remove": "hide", "spam": "delete", "approve": "unhide", "ban": "ban"}


@contextmanager
def contract_kit(tmp_path: Any) -> Iterator[Kit]:
    from connectors.reddit import RedditConnector
    from connectors.retry import RetryPolicy
    from moderator.config import AccountSettings

    secrets_ = {"client_id": "kit-id", "client_secret": "kit-secret", "username": "acme_mod",
                "password": "kit-password"}
    with FakeReddit(client_id="kit-id", client_secret="kit-secret", password="kit-password") \
            as fake:
        options = RedditConnector.parse_options({"subreddits": ["acme"], "allow_ban": True},
                                                path="accounts[0]")
        account = AccountSettings(name="acme-reddit", platform="reddit", api_base=fake.url,
                                  options=options)

        def reopen() -> RedditConnector:
            return RedditConnector.open(account, secrets_, retry=RetryPolicy(
                attempts=2, base_delay=0.001, max_delay=0.01), sleep=lambda s: None)

        yield Kit(
            connector=reopen(), account="acme-reddit",
            post=lambda text: fake.add_comment("acme", text),
            applied=lambda: [(REDDIT_ACTIONS[a], i) for a, i in fake.actions
                             if a in REDDIT_ACTIONS],
            reopen=reopen,
            post_malformed=lambda: fake.add_comment("acme", "bad", malformed=True),
            revoke=fake.revoke,
        )
