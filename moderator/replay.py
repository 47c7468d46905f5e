"""Replay: what another configuration would decide on the comments already stored.

The stored comments are judged by the one judge (``moderator.judge``) with the new
configuration, with a memory of its own built in time order, so that flooding is judged as it
would have been. The current configuration's side reuses the stored findings where the batch
was judged by exactly the current rules (the same version hash), and judges again where not.
Nothing is written: the database is opened read-only, no platform, queue or audit row is
touched. Where reviewers left verdicts, the report says how each configuration agrees with them.
"""

from __future__ import annotations

import time
from contextlib import closing
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping, Sequence

from moderator.config import Settings
from moderator.judge import Judge, Judged
from moderator.models import Action, Comment, Finding
from moderator.render import defang_text, one_line
from moderator.terminal import terminal_text
from moderator.readonly import (CONFIRMED, open_readonly, reviewer_verdicts, stored_comments,
                                stored_findings)

BATCH = 500
EXAMPLES_PER_TRANSITION = 3


@dataclass(frozen=True, slots=True)
class Change:
    uid: str
    id: str
    account: str
    before: str
    after: str
    rules: tuple[str, ...]  # rules whose top severity differs (or all that fired, if none does)
    text: str  # shortened, links defanged: safe to print

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "uid": self.uid, "account": self.account, "before": self.before,
                "after": self.after, "rules": list(self.rules), "text": self.text}


@dataclass
class Agreement:
    """How a configuration's decisions meet the reviewers' verdicts (for one rule, or all)."""

    confirmed: int = 0  # reviewers approved acting on these
    kept: int = 0  # reviewers rejected acting on these
    current_caught: int = 0  # confirmed ones the current configuration acts on (or fires on)
    new_caught: int = 0
    current_flagged_kept: int = 0  # kept ones the current configuration still acts on
    new_flagged_kept: int = 0

    def count(self, verdict: str, current: bool, new: bool) -> None:
        if verdict == CONFIRMED:
            self.confirmed += 1
            self.current_caught += current
            self.new_caught += new
        else:
            self.kept += 1
            self.current_flagged_kept += current
            self.new_flagged_kept += new

    def to_json(self) -> dict[str, int]:
        return {"confirmed": self.confirmed, "kept": self.kept,
                "current_caught": self.current_caught, "new_caught": self.new_caught,
                "current_flagged_kept": self.current_flagged_kept,
                "new_flagged_kept": self.new_flagged_kept}


@dataclass
class ReplayReport:
    rejudged: int = 0
    accounts: list[str] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    transitions: Counter[str] = field(default_factory=Counter)  # "none -> hide": count
    by_rule: Counter[str] = field(default_factory=Counter)  # rule: changed decisions
    agreement: dict[str, Agreement] = field(default_factory=dict)  # "overall" and per rule
    current_version: dict[str, str] = field(default_factory=dict)  # account: rules' version
    new_version: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def examples(self, transition: str, limit: int = EXAMPLES_PER_TRANSITION) -> list[Change]:
        return [c for c in self.changed if f"{c.before} -> {c.after}" == transition][:limit]

    def to_json(self) -> dict[str, Any]:
        return {"rejudged": self.rejudged, "accounts": self.accounts,
                "changed": [c.to_json() for c in self.changed],
                "transitions": dict(self.transitions.most_common()),
                "by_rule": dict(self.by_rule.most_common()),
                "agreement": {k: v.to_json() for k, v in self.agreement.items()},
                "current_version": self.current_version, "new_version": self.new_version,
                "seconds": round(self.seconds, 3)}


class Memory:
    """The rules' memory of one account during a replay, kept in memory in time order: the
    store's history is not used, since it holds what the CURRENT rules chose to remember."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[Any]] = defaultdict(list)

    def recall(self, since: float, keys: Collection[str]) -> Iterable[Any]:
        for key in keys:
            for record in self._by_key.get(key, ()):
                if record.time is None or record.time >= since:
                    yield record

    def remember(self, items: Sequence[Judged]) -> None:
        for item in items:
            for record in item.memory:
                self._by_key[record.key].append(record)


def replay(current: Settings, new: Settings, *, since: datetime | None = None,
           until: datetime | None = None, account: str | None = None) -> ReplayReport:
    """Re-judge the comments stored in ``current``'s database with both configurations."""
    started = time.perf_counter()
    report = ReplayReport()
    with closing(open_readonly(current.store_path)) as db:  # a Connection's own with commits
        verdicts = reviewer_verdicts(db)
        for name, comments in stored_comments(db, since=since, until=until, account=account):
            report.accounts.append(name)
            before = _AccountJudge(current, name)
            after = _AccountJudge(new, name)
            report.current_version[name] = before.judge.version
            report.new_version[name] = after.judge.version
            for start in range(0, len(comments), BATCH):
                batch = comments[start:start + BATCH]
                stored = stored_findings(db, [c.uid for c in batch])
                for old, fresh in zip(before.judge_batch(batch, stored), after.judge_batch(batch)):
                    _compare(report, old, fresh, verdicts.get(old.comment.uid))
    report.seconds = time.perf_counter() - started
    return report


class _AccountJudge:
    """One configuration's judge of one account with its replay memory."""

    def __init__(self, settings: Settings, account_name: str):
        account = next((a for a in settings.accounts if a.name == account_name), None)
        self.judge = Judge.for_account(settings, account, network=False)
        self.memory = Memory()

    def judge_batch(self, comments: Sequence[Comment],
                    stored: Mapping[str, tuple[str, list[Finding]]] | None = None) -> list[Judged]:
        """Judge a batch; where ``stored`` holds findings of this judge's own rules' version
        (the comment was judged by exactly these rules), only the policy runs again. (Such a
        batch adds nothing to the replay's flood memory: in a store judged by several rules'
        versions, a later re-judged batch sees only the re-judged comments as its past.)"""
        if stored and all(stored.get(c.uid, ("",))[0] == self.judge.version for c in comments):
            return [Judged(c, stored[c.uid][1], self.judge.decide(c, stored[c.uid][1]), [])
                    for c in comments]
        items = self.judge.judge(comments, recall=self.memory.recall).items
        self.memory.remember(items)
        return items


def _compare(report: ReplayReport, old: Judged, new: Judged, verdict: str | None) -> None:
    report.rejudged += 1
    old_rules, new_rules = _severities(old), _severities(new)
    before, after = old.decision.action, new.decision.action
    if before is not after:
        differing = ({r for r in old_rules.keys() | new_rules.keys()
                      if old_rules.get(r) != new_rules.get(r)} or old_rules.keys() | new_rules.keys())
        comment = old.comment
        change = Change(comment.uid, comment.id, comment.account, before.value, after.value,
                        tuple(sorted(differing)),
                        one_line(terminal_text(defang_text(comment.text)), 80))
        report.changed.append(change)
        report.transitions[f"{before.value} -> {after.value}"] += 1
        report.by_rule.update(change.rules)
    if verdict is None:
        return
    overall = report.agreement.setdefault("overall", Agreement())
    overall.count(verdict, before is not Action.NONE, after is not Action.NONE)
    for rule in sorted(old_rules.keys() | new_rules.keys()):
        report.agreement.setdefault(rule, Agreement()).count(verdict, rule in old_rules,
                                                             rule in new_rules)


def _severities(item: Judged) -> dict[str, str]:
    """Rule -> the highest severity it found (a rule whose severity changed explains a change
    of decision as much as one that appeared or disappeared)."""
    found: dict[str, Any] = {}
    for f in item.findings:
        if f.rule not in found or f.severity.rank > found[f.rule].rank:
            found[f.rule] = f.severity
    return {rule: severity.value for rule, severity in found.items()}
