"""The database: SQLite through sqlite-utils, the only module that touches it.

Tables: comments seen, findings, decisions, the append-only audit log of actions, the human
review queue, per-account cursors, runs, errors, brake state and events, digests sent. Schema
changes are sqlite-utils migrations, applied on open. WAL and a busy timeout let the daemon and a
reviewer's CLI share one file.

Idempotency: a comment is recorded once (``uid`` = platform:account:id); an action is carried
out once (``idem_key`` = platform:comment id:action, checked against the log before acting).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Sequence

import sqlite_utils
from sqlite_utils.migrations import Migrations

from moderator.errors import StoreError
from moderator.models import (Action, ActionStatus, Author, Comment, Decision, Finding, Link,
                              Mode)

BUSY_TIMEOUT_MS = 10_000
MAX_ACTION_ATTEMPTS = 3
RUNS_KEPT_DAYS = 30

migrations = Migrations("moderator")


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(when: datetime | None) -> str | None:
    """One sortable text form for every timestamp in the database."""
    if when is None:
        return None
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@migrations(name="0001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    db.executescript("""
    CREATE TABLE comments (
        uid TEXT PRIMARY KEY, platform TEXT NOT NULL, account TEXT NOT NULL,
        comment_id TEXT NOT NULL, thread_id TEXT, parent_id TEXT,
        author_id TEXT, author_handle TEXT, author_name TEXT, author_created_at TEXT,
        text TEXT NOT NULL, created_at TEXT, permalink TEXT, links TEXT NOT NULL DEFAULT '[]',
        seen_at TEXT NOT NULL, run_id INTEGER
    );
    CREATE INDEX comments_account_seen ON comments(account, seen_at);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY, comment_uid TEXT NOT NULL REFERENCES comments(uid),
        account TEXT NOT NULL, rule TEXT NOT NULL, category TEXT NOT NULL,
        severity TEXT NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL,
        rule_version TEXT, created_at TEXT NOT NULL
    );
    CREATE INDEX findings_comment ON findings(comment_uid);
    CREATE INDEX findings_created ON findings(created_at);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY, comment_uid TEXT NOT NULL UNIQUE REFERENCES comments(uid),
        account TEXT NOT NULL, action TEXT NOT NULL, severity TEXT, reason TEXT NOT NULL,
        degraded_from TEXT, mode TEXT NOT NULL, rule_version TEXT, decided_at TEXT NOT NULL,
        run_id INTEGER
    );
    CREATE INDEX decisions_account ON decisions(account, decided_at);
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY, comment_uid TEXT NOT NULL, account TEXT NOT NULL,
        platform TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL,
        dry_run INTEGER NOT NULL, rule_version TEXT, actor TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '', idem_key TEXT NOT NULL, at TEXT NOT NULL
    );
    CREATE INDEX actions_idem ON actions(idem_key, status);
    CREATE INDEX actions_account ON actions(account, at);
    CREATE TRIGGER actions_append_only_update BEFORE UPDATE ON actions
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER actions_append_only_delete BEFORE DELETE ON actions
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE review_queue (
        id INTEGER PRIMARY KEY, comment_uid TEXT NOT NULL UNIQUE REFERENCES comments(uid),
        account TEXT NOT NULL, proposed_action TEXT NOT NULL, severity TEXT,
        reason TEXT NOT NULL, rules TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        created_at TEXT NOT NULL, resolved_at TEXT, reviewer TEXT, note TEXT,
        first_reviewer TEXT
    );
    CREATE INDEX review_status ON review_queue(status, created_at);
    CREATE TABLE cursors (account TEXT PRIMARY KEY, cursor TEXT, updated_at TEXT NOT NULL);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, account TEXT, started_at TEXT NOT NULL,
        finished_at TEXT, status TEXT NOT NULL DEFAULT 'running', fetched INTEGER DEFAULT 0,
        new INTEGER DEFAULT 0, flagged INTEGER DEFAULT 0, acted INTEGER DEFAULT 0,
        queued INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0, errors INTEGER DEFAULT 0,
        message TEXT
    );
    CREATE TABLE errors (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, account TEXT, platform TEXT,
        kind TEXT NOT NULL, message TEXT NOT NULL, run_id INTEGER
    );
    CREATE INDEX errors_at ON errors(at);
    CREATE TABLE brakes (
        account TEXT PRIMARY KEY, engaged INTEGER NOT NULL, reason TEXT, since TEXT,
        released_at TEXT, released_by TEXT
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, account TEXT, kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
        sent_at TEXT NOT NULL, recipients TEXT NOT NULL, status TEXT NOT NULL
    );
    """)



@migrations(name="0002_digest")
def _digest(db: sqlite_utils.Database) -> None:
    # Why a digest failed (SMTP host, port and the server's answer; never a password), and
    # indexes for the digest's time-range queries over every account at once.
    db.executescript("""
    ALTER TABLE digests ADD COLUMN detail TEXT NOT NULL DEFAULT '';
    CREATE INDEX comments_seen ON comments(seen_at);
    CREATE INDEX actions_at ON actions(at);
    CREATE INDEX events_at ON events(at);
    """)

@migrations(name="0003_history")
def _history(db: sqlite_utils.Database) -> None:
    # What rules asked to remember about each comment (flooding: near-duplicate text and link
    # keys), so that a later batch is judged against the recent past.
    db.executescript("""
    CREATE TABLE history (
        id INTEGER PRIMARY KEY, account TEXT NOT NULL, comment_uid TEXT NOT NULL,
        author TEXT NOT NULL, key TEXT NOT NULL, time REAL, at REAL NOT NULL
    );
    CREATE INDEX history_at ON history(at);
    CREATE INDEX history_account_key ON history(account, key, time);
    """)


@migrations(name="0004_runs_index")
def _runs_index(db: sqlite_utils.Database) -> None:
    db.execute("CREATE INDEX runs_kind_started ON runs(kind, started_at)")


class HistoryRecord(NamedTuple):
    """One remembered key of a comment, in the shape rules.flood.FloodRecord has."""

    author: str
    key: str
    time: float | None
    uid: str


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """An action logged as planned and not yet carried out (or failed and worth a retry)."""

    comment: Comment
    action: Action
    rule_version: str | None
    actor: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """One judged comment, ready to be written with its batch."""

    comment: Comment
    findings: Sequence[Finding]
    decision: Decision
    rule_version: str
    memory: Sequence[Any] = ()  # what the rules remember of it (author, key, time: MemoryRow)


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no commit
            conn.execute("PRAGMA foreign_keys = ON")
            self.db = sqlite_utils.Database(conn)
            migrations.apply(self.db)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot use as the database ({e}); "
                             "is it a SQLite file from Moderator?") from None
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: {e}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
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

    # -- runs and errors -------------------------------------------------------------------

    def start_run(self, kind: str, account: str | None) -> int:
        with self.atomic():
            cur = self.db.execute("INSERT INTO runs(kind, account, started_at) VALUES (?, ?, ?)",
                                  [kind, account, iso(now())])
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, counts: dict[str, int],
                   message: str | None = None) -> None:
        allowed = ("fetched", "new", "flagged", "acted", "queued", "skipped", "errors")
        sets = ", ".join(f"{k} = ?" for k in counts if k in allowed)
        values = [v for k, v in counts.items() if k in allowed]
        with self.atomic():
            self.db.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, message = ?"
                f"{', ' + sets if sets else ''} WHERE id = ?",
                [status, iso(now()), message, *values, run_id])

    def prune_runs(self, older_than_days: float = RUNS_KEPT_DAYS) -> int:
        """Forget old poll runs (one a poll: thousands a day), keeping each account's latest
        successful one so `status` still knows when it last worked."""
        with self.atomic():
            cur = self.db.execute(
                "DELETE FROM runs WHERE kind = 'poll' AND started_at < ? AND id NOT IN "
                "(SELECT max(id) FROM runs WHERE kind = 'poll' AND status = 'ok' "
                "GROUP BY account)", [iso(now() - timedelta(days=older_than_days))])
        return cur.rowcount

    def record_error(self, account: str | None, platform: str | None, kind: str, message: str,
                     run_id: int | None = None) -> None:
        with self.atomic():
            self.db.execute("INSERT INTO errors(at, account, platform, kind, message, run_id) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [iso(now()), account, platform, kind, message[:2000], run_id])

    def record_event(self, account: str | None, kind: str, detail: str = "") -> None:
        self.db.execute("INSERT INTO events(at, account, kind, detail) VALUES (?, ?, ?, ?)",
                        [iso(now()), account, kind, detail])

    # -- cursors and comments --------------------------------------------------------------

    def cursor(self, account: str) -> str | None:
        row = self.db.execute("SELECT cursor FROM cursors WHERE account = ?", [account]).fetchone()
        return row[0] if row else None

    def set_cursor(self, account: str, cursor: str | None) -> None:
        self.db.execute("INSERT INTO cursors(account, cursor, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT(account) DO UPDATE SET cursor = excluded.cursor, "
                        "updated_at = excluded.updated_at", [account, cursor, iso(now())])

    def unseen(self, comments: Sequence[Comment]) -> list[Comment]:
        """The comments not recorded yet (a replayed batch after a crash skips the rest)."""
        if not comments:
            return []
        uids = [c.uid for c in comments]
        seen: set[str] = set()
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            seen.update(r[0] for r in self.db.execute(
                f"SELECT uid FROM comments WHERE uid IN ({marks})", chunk))
        out, batch_seen = [], set()
        for comment in comments:
            if comment.uid not in seen and comment.uid not in batch_seen:
                batch_seen.add(comment.uid)
                out.append(comment)
        return out

    def record_batch(self, items: Sequence[Recorded], *, mode: Mode, run_id: int | None) -> None:
        """Write the batch's comments, findings, decisions and the rules' memory.

        Called by ``effects.commit`` inside :meth:`atomic`, with the batch's queue entries,
        audit rows and cursor, so that a crash either keeps the whole batch or none of it.
        """
        stamp = iso(now())
        comment_rows, finding_rows, decision_rows = [], [], []
        for item in items:
            c = item.comment
            comment_rows.append((
                c.uid, c.platform, c.account, c.id, c.thread_id, c.parent_id,
                c.author.id, c.author.handle, c.author.name, iso(c.author.created_at),
                c.text, iso(c.created_at), c.permalink,
                json.dumps([{"url": link.url, "display": link.display} for link in c.links]),
                stamp, run_id))
            for f in item.findings:
                finding_rows.append((c.uid, c.account, f.rule, f.category.value, f.severity.value,
                                     f.reason, json.dumps(dict(f.evidence), default=str),
                                     item.rule_version, stamp))
            d = item.decision
            decision_rows.append((c.uid, c.account, d.action.value,
                                  d.severity.value if d.severity else None, d.reason,
                                  d.degraded_from.value if d.degraded_from else None,
                                  mode.value, item.rule_version, stamp, run_id))
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO comments(uid, platform, account, comment_id, thread_id, "
            "parent_id, author_id, author_handle, author_name, author_created_at, text, "
            "created_at, permalink, links, seen_at, run_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", comment_rows)
        self.db.conn.executemany(
            "INSERT INTO findings(comment_uid, account, rule, category, severity, reason, "
            "evidence, rule_version, created_at) VALUES (?,?,?,?,?,?,?,?,?)", finding_rows)
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO decisions(comment_uid, account, action, severity, reason, "
            "degraded_from, mode, rule_version, decided_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            decision_rows)
        self.db.conn.executemany(
            "INSERT INTO history(account, comment_uid, author, key, time, at) "
            "VALUES (?,?,?,?,?,?)",
            [(item.comment.account, item.comment.uid, m.author, m.key, m.time, now().timestamp())
             for item in items for m in item.memory])

    def load_comment(self, uid: str) -> Comment | None:
        rows = list(self.db.query("SELECT * FROM comments WHERE uid = ?", [uid]))
        return comment_from_row(rows[0]) if rows else None

    def prune_history(self, older_than: float) -> int:
        """Forget records stored more than ``older_than`` seconds ago; returns how many."""
        with self.atomic():
            cur = self.db.execute("DELETE FROM history WHERE at < ?",
                                  [now().timestamp() - older_than])
        return cur.rowcount

    def history(self, account: str, since: float, keys: Iterable[str]) -> list[HistoryRecord]:
        """The account's remembered records with one of ``keys``, from POSIX time ``since`` on
        (undated ones too), for rules that judge a comment against the recent past."""
        keys = list(keys)
        out: list[HistoryRecord] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            out.extend(HistoryRecord(*row) for row in self.db.execute(
                f"SELECT author, key, time, comment_uid FROM history WHERE account = ? "
                f"AND key IN ({','.join('?' * len(chunk))}) AND (time >= ? OR time IS NULL) "
                f"ORDER BY id DESC LIMIT 10000", [account, *chunk, since]))
        return out

    # -- the audit log -----------------------------------------------------------------------

    def append_action(self, comment: Comment, action: Action, status: ActionStatus, *,
                      rule_version: str | None = None, dry_run: bool = False,
                      actor: str = "moderator", detail: str = "") -> None:
        self.db.execute(
            "INSERT INTO actions(comment_uid, account, platform, action, status, dry_run, "
            "rule_version, actor, detail, idem_key, at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [comment.uid, comment.account, comment.platform, action.value, status.value,
             int(dry_run), rule_version, actor, detail[:2000], idem_key(comment, action),
             iso(now())])

    def log_action(self, comment: Comment, action: Action, status: ActionStatus,
                   **kwargs: Any) -> None:
        """Append one audit row in its own transaction."""
        with self.atomic():
            self.append_action(comment, action, status, **kwargs)

    def action_done(self, comment: Comment, action: Action) -> bool:
        """True if this action on this comment is already in effect (done and not undone)."""
        row = self.db.execute(
            "SELECT status FROM actions WHERE idem_key = ? AND status IN (?, ?) "
            "ORDER BY id DESC LIMIT 1",
            [idem_key(comment, action), ActionStatus.DONE.value, ActionStatus.UNDONE.value]
        ).fetchone()
        return bool(row and row[0] == ActionStatus.DONE.value)

    def pending_actions(self, account: str) -> list[PlannedAction]:
        """Planned actions with no outcome yet: after a crash these are carried out first.

        A failed action is retried up to MAX_ACTION_ATTEMPTS times in later passes.
        """
        rows = self.db.execute(
            """SELECT p.comment_uid, p.action, p.rule_version, p.actor FROM actions p
               WHERE p.account = ? AND p.status = 'planned' AND p.id = (
                   SELECT max(id) FROM actions q WHERE q.idem_key = p.idem_key
                   AND q.status = 'planned')
               AND NOT EXISTS (SELECT 1 FROM actions d WHERE d.idem_key = p.idem_key
                   AND d.id > p.id AND d.status IN ('done', 'skipped'))
               AND (SELECT count(*) FROM actions f WHERE f.idem_key = p.idem_key
                   AND f.id > p.id AND f.status = 'failed') < ?
               ORDER BY p.id""", [account, MAX_ACTION_ATTEMPTS]).fetchall()
        out = []
        for uid, action, version, actor in rows:
            comment = self.load_comment(uid)
            if comment is not None:
                out.append(PlannedAction(comment, Action(action), version, actor))
        return out

    def destructive_count(self, account: str, since: datetime) -> int:
        """Destructive actions planned in enforce mode for the account since ``since``."""
        row = self.db.execute(
            "SELECT count(*) FROM actions WHERE account = ? AND at >= ? AND status = 'planned' "
            "AND dry_run = 0 AND action IN ('hide', 'delete', 'ban') AND actor = 'moderator'",
            [account, iso(since)]).fetchone()
        return int(row[0])

    # -- review queue ------------------------------------------------------------------------

    def enqueue(self, comment: Comment, proposed: Action, decision: Decision,
                rule_version: str | None) -> None:
        rules = ",".join(sorted({f.rule for f in decision.findings}))
        cur = self.db.execute(
            "INSERT OR IGNORE INTO review_queue(comment_uid, account, proposed_action, severity, "
            "reason, rules, created_at) VALUES (?,?,?,?,?,?,?)",
            [comment.uid, comment.account, proposed.value,
             decision.severity.value if decision.severity else None, decision.reason, rules,
             iso(now())])
        if cur.rowcount:
            self.append_action(comment, Action.REVIEW, ActionStatus.QUEUED,
                               rule_version=rule_version, detail=f"proposed {proposed.value}")

    def queue(self, *, status: str | None = "pending", account: str | None = None,
              rule: str | None = None, older_than: datetime | None = None,
              newer_than: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, args = ["1 = 1"], []
        if status:
            where.append("q.status = ?")
            args.append(status)
        if account:
            where.append("q.account = ?")
            args.append(account)
        if rule:
            where.append("(',' || q.rules || ',') LIKE ?")
            args.append(f"%,{rule}%")
        if older_than:
            where.append("q.created_at <= ?")
            args.append(iso(older_than))
        if newer_than:
            where.append("q.created_at >= ?")
            args.append(iso(newer_than))
        return list(self.db.query(
            f"{_QUEUE_ITEMS} WHERE {' AND '.join(where)} ORDER BY q.created_at, q.id LIMIT ?",
            [*args, limit]))

    def queue_item(self, item_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query(f"{_QUEUE_ITEMS} WHERE q.id = ?", [item_id]))
        return rows[0] if rows else None

    def resolve_review(self, item_id: int, status: str, reviewer: str, note: str = "") -> None:
        self.db.execute("UPDATE review_queue SET status = ?, resolved_at = ?, reviewer = ?, "
                        "note = ? WHERE id = ?", [status, iso(now()), reviewer, note, item_id])

    def set_first_reviewer(self, item_id: int, reviewer: str) -> None:
        self.db.execute("UPDATE review_queue SET first_reviewer = ? WHERE id = ?",
                        [reviewer, item_id])

    def kept_by_reviewer(self, uids: Iterable[str]) -> set[str]:
        """Of ``uids``, the comments a reviewer kept (rejected the proposed action): never act
        on them again."""
        uids, kept = list(uids), set()
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            kept.update(uid for (uid,) in self.db.execute(
                f"SELECT comment_uid FROM review_queue WHERE status = 'rejected' AND "
                f"comment_uid IN ({','.join('?' * len(chunk))})", chunk))
        return kept

    def findings_for(self, uid: str) -> list[dict[str, Any]]:
        rows = list(self.db.query("SELECT * FROM findings WHERE comment_uid = ? ORDER BY id",
                                  [uid]))
        for row in rows:
            row["evidence"] = json.loads(row["evidence"])
        return rows

    def actions_for(self, uid: str) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM actions WHERE comment_uid = ? ORDER BY id",
                                  [uid]))

    # -- brake -------------------------------------------------------------------------------

    def brake(self, account: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM brakes WHERE account = ? AND engaged = 1",
                                  [account]))
        return rows[0] if rows else None

    def engage_brake(self, account: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO brakes(account, engaged, reason, since) VALUES (?, 1, ?, ?) "
            "ON CONFLICT(account) DO UPDATE SET engaged = 1, reason = excluded.reason, "
            "since = excluded.since, released_at = NULL, released_by = NULL",
            [account, reason, iso(now())])
        self.record_event(account, "brake.engaged", reason)

    def release_brake(self, account: str, by: str) -> bool:
        with self.atomic():
            cur = self.db.execute("UPDATE brakes SET engaged = 0, released_at = ?, "
                                  "released_by = ? WHERE account = ? AND engaged = 1",
                                  [iso(now()), by, account])
            if cur.rowcount:
                self.record_event(account, "brake.released", f"by {by}")
        return bool(cur.rowcount)

    # -- summaries ---------------------------------------------------------------------------

    def decision_counts(self, run_id: int | None = None) -> dict[str, int]:
        where, args = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
        return {action: n for action, n in self.db.execute(
            f"SELECT action, count(*) FROM decisions {where} GROUP BY action", args)}


    # -- digest ------------------------------------------------------------------------------
    # Periods are half-open [start, end) on the time Moderator recorded things (seen_at, at,
    # created_at), so consecutive digests neither overlap nor leave a gap.

    def digest_totals(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Per (account, platform): comments seen and flagged, and audit-log outcomes."""
        span = [iso(start), iso(end)]
        rows: dict[tuple[str, str], dict[str, Any]] = {}

        def row(account: str, platform: str) -> dict[str, Any]:
            return rows.setdefault((account, platform), {
                "account": account, "platform": platform, "seen": 0, "flagged": 0,
                "hidden": 0, "deleted": 0, "banned": 0, "queued": 0, "undone": 0,
                "dry_run": 0, "failed": 0})

        for account, platform, n in self.db.execute(
                "SELECT account, platform, count(*) FROM comments WHERE seen_at >= ? AND "
                "seen_at < ? GROUP BY account, platform", span):
            row(account, platform)["seen"] = n
        for account, platform, n in self.db.execute(
                "SELECT c.account, c.platform, count(DISTINCT f.comment_uid) FROM findings f "
                "JOIN comments c ON c.uid = f.comment_uid WHERE f.created_at >= ? AND "
                "f.created_at < ? GROUP BY c.account, c.platform", span):
            row(account, platform)["flagged"] = n
        done = {"hide": "hidden", "delete": "deleted", "ban": "banned"}
        for account, platform, action, status, n in self.db.execute(
                "SELECT account, platform, action, status, count(*) FROM actions WHERE at >= ? "
                "AND at < ? GROUP BY account, platform, action, status", span):
            r = row(account, platform)
            if status == "done" and action in done:
                r[done[action]] += n
            elif status == "queued":
                r["queued"] += n
            elif status in ("undone", "failed"):
                r[status] += n
            elif status == "dry-run":
                r["dry_run"] += n
        return [rows[k] for k in sorted(rows)]

    def digest_findings(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Findings per (rule, category, severity), with how many comments they concern."""
        return list(self.db.query(
            "SELECT rule, category, severity, count(*) AS findings, "
            "count(DISTINCT comment_uid) AS comments FROM findings WHERE created_at >= ? AND "
            "created_at < ? GROUP BY rule, category, severity ORDER BY count(*) DESC, rule",
            [iso(start), iso(end)]))

    def digest_category_findings(self, category: str, start: datetime, end: datetime,
                                 limit: int = 20_000) -> list[dict[str, Any]]:
        """Findings of one category with their comment's author, evidence parsed."""
        rows = list(self.db.query(
            "SELECT f.rule, f.severity, f.reason, f.evidence, f.comment_uid, f.created_at, "
            "c.account, c.platform, c.author_id, c.author_handle, c.author_name "
            "FROM findings f JOIN comments c ON c.uid = f.comment_uid "
            "WHERE f.category = ? AND f.created_at >= ? AND f.created_at < ? "
            "ORDER BY f.id LIMIT ?", [category, iso(start), iso(end), limit]))
        for r in rows:
            try:
                r["evidence"] = json.loads(r["evidence"])
            except ValueError:
                r["evidence"] = {}
        return rows

    def digest_errors(self, start: datetime, end: datetime,
                      limit: int = 50) -> list[dict[str, Any]]:
        """Errors grouped by (account, platform, kind): count, last time and last message."""
        return list(self.db.query(
            "SELECT account, platform, kind, count(*) AS n, max(at) AS last_at, message "
            "FROM errors WHERE at >= ? AND at < ? GROUP BY account, platform, kind "
            "ORDER BY count(*) DESC LIMIT ?", [iso(start), iso(end), limit]))

    def digest_events(self, start: datetime, end: datetime, prefix: str = "brake.",
                      limit: int = 100) -> list[dict[str, Any]]:
        return list(self.db.query(
            "SELECT * FROM events WHERE at >= ? AND at < ? AND kind LIKE ? ORDER BY at, id "
            "LIMIT ?", [iso(start), iso(end), prefix + "%", limit]))

    def engaged_brakes(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM brakes WHERE engaged = 1 ORDER BY account"))

    def record_digest(self, start: datetime, end: datetime, recipients: Sequence[str],
                      status: str, detail: str = "") -> int:
        """One digest sent (status ``sent``) or given up on (``failed``, with why)."""
        with self.atomic():
            cur = self.db.execute(
                "INSERT INTO digests(period_start, period_end, sent_at, recipients, status, "
                "detail) VALUES (?, ?, ?, ?, ?, ?)",
                [iso(start), iso(end), iso(now()), json.dumps(list(recipients)), status,
                 detail[:2000]])
        return int(cur.lastrowid)

    def last_digest_end(self) -> datetime | None:
        """The end of the latest period a sent digest covered: the next one starts there."""
        row = self.db.execute("SELECT max(period_end) FROM digests WHERE status = 'sent'")
        return parse_iso(row.fetchone()[0])

    def digests(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM digests ORDER BY id DESC LIMIT ?", [limit]))

    # -- daemon ------------------------------------------------------------------------------

    def mark_interrupted_runs(self) -> int:
        """Polls left 'running' by a daemon that died: only called under the daemon lock."""
        with self.atomic():
            cur = self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = ? "
                                  "WHERE status = 'running' AND kind = 'poll'", [iso(now())])
        return int(cur.rowcount)

    def brake_window_start(self, account: str, minutes: float) -> datetime:
        """Where the brake's sliding window starts: its length ago, or the last release if
        later (actions before an operator's release must not engage the brake again)."""
        start = window_start(minutes)
        row = self.db.execute("SELECT released_at FROM brakes WHERE account = ? AND engaged = 0",
                              [account]).fetchone()
        released = parse_iso(row[0]) if row and row[0] else None
        return max(start, released) if released else start

    def account_health(self, account: str, since: datetime) -> dict[str, Any]:
        """What `moderator status` shows for one account."""
        one = lambda sql, *args: self.db.execute(sql, args).fetchone()  # noqa: E731
        last_ok = one("SELECT max(finished_at) FROM runs WHERE account = ? AND kind = 'poll' "
                      "AND status = 'ok'", account)[0]
        last = one("SELECT status, message, finished_at FROM runs WHERE account = ? AND "
                   "kind = 'poll' AND status != 'running' ORDER BY id DESC LIMIT 1", account)
        errors = one("SELECT count(*) FROM errors WHERE account = ? AND at >= ?",
                     account, iso(since))[0]
        last_error = one("SELECT kind, message, at FROM errors WHERE account = ? "
                         "ORDER BY id DESC LIMIT 1", account)
        queued = one("SELECT count(*) FROM review_queue WHERE account = ? AND "
                      "status = 'pending'", account)[0]
        failed = one("SELECT count(*) FROM actions WHERE account = ? AND status = 'failed' "
                     "AND at >= ?", account, iso(since))[0]
        backoff = one("SELECT at, detail FROM events WHERE account = ? AND kind = "
                      "'account.backoff' AND at > coalesce(?, '') ORDER BY id DESC LIMIT 1",
                      account, last_ok)
        return {
            "last_ok": parse_iso(last_ok),
            "last_status": last[0] if last else None,
            "last_message": last[1] if last else None,
            "errors": int(errors),
            "last_error": ({"kind": last_error[0], "message": last_error[1],
                            "at": parse_iso(last_error[2])} if last_error else None),
            "backlog": self.pending_count(account),
            "failed_actions": int(failed),
            "queued": int(queued),
            "brake": self.brake(account),
            # the daemon's latest backoff since the last good poll: it is failing right now
            "backoff": {"at": parse_iso(backoff[0]), "detail": backoff[1]} if backoff else None,
        }

    def pending_count(self, account: str) -> int:
        """Planned actions not carried out yet (after a crash, or waiting for a retry)."""
        return int(self.db.execute(
            """SELECT count(DISTINCT p.idem_key) FROM actions p WHERE p.account = ?
               AND p.status = 'planned' AND NOT EXISTS (SELECT 1 FROM actions d
               WHERE d.idem_key = p.idem_key AND d.id > p.id AND d.status IN ('done', 'skipped'))
            """, [account]).fetchone()[0])

    def queue_size(self) -> int:
        return int(self.db.execute(
            "SELECT count(*) FROM review_queue WHERE status = 'pending'").fetchone()[0])

    def last_digest(self) -> dict[str, datetime] | None:
        """When the last digest went out and the period it covered (failures do not count)."""
        row = self.db.execute("SELECT sent_at, period_start, period_end FROM digests WHERE "
                              "status != 'failed' ORDER BY sent_at DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"sent_at": parse_iso(row[0]), "period_start": parse_iso(row[1]),
                "period_end": parse_iso(row[2])}

    def first_run(self) -> datetime | None:
        """When this database first saw a pass (a digest cannot be missed before that)."""
        row = self.db.execute("SELECT min(started_at) FROM runs").fetchone()
        return parse_iso(row[0]) if row and row[0] else None

    def comment_uid(self, account: str, comment_id: str) -> str | None:
        row = self.db.execute("SELECT uid FROM comments WHERE account = ? AND comment_id = ?",
                              [account, comment_id]).fetchone()
        return row[0] if row else None

    def actions_in_effect(self, uid: str) -> list[Action]:
        """Destructive actions done on a comment and not undone, latest first."""
        rows = self.db.execute(
            """SELECT action, status FROM actions WHERE comment_uid = ? AND
               status IN ('done', 'undone') AND action IN ('hide', 'delete', 'ban')
               ORDER BY id""", [uid]).fetchall()
        state: dict[str, bool] = {}
        for action, status in rows:
            state[action] = status == ActionStatus.DONE.value
        return [Action(a) for a in ("ban", "delete", "hide") if state.get(a)]

    def review_item_for(self, uid: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT id FROM review_queue WHERE comment_uid = ?",
                              [uid]).fetchone()
        return self.queue_item(int(row[0])) if row else None

    def rule_verdicts(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Per rule: comments flagged, acted on, queued, and the people's verdicts.

        A comment is ``confirmed`` when a reviewer approved the proposed action (and nobody
        undid it), ``wrong`` when a reviewer rejected it or undid an action on it.
        """
        when, args = ("WHERE created_at >= ?", [iso(since)]) if since else ("", [])
        return list(self.db.query(f"""
            WITH flagged AS (SELECT DISTINCT rule, comment_uid FROM findings {when}),
            verdict AS (
              SELECT u.comment_uid,
                CASE WHEN EXISTS (SELECT 1 FROM actions x WHERE x.comment_uid = u.comment_uid
                                  AND x.status = 'undone') THEN 'wrong'
                     WHEN q.status = 'rejected' THEN 'wrong'
                     WHEN q.status = 'approved' THEN 'confirmed' END AS verdict,
                EXISTS (SELECT 1 FROM actions a WHERE a.comment_uid = u.comment_uid
                        AND a.status = 'done' AND a.action IN ('hide', 'delete', 'ban'))
                    AS acted,
                q.id IS NOT NULL AS queued
              FROM (SELECT DISTINCT comment_uid FROM flagged) u
              LEFT JOIN review_queue q ON q.comment_uid = u.comment_uid)
            SELECT f.rule AS rule, count(*) AS flagged, sum(v.acted) AS acted,
                   sum(v.queued) AS queued,
                   count(CASE WHEN v.verdict = 'confirmed' THEN 1 END) AS confirmed,
                   count(CASE WHEN v.verdict = 'wrong' THEN 1 END) AS wrong
            FROM flagged f JOIN verdict v ON v.comment_uid = f.comment_uid
            GROUP BY f.rule ORDER BY flagged DESC, f.rule""", args))


# A review item with the comment it is about (review list, show, the digest).
_QUEUE_ITEMS = ("SELECT q.*, c.platform, c.comment_id, c.author_handle, c.author_name, c.text, "
                "c.permalink FROM review_queue q JOIN comments c ON c.uid = q.comment_uid")


def idem_key(comment: Comment, action: Action) -> str:
    return f"{comment.platform}:{comment.account}:{comment.id}:{action.value}"


def comment_from_row(r: dict[str, Any]) -> Comment:
    return Comment(
        platform=r["platform"], account=r["account"], id=r["comment_id"], text=r["text"],
        author=Author(id=r["author_id"], handle=r["author_handle"], name=r["author_name"],
                      created_at=parse_iso(r["author_created_at"])),
        created_at=parse_iso(r["created_at"]), thread_id=r["thread_id"],
        parent_id=r["parent_id"], permalink=r["permalink"],
        links=tuple(Link(url=link["url"], display=link.get("display"))
                    for link in json.loads(r["links"] or "[]")),
    )


def window_start(minutes: float) -> datetime:
    return now() - timedelta(minutes=minutes)
