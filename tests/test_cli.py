import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from moderator.cli import main

REPO = Path(__file__).resolve().parents[1]


def all_commands(group=main, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the root group imports its commands when asked
        command = group.get_command(ctx, name)
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"{' '.join(path)} --help shows no example"


def test_version_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "moderator", "--version"], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True)
    assert out.stdout.startswith("moderator, version ")


def test_check_config_exit_codes_and_no_secret_echo(tmp_path, monkeypatch):
    good = tmp_path / "good.toml"
    good.write_text('[[accounts]]\nname = "a"\nplatform = "file"\npath = "x.jsonl"\n'
                    'secrets = { token = "ACME_TOKEN" }\n')
    monkeypatch.setenv("ACME_TOKEN", "s3cr3t-value-123")
    result = CliRunner().invoke(main, ["check-config", str(good)])
    assert result.exit_code == 0 and "OK (1 accounts)" in result.output
    assert "s3cr3t-value-123" not in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[accounts]]\nname = "a"\nplatform = "myspace"\n')
    result = CliRunner().invoke(main, ["check-config", str(bad)])
    assert result.exit_code == 2
    assert "accounts[0].platform: unknown platform 'myspace'" in result.output


def test_scan_prints_the_contract_shape_and_skips_bad_lines(tmp_path, write_jsonl):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "scam"\nseverity = "high"\nwords = ["free money"]\n')
    data = write_jsonl([{"id": "c1", "text": "FREE MONEY now"}, "{broken",
                        {"id": "c2", "text": "hello", "account": "unknown-page"}])
    result = CliRunner().invoke(main, ["--config", str(cfg), "scan", str(data)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["c1", "c2"]
    first = lines[0]
    assert set(first) == {"id", "decision", "severity", "findings"}
    assert first["decision"] == "hide" and first["severity"] == "high"
    assert set(first["findings"][0]) == {"rule", "category", "severity", "reason", "evidence"}
    assert lines[1] == {"id": "c2", "decision": "none", "severity": None, "findings": []}
    assert "1 malformed record(s) skipped" in result.stderr
    assert not list(tmp_path.glob("*.db"))  # scan touches no store


def test_demo_shows_the_whole_flow_and_review_works(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    for heading in ("Findings by rule", "Decisions", "Review queue", "Audit log"):
        assert heading in result.output
    cfg = str(tmp_path / "demo" / "demo.toml")
    listing = runner.invoke(main, ["--config", cfg, "review", "list"])
    assert listing.exit_code == 0
    item_id = listing.output.splitlines()[2].split()[0]
    shown = runner.invoke(main, ["--config", cfg, "review", "show", item_id])
    assert "Findings:" in shown.output and "Audit trail:" in shown.output
    assert "http://" not in shown.output and "https://" not in shown.output
    # The queue holds the dry-run account's items: approving records the verdict only.
    approved = runner.invoke(main, ["--config", cfg, "review", "approve", item_id, "--as", "ann"])
    assert approved.exit_code == 0 and "NOT carried out" in approved.output, approved.output
    again = runner.invoke(main, ["--config", cfg, "review", "approve", item_id])
    assert again.exit_code == 1 and "already approved" in again.output
    actions = (tmp_path / "demo" / "actions.jsonl").read_text()
    assert actions.count('"action": "hide"') >= 2


def test_backfill_reports_a_missing_account_clearly(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[accounts]]\nname = "a"\nplatform = "file"\npath = "x.jsonl"\n')
    result = CliRunner().invoke(main, ["--config", str(cfg), "backfill", "--account", "b"])
    assert result.exit_code == 1 and "no account named 'b' (known: a)" in result.output


def test_log_lines_never_carry_a_resolved_secret(monkeypatch, capsys):
    import logging

    from moderator import config as config_module
    from moderator.cli import setup_logging

    monkeypatch.setenv("ACME_TOKEN", "tok-9f8e7d6c5b")
    assert config_module.Secrets().get("ACME_TOKEN") == "tok-9f8e7d6c5b"
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # restored after the test
    monkeypatch.setattr(root, "level", root.level)
    setup_logging("info", "text")
    log = logging.getLogger("connectors.somewhere")
    log.warning("GET https://graph.example/v21.0/me?access_token=%s failed", "tok-9f8e7d6c5b")
    try:
        raise RuntimeError("bad token tok-9f8e7d6c5b")
    except RuntimeError:
        log.exception("request failed")
    setup_logging("info", "json")
    log.warning("again tok-9f8e7d6c5b")
    err = capsys.readouterr().err
    assert "tok-9f8e7d6c5b" not in err
    assert err.count("***") == 4


def test_config_is_accepted_before_or_after_the_subcommand(tmp_path, write_jsonl):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "scam"\nseverity = "high"\nwords = ["free money"]\n')
    data = write_jsonl([{"id": "c1", "text": "FREE MONEY now"}])
    before = CliRunner().invoke(main, ["--config", str(cfg), "scan", str(data)])
    after = CliRunner().invoke(main, ["scan", str(data), "--config", str(cfg)])
    assert before.exit_code == after.exit_code == 0, after.output
    assert before.stdout == after.stdout and '"decision": "hide"' in after.stdout
    checked = CliRunner().invoke(main, ["check-config", "--config", str(cfg)])
    assert checked.exit_code == 0 and f"{cfg}: OK" in checked.output
    missing = CliRunner().invoke(main, ["--config", str(cfg), "review", "list", "--config",
                                        str(tmp_path / "other.toml")])
    assert missing.exit_code == 1 and "other.toml" in missing.output  # the later one wins
    for path, command in all_commands():
        assert "--config" in CliRunner().invoke(main, [*path, "--help"]).output, path


def test_backfill_builds_the_rules_once_for_accounts_that_share_them(tmp_path, monkeypatch):
    from moderator.pipeline import Pipeline

    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text('{"id": "1", "text": "FREE MONEY now"}\n')
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "scam"\nseverity = "high"\nwords = ["free money"]\n'
                   + "".join(f'[[accounts]]\nname = "{n}"\nplatform = "file"\npath = "{n}.jsonl"\n'
                             for n in ("a", "b")))
    built = []
    real = Pipeline.for_account.__func__
    monkeypatch.setattr(Pipeline, "for_account", classmethod(
        lambda cls, *a, **k: built.append(a[1].name) or real(cls, *a, **k)))
    result = CliRunner().invoke(main, ["--config", str(cfg), "backfill"])
    assert result.exit_code == 0, result.output
    assert built == ["a"]  # b's rules have the same options: the same rule set
    assert [line.split()[:2] for line in result.output.splitlines()[2:]] == \
        [["a", "dry-run"], ["b", "dry-run"]]
