"""Opening the database and its transactions; the concerns' mixins build on this."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from moderator.errors import StoreError
from moderator.store import schema
from moderator.store.database import Database
from moderator.store.foreign import refuse_foreign

BUSY_TIMEOUT_MS = 10_000


class StoreBase:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        refuse_foreign(self.path)
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no commit
            conn.execute("PRAGMA foreign_keys = ON")
            self.db = Database(conn)
            schema.apply(conn)
        except sqlite3.OperationalError as e:  # cannot open or write: the place, not the file
            raise StoreError(f"{self.path}: cannot open the database ({e}); check that its "
                             "folder exists and is writable") from None
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot use as the database ({e}); "
                             "is it a SQLite file from Moderator?") from None
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: {e}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "StoreBase":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction (a savepoint when nested). BEGIN IMMEDIATE takes the write lock up
        front, waiting up to the busy timeout: a deferred transaction that reads first and
        writes later fails at once with "database is locked" if another process wrote in
        between, which is exactly the daemon + review CLI situation."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")  # a full disk may fail here, after every statement passed
        except BaseException as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error) and _disk_failed(e):
                raise StoreError(f"{self.path}: cannot write ({e}); nothing of this change "
                                 f"was kept; {_free_space(self.path)} free on its disk") from None
            raise


# What the disk under the store does, not a bug: said in one line that names the file (a
# daemon pass then fails for its account and is tried again after a back-off; its comments
# were not stored, so they are judged again).
_DISK_ERRORS = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY})


def _disk_failed(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)  # extended codes keep the primary low byte
    return code is not None and (code & 0xFF) in _DISK_ERRORS


def _free_space(path: Path) -> str:
    try:
        return f"{shutil.disk_usage(path.resolve().parent).free / 2**20:,.1f} MB"
    except OSError:
        return "unknown space"
