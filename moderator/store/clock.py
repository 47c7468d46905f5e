"""Time as the database keeps it: UTC, one sortable text form.

Every store module reads the time through ``clock.now()`` so that a benchmark can move it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(when: datetime | None) -> str | None:
    """One sortable text form for every timestamp in the database."""
    if when is None:
        return None
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def window_start(minutes: float) -> datetime:
    return now() - timedelta(minutes=minutes)


def stamp() -> str:
    """Now, in the database's text form."""
    return iso(now())  # type: ignore[return-value]
