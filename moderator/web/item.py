"""One review item: the comment, its author and their other comments, every finding with its
evidence, the proposed action and what the platform can do; approve, reject, undo."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from moderator import review
from moderator.errors import ModeratorError
from moderator.models import ActionStatus, Capabilities
from moderator.web import verdicts
from moderator.web.auth import role_required
from moderator.web.context import context

logger = logging.getLogger(__name__)
bp = Blueprint("item", __name__)
MAX_NOTE = 500


def capabilities(platform: str, account: str) -> Capabilities | None:
    """What the platform lets us do: the connector class says, or an opened connector (no
    network: connectors only talk to the platform when asked to fetch or act)."""
    from connectors import CONNECTORS

    found = getattr(CONNECTORS.get(platform), "capabilities", None)
    if isinstance(found, Capabilities):
        return found
    try:
        return context().connect(account).capabilities
    except Exception as e:  # a missing secret must not hide the page
        logger.info("web: capabilities of %s unknown: %s", account, e)
        return None


def _item_and_comment(item_id: int) -> tuple[dict[str, Any], Any]:
    try:
        item = review.get_item(g.store, item_id)
    except review.ReviewError:
        abort(404, f"review item {item_id} does not exist")
    return item, g.store.load_comment(item["comment_uid"])


@bp.route("/items/<int:item_id>")
def show(item_id: int) -> Any:
    item, comment = _item_and_comment(item_id)
    return render_template(
        "item.html", item=item, comment=comment,
        findings=g.store.findings_for(item["comment_uid"]),
        trail=g.store.actions_for(item["comment_uid"]),
        others=g.store.author_comments(item["platform"], comment.author.id if comment else None,
                                       item["comment_uid"]),
        in_effect=g.store.actions_in_effect(item["comment_uid"]),
        can=capabilities(item["platform"], item["account"]),
        dry_run=verdicts.is_dry_run(item["account"]),
        four_eyes=verdicts.settings().review.four_eyes,
        message=verdicts.message(request.args))


@bp.route("/items/<int:item_id>/explain")
def explain(item_id: int) -> Any:
    """What `moderator explain --id` says, judged again now (read-only: nothing is written)."""
    from moderator import readonly
    from moderator.explain import explain as explain_comment

    item, comment = _item_and_comment(item_id)
    db = readonly.open_readonly(verdicts.settings().store_path)
    try:
        explanation = explain_comment(verdicts.settings(), comment, db=db)
    finally:
        db.close()
    return render_template("explain.html", item=item, x=explanation)


def _note() -> str:
    return " ".join(request.form.get("note", "").split())[:MAX_NOTE]


def _after(item_id: int, done: str) -> Any:
    """Back to the inbox when the verdict came from it (keyboard triage), else the item."""
    if request.form.get("from") == "inbox":
        return redirect(url_for("inbox.inbox", done=done))
    return redirect(url_for("item.show", item_id=item_id, done=done))


def _failed(item_id: int, error: ModeratorError) -> Any:
    return render_template("error.html", error={"code": 409, "description": str(error)},
                           back=url_for("item.show", item_id=item_id)), 409


@bp.route("/items/<int:item_id>/approve", methods=["POST"])
@role_required("reviewer")
def approve(item_id: int) -> Any:
    try:
        verdict = verdicts.approve(item_id)
    except ModeratorError as e:
        return _failed(item_id, e)
    if verdict.status == "awaiting-second":
        done = "awaiting-second"
    elif verdicts.is_dry_run(review.get_item(g.store, item_id)["account"]) or (
            verdict.result and verdict.result.status is ActionStatus.DRY_RUN):
        done = "approved-dry-run"
    else:
        done = "approved" if verdict.result else "approved-nothing"
    return _after(item_id, done)


@bp.route("/items/<int:item_id>/reject", methods=["POST"])
@role_required("reviewer")
def reject(item_id: int) -> Any:
    try:
        verdicts.reject(item_id, _note())
    except ModeratorError as e:
        return _failed(item_id, e)
    return _after(item_id, "rejected")


@bp.route("/items/<int:item_id>/undo", methods=["POST"])
@role_required("reviewer")
def undo(item_id: int) -> Any:
    try:
        results = verdicts.undo(item_id, _note())
    except ModeratorError as e:
        return _failed(item_id, e)
    if not any(r.status is ActionStatus.UNDONE for r in results):
        detail = "; ".join(f"{r.action.value}: {r.detail}" for r in results)
        return _failed(item_id, review.ReviewError(f"nothing was undone ({detail})"))
    return redirect(url_for("item.show", item_id=item_id, done="undone"))
