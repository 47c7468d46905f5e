"""The open actions (planned, not closed by a done or skipped row) as the store keeps them agree
with their definition read off the whole audit log, and an existing store's are found when the
migration adds the table."""

import random
import sqlite3
from contextlib import closing

from moderator.models import Action, ActionStatus, Author, Comment
from moderator.store import MAX_ACTION_ATTEMPTS, Store
from moderator.store.schema import pending

# The definition, as the store used to read it from the audit log alone.
FROM_THE_LOG = """
    SELECT p.comment_uid, p.action FROM actions p
    WHERE p.account = ? AND p.status = 'planned' AND p.id = (
        SELECT max(id) FROM actions q WHERE q.idem_key = p.idem_key AND q.status = 'planned')
    AND NOT EXISTS (SELECT 1 FROM actions d WHERE d.idem_key = p.idem_key
        AND d.id > p.id AND d.status IN ('done', 'skipped'))
    AND (SELECT count(*) FROM actions f WHERE f.idem_key = p.idem_key
        AND f.id > p.id AND f.status = 'failed') < ?
    ORDER BY p.id"""
COUNT_FROM_THE_LOG = """
    SELECT count(DISTINCT p.idem_key) FROM actions p WHERE p.account = ?
    AND p.status = 'planned' AND NOT EXISTS (SELECT 1 FROM actions d
        WHERE d.idem_key = p.idem_key AND d.id > p.id AND d.status IN ('done', 'skipped'))"""
STATUSES = [ActionStatus.PLANNED, ActionStatus.PLANNED, ActionStatus.DONE, ActionStatus.FAILED,
            ActionStatus.FAILED, ActionStatus.SKIPPED, ActionStatus.UNDONE, ActionStatus.QUEUED]


def comments(accounts=("a", "b")):
    return [Comment("file", account, f"c{i}", "text", Author(id="u"))
            for account in accounts for i in range(6)]


def random_log(store, rng, made, rows):
    """``rows`` audit rows in random order over the comments, two actions, every status."""
    for _ in range(rows):
        c = rng.choice(made)
        store.append_action(c, rng.choice([Action.HIDE, Action.DELETE]), rng.choice(STATUSES))


def agree(store, accounts=("a", "b")):
    for account in accounts:
        expected = [(uid, action) for uid, action in
                    store.db.execute(FROM_THE_LOG, [account, MAX_ACTION_ATTEMPTS])]
        got = [(p.comment.uid, p.action.value) for p in store.pending_actions(account)]
        assert got == expected
        assert store.pending_count(account) == \
            store.db.execute(COUNT_FROM_THE_LOG, [account]).fetchone()[0]


def store_with_comments(path, made):
    """A store holding the comments (pending_actions loads each one's comment)."""
    store = Store(path)
    with store.atomic():
        store.db.conn.executemany(
            "INSERT INTO comments(uid, platform, account, comment_id, text, seen_at) "
            "VALUES (?,?,?,?,?,?)",
            [(c.uid, c.platform, c.account, c.id, c.text, "2026-12-02T00:00:00+00:00")
             for c in made])
    return store


def test_open_actions_follow_the_audit_log(tmp_path):
    made = comments()
    store = store_with_comments(tmp_path / "m.db", made)
    rng = random.Random(7)
    for step in range(40):  # checked after every few rows: open, closed, reopened, retried
        random_log(store, rng, made, rows=5)
        agree(store)
    assert store.pending_count("a") + store.pending_count("b") > 0  # the test saw open ones


def test_the_migration_finds_the_actions_already_open(tmp_path):
    path = tmp_path / "m.db"
    made = comments()
    store = store_with_comments(path, made)
    later = ["0007_open_actions", "0008_actions_comment", "0009_no_log_triggers"]
    store.db.executescript("DROP TABLE open_actions; DROP INDEX actions_failed; "
                           "DROP INDEX review_pending; DELETE FROM _sqlite_migrations "
                           f"WHERE name IN ({', '.join(repr(m) for m in later)});")
    store._follow_open_actions = lambda rows: None  # as a store before 0007 wrote its log
    random_log(store, random.Random(11), made, rows=200)
    store.close()
    with closing(sqlite3.connect(path)) as raw:
        assert pending(raw) == later
    reopened = Store(path)  # applies the migration
    assert reopened.pending_count("a") + reopened.pending_count("b") > 0
    agree(reopened)

