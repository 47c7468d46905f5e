"""The ``moderator`` command. The only module that configures logging."""

from __future__ import annotations

import getpass
import json
import logging
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from connectors.base import Capabilities
from connectors.file import BadRecord, read_records
from moderator import __version__, config, policy, review
from moderator.errors import ConfigError, InputError, ModeratorError
from moderator.pipeline import Pipeline
from moderator.store import Store
from moderator.worker import open_connector, run_account

logger = logging.getLogger(__name__)
SCAN_BATCH = 500


# Structured fields the worker and actions attach to decision and action lines (``extra=``).
LOG_FIELDS = ("platform", "account", "comment_id", "rules", "decision", "action", "status")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
               "level": record.levelname.lower(), "logger": record.name,
               "message": record.getMessage()}
        out.update({key: getattr(record, key) for key in LOG_FIELDS if hasattr(record, key)})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out)


class RedactSecrets(logging.Filter):
    """A last line of defence: no secret value resolved by this process reaches a log line,
    even if a library puts one in a message (an access token in a URL, say)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = config.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = config.redact(record.exc_text)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # APScheduler logs every job run at INFO: noise next to one line per decision and action.
    logging.getLogger("apscheduler").setLevel("DEBUG" if level == "debug" else "WARNING")


def load_settings(ctx: click.Context) -> config.Settings:
    try:
        return config.load(ctx.obj["config"])
    except ConfigError as e:
        raise click.ClickException("invalid config:\n  " + "\n  ".join(e.problems)) from None


def open_store(settings: config.Settings) -> Store:
    try:
        return Store(settings.store_path)
    except ModeratorError as e:
        raise click.ClickException(str(e)) from None


def reviewer_name(explicit: str | None) -> str:
    return explicit or os.environ.get("MODERATOR_REVIEWER") or getpass.getuser()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="moderator")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Config file (default: $MODERATOR_CONFIG or ./moderator.toml).")
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
    ctx.ensure_object(dict)
    ctx.obj["config"] = config_file


@main.command("check-config")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_context
def check_config(ctx: click.Context, file: str | None) -> None:
    """Validate a config file and print every problem with its key path.

    Exits 2 when the file has errors. Secrets are checked for presence only, never shown.

    \b
    Example:
        moderator check-config moderator.toml
    """
    path = config.config_path(file or ctx.obj["config"])
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


@main.command()
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
    settings = load_settings(ctx)
    mapping = {}
    for item in columns:
        field, sep, column = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected FIELD=COLUMN, got {item!r}", param_hint="--column")
        mapping[field] = column
    pipelines: dict[str, tuple[Pipeline, config.PolicySettings]] = {}
    capabilities = Capabilities(hide=True, delete=True)  # the policy's decision, undegraded
    bad = 0
    batch: list[Any] = []
    out = sys.stdout

    def flush() -> None:
        by_account: dict[str, list[Any]] = {}
        for comment in batch:
            by_account.setdefault(comment.account, []).append(comment)
        verdicts = {}
        for account_name, comments in by_account.items():
            pipeline, account_policy = _scan_pipeline(settings, account_name, pipelines)
            result = pipeline.run(comments)
            for comment, findings in zip(comments, result.findings):
                decision = policy.decide(comment, findings, account_policy,
                                         policy.Context(capabilities, settings.brand))
                verdicts[id(comment)] = {
                    "id": comment.id, "decision": decision.action.value,
                    "severity": decision.severity.value if decision.severity else None,
                    "findings": [f.to_json() for f in findings],
                }
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


def _scan_pipeline(settings: config.Settings, account_name: str,
                   cache: dict[str, tuple[Pipeline, config.PolicySettings]]
                   ) -> tuple[Pipeline, config.PolicySettings]:
    if account_name not in cache:
        account = next((a for a in settings.accounts if a.name == account_name), None)
        cache[account_name] = (Pipeline.for_account(settings, account, network=False),
                               account.policy if account else settings.policy)
    return cache[account_name]


def _parse_when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-11-01 or 2026-11-01T08:00Z, "
                                 f"got {value!r}", param_hint=option) from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@main.command()
@click.option("--account", "account_names", multiple=True,
              help="Account to backfill (repeatable; default: every enabled account).")
@click.option("--since", help="Only comments created at or after this date (ISO 8601).")
@click.option("--until", help="Only comments created before this date (ISO 8601).")
@click.pass_context
def backfill(ctx: click.Context, account_names: tuple[str, ...], since: str | None,
             until: str | None) -> None:
    """Read an account's existing comments once, judge them and record everything.

    Decisions are carried out only for accounts in enforce mode. Comments already recorded
    are skipped, so a backfill can be repeated safely.

    \b
    Examples:
        moderator backfill --account acme-youtube
        moderator backfill --account acme-reddit --since 2026-11-01 --until 2026-11-08
    """
    settings = load_settings(ctx)
    start, end = _parse_when(since, "--since"), _parse_when(until, "--until")
    try:
        accounts = [settings.account(n) for n in account_names] or \
            [a for a in settings.accounts if a.enabled]
        secrets = config.Secrets(settings.secrets_file)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    rows, failed = [], False
    with open_store(settings) as store:
        for account in accounts:
            try:
                connector = open_connector(account, secrets)
            except ModeratorError as e:
                click.echo(f"{account.name}: {e}", err=True)
                failed = True
                continue
            started = time.perf_counter()
            with _Progress(account.name) as progress:
                summary = run_account(settings, account, connector, store, kind="backfill",
                                      since=start, until=end, progress=progress.advance)
            elapsed = time.perf_counter() - started
            failed |= summary.error is not None
            rows.append([account.name, account.mode.value, summary.fetched, summary.new,
                         summary.flagged, summary.decisions.get("review", 0),
                         summary.decisions.get("hide", 0), summary.decisions.get("delete", 0),
                         summary.acted, summary.skipped,
                         "error: " + str(summary.error) if summary.error else
                         ("BRAKE" if summary.brake_engaged else "ok"),
                         f"{elapsed:.1f}s"])
    click.echo(tabulate(rows, headers=["account", "mode", "fetched", "new", "flagged",
                                       "review", "hide", "delete", "done", "bad lines",
                                       "status", "time"]))
    if failed:
        ctx.exit(1)


class _Progress:
    """A comment counter on stderr when it is a terminal (the total is rarely known)."""

    def __init__(self, label: str):
        self.label, self.count = label, 0
        self.live = sys.stderr.isatty()

    def __enter__(self) -> "_Progress":
        return self

    def advance(self, n: int) -> None:
        self.count += n
        if self.live:
            click.echo(f"\r{self.label}: {self.count} comments", nl=False, err=True)

    def __exit__(self, *exc: Any) -> None:
        if self.live:
            click.echo("", err=True)


@main.group("review")
def review_group() -> None:
    """The human review queue: what Moderator was not sure enough to act on alone.

    \b
    Example:
        moderator review list
    """


@review_group.command("list")
@click.option("--account", help="Only this account.")
@click.option("--rule", help="Only items flagged by this rule (e.g. links.lookalike).")
@click.option("--older-than", "older_than", metavar="AGE",
              help="Only items queued longer ago than AGE (e.g. 30m, 2h, 7d).")
@click.option("--newer-than", "newer_than", metavar="AGE",
              help="Only items queued within the last AGE.")
@click.option("--status", default="pending", show_default=True,
              type=click.Choice(["pending", "approved", "rejected", "undone", "all"]))
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def review_list(ctx: click.Context, account: str | None, rule: str | None,
                older_than: str | None, newer_than: str | None, status: str,
                limit: int) -> None:
    """List queued items, oldest first.

    \b
    Examples:
        moderator review list --account acme-youtube --rule links.lookalike
        moderator review list --older-than 1d
    """
    from moderator.cli_daemon import parse_age
    from moderator.render import defang_text, one_line
    from moderator.store import now

    older, newer = parse_age(older_than, "--older-than"), parse_age(newer_than, "--newer-than")
    with open_store(load_settings(ctx)) as store:
        items = store.queue(status=None if status == "all" else status, account=account,
                            rule=rule, limit=limit,
                            older_than=now() - older if older else None,
                            newer_than=now() - newer if newer else None)
    rows = [[i["id"], i["account"], i["created_at"][:16], i["status"], i["proposed_action"],
             i["severity"], i["rules"], one_line(i["author_handle"] or i["author_name"] or "", 20),
             one_line(defang_text(i["text"]), 50)] for i in items]
    click.echo(tabulate(rows, headers=["id", "account", "queued", "status", "proposes",
                                       "severity", "rules", "author", "text"]))


@review_group.command("show")
@click.argument("item_id", type=int)
@click.pass_context
def review_show(ctx: click.Context, item_id: int) -> None:
    """Show one item: the comment, its author, every finding with evidence, the audit trail.

    Links are defanged so that nothing here is clickable.

    \b
    Example:
        moderator review show 3
    """
    from moderator.render import defang_text, defang_value

    with open_store(load_settings(ctx)) as store:
        try:
            item = review.get_item(store, item_id)
        except review.ReviewError as e:
            raise click.ClickException(str(e)) from None
        findings = store.findings_for(item["comment_uid"])
        trail = store.actions_for(item["comment_uid"])
    click.echo(f"Item {item['id']} [{item['status']}] {item['account']} "
               f"({item['platform']}) comment {item['comment_id']}")
    click.echo(f"Author:   {item['author_handle'] or '-'} / {item['author_name'] or '-'}")
    click.echo(f"Proposes: {item['proposed_action']} ({item['severity']}): {item['reason']}")
    if item["status"] == "pending" and item.get("first_reviewer"):
        click.echo(f"Approved by {item['first_reviewer']}; waiting for a second reviewer")
    elif item["status"] != "pending":
        note = f": {item['note']}" if item["note"] else ""
        click.echo(f"Verdict:  {item['status']} by {item['reviewer']} at "
                   f"{(item['resolved_at'] or '')[:19]}{note}")
    if item["permalink"]:
        click.echo(f"Link:     {defang_text(item['permalink'])}")
    click.echo("Text:\n  " + defang_text(item["text"]).replace("\n", "\n  "))
    click.echo("Findings:")
    for f in findings:
        click.echo(f"  - {f['rule']} [{f['severity']}] {f['reason']}")
        for key, value in f["evidence"].items():
            click.echo(f"      {key}: {defang_value(value)}")
    click.echo("Audit trail:")
    for a in trail:
        click.echo(f"  {a['at'][:19]} {a['actor']}: {a['action']} {a['status']}"
                   f"{' (dry-run)' if a['dry_run'] else ''} {a['detail']}")


@review_group.command("approve")
@click.argument("item_id", type=int)
@click.option("--as", "as_name", help="Reviewer name (default: $MODERATOR_REVIEWER or login).")
@click.pass_context
def review_approve(ctx: click.Context, item_id: int, as_name: str | None) -> None:
    """Approve an item: carry out the proposed action on the platform.

    \b
    Example:
        moderator review approve 3 --as alice
    """
    settings = load_settings(ctx)
    secrets = config.Secrets(settings.secrets_file)
    with open_store(settings) as store:
        try:
            verdict = review.approve(store, item_id, reviewer_name(as_name),
                                     lambda name: open_connector(settings.account(name), secrets),
                                     four_eyes=settings.review.four_eyes)
        except ModeratorError as e:
            raise click.ClickException(str(e)) from None
    if verdict.status == "awaiting-second":
        click.echo(f"item {item_id}: first approval recorded; four-eyes mode: a second "
                   "reviewer must approve it")
        return
    done = verdict.result.status.value if verdict.result else "nothing to carry out"
    click.echo(f"item {item_id}: approved ({done})")


@review_group.command("reject")
@click.argument("item_id", type=int)
@click.option("--as", "as_name", help="Reviewer name (default: $MODERATOR_REVIEWER or login).")
@click.option("--note", default="", help="Why the comment stays (feeds per-rule precision).")
@click.pass_context
def review_reject(ctx: click.Context, item_id: int, as_name: str | None, note: str) -> None:
    """Reject an item: keep the comment; Moderator will not act on it again.

    \b
    Example:
        moderator review reject 3 --note "a customer quoting the scam to warn others"
    """
    with open_store(load_settings(ctx)) as store:
        try:
            review.reject(store, item_id, reviewer_name(as_name), note)
        except ModeratorError as e:
            raise click.ClickException(str(e)) from None
    click.echo(f"item {item_id}: rejected; the comment stays")


@review_group.command("undo")
@click.argument("target")
@click.option("--account", help="TARGET is this account's comment id (not a review item).")
@click.option("--as", "as_name", help="Reviewer name (default: $MODERATOR_REVIEWER or login).")
@click.option("--note", default="", help="Why (feeds per-rule precision).")
@click.pass_context
def review_undo(ctx: click.Context, target: str, account: str | None, as_name: str | None,
                note: str) -> None:
    """Reverse a hide (or a removal, where the platform allows it) on a comment.

    TARGET is a review item id, a comment uid (platform:account:id), or a comment id with
    --account, so actions the daemon took on its own can be undone too. The undo counts as
    a verdict that the rules were wrong about this comment.

    \b
    Examples:
        moderator review undo 3 --as alice
        moderator review undo --account acme-facebook 1234567890_987 --note "customer"
    """
    settings = load_settings(ctx)
    secrets = config.Secrets(settings.secrets_file)
    with open_store(settings) as store:
        try:
            results = review.undo(store, target, reviewer_name(as_name),
                                  lambda name: open_connector(settings.account(name), secrets),
                                  account=account, note=note)
        except ModeratorError as e:
            raise click.ClickException(str(e)) from None
    for result in results:
        click.echo(f"{result.action.value}: {result.status.value}"
                   f"{' (' + result.detail + ')' if result.detail else ''}")
    if any(r.status.value == "failed" for r in results):
        ctx.exit(1)


@main.command()
@click.argument("directory", default="moderator-demo",
                type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def demo(ctx: click.Context, directory: Path) -> None:
    """Run the whole flow on bundled sample comments, no credentials needed.

    Copies a sample config and real sample comments into DIRECTORY, backfills them through
    the rules, the policy and the store, then shows the findings, the decisions, the review
    queue and the audit log. Run it again to start over.

    \b
    Example:
        moderator demo /tmp/moderator-demo
    """
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
    ctx.obj["config"] = str(config_file)
    ctx.invoke(backfill)
    settings = load_settings(ctx)
    with open_store(settings) as store:
        _demo_report(store)
    click.echo(f"\nNext: moderator --config {config_file} review list | review show ID | "
               f"review approve ID")


def _demo_report(store: Store) -> None:
    from moderator.render import defang_text, one_line

    click.secho("\nFindings by rule", bold=True)
    rows = store.db.execute("SELECT rule, severity, count(*) FROM findings GROUP BY rule, "
                            "severity ORDER BY count(*) DESC").fetchall()
    click.echo(tabulate(rows, headers=["rule", "severity", "comments"]))
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
    rows = [[a["at"][11:19], a["account"], a["comment_uid"].split(":")[-1][:14], a["action"],
             a["status"], "yes" if a["dry_run"] else "no", a["detail"]]
            for a in store.db.query("SELECT * FROM actions ORDER BY id DESC LIMIT 8")]
    click.echo(tabulate(rows, headers=["time", "account", "comment", "action", "status",
                                       "dry-run", "detail"]))


# Commands that live in their own modules register here, one line each.
from moderator import cli_daemon  # noqa: E402  (imports this module's helpers)
from moderator.cli_digest import digest as _digest_command  # noqa: E402

main.add_command(cli_daemon.run)
main.add_command(cli_daemon.status)
main.add_command(cli_daemon.brake)
main.add_command(cli_daemon.stats)
main.add_command(_digest_command)


if __name__ == "__main__":  # pragma: no cover
    main()
