"""The store's connection: ``execute``, ``query`` and nested transactions on sqlite3 itself.

The store uses four things of sqlite-utils' ``Database``: ``execute``, ``query``, ``atomic``
and ``close``. Importing sqlite-utils took 60-64 ms of the 0.3 s that `status` and
`review list` may take (its module-level regexes, dateutil, pluggy), and its ``query`` wraps
every read in a SAVEPOINT and a RELEASE. The connection runs in autocommit mode
(``isolation_level=None``), so none of what sqlite-utils adds around a statement applies here.
sqlite-utils still applies the schema's migrations (``schema.apply``), imported only when a
store is new or older than this code.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

Params = Sequence[Any] | dict[str, Any] | None


class Database:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._savepoints = 0

    def execute(self, sql: str, params: Params = None) -> sqlite3.Cursor:
        return self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)

    def executescript(self, sql: str) -> sqlite3.Cursor:
        return self.conn.executescript(sql)

    def query(self, sql: str, params: Params = None) -> Iterator[dict[str, Any]]:
        """The rows of ``sql`` as dicts, fetched as they are iterated."""
        cursor = self.execute(sql, params)
        keys = [d[0] for d in cursor.description]
        return (dict(zip(keys, row)) for row in cursor)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A savepoint: undone alone if the block raises, kept with the enclosing
        transaction (or on its own, outside one)."""
        self._savepoints += 1
        name = f"moderator_{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # else the error itself ended the transaction
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._savepoints -= 1
        self.conn.execute(f"RELEASE {name}")

    def close(self) -> None:
        self.conn.close()
