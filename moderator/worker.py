"""One pass over one account: fetch -> judge -> plan -> apply (record, then act).

The daemon and the one-shot backfill share this loop (as rq's ``work(burst=...)`` does). The
order inside a batch is what makes a crash harmless:

1. carry out actions left planned by an earlier, interrupted pass;
2. judge the batch; write comments, findings, decisions, planned actions, queue entries and the
   new cursor in ONE transaction (a crash before it replays the batch, after it loses nothing);
3. carry out the planned actions, each checked against the log first and logged after.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Callable, Sequence

from connectors.base import Connector
from moderator.backfill_jobs import backfill_in_parallel
from moderator.config import AccountSettings, Secrets, Settings
from moderator.effects import NO_CURSOR, Brake, act, apply, plan, resume
from moderator.errors import ConnectorError, located
from moderator.judge import Judge, Prepared
from moderator.models import Action, ActionResult, ActionStatus, Comment, Decision, Finding
from moderator.pipeline import Pipeline
from moderator.store import Store

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
                should_stop: Callable[[], bool] = lambda: False, jobs: int = 1) -> PassSummary:
    """Run one pass. Connector failures end the pass and are returned, never raised.

    A ``poll`` moves the account's cursor; a ``backfill`` reads from the start (or the
    since/until range), skips what was already recorded, and leaves the cursor alone, judging
    on ``jobs`` processes (``moderator.backfill_jobs``: the same verdicts as one).
    """
    judge = Judge.for_account(settings, account, connector.capabilities, rules=pipeline)
    summary = PassSummary(account.name, store.start_run(kind, account.name))
    where = f"{account.platform} {account.name}"
    try:
        _resume_planned(store, connector, account, summary)
        if kind == "backfill" and jobs > 1:
            backfill_in_parallel(partial(_finish_and_apply, settings, account, connector, store,
                                         judge, summary=summary, cursor=NO_CURSOR),
                                 store, judge, connector.fetch(None, since=since, until=until),
                                 summary, jobs, progress, should_stop)
        else:
            cursor = store.cursor(account.name) if kind == "poll" else None
            for batch in connector.fetch(cursor, since=since, until=until):
                summary.fetched += len(batch.comments)
                summary.skipped += batch.skipped
                _judge_and_apply(settings, account, connector, store, judge, batch.comments,
                                 summary, batch.cursor if kind == "poll" else NO_CURSOR)
                if progress:
                    progress(len(batch.comments) + batch.skipped)
                if should_stop():
                    logger.info("%s: stopping after this batch as asked", where)
                    break
    except ConnectorError as e:
        summary.error = e
        logger.error("%s", located(where, e))
        store.record_error(account.name, account.platform, type(e).__name__, str(e),
                           summary.run_id)
    _tidy(settings, account, store, judge, kind)
    store.finish_run(summary.run_id, summary.status, {
        "fetched": summary.fetched, "new": summary.new, "flagged": summary.flagged,
        "acted": summary.acted, "queued": summary.decisions.get("review", 0),
        "skipped": summary.skipped,
        "errors": int(summary.error is not None) + summary.rule_failures + summary.failed_actions,
    }, str(summary.error) if summary.error else None)
    return summary


def _tidy(settings: Settings, account: AccountSettings, store: Store, judge: Judge,
          kind: str) -> None:
    """A daemon must not grow without bound: the rules' memory past its window, old poll
    runs, and (with ``[store] keep_days``) old comments nothing happened to."""
    if judge.memory_window:
        store.prune_history(max(2 * judge.memory_window, HISTORY_KEPT_SECONDS))
    if kind == "poll":
        store.prune_runs()
    if settings.keep_days:
        forgotten = store.forget_quiet(account.name, settings.keep_days)
        if forgotten:
            logger.info("%s %s: forgot %d comments seen over %d days ago that nothing happened "
                        "to", account.platform, account.name, forgotten, settings.keep_days)


def _resume_planned(store: Store, connector: Connector, account: AccountSettings,
                    summary: PassSummary) -> None:
    for planned in store.pending_actions(account.name):
        logger.info("%s %s: resuming planned %s on %s", account.platform, account.name,
                    planned.action.value, planned.comment.id)
        for result in act(store, resume(account.name, [planned]), connector):
            _count(summary, result)


def _judge_and_apply(settings: Settings, account: AccountSettings, connector: Connector,
                     store: Store, judge: Judge, comments: Sequence[Comment],
                     summary: PassSummary, cursor: object) -> None:
    new = store.unseen(comments)
    _finish_and_apply(settings, account, connector, store, judge, new, judge.prepare(new),
                      summary, cursor)


def _finish_and_apply(settings: Settings, account: AccountSettings, connector: Connector,
                      store: Store, judge: Judge, new: Sequence[Comment], prepared: Prepared,
                      summary: PassSummary, cursor: object) -> None:
    """Judge the batch's new comments against the store as the batches before left it, plan
    and apply (record, then act)."""
    summary.new += len(new)
    judgement = judge.finish(new, prepared,
                             recall=lambda since, keys: store.history(account.name, since, keys),
                             kept=store.kept_by_reviewer(c.uid for c in new))
    for failure in judgement.failures:
        summary.rule_failures += 1
        store.record_error(account.name, account.platform, "rule", f"{failure.rule}: "
                           f"{failure.error}", summary.run_id)
    effects = plan(judgement.items, account=account.name, mode=account.mode,
                   brake=_brake(settings, account, store), capabilities=connector.capabilities,
                   rule_version=judgement.version)
    if effects.brake_reason:
        summary.brake_engaged = True
        logger.error("%s %s: BRAKE ENGAGED: %s", account.platform, account.name,
                     effects.brake_reason)
    for record in effects.records:
        _log_decision(summary, record.comment, record.findings, record.decision)
    for result in apply(store, effects, connector, run_id=summary.run_id, cursor=cursor):
        _count(summary, result)


def _brake(settings: Settings, account: AccountSettings, store: Store) -> Brake:
    used = store.destructive_count(
        account.name, store.brake_window_start(account.name, settings.brake.window_minutes))
    return Brake(store.brake(account.name) is not None, settings.brake.max_actions - used,
                 settings.brake.max_actions, settings.brake.window_minutes)


def _log_decision(summary: PassSummary, comment: Comment, findings: Sequence[Finding],
                  decision: Decision) -> None:
    if findings:
        summary.flagged += 1
    summary.decisions[decision.action.value] += 1
    if (decision.action is not Action.NONE or findings) and logger.isEnabledFor(logging.INFO):
        rules = sorted({f.rule for f in findings})
        logger.info("decision %s %s %s: %s (%s)", comment.platform, comment.account,
                    comment.id, decision.action.value, ",".join(rules) or "-",
                    extra={"platform": comment.platform, "account": comment.account,
                           "comment_id": comment.id, "rules": rules,
                           "decision": decision.action.value})


def _count(summary: PassSummary, result: ActionResult) -> None:
    if result.status is ActionStatus.DONE:
        summary.acted += 1
    elif result.status is ActionStatus.FAILED:
        summary.failed_actions += 1


def open_connector(account: AccountSettings, secrets: Secrets) -> Connector:
    """The account's connector with its secrets resolved (a missing one is a ConfigError)."""
    from connectors import CONNECTORS

    return CONNECTORS[account.platform].open(account, secrets.for_account(account))
