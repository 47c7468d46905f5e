"""The opaque cursors of the connectors that read from several sources: versioned JSON with one
mark per source, and the date window of a backfill."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Mapping, Sequence

logger = logging.getLogger(__name__)


def decode(cursor: str | None, sources: Sequence[str], *, where: str) -> dict[str, Any]:
    """``{"v": 1, source: mark, ...}``; an unreadable cursor starts over (logged)."""
    state: dict[str, Any] = {"v": 1, **{source: None for source in sources}}
    if cursor:
        try:
            loaded = json.loads(cursor)
            if isinstance(loaded, dict) and loaded.get("v") == 1:
                state.update({source: loaded.get(source) for source in sources})
        except ValueError:
            logger.warning("%s: unreadable cursor, starting over", where)
    return state


def encode(state: Mapping[str, Any]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def in_range(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:
        return True
    return (since is None or when >= since) and (until is None or when < until)
