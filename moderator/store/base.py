"""Opening the database and its transactions; the concerns' mixins build on this."""

from __future__ import annotations

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
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
