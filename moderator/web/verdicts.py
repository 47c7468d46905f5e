"""The reviewer's verdicts from the browser: straight calls to ``moderator.review`` with the
logged-in reviewer's name (so the audit log names them), and the fixed sentences the pages
show afterwards (a redirect carries a code, never text someone could forge)."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import g

from moderator import config, review
from moderator.errors import ModeratorError
from moderator.models import ActionResult
from moderator.web.context import context

logger = logging.getLogger(__name__)


def settings() -> config.Settings:
    return context().settings


def is_dry_run(account: str) -> bool:
    """Accounts not in the config count as dry-run: nothing may be carried out for them."""
    try:
        return settings().account(account).mode.value != "enforce"
    except ModeratorError:
        return True


def approve(item_id: int) -> review.Verdict:
    """The web has no override: on a dry-run account approving records, never acts."""
    account = review.get_item(g.store, item_id)["account"]
    return review.approve(g.store, item_id, g.user["name"], context().connect,
                          dry_run=is_dry_run(account), four_eyes=settings().review.four_eyes)


def reject(item_id: int, note: str = "") -> review.Verdict:
    return review.reject(g.store, item_id, g.user["name"], note)


def undo(item_id: int, note: str = "") -> list[ActionResult]:
    return review.undo(g.store, str(item_id), g.user["name"], context().connect, note=note)


def bulk(ids: list[int], verdict: str) -> tuple[int, int]:
    """Each item on its own: one failing (already resolved, a platform error) does not stop
    the others. Returns (done, failed)."""
    done = failed = 0
    for item_id in ids:
        try:
            approve(item_id) if verdict == "approve" else reject(item_id)
            done += 1
        except ModeratorError as e:
            logger.warning("web bulk %s of item %d by %s: %s", verdict, item_id,
                           g.user["name"], e)
            failed += 1
    return done, failed


MESSAGES = {
    "approved": "Approved: the action was carried out.",
    "approved-nothing": "Approved: there was nothing to carry out on the platform.",
    "approved-dry-run": "Approved and recorded. This account is in dry-run mode: nothing was "
                        "carried out on the platform.",
    "awaiting-second": "First approval recorded. Four-eyes mode: a second reviewer must "
                       "approve it before anything is carried out.",
    "rejected": "Rejected: the comment stays; Moderator will not act on it again.",
    "undone": "Undone: the action was reversed on the platform.",
    "bulk-approve": "Approved {n} item(s).",
    "bulk-reject": "Rejected {n} item(s).",
}


def message(args: Mapping[str, str]) -> str | None:
    text = MESSAGES.get(args.get("done", ""))
    if text is None:
        return None
    numbers: dict[str, Any] = {k: _count(args.get(k)) for k in ("n", "failed")}
    text = text.format(**numbers)
    if numbers["failed"]:
        text += f" {numbers['failed']} could not be done (already resolved or failed): " \
                "see each item."
    return text


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 7 else 0
