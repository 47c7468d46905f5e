import sqlite3

import pytest

from moderator.effects import Brake, commit, plan
from moderator.errors import StoreError
from moderator.judge import Judged
from moderator.models import (Action, ActionStatus, Author, Capabilities, Category, Comment,
                              Decision, Finding, Mode, Severity)
from moderator.store import Recorded, Store


def comment(cid="c1", account="acct", text="hello"):
    return Comment(platform="file", account=account, id=cid, text=text,
                   author=Author(id="u1", handle="bob", name="Bob"))


def flagged(c, action=Action.HIDE):
    finding = Finding("custom.x", Category.CHARTER, Severity.HIGH, "bad", {"match": "x"})
    return Recorded(c, [finding], Decision(action, Severity.HIGH, "bad", (finding,)), "v1")


def record(store, items, mode):
    """Plan and commit a judged batch the way the worker does (enforce: no brake in the way)."""
    judged = [Judged(r.comment, list(r.findings), r.decision, list(r.memory)) for r in items]
    commit(store, plan(judged, account="acct", mode=mode, brake=Brake(False, 1000, 1000, 60),
                       capabilities=Capabilities(hide=True, delete=True), rule_version="v1"))


def test_schema_wal_and_migrations_are_applied_once(tmp_path):
    path = tmp_path / "m.db"
    Store(path).close()
    store = Store(path)  # reopening applies nothing twice
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    from moderator.store.schema import MIGRATIONS, pending

    names = [r[0] for r in store.db.execute("SELECT name FROM _sqlite_migrations")]
    assert names == [name for name, _ in MIGRATIONS]
    assert pending(store.db.conn) == []
    tables = {r[0] for r in store.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"comments", "findings", "decisions", "actions", "review_queue", "cursors",
            "runs"} <= tables


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="notes.db: not a SQLite database"):
        Store(path)
    assert path.read_text().startswith("these are my notes")  # nothing overwritten


def test_the_same_comment_is_never_recorded_twice(tmp_path):
    store = Store(tmp_path / "m.db")
    c = comment()
    record(store, [flagged(c)], Mode.ENFORCE)
    assert store.unseen([c, comment("c2"), comment("c2")]) == [comment("c2")]
    record(store, [flagged(c)], Mode.ENFORCE)  # a replayed batch writes nothing new
    assert store.db.execute("SELECT count(*) FROM comments").fetchone()[0] == 1
    assert store.db.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1


def test_audit_log_is_append_only(tmp_path):
    store = Store(tmp_path / "m.db")
    c = comment()
    record(store, [flagged(c)], Mode.ENFORCE)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("UPDATE actions SET status = 'done'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("DELETE FROM actions")


def test_planned_actions_stay_pending_until_an_outcome_is_logged(tmp_path):
    store = Store(tmp_path / "m.db")
    c = comment()
    record(store, [flagged(c)], Mode.ENFORCE)
    [pending] = store.pending_actions("acct")
    assert pending.comment == c and pending.action is Action.HIDE
    for _ in range(2):
        store.log_action(c, Action.HIDE, ActionStatus.FAILED, detail="503")
    assert store.pending_actions("acct")  # retried while attempts remain
    store.log_action(c, Action.HIDE, ActionStatus.DONE)
    assert store.pending_actions("acct") == []
    assert store.action_done(c, Action.HIDE)
    store.log_action(c, Action.HIDE, ActionStatus.UNDONE, actor="alice")
    assert not store.action_done(c, Action.HIDE)


def test_dry_run_plans_nothing_and_counts_nothing_for_the_brake(tmp_path):
    from moderator.store import window_start

    store = Store(tmp_path / "m.db")
    record(store, [flagged(comment())], Mode.DRY_RUN)
    assert store.pending_actions("acct") == []
    assert store.destructive_count("acct", window_start(60)) == 0
    [row] = store.actions_for("file:acct:c1")
    assert row["status"] == "dry-run" and row["dry_run"] == 1


def test_review_queue_round_trip(tmp_path):
    store = Store(tmp_path / "m.db")
    c = comment(text="check out my channel")
    record(store, [flagged(c, Action.REVIEW)], Mode.DRY_RUN)
    [item] = store.queue()
    assert item["proposed_action"] == "hide" and item["text"] == "check out my channel"
    assert store.queue(rule="custom.x") and not store.queue(rule="links.lookalike")
    assert store.queue(account="other") == []
    store.resolve_review(item["id"], "rejected", "alice")
    assert store.kept_by_reviewer([c.uid, "file:acct:other"]) == {c.uid}
    assert store.queue() == []


def test_a_batch_writes_its_queue_and_audit_rows_in_the_order_of_its_comments(tmp_path):
    store = Store(tmp_path / "m.db")
    already = comment("c2", text="queued by an earlier pass")
    record(store, [flagged(already, Action.REVIEW)], Mode.ENFORCE)
    batch = [flagged(comment("c1"), Action.REVIEW), flagged(comment("c2"), Action.REVIEW),
             flagged(comment("c3"), Action.HIDE), flagged(comment("c4"), Action.REVIEW)]
    record(store, batch, Mode.ENFORCE)
    audit = [(r["comment_uid"][-2:], r["status"]) for r in store.db.query(
        "SELECT comment_uid, status FROM actions ORDER BY id")]
    # c2 was in the queue already: neither a second entry nor a second "queued" row
    assert audit == [("c2", "queued"), ("c1", "queued"), ("c3", "planned"), ("c4", "queued")]
    assert [r["comment_uid"][-2:] for r in store.db.query(
        "SELECT comment_uid FROM review_queue ORDER BY id")] == ["c2", "c1", "c4"]
    assert store.review_item_for(already.uid)["rules"] == "custom.x"


def test_the_brake_counts_through_its_own_index_not_the_whole_audit_log(tmp_path):
    from moderator.store import window_start

    store = Store(tmp_path / "m.db")
    record(store, [flagged(comment(f"r{i}"), Action.REVIEW) for i in range(50)]
           + [flagged(comment("h1")), flagged(comment("h2"), Action.DELETE)], Mode.ENFORCE)
    assert store.destructive_count("acct", window_start(60)) == 2
    plan_rows = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM actions WHERE account = ? AND at >= ? AND "
        "status = 'planned' AND dry_run = 0 AND action IN ('hide', 'delete', 'ban') AND "
        "actor = 'moderator'", ["acct", "2000"]).fetchall()
    assert "actions_brake" in " ".join(str(r[-1]) for r in plan_rows)


def test_history_is_selected_by_key_and_time_and_pruned(tmp_path):
    from moderator.store import HistoryRecord

    store = Store(tmp_path / "m.db")
    c = comment()
    item = Recorded(c, [], Decision(Action.NONE), "v1",
                    memory=[HistoryRecord("u1", "t:abc", 1000.0, c.uid),
                            HistoryRecord("u1", "u:evil", None, c.uid)])
    record(store, [item], Mode.DRY_RUN)
    assert [r.key for r in store.history("acct", 500.0, {"t:abc"})] == ["t:abc"]
    assert store.history("acct", 2000.0, {"t:abc"}) == []  # too old
    assert [r.key for r in store.history("acct", 2000.0, {"u:evil"})] == ["u:evil"]  # undated
    assert store.history("other", 0.0, {"t:abc"}) == []
    assert store.prune_history(older_than=3600) == 0
    assert store.prune_history(older_than=-1) == 2


def test_one_flooded_key_does_not_crowd_the_others_out_of_history(tmp_path):
    """An attacker's ten thousand copies of one link must not hide the earlier copies of
    another text: what is read back is bounded, and shared out by recency within each key."""
    from moderator.store import HISTORY_PER_CHUNK, HistoryRecord

    store = Store(tmp_path / "m.db")
    quiet = [HistoryRecord("mallory", "t:scam", 1000.0 + i, f"uid-q{i}") for i in range(2)]
    loud = [HistoryRecord(f"bot{i}", "u:raid", 2000.0 + i, f"uid-l{i}")
            for i in range(HISTORY_PER_CHUNK + 1)]
    with store.atomic():
        store.db.conn.executemany(
            "INSERT INTO history(account, comment_uid, author, key, time, at) VALUES (?,?,?,?,?,?)",
            [("acct", r.uid, r.author, r.key, r.time, 0.0) for r in quiet + loud])
    found = store.history("acct", 0.0, {"t:scam", "u:raid"})
    assert sorted(r.uid for r in found if r.key == "t:scam") == ["uid-q0", "uid-q1"]
    raid = [r for r in found if r.key == "u:raid"]
    assert len(found) == HISTORY_PER_CHUNK and len(raid) == HISTORY_PER_CHUNK - 2
    assert min(r.time for r in raid) == 2000.0 + 3  # its oldest three are the ones left out


def test_old_poll_runs_are_pruned_but_the_last_good_one_stays(tmp_path):
    store = Store(tmp_path / "m.db")
    old_ok, old_failed, recent = (store.start_run("poll", "acct") for _ in range(3))
    store.finish_run(old_ok, "ok", {})
    store.finish_run(old_failed, "error", {})
    backfill = store.start_run("backfill", "acct")
    store.db.execute("UPDATE runs SET started_at = '2020-01-01T00:00:00+00:00' WHERE id IN "
                     "(?, ?, ?)", [old_ok, old_failed, backfill])
    assert store.prune_runs(older_than_days=30) == 1  # only the old failed poll
    left = {r[0] for r in store.db.execute("SELECT id FROM runs")}
    assert left == {old_ok, recent, backfill}


def test_a_nested_transaction_that_fails_is_undone_alone(tmp_path):
    store = Store(tmp_path / "m.db")
    with store.atomic():
        store.db.execute("INSERT INTO events(at, kind) VALUES ('t', 'outer')")
        with pytest.raises(RuntimeError):
            with store.atomic():
                store.db.execute("INSERT INTO events(at, kind) VALUES ('t', 'inner')")
                raise RuntimeError("undo the inner block")
        with store.atomic():
            store.db.execute("INSERT INTO events(at, kind) VALUES ('t', 'kept')")
    kinds = [r["kind"] for r in store.db.query("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["outer", "kept"]
    assert not store.db.conn.in_transaction
