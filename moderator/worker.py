"""One pass over one account: fetch -> pipeline -> policy -> record -> act.

The daemon and the one-shot backfill share this loop (as rq's ``work(burst=...)`` does). The
order inside a batch is what makes a crash harmless:

1. carry out actions left planned by an earlier, interrupted pass;
2. judge the batch; write comments, findings, decisions, planned actions, queue entries and the
   new cursor in ONE transaction (a crash before it replays the batch, after it loses nothing);
3. carry out the planned actions, each checked against the log first and logged after.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from connectors.base import Connector
from moderator import actions, policy
from moderator.config import AccountSettings, Secrets, Settings
from moderator.errors import ConnectorError
from moderator.models import Action, ActionResult, Mode
from moderator.pipeline import Pipeline
from moderator.store import Recorded, Store

logger = logging.getLogger(__name__)
HISTORY_KEPT_SECONDS = 7 * 86400  # flood history kept at least this long after it was stored


@dataclass
class PassSummary:
    account: str
    run_id: int
    fetched: int = 0
    new: int = 0
    flagged: int = 0
    skipped: int = 0  # malformed items the connector left out
    decisions: Counter[str] = field(default_factory=Counter)
    acted: int = 0
    failed_actions: int = 0
    rule_failures: int = 0
    error: ConnectorError | None = None
    brake_engaged: bool = False

    @property
    def status(self) -> str:
        return "error" if self.error else "ok"


def run_account(settings: Settings, account: AccountSettings, connector: Connector,
                store: Store, *, kind: str = "poll", since: datetime | None = None,
                until: datetime | None = None, pipeline: Pipeline | None = None,
                progress: Callable[[int], None] | None = None,
                should_stop: Callable[[], bool] = lambda: False) -> PassSummary:
    """Run one pass. Connector failures end the pass and are returned, never raised.

    A ``poll`` moves the account's cursor; a ``backfill`` reads from the start (or the
    since/until range), skips what was already recorded, and leaves the cursor alone.
    """
    pipeline = pipeline or Pipeline.for_account(settings, account)
    summary = PassSummary(account.name, store.start_run(kind, account.name))
    where = f"{account.platform} {account.name}"
    try:
        _resume_planned(store, connector, account, summary)
        cursor = store.cursor(account.name) if kind == "poll" else None
        for batch in connector.fetch(cursor, since=since, until=until):
            summary.fetched += len(batch.comments)
            summary.skipped += batch.skipped
            _judge_and_record(settings, account, connector, store, pipeline, batch.comments,
                              summary, cursor=batch.cursor if kind == "poll" else None,
                              move_cursor=kind == "poll")
            if progress:
                progress(len(batch.comments) + batch.skipped)
            if should_stop():
                logger.info("%s: stopping after this batch as asked", where)
                break
    except ConnectorError as e:
        summary.error = e
        logger.error("%s: %s", where, e)
        store.record_error(account.name, account.platform, type(e).__name__, str(e),
                           summary.run_id)
    # A daemon must not grow without bound.
    if pipeline.history_window:
        store.prune_history(max(2 * pipeline.history_window, HISTORY_KEPT_SECONDS))
    if kind == "poll":
        store.prune_runs()
    store.finish_run(summary.run_id, summary.status, {
        "fetched": summary.fetched, "new": summary.new, "flagged": summary.flagged,
        "acted": summary.acted, "queued": summary.decisions.get("review", 0),
        "skipped": summary.skipped,
        "errors": int(summary.error is not None) + summary.rule_failures + summary.failed_actions,
    }, str(summary.error) if summary.error else None)
    return summary


def _resume_planned(store: Store, connector: Connector, account: AccountSettings,
                    summary: PassSummary) -> None:
    for planned in store.pending_actions(account.name):
        logger.info("%s %s: resuming planned %s on %s", account.platform, account.name,
                    planned.action.value, planned.comment.id)
        _count(summary, actions.carry_out(store, connector, planned.comment, planned.action,
                                          rule_version=planned.rule_version,
                                          actor=planned.actor))


def _judge_and_record(settings: Settings, account: AccountSettings, connector: Connector,
                      store: Store, pipeline: Pipeline, comments: tuple, summary: PassSummary,
                      *, cursor: str | None, move_cursor: bool) -> None:
    new = store.unseen(comments)
    summary.new += len(new)
    remembered = pipeline.remember(new)
    keys = {record.key for records in remembered for record in records}
    history = []
    if keys and pipeline.history_window:
        times = [c.created_at.timestamp() for c in new if c.created_at]
        since = (min(times) if times else time.time()) - pipeline.history_window
        history = store.history(account.name, since, keys)
    result = pipeline.run(new, history, remembered)
    for failure in result.failures:
        summary.rule_failures += 1
        store.record_error(account.name, account.platform, "rule", f"{failure.rule}: "
                           f"{failure.error}", summary.run_id)

    enforce = account.mode is Mode.ENFORCE
    brake = store.brake(account.name) is not None
    budget = settings.brake.max_actions - store.destructive_count(
        account.name, store.brake_window_start(account.name, settings.brake.window_minutes))
    items, proposed, to_carry = [], {}, []
    for comment, findings, remember in zip(new, result.findings, result.history):
        if findings:
            summary.flagged += 1
        context = policy.Context(connector.capabilities, settings.brand, brake_engaged=brake,
                                 human_kept=bool(findings) and store.human_approved(comment))
        decision = policy.decide(comment, findings, account.policy, context)
        if enforce and decision.action.destructive:
            if budget <= 0:  # the brake: a bad rule must not wipe a page
                brake = True
                reason = (f"more than {settings.brake.max_actions} destructive actions in "
                          f"{settings.brake.window_minutes:g} minutes; review-only until released")
                store.engage_brake(account.name, reason)
                summary.brake_engaged = True
                logger.error("%s %s: BRAKE ENGAGED: %s", account.platform, account.name, reason)
                decision = policy.decide(comment, findings, account.policy,
                                         policy.Context(connector.capabilities, settings.brand,
                                                        brake_engaged=True))
            else:
                budget -= 1
                to_carry.append((comment, decision.action))
        if decision.action is Action.REVIEW:
            proposed[comment.uid] = policy.proposed_for_review(decision, connector.capabilities)
        summary.decisions[decision.action.value] += 1
        if decision.action is not Action.NONE or findings:
            rules = sorted({f.rule for f in findings})
            logger.info("decision %s %s %s: %s (%s)", comment.platform, comment.account,
                        comment.id, decision.action.value, ",".join(rules) or "-",
                        extra={"platform": comment.platform, "account": comment.account,
                               "comment_id": comment.id, "rules": rules,
                               "decision": decision.action.value})
        items.append(Recorded(comment, findings, decision, pipeline.version, remember))

    with store.atomic():
        store.record_batch(items, account=account.name, mode=account.mode,
                           run_id=summary.run_id, proposed=proposed)
        if move_cursor:
            store.set_cursor(account.name, cursor)
    for comment, action in to_carry:
        _count(summary, actions.carry_out(store, connector, comment, action,
                                          rule_version=pipeline.version))


def _count(summary: PassSummary, result: ActionResult) -> None:
    if result.status.value == "done":
        summary.acted += 1
    elif result.status.value == "failed":
        summary.failed_actions += 1


def open_connector(account: AccountSettings, secrets: Secrets) -> Connector:
    """The account's connector with its secrets resolved (a missing one is a ConfigError)."""
    from connectors import CONNECTORS

    return CONNECTORS[account.platform].open(account, secrets.for_account(account))
