"""The brake: too many destructive actions in a window switch an account to review-only."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_platforms import HIDE_WORDS, FilePlatform, query, write_config  # noqa: E402

from moderator import config  # noqa: E402
from moderator.cli import main  # noqa: E402
from moderator.store import Store  # noqa: E402
from moderator.worker import open_connector, run_account  # noqa: E402


def hide_bait(start: int, count: int) -> list[dict]:
    return [{"id": f"h{n}", "text": f"{HIDE_WORDS} for you #{n}"}
            for n in range(start, start + count)]


def setup(tmp_path: Path, mode: str = "enforce"):
    platform = FilePlatform(tmp_path, latency=0)
    path = write_config(tmp_path, platform, {"acme": mode},
                        extra="").read_text().replace("max_actions = 1000000", "max_actions = 5")
    (tmp_path / "moderator.toml").write_text(path)
    return platform, config.load(tmp_path / "moderator.toml")


def poll(settings: config.Settings):
    account = settings.account("acme")
    with Store(settings.store_path) as store:
        return run_account(settings, account, open_connector(account, config.Secrets()), store)


def cli(tmp_path: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(tmp_path / "moderator.toml"), *args])


def test_brake_engages_after_max_actions_and_queues_the_rest(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path)
    platform.post("acme", hide_bait(0, 12))
    summary = poll(settings)
    assert summary.brake_engaged
    assert [a for _, _, a in platform.seen_actions()] == ["hide"] * 5
    assert summary.decisions == {"hide": 5, "review": 7}
    reasons = query(settings.store_path, "SELECT reason FROM decisions WHERE action = 'review'")
    assert all(r.startswith("brake engaged") for (r,) in reasons)
    proposed = query(settings.store_path, "SELECT DISTINCT proposed_action FROM review_queue")
    assert proposed == [("hide",)]  # an approval carries out what the brake held back
    (reason,) = query(settings.store_path, "SELECT reason FROM brakes WHERE engaged = 1")[0]
    assert "more than 5 destructive actions in 60 minutes" in reason
    assert query(settings.store_path, "SELECT kind FROM events WHERE kind = 'brake.engaged'")

    status = cli(tmp_path, "status", "--no-daemon-check")
    assert status.exit_code == 1
    assert "ENGAGED" in status.output and "brake engaged: more than 5" in status.output


def test_release_resumes_actions_and_restarts_the_window(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path)
    platform.post("acme", hide_bait(0, 8))
    poll(settings)
    assert cli(tmp_path, "brake", "release", "acme", "--as", "alice").exit_code == 0
    row = query(settings.store_path, "SELECT engaged, released_by FROM brakes")
    assert row == [(0, "alice")]
    # The five actions before the release are still inside the 60-minute window; they must
    # not engage the brake again at the very next comment.
    platform.post("acme", hide_bait(100, 3))
    summary = poll(settings)
    assert not summary.brake_engaged and summary.decisions == {"hide": 3}
    assert len(platform.seen_actions()) == 8
    platform.post("acme", hide_bait(200, 3))  # 6 since the release: over the limit again
    assert poll(settings).brake_engaged
    again = cli(tmp_path, "brake", "release", "acme")
    assert again.exit_code == 0
    nothing = cli(tmp_path, "brake", "release", "acme")
    assert nothing.exit_code == 1 and "not engaged" in nothing.output
    unknown = cli(tmp_path, "brake", "release", "nope")
    assert unknown.exit_code == 1 and "no account named 'nope'" in unknown.output


def test_dry_run_decisions_never_engage_the_brake(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path, mode="dry-run")
    platform.post("acme", hide_bait(0, 20))
    summary = poll(settings)
    assert not summary.brake_engaged and summary.decisions == {"hide": 20}
    assert platform.seen_actions() == []


def test_an_operator_can_engage_the_brake_by_hand(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path)
    result = cli(tmp_path, "brake", "engage", "acme", "--reason", "checking a rule",
                 "--as", "bob")
    assert result.exit_code == 0, result.output
    platform.post("acme", hide_bait(0, 2))
    summary = poll(settings)
    assert summary.decisions == {"review": 2} and platform.seen_actions() == []
    (reason,) = query(settings.store_path, "SELECT reason FROM brakes")[0]
    assert reason == "checking a rule (by bob)"
