"""What the Facebook Pages and Instagram connectors share: opening the client, listing the
posts or media to watch, turning raw comment items into Comments (or skipping them), and the
actions (hide and unhide set a field, delete is ``DELETE``, a comment already gone counts as
done). Each platform module says where its comments are and which fields they use."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, Callable, ClassVar, Iterator, Mapping

from connectors.base import Capabilities, ItemState
from connectors.graph import GraphClient, MissingObject, id_of
from connectors.retry import RetryPolicy
from connectors.watermark import parse_time
from moderator.errors import ConfigError, UnsupportedAction
from moderator.models import Comment

logger = logging.getLogger(__name__)


class GraphConnector:
    platform: ClassVar[str]
    capabilities = Capabilities(hide=True, delete=True)
    parent_kind: ClassVar[str]  # what comments hang under: "post", "media"
    hidden_field: ClassVar[str]  # the comment field hide and unhide set
    hidden_read_field: ClassVar[str]  # the comment field that shows it (Facebook is_hidden)
    token_needs: ClassVar[str]  # the missing-token error's request
    no_ban: ClassVar[str]  # why ban is refused

    def __init__(self, account: str, options: Any, client: GraphClient):
        self.account = account
        self.options = options
        self.client = client
        self.where = f"{self.platform} {account}"

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *, retry: RetryPolicy | None = None,
             sleep: Callable[[float], None] = time.sleep) -> "GraphConnector":
        token = secrets.get("access_token")
        if not token:
            raise ConfigError(f"accounts.{account.name}.secrets.access_token: {cls.token_needs}")
        options = account.options
        client = GraphClient(where=f"{cls.platform} {account.name}", token=token,
                             api_base=account.api_base, options=options.graph, retry=retry,
                             sleep=sleep)
        return cls(account.name, options, client)

    # -- reading ---------------------------------------------------------------------------

    def _parents(self, node: str, edge: str, fields: str, time_field: str, oldest: datetime,
                 until: datetime | None) -> Iterator[dict[str, Any]]:
        """The posts or media (newest first) whose comments may fall in the window."""
        for data in self.client.pages(node, edge, fields=fields,
                                      limit=self.options.graph.page_size):
            for parent in data:
                try:
                    created = parse_time(parent[time_field])
                    parent_id = str(parent["id"])
                except (TypeError, KeyError, ValueError):
                    logger.warning("%s: skipped a malformed %s %r", self.where, self.parent_kind,
                                   id_of(parent))
                    continue
                if until is not None and created >= until:
                    continue  # newer than the backfill window: no comment in it can be older
                if created < oldest:
                    return  # newest first: everything after this is older still
                yield {**parent, "id": parent_id}

    def _comment_or_none(self, item: Any, parent: Mapping[str, Any]) -> Comment | None:
        """The item as a Comment, or None (logged with its id) when it is malformed."""
        try:
            return self._to_comment(item, parent)
        except (TypeError, KeyError, ValueError, AttributeError) as e:
            logger.warning("%s: skipped malformed comment %r on %s %s: %s", self.where,
                           id_of(item), self.parent_kind, parent["id"], e)
            return None

    def _to_comment(self, item: Any, parent: Mapping[str, Any]) -> Comment:
        raise NotImplementedError

    # -- acting ----------------------------------------------------------------------------

    def moderation_state(self, comment: Comment) -> ItemState:
        """The comment's hidden field; a comment the API no longer finds is gone."""
        try:
            found = self.client.get(comment.id, fields=self.hidden_read_field)
        except MissingObject:
            return ItemState(hidden=True, deleted=True)
        hidden = found.get(self.hidden_read_field)
        return ItemState(hidden=hidden if isinstance(hidden, bool) else None, deleted=False)

    def hide(self, comment: Comment) -> None:
        if not self.client.set_hidden(comment.id, self.hidden_field, True):
            logger.info("%s: comment %s was already gone", self.where, comment.id)

    def unhide(self, comment: Comment) -> None:
        self.client.set_hidden(comment.id, self.hidden_field, False)

    def delete(self, comment: Comment) -> None:
        if not self.client.delete(comment.id, f"delete {comment.id}"):
            logger.info("%s: comment %s was already gone", self.where, comment.id)

    def ban(self, comment: Comment) -> None:
        raise UnsupportedAction(f"{self.where}: {self.no_ban}")


def comment_parts(item: Any, text_field: str) -> tuple[str, str, dict[str, Any]]:
    """A raw comment item's id, text and ``from`` object, checked (TypeError / ValueError)."""
    if not isinstance(item, dict):
        raise TypeError(f"expected an object, got {type(item).__name__}")
    cid = item["id"]
    if not isinstance(cid, str) or not cid:
        raise ValueError("missing id")
    text = item.get(text_field, "")
    if not isinstance(text, str):
        raise TypeError(f"{text_field} is not a string")
    who = item.get("from") or {}
    if not isinstance(who, dict):
        raise TypeError("from is not an object")
    return cid, text, who


def in_window(when: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or when >= since) and (until is None or when < until)
