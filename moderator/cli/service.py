"""``moderator run``: Moderator as a service (``status`` is in cli/status.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from moderator import config
from moderator.cli.common import load_settings
from moderator.daemon import Daemon
from moderator.daemon_lock import DaemonLocked
from moderator.errors import ConfigError, ModeratorError
from moderator.store import Store

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
        code = _run_with_web(settings, daemon)
    except DaemonLocked as e:
        click.echo(f"Error: {e}", err=True)
        ctx.exit(EX_CONFIG)
    except ConfigError as e:
        click.echo("Error: invalid config:\n  " + "\n  ".join(e.problems), err=True)
        ctx.exit(EX_CONFIG)
    except ModeratorError as e:
        raise click.ClickException(str(e)) from None
    ctx.exit(code)


def _run_with_web(settings: config.Settings, daemon: Daemon) -> int:
    """The daemon, with the review inbox on a thread beside it when [web] enabled = true."""
    if not settings.web.enabled:
        return daemon.run()
    from moderator.web.serve import Background  # Flask loads only when asked for

    web = Background(settings).start()
    try:
        return daemon.run()
    finally:
        web.stop()
