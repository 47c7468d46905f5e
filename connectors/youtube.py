"""YouTube: the comment threads and replies on a channel's videos; hold for review (hide),
publish again (unhide), reject (delete), reject and ban the author (ban, when allowed).

Reading: ``commentThreads.list`` with ``allThreadsRelatedToChannelId`` (newest thread first,
``part=snippet,replies``) back to the cursor, or to ``lookback_days`` on the first poll (to
``since`` for a backfill). A thread carries only some of its replies; when its
``totalReplyCount`` is larger and changed since the last poll, ``comments.list(parentId)``
reads them all. Replies come to old threads too, so threads younger than
``reply_window_days`` are read again on every poll and their reply counts remembered in the
cursor; a reply to an older thread is not seen (the API cannot list replies by time). A count
is a weak signal: when a reply leaves a thread (we hid it, or its author deleted it) and a new
one arrives before the next poll, the count is unchanged. The threads we acted in are read
again for that reason (remembered in memory, not across a restart); a deletion by someone else
cancelled out by a new reply is missed while the thread has more replies than it carries.

Text: ``textOriginal`` (what the author typed) when the API gives it, else the text of
``textDisplay``; links are the ``<a href>`` targets of ``textDisplay``, the HTML YouTube shows,
with the visible text as their display.

Authors: ``authorChannelId`` and the ``@handle`` YouTube shows as ``authorDisplayName``; with
``author_details`` the channel's title (its display name) and creation date come from
``channels.list``, 50 channels a unit, cached.

Actions: ``comments.setModerationStatus``: hide = ``heldForReview``, unhide = ``published``,
delete = ``rejected`` (gone from view; YouTube keeps no way back through the API), ban =
``rejected`` with ``banAuthor`` (only with ``allow_ban``). A comment already gone counts as done.

Quota: see ``youtube_quota``; the units spent today ride in the cursor, so a restart does not
forget them. The cursor is JSON: the watermark (``t``, ``seen``), ``replies`` (thread id ->
reply count) and ``quota`` (``day``, ``used``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, Mapping
from urllib.parse import parse_qs, urlsplit

from connectors.base import Batch, Capabilities
from connectors.file import clean_html
from connectors.retry import RetryPolicy
from connectors.watermark import Watermark, in_batches, parse_time
from connectors.youtube_quota import QuotaMeter
from moderator.errors import ConfigError, TransientError, UnsupportedAction
from moderator.models import Author, Comment, Link
from moderator.options import OptionReader

if TYPE_CHECKING:  # the client library takes a while to import: only open() needs it
    from connectors.base import ItemState
    from connectors.youtube_api import YouTubeClient

logger = logging.getLogger(__name__)

PAGE_MAX = 100  # commentThreads.list and comments.list return at most 100 a page
CHANNELS_PER_CALL = 50  # channels.list takes at most 50 ids
MAX_PAGES = 500  # per listing and pass: never page forever
REMEMBERED_THREADS = 5000  # reply counts kept in the cursor
AUTHOR_CACHE = 20_000
TOKEN_URI = "https://oauth2.googleapis.com/token"
SECRETS = ("client_id", "client_secret", "refresh_token")
_CHANNEL = re.compile(r"^UC[0-9A-Za-z_-]{22}$")
_PLATFORM_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be")


@dataclass(frozen=True, slots=True)
class YouTubeOptions:
    channel_id: str
    # The first poll reads threads this old. Short: a fetch delivers only once it has read
    # everything, so one that needs more than a day's quota would never finish; older
    # comments are a backfill's job (``moderator backfill --since``), in ranges that fit.
    lookback_days: float = 2.0
    reply_window_days: float = 2.0  # threads this young are re-read for new replies
    page_size: int = PAGE_MAX
    daily_budget: int = 10_000  # quota units this account may spend a Pacific day
    allow_ban: bool = False
    author_details: bool = True  # channel title and creation date through channels.list
    token_uri: str = TOKEN_URI
    timeout: float = 30.0
    max_attempts: int = 4


@dataclass
class _State:
    """The decoded cursor."""

    mark: Watermark = field(default_factory=Watermark)
    replies: dict[str, int] = field(default_factory=dict)
    quota: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, cursor: str | None, where: str) -> "_State":
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            replies = {str(k): int(v) for k, v in (data.get("replies") or {}).items()}
            quota = data.get("quota") if isinstance(data.get("quota"), dict) else {}
        except (ValueError, TypeError, AttributeError):
            data, replies, quota = None, {}, {}
        return cls(Watermark.parse(cursor if data and "t" in data else None, where), replies,
                   quota)

    def encode(self, mark: str | None, replies: Mapping[str, int],
               quota: Mapping[str, Any]) -> str:
        out: dict[str, Any] = json.loads(mark) if mark else {}
        out.update(replies=dict(replies), quota=dict(quota))
        return json.dumps(out, separators=(",", ":"), sort_keys=True)


class YouTubeConnector:
    platform: ClassVar[str] = "youtube"

    def __init__(self, account: str, options: YouTubeOptions, client: "YouTubeClient"):
        self.account = account
        self.options = options
        self.client = client
        self.meter = client.meter
        self.where = f"youtube {account}"
        self.capabilities = Capabilities(hide=True, delete=True, ban=options.allow_ban)
        self._authors: dict[str, Mapping[str, Any]] = {}  # channel id -> snippet, bounded
        # Threads where we took a reply out of view: their count dropped, so a new reply
        # may bring it back to the remembered one; their replies are read again.
        self._touched: set[str] = set()

    # -- configuration -------------------------------------------------------------------------
    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> YouTubeOptions:
        r = OptionReader(table, path)
        channel = r.str("channel_id")
        if isinstance(channel, str) and not _CHANNEL.match(channel):
            r.problem("channel_id", f"expected the channel's id ('UC' and 22 characters), "
                                    f"got {channel!r}")
        page_size = r.number("page_size", PAGE_MAX, minimum=1, integer=True)
        if page_size > PAGE_MAX:
            r.problem("page_size", f"YouTube returns at most {PAGE_MAX} items a page")
            page_size = PAGE_MAX
        token_uri = r.str("token_uri", TOKEN_URI)
        if isinstance(token_uri, str) and not token_uri.startswith(("https://", "http://")):
            r.problem("token_uri", f"expected an http(s) URL, got {token_uri!r}")
        options = YouTubeOptions(
            channel_id=channel or "",
            lookback_days=r.number("lookback_days", 2.0, minimum=0.01),
            reply_window_days=r.number("reply_window_days", 2.0, minimum=0),
            page_size=page_size,
            daily_budget=r.number("daily_budget", 10_000, minimum=10, integer=True),
            allow_ban=r.bool("allow_ban", False),
            author_details=r.bool("author_details", True),
            token_uri=token_uri,
            timeout=r.number("timeout", 30.0, minimum=0.1),
            max_attempts=r.number("max_attempts", 4, minimum=1, integer=True))
        r.finish()
        return options

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *, retry: RetryPolicy | None = None,
             sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.time) -> "YouTubeConnector":
        missing = [k for k in SECRETS if not secrets.get(k)]
        if missing:
            raise ConfigError([f"accounts.{account.name}.secrets.{k}: required for YouTube (an "
                               "OAuth client and a refresh token with the youtube.force-ssl "
                               "scope)" for k in missing])
        from connectors.youtube_api import YouTubeClient

        options: YouTubeOptions = account.options
        client = YouTubeClient(
            where=f"youtube {account.name}", client_id=secrets["client_id"],
            client_secret=secrets["client_secret"], refresh_token=secrets["refresh_token"],
            api_base=account.api_base, token_uri=options.token_uri, timeout=options.timeout,
            meter=QuotaMeter(daily_budget=options.daily_budget, clock=clock),
            retry=retry or RetryPolicy(attempts=options.max_attempts), sleep=sleep)
        return cls(account.name, options, client)

    # -- reading -------------------------------------------------------------------------------
    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        state = _State.parse(cursor, self.where)
        self.meter.adopt(state.quota.get("day"), state.quota.get("used"))
        backfill = since is not None or until is not None
        wait = 0.0 if backfill or cursor is None else self.meter.poll_wait()
        if wait:
            logger.info("%s: %d quota units spent today; pacing to the daily budget of %d, "
                        "next poll in about %.0f min", self.where, self.meter.used,
                        self.options.daily_budget, wait / 60)
            return
        now = datetime.now(timezone.utc)
        reply_floor = now - timedelta(days=self.options.reply_window_days)
        if since is not None:
            floor = since - timedelta(days=self.options.reply_window_days)
        elif state.mark.floor is not None:
            floor = min(state.mark.floor, reply_floor)
        else:
            floor = now - timedelta(days=self.options.lookback_days)
        items, skipped, counts = self._read(floor, until, state.replies, backfill, reply_floor)
        found = [c for c in self._comments(items) if c is not None]
        skipped += len(items) - len(found)
        new = [c for c in found if c.author.id != self.options.channel_id  # our own answers
               and _in_window(c.created_at, since, until)
               and state.mark.is_new(c.created_at, c.id)]
        # Intermediate batches keep the old reply counts: a crash between batches must read
        # those threads' replies again. The last batch carries the new counts.
        # A page's worth a batch: each is committed on its own, so a crash redoes little.
        batches = list(in_batches(new, state.mark, skipped, self.options.page_size))
        for position, batch in enumerate(batches, 1):
            last = position == len(batches)
            yield Batch(batch.comments, state.encode(batch.cursor or state.mark.encode(),
                                                     counts if last else state.replies,
                                                     self.meter.snapshot()), batch.skipped)
        if not batches and (counts != state.replies or cursor is None):
            yield Batch((), state.encode(state.mark.encode(), counts, self.meter.snapshot()))

    def _read(self, floor: datetime, until: datetime | None, known: Mapping[str, int],
              backfill: bool, reply_floor: datetime
              ) -> tuple[list[tuple[Any, str | None]], int, dict[str, int]]:
        """Raw comment items (with their thread id) of the threads down to ``floor``."""
        items: list[tuple[Any, str | None]] = []
        counts: dict[str, int] = {}
        skipped = 0
        for thread in self._threads(floor):
            try:
                tid, top, total, inline, published = _thread_parts(thread)
            except (KeyError, TypeError, ValueError) as e:
                logger.warning("%s: skipped malformed comment thread %r: %s", self.where,
                               _id_of(thread), e)
                skipped += 1
                continue
            if until is not None and published >= until:
                continue  # its comments and replies are all newer than the window
            items.append((top, tid))
            replies: Iterable[Any] = inline
            if total > len(inline) and (backfill or known.get(tid) != total
                                        or tid in self._touched):
                replies = self._replies(tid)
            self._touched.discard(tid)
            items.extend((reply, tid) for reply in replies)
            if published >= reply_floor and len(counts) < REMEMBERED_THREADS:
                counts[tid] = total
        return items, skipped, counts

    def _pages(self, what: str, resource: str, **params: Any) -> Iterator[list[Any]]:
        token: str | None = None
        for _ in range(MAX_PAGES):
            page_params = {**params, **({"pageToken": token} if token else {})}
            page = self.client.execute(what, resource, "list", **page_params)
            items = page.get("items") or []
            if not isinstance(items, list):
                raise TransientError(f"{self.where}: {what}: 'items' is not a list")
            yield items
            token = page.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return
        logger.warning("%s: %s: stopped after %d pages", self.where, what, MAX_PAGES)

    def _threads(self, floor: datetime) -> Iterator[Any]:
        """Threads newest first until one older than ``floor``."""
        for items in self._pages("list comment threads", "commentThreads",
                                 part="snippet,replies", order="time",
                                 allThreadsRelatedToChannelId=self.options.channel_id,
                                 maxResults=self.options.page_size, textFormat="html"):
            for thread in items:
                try:
                    published = parse_time(thread["snippet"]["topLevelComment"]["snippet"]
                                           ["publishedAt"])
                except (KeyError, TypeError, ValueError):
                    yield thread  # malformed: _read skips it with its id
                    continue
                if published < floor:
                    return
                yield thread

    def _replies(self, thread_id: str) -> list[Any]:
        found: list[Any] = []
        for items in self._pages(f"list replies of {thread_id}", "comments", part="snippet",
                                 parentId=thread_id, maxResults=PAGE_MAX, textFormat="html"):
            found.extend(items)
        return found

    def _comments(self, items: list[tuple[Any, str | None]]) -> list[Comment | None]:
        if self.options.author_details:
            self._learn_authors({_author_id(item) for item, _ in items} - {None})
        out: list[Comment | None] = []
        for item, thread_id in items:
            try:
                out.append(comment_from_item(item, account=self.account, thread_id=thread_id,
                                             channels=self._authors))
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                logger.warning("%s: skipped malformed comment %r: %s", self.where,
                               _id_of(item), e)
                out.append(None)
        return out

    def _learn_authors(self, channel_ids: set[str | None]) -> None:
        unknown = sorted(c for c in channel_ids if c and c not in self._authors)
        for i in range(0, len(unknown), CHANNELS_PER_CALL):
            chunk = unknown[i:i + CHANNELS_PER_CALL]
            page = self.client.execute("look up comment authors' channels", "channels", "list",
                                       part="snippet", id=",".join(chunk),
                                       maxResults=CHANNELS_PER_CALL)
            for channel in page.get("items") or []:
                if isinstance(channel, dict) and isinstance(channel.get("snippet"), dict):
                    self._authors[str(channel.get("id"))] = channel["snippet"]
            for missing in chunk:  # closed or hidden channels: do not ask again
                self._authors.setdefault(missing, {})
        while len(self._authors) > AUTHOR_CACHE:
            self._authors.pop(next(iter(self._authors)))

    # -- state ---------------------------------------------------------------------------------
    def moderation_state(self, comment: Comment) -> "ItemState":
        """What YouTube shows of the comment now; asked before re-sending an action a crash
        left planned. The API gives no comment's status by id, so: the comment by id (not
        found: gone, which a rejected comment is to the owner's reads), then whether it is
        still among its thread's published replies (a reply) or among the channel's threads
        held for review (a top-level comment). A few units, only after a crash."""
        from connectors.base import ItemState

        found = self.client.execute(f"look up {comment.id}", "comments", "list", part="id",
                                    id=comment.id)
        if not found or not found.get("items"):
            return ItemState(hidden=True, deleted=True)
        if comment.parent_id:
            listed = self._listed(comment.id, f"published replies of {comment.parent_id}",
                                  "comments", parentId=comment.parent_id)
            return ItemState(hidden=not listed, deleted=False)
        held = self._listed(comment.id, "threads held for review", "commentThreads",
                            allThreadsRelatedToChannelId=self.options.channel_id,
                            moderationStatus="heldForReview")
        return ItemState(hidden=held, deleted=False)

    def _listed(self, comment_id: str, what: str, resource: str, **params: Any) -> bool:
        return any(_id_of(item) == comment_id
                   for items in self._pages(f"look for {comment_id} among the {what}", resource,
                                            part="id", maxResults=PAGE_MAX, **params)
                   for item in items)

    # -- acting --------------------------------------------------------------------------------
    def _moderate(self, comment: Comment, status: str, *, ban: bool = False,
                  gone_is_done: bool = True) -> None:
        what = f"{'ban the author of' if ban else 'set ' + status + ' on'} {comment.id}"
        params = {"id": comment.id, "moderationStatus": status,
                  **({"banAuthor": True} if ban else {})}
        if comment.parent_id and status != "published":
            self._touched.add(comment.parent_id)
        done = self.client.execute(what, "comments", "setModerationStatus",
                                   missing_ok=gone_is_done, **params)
        if done is None:
            logger.info("%s: comment %s was already gone", self.where, comment.id)

    def hide(self, comment: Comment) -> None:
        self._moderate(comment, "heldForReview")

    def unhide(self, comment: Comment) -> None:
        self._moderate(comment, "published", gone_is_done=False)

    def delete(self, comment: Comment) -> None:
        self._moderate(comment, "rejected")

    def ban(self, comment: Comment) -> None:
        if not self.options.allow_ban:
            raise UnsupportedAction(f"{self.where}: banning comment authors is off for this "
                                    f"account (allow_ban = false); {comment.id} left alone")
        self._moderate(comment, "rejected", ban=True)


def comment_from_item(item: Any, *, account: str, thread_id: str | None = None,
                      channels: Mapping[str, Mapping[str, Any]] | None = None) -> Comment:
    """One ``youtube#comment`` resource -> Comment; raises on a bad shape."""
    if not isinstance(item, dict):
        raise TypeError(f"expected an object, got {type(item).__name__}")
    cid = item["id"]
    if not isinstance(cid, str) or not cid:
        raise ValueError("missing id")
    snippet = item["snippet"]
    display = snippet.get("textDisplay")
    original = snippet.get("textOriginal")
    if not isinstance(display, str) and not isinstance(original, str):
        raise ValueError("no text")
    shown, anchors = clean_html(display) if isinstance(display, str) else ("", ())
    author_id = _author_id(item)
    channel = (channels or {}).get(author_id or "") or {}
    shown_name = snippet.get("authorDisplayName")
    handle = shown_name[1:] if isinstance(shown_name, str) and shown_name.startswith("@") \
        else None
    video = snippet.get("videoId")
    return Comment(
        platform="youtube", account=account, id=cid,
        text=original if isinstance(original, str) else shown,
        author=Author(id=author_id, handle=handle,
                      name=_str(channel.get("title")) or _str(shown_name),
                      created_at=_time_or_none(channel.get("publishedAt"))),
        created_at=parse_time(snippet["publishedAt"]),
        thread_id=_str(video) or thread_id,
        parent_id=_str(snippet.get("parentId")),
        permalink=f"https://www.youtube.com/watch?v={video}&lc={cid}" if _str(video) else None,
        links=tuple(_outside_links(anchors)), raw=item)


def _outside_links(anchors: Iterable[Link]) -> Iterator[Link]:
    """Links to the web, not YouTube's own (timestamps, hashtags, @mentions); YouTube's
    redirect wrapper is unwrapped to its target."""
    for link in anchors:
        parts = urlsplit(link.url)
        if parts.scheme not in ("http", "https"):
            continue
        host = (parts.hostname or "").lower()
        if host in _PLATFORM_HOSTS and parts.path == "/redirect":
            target = parse_qs(parts.query).get("q")
            if target and target[0].startswith(("http://", "https://")):
                yield Link(url=target[0], display=link.display)
            continue
        if host in _PLATFORM_HOSTS:
            continue
        yield Link(url=link.url, display=link.display if link.display != link.url else None)


def _thread_parts(thread: Any) -> tuple[str, Any, int, list[Any], datetime]:
    if not isinstance(thread, dict):
        raise TypeError(f"expected an object, got {type(thread).__name__}")
    tid = thread["id"]
    if not isinstance(tid, str) or not tid:
        raise ValueError("missing id")
    snippet = thread["snippet"]
    top = snippet["topLevelComment"]
    total = snippet.get("totalReplyCount") or 0
    if not isinstance(total, int):
        raise TypeError("totalReplyCount is not a number")
    inline = (thread.get("replies") or {}).get("comments") or []
    if not isinstance(inline, list):
        raise TypeError("replies.comments is not a list")
    return tid, top, total, inline, parse_time(top["snippet"]["publishedAt"])


def _author_id(item: Any) -> str | None:
    try:
        value = item["snippet"]["authorChannelId"]["value"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) and value else None


def _time_or_none(value: Any) -> datetime | None:
    """A channel's creation date; a broken one is no reason to drop the comment."""
    try:
        return parse_time(value)
    except ValueError:
        return None


def _id_of(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else f"<{type(item).__name__}>"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _in_window(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    return when is not None and (since is None or when >= since) and \
        (until is None or when < until)

