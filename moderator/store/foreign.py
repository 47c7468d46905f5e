"""Refusing a database that is not Moderator's, before anything is written to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from moderator.errors import StoreError
from moderator.store.schema import MIGRATION_SET

BUSY_TIMEOUT_SECONDS = 10


def refuse_foreign(path: Path) -> None:
    """Raise StoreError when ``path`` is a database that is not ours: adding our tables (or
    switching its journal to WAL) would change someone else's file. An absent or empty file,
    or a SQLite file without tables, is fine. Only reads, so a refused file stays byte for
    byte the same."""
    # Only SQLite opens the file: closing any other handle on it would drop the locks this
    # process's connections hold (POSIX locks are per process), and a daemon's threads have some.
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return
    except OSError as e:
        raise StoreError(f"{path}: cannot read: {e.strerror}") from None
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        ours = "_sqlite_migrations" in tables and conn.execute(
            "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? LIMIT 1",
            [MIGRATION_SET]).fetchone() is not None
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: not a SQLite database ({e}); refusing to use it (name a "
                         "new file in [store] path)") from None
    finally:
        conn.close()
    if tables and not ours:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(f"{path}: a database that is not Moderator's (tables: {shown}); "
                         "refusing to add to it (name a new file in [store] path)")
