"""`moderator status` for monitoring, and the daemon's log lines."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_platforms import (DELETE_WORDS, HIDE_WORDS, FilePlatform, env,  # noqa: E402
                              moderator_cmd, start_daemon, wait_started, write_config)

from moderator import config  # noqa: E402
from moderator.cli import main  # noqa: E402
from moderator.store import Store  # noqa: E402
from moderator.worker import open_connector, run_account  # noqa: E402

SECRET = "s3cr3t-token-value-123"


def setup(tmp_path: Path):
    platform = FilePlatform(tmp_path, latency=0)
    path = write_config(tmp_path, platform, {"acme": "enforce", "beta": "dry-run"},
                        poll_every=60)
    text = path.read_text().replace('name = "acme"\n',
                                    'name = "acme"\nsecrets = {token = "ACME_TOKEN"}\n')
    path.write_text(text)
    platform.post("acme", [{"id": "h1", "text": f"{HIDE_WORDS} http://evil.example/x",
                            "author": {"handle": "eve"}},
                           {"id": "d1", "text": f"{DELETE_WORDS} PRIVATE-TEXT-MARKER"},
                           {"id": "ok", "text": "nice"}])
    return platform, config.load(path)


def poll_all(settings: config.Settings) -> None:
    secrets = config.Secrets(environ={"ACME_TOKEN": SECRET})
    with Store(settings.store_path) as store:
        for account in settings.accounts:
            run_account(settings, account, open_connector(account, secrets), store)


def status(tmp_path: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(tmp_path / "moderator.toml"), "status",
                                     *args])


def test_status_is_attention_until_every_account_polls(tmp_path: Path) -> None:
    _, settings = setup(tmp_path)
    result = status(tmp_path, "--no-daemon-check")
    assert result.exit_code == 1 and result.output.count("never read successfully") == 2
    poll_all(settings)
    result = status(tmp_path, "--no-daemon-check")
    assert result.exit_code == 0, result.output
    assert "s ago" in result.output and "review queue: 0 pending" in result.output
    down = status(tmp_path)
    assert down.exit_code == 1 and "daemon not running" in down.output


def test_status_shows_the_store_and_a_nearly_full_disk(tmp_path: Path, monkeypatch) -> None:
    _, settings = setup(tmp_path)
    poll_all(settings)
    report = json.loads(status(tmp_path, "--no-daemon-check", "--json").output)
    store = report["store"]
    assert store["path"] == str(settings.store_path) and store["keep_days"] is None
    assert store["bytes"] >= settings.store_path.stat().st_size > 0 and store["free_bytes"] > 0
    assert "every comment is kept" in status(tmp_path, "--no-daemon-check").output
    from moderator.cli import status as status_module

    real = status_module.shutil.disk_usage
    monkeypatch.setattr(status_module.shutil, "disk_usage",
                        lambda path: real(path)._replace(free=250_000_000))
    low = status(tmp_path, "--no-daemon-check")
    assert low.exit_code == 1
    assert f"ATTENTION: store: 250.0 MB free on the disk of {settings.store_path}" in low.output


def test_stale_and_failing_accounts_need_attention(tmp_path: Path) -> None:
    _, settings = setup(tmp_path)
    poll_all(settings)
    with Store(settings.store_path) as store:  # acme's last good poll: 10 minutes ago
        store.db.execute("UPDATE runs SET finished_at = '2000-01-01T00:00:00+00:00' "
                         "WHERE account = 'acme'")
        run_id = store.start_run("poll", "beta")
        store.record_error("beta", "file", "AuthFailed", "file beta: token revoked", run_id)
        store.finish_run(run_id, "error", {"errors": 1}, "file beta: token revoked")
    result = status(tmp_path, "--no-daemon-check", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert any(p.startswith("acme: no successful poll for") for p in report["attention"])
    assert "beta: last poll failed: file beta: token revoked" in report["attention"]
    beta = next(a for a in report["accounts"] if a["account"] == "beta")
    assert beta["errors"] == 1 and beta["last_error"]["kind"] == "AuthFailed"


def test_status_sees_a_running_daemon_and_backlog(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path)
    poll_all(settings)
    with Store(settings.store_path) as store:  # a planned action not carried out yet
        comment = store.load_comment("file:acme:ok")
        from moderator.models import Action, ActionStatus

        store.log_action(comment, Action.HIDE, ActionStatus.PLANNED)
    report = json.loads(status(tmp_path, "--json", "--no-daemon-check").output)
    assert next(a for a in report["accounts"] if a["account"] == "acme")["backlog"] == 1
    log = tmp_path / "daemon.log"
    proc = start_daemon(settings.source, log, environ={"ACME_TOKEN": SECRET})
    try:
        wait_started(log)
        result = status(tmp_path, "--json")
        report = json.loads(result.output)
        assert report["daemon"] == {"running": True, "pid": proc.pid}
        assert result.exit_code == 0, result.output
        deadline = time.monotonic() + 120  # a bound: the daemon carries out the planned action
        while time.monotonic() < deadline and json.loads(status(tmp_path, "--json").output)[
                "accounts"][0]["backlog"]:
            time.sleep(0.1)
        assert json.loads(status(tmp_path, "--json").output)["accounts"][0]["backlog"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0


def test_json_logs_one_line_per_decision_and_action_without_text_or_secrets(
        tmp_path: Path) -> None:
    _, settings = setup(tmp_path)
    result = subprocess.run(
        moderator_cmd(settings.source, "--log-level", "info", "--log-format", "json", "run",
                      "--once"),
        capture_output=True, text=True, timeout=60,
        env={**env(), "ACME_TOKEN": SECRET})
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    messages = [r["message"] for r in records]
    decisions = [m for m in messages if m.startswith("decision ")]
    actions = [m for m in messages if m.startswith("action ")]
    assert decisions == ["decision file acme h1: hide (custom.giveaway)",
                         "decision file acme d1: delete (custom.fee-scam)"]
    assert actions == ["action file acme h1: hide done", "action file acme d1: delete done"]
    first = next(r for r in records if r["message"].startswith("decision "))
    assert {k: first[k] for k in ("platform", "account", "comment_id", "rules", "decision")} == {
        "platform": "file", "account": "acme", "comment_id": "h1",
        "rules": ["custom.giveaway"], "decision": "hide"}
    done = next(r for r in records if r["message"].startswith("action "))
    assert (done["comment_id"], done["action"], done["status"]) == ("h1", "hide", "done")
    assert SECRET not in result.stderr
    assert "PRIVATE-TEXT-MARKER" not in result.stderr and "evil.example" not in result.stderr
