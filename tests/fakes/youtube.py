"""A fake YouTube Data API v3 (and Google's OAuth token endpoint) for the real
google-api-python-client, pointed here through ``client_options`` and ``token_uri``.

Shapes follow the API's published schemas, as the discovery document bundled with the client
(``googleapiclient/discovery_cache/documents/youtube.v3.json``) describes them:
``youtube#commentThreadListResponse`` with ``nextPageToken`` and ``pageInfo``; a
``youtube#commentThread`` whose ``snippet`` holds ``topLevelComment``, ``totalReplyCount``,
``canReply``, ``isPublic`` and whose ``replies.comments`` holds at most five replies (the
schema: "a limited number of replies"); ``youtube#comment`` snippets with ``textDisplay``
(HTML: entities, ``<br>``, linkified URLs), ``textOriginal``, ``authorDisplayName`` (the
``@handle``, as the API shows it since handles came), ``authorChannelId.value``,
``publishedAt`` in whole seconds with ``Z``. Error bodies are Google's
``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}``, the shape of
google-api-python-client's own fixtures (``tests/data/503.json``: ``backendError`` in domain
``global``), with the reasons the API documents (``quotaExceeded`` in domain
``youtube.quota``, ``commentNotFound``, ``rateLimitExceeded``, ``authError``);
``comments.setModerationStatus`` answers 204.

Quota: each request to the API costs its units (list 1, moderation 50) in :attr:`units`;
past ``daily_quota`` the API answers 403 ``quotaExceeded`` until :meth:`reset_quota`.
State: comments with a moderation status; only ``published`` ones are listed.
"""

from __future__ import annotations

import base64
import re
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any, Iterator

from tests.fakes.harness import FakeServer, Fault, Kit, Reply, Request

INLINE_REPLIES = 5
COSTS = {"commentThreads": 1, "comments": 1, "channels": 1, "comments/setModerationStatus": 50}
ACTIONS = {"heldForReview": "hide", "published": "unhide", "rejected": "delete"}
_URL = re.compile(r"https?://[^\s<>\"']+")


def yt_time(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_error(code: int, message: str, reason: str, domain: str = "youtube.comment",
                 **extra: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason,
                                  **extra}]}}


def display_html(text: str) -> str:
    """``textDisplay`` as the API renders it: escaped, line breaks as ``<br>``, links as
    anchors whose text is the link."""
    out, last = [], 0
    for m in _URL.finditer(text):
        out.append(_escape(text[last:m.start()]))
        url = _escape(m.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = m.end()
    out.append(_escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def _escape(text: str) -> str:
    return escape(text, quote=True).replace("&#x27;", "&#39;")


class FakeYouTube(FakeServer):
    def __init__(self, *, client_id: str = "fake-client.apps.googleusercontent.com",
                 client_secret: str = "fake-client-secret", refresh_token: str = "1//fake-refresh",
                 channel_id: str = "UCacmeBankOfficial00000x", daily_quota: int = 10_000) -> None:
        super().__init__()
        self.client = (client_id, client_secret)
        self.refresh_tokens = {refresh_token}
        self.access_tokens: set[str] = set()
        self.channel_id = channel_id
        self.daily_quota = daily_quota
        self.units = 0  # every request to the API, as Google counts them
        self.token_requests = 0
        self.comments: dict[str, dict[str, Any]] = {}  # id -> youtube#comment resource
        self.status: dict[str, str] = {}  # id -> moderation status
        self.threads: dict[str, list[str]] = {}  # thread (= top comment) id -> reply ids
        self.channels: dict[str, dict[str, Any]] = {}  # channel id -> snippet
        self.banned: set[str] = set()
        self.actions: list[tuple[str, str]] = []  # (hide|unhide|delete|ban, comment id)
        self.raw_threads: list[tuple[datetime, Any]] = []  # malformed items served as they are
        self.read_only = False  # the grant lacks youtube.force-ssl: moderation is refused
        self._seq = 0
        self.owner = "AcmeBank"  # the channel's own @handle: its comments are not moderated
        self.channels[channel_id] = self._channel(self.owner, "Acme Bank",
                                                  datetime(2009, 3, 1, tzinfo=timezone.utc))
        self._by_handle = {"@acmebank": channel_id}
        self._clock = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0)

    # -- state set-up ----------------------------------------------------------------------
    def add_channel(self, handle: str, title: str | None = None, *,
                    created_at: datetime | None = None) -> str:
        with self.lock:
            serial = f"channel{len(self.channels):09d}".encode()  # 16 bytes: 22 characters
            cid = "UC" + base64.urlsafe_b64encode(serial).decode()[:22]
            self.channels[cid] = self._channel(handle, title, created_at)
            self._by_handle[self.channels[cid]["customUrl"]] = cid
            return cid

    @staticmethod
    def _channel(handle: str, title: str | None, created_at: datetime | None) -> dict[str, Any]:
        return {"title": title or handle, "description": "", "customUrl": f"@{handle.lower()}",
                "publishedAt": yt_time(created_at or datetime(2020, 1, 1, tzinfo=timezone.utc)),
                "thumbnails": {"default": {"url": "https://yt3.ggpht.com/fake=s88",
                                           "width": 88, "height": 88}},
                "localized": {"title": title or handle, "description": ""}}

    def _new_id(self, parent: str | None) -> str:
        self._seq += 1
        stem = base64.urlsafe_b64encode(self._seq.to_bytes(12, "big")).decode()
        return f"{parent}.{stem[:22]}" if parent else f"Ugz{stem}4AaABAg"

    def _author(self, handle: str) -> str:
        known = self._by_handle.get(f"@{handle.lower()}")
        return known if known is not None else self.add_channel(handle)

    def add_comment(self, text: str, *, video: str = "dQw4w9WgXcQ", author: str = "viewer",
                    when: datetime | None = None, parent: str | None = None) -> str:
        """A top-level comment on ``video`` (a new thread), or a reply to thread ``parent``."""
        with self.lock:
            if when is None:
                self._clock += timedelta(seconds=1)
                when = self._clock
            cid = self._new_id(parent)
            channel = self._author(author)
            snippet = {
                "channelId": self.channel_id, "videoId": video,
                "textDisplay": display_html(text), "textOriginal": text,
                "authorDisplayName": self.channels[channel]["customUrl"],
                "authorProfileImageUrl": "https://yt3.ggpht.com/fake=s48-c-k-c0x00ffffff-no-rj",
                "authorChannelUrl": f"http://www.youtube.com/{self.channels[channel]['customUrl']}",
                "authorChannelId": {"value": channel}, "canRate": True, "viewerRating": "none",
                "likeCount": 0, "publishedAt": yt_time(when), "updatedAt": yt_time(when)}
            if parent is not None:
                snippet["parentId"] = parent
                self.threads[parent].append(cid)
            else:
                self.threads[cid] = []
            self.comments[cid] = {"kind": "youtube#comment", "etag": f"etag{self._seq}",
                                  "id": cid, "snippet": snippet}
            self.status[cid] = "published"
            return cid

    def add_reply(self, thread: str, text: str, **kw: Any) -> str:
        return self.add_comment(text, parent=thread, video=self.comments[thread]["snippet"]
                                ["videoId"], **kw)

    def add_malformed_thread(self, item: Any, when: datetime | None = None) -> None:
        """An item served among the threads as it is (placed by ``when``, default now)."""
        with self.lock:
            if when is None:
                self._clock += timedelta(seconds=1)
                when = self._clock
            self.raw_threads.append((when, item))

    def remove(self, comment_id: str) -> None:
        """The author deleted the comment."""
        with self.lock:
            self.comments.pop(comment_id, None)
            self.status.pop(comment_id, None)
            self.threads.pop(comment_id, None)

    def revoke(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def reset_quota(self) -> None:
        with self.lock:
            self.units = 0

    # -- views ---------------------------------------------------------------------------------
    def _time(self, cid: str) -> str:
        return self.comments[cid]["snippet"]["publishedAt"]

    def _render(self, cid: str, plain: bool) -> dict[str, Any]:
        item = {**self.comments[cid], "snippet": dict(self.comments[cid]["snippet"])}
        if plain:
            item["snippet"]["textDisplay"] = item["snippet"]["textOriginal"]
        return item

    def _published_replies(self, tid: str) -> list[str]:
        return [r for r in self.threads.get(tid, []) if self.status.get(r) == "published"]

    def _thread_item(self, tid: str, parts: set[str], plain: bool) -> dict[str, Any]:
        replies = self._published_replies(tid)
        thread: dict[str, Any] = {"kind": "youtube#commentThread", "etag": f"t{tid[-8:]}",
                                  "id": tid}
        if "snippet" in parts:
            thread["snippet"] = {"channelId": self.channel_id,
                                 "videoId": self.comments[tid]["snippet"]["videoId"],
                                 "topLevelComment": self._render(tid, plain), "canReply": True,
                                 "totalReplyCount": len(replies), "isPublic": True}
        if "replies" in parts and replies:
            thread["replies"] = {"comments": [self._render(r, plain)
                                              for r in replies[:INLINE_REPLIES]]}
        return thread

    def _page(self, items: list[Any], request: Request, kind: str, maximum: int = 100,
              default: int = 20, render: Any = None) -> Reply:
        """One page of ``items`` (``render`` turns the page's keys into resources)."""
        q = request.query
        try:
            size = int(q.get("maxResults") or default)
        except ValueError:
            size = -1
        if not 0 < size <= maximum:
            return Reply(400, google_error(400, f"Invalid value '{q.get('maxResults')}'. Values "
                                           f"must be within the range: [1, {maximum}]",
                                           "invalidParameter", "global", location="maxResults",
                                           locationType="parameter"))
        token = q.get("pageToken")
        offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        body: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse", "etag": "fake-etag",
                                "pageInfo": {"totalResults": len(items),
                                             "resultsPerPage": size},
                                "items": [render(i) if render else i
                                          for i in items[offset:offset + size]]}
        if offset + size < len(items):
            body["nextPageToken"] = base64.urlsafe_b64encode(
                str(offset + size).encode()).decode()
        return Reply(200, body)

    # -- routing ---------------------------------------------------------------------------
    def fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "401":
            return Reply(401, google_error(401, "Request had invalid authentication "
                                           "credentials.", "authError", "global"), fault.headers)
        if fault.kind == "429":
            return Reply(429, google_error(429, "Resource has been exhausted (e.g. check "
                                           "quota).", "rateLimitExceeded", "global"),
                         fault.headers)
        if fault.kind == "500":
            return Reply(fault.status or 503, google_error(503, "The service is currently "
                                                           "unavailable.", "backendError",
                                                           "global"), fault.headers)
        return super().fault_reply(fault)

    def route(self, request: Request) -> Reply:
        if request.path == "/token" and request.method == "POST":
            return self._token(request.form)
        if not request.path.startswith("/youtube/v3/"):
            return Reply(404, google_error(404, "Not Found", "notFound", "global"))
        name = request.path[len("/youtube/v3/"):]
        cost = COSTS.get(name, 1)
        self.units += cost
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return Reply(401, google_error(401, "Request had invalid authentication "
                                           "credentials.", "authError", "global",
                                           location="Authorization", locationType="header"))
        if self.units > self.daily_quota:
            message = ("The request cannot be completed because you have exceeded your "
                       '<a href="/youtube/v3/getting-started#quota">quota</a>.')
            return Reply(403, google_error(403, message, "quotaExceeded", "youtube.quota"))
        handler = {("GET", "commentThreads"): self._list_threads,
                   ("GET", "comments"): self._list_comments,
                   ("GET", "channels"): self._list_channels,
                   ("POST", "comments/setModerationStatus"): self._moderate}.get(
            (request.method, name))
        if handler is None:
            return Reply(404, google_error(404, "Not Found", "notFound", "global"))
        return handler(request)

    def _token(self, form: dict[str, str]) -> Reply:
        self.token_requests += 1
        if (form.get("client_id"), form.get("client_secret")) != self.client:
            return Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("grant_type") != "refresh_token" or \
                form.get("refresh_token") not in self.refresh_tokens:
            return Reply(400, {"error": "invalid_grant",
                               "error_description": "Token has been expired or revoked."})
        token = f"ya29.fake-{len(self.access_tokens) + self.token_requests}"
        self.access_tokens.add(token)
        return Reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                           "scope": "https://www.googleapis.com/auth/youtube.force-ssl"})

    def _list_threads(self, request: Request) -> Reply:
        q = request.query
        if q.get("allThreadsRelatedToChannelId") != self.channel_id:
            return Reply(403, google_error(403, "The request is not properly authorized to "
                                           "retrieve the specified comment threads.", "forbidden"))
        status = q.get("moderationStatus") or "published"
        parts = set((q.get("part") or "").split(","))
        plain = q.get("textFormat") == "plainText"
        keyed: list[tuple[str, Any]] = [(self._time(t), t) for t in self.threads
                                        if self.status.get(t) == status]
        keyed += [(yt_time(when), (item,)) for when, item in self.raw_threads]
        keyed.sort(key=lambda pair: pair[0], reverse=True)  # order=time: newest first
        return self._page([key for _, key in keyed], request, "commentThread",
                          render=lambda key: key[0] if isinstance(key, tuple)
                          else self._thread_item(key, parts, plain))

    def _list_comments(self, request: Request) -> Reply:
        q = request.query
        plain = q.get("textFormat") == "plainText"
        if q.get("id"):
            # By id: no moderationStatus in the answer (the schema says so). Whether a rejected
            # comment is still found is not documented; here it is not (gone from view).
            ids = [i for i in q["id"].split(",") if i in self.comments
                   and self.status.get(i) != "rejected"]
            return self._page([self._render(i, plain) for i in ids], request, "comment")
        parent = q.get("parentId")
        if parent not in self.threads:
            return Reply(404, google_error(404, "The comment thread identified by the "
                                           "<code>parentId</code> parameter could not be found.",
                                           "commentNotFound", location="parentId",
                                           locationType="parameter"))
        return self._page([self._render(r, plain) for r in self._published_replies(parent)],
                          request, "comment")

    def _list_channels(self, request: Request) -> Reply:
        ids = [i for i in (request.query.get("id") or "").split(",") if i in self.channels]
        items = [{"kind": "youtube#channel", "etag": f"c{i[-6:]}", "id": i,
                  "snippet": self.channels[i]} for i in ids]
        return self._page(items, request, "channel", maximum=50, default=5)

    def _moderate(self, request: Request) -> Reply:
        q = request.query
        if self.read_only:
            return Reply(403, google_error(403, "Request had insufficient authentication "
                                           "scopes.", "insufficientPermissions", "global"))
        status, ban = q.get("moderationStatus"), q.get("banAuthor") == "true"
        if status not in ACTIONS:
            return Reply(400, google_error(400, f"Invalid value '{status}'.",
                                           "invalidModerationStatus"))
        if ban and status != "rejected":
            return Reply(400, google_error(400, "The <code>banAuthor</code> parameter can only "
                                           "be used with <code>rejected</code>.",
                                           "banWithoutReject"))
        ids = (q.get("id") or "").split(",")
        for cid in ids:
            comment = self.comments.get(cid)
            if comment is None:
                return Reply(404, google_error(404, "The comment identified by the "
                                               "<code>id</code> parameter could not be found.",
                                               "commentNotFound", location="id",
                                               locationType="parameter"))
            if comment["snippet"]["channelId"] != self.channel_id:
                return Reply(403, google_error(403, "The comment could not be moderated by "
                                               "this channel.", "forbidden"))
        for cid in ids:
            self.status[cid] = status
            if ban:
                self.banned.add(self.comments[cid]["snippet"]["authorChannelId"]["value"])
            self.actions.append(("ban" if ban else ACTIONS[status], cid))
        return Reply(204, b"")


@contextmanager
def contract_kit(tmp_path: Any) -> Iterator[Kit]:
    from connectors.retry import RetryPolicy
    from connectors.youtube import YouTubeConnector
    from moderator.config import AccountSettings

    with FakeYouTube() as fake:
        account = AccountSettings(
            name="acme-yt", platform="youtube", api_base=fake.url,
            options=YouTubeConnector.parse_options(
                {"channel_id": fake.channel_id, "token_uri": fake.url + "/token",
                 "allow_ban": True}, path="accounts[0]"))
        secrets = {"client_id": fake.client[0], "client_secret": fake.client[1],
                   "refresh_token": next(iter(fake.refresh_tokens))}
        thread = fake.add_comment("Kit thread", author=fake.owner)

        def reopen() -> YouTubeConnector:
            return YouTubeConnector.open(account, secrets, retry=RetryPolicy(
                attempts=2, base_delay=0.001, max_delay=0.01), sleep=lambda s: None)

        def post_malformed() -> str:
            fake.add_malformed_thread({"kind": "youtube#commentThread", "id": "bad",
                                       "snippet": {"totalReplyCount": 0}})
            return "bad"

        yield Kit(connector=reopen(), account="acme-yt",
                  post=lambda text: fake.add_reply(thread, text),
                  applied=lambda: list(fake.actions), reopen=reopen,
                  post_malformed=post_malformed, revoke=fake.revoke)
