"""Ctrl-C or a kill while `scan` / `backfill` judge on several processes: only the parent
answers, no worker prints a traceback, and no worker is left behind.

Each command runs in its own process group, as in a terminal, where Ctrl-C signals the whole
group. Signals are sent once the command is at work (its first verdict printed, its first batch
stored), never after a fixed time.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

COMMENTS = 60_000  # far more than is judged before the signal, on any machine
TIMEOUT = 300  # seconds, for a loaded machine
CONFIG = """[store]
path = "m.db"
[brand]
name = "Acme"
domains = ["acme.com"]
[[accounts]]
name = "acct"
platform = "file"
path = "in.jsonl"
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    with (tmp_path / "in.jsonl").open("w") as out:
        for i in range(COMMENTS):
            out.write(json.dumps({"id": str(i), "text": f"comment {i}: free gift card, call me",
                                  "author": {"id": f"a{i % 97}"}}) + "\n")
    (tmp_path / "m.toml").write_text(CONFIG)
    return tmp_path


@pytest.mark.parametrize("args", [("scan", "--jobs", "2", "in.jsonl"), ("backfill", "--jobs", "2")],
                         ids=["scan", "backfill"])
def test_ctrl_c_ends_a_command_on_two_processes_without_a_traceback(workdir, args):
    command = _start(workdir, *args)
    if args[0] == "scan":
        assert command.stdout.readline()  # at work: a verdict printed
    else:
        _wait_until_stored(workdir, command)
    os.killpg(command.pid, signal.SIGINT)
    _, err = command.communicate(timeout=TIMEOUT)
    assert command.returncode == 1 and "Aborted!" in err
    assert "Traceback" not in err and "ForkPoolWorker" not in err, err
    _wait_until_gone(command.pid)


def test_a_killed_backfill_leaves_no_worker_and_no_traceback(workdir):
    command = _start(workdir, "backfill", "--jobs", "2")
    _wait_until_stored(workdir, command)
    os.kill(command.pid, signal.SIGTERM)  # the parent alone, as `kill` does
    _, err = command.communicate(timeout=TIMEOUT)  # EOF once the worker let go of stderr too
    assert command.returncode == -signal.SIGTERM
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    _wait_until_gone(command.pid)


def _start(cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "moderator", "--config", "m.toml", *args],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, led by it


def _wait_until_stored(cwd: Path, command: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert command.poll() is None, "backfill ended before it was interrupted"
        try:
            with sqlite3.connect(cwd / "m.db") as db:
                if db.execute("SELECT count(*) FROM comments").fetchone()[0]:
                    return
        except sqlite3.OperationalError:  # not created yet
            pass
        time.sleep(0.05)
    pytest.fail("no batch stored in time")


def _wait_until_gone(group: int) -> None:
    """Every process of the group has ended (a worker left behind would keep it alive)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(group, signal.SIGKILL)
    pytest.fail("a worker outlived its command")
