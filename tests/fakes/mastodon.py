"""A fake Mastodon instance for the real Mastodon.py client.

Shapes follow Mastodon.py's recorded cassettes (``tests/cassettes/test_notifications.yaml``:
a notification is ``{"id", "type", "created_at", "account", "status"}`` with small numeric ids
in arrival order; statuses carry snowflake ids, HTML ``content``, ``mentions``, ``card``;
accounts carry ``acct``, ``display_name`` and a ``created_at`` truncated to midnight), and the
public API documentation (docs.joinmastodon.org: ``GET /api/v1/notifications`` newest first with
``since_id`` / ``max_id`` / ``limit`` (at most 80) and a ``Link`` header; ``/statuses/:id/context``
as ``{"ancestors", "descendants"}``; blocks and mutes answer a Relationship; reports a Report;
``POST /api/v1/admin/accounts/:id/action`` an empty object; errors ``{"error": "..."}``; the
``X-RateLimit-Limit / Remaining / Reset`` headers with Reset as an ISO time).

State: accounts, statuses (snowflake ids growing with creation time), notifications; every
state-changing call in :attr:`actions` as (action, account or status id).
"""

from __future__ import annotations

import html
import itertools
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator
from urllib.parse import parse_qs

from tests.fakes.harness import FakeServer, Fault, Kit, Reply, Request

NOTIFICATIONS_MAX = 80
STATUSES_MAX = 40


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def snowflake(when: datetime, sequence: int) -> str:
    """Mastodon's status ids: milliseconds since the epoch << 16, plus a sequence."""
    return str((int(when.timestamp() * 1000) << 16) | (sequence & 0xFFFF))


class FakeMastodon(FakeServer):
    def __init__(self, *, token: str = "fake-mastodon-token", username: str = "acme",
                 domain: str = "social.example", admin: bool = False,
                 ratelimit_remaining: int = 299) -> None:
        super().__init__()
        self.tokens = {token}
        self.admin = admin
        self.domain = domain
        self.accounts: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.notifications: list[dict[str, Any]] = []  # oldest first
        self.actions: list[tuple[str, str]] = []
        self.blocked: set[str] = set()
        self.muted: set[str] = set()
        self.suspended: dict[str, str] = {}  # account id -> admin action
        self.reports: list[dict[str, Any]] = []
        self.ratelimit_remaining = ratelimit_remaining
        self._seq = itertools.count(1)
        self._notification_ids = itertools.count(1)
        self._clock = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0)
        self.owner_id = self.add_account(username, "Acme Bank",
                                         created_at=datetime(2022, 11, 1, tzinfo=timezone.utc))

    # -- state set-up ----------------------------------------------------------------------
    def add_account(self, username: str, display_name: str | None = None, *,
                    created_at: datetime | None = None, domain: str | None = None) -> str:
        with self.lock:
            for aid, account in self.accounts.items():
                if account["username"] == username and account["_domain"] == domain:
                    return aid
            aid = str(109440137501589086 + len(self.accounts))
            made = (created_at or datetime(2021, 5, 3, tzinfo=timezone.utc)).replace(
                hour=0, minute=0, second=0, microsecond=0)  # Mastodon truncates to the day
            host = domain or self.domain
            self.accounts[aid] = {
                "id": aid, "username": username,
                "acct": f"{username}@{domain}" if domain else username,
                "display_name": display_name if display_name is not None else "",
                "locked": False, "bot": False, "discoverable": None, "group": False,
                "created_at": iso(made), "note": "", "url": f"https://{host}/@{username}",
                "avatar": f"https://{self.domain}/avatars/original/missing.png",
                "avatar_static": f"https://{self.domain}/avatars/original/missing.png",
                "header": f"https://{self.domain}/headers/original/missing.png",
                "header_static": f"https://{self.domain}/headers/original/missing.png",
                "followers_count": 0, "following_count": 0, "statuses_count": 0,
                "last_status_at": None, "noindex": False, "emojis": [], "fields": [],
                "_domain": domain}
            return aid

    def _tick(self, created_at: datetime | None) -> datetime:
        if created_at is None:
            self._clock += timedelta(seconds=1)
            return self._clock
        return created_at

    def add_status(self, author_id: str, text: str, *, reply_to: str | None = None,
                   links: list[tuple[str, str]] = (), card: str | None = None,
                   mention_owner: bool = False, visibility: str = "public",
                   created_at: datetime | None = None, notify: bool = True,
                   malformed: bool = False) -> str:
        """A status; ``links`` are (href, shown text) pairs rendered as Mastodon renders them.
        A status that mentions the owner (or replies to the owner's status with the mention
        Mastodon's composer adds) makes a ``mention`` notification."""
        with self.lock:
            when = self._tick(created_at)
            sid = snowflake(when, next(self._seq))
            owner = self.accounts[self.owner_id]
            parts = []
            mentions = []
            if mention_owner:
                parts.append(f'<span class="h-card" translate="no"><a href="{owner["url"]}" '
                             'class="u-url mention">@<span>'
                             f'{owner["username"]}</span></a></span>')
                mentions.append({"id": owner["id"], "username": owner["username"],
                                 "url": owner["url"], "acct": owner["acct"]})
            parts.append(html.escape(text))
            for href, shown in links:
                parts.append(f'<a href="{html.escape(href)}" target="_blank" '
                             f'rel="nofollow noopener noreferrer" translate="no">'
                             f'<span class="invisible"></span><span class="ellipsis">'
                             f'{html.escape(shown)}</span><span class="invisible"></span></a>')
            account = {k: v for k, v in self.accounts[author_id].items() if k != "_domain"}
            parent = self.statuses.get(reply_to) if reply_to else None
            status = {
                "id": sid, "created_at": iso(when),
                "in_reply_to_id": reply_to,
                "in_reply_to_account_id": parent["account"]["id"] if parent else None,
                "sensitive": False, "spoiler_text": "", "visibility": visibility,
                "language": "en",
                "uri": f"https://{self.domain}/users/{account['username']}/statuses/{sid}",
                "url": f"https://{self.domain}/@{account['username']}/{sid}",
                "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
                "edited_at": None, "favourited": False, "reblogged": False, "muted": False,
                "bookmarked": False, "content": "<p>" + " ".join(parts) + "</p>",
                "filtered": [], "reblog": None, "application": None, "account": account,
                "media_attachments": [], "mentions": mentions, "tags": [], "emojis": [],
                "card": _card(card) if card else None, "poll": None}
            if malformed:
                status["created_at"] = "not a date"
                status["content"] = None
            self.statuses[sid] = status
            self.order.append(sid)
            if notify and mention_owner and author_id != self.owner_id:
                self.notifications.append({
                    "id": str(next(self._notification_ids)), "type": "mention",
                    "created_at": iso(when + timedelta(milliseconds=114)),
                    "account": account, "status": status})
            return sid

    def add_post(self, text: str = "News from Acme", **kw: Any) -> str:
        return self.add_status(self.owner_id, text, **kw)

    def add_reply(self, to: str, text: str, *, author: str = "someone",
                  mention: bool = True, **kw: Any) -> str:
        """A reply to status ``to`` by ``author`` (created if new); ``mention`` keeps the
        @mention of the owner that Mastodon's composer adds (and so notifies)."""
        aid = self.add_account(author) if not author.isdigit() else author
        return self.add_status(aid, text, reply_to=to, mention_owner=mention, **kw)

    def add_mention(self, text: str, *, author: str = "someone", **kw: Any) -> str:
        return self.add_status(self.add_account(author), text, mention_owner=True, **kw)

    def revoke(self) -> None:
        with self.lock:
            self.tokens.clear()

    # -- views -----------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        reset = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(
            minutes=5)
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(self.ratelimit_remaining),
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000000Z")}

    def _page(self, items: list[dict[str, Any]], request: Request, path: str,
              maximum: int) -> Reply:
        """Newest first, ``since_id`` / ``min_id`` / ``max_id`` by numeric id, a Link header."""
        q = request.query
        try:
            limit = min(int(q.get("limit") or 20), maximum)
        except ValueError:
            return Reply(422, {"error": "limit is not a number"})

        def num(value: str | None) -> int | None:
            return int(value) if value else None

        since, max_id, min_id = num(q.get("since_id")), num(q.get("max_id")), num(q.get("min_id"))
        picked = [i for i in items if (since is None or int(i["id"]) > since)
                  and (min_id is None or int(i["id"]) > min_id)
                  and (max_id is None or int(i["id"]) < max_id)]
        picked.sort(key=lambda i: int(i["id"]), reverse=True)
        page = picked[-limit:] if min_id is not None else picked[:limit]
        headers = self._headers()
        if page:
            headers["Link"] = (f'<{self.url}{path}?max_id={page[-1]["id"]}>; rel="next", '
                               f'<{self.url}{path}?min_id={page[0]["id"]}>; rel="prev"')
        return Reply(200, page, headers)

    def _account(self, aid: str) -> dict[str, Any]:
        return {k: v for k, v in self.accounts[aid].items() if k != "_domain"}

    def _relationship(self, aid: str) -> dict[str, Any]:
        return {"id": aid, "following": False, "showing_reblogs": False, "notifying": False,
                "languages": None, "followed_by": False, "blocking": aid in self.blocked,
                "blocked_by": False, "muting": aid in self.muted,
                "muting_notifications": aid in self.muted, "requested": False,
                "requested_by": False, "domain_blocking": False, "endorsed": False, "note": ""}

    # -- routing ---------------------------------------------------------------------------
    def fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "401":
            return Reply(401, {"error": "The access token is invalid"}, fault.headers)
        if fault.kind == "429":
            return Reply(429, {"error": "Too many requests"}, {
                **{k: v for k, v in self._headers().items() if k != "X-RateLimit-Reset"},
                "X-RateLimit-Remaining": "0", **fault.headers})
        if fault.kind == "500":
            return Reply(fault.status or 503, {"error": "Service Unavailable"}, fault.headers)
        return super().fault_reply(fault)

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization", "")[7:] not in self.tokens:
            return Reply(401, {"error": "The access token is invalid"})
        path, method = request.path.rstrip("/"), request.method  # Rails ignores a final /
        parts = path.strip("/").split("/")
        if path == "/api/v1/accounts/verify_credentials":
            return Reply(200, {**self._account(self.owner_id),
                               "source": {"privacy": "public", "sensitive": False,
                                          "language": "", "note": "", "fields": []}},
                         self._headers())
        if path == "/api/v1/notifications" and method == "GET":
            types = request.query.get("types[]")
            items = [n for n in self.notifications if types is None or n["type"] == types]
            return self._page(items, request, path, NOTIFICATIONS_MAX)
        if parts[:3] == ["api", "v1", "accounts"] and len(parts) == 5 and method == "GET" \
                and parts[4] == "statuses":
            items = [s for s in self.statuses.values() if s["account"]["id"] == parts[3]
                     and not (request.query.get("exclude_replies") in ("1", "true", "True")
                              and s["in_reply_to_id"])]
            return self._page(items, request, path, STATUSES_MAX)
        if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 5 and parts[4] == "context":
            return self._context(parts[3])
        if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 4 and method == "GET":
            status = self.statuses.get(parts[3])
            return Reply(200, status, self._headers()) if status else \
                Reply(404, {"error": "Record not found"})
        if parts[:3] == ["api", "v1", "accounts"] and len(parts) == 5 and method == "POST":
            return self._relate(parts[3], parts[4])
        if path == "/api/v1/reports" and method == "POST":
            return self._report(request)
        if parts[:4] == ["api", "v1", "admin", "accounts"] and len(parts) == 6 \
                and parts[5] == "action" and method == "POST":
            return self._admin_action(parts[4], request.form)
        return Reply(404, {"error": "Record not found"})

    def _context(self, sid: str) -> Reply:
        if sid not in self.statuses:
            return Reply(404, {"error": "Record not found"})
        below: list[str] = []
        frontier = {sid}
        for other in self.order:  # creation order: a reply comes after its parent
            if self.statuses[other]["in_reply_to_id"] in frontier:
                frontier.add(other)
                below.append(other)
        ancestors = []
        parent = self.statuses[sid]["in_reply_to_id"]
        while parent in self.statuses:
            ancestors.insert(0, self.statuses[parent])
            parent = self.statuses[parent]["in_reply_to_id"]
        return Reply(200, {"ancestors": ancestors,
                           "descendants": [self.statuses[s] for s in below]}, self._headers())

    def _relate(self, aid: str, verb: str) -> Reply:
        if aid not in self.accounts:
            return Reply(404, {"error": "Record not found"})
        kinds = {"block": self.blocked, "unblock": self.blocked, "mute": self.muted,
                 "unmute": self.muted}
        if verb not in kinds:
            return Reply(404, {"error": "Record not found"})
        target = kinds[verb]
        if verb.startswith("un"):
            if aid in target:
                target.discard(aid)
                self.actions.append((verb, aid))
        elif aid not in target:  # blocking a blocked account changes nothing (200 all the same)
            target.add(aid)
            self.actions.append((verb, aid))
        return Reply(200, self._relationship(aid), self._headers())

    def _report(self, request: Request) -> Reply:
        values = parse_qs(request.body.decode())
        aid = (values.get("account_id") or [""])[-1]
        if aid not in self.accounts:
            return Reply(404, {"error": "Record not found"})
        statuses = values.get("status_ids[]", [])
        report = {"id": str(len(self.reports) + 1), "action_taken": False,
                  "action_taken_at": None, "category": (values.get("category") or ["other"])[-1],
                  "comment": (values.get("comment") or [""])[-1],
                  "forwarded": (values.get("forward") or ["false"])[-1] in ("1", "true", "True"),
                  "created_at": iso(datetime.now(timezone.utc)), "status_ids": statuses,
                  "rule_ids": None, "target_account": self._account(aid)}
        self.reports.append(report)
        self.actions.append(("report", statuses[0] if statuses else aid))
        return Reply(200, report, self._headers())

    def _admin_action(self, aid: str, form: dict[str, str]) -> Reply:
        if not self.admin:
            return Reply(403, {"error": "This action is not allowed"})
        if aid not in self.accounts:
            return Reply(404, {"error": "Record not found"})
        kind = form.get("type", "none")
        if self.suspended.get(aid) != kind:
            self.suspended[aid] = kind
            self.actions.append((f"admin-{kind}", aid))
        return Reply(200, {}, self._headers())


def _card(url: str) -> dict[str, Any]:
    return {"url": url, "title": "Preview", "description": "", "language": None,
            "type": "link", "author_name": "", "author_url": "", "provider_name": "",
            "provider_url": "", "html": "", "width": 400, "height": 200, "image": None,
            "image_description": "", "embed_url": "", "blurhash": None,
            "published_at": None, "authors": []}


@contextmanager
def contract_kit(tmp_path: Any) -> Iterator[Kit]:
    from connectors.mastodon import MastodonConnector
    from connectors.retry import RetryPolicy
    from moderator.config import AccountSettings

    with FakeMastodon(token="kit-token") as fake:
        post = fake.add_post("Kit post")
        account = AccountSettings(name="acme-mastodon", platform="mastodon", api_base=fake.url,
                                  options=MastodonConnector.parse_options({}, path="accounts[1]"))

        def reopen() -> MastodonConnector:
            return MastodonConnector.open(account, {"access_token": "kit-token"},
                                          retry=RetryPolicy(attempts=2, base_delay=0.001,
                                                            max_delay=0.01),
                                          sleep=lambda s: None)

        def applied() -> list[tuple[str, str]]:
            # The contract speaks of comments: a ban (block) is recorded by the author's id.
            return [("ban" if a == "block" else a, i) for a, i in fake.actions]

        yield Kit(connector=reopen(), account="acme-mastodon",
                  post=lambda text: fake.add_reply(post, text),
                  applied=applied, reopen=reopen,
                  post_malformed=lambda: fake.add_reply(post, "bad", malformed=True),
                  revoke=fake.revoke)
