"""[store] keep_days: comments nothing happened to are forgotten after it, with their findings
and decisions; what was acted on or reviewed, and the audit log, stay."""

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from connectors.file import FileConnector
from moderator import config, review
from moderator.effects import Brake, commit, plan
from moderator.errors import ConfigError
from moderator.judge import Judged
from moderator.models import (Action, ActionStatus, Author, Capabilities, Category, Comment,
                              Decision, Finding, Mode, Severity)
from moderator.store import QueueEntry, Store, audit_row, clock
from moderator.worker import run_account
from tests.store_support import vm_steps

NOW = datetime(2026, 12, 2, 12, tzinfo=timezone.utc)


def comment(cid, account="acct"):
    return Comment(platform="file", account=account, id=cid, text=f"text {cid}",
                   author=Author(id="u1", handle="bob", name="Bob"))


def judged(c, action=Action.NONE, severity=Severity.HIGH):
    if action is Action.NONE and severity is not Severity.LOW:
        return Judged(c, [], Decision(Action.NONE, None, "no findings", ()), [])
    finding = Finding("custom.x", Category.CHARTER, severity, "bad", {"match": "x"})
    return Judged(c, [finding], Decision(action, severity, "bad", (finding,)), [])


def record(store, monkeypatch, when, items, account="acct"):
    monkeypatch.setattr(clock, "now", lambda: when)
    commit(store, plan(items, account=account, mode=Mode.ENFORCE,
                       brake=Brake(False, 1000, 1000, 60),
                       capabilities=Capabilities(hide=True, delete=True), rule_version="v1"))


def uids(store, table="comments", column="uid"):
    return {r[0] for r in store.db.execute(f"SELECT {column} FROM {table}")}


def test_only_old_comments_nothing_happened_to_are_forgotten(tmp_path, monkeypatch):
    store = Store(tmp_path / "m.db")
    old = NOW - timedelta(days=10)
    record(store, monkeypatch, old, [
        judged(comment("quiet")),
        judged(comment("low"), severity=Severity.LOW),  # a finding recorded, no action
        judged(comment("hidden"), Action.HIDE),
        judged(comment("queued"), Action.REVIEW)])
    record(store, monkeypatch, old, [judged(comment("other", account="b"))], account="b")
    record(store, monkeypatch, NOW - timedelta(days=6), [judged(comment("recent"))])
    log = store.db.execute("SELECT * FROM actions ORDER BY id").fetchall()
    monkeypatch.setattr(clock, "now", lambda: NOW)

    assert store.forget_quiet("acct", 7) == 2
    assert uids(store) == {"file:acct:hidden", "file:acct:queued", "file:acct:recent",
                           "file:b:other"}
    assert uids(store, "findings", "comment_uid") == {"file:acct:hidden", "file:acct:queued"}
    assert uids(store, "decisions", "comment_uid") == uids(store)
    assert [i["comment_uid"] for i in store.queue()] == ["file:acct:queued"]
    assert store.db.execute("SELECT * FROM actions ORDER BY id").fetchall() == log
    assert store.forget_quiet("acct", 7) == 0


def test_a_comment_a_reviewer_kept_stays(tmp_path, monkeypatch):
    store = Store(tmp_path / "m.db")
    record(store, monkeypatch, NOW - timedelta(days=30), [judged(comment("kept"), Action.REVIEW)])
    [item] = store.queue()
    review.reject(store, item["id"], "alice", "a customer quoting the scam")
    monkeypatch.setattr(clock, "now", lambda: NOW)
    assert store.forget_quiet("acct", 7) == 0 and uids(store) == {"file:acct:kept"}
    assert store.kept_by_reviewer(["file:acct:kept"]) == {"file:acct:kept"}


def test_a_quiet_decision_is_kept_where_a_review_item_or_an_audit_row_names_it(tmp_path,
                                                                              monkeypatch):
    store = Store(tmp_path / "m.db")
    record(store, monkeypatch, NOW - timedelta(days=30),
           [judged(comment("queued")), judged(comment("acted")), judged(comment("quiet"))])
    with store.atomic():  # say a reviewer queued one by hand and hid the other
        store.enqueue_many([QueueEntry(comment("queued"), Action.HIDE,
                                       Decision(Action.NONE, None, "no findings", ()), "v1")])
        store.append_actions([audit_row(comment("acted"), Action.HIDE, ActionStatus.DONE,
                                        actor="alice")])
    monkeypatch.setattr(clock, "now", lambda: NOW)
    assert store.forget_quiet("acct", 7) == 1
    assert uids(store) == {"file:acct:queued", "file:acct:acted"}


def test_forgetting_goes_on_chunk_after_chunk(tmp_path, monkeypatch):
    store = Store(tmp_path / "m.db")
    old = NOW - timedelta(days=10)
    for i in range(5):  # five batches, each a kept comment among quiet ones
        record(store, monkeypatch, old + timedelta(minutes=i),
               [judged(comment(f"q{i}a")), judged(comment(f"h{i}"), Action.HIDE),
                judged(comment(f"q{i}b"))])
    monkeypatch.setattr(clock, "now", lambda: NOW)
    assert store.forget_quiet("acct", 7, chunk=3) == 10
    assert uids(store) == {f"file:acct:h{i}" for i in range(5)}


@pytest.mark.parametrize("kept", [100, 1000])
def test_a_pass_reads_only_what_became_old_since_the_last(tmp_path, monkeypatch, kept):
    store = Store(tmp_path / "m.db")
    record(store, monkeypatch, NOW - timedelta(days=30),
           [judged(comment(f"h{i}"), Action.HIDE) for i in range(kept)])
    record(store, monkeypatch, NOW - timedelta(days=9), [judged(comment("q1"))])
    monkeypatch.setattr(clock, "now", lambda: NOW)
    assert store.forget_quiet("acct", 7) == 1  # read every old comment once
    later = NOW + timedelta(hours=1)  # seen after that pass, as every new comment is
    record(store, monkeypatch, later, [judged(comment("q2"))])
    monkeypatch.setattr(clock, "now", lambda: later + timedelta(days=8))
    steps = vm_steps(store, lambda: store.forget_quiet("acct", 7))
    assert uids(store) == {f"file:acct:h{i}" for i in range(kept)}
    # the kept comments before the last pass's cutoff are not read again: the same work for
    # 100 of them as for 1,000
    assert steps < 400, steps


def test_keep_days_is_read_and_checked():
    assert config.parse({"store": {"keep_days": 90}}).keep_days == 90
    assert config.parse({}).keep_days is None
    for bad in (3, "90", 30.5):
        with pytest.raises(ConfigError, match="store.keep_days"):
            config.parse({"store": {"keep_days": bad}})


def test_a_pass_forgets_with_keep_days_set(tmp_path, monkeypatch, caplog):
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "1", "text": "free money here"}, {"id": "2", "text": "nice video"}]))
    settings = config.parse({
        "store": {"keep_days": 7},
        "rules": {"custom": [{"name": "scam", "severity": "high", "words": ["free money"]}]},
        "accounts": [{"name": "acct", "platform": "file", "path": "in.jsonl",
                      "mode": "enforce", "actions_file": "out.jsonl"}],
    }, base_dir=tmp_path)
    account = settings.account("acct")
    store = Store(tmp_path / "m.db")
    monkeypatch.setattr(clock, "now", lambda: NOW - timedelta(days=8))
    run_account(settings, account, FileConnector.open(account, {}), store)
    assert uids(store) == {"file:acct:1", "file:acct:2"}
    monkeypatch.setattr(clock, "now", lambda: NOW)
    with caplog.at_level(logging.INFO, logger="moderator.worker"):
        run_account(settings, account, FileConnector.open(account, {}), store)
    assert uids(store) == {"file:acct:1"}  # the hidden one stays
    assert "forgot 1 comments seen over 7 days ago" in caplog.text
