"""``moderator scan``: judge a comment file, print one JSON verdict per line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from connectors.file import BadRecord, read_records
from moderator import config
from moderator.cli.common import load_settings
from moderator.errors import InputError
from moderator.judge import Judge, Judged

SCAN_BATCH = 500


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default="auto", type=click.Choice(["auto", "jsonl", "csv"]),
              help="Input format (auto: by file extension).")
@click.option("--html", is_flag=True, help="Text holds HTML (entities, <br />, <a href>).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="CSV column for a field, e.g. --column text=CONTENT (repeatable).")
@click.pass_context
def scan(ctx: click.Context, file: Path, fmt: str, html: bool, columns: tuple[str, ...]) -> None:
    """Judge the comments in FILE and print one JSON verdict per line.

    Touches no database and no platform. A comment whose account is not configured is judged
    with the default policy. Malformed lines are reported on stderr and skipped.

    \b
    Examples:
        moderator scan comments.jsonl
        moderator scan --html --column id=COMMENT_ID --column text=CONTENT \\
            --column author_name=AUTHOR Youtube01-Psy.csv
    """
    settings = load_settings(ctx, connect=False)  # scan touches no platform
    mapping = {}
    for item in columns:
        field, sep, column = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected FIELD=COLUMN, got {item!r}", param_hint="--column")
        mapping[field] = column
    judges: dict[str, Judge] = {}
    bad = 0
    batch: list[Any] = []
    out = sys.stdout

    def flush() -> None:
        by_account: dict[str, list[Any]] = {}
        for comment in batch:
            by_account.setdefault(comment.account, []).append(comment)
        verdicts = {}
        for account_name, comments in by_account.items():
            for item in _judge(settings, account_name, judges).judge(comments).items:
                verdicts[id(item.comment)] = verdict(item)
        out.write("".join(json.dumps(verdicts[id(c)], ensure_ascii=False, default=str) + "\n"
                          for c in batch))
        batch.clear()

    try:
        for item in read_records(file, platform="file", account="", fmt=fmt,
                                 columns=mapping or None, html_text=html):
            if isinstance(item, BadRecord):
                bad += 1
                click.echo(f"skipped {item}", err=True)
                continue
            batch.append(item)
            if len(batch) >= SCAN_BATCH:
                flush()
        flush()
    except InputError as e:
        raise click.ClickException(str(e)) from None
    if bad:
        click.echo(f"{bad} malformed record(s) skipped", err=True)


def verdict(item: Judged) -> dict[str, Any]:
    """The verdict line of the comment file contract (README): keep its shape stable."""
    decision = item.decision
    return {"id": item.comment.id, "decision": decision.action.value,
            "severity": decision.severity.value if decision.severity else None,
            "findings": [f.to_json() for f in item.findings]}


def _judge(settings: config.Settings, account_name: str, cache: dict[str, Judge]) -> Judge:
    """The account's judge (the default policy for an unknown account), built once, kept off
    the network (scan has no side effects) and deciding before any platform's limits."""
    if account_name not in cache:
        account = next((a for a in settings.accounts if a.name == account_name), None)
        cache[account_name] = Judge.for_account(settings, account, network=False)
    return cache[account_name]
