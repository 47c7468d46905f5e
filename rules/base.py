"""The Rule protocol: what every detector family implements.

A rule family is configured once (``from_config``) and then judges batches of comments. Rules
are pure: no network, no database, no clock beyond what a comment carries. A rule must bound its
own time per comment (no catastrophic regex, capped input) because comment text is hostile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, ClassVar, Iterable, Mapping, Protocol, Sequence, TypeVar, runtime_checkable

from moderator.models import Brand, Comment, Finding


@runtime_checkable
class Rule(Protocol):
    family: ClassVar[str]  # the config name: [rules.<family>]

    @classmethod
    def from_config(cls, options: Mapping[str, Any], brand: Brand, *, path: str) -> "Rule":
        """Validate ``options`` (the table at ``path``) and build the rule.

        Raises ConfigError whose problems name keys under ``path``.
        """
        ...

    def check_batch(self, comments: Sequence[Comment]) -> list[list[Finding]]:
        """One list of findings per comment, in order."""
        ...


class MemoryRecord(Protocol):
    """One thing a rule wants remembered about a comment, stored by the core per account."""

    author: str
    key: str  # what the core selects remembered records by
    time: float | None  # the comment's POSIX time, when known


@runtime_checkable
class MemoryRule(Protocol):
    """Optional: a rule that judges a comment against the account's recent past (flooding).

    Rules keep no memory themselves. The judge asks ``flood_records`` what to remember about a
    batch, reads the account's records with the same keys from ``history_window`` seconds
    before the batch, and passes them to ``check_batch(comments, flood_history=...)``; the
    effects of the batch store the new records with it. ``history_window`` None: the rule's
    memory is switched off by its config.

    A memory rule may also offer ``check_content(comments) -> (findings, state)`` (the part
    of the check that needs no history: the findings per comment so far and what the rest
    needs, picklable) and ``check_history(comments, content, flood_history)`` (the rest: those
    findings with the ones against history added, never removed): ``backfill --jobs`` runs
    the first half in worker processes and the second in order, after the batch before was
    stored. Without them the whole check runs in order.
    """

    history_window: float | None

    def flood_records(self, comments: Sequence[Comment]) -> list[list[MemoryRecord]]:
        """Per comment, the records to remember."""
        ...

    def check_batch(self, comments: Sequence[Comment],
                    flood_history: Iterable[MemoryRecord] = ()) -> list[list[Finding]]:
        ...


def memory_window(rule: Rule) -> float | None:
    """Seconds of memory ``rule`` wants, or None when it wants none."""
    return rule.history_window if isinstance(rule, MemoryRule) else None


class PerCommentRule:
    """Convenience base for rules that judge one comment at a time."""

    family: ClassVar[str] = ""

    def check(self, comment: Comment) -> list[Finding]:
        raise NotImplementedError

    def check_batch(self, comments: Sequence[Comment]) -> list[list[Finding]]:
        return [self.check(comment) for comment in comments]


T = TypeVar("T")


def most_similar(text: str, candidates: Iterable[tuple[str, T]]) -> tuple[T, float] | None:
    """The candidate whose string is most like ``text`` and that similarity (difflib's ratio,
    two decimals): how close a rule came, for ``explain``; never used to decide."""
    best: tuple[T, float] | None = None
    for other, value in candidates:
        similarity = round(SequenceMatcher(None, text, other).ratio(), 2)
        if best is None or similarity > best[1]:
            best = (value, similarity)
    return best


@dataclass(frozen=True, slots=True)
class Observation:
    """One thing a rule examined and what it concluded, for ``moderator explain``: the
    reasons behind a finding, or how close a rule that did not fire came to firing."""

    subject: str  # what was examined: "link hxxps://evil[.]com", "spam model", "handle @x"
    conclusion: str  # what came of it, with the numbers and thresholds
    fired: bool = False  # it is behind one of the comment's findings
    detail: Mapping[str, Any] = field(default_factory=dict)  # the same, for --json

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "conclusion": self.conclusion, "fired": self.fired,
                "detail": dict(self.detail)}
