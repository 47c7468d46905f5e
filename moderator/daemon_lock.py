"""The daemon's lock file: one daemon per database. Apart from moderator/daemon.py so that
``status`` can ask who holds it without importing the scheduler, the rules and the connectors."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

from moderator.errors import ModeratorError

LOCK_WAIT_SECONDS = 2.0


class DaemonLocked(ModeratorError):
    """Another daemon holds the database's lock."""


class DaemonLock:
    """An exclusive ``flock`` on a file next to the database; the file holds the owner's pid.

    The kernel drops the lock when the process dies (even on kill -9), so a stale file never
    blocks a restart.
    """

    def __init__(self, path: Path):
        self.path = path
        self._handle: Any = None

    def acquire(self, wait: float = LOCK_WAIT_SECONDS) -> None:
        try:
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as e:
            raise DaemonLocked(f"{self.path}: cannot create the daemon's lock file "
                               f"({e.strerror}); set daemon.lock_file to a writable path") from None
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:  # a `status` probe holds it only briefly
                    handle.seek(0)
                    pid = handle.read().strip() or "unknown"
                    handle.close()
                    raise DaemonLocked(
                        f"{self.path} is locked by another moderator daemon (pid {pid}) "
                        f"using the same database; stop it first") from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    @staticmethod
    def holder(path: Path) -> int | None:
        """The pid of the daemon holding the lock, or None when no daemon runs."""
        try:
            handle = path.open("r", encoding="utf-8")
        except FileNotFoundError:
            return None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = handle.read().strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None
