"""``moderator replay``: the stored comments re-judged with another configuration, with the
reviewers' verdicts compared, and the database left byte for byte as it was."""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderator.cli import main

BASE = """
[brand]
name = "Acme Bank"
domains = ["acmebank.com"]
handles = ["AcmeBank"]

[store]
path = "moderator.db"

[rules.links]
enabled = false
[rules.impersonation]
enabled = false
[rules.charter]
enabled = false

[[rules.custom]]
name = "promo"
severity = "medium"
words = ["my channel"]
{extra}
[[accounts]]
name = "page"
platform = "file"
path = "comments.jsonl"
"""

ADD_GIVEAWAY = """
[[rules.custom]]
name = "giveaway"
severity = "high"
words = ["free gift card"]
"""

COMMENTS = [
    {"id": "p1", "text": "visit my channel for more", "created_at": "2026-11-01T10:00:00Z"},
    {"id": "p2", "text": "my channel has new videos", "created_at": "2026-11-02T10:00:00Z"},
    {"id": "p3", "text": "subscribe to my channel", "created_at": "2026-11-03T10:00:00Z"},
    {"id": "g1", "text": "claim a free gift card now", "created_at": "2026-11-03T11:00:00Z"},
    {"id": "ok", "text": "thanks for the help", "created_at": "2026-11-04T10:00:00Z"},
]


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def backfilled(tmp_path, write_jsonl):
    """A store built by a real backfill, with one queue item approved and one rejected."""
    write_jsonl(COMMENTS)
    current = tmp_path / "moderator.toml"
    current.write_text(BASE.format(extra=""))
    run("--config", str(current), "backfill")
    with sqlite3.connect(tmp_path / "moderator.db") as db:
        ids = [row[0] for row in db.execute("SELECT id FROM review_queue ORDER BY id")]
    assert len(ids) == 3  # p1, p2, p3 queued for review (medium)
    run("--config", str(current), "review", "approve", str(ids[0]), "--as", "alice")
    run("--config", str(current), "review", "reject", str(ids[1]), "--as", "alice")
    return current


def settled_digest(path: Path) -> str:
    """The database's hash once every earlier writer is gone and its WAL is folded in (the
    in-process commands above may leave connections for the garbage collector to close)."""
    gc.collect()
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replay_json(current: Path, new: Path, *extra: str) -> dict:
    return json.loads(run("--config", str(current), "replay", "--with", str(new), "--json",
                          *extra))


def test_a_config_that_adds_a_rule(backfilled, tmp_path):
    new = tmp_path / "new.toml"
    new.write_text(BASE.format(extra=ADD_GIVEAWAY))
    report = replay_json(backfilled, new)
    assert report["rejudged"] == 5
    assert report["transitions"] == {"none -> hide": 1}
    assert [(c["id"], c["before"], c["after"], c["rules"]) for c in report["changed"]] == [
        ("g1", "none", "hide", ["custom.giveaway"])]


def test_a_config_that_removes_a_rule_and_the_reviewers_verdicts(backfilled, tmp_path):
    new = tmp_path / "new.toml"
    new.write_text(BASE.format(extra="").replace(
        '[[rules.custom]]\nname = "promo"\nseverity = "medium"\nwords = ["my channel"]\n', ""))
    report = replay_json(backfilled, new)
    assert report["transitions"] == {"review -> none": 3}
    assert report["by_rule"] == {"custom.promo": 3}
    overall = report["agreement"]["overall"]
    # one approved (the current config caught it, the new one would drop it), one rejected
    # (the current config flagged it, the new one would not)
    assert overall == {"confirmed": 1, "kept": 1, "current_caught": 1, "new_caught": 0,
                       "current_flagged_kept": 1, "new_flagged_kept": 0}
    assert report["agreement"]["custom.promo"]["confirmed"] == 1


def test_replay_writes_nothing(backfilled, tmp_path):
    db = tmp_path / "moderator.db"
    new = tmp_path / "new.toml"
    new.write_text(BASE.format(extra=ADD_GIVEAWAY))
    before = settled_digest(db)
    text = run("--config", str(backfilled), "replay", "--with", str(new))
    gc.collect()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert "none -> hide: 1" in text and "g1 [custom.giveaway]" in text
    assert "caught now" in text  # the reviewers' table


def test_since_until_and_account_narrow_the_replay(backfilled, tmp_path):
    new = tmp_path / "new.toml"
    new.write_text(BASE.format(extra=ADD_GIVEAWAY))
    report = replay_json(backfilled, new, "--since", "2026-11-02", "--until", "2026-11-03T10:30Z")
    assert report["rejudged"] == 2 and report["changed"] == []
    assert replay_json(backfilled, new, "--account", "nobody")["rejudged"] == 0


def test_hostile_text_is_defanged_and_a_missing_database_is_one_line(tmp_path, write_jsonl):
    write_jsonl([{"id": "h1", "text": "free gift card at https://evil.example/x \x1b]0;pwn\x07"}])
    current = tmp_path / "moderator.toml"
    current.write_text(BASE.format(extra=""))
    new = tmp_path / "new.toml"
    new.write_text(BASE.format(extra=ADD_GIVEAWAY))
    result = CliRunner().invoke(main, ["--config", str(current), "replay", "--with", str(new)])
    assert result.exit_code == 1 and "no database here" in result.output
    run("--config", str(current), "backfill")
    text = run("--config", str(current), "replay", "--with", str(new))
    assert "hxxps://evil[.]example/x" in text and "https://evil" not in text
    assert "\x1b" not in text


def test_a_store_judged_by_other_rules_is_judged_again(backfilled, tmp_path):
    """The current config changed since the backfill: its side cannot reuse the stored
    findings, so both sides are judged afresh and agree."""
    backfilled.write_text(BASE.format(extra=ADD_GIVEAWAY))
    report = replay_json(backfilled, backfilled)
    assert report["rejudged"] == 5 and report["changed"] == []
    assert report["current_version"] == report["new_version"]
