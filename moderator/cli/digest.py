"""``moderator digest``: build the moderation digest and send it (or preview it)."""

from __future__ import annotations

import click

from moderator.digest import (DigestError, build_message, collect, resolve_period, send_digest,
                              write_preview)
from moderator.cli.common import load_settings, open_store, parse_when
from moderator.errors import ModeratorError


@click.command("digest")
@click.option("--since", help="Start of the period (ISO 8601; default: the end of the last "
                              "digest sent, else 24 hours ago).")
@click.option("--until", help="End of the period (ISO 8601; default: now).")
@click.option("--preview", "preview", metavar="FILE",
              help="Write FILE.eml and FILE.html instead of sending (nothing is recorded).")
@click.option("--dry-run", is_flag=True,
              help="Print the plain-text digest instead of sending (nothing is recorded).")
@click.pass_context
def digest(ctx: click.Context, since: str | None, until: str | None, preview: str | None,
           dry_run: bool) -> None:
    """Send the moderation digest e-mail to the configured recipients.

    The period runs from the end of the last digest sent (else the last 24 hours) to now,
    so consecutive digests cover everything exactly once. Every send is recorded. SMTP
    settings are in [digest]; the password comes from the environment variable named by
    digest.smtp_password_env.

    \b
    Examples:
        moderator digest
        moderator digest --preview /tmp/digest        # /tmp/digest.eml + /tmp/digest.html
        moderator digest --since 2026-11-20 --until 2026-11-24 --dry-run
    """
    settings = load_settings(ctx)
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    with open_store(settings) as store:
        try:
            period = resolve_period(store, since=start, until=end)
            if preview or dry_run:
                message = build_message(collect(store, settings, period), settings.digest)
                if dry_run:
                    body = message.get_body(preferencelist=("plain",))
                    click.echo(f"Subject: {message['Subject']}\n")
                    click.echo(body.get_content() if body else "")
                if preview:
                    eml, page = write_preview(message, preview)
                    click.echo(f"wrote {eml} and {page}", err=True)
                return
            send_digest(settings, store, period)
        except DigestError as e:
            raise click.ClickException(str(e)) from None
        except ModeratorError as e:
            raise click.ClickException(str(e)) from None
    click.echo(f"digest sent to {len(settings.digest.recipients)} recipient(s) for "
               f"{period.start.isoformat(timespec='minutes')} to "
               f"{period.end.isoformat(timespec='minutes')}")
