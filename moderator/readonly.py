"""Read-only access to the database, for ``explain`` and ``replay``.

Opened with SQLite's ``mode=ro``: these commands must leave the file byte for byte as it was,
and a read-write connection could checkpoint the WAL into it when it closes. No migration runs;
a database from an older version is read as it is.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

from moderator.errors import ModeratorError
from moderator.models import Category, Comment, Finding, Severity
from moderator.store import HistoryRecord, comment_from_row, iso, select_history

CONFIRMED, KEPT = "confirmed", "kept"
# review_queue statuses -> what the reviewer said about acting on the comment
VERDICTS = {"approved": CONFIRMED, "rejected": KEPT, "undone": KEPT}


class ReadOnlyError(ModeratorError):
    pass


def open_readonly(path: Path) -> sqlite3.Connection:
    """The database at ``path``, read-only."""
    if not Path(path).is_file():
        raise ReadOnlyError(f"{path}: no database here (run a backfill first)")
    try:
        db = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        db.execute("SELECT uid FROM comments LIMIT 1")
    except sqlite3.Error as e:
        raise ReadOnlyError(f"{path}: cannot read as Moderator's database ({e})") from None
    return db


def stored_comments(db: sqlite3.Connection, *, since: datetime | None, until: datetime | None,
                    account: str | None) -> Iterator[tuple[str, list[Comment]]]:
    """Per account (sorted by name), its stored comments in the order they were written, from
    ``since`` up to ``until`` (by the comment's date, else the date it was stored)."""
    where, args = ["1 = 1"], []
    when = "COALESCE(created_at, seen_at)"
    if since:
        where.append(f"{when} >= ?")
        args.append(iso(since))
    if until:
        where.append(f"{when} < ?")
        args.append(iso(until))
    if account:
        where.append("account = ?")
        args.append(account)
    rows = db.execute(f"SELECT * FROM comments WHERE {' AND '.join(where)} "
                      f"ORDER BY account, {when}, rowid", args)
    current, comments = None, []
    for row in rows:
        if row["account"] != current and comments:
            yield current, comments
            comments = []
        current = row["account"]
        comments.append(comment_from_row(dict(row)))
    if comments:
        yield current, comments


def reviewer_verdicts(db: sqlite3.Connection) -> dict[str, str]:
    """Comment uid -> CONFIRMED or KEPT, for the queue items a reviewer resolved."""
    return {uid: VERDICTS[status] for uid, status in db.execute(
        "SELECT comment_uid, status FROM review_queue") if status in VERDICTS}


def find_comment(db: sqlite3.Connection, ref: str) -> Comment | None:
    """A stored comment by its uid, the id ``review`` shows, or the platform's comment id
    (when only one comment has it)."""
    rows = db.execute("SELECT * FROM comments WHERE uid = ?", [ref]).fetchall()
    if not rows and ref.isdigit():
        rows = db.execute("SELECT c.* FROM comments c JOIN review_queue q "
                          "ON q.comment_uid = c.uid WHERE q.id = ?", [int(ref)]).fetchall()
    if not rows:
        rows = db.execute("SELECT * FROM comments WHERE comment_id = ? LIMIT 2", [ref]).fetchall()
    return comment_from_row(dict(rows[0])) if len(rows) == 1 else None


def verdict_of(db: sqlite3.Connection, uid: str) -> str | None:
    row = db.execute("SELECT status FROM review_queue WHERE comment_uid = ?", [uid]).fetchone()
    return VERDICTS.get(row["status"]) if row else None


def engaged_brake(db: sqlite3.Connection, account: str) -> dict[str, Any] | None:
    row = db.execute("SELECT reason, since FROM brakes WHERE account = ? AND engaged = 1",
                     [account]).fetchone()
    return dict(row) if row else None


def history(db: sqlite3.Connection, account: str, since: float,
            keys: Iterable[str]) -> list[HistoryRecord]:
    """The rules' memory of ``account`` with one of ``keys`` from POSIX time ``since`` on."""
    return select_history(db, account, since, keys)


def stored_findings(db: sqlite3.Connection, uids: list[str]) -> dict[str, tuple[str, list[Finding]]]:
    """uid -> (the rules' version that judged it, its findings), for the given comments. The
    evidence is left out (empty): the policy decides on rules, severities and reasons alone,
    and parsing it was a tenth of a replay."""
    out: dict[str, tuple[str, list[Finding]]] = {}
    for start in range(0, len(uids), 500):
        chunk = uids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for uid, version in db.execute(f"SELECT comment_uid, rule_version FROM decisions "
                                       f"WHERE comment_uid IN ({marks})", chunk):
            out[uid] = (version, [])
        for uid, rule, category, severity, reason in db.execute(
                f"SELECT comment_uid, rule, category, severity, reason FROM findings "
                f"WHERE comment_uid IN ({marks}) ORDER BY id", chunk):
            if uid in out:
                out[uid][1].append(Finding(rule, Category(category), Severity(severity), reason))
    return out
