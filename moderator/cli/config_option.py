"""``--config`` before or after the subcommand. Kept apart from cli/common.py (which opens the
store) so that the root group imports nothing but click."""

from __future__ import annotations

import click

CONFIG_HELP = "Config file (default: $MODERATOR_CONFIG or ./moderator.toml)."


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
