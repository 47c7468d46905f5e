"""Commands import only what they use: ``--version``, ``status`` and ``review list`` load
neither the rules' data nor the platforms' client libraries nor the scheduler (start-up time is
measured in bench/core.py; here only what gets imported, which cannot be noisy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("rules.charter", "rules.links", "rules.impersonation", "rules.custom", "numpy", "praw",
         "tweepy", "facebook", "googleapiclient", "atproto", "mastodon", "apscheduler")

PROBE = """
import json, sys
from moderator.cli import main
try:
    main(sys.argv[1:], prog_name="moderator")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported(args: list[str], cwd: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--version"], ["status", "--no-daemon-check"], ["review", "list"],
                                  ["stats"]])
def test_commands_that_neither_judge_nor_connect_import_neither_rules_nor_clients(tmp_path, args):
    (tmp_path / "m.toml").write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    modules = imported(["--config", "m.toml", *args], tmp_path)
    assert "moderator.cli" in modules
    assert [m for m in HEAVY if m in modules] == [], args


def test_scan_imports_the_rules_but_no_platform_client(tmp_path):
    (tmp_path / "c.jsonl").write_text('{"id": "1", "text": "hello"}\n', encoding="utf-8")
    (tmp_path / "m.toml").write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    modules = imported(["--config", "m.toml", "scan", "c.jsonl"], tmp_path)
    assert {"rules.charter", "rules.links"} <= modules
    assert not [m for m in ("praw", "tweepy", "googleapiclient", "apscheduler") if m in modules]
    assert not [m for m in ("moderator.store", "sqlite_utils") if m in modules]  # scan stores nothing


@pytest.mark.parametrize("args", [["status", "--no-daemon-check"], ["review", "list"]])
def test_a_store_already_migrated_is_opened_without_sqlite_utils(tmp_path, args):
    (tmp_path / "m.toml").write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    first = imported(["--config", "m.toml", *args], tmp_path)  # creates the store
    assert "sqlite_utils.migrations" in first
    again = imported(["--config", "m.toml", *args], tmp_path)
    assert "moderator.store" in again
    assert not {"sqlite_utils", "moderator.effects", "multiprocessing"} & again
