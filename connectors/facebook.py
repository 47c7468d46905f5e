"""Facebook Pages: the Page's posts, their comments and replies; hide, unhide, delete.

Reading: the Page's ``posts`` (or ``feed``, which adds visitors' posts) newest first, back to
``lookback_days`` before now (or before ``since`` for a backfill); for each post its comments
and replies in one flat list (``filter=stream``), newest first (``order=reverse_chronological``),
stopping at the first comment older than the cursor. The cursor is the newest ``created_time``
delivered plus the ids delivered in the two minutes before it (see ``graph.Watermark``).

Writing: hide/unhide is ``POST /{comment-id}`` with ``is_hidden``; delete is ``DELETE``. Deleting
a comment that is already gone counts as done. Pages cannot ban through this API here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, ClassVar, Iterator, Mapping

from connectors.base import Batch, Capabilities
from connectors.graph import (GraphClient, GraphOptions, Watermark, id_of, in_batches,
                              parse_time, read_graph_options, str_or_none, unwrap_facebook_link)
from connectors.retry import RetryPolicy
from moderator.errors import ConfigError, UnsupportedAction
from moderator.models import Author, Comment, Link
from moderator.options import OptionReader

logger = logging.getLogger(__name__)

COMMENT_FIELDS = ("id,from{id,name},message,created_time,permalink_url,parent{id},"
                  "attachment{type,url,title,target{url}},is_hidden")
POST_FIELDS = "id,created_time,permalink_url"


@dataclass(frozen=True, slots=True)
class FacebookOptions:
    page_id: str
    edge: str = "posts"  # posts: the Page's own posts | feed: also visitors' posts
    graph: GraphOptions = GraphOptions()


class FacebookConnector:
    platform: ClassVar[str] = "facebook"
    capabilities = Capabilities(hide=True, delete=True)

    def __init__(self, account: str, options: FacebookOptions, client: GraphClient):
        self.account = account
        self.options = options
        self.client = client
        self.where = f"facebook {account}"

    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> FacebookOptions:
        r = OptionReader(table, path)
        page_id = r.str("page_id")
        if isinstance(page_id, str) and not page_id.strip():
            r.problem("page_id", "must name the Page's id")
        edge = r.str("edge", "posts")
        if edge not in ("posts", "feed"):
            r.problem("edge", f"unknown value {edge!r}; expected 'posts' or 'feed'")
        graph = read_graph_options(r)
        r.finish()
        return FacebookOptions(page_id=page_id or "", edge=edge, graph=graph)

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *, retry: RetryPolicy | None = None,
             sleep: Callable[[float], None] = time.sleep) -> "FacebookConnector":
        token = secrets.get("access_token")
        if not token:
            raise ConfigError(f"accounts.{account.name}.secrets.access_token: a Page access "
                              "token is required")
        options: FacebookOptions = account.options
        client = GraphClient(where=f"facebook {account.name}", token=token,
                             api_base=account.api_base, options=options.graph, retry=retry,
                             sleep=sleep)
        return cls(account.name, options, client)

    # -- reading ---------------------------------------------------------------------------

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        mark = Watermark.parse(cursor, self.where)
        now = datetime.now(timezone.utc)
        lookback = timedelta(days=self.options.graph.lookback_days)
        oldest_post = (since or now) - lookback
        # Comments older than this need not be read: the cursor or the backfill start.
        floor = max(t for t in (since, mark.floor, oldest_post) if t is not None)
        found: list[Comment] = []
        skipped = 0
        for post in self._posts(oldest_post, until):
            comments, bad = self._comments(post, floor, mark, since, until)
            found.extend(comments)
            skipped += bad
        yield from in_batches(found, mark, skipped)

    def _posts(self, oldest: datetime, until: datetime | None) -> Iterator[dict[str, Any]]:
        size = self.options.graph.page_size
        for data in self.client.pages(self.options.page_id, self.options.edge,
                                      fields=POST_FIELDS, limit=size):
            for post in data:
                try:
                    created = parse_time(post["created_time"])
                    post_id = str(post["id"])
                except (TypeError, KeyError, ValueError):
                    logger.warning("%s: skipped a malformed post %r", self.where,
                                   id_of(post))
                    continue
                if until is not None and created >= until:
                    continue  # newer than the backfill window: no comment in it can be older
                if created < oldest:
                    return  # newest first: everything after this is older still
                yield {**post, "id": post_id}

    def _comments(self, post: Mapping[str, Any], floor: datetime, mark: Watermark,
                  since: datetime | None, until: datetime | None) -> tuple[list[Comment], int]:
        found: list[Comment] = []
        skipped = 0
        for data in self.client.pages(post["id"], "comments", fields=COMMENT_FIELDS,
                                      filter="stream", order="reverse_chronological",
                                      limit=self.options.graph.page_size):
            older_seen = False
            for item in data:
                try:
                    comment = self._to_comment(item, post)
                except (TypeError, KeyError, ValueError, AttributeError) as e:
                    logger.warning("%s: skipped malformed comment %r on post %s: %s",
                                   self.where, id_of(item), post["id"], e)
                    skipped += 1
                    continue
                when = comment.created_at
                if when < floor:
                    older_seen = True
                    continue
                if (since is None or when >= since) and (until is None or when < until) \
                        and mark.is_new(when, comment.id):
                    found.append(comment)
            if older_seen:
                break  # newest first: the remaining pages are older than the floor
        return found, skipped

    def _to_comment(self, item: Any, post: Mapping[str, Any]) -> Comment:
        if not isinstance(item, dict):
            raise TypeError(f"expected an object, got {type(item).__name__}")
        cid = item["id"]
        if not isinstance(cid, str) or not cid:
            raise ValueError("missing id")
        text = item.get("message", "")
        if not isinstance(text, str):
            raise TypeError("message is not a string")
        who = item.get("from") or {}
        if not isinstance(who, dict):
            raise TypeError("from is not an object")
        parent = item.get("parent")
        parent_id = parent.get("id") if isinstance(parent, dict) else None
        return Comment(
            platform=self.platform, account=self.account, id=cid, text=text,
            author=Author(id=str_or_none(who.get("id")), name=str_or_none(who.get("name"))),
            created_at=parse_time(item["created_time"]),
            thread_id=str(post["id"]), parent_id=str_or_none(parent_id),
            permalink=str_or_none(item.get("permalink_url")),
            links=_links(item.get("attachment")), raw=item,
        )

    # -- acting ----------------------------------------------------------------------------

    def hide(self, comment: Comment) -> None:
        if not self.client.set_hidden(comment.id, "is_hidden", True):
            logger.info("%s: comment %s was already gone", self.where, comment.id)

    def unhide(self, comment: Comment) -> None:
        self.client.set_hidden(comment.id, "is_hidden", False)

    def delete(self, comment: Comment) -> None:
        if not self.client.delete(comment.id, f"delete {comment.id}"):
            logger.info("%s: comment %s was already gone", self.where, comment.id)

    def ban(self, comment: Comment) -> None:
        raise UnsupportedAction(f"{self.where}: banning is not supported for Facebook Pages")


def _links(attachment: Any) -> tuple[Link, ...]:
    """The link a share attachment points to, unwrapped from l.facebook.com. Photos and
    stickers carry facebook.com media URLs, not links a person shared, so they give none."""
    if not isinstance(attachment, dict) or attachment.get("type") not in (None, "share", "link"):
        return ()
    target = attachment.get("target")
    url = target.get("url") if isinstance(target, dict) else None
    url = url if isinstance(url, str) and url else attachment.get("url")
    if not isinstance(url, str) or not url:
        return ()
    title = attachment.get("title")
    return (Link(url=unwrap_facebook_link(url), display=title if isinstance(title, str) else None),)
