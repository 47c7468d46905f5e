"""``moderator scan``: judge a comment file, print one JSON verdict per line."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Any, Iterator

import click

from connectors.file_records import (BadRecord, jsonl_line_batches, read_jsonl_lines, read_records,
                                     record_format)
from moderator import config
from moderator.cli.common import load_settings
from moderator.errors import ConfigError, InputError
from moderator.heap import freeze_start_up
from moderator.judge import Judge, Judged
from moderator.parallel import PAUSE, default_jobs, ordered_map

SCAN_BATCH = 500
# One encoder for every verdict line (json.dumps with options builds one per call); the
# verdicts are trees of fresh dicts and lists, so the check for circular references is moot.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False).encode


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True,
                                        path_type=Path))
@click.option("--format", "fmt", default="auto", type=click.Choice(["auto", "jsonl", "csv"]),
              help="Input format (auto: by file extension).")
@click.option("--html", is_flag=True, help="Text holds HTML (entities, <br />, <a href>).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="CSV column for a field, e.g. --column text=CONTENT (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes that judge (default: the CPUs available). The output is "
                   "the same, in the same order, whatever the number.")
@click.pass_context
def scan(ctx: click.Context, file: Path, fmt: str, html: bool, columns: tuple[str, ...],
         jobs: int | None) -> None:
    """Judge the comments in FILE (``-``: standard input) and print one JSON verdict per line.

    Touches no database and no platform. A comment whose account is not configured is judged
    with the default policy. Malformed lines are reported on stderr and skipped.

    \b
    Examples:
        moderator scan comments.jsonl
        moderator scan --jobs 4 comments.jsonl > verdicts.jsonl
        export-comments | moderator scan - | jq 'select(.decision != "none")'
        moderator scan --html --column id=COMMENT_ID --column text=CONTENT \\
            --column author_name=AUTHOR Youtube01-Psy.csv
    """
    # No platform; the rules' options are checked where they are built (once: most of start-up).
    settings = load_settings(ctx, judge=False, connect=False)
    mapping = _column_mapping(columns)
    bad = 0

    def csv_batches() -> Iterator[list[Any]]:  # CSV rows may span lines: parsed here
        nonlocal bad
        batch: list[Any] = []
        for item in read_records(file, platform="file", account="", fmt=fmt,
                                 columns=mapping or None, html_text=html):
            if isinstance(item, BadRecord):
                bad += 1
                click.echo(f"skipped {item}", err=True)
                continue
            batch.append(item)
            if len(batch) >= SCAN_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    try:
        if record_format(file, fmt) == "jsonl":  # raw lines to the workers, parsed there
            where = Path("<stdin>") if str(file) == "-" else file
            work = partial(_judge_lines, settings, where, html)
            batches: Iterator[Any] = jsonl_line_batches(file, SCAN_BATCH, pause=PAUSE)
        else:
            work, batches = partial(_judge_comments, settings), csv_batches()
        for lines, skipped in ordered_map(partial(_default_judge, settings), work, batches,
                                          jobs or default_jobs()):
            for message in skipped:
                click.echo(f"skipped {message}", err=True)
            bad += len(skipped)
            sys.stdout.write(lines)
            sys.stdout.flush()  # a batch's verdicts as soon as they are known (a pipe may pause)
    except InputError as e:
        raise click.ClickException(str(e)) from None
    except ConfigError as e:
        raise click.ClickException("invalid config:\n  " + "\n  ".join(e.problems)) from None
    if bad:
        click.echo(f"{bad} malformed record(s) skipped", err=True)


def _column_mapping(columns: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for item in columns:
        field, sep, column = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected FIELD=COLUMN, got {item!r}", param_hint="--column")
        mapping[field] = column
    return mapping


def _default_judge(settings: config.Settings) -> dict[str, Judge]:
    """The judges' cache, with the judge of comments that name no account already built."""
    judges: dict[str, Judge] = {}
    _judge(settings, "", judges)
    freeze_start_up()
    return judges


def _judge_lines(settings: config.Settings, where: Path, html: bool, judges: dict[str, Judge],
                 batch: tuple[int, list[bytes]]) -> tuple[str, list[str]]:
    """A batch of raw JSON Lines (its first line's number, the lines) -> its verdict lines and
    what was skipped, in order. Runs in a worker process under --jobs."""
    comments, skipped = [], []
    for item in read_jsonl_lines(*batch, where, platform="file", account="", html_text=html):
        if isinstance(item, BadRecord):
            skipped.append(str(item))
        else:
            comments.append(item)
    return _verdict_lines(settings, judges, comments), skipped


def _judge_comments(settings: config.Settings, judges: dict[str, Judge],
                    batch: list[Any]) -> tuple[str, list[str]]:
    return _verdict_lines(settings, judges, batch), []


def _verdict_lines(settings: config.Settings, judges: dict[str, Judge], batch: list[Any]) -> str:
    """One batch judged (per account, each with its judge) -> its verdict lines, in input order.
    Runs in a worker process under --jobs; ``judges`` is that worker's cache."""
    by_account: dict[str, list[Any]] = {}
    for comment in batch:
        by_account.setdefault(comment.account, []).append(comment)
    verdicts = {}
    for account_name, comments in by_account.items():
        for item in _judge(settings, account_name, judges).judge(comments).items:
            verdicts[id(item.comment)] = verdict(item)
    return "".join([_ENCODE(verdicts[id(c)]) + "\n" for c in batch])


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
