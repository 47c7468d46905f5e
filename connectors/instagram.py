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

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, ClassVar, Iterator, Mapping

from connectors.base import Batch, Capabilities
from connectors.graph import (GraphClient, GraphOptions, Watermark, id_of, in_batches,
                              parse_time, read_graph_options, str_or_none)
from connectors.retry import RetryPolicy
from moderator.errors import ConfigError, UnsupportedAction
from moderator.models import Author, Comment
from moderator.options import OptionReader

logger = logging.getLogger(__name__)

MEDIA_FIELDS = "id,timestamp,permalink,comments_count"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},hidden,parent_id"
COMMENT_FIELDS = f"id,text,timestamp,username,from{{id,username}},hidden,replies{{{REPLY_FIELDS}}}"


@dataclass(frozen=True, slots=True)
class InstagramOptions:
    ig_user_id: str
    graph: GraphOptions = GraphOptions()


class InstagramConnector:
    platform: ClassVar[str] = "instagram"
    capabilities = Capabilities(hide=True, delete=True)

    def __init__(self, account: str, options: InstagramOptions, client: GraphClient):
        self.account = account
        self.options = options
        self.client = client
        self.where = f"instagram {account}"

    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> InstagramOptions:
        r = OptionReader(table, path)
        user_id = r.str("ig_user_id")
        if isinstance(user_id, str) and not user_id.strip():
            r.problem("ig_user_id", "must name the Instagram professional account's id")
        graph = read_graph_options(r)
        r.finish()
        return InstagramOptions(ig_user_id=user_id or "", graph=graph)

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *, retry: RetryPolicy | None = None,
             sleep: Callable[[float], None] = time.sleep) -> "InstagramConnector":
        token = secrets.get("access_token")
        if not token:
            raise ConfigError(f"accounts.{account.name}.secrets.access_token: an access token "
                              "with instagram_manage_comments is required")
        options: InstagramOptions = account.options
        client = GraphClient(where=f"instagram {account.name}", token=token,
                             api_base=account.api_base, options=options.graph, retry=retry,
                             sleep=sleep)
        return cls(account.name, options, client)

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
                try:
                    comment = self._to_comment(item, media)
                except (TypeError, KeyError, ValueError, AttributeError) as e:
                    logger.warning("%s: skipped malformed comment %r on media %s: %s",
                                   self.where, id_of(item), media["id"], e)
                    skipped += 1
                    continue
                when = comment.created_at
                if (since is None or when >= since) and (until is None or when < until) \
                        and mark.is_new(when, comment.id):
                    found.append(comment)
        yield from in_batches(found, mark, skipped)

    def _media(self, oldest: datetime, until: datetime | None) -> Iterator[dict[str, Any]]:
        for data in self.client.pages(self.options.ig_user_id, "media", fields=MEDIA_FIELDS,
                                      limit=self.options.graph.page_size):
            for media in data:
                try:
                    created = parse_time(media["timestamp"])
                    media_id = str(media["id"])
                except (TypeError, KeyError, ValueError):
                    logger.warning("%s: skipped a malformed media %r", self.where, id_of(media))
                    continue
                if until is not None and created >= until:
                    continue
                if created < oldest:
                    return  # newest first
                if media.get("comments_count") == 0:
                    continue  # nothing to read: saves a request per quiet post
                yield {**media, "id": media_id}

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
        if not isinstance(item, dict):
            raise TypeError(f"expected an object, got {type(item).__name__}")
        cid = item["id"]
        if not isinstance(cid, str) or not cid:
            raise ValueError("missing id")
        text = item.get("text", "")
        if not isinstance(text, str):
            raise TypeError("text is not a string")
        who = item.get("from") or {}
        if not isinstance(who, dict):
            raise TypeError("from is not an object")
        handle = who.get("username") or item.get("username")
        return Comment(
            platform=self.platform, account=self.account, id=cid, text=text,
            author=Author(id=str_or_none(who.get("id")), handle=str_or_none(handle)),
            created_at=parse_time(item["timestamp"]),
            thread_id=str(media["id"]), parent_id=str_or_none(item.get("parent_id")),
            permalink=str_or_none(media.get("permalink")),
            raw={k: v for k, v in item.items() if k != "replies"},  # replies come on their own
        )

    # -- acting ----------------------------------------------------------------------------

    def hide(self, comment: Comment) -> None:
        if not self.client.set_hidden(comment.id, "hide", True):
            logger.info("%s: comment %s was already gone", self.where, comment.id)

    def unhide(self, comment: Comment) -> None:
        self.client.set_hidden(comment.id, "hide", False)

    def delete(self, comment: Comment) -> None:
        if not self.client.delete(comment.id, f"delete {comment.id}"):
            logger.info("%s: comment %s was already gone", self.where, comment.id)

    def ban(self, comment: Comment) -> None:
        raise UnsupportedAction(f"{self.where}: banning is not supported on Instagram")
