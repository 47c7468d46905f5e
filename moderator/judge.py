"""The one judge: comments (+ the rules' memory) -> judged items (comment, findings, decision).

The worker, ``scan`` and the benchmarks all call it; nothing else runs rules or the policy.
It is pure apart from what the caller hands in: ``recall`` reads the rules' memory (flood
history) from wherever the caller keeps it, and ``kept`` names the comments a reviewer kept.
Text is capped once here, before any rule sees it. ``decide`` runs once per comment; what the
mode and the brake make of the decision is planned afterwards (``moderator.effects``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterable, Sequence

from moderator import policy
from moderator.config import AccountSettings, PolicySettings, Settings
from moderator.models import Brand, Capabilities, Comment, Decision, Finding
from moderator.pipeline import Part, Pipeline, RuleFailure

# recall(since, keys) -> the remembered records with one of ``keys`` from POSIX time ``since``.
Recall = Callable[[float, Collection[str]], Iterable[Any]]

# ``scan`` shows the policy's decision before it is degraded to a platform's capabilities.
EVERYTHING = Capabilities(hide=True, delete=True)


@dataclass(frozen=True, slots=True)
class Judged:
    comment: Comment  # as read (the rules saw its text capped)
    findings: list[Finding]
    decision: Decision
    memory: list[Any]  # what the rules want remembered about this comment (flooding)


@dataclass(frozen=True, slots=True)
class Prepared:
    """:meth:`Judge.prepare` of a batch: picklable, for :meth:`Judge.finish`."""

    memory: list[list[Any]]  # per comment, what the rules want remembered
    parts: list[Part]  # per rule, its history-free work (Pipeline.prepare)
    decisions: list[Decision]  # per comment, on the findings known so far (no reviewer kept it)
    settled: list[int]  # per comment, how many findings those were


@dataclass(frozen=True, slots=True)
class Judgement:
    items: list[Judged]
    failures: list[RuleFailure]  # rules that failed on this batch (the others still ran)
    version: str  # hash of the rules' configuration and the brand


class Judge:
    """An account's rules (built once per configuration version) and its policy."""

    def __init__(self, rules: Pipeline, policy_settings: PolicySettings, brand: Brand,
                 capabilities: Capabilities = EVERYTHING):
        self.rules = rules
        self.policy = policy_settings
        self.brand = brand
        self.capabilities = capabilities

    @classmethod
    def for_account(cls, settings: Settings, account: AccountSettings | None,
                    capabilities: Capabilities = EVERYTHING, *, network: bool = True,
                    rules: Pipeline | None = None) -> "Judge":
        """The judge of ``account`` (None: the default policy and the global rules)."""
        rules = rules or Pipeline.for_account(settings, account, network=network)
        return cls(rules, account.policy if account else settings.policy, settings.brand,
                   capabilities)

    @property
    def version(self) -> str:
        return self.rules.version

    @property
    def memory_window(self) -> float | None:
        return self.rules.history_window

    def judge(self, comments: Sequence[Comment], *, recall: Recall | None = None,
              kept: Collection[str] = ()) -> Judgement:
        """Judge a batch. ``recall``: the rules' memory of the account's recent comments;
        ``kept``: uids of comments a reviewer kept (never acted on again)."""
        return self.finish(comments, self.prepare(comments), recall=recall, kept=kept)

    def prepare(self, comments: Sequence[Comment]) -> Prepared:
        """The part of :meth:`judge` that needs nothing but the comments (``backfill --jobs``
        runs it in worker processes): what to remember, and every rule's history-free work."""
        capped = self.rules.cap(comments)
        memory, parts = self.rules.remember_capped(capped), self.rules.prepare(capped)
        settled = self.rules.settled(parts, len(capped))
        return Prepared(memory, parts,
                        [self.decide(comment, found) for comment, found in zip(comments, settled)],
                        [len(found) for found in settled])

    def finish(self, comments: Sequence[Comment], prepared: Prepared, *,
               recall: Recall | None = None, kept: Collection[str] = ()) -> Judgement:
        """The rest, in the order of the batches: the history the batch needs (read after the
        batch before was stored), the rules that judge against it, and the decisions."""
        capped = self.rules.cap(comments)
        remembered = prepared.memory
        history: list[Any] = []
        keys = {record.key for records in remembered for record in records}
        if recall is not None and keys and self.memory_window:
            times = [c.created_at.timestamp() for c in comments if c.created_at]
            since = (min(times) if times else time.time()) - self.memory_window
            history = list(recall(since, keys))
        findings, failures = self.rules.finish(capped, prepared.parts, history)
        # prepare's decision stands where finish added nothing (nothing failed there, the
        # findings are as many) and no reviewer kept the comment: the same decide() of the same
        # findings. Elsewhere the comment is decided again.
        settled = len(failures) == sum(isinstance(p, RuleFailure) for p in prepared.parts)
        items = [Judged(comment, found, early if settled and len(found) == count
                        and not (kept and comment.uid in kept)
                        else self.decide(comment, found, kept=bool(kept) and comment.uid in kept),
                        memory)
                 for comment, found, memory, early, count in zip(
                     comments, findings, remembered, prepared.decisions, prepared.settled)]
        return Judgement(items, failures, self.version)

    def decide(self, comment: Comment, findings: list[Finding], *, kept: bool = False) -> Decision:
        """The policy's decision on ``findings`` (``replay`` reuses stored findings of the
        same rules' version through here instead of running the rules again)."""
        context = policy.Context(self.capabilities, self.brand, human_kept=bool(findings) and kept)
        return policy.decide(comment, findings, self.policy, context)
