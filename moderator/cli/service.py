"""Commands for running Moderator as a service: ``run`` and ``status``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import click
from tabulate import tabulate

from moderator import config
from moderator.cli.common import load_settings, open_store
from moderator.daemon import Daemon, DaemonLock, DaemonLocked
from moderator.errors import ConfigError, ModeratorError
from moderator.store import Store, now

ATTENTION_EXIT = 1
EX_CONFIG = 78  # sysexits.h: the unit file tells systemd not to restart on it


def _hooks(settings: config.Settings) -> dict[str, Any]:
    """The threat-feed refresher and the digest sender, where the config asks for them.

    ``feed_refresher() -> bool | None`` and ``digest_sender(period_start, period_end)``: see
    ``moderator.daemon``. Wired here so the daemon itself knows neither module.
    """
    from moderator import digest
    from moderator.feed_refresh import feed_specs, refresh_feeds

    def send(period_start: datetime, period_end: datetime) -> None:
        with Store(settings.store_path) as store:
            digest.send_digest(settings, store, digest.Period(period_start, period_end))

    return {
        "feed_refresher": (lambda: refresh_feeds(settings)) if any(feed_specs(settings))
        else None,
        "digest_sender": send if settings.digest.recipients else None,
    }


@click.command("run")
@click.option("--once", is_flag=True,
              help="Poll every enabled account once and exit (for cron or a smoke test).")
@click.pass_context
def run(ctx: click.Context, once: bool) -> None:
    """Run the daemon: poll every enabled account on its own interval, act, and keep going.

    Stop it with SIGTERM or Ctrl-C: the batch in hand is finished and committed first; a
    second signal stops at once. Only one daemon may use a database (a lock file next to it
    says which process holds it). Exits 78 on an invalid config or when another daemon
    holds the lock, so a service manager does not restart it in a loop.

    \b
    Examples:
        moderator --config /etc/moderator/moderator.toml --log-level info run
        moderator --log-format json run
        moderator run --once
    """
    try:
        settings = load_settings(ctx)
    except click.ClickException as e:  # no point in a service manager restarting us
        e.show()
        ctx.exit(EX_CONFIG)
    try:
        daemon = Daemon(settings, **_hooks(settings))
        if once:
            daemon.start(schedule=False)
            try:
                failed = False
                for name in daemon.accounts:
                    summary = daemon.poll(name)
                    failed |= summary is None or summary.error is not None
            finally:
                daemon.shutdown()
            ctx.exit(1 if failed else 0)
        code = daemon.run()
    except DaemonLocked as e:
        click.echo(f"Error: {e}", err=True)
        ctx.exit(EX_CONFIG)
    except ConfigError as e:
        click.echo("Error: invalid config:\n  " + "\n  ".join(e.problems), err=True)
        ctx.exit(EX_CONFIG)
    except ModeratorError as e:
        raise click.ClickException(str(e)) from None
    ctx.exit(code)


def _age(when: datetime | None, at: datetime) -> str:
    if when is None:
        return "never"
    seconds = max(0.0, (at - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def account_report(settings: config.Settings, store: Store, at: datetime) -> list[dict[str, Any]]:
    """Per account: its health and the reasons it needs attention (empty when fine)."""
    out = []
    for account in settings.accounts:
        health = store.account_health(account.name, at - timedelta(hours=24))
        attention = []
        if account.enabled:
            stale = settings.daemon.stale_after * account.poll_every + settings.daemon.jitter
            if health["last_ok"] is None:
                attention.append("never polled successfully")
            elif (at - health["last_ok"]).total_seconds() > stale:
                attention.append(f"no successful poll for {_age(health['last_ok'], at)[:-4]}")
            if health["backoff"]:
                attention.append(f"failing: {health['backoff']['detail']}")
            elif health["last_status"] == "error":
                attention.append(f"last poll failed: {health['last_message']}")
        if health["brake"]:
            attention.append(f"brake engaged: {health['brake']['reason']}")
        out.append({"account": account.name, "platform": account.platform,
                    "mode": account.mode.value, "enabled": account.enabled, **health,
                    "attention": attention})
    return out


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (for monitoring).")
@click.option("--no-daemon-check", is_flag=True,
              help="Do not count a stopped daemon as a problem (cron setups with run --once).")
@click.pass_context
def status(ctx: click.Context, as_json: bool, no_daemon_check: bool) -> None:
    """Show each account's last successful poll, backlog, errors and brake, and the queue.

    Exits 1 when something needs attention (daemon down, a stale or failing account, a brake
    engaged), 0 otherwise, so it can drive monitoring.

    \b
    Examples:
        moderator status
        moderator status --json || notify-ops
    """
    settings = load_settings(ctx)
    at = now()
    pid = DaemonLock.holder(settings.lock_path())
    with open_store(settings) as store:
        accounts = account_report(settings, store, at)
        queue = store.queue_size()
    problems = [f"{a['account']}: {reason}" for a in accounts for reason in a["attention"]]
    if pid is None and not no_daemon_check:
        problems.insert(0, f"daemon not running (no lock held on {settings.lock_path()})")
    if as_json:
        click.echo(json.dumps({
            "daemon": {"running": pid is not None, "pid": pid},
            "queue": queue, "attention": problems,
            "accounts": [{**a, "brake": a["brake"] and {k: a["brake"][k]
                                                         for k in ("reason", "since")}}
                         for a in accounts]}, default=str, indent=2))
    else:
        click.echo(f"daemon: {'running (pid %s)' % pid if pid is not None else 'NOT RUNNING'}")
        rows = [[a["account"], a["platform"], a["mode"] if a["enabled"] else "disabled",
                 _age(a["last_ok"], at), a["last_status"] or "-", a["backlog"],
                 a["failed_actions"], a["errors"], a["queued"],
                 "ENGAGED" if a["brake"] else "off"] for a in accounts]
        click.echo(tabulate(rows, headers=["account", "platform", "mode", "last ok poll",
                                           "last poll", "backlog", "failed acts 24h",
                                           "errors 24h", "queued", "brake"]))
        click.echo(f"review queue: {queue} pending")
        for problem in problems:
            click.echo(f"ATTENTION: {problem}")
    if problems:
        ctx.exit(ATTENTION_EXIT)
