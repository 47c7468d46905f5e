"""``moderator check-config``: every config problem with its key path."""

from __future__ import annotations

import stat

import click

from moderator import config
from moderator.cli.config_option import config_file
from moderator.errors import ConfigError


@click.command("check-config")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_context
def check_config(ctx: click.Context, file: str | None) -> None:
    """Validate a config file and print every problem with its key path.

    Exits 2 when the file has errors, a missing secret of an enabled account included.
    Secrets are checked for presence only, never shown.

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
    errors, warnings = secret_problems(settings)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if errors:
        ctx.exit(2)
    click.echo(f"{path}: OK ({len(settings.accounts)} accounts)")


def secret_problems(settings: config.Settings) -> tuple[list[str], list[str]]:
    """(errors, warnings) about secrets, named by key, never showing a value. A secret an
    enabled account needs and cannot find is an error: ``run`` would fail on it."""
    errors: list[str] = []
    warnings: list[str] = []
    file = settings.secrets_file
    if file is not None and file.exists() and file.stat().st_mode & stat.S_IROTH:
        warnings.append(f"secrets.file: {file} is readable by every user; "
                        f"chmod 600 {file}")
    try:
        secrets = config.Secrets(file)
    except ConfigError as e:
        return list(e.problems), warnings
    for account in settings.accounts:
        for key, env_name in account.secrets.items():
            if not secrets.get(env_name):
                (errors if account.enabled else warnings).append(
                    f"accounts.{account.name}.secrets.{key}: {env_name} is not set "
                    "(nor in the secrets file)")
    password_env = settings.digest.smtp_password_env
    if password_env and not secrets.get(password_env):
        warnings.append(f"digest.smtp_password_env: {password_env} is not set")
    return errors, warnings
