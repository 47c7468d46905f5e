"""The daemon: per-account backoff, scheduling, hooks, digest timing, graceful stop."""

from __future__ import annotations

import os
import random
import subprocess
import signal
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_platforms import (FilePlatform, make_comments, query, start_daemon,  # noqa: E402
                              wait_started, write_config)

from moderator import config  # noqa: E402
from moderator.daemon import Daemon  # noqa: E402
from moderator.errors import AuthFailed, RateLimited, TransientError  # noqa: E402
from moderator.store import Store, iso  # noqa: E402
from moderator.worker import open_connector  # noqa: E402


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Broken:
    """A connector whose platform answers with an error (set ``error`` to None to heal)."""

    def __init__(self, inner, error):
        self.inner, self.error = inner, error
        self.capabilities = inner.capabilities
        self.platform = inner.platform

    def fetch(self, cursor, **kw):
        if self.error is not None:
            raise self.error
        return self.inner.fetch(cursor, **kw)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def setup(tmp_path: Path, accounts: dict[str, str], *, comments: int = 50,
          poll_every: float = 300, extra: str = ""):
    platform = FilePlatform(tmp_path, latency=0)
    path = write_config(tmp_path, platform, accounts, poll_every=poll_every, extra=extra)
    rng = random.Random(1)
    for name in accounts:
        platform.post(name, make_comments(rng, 0, comments, prefix=f"{name}-"))
    return platform, config.load(path)


def recorded(settings: config.Settings, account: str) -> int:
    return query(settings.store_path, "SELECT count(*) FROM comments WHERE account = ?",
                 account)[0][0]


def test_a_failing_account_backs_off_alone_and_recovers(tmp_path: Path) -> None:
    _, settings = setup(tmp_path, {"good": "enforce", "bad": "enforce"})
    opened: list[str] = []
    broken: dict[str, Broken] = {}

    def connect(account):
        opened.append(account.name)
        inner = open_connector(account, config.Secrets())
        if account.name == "bad":
            broken["bad"] = Broken(inner, TransientError("file bad: platform outage"))
            return broken["bad"]
        return inner

    clock = FakeClock()
    daemon = Daemon(settings, connect=connect, clock=clock)
    try:
        assert daemon.poll("good").new == 50
        summary = daemon.poll("bad")
        assert summary is not None and isinstance(summary.error, TransientError)
        state = daemon.state["bad"]
        assert state.failures == 1 and state.next_try == clock.t + 300
        assert daemon.poll("bad") is None  # backing off: not even tried
        assert daemon.poll("good") is not None  # the other account is untouched
        delays = []
        for _ in range(6):  # exponential, capped at backoff_max (3600)
            clock.t = state.next_try
            daemon.poll("bad")
            delays.append(state.next_try - clock.t)
        assert delays == [600, 1200, 2400, 3600, 3600, 3600]
        assert recorded(settings, "bad") == 0

        broken["bad"].error = None  # the platform is back
        clock.t = state.next_try
        assert daemon.poll("bad").new == 50
        assert state.failures == 0 and state.next_try == 0
        assert opened == ["good", "bad"]  # transient errors keep the connector
        events = query(settings.store_path, "SELECT kind FROM events WHERE account = 'bad'")
        assert ("account.backoff",) in events and ("account.recovered",) in events
    finally:
        daemon.shutdown()


def test_auth_failure_waits_long_and_reopens_with_fresh_secrets(tmp_path: Path,
                                                                caplog) -> None:
    _, settings = setup(tmp_path, {"acme": "enforce"})
    clock = FakeClock()
    calls = []

    def connect(account):
        calls.append(1)
        return Broken(open_connector(account, config.Secrets()),
                      AuthFailed("file acme: token revoked") if len(calls) == 1 else None)

    daemon = Daemon(settings, connect=connect, clock=clock)
    try:
        daemon.poll("acme")
        state = daemon.state["acme"]
        assert state.next_try - clock.t == settings.daemon.auth_backoff
        assert state.connector is None
        assert any(r.levelname == "CRITICAL" and "CREDENTIALS" in r.getMessage()
                   for r in caplog.records)
        from click.testing import CliRunner

        from moderator.cli import main

        shown = CliRunner().invoke(main, ["--config", str(settings.source), "status",
                                          "--no-daemon-check"])
        assert shown.exit_code == 1
        assert "ATTENTION: acme: failing: AuthFailed: file acme: token revoked; failure 1, " \
               "next try at" in shown.output
        clock.t = state.next_try
        assert daemon.poll("acme").new == 50 and len(calls) == 2
    finally:
        daemon.shutdown()


def test_rate_limit_honours_retry_after_and_missing_secret_backs_off(tmp_path: Path) -> None:
    _, settings = setup(tmp_path, {"acme": "enforce"})
    clock = FakeClock()
    daemon = Daemon(settings, clock=clock, connect=lambda a: Broken(
        open_connector(a, config.Secrets()), RateLimited("file acme: 429", retry_after=5000)))
    try:
        daemon.poll("acme")
        assert daemon.state["acme"].next_try - clock.t == 5000
    finally:
        daemon.shutdown()

    missing = config.Settings(**{**{f: getattr(settings, f) for f in settings.__slots__},
                                 "accounts": (config.AccountSettings(
                                     name="acme", platform="file", secrets={"token": "NO_SUCH_VAR"},
                                     options=settings.accounts[0].options),)})
    daemon = Daemon(missing, clock=clock)
    try:
        assert daemon.poll("acme") is None
        assert daemon.state["acme"].next_try - clock.t == settings.daemon.auth_backoff
        assert "NO_SUCH_VAR" in daemon.state["acme"].last_error
    finally:
        daemon.shutdown()


def test_scheduler_keeps_polling_the_others_while_one_fails(tmp_path: Path) -> None:
    platform, settings = setup(tmp_path, {"a": "enforce", "b": "enforce", "bad": "enforce"},
                               poll_every=0.2)

    def connect(account):
        inner = open_connector(account, config.Secrets())
        return Broken(inner, TransientError("down")) if account.name == "bad" else inner

    daemon = Daemon(settings, connect=connect)
    daemon.start()
    try:
        jobs = {job.id: job for job in daemon._scheduler.get_jobs()}
        assert set(jobs) == {"poll:a", "poll:b", "poll:bad"}
        assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
        platform.post("a", make_comments(random.Random(2), 50, 30, prefix="a-"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (recorded(settings, "a") < 80
                                               or recorded(settings, "b") < 50):
            time.sleep(0.05)
        assert recorded(settings, "a") == 80 and recorded(settings, "b") == 50
        time.sleep(2)
        # the failing account backs off exponentially (0.2, 0.4, 0.8, 1.6 s...) while the
        # others keep their 0.2 s rhythm
        assert 1 <= daemon.state["bad"].failures <= 5
        assert daemon.state["b"].polls >= 2 * daemon.state["bad"].failures
    finally:
        assert daemon.shutdown()


def test_refreshed_feeds_rebuild_the_rules_before_the_next_poll(tmp_path: Path) -> None:
    _, settings = setup(tmp_path, {"acme": "dry-run"})
    answers = [True, None]
    daemon = Daemon(settings, feed_refresher=lambda: answers.pop(0))
    try:
        daemon.poll("acme")
        first = daemon.state["acme"].pipeline
        daemon.refresh_feeds()  # True: rules changed
        daemon.poll("acme")
        second = daemon.state["acme"].pipeline
        assert second is not first
        daemon.refresh_feeds()  # None: nothing changed
        daemon.poll("acme")
        assert daemon.state["acme"].pipeline is second
    finally:
        daemon.shutdown()


def test_a_failing_feed_refresh_is_logged_and_harmless(tmp_path: Path, caplog) -> None:
    _, settings = setup(tmp_path, {"acme": "dry-run"})

    def boom():
        raise OSError("feed file unreadable")

    daemon = Daemon(settings, feed_refresher=boom)
    try:
        daemon.refresh_feeds()
        assert "threat feed refresh failed" in caplog.text
        assert daemon.poll("acme").new == 50
    finally:
        daemon.shutdown()


def digest_daemon(tmp_path: Path, wall: list[datetime], sent: list, *, send_at: str = "08:00",
                  zone: str = "UTC") -> tuple[Daemon, config.Settings]:
    _, settings = setup(tmp_path, {"acme": "dry-run"},
                        extra=f'[digest]\nsend_at = "{send_at}"\ntimezone = "{zone}"\n')
    daemon = Daemon(settings, wall_clock=lambda: wall[0],
                    digest_sender=lambda start, end: sent.append((start, end)))
    return daemon, settings


def test_a_digest_missed_while_down_is_sent_at_the_next_start(tmp_path: Path) -> None:
    wall = [datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)]
    sent: list = []
    daemon, settings = digest_daemon(tmp_path, wall, sent)
    try:
        with Store(settings.store_path) as store:
            assert not daemon.send_digest_if_due()  # a new installation has missed nothing
            store.db.execute("INSERT INTO runs(kind, started_at) VALUES ('poll', ?)",
                             [iso(wall[0] - timedelta(days=3))])
            store.record_digest(wall[0] - timedelta(days=3), wall[0] - timedelta(days=2),
                                ["ops@acme.example"], "sent")
        assert daemon.send_digest_if_due()  # today's 08:00 passed while we were down
        assert sent == [(wall[0] - timedelta(days=2), wall[0])]
        assert not daemon.send_digest_if_due()  # once is enough
        wall[0] += timedelta(hours=21)  # 07:00 the next day: not due yet
        assert not daemon.send_digest_if_due()
        wall[0] += timedelta(hours=1, minutes=1)  # 08:01: due
        assert daemon.send_digest_if_due() and len(sent) == 2
    finally:
        daemon.shutdown()


def test_digest_time_follows_the_configured_zone(tmp_path: Path) -> None:
    wall = [datetime(2026, 1, 15, 7, 30, tzinfo=timezone.utc)]  # 08:30 in Paris (winter)
    daemon, _ = digest_daemon(tmp_path, wall, [], send_at="08:00", zone="Europe/Paris")
    assert daemon.digest_due() == datetime(2026, 1, 15, 7, 0, tzinfo=timezone.utc)
    wall[0] = datetime(2026, 7, 15, 5, 30, tzinfo=timezone.utc)  # 07:30 in Paris (summer)
    assert daemon.digest_due() == datetime(2026, 7, 14, 6, 0, tzinfo=timezone.utc)
    scheduler = daemon._build_scheduler()
    scheduler.start(paused=True)
    try:
        next_run = scheduler.get_job("digest").next_run_time
        assert (next_run.hour, next_run.minute) == (8, 0)
        assert str(next_run.tzinfo) == "Europe/Paris"
    finally:
        scheduler.shutdown(wait=False)


def test_failed_digest_is_recorded_and_not_counted_as_sent(tmp_path: Path) -> None:
    wall = [datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)]
    _, settings = setup(tmp_path, {"acme": "dry-run"})

    def fail(start, end):
        raise ConnectionRefusedError("smtp down")

    daemon = Daemon(settings, wall_clock=lambda: wall[0], digest_sender=fail)
    try:
        with Store(settings.store_path) as store:
            store.db.execute("INSERT INTO runs(kind, started_at) VALUES ('poll', ?)",
                             [iso(wall[0] - timedelta(days=3))])
        assert not daemon.send_digest_if_due()
        rows = query(settings.store_path, "SELECT status FROM digests")
        assert rows == [("failed",)]
        daemon.digest_sender = lambda start, end: None
        assert daemon.send_digest_if_due()  # still due: the failure did not count
    finally:
        daemon.shutdown()


@pytest.mark.timeout(300)
def test_sigterm_finishes_the_batch_in_hand_and_exits_0(tmp_path: Path) -> None:
    platform = FilePlatform(tmp_path, latency=0.002)
    config_path = write_config(tmp_path, platform, {"acme": "enforce"}, poll_every=0.5)
    platform.post("acme", make_comments(random.Random(3), 0, 3000, prefix="c"))
    log = tmp_path / "daemon.log"
    proc = start_daemon(config_path, log)
    wait_started(log)
    db = tmp_path / "moderator.db"
    deadline = time.monotonic() + 120  # a bound for a daemon that does nothing
    while not (db.exists()
               and query(db, "SELECT count(*) FROM actions WHERE status = 'done'")[0][0]):
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0, log.read_text()[-2000:]
    text = log.read_text()
    assert "stopping after this batch" in text and "daemon stopped" in text
    # The batch was finished: its comments, cursor and actions all committed.
    (cursor,) = query(db, "SELECT cursor FROM cursors WHERE account = 'acme'")[0]
    count = query(db, "SELECT count(*) FROM comments")[0][0]
    assert 0 < count < 3000 and int(cursor) == count
    pending = query(db, """SELECT count(*) FROM actions p WHERE p.status = 'planned' AND NOT
        EXISTS (SELECT 1 FROM actions d WHERE d.idem_key = p.idem_key AND d.id > p.id)""")
    assert pending == [(0,)]


@pytest.mark.timeout(300)
def test_a_second_signal_stops_at_once(tmp_path: Path) -> None:
    platform = FilePlatform(tmp_path, latency=0.05)  # slow platform: a batch takes ~10 s
    config_path = write_config(tmp_path, platform, {"acme": "enforce"}, poll_every=0.5)
    platform.post("acme", make_comments(random.Random(4), 0, 600, prefix="c"))
    log = tmp_path / "daemon.log"
    proc = start_daemon(config_path, log)
    wait_started(log)
    deadline = time.monotonic() + 120  # a bound, not a wait: the batch is under way long before
    while "action file acme" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert proc.poll() is None  # still finishing the batch
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    assert "second signal" in log.read_text()
    # At once, not after the batch: some of its planned actions are still to be carried out
    # (the next start resumes them).
    pending = query(tmp_path / "moderator.db", """SELECT count(*) FROM actions p WHERE
        p.status = 'planned' AND NOT EXISTS (SELECT 1 FROM actions d
        WHERE d.idem_key = p.idem_key AND d.id > p.id)""")[0][0]
    assert pending > 0


def test_the_documented_settings_are_accepted() -> None:
    import tomllib

    snippet = (Path(__file__).resolve().parents[1] / "docs" / "config-daemon.toml").read_text()
    settings = config.parse(tomllib.loads(snippet))
    assert settings.daemon.feed_refresh_every == 3600 and settings.daemon.backoff_max == 3600
    assert settings.daemon.auth_backoff == 1800 and settings.daemon.stop_timeout == 20
    assert settings.brake.max_actions == 25 and settings.review.four_eyes is False
    with pytest.raises(config.ConfigError) as bad:
        config.parse({"daemon": {"backoff_max": "soon", "stale_after": 0},
                      "review": {"four_eyes": "yes"}})
    problems = " ".join(bad.value.problems)
    assert "daemon.backoff_max" in problems and "daemon.stale_after" in problems
    assert "review.four_eyes" in problems


def test_a_login_refused_when_opening_the_connector_backs_off(tmp_path: Path) -> None:
    _, settings = setup(tmp_path, {"acme": "enforce", "other": "enforce"})
    clock = FakeClock()

    def connect(account):
        if account.name == "acme":
            raise AuthFailed("file acme: 401 from the token endpoint")
        return open_connector(account, config.Secrets())

    daemon = Daemon(settings, connect=connect, clock=clock)
    try:
        assert daemon.poll("acme") is None
        assert daemon.state["acme"].next_try - clock.t == settings.daemon.auth_backoff
        assert daemon.poll("other").new == 50
        errors = query(settings.store_path, "SELECT account, kind FROM errors")
        assert errors == [("acme", "AuthFailed")]
    finally:
        daemon.shutdown()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
def test_open_files_do_not_grow_with_the_accounts(tmp_path: Path) -> None:
    names = {f"p{i}": "enforce" for i in range(30)}
    _, settings = setup(tmp_path, names, comments=2)
    daemon = Daemon(settings)
    daemon.start(schedule=False)  # opens this thread's store
    try:
        before = len(os.listdir("/proc/self/fd"))
        for name in names:
            assert daemon.poll(name).error is None
        grown = len(os.listdir("/proc/self/fd")) - before
    finally:
        assert daemon.shutdown()
    assert all(recorded(settings, name) == 2 for name in names)
    assert grown < 10, grown  # one connection per account held 3 files each: 87 more


def test_the_open_files_limit_is_raised_to_the_hard_one() -> None:
    probe = ("import resource\n"
             "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
             "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))\n"
             "from moderator.open_files import raise_open_files_limit\n"
             "print(raise_open_files_limit(5000), hard, "
             "resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    limit, hard, now_soft = done.stdout.split()
    expected = hard if int(hard) != -1 else "65536"  # -1: unlimited
    assert limit == now_soft == expected, done.stdout
    if int(expected) < 64 + 2 * 5000:
        assert "raise LimitNOFILE" in done.stderr
