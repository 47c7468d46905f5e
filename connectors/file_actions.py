"""The file source's "platform": a JSON Lines file of the actions carried out.

Each hide, unhide or delete is one appended line; the state of a comment (hidden, deleted) is
what its lines add up to. The file is read incrementally: a look reads only the lines appended
since the previous look, by this process or another (a reviewer's CLI beside the daemon), so
acting on n comments reads the file once, not n times. A file replaced or cut short is read again
from its start.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import BinaryIO

_EFFECTS = {"hide": ("add", "hidden"), "unhide": ("discard", "hidden"),
            "delete": ("add", "deleted"), "ban": ("add", "banned")}


class ActionsFile:
    def __init__(self, path: Path):
        self.path = path
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file read
        self._offset = 0  # bytes read and counted: complete lines only
        self._states: dict[tuple[str, str], set[str]] = {}  # (account, comment id) -> state

    def state(self, account: str, comment_id: str) -> set[str]:
        """The comment's state: a subset of {"hidden", "deleted", "banned"}."""
        if not self.path.exists():
            return set()
        with self.path.open("rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            self._catch_up(handle)
        return set(self._states.get((account, comment_id), ()))

    def apply(self, action: str, account: str, platform: str, comment_id: str) -> bool:
        """Append the action; True when it was already in effect (then the line is marked
        ``"repeat": true`` and changes nothing, as a platform ignores a repeated request)."""
        with self.path.open("a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the daemon and a reviewer's CLI may both act
            self._catch_up(handle)
            repeat = in_effect(action, self._states.get((account, comment_id), set()))
            record = {"action": action, "platform": platform, "account": account,
                      "id": comment_id, **({"repeat": True} if repeat else {})}
            torn = handle.seek(0, os.SEEK_END) > self._offset  # a crash cut the last line
            line = json.dumps(record) + "\n"
            handle.write((("\n" + line) if torn else line).encode("utf-8"))
            handle.flush()
            self._catch_up(handle)
        return repeat

    def _catch_up(self, handle: BinaryIO) -> None:
        """Count the complete lines appended since the last look (a torn last line, from a
        crash mid-write, is left; the next append ends it first, and it is skipped as a line
        that does not parse)."""
        status = os.fstat(handle.fileno())
        identity = (status.st_dev, status.st_ino)
        if identity != self._identity or status.st_size < self._offset:
            self._identity, self._offset, self._states = identity, 0, {}
        handle.seek(self._offset)
        data = handle.read()
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            self._count(line)
        self._offset += end

    def _count(self, line: bytes) -> None:
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return
        if not isinstance(record, dict) or record.get("repeat"):
            return
        effect = _EFFECTS.get(record.get("action"))  # type: ignore[arg-type]
        if effect is None:
            return
        key = (str(record.get("account")), str(record.get("id")))
        change, flag = effect
        getattr(self._states.setdefault(key, set()), change)(flag)


def in_effect(action: str, state: set[str]) -> bool:
    return {"hide": "hidden" in state or "deleted" in state,
            "unhide": "hidden" not in state or "deleted" in state,
            "delete": "deleted" in state,
            "ban": "banned" in state}[action]
