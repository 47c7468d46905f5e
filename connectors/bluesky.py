"""Bluesky through the ``atproto`` SDK: replies, quotes and mentions of the account (its
notifications) and replies anywhere in the threads of its latest posts (``getPostThread``: a
reply to another reply notifies only that reply's author).

What the platform lets an account do to someone else's post:
- hide a reply in the account's own threads: the thread gate record of the thread's root
  (``app.bsky.feed.threadgate``, ``hiddenReplies``, at most 300 a thread) hides it behind
  "hidden replies" for everyone; reversible. A reply in someone else's thread or a plain
  mention cannot be hidden (UnsupportedAction).
- detach a quote post of one of the account's posts: the post gate record of the quoted post
  (``app.bsky.feed.postgate``, ``detachedEmbeddingUris``, at most 50 a post) removes our
  post from the quote; reversible. ``hide`` does this for a quote.
- block the author (``app.bsky.graph.block``: they can no longer reply to, quote or mention
  the account; that is ``ban``), or mute them (only the account stops seeing them).
- report the post to a moderation service (``com.atproto.moderation.createReport``, sent
  through the account's PDS to the labeler named by ``report_service``; Bluesky's own by
  default): the path for what the account cannot remove.
Nobody but the author can delete a post, so ``delete`` is not a capability (the policy
degrades it to hide).

Login: the handle and an app password from the secrets (``com.atproto.server.createSession``
on ``api_base``, the PDS); the SDK refreshes the session before it expires; a 401 logs in again
once, and a refused login is AuthFailed for this account only. Raw XRPC JSON is read item by
item (the SDK's typed models would reject a whole page for one malformed post).

``created_at`` is the AppView's ``indexedAt`` (the post's own ``createdAt`` is whatever the
author's client claims, and can be backdated). The cursor is opaque JSON
``{"v": 1, "notifications": [time, [uris]], "replies": [time, [uris]]}``: per source, the
newest ``indexedAt`` delivered and the posts delivered at that instant.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Mapping, TypeVar

from connectors.base import Batch, Capabilities, ItemState
from connectors import cursor as cursors
from connectors.bluesky_posts import (advance, comment_from_post, delivered, did_of, reached,
                                      rkey_of)
from connectors.retry import RetryPolicy, call_with_retry, is_loopback
from moderator.errors import (AuthFailed, ConfigError, ConnectorError, RateLimited,
                              TransientError, UnsupportedAction)
from moderator.models import Comment
from moderator.options import OptionReader

if TYPE_CHECKING:  # the SDK is imported when an account is opened: it takes seconds to load
    from atproto import Client
    from atproto_client import exceptions as at

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_PDS = "https://bsky.social"
BSKY_MODERATION = "did:plc:ar7c4by46qjdydhdevvrndac"  # Bluesky's moderation service
PAGE_MAX = 100
MAX_PAGES = 300
LIST_MAX = {"hiddenReplies": 300, "detachedEmbeddingUris": 50}  # the gate lexicons' limits
REASONS = ("reply", "quote", "mention")
REPORT_REASONS = ("spam", "violation", "misleading", "sexual", "rude", "other")
THREADGATE, POSTGATE = "app.bsky.feed.threadgate", "app.bsky.feed.postgate"
SOURCES = ("notifications", "replies")  # the cursor's marks
PARAMS = {  # the SDK's parameter models: checked against the lexicons before sending
    "app.bsky.notification.listNotifications": "AppBskyNotificationListNotifications",
    "app.bsky.feed.getAuthorFeed": "AppBskyFeedGetAuthorFeed",
    "app.bsky.feed.getPostThread": "AppBskyFeedGetPostThread",
    "app.bsky.actor.getProfile": "AppBskyActorGetProfile",
    "com.atproto.repo.getRecord": "ComAtprotoRepoGetRecord",
}


@dataclass(frozen=True, slots=True)
class BlueskyOptions:
    watch_posts: int = 20  # latest own posts whose whole threads are read (0: notifications only)
    thread_depth: int = 10  # how deep a watched thread is read
    page_size: int = PAGE_MAX
    report_service: str = BSKY_MODERATION  # DID of the labeler reports go to
    lookback_days: int = 30  # how far back the first poll reads (no cursor, no start date)
    timeout: float = 15.0


class BlueskyConnector:
    platform: ClassVar[str] = "bluesky"

    def __init__(self, account: str, options: BlueskyOptions, client: Client, login: str,
                 password: str, *, retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep):
        self.account = account
        self.options = options
        self.client = client
        self.retry = retry
        self.sleep = sleep
        self.where = f"bluesky {account}"
        self.capabilities = Capabilities(hide=True, delete=False, ban=True, approve=False,
                                         report=True)
        self._login = (login, password)
        self._me: str | None = None

    def __repr__(self) -> str:  # never show the password
        return f"BlueskyConnector({self.account!r})"

    # -- configuration -----------------------------------------------------------------------
    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> BlueskyOptions:
        r = OptionReader(table, path)
        page_size = r.number("page_size", PAGE_MAX, minimum=1, integer=True)
        if page_size > PAGE_MAX:
            r.problem("page_size", f"Bluesky returns at most {PAGE_MAX} notifications a page")
        watch_posts = r.number("watch_posts", 20, minimum=0, integer=True)
        if watch_posts > PAGE_MAX:
            r.problem("watch_posts", f"at most {PAGE_MAX} (one page of the author feed)")
        service = r.str("report_service", BSKY_MODERATION)
        if not service.startswith("did:"):
            r.problem("report_service", f"expected the moderation service's DID, got "
                                        f"{service!r}")
        options = BlueskyOptions(
            watch_posts=min(watch_posts, PAGE_MAX),
            thread_depth=r.number("thread_depth", 10, minimum=1, integer=True),
            page_size=min(page_size, PAGE_MAX), report_service=service,
            lookback_days=r.number("lookback_days", 30, minimum=0, integer=True),
            timeout=r.number("timeout", 15.0, minimum=0.1))
        r.finish()
        return options

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *,
             retry: RetryPolicy = RetryPolicy(),
             sleep: Callable[[float], None] = time.sleep) -> "BlueskyConnector":
        missing = [k for k in ("handle", "app_password") if not secrets.get(k)]
        if missing:
            raise ConfigError([f"accounts.{account.name}.secrets.{k}: required for Bluesky "
                               "(the account's handle and an app password)" for k in missing])
        base = (account.api_base or DEFAULT_PDS).rstrip("/")
        options: BlueskyOptions = account.options
        from atproto import Client
        from atproto_client.request import Request

        # The SDK passes these to its httpx client: a timeout, and no proxy to a local server.
        client = Client(base_url=base, request=Request(timeout=options.timeout,
                                                       trust_env=not is_loopback(base)))
        return cls(account.name, options, client, secrets["handle"], secrets["app_password"],
                   retry=retry, sleep=sleep)

    # -- errors and the session ----------------------------------------------------------------
    def _call(self, what: str, call: Callable[[], T], *,
              forbidden: type[ConnectorError] = ConnectorError) -> T:
        label = f"{self.where}: {what}"
        return call_with_retry(lambda: self._session_call(label, call, forbidden), what=label,
                               policy=self.retry, sleep=self.sleep)

    def _session_call(self, label: str, call: Callable[[], T],
                      forbidden: type[ConnectorError]) -> T:
        if self._me is None:
            self._translate(f"{self.where}: log in", self._log_in, ConnectorError)
        try:
            return self._translate(label, call, forbidden)
        except AuthFailed:  # the session was revoked or expired: log in again, once
            self._me = None
            self._translate(f"{self.where}: log in", self._log_in, ConnectorError)
            return self._translate(label, call, forbidden)

    def _log_in(self) -> None:
        login, password = self._login
        # Without the profile lookup (a request per login): the DID comes from the session.
        self.client.login(login, password, fetch_bsky_profile=False)
        self._me = self.client._session.did

    def _translate(self, label: str, call: Callable[[], T],
                   forbidden: type[ConnectorError]) -> T:
        from atproto_client import exceptions as at

        try:
            return call()
        except at.RateLimitExceededError as e:
            reset = e.reset_at
            wait = max(0.0, reset.timestamp() - time.time()) if reset else None
            raise RateLimited(f"{label}: 429 Too Many Requests", retry_after=wait) from None
        except at.UnauthorizedError as e:
            if _status(e) == 403:
                raise forbidden(f"{label}: HTTP 403 {_error(e)}") from None
            raise AuthFailed(f"{label}: 401 {_error(e)} (app password revoked or wrong; "
                             "renew the account's secrets)") from None
        except at.BadRequestError as e:
            if _error(e) in ("ExpiredToken", "InvalidToken"):
                raise AuthFailed(f"{label}: {_error(e)}") from None
            raise forbidden(f"{label}: HTTP 400 {_error(e)}") from None
        except at.NetworkError as e:
            raise TransientError(f"{label}: {type(e).__name__} {_status(e) or ''}".rstrip()) \
                from None
        except at.RequestException as e:
            status = _status(e) or 0
            kind = TransientError if status >= 500 else ConnectorError
            raise kind(f"{label}: HTTP {status} {_error(e)}".rstrip()) from None
        except ValueError as e:  # a body that is not JSON
            raise TransientError(f"{label}: unreadable response ({type(e).__name__})") from None

    def me(self) -> str:
        if self._me is None:
            self._call("log in", lambda: None)
        assert self._me is not None
        return self._me

    def _query(self, nsid: str, what: str, **params: Any) -> dict[str, Any]:
        """One XRPC query through the SDK, its JSON as it came (checked item by item)."""
        from atproto import models

        typed = getattr(models, PARAMS[nsid]).Params(
            **{k: v for k, v in params.items() if v is not None})
        response = self._call(what, lambda: self.client.invoke_query(
            nsid, params=typed, output_encoding="application/json"))
        content = response.content
        if not isinstance(content, dict):
            raise TransientError(f"{self.where}: {what}: not a JSON object")
        return content

    # -- reading -------------------------------------------------------------------------------
    def _notified(self, mark: tuple[str, list[str]] | None,
                  since: datetime | None) -> Iterator[tuple[Any, ...]]:
        """(uri, cid, author, record, indexedAt) of reply / quote / mention notifications newer
        than the mark (or back to ``since``), newest first."""
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = self._query("app.bsky.notification.listNotifications", "notifications",
                               limit=self.options.page_size, cursor=cursor,
                               reasons=list(REASONS))
            items = page.get("notifications")
            for item in items if isinstance(items, list) else ():
                if not isinstance(item, dict):
                    continue
                when = item.get("indexedAt")
                if reached(when, mark, since):
                    return
                if item.get("reason") in REASONS:
                    yield (item.get("uri"), item.get("cid"), item.get("author"),
                           item.get("record"), when)
            cursor = page.get("cursor")
            if not cursor or not items:
                return

    def _thread_replies(self, me: str) -> Iterator[tuple[Any, ...]]:
        """Every reply in the threads of the account's latest posts."""
        if not self.options.watch_posts:
            return
        feed = self._query("app.bsky.feed.getAuthorFeed", "the account's latest posts",
                           actor=me, limit=self.options.watch_posts, filter="posts_no_replies")
        for entry in feed.get("feed") or ():
            post = entry.get("post") if isinstance(entry, dict) else None
            if not isinstance(post, dict) or not isinstance(post.get("uri"), str):
                continue
            thread = self._query("app.bsky.feed.getPostThread", f"replies to {post['uri']}",
                                 uri=post["uri"], depth=self.options.thread_depth)
            stack = list((thread.get("thread") or {}).get("replies") or ())
            while stack:
                node = stack.pop()
                if not isinstance(node, dict) or \
                        node.get("$type") != "app.bsky.feed.defs#threadViewPost":
                    continue  # notFoundPost, blockedPost
                view = node.get("post") or {}
                yield (view.get("uri"), view.get("cid"), view.get("author"),
                       view.get("record"), view.get("indexedAt"))
                stack.extend(node.get("replies") or ())

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        state = cursors.decode(cursor, SOURCES, where=self.where)
        if cursor is None and since is None and self.options.lookback_days:
            # A first poll reads back this far, not the account's whole history.
            since = datetime.now(timezone.utc) - timedelta(days=self.options.lookback_days)
        me = self.me()
        found: dict[str, Comment] = {}
        bad: set[str] = set()
        backfill = since is not None or until is not None
        for source, items in (("notifications", self._notified(
                None if backfill else state["notifications"], since)),
                ("replies", self._thread_replies(me))):
            mark = None if backfill else state[source]
            for uri, cid, author, record, when in items:
                if not delivered(uri, when, mark):
                    self._take(found, bad, (uri, cid, author, record, when), me, since, until)
                state[source] = advance(state[source], uri, when)
        comments = sorted(found.values(), key=lambda c: (c.created_at, c.id))
        size = self.options.page_size
        for start in range(0, max(len(comments), 1), size):
            last = start + size >= len(comments)
            yield Batch(tuple(comments[start:start + size]),
                        cursors.encode(state) if last else cursor,
                        len(bad) if last else 0)

    def _take(self, found: dict[str, Comment], bad: set[str], item: tuple[Any, ...],
              me: str, since: datetime | None, until: datetime | None) -> None:
        """Add the post unless it is ours, out of range or seen; a malformed one is logged
        with its URI and counted in ``bad``."""
        uri = item[0]
        key = uri if isinstance(uri, str) else repr(uri)[:80]
        if key in found or key in bad:
            return
        try:
            comment = comment_from_post(*item, account=self.account)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            logger.warning("%s: skipped malformed post %s (%s)", self.where, key[:120],
                           type(e).__name__)
            bad.add(key)
            return
        if comment.author.id != me and cursors.in_range(comment.created_at, since, until):
            found[key] = comment

    # -- actions ---------------------------------------------------------------------------------
    def hide(self, comment: Comment) -> None:
        self._gate(comment, hidden=True)

    def unhide(self, comment: Comment) -> None:
        self._gate(comment, hidden=False)

    def _gate(self, comment: Comment, hidden: bool) -> None:
        where = self._gate_of(comment)
        if where is None:
            raise UnsupportedAction(f"{self.where}: {comment.id} is neither a reply in the "
                                    "account's threads nor a quote of its posts; Bluesky can "
                                    "only block, mute or report it")
        self._edit_gate(*where, comment.id, hidden)

    def _gate_of(self, comment: Comment) -> tuple[str, str, str] | None:
        """Where hiding the comment is written: a reply in our thread in the root's thread
        gate, a quote of our post in that post's post gate; None for anything else."""
        me = self.me()
        if comment.thread_id and did_of(comment.thread_id) == me:
            return THREADGATE, comment.thread_id, "hiddenReplies"
        if comment.thread_id is None and did_of(comment.parent_id) == me:
            return POSTGATE, str(comment.parent_id), "detachedEmbeddingUris"
        return None

    def _read_gate(self, collection: str, post: str, what: str) -> dict[str, Any]:
        """The gate record as getRecord gives it (``value``, ``cid``), or {} when none."""
        try:
            return self._query("com.atproto.repo.getRecord", what, repo=self.me(),
                               collection=collection, rkey=rkey_of(post))
        except ConnectorError as e:
            if "RecordNotFound" not in str(e):
                raise
            return {}

    def moderation_state(self, comment: Comment) -> ItemState:
        """Hidden when the comment is listed in its gate record (read back, one request);
        whether the post still exists is not asked."""
        where = self._gate_of(comment)
        if where is None:
            return ItemState()
        collection, post, field = where
        found = self._read_gate(collection, post, f"state of {comment.id}")
        return ItemState(hidden=comment.id in ((found.get("value") or {}).get(field) or ()))

    def _edit_gate(self, collection: str, post: str, field: str, uri: str,
                   present: bool) -> None:
        from atproto import models

        me = self.me()
        what = f"{'hide' if present else 'unhide'} {uri}"
        found = self._read_gate(collection, post, what)
        record = dict(found.get("value") or {"$type": collection, "post": post,
                                             "createdAt": _now()})
        listed = list(record.get(field) or [])
        if (uri in listed) == present:
            return  # already so: a repeat changes nothing
        if present and len(listed) >= LIST_MAX[field]:
            raise UnsupportedAction(f"{self.where}: {post} already lists {LIST_MAX[field]} "
                                    f"{field}, Bluesky's limit; {uri} not hidden")
        record[field] = listed + [uri] if present else [u for u in listed if u != uri]
        data = models.ComAtprotoRepoPutRecord.Data(
            repo=me, collection=collection, rkey=rkey_of(post), record=record,
            swap_record=found.get("cid"))  # someone else's edit in between fails, and retries
        self._call(what, lambda: self.client.com.atproto.repo.put_record(data))

    def delete(self, comment: Comment) -> None:
        raise UnsupportedAction(f"{self.where}: only its author can delete a Bluesky post "
                                f"({comment.id}); hide, block or report it instead")

    def ban(self, comment: Comment) -> None:
        """Block the author (once: a block that exists is left as it is)."""
        from atproto import models

        author = self._author(comment)
        profile = self._query("app.bsky.actor.getProfile", f"who wrote {comment.id}",
                              actor=author)
        if (profile.get("viewer") or {}).get("blocking"):
            return
        data = models.ComAtprotoRepoCreateRecord.Data(
            repo=self.me(), collection="app.bsky.graph.block",
            record={"$type": "app.bsky.graph.block", "subject": author, "createdAt": _now()})
        self._call(f"block the author of {comment.id}",
                   lambda: self.client.com.atproto.repo.create_record(data))

    def mute(self, comment: Comment) -> None:
        """Only the account stops seeing the author; nobody else is affected."""
        from atproto import models

        author = self._author(comment)
        self._call(f"mute the author of {comment.id}", lambda: self.client.app.bsky.graph.
                   mute_actor(models.AppBskyGraphMuteActor.Data(actor=author)))

    def report(self, comment: Comment, reason: str, reason_type: str = "other") -> None:
        """Report the post to the moderation service named by ``report_service``."""
        from atproto import models

        if reason_type not in REPORT_REASONS:
            raise ValueError(f"report reason {reason_type!r} not in {REPORT_REASONS}")
        cid = (comment.raw or {}).get("cid") if comment.raw else None
        if not cid:
            thread = self._query("app.bsky.feed.getPostThread", f"find {comment.id}",
                                 uri=comment.id, depth=0)
            cid = ((thread.get("thread") or {}).get("post") or {}).get("cid")
        data = models.ComAtprotoModerationCreateReport.Data(
            reason_type=f"com.atproto.moderation.defs#reason{reason_type.capitalize()}",
            reason=reason[:2000],
            subject=models.ComAtprotoRepoStrongRef.Main(uri=comment.id, cid=cid))
        moderation = self.client.with_proxy("atproto_labeler", self.options.report_service)
        self._call(f"report {comment.id}",
                   lambda: moderation.com.atproto.moderation.create_report(data))

    def _author(self, comment: Comment) -> str:
        author = comment.author.id or did_of(comment.id)
        if not author:
            raise UnsupportedAction(f"{self.where}: {comment.id} has no author to act on")
        return author


def _status(error: at.RequestErrorBase) -> int | None:
    return error.response.status_code if error.response is not None else None


def _error(error: at.RequestErrorBase) -> str:
    content = error.response.content if error.response is not None else None
    name = getattr(content, "error", None) or (content.get("error") if isinstance(content, dict)
                                              else None)
    return str(name or "")[:100]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
