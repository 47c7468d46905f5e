"""backfill --jobs N stores exactly what one process stores, in the same order.

The corpus is made so that a batch's verdicts depend on what the batches before it stored:
texts and links flooded across batch boundaries (the flood memory), comments repeated in later
batches (already recorded), and more hides than the brake allows (its budget), with small
batches so that several are judged at once.
"""

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

import connectors.file
from connectors.file import FileConnector
from moderator import config
from moderator.judge import Judge
from moderator.store import Store
from moderator.worker import run_account

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
# Times the store writes (seen_at, decided_at, ...): the only columns that may differ.
STAMPS = {"seen_at", "decided_at", "at", "started_at", "finished_at", "updated_at", "since",
          "created_at", "resolved_at"}


def corpus() -> list[dict]:
    records = []
    for i in range(240):
        when = (T0 + timedelta(seconds=20 * i)).isoformat() if i % 9 else None  # some undated
        author = {"id": f"a{i % 7}", "handle": f"user{i % 7}"}
        if i % 10 == 3:  # one author again and again: flooding by one author
            text = "Subscribe to my channel for amazing daily content and giveaways"
            author = {"id": "spammer", "handle": "spammer"}
        elif i % 10 == 6:  # many authors, the same long text
            text = "This is honestly the best video I have seen all year, thank you so much"
        elif i % 10 == 8:  # the same link from many authors
            text = f"look at this https://offers.example.net/deal?ref={i} wow"
        elif i % 15 == 1:  # hidden by the custom rule, more often than the brake allows
            text = f"free money for everyone number {i}"
        else:
            text = f"nice video number {i}, I liked the part about {('cats', 'dogs')[i % 2]}"
        records.append({"id": str(i), "text": text, "author": author, "created_at": when})
        if i % 50 == 49:  # a comment the file repeats later (recorded already by then)
            records.append(dict(records[i - 30]))
    return records


def settings_for(tmp_path):
    tmp_path.mkdir()
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus()))
    return config.parse({
        "brand": {"name": "Acme", "domains": ["acme.com"], "handles": ["Acme"]},
        "rules": {"custom": [{"name": "scam", "severity": "high", "words": ["free money"]}]},
        "brake": {"max_actions": 6, "window_minutes": 60},
        "accounts": [{"name": "acct", "platform": "file", "path": "in.jsonl",
                      "mode": "enforce", "actions_file": "out.jsonl"}],
    }, base_dir=tmp_path)


def backfill(tmp_path, jobs: int) -> tuple[list[str], list[str], object]:
    settings = settings_for(tmp_path)
    account = settings.account("acct")
    with Store(tmp_path / "m.db") as store:
        summary = run_account(settings, account, FileConnector.open(account, {}), store,
                              kind="backfill", jobs=jobs)
    return dump(tmp_path / "m.db"), (tmp_path / "out.jsonl").read_text().splitlines(), summary


def dump(path) -> list[str]:
    db = sqlite3.connect(path)
    out = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                               "name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations' "
                               "ORDER BY name"):
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")
                   if r[1] not in STAMPS]
        out += [f"{table} {row!r}" for row in
                db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")]
    db.close()
    return out


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(connectors.file, "BATCH_SIZE", 16)


@pytest.mark.parametrize("jobs", [2, 3])
def test_more_jobs_store_exactly_what_one_job_stores(tmp_path, small_batches, jobs):
    one_rows, one_actions, one = backfill(tmp_path / "one", jobs=1)
    two_rows, two_actions, two = backfill(tmp_path / "two", jobs=jobs)
    # the corpus exercises what depends on earlier batches
    assert sum("'charter.flood'" in row for row in one_rows if row.startswith("findings")) >= 10
    assert one.brake_engaged and one.new < one.fetched
    assert one_rows == two_rows  # every table, row for row, in the same order
    assert one_actions == two_actions
    assert (one.fetched, one.new, one.flagged, one.acted, dict(one.decisions)) == \
        (two.fetched, two.new, two.flagged, two.acted, dict(two.decisions))


def test_each_decision_is_the_policy_on_the_comments_final_findings(tmp_path, small_batches):
    """Judge.prepare decides on the findings known before history; Judge.finish keeps that
    decision only where history added nothing and no reviewer kept the comment."""
    settings = settings_for(tmp_path / "data")
    account = settings.account("acct")
    judge = Judge.for_account(settings, account)
    remembered, decided_again = [], 0
    for batch in FileConnector.open(account, {}).fetch(None):
        kept = {c.uid for c in batch.comments[::5]}
        judgement = judge.judge(batch.comments, kept=kept, recall=lambda since, keys: [
            r for r in remembered if r.key in keys])
        early = judge.prepare(batch.comments).decisions
        for item, first in zip(judgement.items, early):
            assert item.decision == judge.decide(item.comment, item.findings,
                                                 kept=item.comment.uid in kept)
            decided_again += item.decision != first
        remembered += [r for item in judgement.items for r in item.memory]
    assert decided_again >= 10  # floods and kept comments changed decisions


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_read_failure_midway_stores_what_was_read_before_it(tmp_path, small_batches, jobs,
                                                               monkeypatch):
    from moderator.errors import ConnectorError

    fetch = FileConnector.fetch

    def failing(self, *args, **kwargs):
        for number, batch in enumerate(fetch(self, *args, **kwargs)):
            if number == 6:
                raise ConnectorError("the platform went away")
            yield batch

    monkeypatch.setattr(FileConnector, "fetch", failing)
    rows, _, summary = backfill(tmp_path / "run", jobs=jobs)
    assert summary.error is not None and summary.fetched == 6 * 16
    assert sum(row.startswith("comments ") for row in rows) == summary.new


def test_kill_9_midway_then_again_stores_what_one_uninterrupted_run_stores(tmp_path):
    """A crash of `backfill --jobs 2` (the process and its worker) loses no comment and repeats
    no action: after a second backfill the store holds what one run of one process holds."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    records = [dict(r, id=f"{copy}-{r['id']}") for copy in range(12) for r in corpus()]
    config_text = (
        '[store]\npath = "m.db"\n[brand]\nname = "Acme"\ndomains = ["acme.com"]\n'
        '[[rules.custom]]\nname = "scam"\nseverity = "high"\nwords = ["free money"]\n'
        '[brake]\nmax_actions = 100000\n[[accounts]]\nname = "acct"\nplatform = "file"\n'
        'path = "in.jsonl"\nmode = "enforce"\nactions_file = "out.jsonl"\nlatency = 0.02\n')
    runs = {}
    for name in ("killed", "whole"):
        work = tmp_path / name
        work.mkdir()
        (work / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        (work / "m.toml").write_text(config_text)
        runs[name] = work
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def backfill_cli(work, jobs):
        return [sys.executable, "-m", "moderator", "--config", str(work / "m.toml"),
                "backfill", "--jobs", str(jobs)]

    killed = runs["killed"]
    child = subprocess.Popen(backfill_cli(killed, 2), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    while child.poll() is None and recorded(killed / "m.db") < 1000:  # at least two batches
        time.sleep(0.05)
    assert child.poll() is None, "the backfill ended before it could be killed midway"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert recorded(killed / "m.db") < len(records)
    for work, jobs in ((killed, 2), (runs["whole"], 1)):
        subprocess.run(backfill_cli(work, jobs), env=env, check=True, stdout=subprocess.DEVNULL)

    def kept_rows(work):  # run ids differ (two runs against one); audit rows are checked below
        return [row for row in dump(work / "m.db")
                if row.split(" ", 1)[0] in {"comments", "findings", "decisions", "history",
                                            "review_queue"}]

    def without_run_ids(rows):
        return [row.rsplit(",", 1)[0] if row.startswith(("comments", "decisions")) else row
                for row in rows]

    assert without_run_ids(kept_rows(killed)) == without_run_ids(kept_rows(runs["whole"]))
    carried = [json.loads(line) for line in (killed / "out.jsonl").read_text().splitlines()]
    whole = [json.loads(line) for line in (runs["whole"] / "out.jsonl").read_text().splitlines()]
    assert not [a for a in carried if a.get("repeat")]  # nothing done twice on the "platform"
    assert sorted(a["id"] for a in carried) == sorted(a["id"] for a in whole)


def recorded(path) -> int:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM comments").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:  # not created yet, or mid-migration
        return 0
