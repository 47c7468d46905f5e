"""Carry a decision out through the connector. Every outcome goes to the log; nothing raises
but a store that cannot be written (a full disk).

The planned action is already in the audit log (written with the batch) before this runs, so
a crash between the two is replayed from the log; the log is checked first so that nothing is
carried out twice.
"""

from __future__ import annotations

import logging

from connectors.base import Connector
from moderator.errors import ConnectorError, RateLimited, StoreError, UnsupportedAction
from moderator.models import Action, ActionResult, ActionStatus, Comment
from moderator.store import Store

logger = logging.getLogger(__name__)

# The connector method reversing each action. ``restore`` is optional: only platforms that can
# bring a removed comment back (Reddit's approve) implement it.
UNDO = {Action.HIDE: "unhide", Action.DELETE: "restore"}


def carry_out(store: Store, connector: Connector, comment: Comment, action: Action, *,
              rule_version: str | None = None, actor: str = "moderator",
              resumed: bool = False) -> ActionResult:
    """``resumed``: the action was left planned by an earlier pass (a crash, or a failure);
    the platform may have applied it already, so its state is asked first."""
    where = f"{comment.platform} {comment.account} {comment.id}"
    status, detail = ActionStatus.FAILED, ""
    try:
        if store.action_done(comment, action):
            status, detail = ActionStatus.SKIPPED, "already done"
        elif resumed and _platform_shows(connector, comment, action, where):
            status, detail = ActionStatus.DONE, "already in effect on the platform"
        else:
            _send(connector, comment, action, actor, where)
            status = ActionStatus.DONE
    except RateLimited as e:
        # "Not now" (a 429, a spent daily quota) is no failure: the action stays planned and a
        # later pass resumes it, however long the wait; a failed row would use up its attempts.
        logger.warning("%s: %s left planned, the platform asks to wait (%s)", where,
                       action.value, e)
        return ActionResult(comment.uid, action, ActionStatus.FAILED, f"left planned: {e}")
    except ConnectorError as e:
        detail = str(e)
    except Exception as e:  # a connector bug must not stop the batch
        logger.exception("%s: %s raised unexpectedly", where, action.value)
        detail = f"{type(e).__name__}: {e}"
    try:
        store.log_action(comment, action, status, rule_version=rule_version, actor=actor,
                         detail=detail)
    except StoreError:
        # It stays planned, so the next pass asks the platform before sending it again (as
        # after a crash). Carrying on would leave every later action of the batch unlogged
        # too: they wait, planned, for a pass that can log them.
        logger.error("%s: %s %s but not logged; the rest of the batch's actions wait",
                     where, action.value, status.value)
        raise
    except Exception:
        logger.exception("%s: could not log %s %s", where, action.value, status.value)
    log = logger.warning if status is ActionStatus.FAILED else logger.info
    log("action %s %s %s: %s %s%s", comment.platform, comment.account, comment.id,
        action.value, status.value, f" ({detail})" if detail else "",
        extra={"platform": comment.platform, "account": comment.account,
               "comment_id": comment.id, "action": action.value, "status": status.value})
    return ActionResult(comment.uid, action, status, detail)


def _send(connector: Connector, comment: Comment, action: Action, actor: str, where: str) -> None:
    if action is Action.REPORT:
        report = getattr(connector, "report", None)
        if not callable(report):
            raise UnsupportedAction(f"{where}: {comment.platform} takes no reports")
        report(comment, f"Reported by {actor} for the moderators of {comment.account}: it breaks "
                        f"the page's rules (reviewed with Moderator)")
        return
    method = {Action.HIDE: "hide", Action.DELETE: "delete", Action.BAN: "ban"}.get(action)
    if method is None:
        raise UnsupportedAction(f"{where}: {action.value} is not a platform action")
    getattr(connector, method)(comment)


def _platform_shows(connector: Connector, comment: Comment, action: Action, where: str) -> bool:
    """Whether the platform shows the action in effect; when it cannot be asked, False (the
    action is sent, and a platform treats a repeat as a no-op)."""
    ask = getattr(connector, "moderation_state", None)
    if not callable(ask):
        return False
    try:
        return ask(comment).shows(action)
    except ConnectorError as e:
        logger.info("%s: could not read its state before resuming %s (%s)", where,
                    action.value, e)
        return False


def undo(store: Store, connector: Connector, comment: Comment, action: Action, *,
         actor: str, note: str = "") -> ActionResult:
    """Reverse a hide (unhide), or a removal where the connector can ``restore``. Bans and
    true deletions cannot be undone through the platforms."""
    where = f"{comment.platform} {comment.account} {comment.id}"
    if action not in UNDO or not callable(getattr(connector, UNDO[action], None)):
        return ActionResult(comment.uid, action, ActionStatus.FAILED,
                            f"{action.value} cannot be undone on {comment.platform}")
    if not store.action_done(comment, action):
        return ActionResult(comment.uid, action, ActionStatus.SKIPPED, "not in effect")
    try:
        getattr(connector, UNDO[action])(comment)
    except Exception as e:
        detail = str(e) if isinstance(e, ConnectorError) else f"{type(e).__name__}: {e}"
        logger.warning("undo %s: %s failed (%s)", where, action.value, detail)
        return ActionResult(comment.uid, action, ActionStatus.FAILED, detail)
    store.log_action(comment, action, ActionStatus.UNDONE, actor=actor, detail=note)
    logger.info("undo %s: %s undone by %s", where, action.value, actor)
    return ActionResult(comment.uid, action, ActionStatus.UNDONE)
