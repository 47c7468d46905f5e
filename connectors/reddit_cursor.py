"""The Reddit connector's cursor: opaque JSON holding the newest id seen per source (base36
ids grow with creation time) and the modqueue entries already read.

``{"v": 1, "subs": {name: id36}, "replies": id36, "queue": ["id:reports:approved_at", ...]}``
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from connectors.reddit_items import safe36

logger = logging.getLogger("connectors.reddit")

QUEUE_MEMORY = 2000  # modqueue ids remembered in the cursor


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {"v": 1, "subs": {}, "replies": None, "queue": []}
    if cursor:
        try:
            loaded = json.loads(cursor)
            if isinstance(loaded, dict) and loaded.get("v") == 1:
                state.update(loaded)
        except ValueError:
            logger.warning("reddit: unreadable cursor, starting over")
    return state


def encode_cursor(state: Mapping[str, Any]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def queue_key(item: Mapping[str, Any]) -> str:
    """A modqueue entry: id, report count and last approval, so that an item reported again
    after an approval (which resets the count) comes back."""
    approved = item.get("approved_at_utc")
    return f"{item.get('id')}:{item.get('num_reports') or 0}:{int(approved or 0)}"


def advance(state: dict[str, Any], key: str, sources: set[str], queue_key: str) -> None:
    if key.startswith("?"):
        return
    for source in sources:
        if source.startswith("sub:"):
            name = source[4:]
            if safe36(key) > safe36(state["subs"].get(name) or "0"):
                state["subs"][name] = key
        elif source == "replies":
            if safe36(key) > safe36(state["replies"] or "0"):
                state["replies"] = key
        elif source == "queue" and queue_key not in state["queue"]:
            state["queue"].append(queue_key)


def bounded_queue(remembered: list[str], in_queue_now: list[str]) -> list[str]:
    """Forget ids that left the queue, keep at most QUEUE_MEMORY."""
    now = set(in_queue_now)
    kept = [q for q in remembered if q in now] if in_queue_now else []
    return kept[-QUEUE_MEMORY:]
