"""What one digest shows: the period and display-safe plain-text values (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from moderator.errors import ModeratorError
from moderator.store import Store, now as utc_now

DEFAULT_PERIOD = timedelta(hours=24)


class DigestError(ModeratorError):
    """The digest could not be built or sent; the message names host and port, never secrets."""


@dataclass(frozen=True, slots=True)
class Period:
    """Half-open [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise DigestError(f"the period must end after it starts ({self.start.isoformat()} "
                              f"to {self.end.isoformat()})")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> "Period":
        """The period of equal length just before, for the trend."""
        return Period(self.start - self.length, self.start)


def resolve_period(store: Store, *, since: datetime | None = None,
                   until: datetime | None = None, at: datetime | None = None) -> Period:
    """The explicit range, else from the end of the last digest sent (or 24 hours) to now."""
    end = until or at or utc_now()
    if since is None:
        last = store.last_digest_end()
        since = last if last is not None and last < end else end - DEFAULT_PERIOD
    return Period(since, end)


@dataclass(frozen=True, slots=True)
class Totals:
    account: str
    platform: str
    seen: int = 0
    flagged: int = 0
    hidden: int = 0
    deleted: int = 0
    banned: int = 0
    queued: int = 0
    undone: int = 0
    dry_run: int = 0  # decided but deliberately not carried out (dry-run accounts)
    failed: int = 0

    @property
    def acted(self) -> int:
        return self.hidden + self.deleted + self.banned


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule: str
    category: str
    severity: str  # the highest severity seen
    findings: int
    comments: int


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    account: str
    platform: str
    queued_at: datetime
    author: str
    excerpt: str
    reason: str
    rules: str
    proposed: str
    severity: str
    link: str  # defanged permalink, or the platform's comment id when there is none


@dataclass(frozen=True, slots=True)
class Impersonator:
    platform: str
    account: str
    author: str  # handle and display name, masked
    imitates: str  # the official account or person imitated, as the evidence names it
    comments: int
    severity: str
    rules: str


@dataclass(frozen=True, slots=True)
class BadDomain:
    domain: str  # defanged; with its punycode form when it is an internationalized name
    comments: int
    severity: str
    rules: str


@dataclass(frozen=True, slots=True)
class ErrorLine:
    account: str
    platform: str
    kind: str
    count: int
    last_at: datetime
    message: str


@dataclass(frozen=True, slots=True)
class EventLine:
    at: datetime
    account: str
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Trend:
    name: str
    now: int
    before: int

    @property
    def change(self) -> int:
        return self.now - self.before


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one digest shows. Every string is display-safe plain text (masked,
    defanged, invisible characters dropped); HTML output must still escape it."""

    brand: str
    period: Period
    timezone: str
    generated_at: datetime
    totals: tuple[Totals, ...]
    trends: tuple[Trend, ...]
    findings: tuple[RuleCount, ...]
    review_pending: int
    review: tuple[QueueItem, ...]
    impersonators: tuple[Impersonator, ...]
    domains: tuple[BadDomain, ...]
    errors: tuple[ErrorLine, ...]
    events: tuple[EventLine, ...]
    brakes: tuple[EventLine, ...]  # accounts whose brake is engaged now
    max_items: int = 25

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.totals)

    def local(self, when: datetime) -> datetime:
        return when.astimezone(ZoneInfo(self.timezone))
