"""``moderator brake``: engage or release an account's brake (review-only mode)."""

from __future__ import annotations

import click

from moderator.cli.common import load_settings, open_store, reviewer_name
from moderator.errors import ConfigError


@click.group("brake")
def brake() -> None:
    """The per-account brake: review-only mode after too many destructive actions.

    \b
    Example:
        moderator brake release acme-facebook --as alice
    """


@brake.command("release")
@click.argument("account")
@click.option("--as", "as_name", help="Your name for the audit log (default: "
              "$MODERATOR_REVIEWER or login).")
@click.pass_context
def brake_release(ctx: click.Context, account: str, as_name: str | None) -> None:
    """Release the brake of ACCOUNT: destructive actions resume at the next poll.

    The brake's window restarts at the release, so the actions that engaged it do not
    engage it again. Check the review queue first: what the brake held back is there.

    \b
    Example:
        moderator brake release acme-facebook --as alice
    """
    settings = load_settings(ctx)
    try:
        settings.account(account)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    with open_store(settings) as store:
        released = store.release_brake(account, reviewer_name(as_name))
    if not released:
        raise click.ClickException(f"{account}: the brake is not engaged")
    click.echo(f"{account}: brake released")


@brake.command("engage")
@click.argument("account")
@click.option("--reason", required=True, help="Why (shown in status and the digest).")
@click.option("--as", "as_name", help="Your name (default: $MODERATOR_REVIEWER or login).")
@click.pass_context
def brake_engage(ctx: click.Context, account: str, reason: str, as_name: str | None) -> None:
    """Put ACCOUNT in review-only mode by hand (e.g. while a rule is investigated).

    \b
    Example:
        moderator brake engage acme-facebook --reason "checking the new charter rule"
    """
    settings = load_settings(ctx)
    try:
        settings.account(account)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    with open_store(settings) as store, store.atomic():
        store.engage_brake(account, f"{reason} (by {reviewer_name(as_name)})")
    click.echo(f"{account}: brake engaged; destructive actions go to the review queue")
