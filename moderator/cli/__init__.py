"""The ``moderator`` command: the root group and the registration of every command group.

Each command group lives in its own module and imports only ``cli.common`` (and ``cli.logs``),
never this package, so the commands form no import circle. ``--config`` is accepted before and
after the subcommand. A command's module is imported only when that command runs (or help
lists it): ``moderator --version`` or ``status`` must not pay for the rules' data or every
platform's client library.
"""

from __future__ import annotations

import importlib
import sys

import click

from moderator import __version__
from moderator.cli.config_option import CONFIG_HELP, accept_config_anywhere, set_config_file
from moderator.cli.logs import setup_logging
from moderator.terminal import protect_terminal

__all__ = ["main", "setup_logging"]

# command name -> "module:function" under moderator.cli, in the order help lists them.
COMMANDS = {
    "check-config": "check:check_config",
    "scan": "scan:scan",
    "backfill": "backfill:backfill",
    "review": "review:review_group",
    "demo": "demo:demo",
    "run": "service:run",
    "status": "status:status",
    "brake": "brake:brake",
    "stats": "stats:stats",
    "digest": "digest:digest",
    "replay": "replay:replay_command",
    "explain": "explain:explain_command",
    "users": "users:users_group",
    "web": "users:web",
}


class LazyGroup(click.Group):
    """The root group: a command's module is imported when the command is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            module, _, attribute = COMMANDS[name].partition(":")
            command = getattr(importlib.import_module(f"moderator.cli.{module}"), attribute)
            accept_config_anywhere(command)
            self.add_command(command, name)
        return self.commands.get(name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="moderator")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--log-format", default="text", show_default=True, type=click.Choice(["text", "json"]))
@click.pass_context
def main(ctx: click.Context, config_file: str | None, log_level: str, log_format: str) -> None:
    """Moderate the comments under your organization's social media accounts.

    \b
    Try it on the bundled sample data (no credentials needed):
        moderator demo
    """
    # Before logging takes stderr: no comment text reaches a terminal unclean.
    sys.stdout, sys.stderr = protect_terminal(sys.stdout), protect_terminal(sys.stderr)
    setup_logging(log_level, log_format)
    set_config_file(ctx, config_file)
