"""``moderator demo``: the whole flow on bundled sample comments."""

from __future__ import annotations

import logging
import shutil
import sys
from importlib import resources
from pathlib import Path

import click
from tabulate import tabulate

from moderator.cli.backfill import backfill
from moderator.cli.common import load_settings, open_store
from moderator.cli.config_option import set_config_file
from moderator.render import defang_text, one_line
from moderator.store import Store


@click.command()
@click.argument("directory", default="moderator-demo",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Start over in a folder that holds an earlier demo (its database and review "
                   "verdicts are deleted) without asking.")
@click.pass_context
def demo(ctx: click.Context, directory: Path, force: bool) -> None:
    """Run the whole flow on bundled sample comments, no credentials needed.

    Copies a sample config and real sample comments into DIRECTORY, backfills them through
    the rules, the policy and the store, then shows the findings, the decisions, the review
    queue and the audit log. Run again on the same folder, it asks before starting over (or
    refuses when nobody can answer, unless --force is given).

    \b
    Example:
        moderator demo /tmp/moderator-demo
    """
    _may_start_over(directory, force)
    directory.mkdir(parents=True, exist_ok=True)
    samples = resources.files("moderator").joinpath("samples")
    for name in ("demo.toml", "youtube_sample.csv", "security_cases.jsonl", "SOURCES.md"):
        with resources.as_file(samples.joinpath(name)) as src:
            shutil.copyfile(src, directory / name)
    for stale in directory.glob("demo.db*"):
        stale.unlink()
    (directory / "actions.jsonl").unlink(missing_ok=True)
    config_file = directory / "demo.toml"
    click.secho(f"Sample config and comments copied to {directory}/\n", bold=True)
    set_config_file(ctx, str(config_file))
    # The malformed sample line is counted in the table ("bad lines"); its log line would
    # land in the middle of the report.
    quiet = logging.getLogger("connectors")
    level, quiet.level = quiet.level, logging.ERROR
    try:
        ctx.invoke(backfill)
    finally:
        quiet.setLevel(level)
    click.echo("(security_cases.jsonl holds one malformed line on purpose: reported in "
               "'bad lines' and skipped)")
    settings = load_settings(ctx)
    with open_store(settings) as store:
        _demo_report(store)
    click.echo(f"\nNext: moderator --config {config_file} review list | review show ID | "
               f"review approve ID")


def _may_start_over(directory: Path, force: bool) -> None:
    """An earlier demo's database holds its review verdicts: never delete it silently."""
    if force or not any(directory.glob("demo.db*")):
        return
    question = (f"{directory}/ holds an earlier demo; its database and review verdicts will "
                "be deleted. Start over?")
    if sys.stdin.isatty():
        click.confirm(question, abort=True)
        return
    raise click.ClickException(f"{directory}/ holds an earlier demo (its database and review "
                               "verdicts); pass --force to start over, or name another folder")


def _demo_report(store: Store) -> None:
    click.secho("\nFindings by rule", bold=True)
    rows = store.db.execute("SELECT rule, severity, count(*), count(DISTINCT comment_uid) "
                            "FROM findings GROUP BY rule, severity "
                            "ORDER BY count(DISTINCT comment_uid) DESC").fetchall()
    click.echo(tabulate(rows, headers=["rule", "severity", "findings", "comments"]))
    click.secho("\nDecisions", bold=True)
    click.echo(tabulate(sorted(store.decision_counts().items()), headers=["decision", "comments"]))
    click.secho("\nEvery decision on the security cases (acme-community, enforce mode)", bold=True)
    rows = [[d["comment_id"], one_line(d["author_handle"] or d["author_name"] or "", 18),
             d["action"], d["severity"] or "", one_line(d["rules"] or "", 44),
             one_line(defang_text(d["text"]), 44)]
            for d in store.db.query(
                "SELECT c.comment_id, c.author_handle, c.author_name, c.text, d.action, "
                "d.severity, (SELECT group_concat(DISTINCT f.rule) FROM findings f WHERE "
                "f.comment_uid = c.uid) AS rules FROM decisions d JOIN comments c ON "
                "c.uid = d.comment_uid WHERE d.account = 'acme-community' ORDER BY c.comment_id")]
    click.echo(tabulate(rows, headers=["comment", "author", "decision", "severity", "rules",
                                       "text"]))
    click.secho("\nReview queue (oldest first, first 8)", bold=True)
    rows = [[i["id"], i["proposed_action"], i["rules"], one_line(i["author_name"] or
             i["author_handle"] or "", 18), one_line(defang_text(i["text"]), 60)]
            for i in store.queue(limit=8)]
    click.echo(tabulate(rows, headers=["id", "proposes", "rules", "author", "text"]))
    click.secho("\nAudit log (latest 8 actions)", bold=True)
    rows = [[a["at"][:19].replace("T", " "), a["account"], a["comment_uid"].split(":")[-1][:14],
             a["action"], a["status"], "yes" if a["dry_run"] else "no", a["actor"],
             a["detail"] or (f"rules {a['rule_version']}" if a["rule_version"] else "")]
            for a in store.db.query("SELECT * FROM actions ORDER BY id DESC LIMIT 8")]
    click.echo(tabulate(rows, headers=["time (UTC)", "account", "comment", "action", "status",
                                       "dry-run", "by", "detail"]))
