"""The schema: sqlite-utils migrations, applied in order when a store is opened.

Tables: comments seen, findings, decisions, the append-only audit log of actions, the human
review queue, per-account cursors, runs, errors, brake state and events, digests sent, and the
rules' memory (``history``). A schema change is a new migration at the end, never an edit.

A store that has every migration already (every store but a new or an upgraded one) is found
so by one read of sqlite-utils' ``_sqlite_migrations`` table, without importing sqlite-utils
(``database.py`` says why); otherwise sqlite-utils' ``Migrations`` applies what is missing.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import sqlite_utils

MIGRATION_SET = "moderator"
MIGRATIONS: list[tuple[str, Callable[["sqlite_utils.Database"], None]]] = []


def migration(name: str) -> Callable:
    """Register the decorated function as the next migration, called ``name``."""
    def register(fn: Callable[["sqlite_utils.Database"], None]) -> Callable:
        MIGRATIONS.append((name, fn))
        return fn
    return register


def pending(conn: sqlite3.Connection) -> list[str]:
    """The migrations not applied to this database yet, in order (only reads)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                    "AND name = '_sqlite_migrations'").fetchone() is None:
        return [name for name, _ in MIGRATIONS]
    applied = {name for (name,) in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET])}
    return [name for name, _ in MIGRATIONS if name not in applied]


def apply(conn: sqlite3.Connection) -> None:
    """Apply the pending migrations, each in one transaction with its record."""
    if not pending(conn):
        return
    from moderator.store.sqlite import sqlite_utils
    from sqlite_utils.migrations import Migrations
    runner = Migrations(MIGRATION_SET)
    for name, fn in MIGRATIONS:
        runner(name=name)(fn)
    runner.apply(sqlite_utils.Database(conn))

INITIAL = """
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
    """


@migration("0001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    db.executescript(INITIAL)


@migration("0002_digest")
def _digest(db: sqlite_utils.Database) -> None:
    # Why a digest failed (SMTP host, port and the server's answer; never a password), and
    # indexes for the digest's time-range queries over every account at once.
    db.executescript("""
    ALTER TABLE digests ADD COLUMN detail TEXT NOT NULL DEFAULT '';
    CREATE INDEX comments_seen ON comments(seen_at);
    CREATE INDEX actions_at ON actions(at);
    CREATE INDEX events_at ON events(at);
    """)


@migration("0003_history")
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


@migration("0004_runs_index")
def _runs_index(db: sqlite_utils.Database) -> None:
    db.execute("CREATE INDEX runs_kind_started ON runs(kind, started_at)")


@migration("0005_web")
def _web(db: sqlite_utils.Database) -> None:
    # Reviewer accounts for the web inbox (passwords only as argon2 hashes) and their
    # sessions (only a hash of the cookie's token is kept); an index in the inbox's urgency
    # order (store.inbox.URGENCY, the same expression) so that a page never sorts the queue.
    db.executescript("""
    CREATE TABLE users (
        name TEXT PRIMARY KEY COLLATE NOCASE, role TEXT NOT NULL,
        password_hash TEXT NOT NULL, created_at TEXT NOT NULL, changed_at TEXT
    );
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY, user TEXT NOT NULL COLLATE NOCASE, csrf TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL
    );
    CREATE INDEX web_sessions_user ON web_sessions(user);
    CREATE INDEX review_urgency ON review_queue(status, (CASE severity WHEN 'critical' THEN 4
        WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END) DESC,
        created_at, id);
    CREATE INDEX actions_actor ON actions(actor, at);
    CREATE INDEX comments_author ON comments(platform, author_id);
    """)


@migration("0006_brake_index")
def _brake_index(db: sqlite_utils.Database) -> None:
    # The brake counts the moderator's planned destructive actions in its window before every
    # batch; without this the count read every queued review row of the window (most of a
    # backfill's audit log), so a long backfill slowed down quadratically. Partial: only the
    # rows it counts are indexed (AuditLog.destructive_count's WHERE implies this one).
    db.execute("CREATE INDEX actions_brake ON actions(account, at) WHERE status = 'planned' "
               "AND dry_run = 0 AND actor = 'moderator'")


@migration("0007_open_actions")
def _open_actions(db: sqlite_utils.Database) -> None:
    # Every pass resumes the actions left planned, and `status` counts them. Found in the audit
    # log, that meant reading every planned row an account ever had (850,000 actions: 0.2 s a
    # poll and a `status` of 0.7 s). This table holds only the open ones: each idem_key's
    # latest planned row until a done or skipped row closes it, kept in the same transaction
    # as the audit row (the log itself stays append-only and the source of truth); by triggers
    # here, by AuditLog.append_actions since 0009.
    # Partial indexes for the two other counts of `status`: failed actions (rare rows) and the
    # pending review items of one account (counted from the index alone).
    db.executescript("""
    CREATE TABLE open_actions (
        idem_key TEXT PRIMARY KEY, account TEXT NOT NULL, planned_id INTEGER NOT NULL
    );
    CREATE INDEX open_actions_account ON open_actions(account, planned_id);
    INSERT INTO open_actions(idem_key, account, planned_id)
        SELECT p.idem_key, p.account, max(p.id) FROM actions p WHERE p.status = 'planned'
        AND NOT EXISTS (SELECT 1 FROM actions d WHERE d.idem_key = p.idem_key AND d.id > p.id
                        AND d.status IN ('done', 'skipped'))
        GROUP BY p.idem_key;
    CREATE TRIGGER actions_open AFTER INSERT ON actions WHEN new.status = 'planned'
        BEGIN INSERT OR REPLACE INTO open_actions(idem_key, account, planned_id)
              VALUES (new.idem_key, new.account, new.id); END;
    CREATE TRIGGER actions_close AFTER INSERT ON actions
        WHEN new.status IN ('done', 'skipped')
        BEGIN DELETE FROM open_actions WHERE idem_key = new.idem_key; END;
    CREATE INDEX actions_failed ON actions(account, at) WHERE status = 'failed';
    CREATE INDEX review_pending ON review_queue(account) WHERE status = 'pending';
    """)


@migration("0008_actions_comment")
def _actions_comment(db: sqlite_utils.Database) -> None:
    # A comment's actions (`review show`, the inbox's item page, undo, and `stats`, which asks
    # for every flagged comment) were found by reading the whole audit log: `stats` did not
    # finish in 120 s on a store of 100,000 comments.
    db.execute("CREATE INDEX actions_comment ON actions(comment_uid)")


@migration("0009_no_log_triggers")
def _no_log_triggers(db: sqlite_utils.Database) -> None:
    # Measured after 0007 and 0008 landed: the triggers ran for every row appended to the log
    # and the index on comment_uid took a write for every row too; together +2.4 s of store
    # writes in a backfill of 100,000 comments (+29%). open_actions is now kept by
    # AuditLog.append_actions (the only writer of the log), and a comment's rows are found
    # through actions_idem by their idem keys.
    db.executescript("""
    DROP TRIGGER actions_open;
    DROP TRIGGER actions_close;
    DROP INDEX actions_comment;
    """)


@migration("0010_retention")
def _retention(db: sqlite_utils.Database) -> None:
    # How far each account's comments were considered for forgetting ([store] keep_days,
    # store/retention.py), so that a pass reads only the comments that became old since.
    db.execute("CREATE TABLE retention (account TEXT PRIMARY KEY, "
               "forgotten_through TEXT NOT NULL)")
