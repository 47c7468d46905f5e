"""Instagram professional accounts (Instagram Graph API through facebook-sdk): media and
comments; hide, unhide, delete.

Reading: the account's ``media`` newest first, back to ``lookback_days`` before now (or before
``since``); for each media with comments, its comments with their ``replies`` expanded inline
(a long reply thread is paged through ``/{comment-id}/replies``). The API documents no order for
comments, so every comment of a watched media is read and filtered by the cursor (the newest
``timestamp`` delivered plus the ids delivered in the two minutes before it). Comments have no permalink of their own:
``permalink`` is the media's.

Writing: hide/unhide is ``POST /{comment-id}`` with ``hide``; delete is ``DELETE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Iterator, Mapping

from connectors.base import Batch
from connectors.graph import GraphOptions, read_graph_options, str_or_none
from connectors.graph_connector import GraphConnector, comment_parts, in_window
from connectors.watermark import Watermark, in_batches, parse_time
from moderator.models import Author, Comment
from moderator.options import OptionReader

MEDIA_FIELDS = "id,timestamp,permalink,comments_count"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},hidden,parent_id"
COMMENT_FIELDS = f"id,text,timestamp,username,from{{id,username}},hidden,replies{{{REPLY_FIELDS}}}"


@dataclass(frozen=True, slots=True)
class InstagramOptions:
    ig_user_id: str
    graph: GraphOptions = GraphOptions()


class InstagramConnector(GraphConnector):
    platform: ClassVar[str] = "instagram"
    parent_kind: ClassVar[str] = "media"
    hidden_field: ClassVar[str] = "hide"
    hidden_read_field: ClassVar[str] = "hidden"
    token_needs: ClassVar[str] = "an access token with instagram_manage_comments is required"
    no_ban: ClassVar[str] = "banning is not supported on Instagram"
    options: InstagramOptions

    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> InstagramOptions:
        r = OptionReader(table, path)
        user_id = r.str("ig_user_id")
        if isinstance(user_id, str) and not user_id.strip():
            r.problem("ig_user_id", "must name the Instagram professional account's id")
        graph = read_graph_options(r)
        r.finish()
        return InstagramOptions(ig_user_id=user_id or "", graph=graph)

    # -- reading ---------------------------------------------------------------------------

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        mark = Watermark.parse(cursor, self.where)
        now = datetime.now(timezone.utc)
        oldest_media = (since or now) - timedelta(days=self.options.graph.lookback_days)
        found: list[Comment] = []
        skipped = 0
        for media in self._media(oldest_media, until):
            for item in self._comment_items(media):
                comment = self._comment_or_none(item, media)
                if comment is None:
                    skipped += 1
                    continue
                when = comment.created_at
                if in_window(when, since, until) and mark.is_new(when, comment.id):
                    found.append(comment)
        yield from in_batches(found, mark, skipped)

    def _media(self, oldest: datetime, until: datetime | None) -> Iterator[dict[str, Any]]:
        media = self._parents(self.options.ig_user_id, "media", MEDIA_FIELDS, "timestamp",
                              oldest, until)
        # Nothing to read under a media without comments: saves a request per quiet post.
        return (m for m in media if m.get("comments_count") != 0)

    def _comment_items(self, media: Mapping[str, Any]) -> Iterator[Any]:
        """Top-level comments, each followed by its replies (raw API items)."""
        size = self.options.graph.page_size
        for data in self.client.pages(media["id"], "comments", fields=COMMENT_FIELDS, limit=size):
            for item in data:
                yield item
                replies = item.get("replies") if isinstance(item, dict) else None
                if not isinstance(replies, dict):
                    continue
                paging = replies.get("paging")
                if isinstance(paging, dict) and paging.get("next"):
                    # More replies than the expansion inlines: read the whole thread.
                    for more in self.client.pages(str(item["id"]), "replies", fields=REPLY_FIELDS,
                                                  limit=size):
                        yield from more
                elif isinstance(replies.get("data"), list):
                    yield from replies["data"]

    def _to_comment(self, item: Any, media: Mapping[str, Any]) -> Comment:
        cid, text, who = comment_parts(item, "text")
        handle = who.get("username") or item.get("username")
        return Comment(
            platform=self.platform, account=self.account, id=cid, text=text,
            author=Author(id=str_or_none(who.get("id")), handle=str_or_none(handle)),
            created_at=parse_time(item["timestamp"]),
            thread_id=str(media["id"]), parent_id=str_or_none(item.get("parent_id")),
            permalink=str_or_none(media.get("permalink")),
            raw={k: v for k, v in item.items() if k != "replies"},  # replies come on their own
        )
