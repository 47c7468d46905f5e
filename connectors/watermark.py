"""A time watermark cursor for platforms whose comments carry a creation time but no id that
grows with it (Facebook, Instagram, YouTube): the newest time delivered, plus the ids delivered
just before it, so a comment the API lists late is still caught and none is delivered twice."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping

from connectors.base import Batch

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
OVERLAP = timedelta(minutes=2)  # how far back each poll re-checks for late-listed comments


def parse_time(value: Any) -> datetime:
    """ISO 8601 as the APIs write it (``Z``, ``+0000``); a naive time is taken as UTC."""
    if not isinstance(value, str):
        raise ValueError(f"expected a timestamp, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Watermark:
    """The persisted cursor: the newest ``created_time`` delivered, and the ids (with their
    times) delivered in the OVERLAP before it. Reads reach back OVERLAP before the newest
    time, so a comment the API shows late with an older ``created_time`` is still caught, and
    the ids keep the overlap from delivering anything twice. Encoded as a small JSON string."""

    time: datetime | None = None
    seen: Mapping[str, int] = field(default_factory=dict)  # id -> Unix seconds

    @classmethod
    def parse(cls, cursor: str | None, where: str) -> "Watermark":
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            seen = {str(k): int(v) for k, v in data.get("seen", {}).items()}
            return cls(parse_time(data["t"]), seen)
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.warning("%s: unreadable cursor %r; reading from the lookback window",
                           where, cursor[:80])
            return cls()

    def encode(self) -> str | None:
        if self.time is None:
            return None
        return json.dumps({"t": self.time.isoformat(), "seen": dict(sorted(self.seen.items()))},
                          separators=(",", ":"))

    @property
    def floor(self) -> datetime | None:
        """Nothing older than this can be new."""
        return None if self.time is None else self.time - OVERLAP

    def is_new(self, when: datetime, item_id: str) -> bool:
        return self.time is None or (when >= self.time - OVERLAP and item_id not in self.seen)


def in_batches(found: list[Any], start: Watermark, skipped: int,
               batch_size: int = BATCH_SIZE) -> Iterator[Batch]:
    """Comments oldest first in batches, each with the cursor that is safe to store once it is
    committed. ``found`` holds Comments with created_at set; skipped items ride on the first
    batch (or an empty one) so the caller can count them."""
    found.sort(key=lambda c: (c.created_at, c.id))
    newest, seen = start.time, dict(start.seen)
    for i in range(0, len(found), batch_size):
        chunk = found[i:i + batch_size]
        for comment in chunk:
            seen[comment.id] = int(comment.created_at.timestamp())
        newest = chunk[-1].created_at if newest is None else max(newest, chunk[-1].created_at)
        keep_from = (newest - OVERLAP).timestamp()
        seen = {k: v for k, v in seen.items() if v >= keep_from}
        yield Batch(tuple(chunk), Watermark(newest, seen).encode(), skipped if i == 0 else 0)
    if not found and skipped:
        yield Batch((), start.encode(), skipped)
