"""``moderator backfill``: read existing comments once, judge, record, act."""

from __future__ import annotations

import time
from datetime import datetime

import click
from tabulate import tabulate

from moderator import config
from moderator.cli.common import Progress, load_settings, open_store, parse_when
from moderator.errors import ConfigError, ModeratorError
from moderator.heap import freeze_start_up
from moderator.parallel import default_jobs
from moderator.pipeline import Pipeline
from moderator.store import Store
from moderator.worker import open_connector, run_account


@click.command()
@click.option("--account", "account_names", multiple=True,
              help="Account to backfill (repeatable; default: every enabled account).")
@click.option("--since", help="Only comments created at or after this date (ISO 8601, "
              "yesterday, or an age like 7d).")
@click.option("--until", help="Only comments created before this date (ISO 8601).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes judging comments (default: the CPUs this process may use); the "
              "verdicts and the order they are stored in are the same for any number.")
@click.pass_context
def backfill(ctx: click.Context, account_names: tuple[str, ...], since: str | None,
             until: str | None, jobs: int | None) -> None:
    """Read an account's existing comments once, judge them and record everything.

    Decisions are carried out only for accounts in enforce mode. Comments already recorded
    are skipped, so a backfill can be repeated safely.

    \b
    Examples:
        moderator backfill --account acme-youtube
        moderator backfill --account acme-reddit --since 2026-11-01 --until 2026-11-08
        moderator backfill --jobs 4
    """
    settings = load_settings(ctx)
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    try:
        accounts = [settings.account(n) for n in account_names] or \
            [a for a in settings.accounts if a.enabled]
        secrets = config.Secrets(settings.secrets_file)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    rows, failed = [], False
    rule_sets: dict[str, Pipeline] = {}  # accounts whose rules have the same options share them
    with open_store(settings) as store:
        for account in accounts:
            outcome = _backfill_account(settings, account, secrets, store, rule_sets,
                                        (start, end), jobs or default_jobs())
            if outcome is None:
                failed = True
                continue
            row, ok = outcome
            rows.append(row)
            failed |= not ok
    click.echo(tabulate(rows, headers=["account", "mode", "fetched", "new", "flagged",
                                       "review", "hide", "delete", "done", "bad lines",
                                       "status", "time"]))
    if failed:
        ctx.exit(1)


def _backfill_account(settings: config.Settings, account: config.AccountSettings,
                      secrets: config.Secrets, store: Store, rule_sets: dict[str, Pipeline],
                      when: tuple[datetime | None, datetime | None],
                      jobs: int) -> tuple[list, bool] | None:
    """The account's row of the table and whether its pass went without error; None (said on
    stderr) if it could not be read or the store could not be written (a full disk: what was
    stored stays, the rest is not)."""
    started = time.perf_counter()
    try:
        connector = open_connector(account, secrets)
        version = Pipeline.version_for(settings, account)
        if version not in rule_sets:
            rule_sets[version] = Pipeline.for_account(settings, account)
            freeze_start_up()
        with Progress(account.name) as progress:
            summary = run_account(settings, account, connector, store, kind="backfill",
                                  since=when[0], until=when[1], pipeline=rule_sets[version],
                                  progress=progress.advance, jobs=jobs)
    except ModeratorError as e:  # run_account says a platform's failure in the summary
        click.echo(f"{account.name}: {e}", err=True)
        return None
    return [account.name, account.mode.value, summary.fetched, summary.new, summary.flagged,
            summary.decisions.get("review", 0), summary.decisions.get("hide", 0),
            summary.decisions.get("delete", 0), summary.acted, summary.skipped,
            "error: " + str(summary.error) if summary.error else
            ("BRAKE" if summary.brake_engaged else "ok"),
            f"{time.perf_counter() - started:.1f}s"], summary.error is None
