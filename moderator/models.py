"""Domain types shared by the core, the connectors and the rules.

Everything here is a frozen dataclass or a ``str`` Enum, so values compare by content, can be
passed between threads, and store in SQLite as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Mapping


class Severity(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Category(str, Enum):
    LINK = "link"
    CHARTER = "charter"
    IMPERSONATION = "impersonation"


class Action(str, Enum):
    """What the policy decides for a comment, from least to most destructive."""

    NONE = "none"
    REVIEW = "review"
    REPORT = "report"  # to the platform's moderators: what an approval does where hiding cannot
    HIDE = "hide"
    DELETE = "delete"
    BAN = "ban"

    @property
    def destructive(self) -> bool:
        return self in (Action.HIDE, Action.DELETE, Action.BAN)

    @property
    def on_platform(self) -> bool:
        """Carried out through the platform's API (a report removes nothing, so it is not
        destructive: the brake does not count it)."""
        return self is Action.REPORT or self.destructive

    @property
    def rank(self) -> int:
        return list(Action).index(self)


class Mode(str, Enum):
    DRY_RUN = "dry-run"
    ENFORCE = "enforce"


class ActionStatus(str, Enum):
    """The outcome of carrying out a decision, as appended to the audit log."""

    PLANNED = "planned"  # logged before it is carried out
    DONE = "done"
    DRY_RUN = "dry-run"  # decided, deliberately not carried out
    QUEUED = "queued"  # sent to the human review queue
    SKIPPED = "skipped"  # already done earlier (idempotency) or nothing to do
    FAILED = "failed"
    UNDONE = "undone"


class ReviewStatus(str, Enum):
    """Where a review queue item stands."""

    PENDING = "pending"  # waiting for a reviewer (or, in four-eyes mode, for the second one)
    APPROVED = "approved"  # the proposed action was carried out
    REJECTED = "rejected"  # the comment stays; Moderator never acts on it again
    UNDONE = "undone"  # an action on it was reversed by a reviewer
    AWAITING_SECOND = "awaiting-second"  # a verdict only: first of two approvals recorded


@dataclass(frozen=True, slots=True)
class Brand:
    """Whom we protect: the organization's name, domains, official handles and staff."""

    name: str = ""
    domains: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Author:
    id: str | None = None
    handle: str | None = None
    name: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A link the platform already resolved (e.g. X ``entities.urls.expanded_url``)."""

    url: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    platform: str
    account: str
    id: str
    text: str
    author: Author = field(default_factory=Author)
    created_at: datetime | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    permalink: str | None = None
    links: tuple[Link, ...] = ()
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    # Unique across everything we watch: platform, account and the platform's id. Built once:
    # a backfill reads it about 14 times a comment (bench/core.md).
    uid: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "uid", f"{self.platform}:{self.account}:{self.id}")


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # "links.lookalike", "charter.pii", "custom.giveaway", ...
    category: Category
    severity: Severity
    reason: str  # one human sentence
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category.value,
            "severity": self.severity.value,
            "reason": self.reason,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    severity: Severity | None = None
    reason: str = ""
    findings: tuple[Finding, ...] = ()
    degraded_from: Action | None = None  # what the policy wanted before platform/brake limits


@dataclass(frozen=True, slots=True)
class ActionResult:
    comment_uid: str
    action: Action
    status: ActionStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the platform lets us do to other people's comments."""

    hide: bool = False  # reversible: unhide brings it back
    delete: bool = False
    ban: bool = False
    approve: bool = False
    report: bool = False  # to the platform's (or instance's) moderators
