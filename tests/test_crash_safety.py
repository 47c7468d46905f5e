"""Kill -9 the daemon at random moments while it works, restart it, and compare the audit log
with what the platform saw: no comment lost or recorded twice, no action carried out twice,
every planned action eventually done.

The platform is pluggable (see daemon_platforms.py): the file connector, and the fake Reddit,
X and Graph API servers (Facebook, Instagram) running in this process on 127.0.0.1, which the
daemon subprocess reaches through each account's ``api_base``. Each kill is timed from the
daemon's readiness ("daemon started" in its log), not from its launch: starting takes seconds
on a loaded machine, and a kill before it would test nothing. 7 kills at random moments, more
until three landed mid-work (the daemon had recorded comments and had comments or planned
actions left), then one run to completion. Each kill comes after the life's first commit: at a
random moment, or (every other life) once it recorded a random part of its backlog.
For a longer soak: ``CRASH_KILLS=50 pytest tests/test_crash_safety.py`` or bench/crash_soak.py.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_platforms import (DELETE_WORDS, HIDE_WORDS, PLATFORMS,  # noqa: E402
                              FilePlatform, make_comments, query, start_daemon, wait_started,
                              write_config)

KILLS = int(os.environ.get("CRASH_KILLS", 7))  # per platform (more until 3 landed mid-work)
MIN_MID_WORK = 3
MAX_STARTS = 4 * KILLS  # a bound: a daemon that never gets to work fails the test
READY_TIMEOUT = 120  # seconds to import and open the store; generous for a loaded machine
FINAL_PHASE_SECONDS = 180  # to finish everything left; the loop ends as soon as it has
INITIAL_COMMENTS = {"file": 1200}  # per account; the HTTP fakes take 600 (a round trip each)
PENDING = """SELECT count(*) FROM actions p WHERE p.status = 'planned' AND NOT EXISTS (
    SELECT 1 FROM actions d WHERE d.idem_key = p.idem_key AND d.id > p.id
    AND d.status IN ('done', 'skipped'))"""
SEED = int(time.time())  # a different schedule of kills each run; printed on failure


@pytest.mark.slow
@pytest.mark.timeout(600 + 30 * KILLS)
@pytest.mark.parametrize("platform_name", sorted(PLATFORMS))
def test_kill_9_at_random_points_loses_nothing_and_repeats_nothing(tmp_path: Path,
                                                                   platform_name: str) -> None:
    platform = PLATFORMS[platform_name](tmp_path)
    try:
        check_kill_9(tmp_path, platform)
    finally:
        platform.close()


def check_kill_9(tmp_path: Path, platform) -> dict[str, int]:
    """Run the kills, check everything, and return the counts (bench/crash_soak.py reports
    them)."""
    rng = random.Random(SEED)
    accounts = {"acme-a": "enforce", "acme-b": "enforce"}
    config = write_config(tmp_path, platform, accounts, poll_every=0.2)
    db, log = tmp_path / "moderator.db", tmp_path / "daemon.log"
    posted: dict[str, list[dict]] = {name: [] for name in accounts}

    def post(name: str, count: int) -> None:
        records = make_comments(rng, len(posted[name]), count, prefix=f"{name}-")
        ids = platform.post(name, records)  # the platform names them
        posted[name].extend({**r, "id": i} for r, i in zip(records, ids))

    for name in accounts:
        post(name, INITIAL_COMMENTS.get(platform.name, 600))

    environ = platform.environ()
    lives: list[subprocess.Popen] = []  # killed on the way out if a check fails mid-way
    try:
        kills, mid_work = 0, 0
        while (kills < KILLS or mid_work < MIN_MID_WORK) and kills < MAX_STARTS:
            before, starts = recorded_count(db), started_count(log)
            proc = start_daemon(config, log, environ=environ)
            lives.append(proc)
            wait_started(log, starts, timeout=READY_TIMEOUT)
            post(rng.choice(list(accounts)), rng.randint(100, 400))  # comments keep arriving
            # Ready is not yet at work (the first poll still builds the rules): kill at a random
            # moment after this life recorded its first batch. Every other life is killed by
            # progress instead (once it recorded a random part of its backlog), so that kills
            # land mid-work even where a fast machine clears a backlog in less than the random
            # delay (the Mastodon fake answers 40 comments a page and plans no action).
            wait_for(lambda: recorded_count(db) > before, log)
            if kills % 2:
                backlog = sum(len(v) for v in posted.values()) - before
                target = before + rng.randint(1, max(1, backlog // 2))
                wait_for(lambda: recorded_count(db) >= target, log)
            else:
                time.sleep(rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
            # Mid-work: this life recorded something and left work for the next one (comments
            # to record, or planned actions to carry out).
            mid_work += before < recorded_count(db) and (
                recorded_count(db) < sum(len(v) for v in posted.values()) or pending_count(db) > 0)

        # The last start runs to completion and must stop cleanly on SIGTERM.
        starts = started_count(log)
        proc = start_daemon(config, log, environ=environ)
        lives.append(proc)
        total = sum(len(v) for v in posted.values())
        wait_started(log, starts, timeout=READY_TIMEOUT)
        deadline = time.monotonic() + FINAL_PHASE_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.3)
            if recorded_count(db) == total and pending_count(db) == 0:
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        for life in lives:
            if life.poll() is None:
                life.kill()
                life.wait()

    where = f"({platform.name}, seed {SEED}, {kills} kills, {mid_work} mid-work; log {log})"
    assert kills >= KILLS and mid_work >= MIN_MID_WORK, where

    # Every comment recorded exactly once (the primary key makes "twice" impossible; the
    # count and the set together show none was lost and nothing extra appeared).
    rows = query(db, "SELECT account, comment_id FROM comments")
    assert len(rows) == total, where
    assert {(a, c) for a, c in rows} == {(n, r["id"]) for n, recs in posted.items()
                                         for r in recs}, where
    assert query(db, "SELECT count(*) FROM decisions")[0][0] == total, where

    # What the platform saw: each action at most once per comment.
    seen = platform.seen_actions()
    repeats = [k for k, n in Counter(seen).items() if n > 1]
    assert not repeats, f"{where}: carried out twice: {repeats[:5]}"
    # No call repeated either: before re-sending an action a kill left planned, the daemon
    # asks the platform, which shows it applied. Where the connector cannot ask (X does not
    # show a reply's hidden state), a repeat, a no-op there, is allowed once per account per
    # kill.
    allowed = 0 if platform.state_visible else kills * len(accounts)
    assert platform.repeat_calls() <= allowed, \
        f"{where}: {platform.repeat_calls()} calls repeated"

    # The log agrees: at most one 'done' per action and comment...
    done_twice = query(db, "SELECT idem_key FROM actions WHERE status = 'done' "
                           "GROUP BY idem_key HAVING count(*) > 1")
    assert not done_twice, f"{where}: logged done twice: {done_twice[:5]}"
    # ...every planned action was eventually done...
    undone_plans = query(db, """SELECT p.idem_key FROM actions p WHERE p.status = 'planned'
        AND NOT EXISTS (SELECT 1 FROM actions d WHERE d.idem_key = p.idem_key
        AND d.status IN ('done', 'skipped'))""")
    assert not undone_plans, f"{where}: planned, never done: {undone_plans[:5]}"
    # ...and the platform saw exactly the actions the log says are done.
    logged = {(a, cid, act) for a, cid, act in query(
        db, "SELECT a.account, c.comment_id, a.action FROM actions a "
            "JOIN comments c ON c.uid = a.comment_uid WHERE a.status = 'done'")}
    assert logged == set(seen), where

    # And they are the right actions: every giveaway hidden, every fee scam deleted.
    expected = {(n, r["id"], platform.degrade.get(a, a))
                for n, recs in posted.items() for r in recs
                for a in ["hide" if HIDE_WORDS in r["text"] else "delete"]
                if (HIDE_WORDS in r["text"] or DELETE_WORDS in r["text"])
                and platform.degrade.get(a, a) is not None}
    assert set(seen) == expected, where
    return {"kills": kills, "mid_work": mid_work, "comments": total, "recorded": len(rows),
            "actions": len(seen), "repeated_calls": platform.repeat_calls(),
            "expected_actions": len(expected)}


def started_count(log: Path) -> int:
    """How many times the daemon logged its readiness so far."""
    return log.read_text().count("daemon started") if log.exists() else 0


def wait_for(condition, log: Path, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the daemon did no work: {log.read_text()[-2000:]}")
        time.sleep(0.02)


def pending_count(db: Path) -> int:
    """Planned actions with no outcome yet."""
    return query(db, PENDING)[0][0]


def recorded_count(db: Path) -> int:
    return query(db, "SELECT count(*) FROM comments")[0][0] if db.exists() else 0


def test_second_daemon_on_the_same_database_is_refused(tmp_path: Path) -> None:
    platform = FilePlatform(tmp_path)
    config = write_config(tmp_path, platform, {"acme-a": "enforce"}, poll_every=5)
    log = tmp_path / "daemon.log"
    first = start_daemon(config, log)
    try:
        wait_started(log, timeout=READY_TIMEOUT)
        second = subprocess.run(
            [sys.executable, "-m", "moderator", "--config", str(config), "run"],
            capture_output=True, text=True, timeout=READY_TIMEOUT,
            env=__import__("daemon_platforms").env())
        assert second.returncode == 78
        assert "moderator.db.lock" in second.stderr
        assert f"pid {first.pid}" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0


def test_a_line_being_written_is_left_for_the_next_poll(tmp_path: Path) -> None:
    """A poll that lands mid-append must not skip the half-written comment for good."""
    from connectors.file import FileConnector, FileOptions

    source = tmp_path / "c.jsonl"
    source.write_text('{"id": "1", "text": "a"}\n{"id": "2", "te', encoding="utf-8")
    connector = FileConnector("acme", FileOptions(path=source))
    batches = list(connector.fetch(None))
    assert [c.id for b in batches for c in b.comments] == ["1"]
    cursor = batches[-1].cursor
    assert cursor == "1" and sum(b.skipped for b in batches) == 0
    with source.open("a", encoding="utf-8") as out:
        out.write('xt": "b"}\n')
    assert [c.id for b in connector.fetch(cursor) for c in b.comments] == ["2"]


def test_hiding_twice_reaches_the_platform_once(tmp_path: Path) -> None:
    """The file platform behaves like a real one: hiding a hidden comment changes nothing."""
    from connectors.file import FileConnector, FileOptions
    from moderator.models import Action, Comment

    platform = FilePlatform(tmp_path, latency=0)
    connector = FileConnector("acme", FileOptions(path=tmp_path / "c.jsonl",
                                                  actions_file=platform.actions))
    comment = Comment("file", "acme", "7", "x")
    connector.hide(comment)
    connector.hide(comment)
    connector.unhide(comment)
    connector.hide(comment)
    connector.delete(comment)
    connector.delete(comment)
    connector.hide(comment)
    assert [a for _, _, a in platform.seen_actions()] == ["hide", "unhide", "hide", "delete"]
    assert platform.repeat_calls() == 3  # the second hide, the second delete, the last hide
    state = connector.moderation_state(comment)
    assert (state.hidden, state.deleted) == (True, True)
    assert connector.moderation_state(Comment("file", "acme", "8", "y")).shows(Action.HIDE) is False
