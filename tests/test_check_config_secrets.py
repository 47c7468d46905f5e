from click.testing import CliRunner

from moderator.cli import main

ACCOUNTS = ('[[accounts]]\nname = "live"\nplatform = "file"\npath = "x.jsonl"\n'
            'secrets = { token = "HARDEN_LIVE_TOKEN" }\n'
            '[[accounts]]\nname = "off"\nplatform = "file"\npath = "y.jsonl"\nenabled = false\n'
            'secrets = { token = "HARDEN_OFF_TOKEN" }\n')


def test_a_missing_secret_of_an_enabled_account_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("HARDEN_LIVE_TOKEN", raising=False)
    monkeypatch.delenv("HARDEN_OFF_TOKEN", raising=False)
    cfg = tmp_path / "m.toml"
    cfg.write_text(ACCOUNTS)
    result = CliRunner().invoke(main, ["check-config", str(cfg)])
    assert result.exit_code == 2 and ": OK (" not in result.output
    assert ("error: accounts.live.secrets.token: HARDEN_LIVE_TOKEN is not set"
            in result.stderr)
    assert "warning: accounts.off.secrets.token: HARDEN_OFF_TOKEN is not set" in result.stderr
    monkeypatch.setenv("HARDEN_LIVE_TOKEN", "a-value-long-enough")
    result = CliRunner().invoke(main, ["check-config", str(cfg)])
    assert result.exit_code == 0 and "OK (2 accounts)" in result.output
    assert "a-value-long-enough" not in result.output


def test_a_world_readable_secrets_file_gets_a_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("HARDEN_LIVE_TOKEN", raising=False)
    secrets = tmp_path / "secrets.env"
    secrets.write_text("HARDEN_LIVE_TOKEN=from-the-file-123\n")
    secrets.chmod(0o644)
    cfg = tmp_path / "m.toml"
    cfg.write_text(f'[secrets]\nfile = "{secrets}"\n' + ACCOUNTS)
    result = CliRunner().invoke(main, ["check-config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert f"warning: secrets.file: {secrets} is readable by every user" in result.stderr
    secrets.chmod(0o600)
    result = CliRunner().invoke(main, ["check-config", str(cfg)])
    assert "readable by every user" not in result.stderr
    assert "from-the-file-123" not in result.output


def test_a_catastrophic_custom_regex_gets_a_warning_naming_its_key(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "fine"\nregex = ["free (gift|money)"]\n'
                   '[[rules.custom]]\nname = "slow"\nregex = ["ok", "(a+)+$"]\n')
    result = CliRunner().invoke(main, ["check-config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert ("warning: rules.custom[1].regex[1]: '(a+)+$' may backtrack catastrophically"
            in result.stderr)
    assert "rules.custom[0]" not in result.stderr
