import json

import pytest

from connectors.file import FileConnector
from moderator import config
from moderator.errors import RateLimited
from moderator.store import MAX_ACTION_ATTEMPTS, Store
from moderator.worker import run_account

RULES = [{"name": "scam", "severity": "high", "reason": "scam words", "words": ["free money"]},
         {"name": "promo", "severity": "medium", "words": ["my channel"]}]


def setup(tmp_path, records, mode="enforce", brake=None):
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    settings = config.parse({
        # the custom rules decide here; the spam classifier would hide "visit my channel" itself
        "rules": {"custom": RULES, "charter": {"spam": {"enabled": False}}},
        "brake": brake or {"max_actions": 100, "window_minutes": 60},
        "accounts": [{"name": "acct", "platform": "file", "path": "in.jsonl", "mode": mode,
                      "actions_file": "out.jsonl"}],
    }, base_dir=tmp_path)
    account = settings.account("acct")
    return settings, account, FileConnector.open(account, {}), Store(tmp_path / "m.db")


def carried_out(tmp_path):
    path = tmp_path / "out.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_one_pass_records_decides_queues_and_acts(tmp_path):
    settings, account, connector, store = setup(tmp_path, [
        {"id": "1", "text": "free money here"},
        {"id": "2", "text": "visit my channel"},
        {"id": "3", "text": "nice video"},
    ])
    summary = run_account(settings, account, connector, store)
    assert (summary.fetched, summary.new, summary.flagged, summary.acted) == (3, 3, 2, 1)
    assert dict(summary.decisions) == {"hide": 1, "review": 1, "none": 1}
    assert [(a["action"], a["id"]) for a in carried_out(tmp_path)] == [("hide", "1")]
    statuses = [a["status"] for a in store.actions_for("file:acct:1")]
    assert statuses == ["planned", "done"]  # logged before it was carried out
    [item] = store.queue()
    assert item["comment_id"] == "2" and item["proposed_action"] == "hide"
    assert store.cursor("acct") == "3"
    again = run_account(settings, account, connector, store)  # nothing new, nothing repeated
    assert again.new == 0 and len(carried_out(tmp_path)) == 1


def test_dry_run_decides_but_never_acts(tmp_path):
    settings, account, connector, store = setup(tmp_path, [{"id": "1", "text": "free money"}],
                                                 mode="dry-run")
    summary = run_account(settings, account, connector, store)
    assert summary.decisions["hide"] == 1 and summary.acted == 0
    assert carried_out(tmp_path) == []
    assert [a["status"] for a in store.actions_for("file:acct:1")] == ["dry-run"]


def test_crash_after_commit_before_acting_is_resumed_once(tmp_path, monkeypatch):
    settings, account, connector, store = setup(tmp_path, [{"id": "1", "text": "free money"}])

    def crash(comment):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(connector, "hide", crash)
    with pytest.raises(KeyboardInterrupt):
        run_account(settings, account, connector, store)
    assert carried_out(tmp_path) == [] and store.cursor("acct") == "1"
    monkeypatch.undo()
    run_account(settings, account, connector, store)  # resumes the planned action
    run_account(settings, account, connector, store)
    assert [(a["action"], a["id"]) for a in carried_out(tmp_path)] == [("hide", "1")]
    assert store.pending_actions("acct") == []


def test_crash_after_the_platform_acted_is_not_sent_again(tmp_path, monkeypatch):
    """Killed between the platform applying the hide and the log recording it: on restart
    the platform is asked first, and the hide is recorded done without a second request."""
    settings, account, connector, store = setup(tmp_path, [{"id": "1", "text": "free money"}])
    applied = connector.hide

    def act_then_crash(comment):
        applied(comment)
        raise KeyboardInterrupt("killed before the log said done")

    monkeypatch.setattr(connector, "hide", act_then_crash)
    with pytest.raises(KeyboardInterrupt):
        run_account(settings, account, connector, store)
    monkeypatch.undo()
    run_account(settings, account, FileConnector.open(account, {}), store)  # the restart
    assert [(a["action"], a["id"], a.get("repeat")) for a in carried_out(tmp_path)] == [
        ("hide", "1", None)]  # one request, no repeat
    done = [a for a in store.actions_for("file:acct:1") if a["status"] == "done"]
    assert len(done) == 1 and "already in effect" in done[0]["detail"]
    assert store.pending_actions("acct") == []


def test_crash_before_commit_replays_the_batch(tmp_path, monkeypatch):
    settings, account, connector, store = setup(tmp_path, [{"id": "1", "text": "free money"},
                                                           {"id": "2", "text": "hello"}])
    original = store.record_batch

    def crash(*args, **kwargs):
        original(*args, **kwargs)
        raise KeyboardInterrupt("killed inside the transaction")

    monkeypatch.setattr(store, "record_batch", crash)
    with pytest.raises(KeyboardInterrupt):
        run_account(settings, account, connector, store)
    monkeypatch.undo()
    assert store.db.execute("SELECT count(*) FROM comments").fetchone()[0] == 0  # rolled back
    assert store.cursor("acct") is None
    summary = run_account(settings, account, connector, store)
    assert summary.new == 2 and len(carried_out(tmp_path)) == 1


def test_brake_switches_the_account_to_review_only(tmp_path):
    records = [{"id": str(i), "text": "free money"} for i in range(10)]
    settings, account, connector, store = setup(tmp_path, records,
                                                brake={"max_actions": 3, "window_minutes": 60})
    summary = run_account(settings, account, connector, store)
    assert summary.brake_engaged and summary.acted == 3
    assert summary.decisions == {"hide": 3, "review": 7}
    assert len(carried_out(tmp_path)) == 3
    assert "more than 3 destructive actions" in store.brake("acct")["reason"]
    proposals = {item["proposed_action"] for item in store.queue()}
    assert proposals == {"hide"}


def test_a_failing_platform_is_recorded_not_raised(tmp_path):
    settings, account, connector, store = setup(tmp_path, [])
    (tmp_path / "in.jsonl").unlink()
    summary = run_account(settings, account, connector, store)
    assert summary.status == "error" and "cannot open" in str(summary.error)
    assert store.db.execute("SELECT kind FROM errors").fetchone()[0] == "ConnectorError"


def test_flooding_is_judged_across_passes_through_the_store(tmp_path):
    spam = "Visit our amazing shop for the best deals on sneakers today"
    records = [{"id": str(i), "text": spam, "author": {"id": "bot"},
                "created_at": f"2026-11-24T10:0{i}:00Z"} for i in range(2)]
    settings, account, connector, store = setup(tmp_path, records, mode="dry-run")
    first = run_account(settings, account, connector, store)
    assert first.flagged == 0  # two copies: not yet flooding (per_author defaults to 3)
    with (tmp_path / "in.jsonl").open("a") as f:
        f.write(json.dumps({"id": "2", "text": spam.upper() + "!!!", "author": {"id": "bot"},
                            "created_at": "2026-11-24T10:05:00Z"}) + "\n")
    second = run_account(settings, account, connector, store)
    assert second.new == 1 and second.flagged == 1
    rules_hit = [f["rule"] for f in store.findings_for("file:acct:2")]
    assert "charter.flood" in rules_hit


def test_an_action_the_platform_rate_limits_stays_planned_until_it_goes_through(tmp_path):
    """A spent quota or a 429 when acting is "not now": however many passes it lasts, the
    action is neither lost (failed attempts run out) nor marked failed."""
    settings, account, connector, store = setup(tmp_path, [{"id": "1", "text": "free money"}])
    real_hide = connector.hide

    def limited(comment):
        raise RateLimited("quotaExceeded: the daily quota is spent", retry_after=3600)

    connector.hide = limited
    for _ in range(MAX_ACTION_ATTEMPTS + 2):
        summary = run_account(settings, account, connector, store)
        assert summary.acted == 0
    assert [a["status"] for a in store.actions_for("file:acct:1")] == ["planned"]
    assert [p.comment.id for p in store.pending_actions("acct")] == ["1"]
    connector.hide = real_hide
    assert run_account(settings, account, connector, store).acted == 1
    assert [(a["action"], a["id"]) for a in carried_out(tmp_path)] == [("hide", "1")]
    assert store.pending_actions("acct") == []
