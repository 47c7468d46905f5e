"""Rules over a batch of comments -> findings per comment.

A failing rule is recorded and the others still run: one broken detector must not blind the
rest. Text is capped at ``max_text_chars`` before any rule sees it, so the time a hostile
comment can cost is bounded even before each rule's own limits.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

from moderator.config import AccountSettings, Settings, enabled_options, rule_version
from moderator.models import Comment, Finding
from rules import RULES
from rules.base import Rule, memory_window

logger = logging.getLogger(__name__)
SLOW_BATCH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RuleFailure:
    rule: str
    error: str


# What Pipeline.prepare leaves of one rule for Pipeline.finish (see there).
Part = Any


@dataclass(frozen=True, slots=True)
class PipelineResult:
    findings: list[list[Finding]]
    failures: list[RuleFailure]
    memory: list[list[Any]] = field(default_factory=list)  # per comment: what to remember


def with_network(rule: Rule) -> Rule:
    """Hand a rule the network helpers its settings ask for. Rules do no I/O themselves: the
    links rule resolves shorteners only through a resolver injected here."""
    settings = getattr(rule, "settings", None)
    if getattr(settings, "resolve_shorteners", False) and hasattr(rule, "with_resolver"):
        from moderator.resolver import head_resolver

        return rule.with_resolver(head_resolver(settings.resolve_timeout,
                                                settings.resolve_max_hops))
    return rule


class Pipeline:
    def __init__(self, rules: Sequence[Rule], version: str, max_text_chars: int = 20_000):
        self.rules = tuple(rules)
        # Each rule's memory_window, asked once (a Protocol check: slow enough to show per batch).
        self._windows = tuple(memory_window(rule) for rule in self.rules)
        self.version = version  # hash of every rule's options and the brand
        self.max_text_chars = max_text_chars

    @classmethod
    def for_account(cls, settings: Settings, account: AccountSettings | None, *,
                    network: bool = True) -> "Pipeline":
        """Every registered rule family, configured with the account's effective options.

        A family is on unless its table says ``enabled = false``. ``network=False`` keeps the
        rules off the network even where configured to use it (``scan`` has no side effects).
        """
        rules = []
        for family, options in _enabled(settings, account):
            rule = RULES[family].from_config(options, settings.brand, path=f"rules.{family}")
            rules.append(with_network(rule) if network else rule)
        return cls(rules, cls.version_for(settings, account), settings.max_text_chars)

    @staticmethod
    def version_for(settings: Settings, account: AccountSettings | None) -> str:
        """The ``version`` of the account's pipeline, without building it: accounts whose
        rules have the same options can share one pipeline (the daemon does)."""
        versions = [rule_version(family, options, settings.brand)
                    for family, options in _enabled(settings, account)]
        return rule_version("pipeline", versions, settings.brand)

    @property
    def history_window(self) -> float | None:
        """Seconds of memory the rules want (flooding), or None when none of them needs any."""
        return max((w for w in self._windows if w), default=None)

    def cap(self, comments: Sequence[Comment]) -> list[Comment]:
        """The comments as the rules see them: text cut at ``max_text_chars``."""
        return [self._cap(c) for c in comments]

    def remember(self, comments: Sequence[Comment]) -> list[list[Any]]:
        """Per comment, the records that rules judging against the recent past (flooding) want
        kept; their ``key`` values also select the history a batch needs from the store."""
        return self.remember_capped(self.cap(comments))

    def remember_capped(self, capped: Sequence[Comment]) -> list[list[Any]]:
        remembered: list[list[Any]] = [[] for _ in capped]
        for rule, window in zip(self.rules, self._windows):
            if window:
                try:
                    for slot, records in zip(remembered, rule.flood_records(capped)):
                        slot.extend(records)
                except Exception:  # judged without history rather than not at all
                    logger.exception("rule %s could not say what to remember", rule.family)
        return remembered

    def run(self, comments: Sequence[Comment], history: Iterable[Any] = (),
            remembered: list[list[Any]] | None = None) -> PipelineResult:
        """Judge a batch. ``history``: records of recent comments (from the store) for rules
        that judge against the recent past; ``remembered``: :meth:`remember` of this batch
        when the caller already has it."""
        capped = self.cap(comments)
        findings, failures = self.check_capped(capped, history)
        if remembered is None:
            remembered = self.remember_capped(capped)
        return PipelineResult(findings, failures, remembered)

    def check_capped(self, capped: Sequence[Comment], history: Iterable[Any] = ()
                     ) -> tuple[list[list[Finding]], list[RuleFailure]]:
        """Every rule over comments already capped; a failing rule is recorded and skipped."""
        return self.finish(capped, self.prepare(capped), history)

    def prepare(self, capped: Sequence[Comment]) -> list[Part]:
        """Each rule's work that needs no history, in rule order (a worker process can run
        it): its findings, a memory rule's ``check_content`` (or None: it has no halves and
        runs whole in :meth:`finish`), or its failure."""
        parts: list[Part] = []
        for rule, window in zip(self.rules, self._windows):
            if not window:
                parts.append(self._attempt(rule, capped, lambda r=rule: r.check_batch(capped)))
            elif hasattr(rule, "check_content"):
                parts.append(self._attempt(rule, capped, lambda r=rule: r.check_content(capped),
                                           sized=False))
            else:
                parts.append(None)
        return parts

    def settled(self, parts: Sequence[Part], size: int) -> list[list[Finding]]:
        """The findings :meth:`prepare`'s parts hold already, merged per comment in rule order:
        :meth:`finish` only adds to them (memory rules' findings against history) unless a
        rule fails there."""
        findings: list[list[Finding]] = [[] for _ in range(size)]
        for window, part in zip(self._windows, parts):
            if part is None or isinstance(part, RuleFailure):
                continue
            for slot, found in zip(findings, part[0] if window else part):
                slot.extend(found)
        return findings

    def finish(self, capped: Sequence[Comment], parts: Sequence[Part], history: Iterable[Any] = ()
               ) -> tuple[list[list[Finding]], list[RuleFailure]]:
        """:meth:`prepare`'s parts completed with ``history`` (the memory rules' second half),
        merged per comment in rule order."""
        findings: list[list[Finding]] = [[] for _ in capped]
        failures: list[RuleFailure] = []
        history = list(history)
        for rule, window, part in zip(self.rules, self._windows, parts):
            if window and not isinstance(part, RuleFailure):
                part = self._attempt(rule, capped, (
                    lambda r=rule: r.check_batch(capped, flood_history=history)) if part is None
                    else lambda r=rule, p=part: r.check_history(capped, p, history))
            if isinstance(part, RuleFailure):
                failures.append(part)
                continue
            for slot, found in zip(findings, part):
                slot.extend(found)
        return findings, failures

    @staticmethod
    def _attempt(rule: Rule, capped: Sequence[Comment], check: Callable[[], Any], *,
                 sized: bool = True) -> Any:
        """``check()``, or the rule's failure (a broken rule is recorded, never fatal)."""
        started = time.perf_counter()
        try:
            results = check()
            if sized and len(results) != len(capped):
                raise RuntimeError(f"returned {len(results)} results for {len(capped)} comments")
        except Exception as e:
            logger.exception("rule %s failed on a batch of %d comments", rule.family, len(capped))
            return RuleFailure(rule.family, f"{type(e).__name__}: {e}")
        elapsed = time.perf_counter() - started
        if elapsed > SLOW_BATCH_SECONDS:
            logger.warning("rule %s took %.1fs for %d comments", rule.family, elapsed, len(capped))
        return results

    def _cap(self, comment: Comment) -> Comment:
        if len(comment.text) <= self.max_text_chars:
            return comment
        return replace(comment, text=comment.text[: self.max_text_chars])


def _enabled(settings: Settings, account: AccountSettings | None) -> list[tuple[str, Any]]:
    """(family, options) of every family the account has on, in the registry's order."""
    options_by_family = settings.rule_options(account)
    out = []
    for family in RULES:
        raw = options_by_family.get(family)
        enabled, options = enabled_options(raw if raw is not None else {})
        if enabled:
            out.append((family, options))
    return out
