"""Dry-run never acts: a reviewer's approval there is recorded, not carried out."""

import json

from click.testing import CliRunner

from moderator.cli import main
from moderator.store import Store


def setup(tmp_path):
    (tmp_path / "in.jsonl").write_text(
        "".join(json.dumps({"id": f"c{i}", "text": f"I saw a purple elephant today ({i})"}) + "\n"
                for i in range(2)))
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "promo"\nseverity = "medium"\n'
                   'words = ["purple elephant"]\n'
                   '[[accounts]]\nname = "a"\nplatform = "file"\npath = "in.jsonl"\n'
                   'mode = "dry-run"\nactions_file = "actions.jsonl"\n')
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(cfg), "backfill"]).exit_code == 0
    return cfg, runner


def test_approving_in_dry_run_records_the_verdict_and_does_not_act(tmp_path):
    cfg, runner = setup(tmp_path)
    result = runner.invoke(main, ["--config", str(cfg), "review", "approve", "1", "--as", "ann"])
    assert result.exit_code == 0, result.output
    assert "approved; hide NOT carried out: account a is in dry-run mode" in result.stdout
    assert not (tmp_path / "actions.jsonl").exists()  # nothing reached the platform
    with Store(tmp_path / "moderator.db") as store:
        assert store.queue_item(1)["status"] == "approved"
        rows = store.db.execute("SELECT action, status, dry_run, actor FROM actions "
                                "WHERE action = 'hide'").fetchall()
    assert rows == [("hide", "dry-run", 1, "ann")]


def test_the_explicit_override_acts_and_says_so(tmp_path):
    cfg, runner = setup(tmp_path)
    result = runner.invoke(main, ["--config", str(cfg), "review", "approve", "2", "--as", "ann",
                                  "--act-in-dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry-run mode; carried out because --act-in-dry-run was given" in result.stderr
    actions = [json.loads(line) for line in (tmp_path / "actions.jsonl").read_text().splitlines()]
    assert [(a["action"], a["id"]) for a in actions] == [("hide", "c1")]
