from pathlib import Path

import pytest

from moderator import config
from moderator.errors import ConfigError
from moderator.models import Action, Mode, Severity

REPO = Path(__file__).resolve().parents[1]


def test_example_config_is_accepted_whole():
    settings = config.load(REPO / "config.example.toml")
    assert settings.brand.name == "Acme Bank"
    assert settings.policy.action_for(Severity.CRITICAL) is Action.DELETE
    account = settings.account("acme-youtube-export")
    assert account.mode is Mode.DRY_RUN
    assert account.poll_every == 300
    assert account.options.columns["text"] == "CONTENT"
    # every top-level table of the example was read into settings (none silently ignored)
    assert settings.digest.timezone == "Europe/Paris"
    assert settings.daemon.feed_refresh_every == 3600


def test_every_problem_is_reported_with_its_key_path():
    with pytest.raises(ConfigError) as caught:
        config.parse({
            "brand": {"domains": "acme.com"},
            "policy": {"high": "obliterate"},
            "accounts": [
                {"name": "ok", "platform": "file", "path": "a.jsonl"},
                {"name": "bad", "platform": "myspace", "poll_every": "soon"},
            ],
            "rules": {"custom": [{"name": "r", "regex": ["(unclosed"]}], "telepathy": {}},
            "colour": "blue",
        })
    problems = caught.value.problems
    assert any(p.startswith("brand.domains: expected a list of strings") for p in problems)
    assert any(p.startswith("policy.high: unknown value 'obliterate'") for p in problems)
    assert "accounts[1].platform: unknown platform 'myspace' (known: " in " ".join(problems)
    assert any(p.startswith("accounts[1].poll_every:") for p in problems)
    assert any(p.startswith("rules.custom[0].regex[0]: regex does not compile") for p in problems)
    assert any(p.startswith("rules.telepathy: unknown rule family") for p in problems)
    assert "colour: unknown setting" in problems


def test_account_overrides_merge_over_global_policy_and_rules():
    settings = config.parse({
        "policy": {"medium": "hide"},
        "accounts": [{"name": "a", "platform": "file", "path": "x", "policy": {"low": "review"}}],
    })
    account = settings.account("a")
    assert account.policy.action_for(Severity.MEDIUM) is Action.HIDE  # inherited
    assert account.policy.action_for(Severity.LOW) is Action.REVIEW  # overridden


def test_ban_needs_allow_ban():
    with pytest.raises(ConfigError, match=r"policy.critical: 'ban' needs allow_ban = true"):
        config.parse({"policy": {"critical": "ban"}})


def test_secrets_are_names_and_never_values(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"accounts\[0\].secrets.token: expected the NAME"):
        config.parse({"accounts": [{"name": "a", "platform": "file", "path": "x",
                                    "secrets": {"token": "hunter2 is my token"}}]})
    settings = config.parse({"accounts": [{"name": "a", "platform": "file", "path": "x",
                                           "secrets": {"token": "ACME_TOKEN"}}]})
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text("# comment\nACME_TOKEN='from-file'\n")
    monkeypatch.delenv("ACME_TOKEN", raising=False)
    assert config.Secrets(secrets_file).for_account(settings.account("a")) == {"token": "from-file"}
    monkeypatch.setenv("ACME_TOKEN", "from-env")
    secrets = config.Secrets(secrets_file)
    assert secrets.for_account(settings.account("a")) == {"token": "from-env"}
    assert "from-env" not in repr(secrets) and "from-file" not in repr(secrets)
    monkeypatch.delenv("ACME_TOKEN")
    with pytest.raises(ConfigError) as caught:
        config.Secrets().for_account(settings.account("a"))
    assert "ACME_TOKEN is not set" in str(caught.value)


def test_broken_files_get_one_clear_line(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(missing)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[brand\nname = 1")
    with pytest.raises(ConfigError, match="invalid TOML"):
        config.load(bad_toml)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[brand]\nname = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        config.load(latin1)


def test_duplicate_account_names_are_refused():
    with pytest.raises(ConfigError, match=r"accounts\[1\].name: duplicate account name 'a'"):
        config.parse({"accounts": [{"name": "a", "platform": "file", "path": "x"},
                                   {"name": "a", "platform": "file", "path": "y"}]})


class _EchoRule:
    """A minimal rule family for testing the core's handling of [rules.<family>]."""

    family = "echo"

    @classmethod
    def from_config(cls, options, brand, *, path):
        unknown = set(options) - {"level"}
        if unknown:
            raise ConfigError([f"{path}.{k}: unknown setting" for k in sorted(unknown)])
        return cls()

    def check_batch(self, comments):
        return [[] for _ in comments]


def test_enabled_switch_is_the_cores_and_must_be_boolean(monkeypatch):
    import rules

    monkeypatch.setitem(rules.RULES, "echo", _EchoRule)
    config.parse({"rules": {"echo": {"enabled": False, "level": 1}}})
    with pytest.raises(ConfigError) as caught:
        config.parse({"rules": {"echo": {"enabled": "no", "color": 1}},
                      "accounts": [{"name": "a", "platform": "file", "path": "x",
                                    "rules": {"echo": {"colour": 2}}}]})
    problems = caught.value.problems
    assert "rules.echo.enabled: expected true or false, got 'no'" in problems
    assert "accounts[0].rules.echo.colour: unknown setting" in problems


def test_an_account_override_of_an_unknown_family_is_named():
    with pytest.raises(ConfigError, match=r"accounts\[0\].rules.telepathy: unknown rule family"):
        config.parse({"accounts": [{"name": "a", "platform": "file", "path": "x",
                                    "rules": {"telepathy": {}}}]})


def test_file_settings_in_rule_tables_are_relative_to_the_config(tmp_path):
    resolved = config.resolve_paths({"links": {"brands_file": "b.toml", "feeds": [
        {"name": "f", "path": "feeds/openphish.txt"}, {"name": "g", "path": "/abs/x.txt"}]},
        "charter": {"term_files": ["terms.txt"], "threshold": 0.5}}, tmp_path)
    assert resolved["links"]["brands_file"] == str(tmp_path / "b.toml")
    assert resolved["links"]["feeds"][0]["path"] == str(tmp_path / "feeds/openphish.txt")
    assert resolved["links"]["feeds"][1]["path"] == "/abs/x.txt"
    assert resolved["charter"] == {"term_files": [str(tmp_path / "terms.txt")], "threshold": 0.5}


def test_the_example_documents_every_setting_of_the_topic_snippets():
    import re

    example = (REPO / "config.example.toml").read_text()
    documented = set(re.findall(r"^#? ?([a-z_]+) = ", example, flags=re.MULTILINE))
    for snippet in sorted((REPO / "docs").glob("config-*.toml")):
        keys = set(re.findall(r"^#? ?([a-z_]+) = ", snippet.read_text(), flags=re.MULTILINE))
        missing = keys - documented
        assert not missing, f"{snippet.name}: {sorted(missing)} not in config.example.toml"


def test_report_is_not_a_policy_action():
    """'report' is what approving a queued item does where a platform cannot hide; as a
    severity's action the policy would decide it and nothing would carry it out."""
    with pytest.raises(ConfigError) as e:
        config.parse({"policy": {"high": "report"}})
    assert any(p.startswith("policy.high:") and "'report'" in p for p in e.value.problems)
