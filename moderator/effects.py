"""What judged comments do: plan an explicit Effects value, then apply it.

``plan`` is pure: judged items + the account's mode + its brake -> Effects (the rows to record,
queue entries, planned and dry-run actions, the rules' memory, whether the brake engages).
``apply`` writes all of it (and the account's cursor) in ONE transaction, then carries out the
planned actions through the connector, each checked against the log first and logged after.
A crash before the commit replays the batch; after it, the planned actions are resumed from
the log. The worker and ``review approve`` / ``undo`` all go through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from connectors.base import Connector
from moderator import actions, policy
from moderator.judge import Judged
from moderator.models import (Action, ActionResult, ActionStatus, Capabilities, Comment,
                              Decision, Mode)
from moderator.store import PlannedAction, QueueEntry, Recorded, Store, audit_row

NO_CURSOR = object()  # apply(..., cursor=NO_CURSOR): leave the account's cursor alone


@dataclass(frozen=True, slots=True)
class Brake:
    """The account's brake as the planner sees it: engaged already, or how many destructive
    actions the window still allows."""

    engaged: bool
    budget: int
    max_actions: int
    window_minutes: float

    def reason(self) -> str:
        return (f"more than {self.max_actions} destructive actions in "
                f"{self.window_minutes:g} minutes; review-only until released")


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the plan: a queue entry, a planned or dry-run action, or an undo.

    Queue entries, planned and dry-run actions are audit rows written by the commit; an undo
    (status UNDONE) is carried out after it and logged once the platform confirms it.
    """

    comment: Comment
    action: Action  # REVIEW for a queue entry
    status: ActionStatus  # QUEUED, PLANNED, DRY_RUN or UNDONE
    proposed: Action = Action.NONE  # a queue entry: what a reviewer's approval carries out
    rule_version: str | None = None
    actor: str = "moderator"
    decision: Decision | None = None  # a queue entry's decision (severity, reason, rules)
    note: str = ""  # an undo: the reviewer's why; an audit row: its detail
    resumed: bool = False  # a planned action an earlier pass committed but did not finish


@dataclass(frozen=True, slots=True)
class Effects:
    account: str
    mode: Mode
    records: list[Recorded] = field(default_factory=list)  # comments, findings, decisions, memory
    steps: list[Step] = field(default_factory=list)  # in the order of the comments
    brake_reason: str | None = None  # the brake engages with this reason

    @property
    def planned(self) -> list[Step]:
        return [s for s in self.steps if s.status is ActionStatus.PLANNED]

    @property
    def queued(self) -> list[Step]:
        return [s for s in self.steps if s.status is ActionStatus.QUEUED]

    @property
    def to_carry_out(self) -> list[Step]:
        """What :func:`act` does on the platform once the rest is committed."""
        return [s for s in self.steps if s.status in (ActionStatus.PLANNED, ActionStatus.UNDONE)]


def plan(items: Sequence[Judged], *, account: str, mode: Mode, brake: Brake,
         capabilities: Capabilities, rule_version: str) -> Effects:
    """The effects of a judged batch. Destructive actions are planned in enforce mode while
    the brake's budget lasts; then the brake engages and the rest of the batch is queued."""
    engaged, budget, brake_reason = brake.engaged, brake.budget, None
    records, steps = [], []
    for item in items:
        decision = item.decision
        if engaged:
            decision = policy.under_brake(decision)
        if mode is Mode.ENFORCE and decision.action.destructive:
            if budget <= 0:  # the brake: a bad rule must not wipe a page
                engaged, brake_reason = True, brake.reason()
                decision = policy.under_brake(decision)
            else:
                budget -= 1
        records.append(Recorded(item.comment, item.findings, decision, rule_version,
                                item.memory))
        if decision.action is Action.REVIEW:
            steps.append(Step(item.comment, Action.REVIEW, ActionStatus.QUEUED,
                              policy.proposed_for_review(decision, capabilities), rule_version,
                              decision=decision))
        elif decision.action.destructive:
            status = ActionStatus.PLANNED if mode is Mode.ENFORCE else ActionStatus.DRY_RUN
            steps.append(Step(item.comment, decision.action, status, rule_version=rule_version))
    return Effects(account, mode, records, steps, brake_reason)


def plan_action(comment: Comment, action: Action, *, actor: str,
                mode: Mode = Mode.ENFORCE) -> Effects:
    """A reviewer's approved action: one planned step, carried out like the worker's; in a
    dry-run account a dry-run step instead, which nothing carries out."""
    if mode is Mode.ENFORCE:
        return Effects(comment.account, mode,
                       steps=[Step(comment, action, ActionStatus.PLANNED, actor=actor)])
    return Effects(comment.account, mode, steps=[Step(
        comment, action, ActionStatus.DRY_RUN, actor=actor,
        note=f"approved by {actor}; not carried out (dry-run)")])


def plan_undo(comment: Comment, in_effect: Sequence[Action], *, actor: str,
              note: str = "") -> Effects:
    """A reviewer's undo of the actions in effect on a comment."""
    return Effects(comment.account, Mode.ENFORCE,
                   steps=[Step(comment, action, ActionStatus.UNDONE, actor=actor, note=note)
                          for action in in_effect])


def resume(account: str, planned: Sequence[PlannedAction]) -> Effects:
    """Actions an interrupted pass left planned: already committed, so only :func:`act` them
    (each checked against the log and, where the connector can say, the platform's state)."""
    return Effects(account, Mode.ENFORCE, steps=[
        Step(p.comment, p.action, ActionStatus.PLANNED, rule_version=p.rule_version,
             actor=p.actor, resumed=True) for p in planned])


def commit(store: Store, effects: Effects, *, run_id: int | None = None,
           cursor: object = NO_CURSOR) -> None:
    """Write every row of ``effects`` (and the cursor) in one transaction: one statement per
    table for the whole batch, the audit rows in the order of the steps."""
    entries = {}
    for step in effects.steps:
        if step.status is ActionStatus.QUEUED:
            assert step.decision is not None
            entries[id(step)] = QueueEntry(step.comment, step.proposed, step.decision,
                                           step.rule_version)
    with store.atomic():
        if effects.records:
            store.record_batch(effects.records, mode=effects.mode, run_id=run_id)
        queued = store.enqueue_many(list(entries.values())) if entries else set()
        store.append_actions(_audit_rows(effects.steps, entries, queued))
        if effects.brake_reason:
            store.engage_brake(effects.account, effects.brake_reason)
        if cursor is not NO_CURSOR:
            store.set_cursor(effects.account, cursor)  # type: ignore[arg-type]


def _audit_rows(steps: Sequence[Step], entries: dict[int, QueueEntry],
                queued: set[str]) -> list[tuple]:
    """The audit rows of the steps: a queue entry's only where it was queued now (the
    comment was not in the queue already), an undo's none (act() logs it once done)."""
    rows = []
    for step in steps:
        if step.status is ActionStatus.UNDONE:
            continue
        if step.status is ActionStatus.QUEUED:
            if step.comment.uid in queued:
                queued.discard(step.comment.uid)  # a second entry for it would not be new
                rows.append(entries[id(step)].audit_row())
            continue
        rows.append(audit_row(step.comment, step.action, step.status,
                              rule_version=step.rule_version, actor=step.actor,
                              dry_run=step.status is ActionStatus.DRY_RUN, detail=step.note))
    return rows


def act(store: Store, effects: Effects, connector: Connector) -> list[ActionResult]:
    """Carry out the planned actions (and undos) of committed ``effects``; every outcome of a
    planned action is logged, an undo when the platform confirms it."""
    return [actions.undo(store, connector, s.comment, s.action, actor=s.actor, note=s.note)
            if s.status is ActionStatus.UNDONE else
            actions.carry_out(store, connector, s.comment, s.action,
                              rule_version=s.rule_version, actor=s.actor, resumed=s.resumed)
            for s in effects.to_carry_out]


def apply(store: Store, effects: Effects, connector: Connector | None, *,
          run_id: int | None = None, cursor: object = NO_CURSOR) -> list[ActionResult]:
    """Commit ``effects``, then carry out its planned actions (needs a connector if any)."""
    commit(store, effects, run_id=run_id, cursor=cursor)
    if not effects.to_carry_out:
        return []
    assert connector is not None, "planned actions need the account's connector"
    return act(store, effects, connector)

