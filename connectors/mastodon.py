"""Mastodon through Mastodon.py: mentions of the account (its notifications; direct messages
are mentions too) and replies in the threads of its latest posts (``/statuses/:id/context``:
a reply whose author removed the @mention notifies nobody).

What the platform lets an account owner do to someone else's reply: block or mute the author,
and report the reply to the instance's moderators (forwarded to the author's instance when it is
remote). It cannot hide or delete another account's post, so ``hide`` and ``delete`` are not
capabilities: the policy degrades them to the review queue, and :meth:`report` is there for the
reviewer's "send it to the moderators". ``ban`` blocks the author (they can no longer see, follow
or reach the account), or, with ``ban_action = "suspend"`` / ``"silence"`` and an admin token on
the organization's own instance (scope ``admin:write:accounts``), suspends or limits the account
on that instance.

Mastodon.py reads ``access_token`` as a file name when such a file exists, so the token is set
on the client after construction; ``debug_requests`` (which prints request headers) stays off.
Rate limits: ``ratelimit_method="throw"`` (its "wait" would sleep up to five minutes inside a
call); the reset time it parsed from ``X-RateLimit-Reset`` becomes RateLimited.retry_after.

The cursor is opaque JSON ``{"v": 1, "notifications": id, "replies": id}``: notification ids
grow in arrival order; status ids are snowflakes that grow with creation time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Mapping, TypeVar

from connectors import cursor as cursors
from connectors.base import Batch, Capabilities, ItemState
from connectors.retry import RetryPolicy, call_with_retry, is_loopback
from moderator.errors import (AuthFailed, ConfigError, ConnectorError, RateLimited,
                              TransientError, UnsupportedAction)
from moderator.models import Author, Comment, Link
from moderator.options import OptionReader

if TYPE_CHECKING:  # Mastodon.py is imported when an account is opened (a second to load)
    from mastodon import Mastodon

logger = logging.getLogger(__name__)
T = TypeVar("T")

NOTIFICATIONS_MAX = 80  # the API's largest page of notifications
STATUSES_MAX = 40
MAX_PAGES = 500  # per pass: never page forever
BAN_ACTIONS = ("block", "suspend", "silence")
REPORT_CATEGORIES = ("spam", "violation", "other")
SOURCES = ("notifications", "replies")  # the cursor's marks


@dataclass(frozen=True, slots=True)
class MastodonOptions:
    watch_posts: int = 20  # latest own posts whose threads are read (0: mentions only)
    page_size: int = NOTIFICATIONS_MAX
    ban_action: str = "block"  # block (any account) | suspend | silence (admin token)
    report_forward: bool = True  # send reports of remote accounts to their instance too
    # How far back the first poll reads (no cursor, no start date). A fetch delivers once it has
    # read back that far, and Mastodon allows 300 requests per 5 minutes: a week of a busy
    # account's mentions (80 a page) fits; a month might not, and would start over each poll.
    lookback_days: int = 7
    timeout: float = 15.0


class _Gone(ConnectorError):
    """404: the status is no longer on the instance."""


class _Text(HTMLParser):
    """Status HTML -> plain text and its links (href with the text shown for it); mention and
    hashtag links are the server's own and are left out of the links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[Link] = []
        self._open: list[tuple[str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            found = dict(attrs)
            classes = (found.get("class") or "").split()
            internal = "mention" in classes or "hashtag" in classes
            self._open.append((None if internal else found.get("href"), []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, shown = self._open.pop()
            if href:
                self.links.append(Link(url=href, display="".join(shown).strip() or None))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        for _, shown in self._open:
            shown.append(data)


def plain_text(content: str) -> tuple[str, list[Link]]:
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip(), parser.links


def comment_from_status(status: Mapping[str, Any], *, account: str,
                        thread: str | None = None) -> Comment:
    """One API status -> Comment; raises on a bad shape."""
    sid = status["id"]
    if not isinstance(sid, (str, int)) or not str(sid).isdigit():
        raise ValueError("bad id")
    content = status["content"]
    if not isinstance(content, str):
        raise ValueError("'content' is not text")
    text, links = plain_text(content)
    warning = status.get("spoiler_text")
    if isinstance(warning, str) and warning:
        text = f"{warning}\n\n{text}"  # the content warning is part of what people read
    card = status.get("card")
    if isinstance(card, Mapping) and isinstance(card.get("url"), str) \
            and card["url"] not in {link.url for link in links}:
        links.append(Link(url=card["url"]))
    who = status["account"]
    parent = status.get("in_reply_to_id")
    return Comment(
        platform="mastodon",
        account=account,
        id=str(sid),
        text=text,
        author=Author(id=str(who["id"]), handle=who.get("acct"),
                      name=who.get("display_name") or None,
                      created_at=_time(who["created_at"]) if who.get("created_at") else None),
        created_at=_time(status["created_at"]),
        thread_id=thread or (str(parent) if parent else None),
        parent_id=str(parent) if parent else None,
        permalink=status.get("url") or status.get("uri"),
        links=tuple(links),
        raw=status,
    )


def _time(value: Any) -> datetime:
    """Mastodon.py turns times into datetimes; a raw string is parsed here."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise ValueError("not a date")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class MastodonConnector:
    platform: ClassVar[str] = "mastodon"

    def __init__(self, account: str, options: MastodonOptions, client: Mastodon, *,
                 retry: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep):
        self.account = account
        self.options = options
        self.client = client
        self.retry = retry
        self.sleep = sleep
        self.where = f"mastodon {account}"
        # Hide and delete: not for someone else's post. Ban: block, or the admin action.
        self.capabilities = Capabilities(hide=False, delete=False, ban=True, approve=False,
                                         report=True)
        self._me: str | None = None

    # -- configuration -----------------------------------------------------------------------
    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> MastodonOptions:
        r = OptionReader(table, path)
        page_size = r.number("page_size", NOTIFICATIONS_MAX, minimum=1, integer=True)
        if page_size > NOTIFICATIONS_MAX:
            r.problem("page_size", f"Mastodon returns at most {NOTIFICATIONS_MAX} notifications "
                                   "a page")
        ban_action = r.str("ban_action", "block")
        if ban_action not in BAN_ACTIONS:
            r.problem("ban_action", f"expected one of {', '.join(BAN_ACTIONS)}, "
                                    f"got {ban_action!r}")
        watch_posts = r.number("watch_posts", 20, minimum=0, integer=True)
        if watch_posts > STATUSES_MAX:
            r.problem("watch_posts", f"Mastodon returns at most {STATUSES_MAX} posts a page")
        options = MastodonOptions(
            watch_posts=min(watch_posts, STATUSES_MAX),
            page_size=min(page_size, NOTIFICATIONS_MAX),
            ban_action=ban_action if ban_action in BAN_ACTIONS else "block",
            report_forward=r.bool("report_forward", True),
            lookback_days=r.number("lookback_days", 7, minimum=0, integer=True),
            timeout=r.number("timeout", 15.0, minimum=0.1))
        r.finish()
        return options

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *,
             retry: RetryPolicy = RetryPolicy(),
             sleep: Callable[[float], None] = time.sleep) -> "MastodonConnector":
        token = secrets.get("access_token")
        if not token:
            raise ConfigError(f"accounts.{account.name}.secrets.access_token: required for "
                              "Mastodon (an access token with read:notifications, "
                              "read:statuses, read:accounts, write:blocks, write:mutes, "
                              "write:reports; admin:write:accounts for ban_action suspend or "
                              "silence)")
        if not account.api_base:
            raise ConfigError(f"accounts.{account.name}.api_base: required for Mastodon (the "
                              "instance, e.g. https://mastodon.social)")
        from mastodon import Mastodon

        options: MastodonOptions = account.options
        client = Mastodon(api_base_url=account.api_base, ratelimit_method="throw",
                          request_timeout=options.timeout, version_check_mode="none",
                          user_agent="moderator")
        client.access_token = token  # after construction: never read as a file name
        if is_loopback(account.api_base):
            client.session.trust_env = False  # no proxy between us and a local server
        return cls(account.name, options, client, retry=retry, sleep=sleep)

    # -- errors --------------------------------------------------------------------------------
    def _call(self, what: str, call: Callable[[], T], *,
              forbidden: type[ConnectorError] = ConnectorError,
              missing: type[ConnectorError] = ConnectorError) -> T:
        label = f"{self.where}: {what}"
        return call_with_retry(lambda: self._translate(label, call, forbidden, missing),
                               what=label, policy=self.retry, sleep=self.sleep)

    def _translate(self, label: str, call: Callable[[], T], forbidden: type[ConnectorError],
                   missing: type[ConnectorError] = ConnectorError) -> T:
        import mastodon as mastodon_py

        try:
            return call()
        except mastodon_py.MastodonRatelimitError:
            reset = self.client.ratelimit_reset
            wait = max(0.0, reset - time.time()) if reset else None
            raise RateLimited(f"{label}: 429 Too Many Requests", retry_after=wait) from None
        except mastodon_py.MastodonUnauthorizedError:
            raise AuthFailed(f"{label}: 401 Unauthorized (token expired, revoked or wrong; "
                             "renew the account's secrets)") from None
        except mastodon_py.MastodonServerError as e:
            raise TransientError(f"{label}: HTTP {_status(e)}") from None
        except mastodon_py.MastodonNetworkError as e:
            raise TransientError(f"{label}: {type(e).__name__}") from None
        except mastodon_py.MastodonAPIError as e:
            status = _status(e)
            if status is None:  # a body that is not JSON
                raise TransientError(f"{label}: unreadable response") from None
            kind = {403: forbidden, 404: missing}.get(status, ConnectorError)
            detail = str(e.args[3])[:200] if len(e.args) > 3 and e.args[3] else ""
            raise kind(f"{label}: HTTP {status}{': ' + detail if detail else ''}") from None

    # -- reading -------------------------------------------------------------------------------
    def me(self) -> str:
        if self._me is None:
            found = self._call("who am I", self.client.account_verify_credentials)
            if not isinstance(found, Mapping) or found.get("id") is None:
                raise TransientError(f"{self.where}: who am I: no account id in the answer")
            self._me = str(found["id"])
        return self._me

    def _get(self, endpoint: str, params: Mapping[str, Any]) -> Any:
        """A GET through Mastodon.py's request machinery (authorization, rate-limit headers,
        its errors), answered as the JSON came. The public methods cast every entity into
        Mastodon.py's typed objects, which took 27 times the HTTP time per status
        (bench/social.md); the connector checks each item itself. Mastodon.py is pinned
        below 3 for this name."""
        request = self.client._Mastodon__api_request  # type: ignore[attr-defined]
        return request("GET", endpoint, {k: v for k, v in params.items() if v is not None},
                       override_type=dict)

    def _notified(self, after: str | None, since: datetime | None) -> list[tuple[Any, str]]:
        """Mention notifications newer than ``after`` (or back to ``since``), newest first:
        (the raw status, the notification id)."""
        found: list[tuple[Any, str]] = []
        max_id: str | None = None
        for _ in range(MAX_PAGES):
            page = self._call("mentions", lambda m=max_id: self._get(
                "/api/v1/notifications", {"types[]": ["mention"], "since_id": after,
                                          "max_id": m, "limit": self.options.page_size}))
            if not isinstance(page, list) or not page:
                break
            for note in page:
                found.append((note.get("status") if isinstance(note, Mapping) else None,
                              str(note.get("id")) if isinstance(note, Mapping) else "?"))
            oldest = page[-1]
            max_id = str(oldest.get("id")) if isinstance(oldest, Mapping) else None
            if max_id is None or (since is not None and _older(oldest, since)):
                break
        return found

    def _thread_replies(self, me: str) -> list[tuple[Any, str]]:
        """Replies in the threads of the account's latest posts: (raw status, root id)."""
        if not self.options.watch_posts:
            return []
        posts = self._call("the account's latest posts", lambda: self._get(
            f"/api/v1/accounts/{me}/statuses", {"exclude_replies": "true",
                                                "exclude_reblogs": "true",
                                                "limit": self.options.watch_posts}))
        found: list[tuple[Any, str]] = []
        for post in posts or ():
            root = str(post["id"])
            context = self._call(f"replies to {root}",
                                 lambda r=root: self._get(f"/api/v1/statuses/{r}/context", {}))
            found.extend((status, root) for status in context.get("descendants") or ())
        return found

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        state = cursors.decode(cursor, SOURCES, where=self.where)
        if cursor is None and since is None and self.options.lookback_days:
            # A first poll reads back this far, not the account's whole history.
            since = datetime.now(timezone.utc) - timedelta(days=self.options.lookback_days)
        me = self.me()
        backfill = since is not None or until is not None
        found: dict[str, Comment] = {}
        bad: set[str] = set()  # malformed, by id: the same status may come from both sources
        delivered: set[str] = set()  # by an earlier batch of this fetch
        reported: set[str] = set()  # malformed ones an earlier batch counted
        if state["notifications"] and not backfill:
            # Resuming: page forward from the mark, a batch per page, so that what is read is
            # committed as it comes (a crash or a rate limit mid-way keeps the progress).
            for notes, newest in self._newer(state["notifications"]):
                page: dict[str, Comment] = {}
                page_bad: set[str] = set()
                for status in notes:
                    self._take(page, page_bad, status, None, me, since, until, None)
                state["notifications"] = newest
                delivered.update(page)
                bad.update(page_bad)
                reported.update(page_bad)
                yield Batch(tuple(sorted(page.values(), key=_order)),
                            cursors.encode(state), len(page_bad))
        else:
            for status, note_id in self._notified(None, since):
                if note_id.isdigit() and int(note_id) > int(state["notifications"] or 0):
                    state["notifications"] = note_id
                self._take(found, bad, status, None, me, since, until, None)
        newest_reply = int(state["replies"] or 0)
        for status, root in self._thread_replies(me):
            sid = str(status.get("id", "")) if isinstance(status, Mapping) else ""
            if sid not in delivered and sid not in reported:
                self._take(found, bad, status, root, me, since, until,
                           None if backfill else state["replies"])
            if sid.isdigit():
                newest_reply = max(newest_reply, int(sid))
        if newest_reply:
            state["replies"] = str(newest_reply)
        skipped = len(bad - reported)
        comments = sorted(found.values(), key=_order)
        for start in range(0, max(len(comments), 1), self.options.page_size):
            last = start + self.options.page_size >= len(comments)
            yield Batch(tuple(comments[start:start + self.options.page_size]),
                        cursors.encode(state) if last else cursor, skipped if last else 0)

    def _newer(self, after: str) -> Iterator[tuple[list[Any], str]]:
        """Mention notifications newer than ``after``, a page at a time, oldest page first:
        (the statuses oldest first, the page's newest notification id)."""
        for _ in range(MAX_PAGES):
            page = self._call("mentions", lambda a=after: self._get(
                "/api/v1/notifications", {"types[]": ["mention"], "min_id": a,
                                          "limit": self.options.page_size}))
            notes = [n for n in page if isinstance(n, Mapping)] if isinstance(page, list) else []
            ids = [str(n.get("id")) for n in notes if str(n.get("id")).isdigit()]
            if not ids:
                return
            after = max(ids, key=int)
            yield [n.get("status") for n in reversed(notes)], after

    def _take(self, found: dict[str, Comment], bad: set[str], status: Any, root: str | None,
              me: str, since: datetime | None, until: datetime | None,
              after: str | None) -> None:
        """Add the status as a comment unless it is ours, out of range or seen; a malformed
        one is logged with its id and counted in ``bad``."""
        sid = str(status.get("id")) if isinstance(status, Mapping) else "?"
        if sid in found or sid in bad or (after and sid.isdigit() and int(sid) <= int(after)):
            return
        try:
            comment = comment_from_status(status, account=self.account, thread=root)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            logger.warning("%s: skipped malformed status %s (%s)", self.where, sid[:40],
                           type(e).__name__)
            bad.add(sid)
            return
        if comment.author.id != me and cursors.in_range(comment.created_at, since, until):
            found[sid] = comment

    # -- actions ---------------------------------------------------------------------------------
    def hide(self, comment: Comment) -> None:
        raise UnsupportedAction(f"{self.where}: Mastodon cannot hide another account's post "
                                f"({comment.id}); review it, then report or block")

    def unhide(self, comment: Comment) -> None:
        raise UnsupportedAction(f"{self.where}: nothing to unhide on Mastodon ({comment.id})")

    def delete(self, comment: Comment) -> None:
        raise UnsupportedAction(f"{self.where}: Mastodon cannot delete another account's post "
                                f"({comment.id}); report it to the moderators instead")

    def ban(self, comment: Comment) -> None:
        author = self._author(comment)
        if self.options.ban_action == "block":
            self._call(f"block the author of {comment.id}",
                       lambda: self.client.account_block(author))
        else:
            self._call(f"{self.options.ban_action} the author of {comment.id}",
                       lambda: self.client.admin_account_moderate(
                           author, action=self.options.ban_action),
                       forbidden=UnsupportedAction)

    def moderation_state(self, comment: Comment) -> ItemState:
        """Never hidden (nobody can hide another's post); deleted when the instance no longer
        finds the status (its author or a moderator removed it)."""
        try:
            self._call(f"state of {comment.id}",
                       lambda: self._get(f"/api/v1/statuses/{comment.id}", {}), missing=_Gone)
        except _Gone:
            return ItemState(hidden=False, deleted=True)
        return ItemState(hidden=False, deleted=False)

    def mute(self, comment: Comment) -> None:
        """The author's posts no longer reach the account (they are told nothing)."""
        author = self._author(comment)
        self._call(f"mute the author of {comment.id}", lambda: self.client.account_mute(author))

    def report(self, comment: Comment, reason: str, category: str = "other") -> None:
        """Report the post to the instance's moderators (and, for a remote author, to theirs
        when ``report_forward``)."""
        if category not in REPORT_CATEGORIES:
            raise ValueError(f"report category {category!r} not in {REPORT_CATEGORIES}")
        author = self._author(comment)
        self._call(f"report {comment.id}", lambda: self.client.report(
            author, status_ids=[comment.id], comment=reason[:1000],
            forward=self.options.report_forward, category=category))

    def _author(self, comment: Comment) -> str:
        if not comment.author.id:
            raise UnsupportedAction(f"{self.where}: {comment.id} has no author id to act on")
        return comment.author.id


def _order(comment: Comment) -> tuple[Any, int]:
    return comment.created_at, int(comment.id)


def _status(error: Exception) -> int | None:
    return error.args[1] if len(error.args) > 1 and isinstance(error.args[1], int) else None


def _older(note: Any, since: datetime) -> bool:
    try:
        return _time(note["created_at"]) < since
    except (KeyError, ValueError, TypeError):
        return False
