"""Local "platforms" the daemon tests run against, and helpers to configure and start it.

A platform here is anything that can (1) show new comments to a connector, (2) say which
hide / delete / unhide calls it received, and (3) produce the ``[[accounts]]`` keys that point
a connector at it. The file connector is the first one (comments appended to a JSON Lines
source; its ``actions_file`` is what "the platform saw"). The fake HTTP servers of the other
connectors (tests/fakes/) can be plugged in by writing the same three methods.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Protocol

REPO = Path(__file__).resolve().parents[1]

# Words of the test rules below: high -> hide, critical -> delete, medium -> review queue.
HIDE_WORDS = "free gift card"
DELETE_WORDS = "wire the release fee"
REVIEW_WORDS = "check out my channel"


class Platform(Protocol):
    name: str

    def account_keys(self, account: str) -> str: ...

    def post(self, account: str, records: Iterable[dict]) -> None: ...

    def seen_actions(self) -> list[tuple[str, str, str]]:
        """(account, comment id, action) for every call the platform received, in order."""
        ...

    def close(self) -> None:
        """Stop whatever serves the platform (a fake server's thread)."""
        ...


class FilePlatform:
    name = "file"

    def __init__(self, root: Path, latency: float = 0.004):
        self.root = root
        self.actions = root / "platform_actions.jsonl"
        self.latency = latency  # per action, like a real platform's response time

    def source(self, account: str) -> Path:
        return self.root / f"{account}.jsonl"

    def account_keys(self, account: str) -> str:
        self.source(account).touch()
        return (f'platform = "file"\npath = "{self.source(account)}"\n'
                f'actions_file = "{self.actions}"\nlatency = {self.latency}\n')

    def post(self, account: str, records: Iterable[dict]) -> None:
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
        fd = os.open(self.source(account), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, data)  # one append: a reader never sees half a line... mostly
        finally:
            os.close(fd)

    def seen_actions(self) -> list[tuple[str, str, str]]:
        if not self.actions.exists():
            return []
        out = []
        for line in self.actions.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            out.append((record["account"], record["id"], record["action"]))
        return out

    def close(self) -> None:
        pass


# The platforms the end-to-end daemon tests run against; add a fake server's adapter here.
PLATFORMS: dict[str, type] = {"file": FilePlatform}


def make_comments(rng: random.Random, start: int, count: int, prefix: str = "c") -> list[dict]:
    """Comments with a mix of verdicts: ~30% hide, ~10% delete, ~10% review, rest clean."""
    out = []
    for n in range(start, start + count):
        roll = rng.random()
        if roll < 0.3:
            text = f"Claim your {HIDE_WORDS} now, number {n}"
        elif roll < 0.4:
            text = f"Your account is frozen, {DELETE_WORDS} to unlock it ({n})"
        elif roll < 0.5:
            text = f"{REVIEW_WORDS} for more ({n})"
        else:
            text = f"Thanks for the update, this is comment {n}"
        out.append({"id": f"{prefix}{n}", "text": text,
                    "author": {"id": f"u{n % 97}", "handle": f"user{n % 97}"}})
    return out


def write_config(root: Path, platform: Platform, accounts: dict[str, str], *,
                 poll_every: float = 0.2, extra: str = "") -> Path:
    """A config with the three test rules; ``accounts`` maps name -> mode."""
    tables = "".join(f'\n[[accounts]]\nname = "{name}"\nmode = "{mode}"\n'
                     f"poll_every = {poll_every}\n{platform.account_keys(name)}"
                     for name, mode in accounts.items())
    text = f'''
[brand]
name = "Acme Bank"
domains = ["acmebank.com"]
handles = ["AcmeBank"]

[store]
path = "moderator.db"

[daemon]
jitter = 0
stop_timeout = 10

[brake]
max_actions = 1000000

# Only the custom rules: these tests are about the daemon, so the verdicts must be exactly
# the ones the words below call for (the detector families have their own tests).
[rules.links]
enabled = false
[rules.impersonation]
enabled = false
[rules.charter]
enabled = false

[[rules.custom]]
name = "giveaway"
category = "charter"
severity = "high"
reason = "Giveaway bait"
words = ["{HIDE_WORDS}"]

[[rules.custom]]
name = "fee-scam"
category = "link"
severity = "critical"
reason = "Advance-fee scam"
words = ["{DELETE_WORDS}"]

[[rules.custom]]
name = "promo"
category = "charter"
severity = "medium"
reason = "Self-promotion"
words = ["{REVIEW_WORDS}"]
{extra}
{tables}'''
    path = root / "moderator.toml"
    path.write_text(text, encoding="utf-8")
    return path


def moderator_cmd(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "moderator", "--config", str(config), *args]


def env() -> dict[str, str]:
    """Run the code under test, not the editable install."""
    return {**os.environ, "PYTHONPATH": str(REPO), "MODERATOR_REVIEWER": "tester"}


def start_daemon(config: Path, log: Path, *extra: str,
                 environ: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(moderator_cmd(config, "--log-level", "info", *extra, "run"),
                                stdout=out, stderr=out, env={**env(), **(environ or {})},
                                cwd=config.parent)


def query(db: Path, sql: str, *args: object) -> list[tuple]:
    """Read the database the way an outside tool would (own connection, WAL-aware)."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def wait_started(log: Path, before: int = 0, timeout: float = 15) -> None:
    """Until the log shows one more "daemon started" than ``before`` (schema in place)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count("daemon started") > before:
            return
        time.sleep(0.05)
    raise AssertionError(f"the daemon did not start: {log.read_text()[-2000:]}")
