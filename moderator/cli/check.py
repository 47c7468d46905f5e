"""``moderator check-config``: every config problem with its key path."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

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
    warnings += regex_warnings(path)
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


def regex_warnings(path: Path) -> list[str]:
    """Custom-rule regexes that may backtrack catastrophically, by key (the global rules and
    each account's own). Matching is time-limited; a warning says so before it bites."""
    from rules.custom import backtracking_risk

    data = tomllib.loads(path.read_text(encoding="utf-8"))  # load() has validated it
    tables = [("rules.custom", (data.get("rules") or {}).get("custom"))]
    for i, account in enumerate(data.get("accounts") or []):
        if isinstance(account, dict):
            tables.append((f"accounts[{i}].rules.custom",
                           (account.get("rules") or {}).get("custom")))
    out = []
    for prefix, rules in tables:
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            for key in ("regex", "unless_regex"):
                sources = rule.get(key) if isinstance(rule, dict) else None
                for j, source in enumerate([sources] if isinstance(sources, str) else
                                           sources if isinstance(sources, list) else []):
                    risk = backtracking_risk(source) if isinstance(source, str) else None
                    if risk:
                        out.append(f"{prefix}[{i}].{key}[{j}]: {source!r} may backtrack "
                                   f"catastrophically: {risk}; it is cut off at match time "
                                   "(then treated as no match)")
    return out
