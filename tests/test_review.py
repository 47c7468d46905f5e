"""The review queue end to end: list (filters), show, approve (four-eyes), reject, undo,
verdicts feeding per-rule precision, and a review session next to a running daemon."""

from __future__ import annotations

import random
import signal
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_platforms import (DELETE_WORDS, HIDE_WORDS, REVIEW_WORDS, FilePlatform,  # noqa: E402
                              make_comments, query, start_daemon, wait_started, write_config)

from moderator import config  # noqa: E402
from moderator.cli import main  # noqa: E402
from moderator.store import Store  # noqa: E402
from moderator.worker import open_connector, run_account  # noqa: E402

PHISH = "free gift card at https://acme-login.example/claim"


def setup(tmp_path: Path, *, four_eyes: bool = False):
    platform = FilePlatform(tmp_path, latency=0)
    extra = "[review]\nfour_eyes = true\n" if four_eyes else ""
    write_config(tmp_path, platform, {"acme": "enforce"}, extra=extra)
    platform.post("acme", [
        {"id": "r1", "text": f"{REVIEW_WORDS} https://my-channel.example/x",
         "author": {"handle": "promo1"}},
        {"id": "r2", "text": f"{REVIEW_WORDS} please", "author": {"handle": "promo2"}},
        {"id": "r3", "text": f"{REVIEW_WORDS} now", "author": {"handle": "promo3"}},
        {"id": "h1", "text": PHISH, "author": {"handle": "scammer"}},
        {"id": "ok", "text": "lovely service", "author": {"handle": "fan"}},
    ])
    settings = config.load(tmp_path / "moderator.toml")
    account = settings.account("acme")
    with Store(settings.store_path) as store:
        run_account(settings, account, open_connector(account, config.Secrets()), store)
    return platform, settings


def cli(tmp_path: Path, *args: str, reviewer: str = "alice"):
    return CliRunner().invoke(main, ["--config", str(tmp_path / "moderator.toml"), *args],
                              env={"MODERATOR_REVIEWER": reviewer})


def item_id(settings: config.Settings, comment_id: str) -> str:
    return str(query(settings.store_path, "SELECT q.id FROM review_queue q JOIN comments c "
                     "ON c.uid = q.comment_uid WHERE c.comment_id = ?", comment_id)[0][0])


def test_list_filters_by_account_rule_and_age(tmp_path: Path) -> None:
    _, settings = setup(tmp_path)
    listed = cli(tmp_path, "review", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("custom.promo") == 3
    assert "hxxps://my-channel[.]example" in listed.output  # nothing clickable
    assert "custom.promo" not in cli(tmp_path, "review", "list", "--rule", "custom.giveaway").output
    assert "custom.promo" not in cli(tmp_path, "review", "list", "--account", "other").output
    assert "custom.promo" not in cli(tmp_path, "review", "list", "--older-than", "1h").output
    assert cli(tmp_path, "review", "list", "--newer-than", "1h").output.count("custom.promo") == 3
    query(settings.store_path, "SELECT 1")  # (the file is readable by outside tools)
    with Store(settings.store_path) as store:
        store.db.execute("UPDATE review_queue SET created_at = '2026-01-01T00:00:00+00:00' "
                         "WHERE id = ?", [int(item_id(settings, "r1"))])
    old = cli(tmp_path, "review", "list", "--older-than", "2d")
    assert old.output.count("custom.promo") == 1 and "promo1" in old.output
    bad = cli(tmp_path, "review", "list", "--older-than", "soon")
    assert bad.exit_code == 2 and "expected an age like" in bad.output


def test_show_has_author_findings_and_defanged_links(tmp_path: Path) -> None:
    _, settings = setup(tmp_path)
    shown = cli(tmp_path, "review", "show", item_id(settings, "r1"))
    assert shown.exit_code == 0, shown.output
    assert "promo1" in shown.output and "custom.promo" in shown.output
    assert "hxxps://my-channel[.]example/x" in shown.output
    assert "https://" not in shown.output


def test_approve_carries_out_and_records_the_reviewer(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path)
    result = cli(tmp_path, "review", "approve", item_id(settings, "r1"), reviewer="carol")
    assert result.exit_code == 0 and "approved (done)" in result.output
    assert ("acme", "r1", "hide") in platform.seen_actions()
    actors = query(settings.store_path, "SELECT actor, action, status FROM actions a JOIN "
                   "comments c ON c.uid = a.comment_uid WHERE c.comment_id = 'r1' ORDER BY a.id")
    assert ("carol", "hide", "planned") in actors and ("carol", "hide", "done") in actors
    again = cli(tmp_path, "review", "approve", item_id(settings, "r1"))
    assert again.exit_code == 1 and "already approved" in again.output


def test_four_eyes_needs_two_different_reviewers(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path, four_eyes=True)
    target = item_id(settings, "r2")
    first = cli(tmp_path, "review", "approve", target, reviewer="alice")
    assert first.exit_code == 0 and "second reviewer" in first.output
    assert platform.seen_actions() == [("acme", "h1", "hide")]  # only the daemon's own
    same = cli(tmp_path, "review", "approve", target, "--as", "Alice")
    assert same.exit_code == 1 and "different reviewer" in same.output
    second = cli(tmp_path, "review", "approve", target, "--as", "bob")
    assert second.exit_code == 0 and "approved (done)" in second.output
    assert ("acme", "r2", "hide") in platform.seen_actions()
    row = query(settings.store_path, "SELECT status, first_reviewer, reviewer FROM review_queue "
                "WHERE id = ?", int(target))
    assert row == [("approved", "alice", "bob")]


def test_reject_keeps_the_comment_and_counts_against_the_rule(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path)
    result = cli(tmp_path, "review", "reject", item_id(settings, "r3"), "--note", "a fan")
    assert result.exit_code == 0 and "stays" in result.output
    assert ("acme", "r3", "hide") not in platform.seen_actions()
    row = query(settings.store_path, "SELECT status, reviewer, note FROM review_queue q JOIN "
                "comments c ON c.uid = q.comment_uid WHERE c.comment_id = 'r3'")
    assert row == [("rejected", "alice", "a fan")]


def test_undo_reverses_a_hide_by_item_or_by_comment(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path)
    # The daemon hid h1 on its own (no review item): undo it by comment id.
    result = cli(tmp_path, "review", "undo", "--account", "acme", "h1", "--note", "a test post")
    assert result.exit_code == 0 and "hide: undone" in result.output, result.output
    assert platform.seen_actions()[-1] == ("acme", "h1", "unhide")
    again = cli(tmp_path, "review", "undo", "--account", "acme", "h1")
    assert again.exit_code == 1 and "no hide or removal in effect" in again.output
    # An approved item: undo by its review id; the item is marked undone.
    target = item_id(settings, "r1")
    cli(tmp_path, "review", "approve", target)
    result = cli(tmp_path, "review", "undo", target, reviewer="dave")
    assert result.exit_code == 0
    assert query(settings.store_path, "SELECT status, reviewer FROM review_queue WHERE id = ?",
                 int(target)) == [("undone", "dave")]
    missing = cli(tmp_path, "review", "undo", "999")
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_a_deletion_the_platform_cannot_reverse_is_reported(tmp_path: Path) -> None:
    platform = FilePlatform(tmp_path, latency=0)
    write_config(tmp_path, platform, {"acme": "enforce"})
    platform.post("acme", [{"id": "d1", "text": f"{DELETE_WORDS} today"}])
    settings = config.load(tmp_path / "moderator.toml")
    account = settings.account("acme")
    with Store(settings.store_path) as store:
        run_account(settings, account, open_connector(account, config.Secrets()), store)
    deleted = next(cid for _, cid, action in platform.seen_actions() if action == "delete")
    result = cli(tmp_path, "review", "undo", "--account", "acme", deleted)
    assert result.exit_code == 1 and "delete cannot be undone on file" in result.output


def test_stats_turn_verdicts_into_precision(tmp_path: Path) -> None:
    _, settings = setup(tmp_path)
    cli(tmp_path, "review", "approve", item_id(settings, "r1"))
    cli(tmp_path, "review", "reject", item_id(settings, "r2"))
    cli(tmp_path, "review", "approve", item_id(settings, "r3"))
    cli(tmp_path, "review", "undo", item_id(settings, "r3"))  # approved, then found wrong
    result = cli(tmp_path, "stats", "--json")
    assert result.exit_code == 0, result.output
    import json

    rows = {r["rule"]: r for r in json.loads(result.output)}
    promo = rows["custom.promo"]
    assert (promo["flagged"], promo["queued"], promo["confirmed"], promo["wrong"]) == (3, 3, 1, 2)
    assert promo["precision"] == pytest.approx(1 / 3, abs=1e-3)
    assert rows["custom.giveaway"]["acted"] == 1 and rows["custom.giveaway"]["precision"] is None
    table = cli(tmp_path, "stats")
    assert "33%" in table.output and "custom.giveaway" in table.output


def status_once_both_polled(tmp_path: Path, bound: float = 300):
    """``status --json`` once every account has finished a poll: the first pass over a backlog
    that grew while the session above ran can outlast the session on a fast machine (readiness,
    not a time; ``bound`` is only for a daemon that never gets there)."""
    deadline = time.monotonic() + bound
    while True:
        result = cli(tmp_path, "status", "--json")
        assert "locked" not in result.output, result.output
        if result.exit_code == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


@pytest.mark.timeout(600)  # a bound for a hung daemon; a loaded machine is slow
def test_a_review_session_next_to_a_running_daemon_never_sees_a_locked_database(
        tmp_path: Path) -> None:
    platform = FilePlatform(tmp_path, latency=0.001)
    config_path = write_config(tmp_path, platform, {"a": "enforce", "b": "enforce"},
                               poll_every=0.1)
    rng = random.Random(6)
    for name in ("a", "b"):
        platform.post(name, make_comments(rng, 0, 300, prefix=f"{name}-"))
    log = tmp_path / "daemon.log"
    proc = start_daemon(config_path, log)
    try:
        wait_started(log)
        outputs, statuses, n = [], [], 300
        # A number of rounds, not a time: a loaded machine does fewer per second.
        approvals, rounds = 0, 0
        while (len(outputs) <= 20 or approvals <= 5) and rounds < 200:
            rounds += 1
            for name in ("a", "b"):  # the daemon keeps writing
                platform.post(name, make_comments(rng, n, 40, prefix=f"{name}-"))
            n += 40
            listed = cli(tmp_path, "review", "list", "--limit", "3")
            outputs.append(listed)
            ids = [line.split()[0] for line in listed.output.splitlines()[2:]]
            if len(ids) >= 2:
                outputs.append(cli(tmp_path, "review", "show", ids[0]))
                outputs.append(cli(tmp_path, "review", "approve", ids[0]))
                approvals += 1
                outputs.append(cli(tmp_path, "review", "reject", ids[1]))
            statuses.append(cli(tmp_path, "status", "--json"))
            outputs.append(cli(tmp_path, "stats"))
        for result in outputs + statuses:
            assert "locked" not in result.output, result.output
            assert result.exception is None or isinstance(result.exception, SystemExit), \
                result.output
        assert [r.output for r in outputs if r.exit_code] == []
        final = status_once_both_polled(tmp_path)
        assert final.exit_code == 0, final.output  # polling, daemon up
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    assert "locked" not in log.read_text()
    approved = query(tmp_path / "moderator.db",
                     "SELECT count(*) FROM review_queue WHERE status = 'approved'")[0][0]
    assert approved > 5
    # A reviewer's approval is a real platform action, once.
    seen = platform.seen_actions()
    assert len(seen) == len(set(seen))
    assert HIDE_WORDS
