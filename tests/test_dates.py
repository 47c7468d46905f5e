"""One date parser for every command: backfill and stats accept the same words."""

from datetime import datetime, timedelta, timezone

import click
import pytest
from click.testing import CliRunner

from moderator.cli import main
from moderator.cli.common import parse_when


def test_parse_when_reads_dates_words_and_ages():
    now = datetime.now(timezone.utc)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse_when("2026-11-01", "--since") == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert parse_when("2026-11-01T08:00Z", "--since") == datetime(2026, 11, 1, 8,
                                                                 tzinfo=timezone.utc)
    assert parse_when("yesterday", "--since") == midnight - timedelta(days=1)
    assert parse_when("Today", "--since") == midnight
    assert abs(parse_when("7d", "--since") - (now - timedelta(days=7))) < timedelta(minutes=1)
    assert abs(parse_when("12h", "--since") - (now - timedelta(hours=12))) < timedelta(minutes=1)
    with pytest.raises(click.BadParameter, match="yesterday or 7d, got 'last tuesday'"):
        parse_when("last tuesday", "--since")


def test_backfill_and_stats_take_the_same_dates(tmp_path):
    (tmp_path / "in.jsonl").write_text(
        '{"id": "old", "text": "a", "created_at": "2020-01-01T00:00:00Z"}\n'
        f'{{"id": "new", "text": "b", "created_at": "{datetime.now(timezone.utc).isoformat()}"}}\n')
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[accounts]]\nname = "a"\nplatform = "file"\npath = "in.jsonl"\n')
    runner = CliRunner()
    for since in ("yesterday", "7d", "2026-11-01"):
        result = runner.invoke(main, ["--config", str(cfg), "backfill", "--since", since])
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[2].split()[2] == "1"  # fetched: only the new one
        assert runner.invoke(main, ["--config", str(cfg), "stats", "--since", since]
                             ).exit_code == 0
    result = runner.invoke(main, ["--config", str(cfg), "backfill", "--since", "someday"])
    assert result.exit_code == 2 and "--since" in result.output
