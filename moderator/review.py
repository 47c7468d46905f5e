"""The human review queue: list, show, approve, reject, undo.

Approving carries out the proposed action through the platform (planned and applied
through ``moderator.effects``, like the worker's actions); rejecting keeps the comment and
records the verdict, after which Moderator never acts on that comment again. Every verdict is
appended to the audit log with the reviewer's name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from connectors.base import Connector
from moderator import effects
from moderator.errors import ModeratorError
from moderator.models import Action, ActionResult, ActionStatus, Mode, ReviewStatus
from moderator.store import Store

logger = logging.getLogger(__name__)


class ReviewError(ModeratorError):
    """A review command that cannot be done (unknown id, already resolved, ...)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    item_id: int
    status: ReviewStatus  # approved, rejected, or awaiting-second (four-eyes)
    result: ActionResult | None = None


def get_item(store: Store, item_id: int) -> dict[str, Any]:
    item = store.queue_item(item_id)
    if item is None:
        raise ReviewError(f"review item {item_id} does not exist")
    return item


def approve(store: Store, item_id: int, reviewer: str,
            connect: Callable[[str], Connector], *, dry_run: bool,
            four_eyes: bool = False) -> Verdict:
    """Carry out the proposed action; ``connect(account)`` opens that account's connector.

    ``dry_run`` (the item's account is in dry-run mode, and no explicit override): the
    approval is recorded as the reviewer's verdict and the action as decided but not carried
    out; dry-run never acts. Required, so that no caller can forget it.
    In four-eyes mode a destructive action needs two different reviewers: the first approval
    is recorded (status stays pending), the second carries it out.
    """
    item = get_item(store, item_id)
    if item["status"] != ReviewStatus.PENDING:
        raise ReviewError(f"review item {item_id} is already {item['status']}")
    comment = store.load_comment(item["comment_uid"])
    assert comment is not None  # the queue references comments by foreign key
    action = Action(item["proposed_action"])
    if four_eyes and action.destructive:
        first = item.get("first_reviewer")
        if not first:
            with store.atomic():
                store.set_first_reviewer(item_id, reviewer)
                store.append_action(comment, Action.REVIEW, ActionStatus.QUEUED, actor=reviewer,
                                    detail=f"first approval of {action.value}; "
                                           "a second reviewer must approve")
            logger.info("review %d: first approval by %s", item_id, reviewer)
            return Verdict(item_id, ReviewStatus.AWAITING_SECOND)
        if first.casefold() == reviewer.casefold():
            raise ReviewError(f"review item {item_id}: already approved by {first}; four-eyes "
                              "mode needs a different reviewer for the second approval")
    result = None
    if action.on_platform:
        # Planned (or, in dry-run, recorded as decided) before anything is carried out: if
        # this command dies half-way, the daemon finishes the job from the log (and the
        # platform call is idempotent). Dry-run opens no connector and never acts.
        plan = effects.plan_action(comment, action, actor=reviewer,
                                   mode=Mode.DRY_RUN if dry_run else Mode.ENFORCE)
        [result] = effects.apply(store, plan, None if dry_run else connect(item["account"])) \
            or [ActionResult(comment.uid, action, ActionStatus.DRY_RUN,
                             f"account {item['account']} is in dry-run mode: not carried out")]
        if result.status is ActionStatus.FAILED:
            raise ReviewError(f"review item {item_id}: {action.value} failed: {result.detail}")
    with store.atomic():
        store.resolve_review(item_id, ReviewStatus.APPROVED, reviewer)
        store.append_action(comment, Action.REVIEW, ActionStatus.DONE, actor=reviewer,
                            detail=f"approved {action.value}"
                                   + (" (dry-run: not carried out)" if dry_run else ""))
    logger.info("review %d: approved %s by %s", item_id, action.value, reviewer)
    return Verdict(item_id, ReviewStatus.APPROVED, result)


def reject(store: Store, item_id: int, reviewer: str, note: str = "") -> Verdict:
    """Keep the comment: the finding was wrong (or not worth acting on)."""
    item = get_item(store, item_id)
    if item["status"] != ReviewStatus.PENDING:
        raise ReviewError(f"review item {item_id} is already {item['status']}")
    comment = store.load_comment(item["comment_uid"])
    assert comment is not None
    with store.atomic():
        store.resolve_review(item_id, ReviewStatus.REJECTED, reviewer, note)
        store.append_action(comment, Action.REVIEW, ActionStatus.DONE, actor=reviewer,
                            detail=f"rejected {item['proposed_action']}" +
                                   (f": {note}" if note else ""))
    return Verdict(item_id, ReviewStatus.REJECTED)


def resolve_target(store: Store, target: str, account: str | None = None
                   ) -> tuple[str, dict[str, Any] | None]:
    """A review item id, a comment uid (platform:account:id) or a comment id with its account
    -> (comment uid, review item or None)."""
    if target.isdigit() and account is None:
        item = get_item(store, int(target))
        return item["comment_uid"], item
    uid = target if account is None else store.comment_uid(account, target)
    if uid is None or store.load_comment(uid) is None:
        where = f" in account {account}" if account else ""
        raise ReviewError(f"no comment {target}{where} in the database")
    return uid, store.review_item_for(uid)


def undo(store: Store, target: str, reviewer: str, connect: Callable[[str], Connector], *,
         account: str | None = None, note: str = "") -> list[ActionResult]:
    """Reverse the hide / removal in effect on a comment, where the platform allows it.

    The reviewer's undo is a verdict that the action was wrong: it counts against the rules
    that flagged the comment in ``moderator stats``.
    """
    uid, item = resolve_target(store, target, account)
    comment = store.load_comment(uid)
    assert comment is not None
    in_effect = store.actions_in_effect(uid)
    if not in_effect:
        raise ReviewError(f"{target}: no hide or removal in effect on comment {comment.id}")
    results = effects.apply(store, effects.plan_undo(comment, in_effect, actor=reviewer,
                                                     note=note), connect(comment.account))
    undone = [r for r in results if r.status is ActionStatus.UNDONE]
    if undone and item is not None:
        with store.atomic():
            store.resolve_review(item["id"], ReviewStatus.UNDONE, reviewer, note)
    failed = [r for r in results if r.status is ActionStatus.FAILED]
    if failed and not undone:
        raise ReviewError("; ".join(f"{r.action.value}: {r.detail}" for r in failed))
    return results


def rule_stats(store: Store, since: datetime | None) -> list[dict[str, Any]]:
    """Per rule: flagged, acted on, queued, confirmed, wrong, and reviewer-measured precision
    (confirmed / judged; None when nobody judged a comment it flagged)."""
    rows = store.rule_verdicts(since)
    for row in rows:
        judged = row["confirmed"] + row["wrong"]
        row["precision"] = round(row["confirmed"] / judged, 3) if judged else None
    return rows
