"""Helpers every command shares: settings, the store, the reviewer's name, dates and ages,
a progress counter (``--config`` wherever it stands: cli/config_option.py)."""

from __future__ import annotations

import getpass
import os
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterator

import click

from moderator import config
from moderator.cli.config_option import config_file
from moderator.errors import ConfigError, ModeratorError

if TYPE_CHECKING:  # imported where a store is opened: scan needs none (SQLite helpers: ~45 ms)
    from moderator.store import Store


def load_settings(ctx: click.Context, *, judge: bool = True, connect: bool = True) -> config.Settings:
    """The settings; a command that does not judge or connect says so (see config.load)."""
    try:
        return config.load(config_file(ctx), judge=judge, connect=connect)
    except ConfigError as e:
        raise click.ClickException("invalid config:\n  " + "\n  ".join(e.problems)) from None


@contextmanager
def as_click_errors() -> Iterator[None]:
    """A ModeratorError inside becomes click's one-line "Error: ..." and exit status 1."""
    try:
        yield
    except ModeratorError as e:
        raise click.ClickException(str(e)) from None


def open_store(settings: config.Settings) -> Store:
    from moderator.store import Store

    with as_click_errors():
        return Store(settings.store_path)


def reviewer_name(explicit: str | None) -> str:
    return explicit or os.environ.get("MODERATOR_REVIEWER") or getpass.getuser()


def parse_when(value: str | None, option: str) -> datetime | None:
    """The one date parser of every command: ISO 8601 or a date alone (UTC unless it says),
    ``today`` / ``yesterday`` (their midnight, UTC), ``now``, or an age back from now
    (``90s``, ``30m``, ``2h``, ``7d``)."""
    if value is None:
        return None
    word = value.strip().lower()
    midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if word in ("now", "today", "yesterday"):
        return {"now": datetime.now(timezone.utc), "today": midnight,
                "yesterday": midnight - timedelta(days=1)}[word]
    if word[-1:] in AGE_UNITS and _is_number(word[:-1]):
        return datetime.now(timezone.utc) - _age(word)
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-11-01, 2026-11-01T08:00Z, "
                                 f"yesterday or 7d, got {value!r}", param_hint=option) from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _is_number(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False


def _age(value: str) -> timedelta:
    if value[-1:] in AGE_UNITS:
        return timedelta(seconds=float(value[:-1]) * AGE_UNITS[value[-1]])
    return timedelta(seconds=float(value))


def parse_age(value: str | None, option: str) -> timedelta | None:
    """'90s', '30m', '2h', '7d' (or a number of seconds) -> timedelta."""
    if value is None:
        return None
    try:
        return _age(value.strip().lower())
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
