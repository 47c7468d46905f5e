"""The human review queue: list, show, approve, reject, undo.

Approving carries out the proposed action through the platform; rejecting keeps the comment and
records the verdict, after which Moderator never acts on that comment again. Every verdict is
appended to the audit log with the reviewer's name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from connectors.base import Connector
from moderator import actions
from moderator.errors import ModeratorError
from moderator.models import Action, ActionResult, ActionStatus
from moderator.store import Store

logger = logging.getLogger(__name__)


class ReviewError(ModeratorError):
    """A review command that cannot be done (unknown id, already resolved, ...)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    item_id: int
    status: str  # approved | rejected | undone
    result: ActionResult | None = None


def get_item(store: Store, item_id: int) -> dict[str, Any]:
    item = store.queue_item(item_id)
    if item is None:
        raise ReviewError(f"review item {item_id} does not exist")
    return item


def approve(store: Store, item_id: int, reviewer: str,
            connect: Callable[[str], Connector]) -> Verdict:
    """Carry out the proposed action; ``connect(account)`` opens that account's connector."""
    item = get_item(store, item_id)
    if item["status"] != "pending":
        raise ReviewError(f"review item {item_id} is already {item['status']}")
    comment = store.load_comment(item["comment_uid"])
    assert comment is not None  # the queue references comments by foreign key
    action = Action(item["proposed_action"])
    result = None
    if action.destructive:
        result = actions.carry_out(store, connect(item["account"]), comment, action,
                                   actor=reviewer)
        if result.status is ActionStatus.FAILED:
            raise ReviewError(f"review item {item_id}: {action.value} failed: {result.detail}")
    with store.atomic():
        store.resolve_review(item_id, "approved", reviewer)
        store.append_action(comment, Action.REVIEW, ActionStatus.DONE, actor=reviewer,
                            detail=f"approved {action.value}")
    return Verdict(item_id, "approved", result)


def reject(store: Store, item_id: int, reviewer: str, note: str = "") -> Verdict:
    """Keep the comment: the finding was wrong (or not worth acting on)."""
    item = get_item(store, item_id)
    if item["status"] != "pending":
        raise ReviewError(f"review item {item_id} is already {item['status']}")
    comment = store.load_comment(item["comment_uid"])
    assert comment is not None
    with store.atomic():
        store.resolve_review(item_id, "rejected", reviewer, note)
        store.append_action(comment, Action.REVIEW, ActionStatus.DONE, actor=reviewer,
                            detail=f"rejected {item['proposed_action']}" +
                                   (f": {note}" if note else ""))
    return Verdict(item_id, "rejected")
