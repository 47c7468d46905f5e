"""A store that cannot be written (a full disk) is said in one line, keeps nothing half-written,
and the next run once there is room loses no comment and repeats no action.

In-process, SQLite's own limit (``PRAGMA max_page_count``) fills the database. The commands run
as subprocesses under a file-size limit (RLIMIT_FSIZE: a write past it fails as on a full disk,
Python ignoring the SIGXFSZ signal), so the whole path is the real one: SQLite's error, the
store, the worker, the daemon's and the CLI's handling.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from moderator.errors import StoreError
from moderator.store import Store

COMMENTS = 2000
HIDDEN = range(0, COMMENTS, 5)  # "free money": hidden by the custom rule
FILE_LIMIT = 1_500_000  # bytes: the new store fits, a few batches more do not
CONFIG = """[store]
path = "m.db"
[brand]
name = "Acme"
domains = ["acme.com"]
[[rules.custom]]
name = "scam"
severity = "high"
words = ["free money"]
[brake]
max_actions = 100000
[[accounts]]
name = "acct"
platform = "file"
path = "in.jsonl"
mode = "enforce"
actions_file = "out.jsonl"
"""


def test_a_full_database_is_one_clear_error_and_keeps_nothing_of_the_transaction(tmp_path):
    store = Store(tmp_path / "m.db")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(StoreError) as raised:
        with store.atomic():
            for n in range(200):
                store.record_event("acct", "test.filler", f"{n} " + "x" * 2000)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'm.db'}: cannot write (database or disk is full)")
    assert "\n" not in message and "free on its disk" in message
    assert not store.db.conn.in_transaction  # the connection is usable again
    assert _events(store) == 0  # nothing of the failed transaction was kept
    store.db.execute(f"PRAGMA max_page_count = {pages + 1000}")  # room again
    with store.atomic():
        store.record_event("acct", "test.filler", "fits")
    assert _events(store) == 1
    store.close()


def test_other_database_errors_are_not_taken_for_a_full_disk(tmp_path):
    store = Store(tmp_path / "m.db")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        with store.atomic():
            store.db.execute("INSERT INTO no_such_table VALUES (1)")
    store.close()


@pytest.mark.parametrize("command", [["run", "--once"], ["backfill", "--jobs", "1"],
                                     ["backfill", "--jobs", "2"]])
def test_a_full_disk_mid_pass_then_room_again_loses_nothing_and_repeats_nothing(tmp_path,
                                                                                command):
    _write_comments(tmp_path / "in.jsonl")
    (tmp_path / "m.toml").write_text(CONFIG)

    full = _moderator(tmp_path, command, file_limit=FILE_LIMIT)
    assert full.returncode == 1
    assert "Traceback" not in full.stderr
    said = [line for line in full.stderr.splitlines() if "m.db: cannot write" in line]
    assert said, full.stderr
    stored_before = _stored(tmp_path)
    assert 0 < stored_before < COMMENTS  # it failed mid-way, with some batches stored

    again = _moderator(tmp_path, command)
    assert again.returncode == 0, again.stderr
    assert _stored(tmp_path) == COMMENTS  # nothing lost
    acted = [json.loads(line)["id"]
             for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert sorted(acted, key=int) == [str(i) for i in HIDDEN]  # each once: nothing repeated


def _write_comments(path: Path) -> None:
    with path.open("w") as out:
        for i in range(COMMENTS):
            text = (f"free money number {i}" if i in HIDDEN else
                    f"a perfectly ordinary comment number {i} about the video, " * 3)
            out.write(json.dumps({"id": str(i), "text": text,
                                  "author": {"id": f"a{i % 50}", "handle": f"user{i % 50}"}})
                      + "\n")


def _moderator(cwd: Path, command: list[str], *,
               file_limit: int | None = None) -> subprocess.CompletedProcess:
    def limit_files() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, hard))

    return subprocess.run([sys.executable, "-m", "moderator", "--config", "m.toml", *command],
                          cwd=cwd, capture_output=True, text=True, timeout=600,
                          preexec_fn=limit_files if file_limit else None)


def _stored(cwd: Path) -> int:
    db = sqlite3.connect(cwd / "m.db")
    try:
        return db.execute("SELECT count(*) FROM comments").fetchone()[0]
    finally:
        db.close()


def _events(store: Store) -> int:
    return store.db.execute(
        "SELECT count(*) FROM events WHERE kind = 'test.filler'").fetchone()[0]
