"""``moderator stats``: per rule, how often it fired and what reviewers said."""

from __future__ import annotations

import json
import sys

import click
from tabulate import tabulate

from moderator.cli.common import load_settings, open_store, parse_when
from moderator.review import rule_stats


@click.command("stats")
@click.option("--since", "since", default="30d", show_default=True,
              help="Only findings since this date or age (e.g. 7d, 12h, yesterday, 2026-11-01).")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.pass_context
def stats(ctx: click.Context, since: str, as_json: bool) -> None:
    """Per rule: how often it fired, what was done, and what reviewers said about it.

    Precision is confirmed / (confirmed + wrong): a reviewer's approval confirms a finding;
    a rejection or an undo says it was wrong. Items nobody judged do not count.

    \b
    Example:
        moderator stats --since 7d
    """
    with open_store(load_settings(ctx, judge=False, connect=False)) as store:
        rows = rule_stats(store, parse_when(since, "--since"))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(tabulate([[r["rule"], r["flagged"], r["acted"], r["queued"], r["confirmed"],
                          r["wrong"], "-" if r["precision"] is None else f"{r['precision']:.0%}"]
                         for r in rows],
                        headers=["rule", "flagged", "acted on", "queued", "confirmed", "wrong",
                                 "precision"]))
    if not rows:
        click.echo("no findings in this period", err=sys.stderr.isatty())
