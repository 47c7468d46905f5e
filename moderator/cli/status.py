"""``moderator status``: per account, the last poll, backlog, errors and brake; the queue.

Apart from ``run`` (cli/service.py) so that it imports neither the scheduler nor the rules and
connectors: monitoring calls it often and expects an answer at once."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from typing import Any

import click
from tabulate import tabulate

from moderator import config
from moderator.cli.common import load_settings, open_store
from moderator.daemon_lock import DaemonLock
from moderator.store import Store, now

ATTENTION_EXIT = 1
# Less free space than this on the store's disk needs attention: once the disk is full SQLite
# refuses every write, so the daemon records nothing, and VACUUM needs as much free space again
# as the file takes.
LOW_DISK_BYTES = 1 << 30


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
                attention.append("never read successfully (no poll or backfill)")
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


def store_report(settings: config.Settings) -> dict[str, Any]:
    """The store's size on disk (with its write-ahead log) and the free space beside it."""
    path = settings.store_path
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return {"path": str(path), "bytes": sum(f.stat().st_size for f in files if f.exists()),
            "free_bytes": shutil.disk_usage(path.parent).free, "keep_days": settings.keep_days}


def _store_problem(store: dict[str, Any]) -> list[str]:
    if store["free_bytes"] >= LOW_DISK_BYTES:
        return []
    return [f"store: {_size(store['free_bytes'])} free on the disk of {store['path']} "
            f"({_size(store['bytes'])} used by it; see [store] keep_days)"]


def _store_line(store: dict[str, Any]) -> str:
    kept = (f"comments nothing happened to are forgotten after {store['keep_days']} days"
            if store["keep_days"] else "every comment is kept ([store] keep_days)")
    return (f"store: {store['path']} {_size(store['bytes'])}, {_size(store['free_bytes'])} "
            f"free; {kept}")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


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
    settings = load_settings(ctx, judge=False, connect=False)
    at = now()
    pid = DaemonLock.holder(settings.lock_path())
    with open_store(settings) as store:
        accounts = account_report(settings, store, at)
        queue = store.queue_size()
    disk = store_report(settings)
    problems = [f"{a['account']}: {reason}" for a in accounts for reason in a["attention"]]
    problems += _store_problem(disk)
    if pid is None and not no_daemon_check:
        problems.insert(0, f"daemon not running (no lock held on {settings.lock_path()})")
    if as_json:
        click.echo(json.dumps({
            "daemon": {"running": pid is not None, "pid": pid},
            "queue": queue, "store": disk, "attention": problems,
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
        click.echo(_store_line(disk))
        for problem in problems:
            click.echo(f"ATTENTION: {problem}")
    if problems:
        ctx.exit(ATTENTION_EXIT)
