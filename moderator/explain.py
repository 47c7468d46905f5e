"""Explain: why the judge decided what it did about one comment, rule by rule, then the
policy's path from the findings to what would happen on the account.

The findings and the decision come from the one judge (``moderator.judge``), exactly as
``scan`` prints them; each rule family then says what it examined and how close it came where it
did not fire (``rules.explain``). Nothing is written: the database, when there is one, is read
through ``moderator.readonly``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from moderator import policy, readonly
from moderator.config import AccountSettings, Settings
from moderator.judge import Judge, Judged, Recall
from moderator.models import Action, Comment, Mode
from rules import RULES
from rules.base import Observation
from rules.explain import explain_rule


@dataclass(frozen=True, slots=True)
class FamilyExplanation:
    family: str
    observations: list[Observation]

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "observations": [o.to_json() for o in self.observations]}


@dataclass
class Explanation:
    judged: Judged
    account: str | None  # the configured account that judged it, None: the default policy
    families: list[FamilyExplanation] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)  # rule families switched off
    policy_path: list[str] = field(default_factory=list)
    outcome: str = ""  # what would happen on the account

    def to_json(self) -> dict[str, Any]:
        decision = self.judged.decision
        return {"id": self.judged.comment.id, "uid": self.judged.comment.uid,
                "decision": decision.action.value,
                "severity": decision.severity.value if decision.severity else None,
                "findings": [f.to_json() for f in self.judged.findings],
                "account": self.account, "families": [f.to_json() for f in self.families],
                "disabled": self.disabled, "policy": self.policy_path, "outcome": self.outcome}


def explain(settings: Settings, comment: Comment, *,
            db: sqlite3.Connection | None = None) -> Explanation:
    """Explain ``comment`` under ``settings``; ``db`` (read-only) adds what the store knows:
    the rules' memory of the account, a reviewer's verdict and the account's brake."""
    account = next((a for a in settings.accounts if a.name == comment.account), None)
    judge = Judge.for_account(settings, account, network=False)
    recall = _recall(db, comment.account) if db is not None else None
    judged = judge.judge([comment], recall=recall).items[0]
    memory = _memory(judge, judged, recall)
    out = Explanation(judged, account.name if account else None)
    active = {rule.family for rule in judge.rules.rules}
    out.disabled = sorted(set(RULES) - active)
    capped = judge.rules.cap([comment])[0]  # what the rules saw
    for rule in judge.rules.rules:
        mine = [f for f in judged.findings if f.rule.split(".", 1)[0] == rule.family]
        out.families.append(FamilyExplanation(rule.family,
                                              explain_rule(rule, capped, mine, memory)))
    out.policy_path, out.outcome = policy_path(settings, account, judge, judged, db)
    return out


def _recall(db: sqlite3.Connection, account: str) -> Recall:
    return lambda since, keys: readonly.history(db, account, since, keys)


def _memory(judge: Judge, judged: Judged, recall: Any) -> list[Any]:
    """What the rules remember that bears on this comment (flood counts), as the judge saw it."""
    window = judge.memory_window
    keys = {record.key for record in judged.memory}
    if recall is None or not window or not keys:
        return []
    when = judged.comment.created_at.timestamp() if judged.comment.created_at else time.time()
    return list(recall(when - window, keys))


def policy_path(settings: Settings, account: AccountSettings | None, judge: Judge,
                judged: Judged, db: sqlite3.Connection | None) -> tuple[list[str], str]:
    """The policy's steps from findings to decision, and what would happen on the account."""
    comment, findings, decision = judged.comment, judged.findings, judged.decision
    if not findings:
        return ["no findings: nothing to decide"], "nothing would be done"
    top = max(findings, key=lambda f: f.severity.rank)
    steps = [f"{len(findings)} finding(s); the most severe is {top.rule} ({top.severity.value})"]
    protected = policy.protected_author(comment, settings.brand, judge.policy)
    steps.append(f"author protected: {protected}" if protected else
                 "author not protected (no official handle, allowlisted author or staff account)")
    wanted = judge.policy.action_for(top.severity)
    steps.append(f"policy{'' if account is None else ' of ' + account.name}: "
                 f"{top.severity.value} -> {wanted.value}")
    if wanted is Action.BAN and not judge.policy.allow_ban:
        steps.append("ban is not allowed (allow_ban = false): delete instead")
    steps.append(f"decision: {decision.action.value} ({decision.reason}); "
                 "scan prints this, before a platform's limits")
    return steps, _outcome(account, judged, db, steps)


def _outcome(account: AccountSettings | None, judged: Judged, db: sqlite3.Connection | None,
             steps: list[str]) -> str:
    decision = judged.decision
    if account is None:
        steps.append("no configured account has this comment: judged with the default policy")
        return f"{decision.action.value} (no account: nothing would be carried out)"
    verdict = readonly.verdict_of(db, judged.comment.uid) if db is not None else None
    if verdict == readonly.KEPT:
        steps.append("a reviewer kept this comment: it is never acted on again")
        return "nothing (a reviewer kept it)"
    action = decision.action
    brake = readonly.engaged_brake(db, account.name) if db is not None else None
    if brake and action.destructive:
        steps.append(f"brake engaged since {brake['since']} ({brake['reason']}): "
                     f"{action.value} becomes review")
        action = Action.REVIEW
    else:
        steps.append("brake not engaged" if db is not None else "brake state unknown (no database)")
    steps.append(f"platform {account.platform}: its connector degrades what it cannot do "
                 "(X cannot delete: hide; a platform that cannot hide: review)")
    if action is Action.REVIEW:
        return "queued for a reviewer"
    if not action.destructive:
        return "nothing"
    if account.mode is Mode.DRY_RUN:
        steps.append("account in dry-run: decided and recorded, never carried out")
        return f"{action.value} recorded, not carried out (dry-run)"
    return f"{action.value} carried out (enforce)"
