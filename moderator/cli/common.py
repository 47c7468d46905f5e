"""Helpers every command shares: settings, the store, the reviewer's name, dates and ages,
``--config`` wherever it stands, a progress counter."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import click

from moderator import config
from moderator.errors import ConfigError, ModeratorError
from moderator.store import Store

CONFIG_HELP = "Config file (default: $MODERATOR_CONFIG or ./moderator.toml)."


def load_settings(ctx: click.Context) -> config.Settings:
    try:
        return config.load(config_file(ctx))
    except ConfigError as e:
        raise click.ClickException("invalid config:\n  " + "\n  ".join(e.problems)) from None


def config_file(ctx: click.Context) -> str | None:
    """The ``--config`` given before or after the subcommand (the later one wins)."""
    return ctx.find_root().ensure_object(dict).get("config")


def set_config_file(ctx: click.Context, value: str | None) -> None:
    ctx.find_root().ensure_object(dict)["config"] = value


def _config_after_subcommand(ctx: click.Context, _param: click.Parameter,
                             value: str | None) -> None:
    if value is not None:
        set_config_file(ctx, value)


def accept_config_anywhere(command: click.Command) -> None:
    """Give ``command`` and every subcommand a ``--config`` option, so that
    ``moderator scan F --config C`` means the same as ``moderator --config C scan F``."""
    if not any(p.name == "config_anywhere" for p in command.params):
        command.params.append(click.Option(
            ["--config", "config_anywhere"], type=click.Path(dir_okay=False), expose_value=False,
            callback=_config_after_subcommand, help=CONFIG_HELP))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_config_anywhere(sub)


def open_store(settings: config.Settings) -> Store:
    try:
        return Store(settings.store_path)
    except ModeratorError as e:
        raise click.ClickException(str(e)) from None


def reviewer_name(explicit: str | None) -> str:
    return explicit or os.environ.get("MODERATOR_REVIEWER") or getpass.getuser()


def parse_when(value: str | None, option: str) -> datetime | None:
    """The one date parser of every command: ISO 8601, a date alone, UTC unless it says."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-11-01 or 2026-11-01T08:00Z, "
                                 f"got {value!r}", param_hint=option) from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_age(value: str | None, option: str) -> timedelta | None:
    """'90s', '30m', '2h', '7d' (or a number of seconds) -> timedelta."""
    if value is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if value[-1:] in units:
            return timedelta(seconds=float(value[:-1]) * units[value[-1]])
        return timedelta(seconds=float(value))
    except ValueError:
        raise click.BadParameter(f"expected an age like 30m, 2h or 7d, got {value!r}",
                                 param_hint=option) from None


class Progress:
    """A comment counter on stderr when it is a terminal (the total is rarely known)."""

    def __init__(self, label: str):
        self.label, self.count = label, 0
        self.live = sys.stderr.isatty()

    def __enter__(self) -> "Progress":
        return self

    def advance(self, n: int) -> None:
        self.count += n
        if self.live:
            click.echo(f"\r{self.label}: {self.count} comments", nl=False, err=True)

    def __exit__(self, *exc: Any) -> None:
        if self.live:
            click.echo("", err=True)
