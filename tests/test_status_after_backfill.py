from click.testing import CliRunner

from moderator.cli import main


def test_status_after_a_successful_backfill_needs_no_attention(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"id": "1", "text": "hello"}\n')
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[accounts]]\nname = "a"\nplatform = "file"\npath = "in.jsonl"\n'
                   'poll_every = 3600\n')
    runner = CliRunner()
    before = runner.invoke(main, ["--config", str(cfg), "status", "--no-daemon-check"])
    assert before.exit_code == 1 and "a: never read successfully" in before.output
    assert runner.invoke(main, ["--config", str(cfg), "backfill"]).exit_code == 0
    after = runner.invoke(main, ["--config", str(cfg), "status", "--no-daemon-check"])
    assert after.exit_code == 0, after.output
    assert "never" not in after.output and "ATTENTION" not in after.output
