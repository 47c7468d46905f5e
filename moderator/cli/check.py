"""``moderator check-config``: every config problem with its key path."""

from __future__ import annotations

import click

from moderator import config
from moderator.cli.config_option import config_file
from moderator.errors import ConfigError


@click.command("check-config")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_context
def check_config(ctx: click.Context, file: str | None) -> None:
    """Validate a config file and print every problem with its key path.

    Exits 2 when the file has errors. Secrets are checked for presence only, never shown.

    \b
    Example:
        moderator check-config moderator.toml
    """
    path = config.config_path(file or config_file(ctx))
    try:
        settings = config.load(path)
    except ConfigError as e:
        for problem in e.problems:
            click.echo(f"error: {problem}", err=True)
        ctx.exit(2)
    warnings = []
    try:
        secrets = config.Secrets(settings.secrets_file)
        for account in settings.accounts:
            for key, env_name in account.secrets.items():
                if not secrets.get(env_name):
                    warnings.append(f"accounts.{account.name}.secrets.{key}: "
                                    f"{env_name} is not set")
        password_env = settings.digest.smtp_password_env
        if password_env and not secrets.get(password_env):
            warnings.append(f"digest.smtp_password_env: {password_env} is not set")
    except ConfigError as e:
        warnings.extend(e.problems)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{path}: OK ({len(settings.accounts)} accounts)")
