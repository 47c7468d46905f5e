"""``moderator users`` (reviewer accounts of the web inbox) and ``moderator web``."""

from __future__ import annotations

import sys

import click
from tabulate import tabulate

from moderator import users
from moderator.cli.common import as_click_errors, load_settings, open_store
from moderator.errors import ModeratorError
from moderator.store import Store


def _store(ctx: click.Context) -> Store:
    return open_store(load_settings(ctx))


def read_password() -> str:
    """From a terminal: asked twice, not echoed. Otherwise the first line of standard input
    (``printf '%s\\n' "$PW" | moderator users add alice``), never an argument: arguments
    show in ``ps`` and the shell's history."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("no password on standard input")
    return line.rstrip("\r\n")


@click.group("users")
def users_group() -> None:
    """Reviewer accounts for the web inbox (`moderator web`).

    \b
    Examples:
        moderator users add alice --role admin
        moderator users list
    """


@users_group.command("add")
@click.argument("name")
@click.option("--role", default="reviewer", show_default=True, type=click.Choice(users.ROLES),
              help="admin may also release brakes and see the accounts' errors.")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str) -> None:
    """Add a reviewer NAME; the password is read from standard input.

    \b
    Examples:
        moderator users add alice --role admin          # asks twice on a terminal
        printf '%s\\n' "$PASSWORD" | moderator users add bob
    """
    with _store(ctx) as store:
        with as_click_errors():
            users.add(store, name, read_password(), role)
    click.echo(f"user {name} added ({role})")


@users_group.command("passwd")
@click.argument("name")
@click.pass_context
def users_passwd(ctx: click.Context, name: str) -> None:
    """Set a new password for NAME (from standard input); ends the user's sessions.

    \b
    Example:
        moderator users passwd alice
    """
    with _store(ctx) as store:
        with as_click_errors():
            users.change_password(store, name, read_password())
    click.echo(f"user {name}: password changed; their sessions are closed")


@users_group.command("remove")
@click.argument("name")
@click.pass_context
def users_remove(ctx: click.Context, name: str) -> None:
    """Remove NAME and close their sessions (their verdicts stay in the audit log).

    \b
    Example:
        moderator users remove bob
    """
    with _store(ctx) as store:
        with as_click_errors():
            users.remove(store, name)
    click.echo(f"user {name} removed")


@users_group.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List the reviewer accounts with their role and last login.

    \b
    Example:
        moderator users list
    """
    with _store(ctx) as store:
        rows = users.listing(store)
    click.echo(tabulate([[u["name"], u["role"], (u["created_at"] or "")[:16],
                          (u["last_login"] or "never")[:16]] for u in rows],
                        headers=["name", "role", "added", "last login"]))


@click.command("web")
@click.option("--host", help="Address to listen on (default: [web] host, else 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: [web] port, else 8080).")
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the review inbox in a browser.

    Listens on 127.0.0.1 by default; for anyone else put it behind a reverse proxy that
    adds TLS (docs/web.md has an nginx and a Caddy example). Reviewers log in with the
    accounts `moderator users add` creates.

    \b
    Examples:
        moderator web
        moderator web --port 8081
    """
    from moderator.web.serve import serve  # Flask loads only for this command

    settings = load_settings(ctx)
    try:
        serve(settings, host or settings.web.host, settings.web.port if port is None else port)
    except (ModeratorError, OSError) as e:
        raise click.ClickException(str(e)) from None
