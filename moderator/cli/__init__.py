"""The ``moderator`` command: the root group and the registration of every command group.

Each command group lives in its own module and imports only ``cli.common`` (and ``cli.logs``),
never this package, so the commands form no import circle. ``--config`` is accepted before and
after the subcommand.
"""

from __future__ import annotations

import click

from moderator import __version__
from moderator.cli import (backfill, brake, check, demo, digest, explain, replay, review, scan,
                           service, stats)
from moderator.cli.common import CONFIG_HELP, accept_config_anywhere, set_config_file
from moderator.cli.logs import setup_logging

__all__ = ["main", "setup_logging"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    setup_logging(log_level, log_format)
    set_config_file(ctx, config_file)


# One line per command (group); each module holds one group of commands.
for _command in (check.check_config, scan.scan, backfill.backfill, review.review_group,
                 demo.demo, service.run, service.status, brake.brake, stats.stats,
                 digest.digest, replay.replay_command,
                 explain.explain_command):
    main.add_command(_command)
for _command in main.commands.values():
    accept_config_anywhere(_command)
