"""A fake Bluesky PDS + AppView (XRPC over HTTP) for the real ``atproto`` SDK client.

Shapes follow the lexicons (github.com/bluesky-social/atproto, ``lexicons/``):
``com.atproto.server.createSession`` / ``refreshSession`` (``accessJwt``, ``refreshJwt``,
``handle``, ``did``, ``active``), ``app.bsky.notification.listNotifications`` (``notifications``
of ``{uri, cid, author: profileView, reason, reasonSubject?, record, isRead, indexedAt,
labels}`` newest first, an opaque ``cursor``), ``app.bsky.feed.getAuthorFeed`` (``feed`` of
``{post: postView}``), ``app.bsky.feed.getPostThread`` (``thread``: a
``#threadViewPost`` with ``replies``), ``app.bsky.actor.getProfile`` (``viewer.blocking``),
``com.atproto.repo.getRecord / putRecord / createRecord / deleteRecord``, the
``app.bsky.feed.threadgate`` record (``hiddenReplies``), the ``app.bsky.feed.postgate`` record
(``detachedEmbeddingUris``), ``app.bsky.graph.block``, ``app.bsky.graph.muteActor`` and
``com.atproto.moderation.createReport``. Errors are ``{"error", "message"}`` (a missing record
is 400 ``RecordNotFound``, a bad token 401 ``InvalidToken``, an expired one 400
``ExpiredToken``); rate limits come as ``ratelimit-limit / remaining / reset / policy``
headers, reset in epoch seconds.

Post records carry the UTF-8 byte ranges of their link facets, as the Bluesky app writes
them: the text shows a shortened link, ``features[].uri`` holds the full one.

State: profiles by DID, posts by AT URI, the owner's records by collection and rkey; every
state-changing call in :attr:`actions` as (action, post URI or author DID).
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from tests.fakes.harness import FakeServer, Fault, Kit, Reply, Request

TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
NOTIFICATIONS_MAX = 100
FEED_MAX = 100


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def tid(when: datetime, clock: int) -> str:
    """A record key in the TID format: 53 bits of microseconds, 10 of clock id, base32."""
    value = (int(when.timestamp() * 1_000_000) << 10) | (clock & 0x3FF)
    return "".join(TID_CHARS[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def jwt(did: str, scope: str, lifetime: timedelta) -> str:
    """An unsigned-looking JWT the SDK can read ``exp`` from (it never checks signatures)."""
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    return ".".join([part({"typ": "at+jwt", "alg": "ES256K"}),
                     part({"scope": scope, "sub": did, "iat": now,
                           "exp": now + int(lifetime.total_seconds()),
                           "aud": "did:web:fake.pds"}),
                     "c2lnbmF0dXJl"])


def xrpc_error(status: int, error: str, message: str) -> Reply:
    return Reply(status, {"error": error, "message": message})


class FakeBluesky(FakeServer):
    def __init__(self, *, handle: str = "acme.bsky.social", password: str = "app-pass-1234",
                 access_lifetime: timedelta = timedelta(hours=2)) -> None:
        super().__init__()
        self.passwords = {handle: password}
        self.access_lifetime = access_lifetime
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.profiles: dict[str, dict[str, Any]] = {}
        self.posts: dict[str, dict[str, Any]] = {}  # uri -> {uri, cid, did, record, indexedAt}
        self.order: list[str] = []
        self.children: dict[str, list[str]] = {}  # post uri -> its replies' uris, in order
        self.notifications: list[dict[str, Any]] = []  # oldest first
        self.records: dict[tuple[str, str], dict[str, Any]] = {}  # owner's (collection, rkey)
        self.record_cids: dict[tuple[str, str], str] = {}
        self.muted: set[str] = set()
        self.reports: list[dict[str, Any]] = []
        self.actions: list[tuple[str, str]] = []
        self.malformed: set[str] = set()
        self.logins = 0
        self._clock_ids = itertools.count(1)
        self._cids = itertools.count(1)
        self._clock = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0)
        self.owner = self.add_profile(handle, "Acme Bank",
                                      created_at=datetime(2023, 4, 2, 9, 30, tzinfo=timezone.utc))

    # -- state set-up ----------------------------------------------------------------------
    def add_profile(self, handle: str, display_name: str | None = None, *,
                    created_at: datetime | None = None) -> str:
        with self.lock:
            for did, profile in self.profiles.items():
                if profile["handle"] == handle:
                    return did
            did = f"did:plc:{len(self.profiles):04d}" + "a" * 20
            made = created_at or datetime(2024, 2, 1, 12, 0, tzinfo=timezone.utc)
            self.profiles[did] = {"did": did, "handle": handle, "createdAt": iso(made),
                                  "indexedAt": iso(made), "labels": [],
                                  **({"displayName": display_name} if display_name else {})}
            return did

    def _cid(self) -> str:
        return "bafyreib" + f"{next(self._cids):052d}"

    def add_post(self, author: str, text: str, *, reply_to: str | None = None,
                 quote: str | None = None, links: list[tuple[str, str]] = (),
                 mention_owner: bool = False, indexed_at: datetime | None = None,
                 malformed: bool = False) -> str:
        """A post by ``author`` (a handle or DID); ``links`` are (full URI, shown text) pairs
        appended to the text with a link facet each, as the Bluesky app writes them."""
        with self.lock:
            did = author if author.startswith("did:") else self.add_profile(author)
            if indexed_at is None:
                self._clock += timedelta(seconds=1)
                indexed_at = self._clock
            rkey = tid(indexed_at, next(self._clock_ids))
            uri = f"at://{did}/app.bsky.feed.post/{rkey}"
            facets: list[dict[str, Any]] = []
            if mention_owner:
                handle = self.profiles[self.owner]["handle"]
                start = len(text.encode()) + 1
                text = f"{text} @{handle}"
                facets.append({"index": {"byteStart": start, "byteEnd": len(text.encode())},
                               "features": [{"$type": "app.bsky.richtext.facet#mention",
                                             "did": self.owner}]})
            for full, shown in links:
                start = len(text.encode()) + 1
                text = f"{text} {shown}"
                facets.append({"index": {"byteStart": start, "byteEnd": len(text.encode())},
                               "features": [{"$type": "app.bsky.richtext.facet#link",
                                             "uri": full}]})
            record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text,
                                      "createdAt": iso(indexed_at), "langs": ["en"]}
            if facets:
                record["facets"] = facets
            if reply_to is not None:
                parent = self.posts[reply_to]
                root = parent["record"].get("reply", {}).get("root") or \
                    {"uri": parent["uri"], "cid": parent["cid"]}
                record["reply"] = {"root": root,
                                   "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
            if quote is not None:
                record["embed"] = {"$type": "app.bsky.embed.record",
                                   "record": {"uri": quote, "cid": self.posts[quote]["cid"]}}
            if malformed:
                record.pop("text")
                self.malformed.add(uri)
            post = {"uri": uri, "cid": self._cid(), "did": did, "record": record,
                    "indexedAt": iso(indexed_at)}
            self.posts[uri] = post
            self.order.append(uri)
            if reply_to is not None:
                self.children.setdefault(reply_to, []).append(uri)
            self._notify(post, reply_to, quote, mention_owner)
            return uri

    def _notify(self, post: dict[str, Any], reply_to: str | None, quote: str | None,
                mention: bool) -> None:
        if post["did"] == self.owner:
            return
        reason, subject = None, None
        if reply_to is not None and self.posts[reply_to]["did"] == self.owner:
            reason, subject = "reply", reply_to
        elif quote is not None and self.posts[quote]["did"] == self.owner:
            reason, subject = "quote", quote
        elif mention:
            reason = "mention"
        if reason is None:
            return  # a reply deeper in the thread to someone else: no notification
        self.notifications.append({
            "uri": post["uri"], "cid": post["cid"], "reason": reason,
            **({"reasonSubject": subject} if subject else {}),
            "record": post["record"], "isRead": False, "indexedAt": post["indexedAt"],
            "labels": [], "_author": post["did"]})

    def add_reply(self, to: str, text: str, *, author: str = "someone.bsky.social",
                  **kw: Any) -> str:
        return self.add_post(author, text, reply_to=to, **kw)

    def revoke(self) -> None:
        """The app password is revoked: its sessions and the password stop working."""
        with self.lock:
            self.passwords.clear()
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    # -- views -----------------------------------------------------------------------------
    def _profile_view(self, did: str, viewer: bool = False) -> dict[str, Any]:
        view = dict(self.profiles[did])
        if viewer:
            block = next((rkey for (collection, rkey), r in self.records.items()
                          if collection == "app.bsky.graph.block" and r["subject"] == did), None)
            view["viewer"] = {"muted": did in self.muted, "blockedBy": False,
                              **({"blocking": f"at://{self.owner}/app.bsky.graph.block/{block}"}
                                 if block else {})}
        return view

    def _post_view(self, uri: str) -> dict[str, Any]:
        post = self.posts[uri]
        return {"uri": uri, "cid": post["cid"], "author": self._profile_view(post["did"]),
                "record": post["record"], "replyCount": 0, "repostCount": 0, "likeCount": 0,
                "quoteCount": 0, "indexedAt": post["indexedAt"], "viewer": {}, "labels": []}

    def _thread_view(self, uri: str, depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost",
                                "post": self._post_view(uri)}
        if depth > 0:
            node["replies"] = [self._thread_view(u, depth - 1)
                               for u in self.children.get(uri, ())]
        return node

    def _headers(self) -> dict[str, str]:
        return {"ratelimit-limit": "3000", "ratelimit-remaining": "2999",
                "ratelimit-reset": str(int(time.time()) + 300),
                "ratelimit-policy": "3000;w=300"}

    # -- routing ---------------------------------------------------------------------------
    def fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "401":
            return Reply(401, {"error": "InvalidToken", "message": "Bad token"}, fault.headers)
        if fault.kind == "429":
            return Reply(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                         {"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                          "ratelimit-policy": "3000;w=300", **fault.headers})
        if fault.kind == "500":
            return Reply(fault.status or 502, {"error": "UpstreamFailure",
                                               "message": "Upstream Failure"}, fault.headers)
        return super().fault_reply(fault)

    def route(self, request: Request) -> Reply:
        nsid = request.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            return self._create_session(request.json() or {})
        if nsid == "com.atproto.server.refreshSession":
            token = request.headers.get("authorization", "")[7:]
            if token not in self.refresh_tokens:
                return xrpc_error(400, "ExpiredToken", "Token has expired")
            self.refresh_tokens.discard(token)
            return self._session()
        token = request.headers.get("authorization", "")[7:]
        if token not in self.access_tokens:
            return xrpc_error(401, "InvalidToken", "Token could not be verified")
        handler = getattr(self, "_" + nsid.replace(".", "_"), None)
        if handler is None:
            return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
        reply = handler(request)
        return Reply(reply.status, reply.body, {**self._headers(), **reply.headers})

    def _create_session(self, body: dict[str, Any]) -> Reply:
        self.logins += 1
        identifier = body.get("identifier")
        if identifier not in self.passwords or self.passwords[identifier] != body.get("password"):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return self._session()

    def _session(self) -> Reply:
        access = jwt(self.owner, "com.atproto.appPass", self.access_lifetime)
        refresh = jwt(self.owner, "com.atproto.refresh", timedelta(days=90)) + f".{self.logins}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return Reply(200, {"accessJwt": access, "refreshJwt": refresh,
                           "handle": self.profiles[self.owner]["handle"], "did": self.owner,
                           "email": "social@acme.example", "emailConfirmed": True,
                           "active": True})

    def _app_bsky_notification_listNotifications(self, request: Request) -> Reply:
        q = request.query
        limit = int(q.get("limit") or 50)
        if not 1 <= limit <= NOTIFICATIONS_MAX:
            return xrpc_error(400, "InvalidRequest", "limit must be <= 100")
        items = list(reversed(self.notifications))
        start = int(q["cursor"]) if q.get("cursor") else 0
        page = items[start:start + limit]
        body: dict[str, Any] = {"notifications": [self._notification(n) for n in page],
                                "priority": False, "seenAt": iso(datetime.now(timezone.utc))}
        if start + limit < len(items):
            body["cursor"] = str(start + limit)
        return Reply(200, body)

    def _notification(self, item: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in item.items() if not k.startswith("_")}
        out["author"] = self._profile_view(item["_author"])
        return out

    def _app_bsky_feed_getAuthorFeed(self, request: Request) -> Reply:
        actor = request.query.get("actor")
        did = actor if actor in self.profiles else next(
            (d for d, p in self.profiles.items() if p["handle"] == actor), None)
        if did is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        limit = int(request.query.get("limit") or 50)
        own = [u for u in reversed(self.order) if self.posts[u]["did"] == did
               and not (request.query.get("filter") == "posts_no_replies"
                        and "reply" in self.posts[u]["record"])]
        return Reply(200, {"feed": [{"post": self._post_view(u)} for u in own[:limit]]})

    def _app_bsky_feed_getPostThread(self, request: Request) -> Reply:
        uri = request.query.get("uri", "")
        if uri not in self.posts:
            return Reply(400, {"error": "NotFound", "message": f"Post not found: {uri}"})
        return Reply(200, {"thread": self._thread_view(uri, int(request.query.get("depth") or 6))})

    def _app_bsky_actor_getProfile(self, request: Request) -> Reply:
        actor = request.query.get("actor", "")
        did = actor if actor in self.profiles else next(
            (d for d, p in self.profiles.items() if p["handle"] == actor), None)
        if did is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return Reply(200, self._profile_view(did, viewer=True))

    def _com_atproto_repo_getRecord(self, request: Request) -> Reply:
        q = request.query
        key = (q.get("collection", ""), q.get("rkey", ""))
        if q.get("repo") not in (self.owner, self.profiles[self.owner]["handle"]) \
                or key not in self.records:
            return xrpc_error(400, "RecordNotFound", "Could not locate record")
        return Reply(200, {"uri": f"at://{self.owner}/{key[0]}/{key[1]}",
                           "cid": self.record_cids[key], "value": self.records[key]})

    def _write(self, collection: str, rkey: str, record: dict[str, Any]) -> Reply:
        self.records[(collection, rkey)] = record
        self.record_cids[(collection, rkey)] = self._cid()
        return Reply(200, {"uri": f"at://{self.owner}/{collection}/{rkey}",
                           "cid": self.record_cids[(collection, rkey)],
                           "commit": {"cid": self._cid(), "rev": tid(datetime.now(timezone.utc),
                                                                     0)},
                           "validationStatus": "valid"})

    def _com_atproto_repo_putRecord(self, request: Request) -> Reply:
        body = request.json()
        if body.get("repo") != self.owner:
            return xrpc_error(401, "AuthRequiredError", "Invalid repo")
        key = (body["collection"], body["rkey"])
        swap = body.get("swapRecord")
        if swap is not None and self.record_cids.get(key) != swap:
            return xrpc_error(400, "InvalidSwap", "Record was at " + str(self.record_cids.get(key)))
        record = body["record"]
        before = self.records.get(key, {})
        if key[0] == "app.bsky.feed.threadgate":
            self._diff("hide", "unhide", before.get("hiddenReplies", []),
                       record.get("hiddenReplies", []))
            if len(record.get("hiddenReplies", [])) > 300:
                return xrpc_error(400, "InvalidRecord", "hiddenReplies must not have more "
                                                       "than 300 elements")
        if len(record.get("detachedEmbeddingUris", [])) > 50:
            return xrpc_error(400, "InvalidRecord", "detachedEmbeddingUris must not have more "
                                                   "than 50 elements")
        if key[0] == "app.bsky.feed.postgate":
            self._diff("detach", "reattach", before.get("detachedEmbeddingUris", []),
                       record.get("detachedEmbeddingUris", []))
        return self._write(key[0], key[1], record)

    def _diff(self, added: str, removed: str, before: list[str], after: list[str]) -> None:
        for change in [(added, u) for u in after if u not in before] + \
                [(removed, u) for u in before if u not in after]:
            self.actions.append(change)  # one at a time: bench/latency.py times each append

    def _com_atproto_repo_createRecord(self, request: Request) -> Reply:
        body = request.json()
        if body.get("repo") != self.owner:
            return xrpc_error(401, "AuthRequiredError", "Invalid repo")
        record = body["record"]
        if body["collection"] == "app.bsky.graph.block":
            self.actions.append(("block", record["subject"]))
        return self._write(body["collection"], body.get("rkey") or tid(
            datetime.now(timezone.utc), next(self._clock_ids)), record)

    def _app_bsky_graph_muteActor(self, request: Request) -> Reply:
        actor = request.json().get("actor")
        if actor not in self.profiles:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        if actor not in self.muted:
            self.muted.add(actor)
            self.actions.append(("mute", actor))
        return Reply(200, b"", {"Content-Type": "text/plain"})

    def _com_atproto_moderation_createReport(self, request: Request) -> Reply:
        body = request.json()
        subject = body.get("subject") or {}
        if subject.get("uri") not in self.posts:
            return xrpc_error(400, "InvalidRequest", "Subject not found")
        report = {"id": len(self.reports) + 1, "reasonType": body.get("reasonType"),
                  "reason": body.get("reason"), "subject": subject,
                  "reportedBy": self.owner, "createdAt": iso(datetime.now(timezone.utc)),
                  "_proxy": request.headers.get("atproto-proxy")}
        self.reports.append(report)
        self.actions.append(("report", subject["uri"]))
        return Reply(200, {k: v for k, v in report.items() if not k.startswith("_")})


@contextmanager
def contract_kit(tmp_path: Any) -> Iterator[Kit]:
    from connectors.bluesky import BlueskyConnector
    from connectors.retry import RetryPolicy
    from moderator.config import AccountSettings

    with FakeBluesky(password="kit-pass") as fake:
        post = fake.add_post(fake.owner, "Kit post")
        account = AccountSettings(name="acme-bluesky", platform="bluesky", api_base=fake.url,
                                  options=BlueskyConnector.parse_options({},
                                                                         path="accounts[1]"))

        def reopen() -> BlueskyConnector:
            return BlueskyConnector.open(account, {"handle": "acme.bsky.social",
                                                   "app_password": "kit-pass"},
                                         retry=RetryPolicy(attempts=2, base_delay=0.001,
                                                           max_delay=0.01),
                                         sleep=lambda s: None)

        def applied() -> list[tuple[str, str]]:
            names = {"block": "ban"}
            return [(names.get(a, a), i) for a, i in fake.actions]

        yield Kit(connector=reopen(), account="acme-bluesky",
                  post=lambda text: fake.add_reply(post, text),
                  applied=applied, reopen=reopen,
                  post_malformed=lambda: fake.add_reply(post, "bad", malformed=True),
                  revoke=fake.revoke)
