"""Reddit through praw: new comments in the moderated subreddits, the modqueue, and replies to
the account's own posts; remove (spam flag for delete), approve, lock, and ban if configured.

Reads use ``Reddit.request`` (praw's authenticated, rate-limited JSON call) on praw's listing
paths, so each item is mapped from the raw JSON and a malformed one is skipped alone; actions
use praw's moderation models. Listings come newest first and are paged back with ``after``
until the cursor's watermark: Reddit ids are base36 and grow with creation time, so a watermark
is the newest id seen per source, immune to deleted anchors (unlike ``before=``).

The cursor (connectors/reddit_cursor.py) holds the watermark per source and the modqueue
entries already read that are still in the queue (bounded), so an item reported again after
an approval comes back. Raw JSON becomes a Comment in connectors/reddit_items.py.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, ClassVar, Iterable, Iterator, Mapping, TypeVar

import praw
import prawcore
import requests
from praw.endpoints import API_PATH
from praw.exceptions import PRAWException, RedditAPIException
from requests.adapters import HTTPAdapter

from connectors.base import Batch, Capabilities, ItemState
from connectors.reddit_cursor import (advance, bounded_queue, decode_cursor, encode_cursor,
                                      queue_key)
from connectors.reddit_items import comment_from_json, id36, opt36, safe36
from connectors.retry import RetryPolicy, call_with_retry, is_loopback
from moderator.errors import (AuthFailed, ConfigError, ConnectorError, RateLimited,
                              TransientError, UnsupportedAction)
from moderator.models import Comment
from moderator.options import OptionReader

logger = logging.getLogger(__name__)
T = TypeVar("T")

API_BASE = "https://oauth.reddit.com"
AUTH_BASE = "https://www.reddit.com"
PAGE_MAX = 100  # Reddit's listing maximum
AUTHOR_MEMORY = 20_000  # authors whose account date is cached
MAX_PAGES = 200  # a listing never goes deeper than this per source and pass
USER_AGENT = "python:moderator:0.1 (self-hosted comment moderation)"
BAN_REASON = "Removed by Moderator"
_NAME = re.compile(r"^[A-Za-z0-9_]{2,21}$")


@dataclass(frozen=True, slots=True)
class RedditOptions:
    subreddits: tuple[str, ...] = ()
    modqueue: bool = True
    post_replies: bool = True
    allow_ban: bool = False
    ban_days: int = 7  # 0: permanent
    ban_reason: str = BAN_REASON
    lock_removed: bool = False
    user_agent: str = USER_AGENT
    auth_base: str | None = None
    page_size: int = PAGE_MAX
    timeout: float = 16.0
    author_details: bool = True  # account creation dates, 100 authors per request, cached


class _OneTry(prawcore.sessions.FiniteRetryStrategy):
    """prawcore retries 5xx itself with fixed 2-4 s sleeps; we want one bounded, injectable
    policy (``call_with_retry``), so the library makes exactly one try."""

    DEFAULT_RETRIES = 0

    def __init__(self, retries: int = 0) -> None:
        object.__setattr__(self, "retries", 0)


class _Timeout(HTTPAdapter):
    """praw passes prawcore's fixed 16 s to every API call whatever its ``timeout`` setting
    says, so the session enforces ours."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        given = kwargs.get("timeout")
        if not isinstance(given, (int, float)) or given > self.seconds:
            kwargs["timeout"] = self.seconds
        return super().send(request, **kwargs)


class RedditConnector:
    platform: ClassVar[str] = "reddit"

    def __init__(self, account: str, options: RedditOptions, reddit: praw.Reddit,
                 session: requests.Session, *, retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep):
        self.account = account
        self.options = options
        self.reddit = reddit
        self.retry = retry
        self.sleep = sleep
        self.capabilities = Capabilities(hide=True, delete=True, ban=options.allow_ban,
                                         approve=True)
        self._limit_remaining: float | None = None
        self._limit_reset_at: float | None = None
        self._author_created: OrderedDict[str, float | None] = OrderedDict()  # LRU
        session.hooks["response"].append(self._note_limits)
        for core in (getattr(reddit, "_authorized_core", None), getattr(reddit, "_read_only_core",
                                                                          None)):
            if core is not None and hasattr(core, "_retry_strategy_class"):
                core._retry_strategy_class = _OneTry

    # -- configuration -----------------------------------------------------------------------
    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> RedditOptions:
        r = OptionReader(table, path)
        subs = tuple(s.removeprefix("r/") for s in r.str_list("subreddits"))
        for s in subs:
            if not _NAME.match(s):
                r.problem("subreddits", f"{s!r} is not a subreddit name")
        modqueue = r.bool("modqueue", True)
        post_replies = r.bool("post_replies", True)
        if not subs and not post_replies:
            r.problem("subreddits", "nothing to watch: name subreddits or set post_replies = true")
        allow_ban = r.bool("allow_ban", False)
        ban_days = r.number("ban_days", 7, minimum=0, integer=True)
        if ban_days > 999:
            r.problem("ban_days", "Reddit bans last at most 999 days (0 = permanent)")
        options = RedditOptions(
            subreddits=subs, modqueue=modqueue, post_replies=post_replies, allow_ban=allow_ban,
            ban_days=ban_days, ban_reason=r.str("ban_reason", BAN_REASON)[:100],
            lock_removed=r.bool("lock_removed", False),
            user_agent=r.str("user_agent", USER_AGENT),
            auth_base=r.str("auth_base", None),
            page_size=r.number("page_size", PAGE_MAX, minimum=1, integer=True),
            timeout=r.number("timeout", 16.0, minimum=0.1),
            author_details=r.bool("author_details", True),
        )
        if options.page_size > PAGE_MAX:
            r.problem("page_size", f"Reddit listings return at most {PAGE_MAX} items")
        r.finish()
        return options

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *, retry: RetryPolicy = RetryPolicy(),
             sleep: Callable[[float], None] = time.sleep) -> "RedditConnector":
        options: RedditOptions = account.options
        where = f"accounts.{account.name}.secrets"
        missing = [k for k in ("client_id", "client_secret") if not secrets.get(k)]
        if not secrets.get("refresh_token") and not (secrets.get("username")
                                                     and secrets.get("password")):
            missing.append("refresh_token (or username and password)")
        if missing:
            raise ConfigError([f"{where}.{k}: required for Reddit" for k in missing])
        api_base = (account.api_base or API_BASE).rstrip("/")
        auth_base = (options.auth_base or account.api_base or AUTH_BASE).rstrip("/")
        session = requests.Session()
        for prefix in ("https://", "http://"):
            session.mount(prefix, _Timeout(options.timeout))
        if is_loopback(api_base) and is_loopback(auth_base):
            session.trust_env = False  # no proxy between us and a local server
        credentials = ({"refresh_token": secrets["refresh_token"]} if secrets.get("refresh_token")
                       else {"username": secrets["username"], "password": secrets["password"]})
        reddit = praw.Reddit(
            client_id=secrets["client_id"], client_secret=secrets["client_secret"],
            user_agent=options.user_agent, oauth_url=api_base, reddit_url=auth_base,
            check_for_updates=False, ratelimit_seconds=0,
            requestor_kwargs={"session": session, "timeout": options.timeout}, **credentials,
        )
        return cls(account.name, options, reddit, session, retry=retry, sleep=sleep)

    # -- errors and rate limits ----------------------------------------------------------------
    def _note_limits(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        headers = response.headers
        if "x-ratelimit-remaining" in headers and "x-ratelimit-reset" in headers:
            try:
                self._limit_remaining = float(headers["x-ratelimit-remaining"])
                self._limit_reset_at = time.monotonic() + float(headers["x-ratelimit-reset"])
            except ValueError:
                pass

    def _check_budget(self, what: str) -> None:
        """Reddit said the window is spent: give the wait back instead of letting prawcore
        sleep through it inside the call."""
        if self._limit_remaining is not None and self._limit_remaining < 1 \
                and self._limit_reset_at is not None:
            wait = self._limit_reset_at - time.monotonic()
            if wait > 0:
                raise RateLimited(f"reddit {self.account}: {what}: request budget spent "
                                  f"(x-ratelimit-remaining 0)", retry_after=wait)

    def _call(self, what: str, call: Callable[[], T]) -> T:
        label = f"reddit {self.account}: {what}"
        return call_with_retry(lambda: self._translate(label, call), what=label,
                               policy=self.retry, sleep=self.sleep)

    def _translate(self, label: str, call: Callable[[], T]) -> T:
        """Run one call; turn praw/prawcore errors into ours (messages never hold secrets)."""
        for attempt in (1, 2):
            try:
                self._check_budget(label)
                return call()
            except prawcore.InvalidToken:
                # prawcore dropped the token; one more try fetches a fresh one.
                if attempt == 2:
                    raise AuthFailed(f"{label}: the access token is rejected (revoked?)") from None
            except prawcore.OAuthException as e:
                raise AuthFailed(f"{label}: Reddit refused the credentials ({e.error}); "
                                 "check or renew them") from None
            except prawcore.TooManyRequests as e:
                self._limit_remaining = None  # the wait below covers it
                raise RateLimited(f"{label}: 429 Too Many Requests",
                                  retry_after=_retry_after(e.response)) from None
            except (prawcore.ServerError, prawcore.BadJSON) as e:
                status = getattr(getattr(e, "response", None), "status_code", "?")
                raise TransientError(f"{label}: {type(e).__name__} (HTTP {status})") from None
            except prawcore.RequestException as e:
                raise TransientError(f"{label}: {type(e.original_exception).__name__}") from None
            except prawcore.Redirect:  # Reddit's answer for a subreddit that does not exist
                raise ConnectorError(f"{label}: not found (redirected; check the name)") \
                    from None
            except prawcore.Forbidden:
                raise ConnectorError(f"{label}: 403 Forbidden (is the account a moderator "
                                     "there, with the needed scopes?)") from None
            except prawcore.ResponseException as e:  # also the token endpoint's answers
                status = e.response.status_code
                if status == 401:
                    raise AuthFailed(f"{label}: 401 Unauthorized; check the credentials") from None
                if status == 429:
                    raise RateLimited(f"{label}: 429 Too Many Requests",
                                      retry_after=_retry_after(e.response)) from None
                if status >= 500:
                    raise TransientError(f"{label}: HTTP {status}") from None
                raise ConnectorError(f"{label}: HTTP {status}") from None
            except RedditAPIException as e:
                kinds = [item.error_type for item in e.items]
                if "RATELIMIT" in kinds:  # "you are doing that too much"
                    raise RateLimited(f"{label}: Reddit says RATELIMIT") from None
                raise ConnectorError(f"{label}: {', '.join(kinds) or 'API error'}") from None
            except PRAWException as e:
                raise ConnectorError(f"{label}: {type(e).__name__}") from None
        raise AssertionError("unreachable")

    # -- reading -------------------------------------------------------------------------------
    def _listing(self, what: str, path: str, params: Mapping[str, str], *,
                 stop_at: int | None, since: datetime | None) -> list[dict[str, Any]]:
        """Page a newest-first listing back to the watermark id (exclusive) or ``since``."""
        items: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            query = {**params, "limit": str(self.options.page_size), "raw_json": "1"}
            if after:
                query["after"] = after
            page = self._call(what, lambda q=query: self.reddit.request(method="GET", path=path,
                                                                          params=q))
            data = page.get("data") if isinstance(page, Mapping) else None
            if not isinstance(data, Mapping) or not isinstance(data.get("children"), list):
                raise TransientError(f"reddit {self.account}: {what}: not a listing")
            done = False
            for child in data["children"]:
                thing = child.get("data") if isinstance(child, Mapping) else None
                if not isinstance(thing, Mapping) or child.get("kind") != "t1":
                    continue  # submissions, messages: not comments
                cid = thing.get("id")
                if stop_at is not None and isinstance(cid, str) and safe36(cid) <= stop_at:
                    done = True
                    break
                created = thing.get("created_utc")
                if since is not None and isinstance(created, (int, float)) \
                        and created < since.timestamp():
                    done = True
                    break
                items.append(dict(thing))
            after = data.get("after")
            if done or not after:
                break
        return items

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        state = decode_cursor(cursor)
        seen_queue = set(state["queue"])
        found: dict[str, tuple[dict[str, Any], set[str]]] = {}
        order: list[tuple[int, str]] = []

        def take(items: list[dict[str, Any]], source: str) -> None:
            for item in items:
                cid = item.get("id")
                key = cid if isinstance(cid, str) and cid.isalnum() else f"?{len(found)}"
                if key in found:
                    found[key][1].add(source)
                    continue
                found[key] = (item, {source})
                order.append((safe36(key) if not key.startswith("?") else -1, key))

        for sub in self.options.subreddits:
            take(self._listing(f"comments in r/{sub}", f"r/{sub}/comments/", {},
                               stop_at=opt36(state["subs"].get(sub)), since=since), f"sub:{sub}")
        queue_now: list[str] = []
        if self.options.modqueue and self.options.subreddits:
            queued = self._listing("modqueue", f"r/{'+'.join(self.options.subreddits)}"
                                   "/about/modqueue/", {"only": "comments"}, stop_at=None,
                                   since=None)
            queue_now = [queue_key(q) for q in queued]
            take([q for q in queued if queue_key(q) not in seen_queue], "queue")
        if self.options.post_replies:
            take(self._listing("replies to the account's posts", "message/selfreply/", {},
                               stop_at=opt36(state["replies"]), since=since), "replies")

        order.sort()
        if self.options.author_details:
            self._learn_authors(item.get("author_fullname") for item, _ in found.values())
        batch: list[Comment] = []
        skipped = 0
        last = cursor
        for position, (_, key) in enumerate(order, 1):
            item, sources = found[key]
            try:
                comment = comment_from_json(item, account=self.account,
                                            author_created=self._author_created)
                in_range = _in_range(comment.created_at, since, until)
                if in_range:
                    batch.append(comment)
            except (KeyError, ValueError, TypeError) as e:
                logger.warning("reddit %s: skipped malformed comment %s (%s)", self.account,
                               str(item.get("id"))[:20], type(e).__name__)
                skipped += 1
                in_range = True
            if in_range:  # items past ``until`` stay unread for a later incremental pass
                advance(state, key, sources, queue_key(item))
            if len(batch) >= self.options.page_size or position == len(order):
                state["queue"] = bounded_queue(state["queue"], queue_now)
                last = encode_cursor(state)
                yield Batch(tuple(batch), last, skipped)
                batch, skipped = [], 0
        state["queue"] = bounded_queue(state["queue"], queue_now)
        if encode_cursor(state) != last:
            yield Batch((), encode_cursor(state), 0)

    def _learn_authors(self, fullnames: Iterable[Any]) -> None:
        """Account creation dates for new authors (``/api/user_data_by_account_ids``, 100 a
        request). Enrichment only: a failure is logged and the comments go on without them."""
        unknown = [f for f in dict.fromkeys(fullnames)
                   if isinstance(f, str) and f.startswith("t2_") and f not in self._author_created]
        for start in range(0, len(unknown), PAGE_MAX):
            chunk = unknown[start:start + PAGE_MAX]
            try:
                found = self._call("authors' account dates", lambda c=chunk: self._user_data(c))
            except ConnectorError as e:
                logger.warning("reddit %s: no account dates for %d authors: %s", self.account,
                               len(chunk), e)
                return
            for fullname in chunk:
                data = found.get(fullname)
                created = data.get("created_utc") if isinstance(data, Mapping) else None
                self._author_created[fullname] = created if isinstance(created, (int, float)) \
                    else None  # suspended or deleted: remembered as unknown
        while len(self._author_created) > AUTHOR_MEMORY:
            self._author_created.popitem(last=False)

    def _user_data(self, fullnames: list[str]) -> Mapping[str, Any]:
        try:
            found = self.reddit.request(method="GET", path=API_PATH["user_by_fullname"],
                                        params={"ids": ",".join(fullnames)})
        except prawcore.NotFound:  # none of them exists any more
            return {}
        return found if isinstance(found, Mapping) else {}

    # -- actions ---------------------------------------------------------------------------------
    def _comment(self, comment: Comment) -> Any:
        return self.reddit.comment(id=comment.id.removeprefix("t1_"))

    def moderation_state(self, comment: Comment) -> ItemState:
        """``removed`` and ``spam`` as /api/info shows them to a moderator; a comment it no
        longer returns is gone."""
        fullname = "t1_" + comment.id.removeprefix("t1_")
        found = self._call(f"state of {comment.id}",
                           lambda: list(self.reddit.info(fullnames=[fullname])))
        if not found:
            return ItemState(hidden=True, deleted=True)
        data = vars(found[0])
        spam = bool(data.get("spam"))
        return ItemState(hidden=bool(data.get("removed")) or spam, deleted=spam)

    def hide(self, comment: Comment) -> None:
        """Remove (reversible with approve); Reddit's "hide" for moderators."""
        self._remove(comment, spam=False)

    def delete(self, comment: Comment) -> None:
        """Remove as spam: also trains the subreddit's spam filter."""
        self._remove(comment, spam=True)

    def _remove(self, comment: Comment, *, spam: bool) -> None:
        self._call(f"remove {comment.id}", lambda: self._comment(comment).mod.remove(spam=spam))
        if self.options.lock_removed:
            self.lock(comment)

    def unhide(self, comment: Comment) -> None:
        self.approve(comment)

    def approve(self, comment: Comment) -> None:
        self._call(f"approve {comment.id}", lambda: self._comment(comment).mod.approve())

    def lock(self, comment: Comment) -> None:
        self._call(f"lock {comment.id}", lambda: self._comment(comment).mod.lock())

    def ban(self, comment: Comment) -> None:
        if not self.options.allow_ban:
            raise UnsupportedAction(f"reddit {self.account}: ban is off (set allow_ban = true)")
        handle = comment.author.handle
        subreddit = _subreddit_of(comment)
        if not handle or not subreddit:
            raise ConnectorError(f"reddit {self.account}: cannot ban for {comment.id}: "
                                 "author or subreddit unknown")
        extra: dict[str, Any] = {"ban_reason": self.options.ban_reason,
                                 "note": f"comment {comment.id}"}
        if self.options.ban_days:
            extra["duration"] = self.options.ban_days
        self._call(f"ban author of {comment.id} in r/{subreddit}",
                   lambda: self.reddit.subreddit(subreddit).banned.add(handle, **extra))


def _subreddit_of(comment: Comment) -> str | None:
    if comment.raw and isinstance(comment.raw.get("subreddit"), str):
        return comment.raw["subreddit"]
    m = re.search(r"/r/([A-Za-z0-9_]+)/", comment.permalink or "")
    return m.group(1) if m else None


def _retry_after(response: requests.Response | None) -> float | None:
    """Retry-After (seconds), else Reddit's x-ratelimit-reset (seconds to the window's end)."""
    if response is None:
        return None
    for name in ("retry-after", "x-ratelimit-reset"):
        value = response.headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return None



def _in_range(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:
        return True
    return (since is None or when >= since) and (until is None or when < until)
