"""Facebook Pages: the Page's posts, their comments and replies; hide, unhide, delete.

Reading: the Page's ``posts`` (or ``feed``, which adds visitors' posts) newest first, back to
``lookback_days`` before now (or before ``since`` for a backfill); for each post its comments
and replies in one flat list (``filter=stream``), newest first (``order=reverse_chronological``),
stopping at the first comment older than the cursor. The cursor is the newest ``created_time``
delivered plus the ids delivered in the two minutes before it (see ``watermark.Watermark``).

Writing: hide/unhide is ``POST /{comment-id}`` with ``is_hidden``; delete is ``DELETE``. Deleting
a comment that is already gone counts as done. Pages cannot ban through this API here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Iterator, Mapping

from connectors.base import Batch
from connectors.graph import (GraphOptions, read_graph_options, str_or_none,
                              unwrap_facebook_link)
from connectors.graph_connector import GraphConnector, comment_parts, in_window
from connectors.watermark import Watermark, in_batches, parse_time
from moderator.models import Author, Comment, Link
from moderator.options import OptionReader

COMMENT_FIELDS = ("id,from{id,name},message,created_time,permalink_url,parent{id},"
                  "attachment{type,url,title,target{url}},is_hidden")
POST_FIELDS = "id,created_time,permalink_url"


@dataclass(frozen=True, slots=True)
class FacebookOptions:
    page_id: str
    edge: str = "posts"  # posts: the Page's own posts | feed: also visitors' posts
    graph: GraphOptions = GraphOptions()


class FacebookConnector(GraphConnector):
    platform: ClassVar[str] = "facebook"
    parent_kind: ClassVar[str] = "post"
    hidden_field: ClassVar[str] = "is_hidden"
    hidden_read_field: ClassVar[str] = "is_hidden"
    token_needs: ClassVar[str] = "a Page access token is required"
    no_ban: ClassVar[str] = "banning is not supported for Facebook Pages"
    options: FacebookOptions

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
        return self._parents(self.options.page_id, self.options.edge, POST_FIELDS, "created_time",
                             oldest, until)

    def _comments(self, post: Mapping[str, Any], floor: datetime, mark: Watermark,
                  since: datetime | None, until: datetime | None) -> tuple[list[Comment], int]:
        found: list[Comment] = []
        skipped = 0
        for data in self.client.pages(post["id"], "comments", fields=COMMENT_FIELDS,
                                      filter="stream", order="reverse_chronological",
                                      limit=self.options.graph.page_size):
            older_seen = False
            for item in data:
                comment = self._comment_or_none(item, post)
                if comment is None:
                    skipped += 1
                    continue
                when = comment.created_at
                if when < floor:
                    older_seen = True
                    continue
                if in_window(when, since, until) and mark.is_new(when, comment.id):
                    found.append(comment)
            if older_seen:
                break  # newest first: the remaining pages are older than the floor
        return found, skipped

    def _to_comment(self, item: Any, post: Mapping[str, Any]) -> Comment:
        cid, text, who = comment_parts(item, "message")
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
