"""Reads that must not grow with the audit log: the work SQLite does is counted in virtual
machine steps (a progress handler), which do not depend on the machine or its load.

A store of ten times as many closed actions (planned, then done) may cost a lookup a little
more (a deeper index), never ten times as much; a report over every flagged comment grows with
the comments, never with their square."""

from datetime import datetime, timedelta, timezone

from moderator.store import AuditFilter, Store
from tests.store_support import vm_steps

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)


def filled(path, comments, open_actions=3):
    """``comments`` comments, each flagged, queued, approved and hidden (a closed action);
    the first ``open_actions`` still wait for a reviewer and their hiding is left planned, as
    after a crash."""
    store = Store(path)
    uids = [f"file:acct:c{i}" for i in range(comments)]
    at = NOW.isoformat()
    with store.atomic():
        conn = store.db.conn
        conn.executemany("INSERT INTO comments(uid, platform, account, comment_id, text, "
                         "seen_at) VALUES (?, 'file', 'acct', ?, 'text', ?)",
                         [(uid, uid.rsplit(":", 1)[1], at) for uid in uids])
        conn.executemany("INSERT INTO findings(comment_uid, account, rule, category, severity, "
                         "reason, evidence, created_at) VALUES (?, 'acct', 'custom.x', "
                         "'charter', 'high', 'bad', '{}', ?)", [(uid, at) for uid in uids])
        conn.executemany("INSERT INTO review_queue(comment_uid, account, proposed_action, "
                         "reason, rules, created_at, status) VALUES (?, 'acct', 'hide', 'bad', "
                         "'custom.x', ?, ?)", [(uid, at, "pending" if i < open_actions
                                                 else "approved") for i, uid in enumerate(uids)])
        store.append_actions([  # audit_row's fields
            (uid, "acct", "file", "hide", status, 0, "v1", "moderator", "", f"{uid}:hide")
            for i, uid in enumerate(uids)
            for status in (("planned",) if i < open_actions else ("planned", "done"))])
    return store


def test_resuming_and_status_do_not_read_the_closed_actions(tmp_path):
    small, large = filled(tmp_path / "s.db", 300), filled(tmp_path / "l.db", 3_000)
    for read in (lambda s: s.pending_actions("acct"), lambda s: s.pending_count("acct"),
                 lambda s: s.account_health("acct", NOW - timedelta(days=1))):
        assert read(small) == read(large)  # the same open actions and pending items in both
        assert vm_steps(large, lambda: read(large)) < 2 * vm_steps(small, lambda: read(small)) + 20
    assert len(large.pending_actions("acct")) == 3 and large.pending_count("acct") == 3


def test_a_comments_actions_are_found_by_index(tmp_path):
    small, large = filled(tmp_path / "s.db", 300), filled(tmp_path / "l.db", 3_000)
    uid = "file:acct:c7"
    for read in (lambda s: s.actions_for(uid), lambda s: s.actions_in_effect(uid)):
        assert vm_steps(large, lambda: read(large)) < 2 * vm_steps(small, lambda: read(small)) + 20
    assert [a["status"] for a in large.actions_for(uid)] == ["planned", "done"]


def test_rule_report_grows_with_the_comments_not_their_square(tmp_path):
    small, large = filled(tmp_path / "s.db", 300), filled(tmp_path / "l.db", 1_200)
    [row] = large.rule_verdicts()
    assert (row["rule"], row["flagged"], row["acted"], row["queued"], row["confirmed"]) == \
        ("custom.x", 1_200, 1_197, 1_200, 1_197)
    assert vm_steps(large, large.rule_verdicts) < 6 * vm_steps(small, small.rule_verdicts)


def test_the_audit_log_searched_for_a_comment_is_read_by_index(tmp_path):
    small, large = filled(tmp_path / "s.db", 300), filled(tmp_path / "l.db", 300)
    with large.atomic():  # ten times the log: rows of comments no longer stored
        large.append_actions([(f"file:acct:gone{i}", "acct", "file", "hide", "done", 0, "v1",
                               "moderator", "", f"file:acct:gone{i}:hide") for i in range(6_000)])
    for comment in ("c7", "file:acct:c7"):
        search = lambda s: s.audit_page(AuditFilter(comment=comment), 0, 50)  # noqa: E731
        rows, total, more = search(large)
        assert [r["status"] for r in rows] == ["done", "planned"] and (total, more) == (2, False)
        assert vm_steps(large, lambda: search(large)) < 2 * vm_steps(small, lambda: search(small))
