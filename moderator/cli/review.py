"""``moderator review``: the human review queue (list, show, approve, reject, undo)."""

from __future__ import annotations

import click
from tabulate import tabulate

from moderator import config
from moderator.cli.common import (as_click_errors, load_settings, open_store, parse_age,
                                  reviewer_name)
from moderator.models import ActionStatus, Mode, ReviewStatus
from moderator.render import defang_text, defang_value, one_line
from moderator.store import now
from moderator.terminal import terminal_text

# The commands that act import moderator.review (the effects, the judge's pipeline) and the
# connectors themselves: `review list` runs without them (its start-up target is 0.3 s).


def say(text: str) -> None:
    """Echo a line built from comment data: escape sequences and bidi controls removed."""
    click.echo(terminal_text(text))


@click.group("review")
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
    older, newer = parse_age(older_than, "--older-than"), parse_age(newer_than, "--newer-than")
    with open_store(load_settings(ctx, judge=False, connect=False)) as store:
        items = store.queue(status=None if status == "all" else status, account=account,
                            rule=rule, limit=limit,
                            older_than=now() - older if older else None,
                            newer_than=now() - newer if newer else None)
    rows = [[i["id"], i["account"], i["created_at"][:16], i["status"], i["proposed_action"],
             i["severity"], i["rules"], one_line(i["author_handle"] or i["author_name"] or "", 20),
             one_line(defang_text(i["text"]), 50)] for i in items]
    say(tabulate(rows, headers=["id", "account", "queued", "status", "proposes",
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
    from moderator import review

    with open_store(load_settings(ctx, judge=False, connect=False)) as store:
        try:
            item = review.get_item(store, item_id)
        except review.ReviewError as e:
            raise click.ClickException(str(e)) from None
        findings = store.findings_for(item["comment_uid"])
        trail = store.actions_for(item["comment_uid"])
    say(f"Item {item['id']} [{item['status']}] {item['account']} "
               f"({item['platform']}) comment {item['comment_id']}")
    say(f"Author:   {item['author_handle'] or '-'} / {item['author_name'] or '-'}")
    say(f"Proposes: {item['proposed_action']} ({item['severity']}): {item['reason']}")
    if item["status"] == "pending" and item.get("first_reviewer"):
        say(f"Approved by {item['first_reviewer']}; waiting for a second reviewer")
    elif item["status"] != "pending":
        note = f": {item['note']}" if item["note"] else ""
        say(f"Verdict:  {item['status']} by {item['reviewer']} at "
                   f"{(item['resolved_at'] or '')[:19]}{note}")
    if item["permalink"]:
        say(f"Link:     {defang_text(item['permalink'])}")
    say("Text:\n  " + defang_text(item["text"]).replace("\n", "\n  "))
    say("Findings:")
    for f in findings:
        say(f"  - {f['rule']} [{f['severity']}] {f['reason']}")
        for key, value in f["evidence"].items():
            say(f"      {key}: {defang_value(value)}")
    say("Audit trail:")
    for a in trail:
        say(f"  {a['at'][:19]} {a['actor']}: {a['action']} {a['status']}"
                   f"{' (dry-run)' if a['dry_run'] else ''} {a['detail']}")


@review_group.command("approve")
@click.argument("item_id", type=int)
@click.option("--as", "as_name", help="Reviewer name (default: $MODERATOR_REVIEWER or login).")
@click.option("--act-in-dry-run", is_flag=True,
              help="Carry the action out even though the account is in dry-run mode (the "
                   "override is written to the audit log).")
@click.pass_context
def review_approve(ctx: click.Context, item_id: int, as_name: str | None,
                   act_in_dry_run: bool) -> None:
    """Approve an item: carry out the proposed action on the platform.

    On an account in dry-run mode the approval is recorded as your verdict and nothing is
    carried out, unless you pass --act-in-dry-run.

    \b
    Example:
        moderator review approve 3 --as alice
    """
    from moderator import review
    from moderator.worker import open_connector

    settings = load_settings(ctx)
    secrets = config.Secrets(settings.secrets_file)
    with open_store(settings) as store:
        with as_click_errors():
            item = review.get_item(store, item_id)
            dry_run = _in_dry_run(settings, item["account"]) and not act_in_dry_run
            verdict = review.approve(store, item_id, reviewer_name(as_name),
                                     lambda name: open_connector(settings.account(name), secrets),
                                     dry_run=dry_run, four_eyes=settings.review.four_eyes)
    if act_in_dry_run and _in_dry_run(settings, item["account"]):
        click.echo(f"warning: account {item['account']} is in dry-run mode; carried out "
                   "because --act-in-dry-run was given", err=True)
    if verdict.result and verdict.result.status is ActionStatus.DRY_RUN:
        click.echo(f"item {item_id}: approved; {verdict.result.action.value} NOT carried out: "
                   f"account {item['account']} is in dry-run mode (--act-in-dry-run to act)")
        return
    if verdict.status is ReviewStatus.AWAITING_SECOND:
        click.echo(f"item {item_id}: first approval recorded; four-eyes mode: a second "
                   "reviewer must approve it")
        return
    done = verdict.result.status.value if verdict.result else "nothing to carry out"
    click.echo(f"item {item_id}: approved ({done})")


def _in_dry_run(settings: config.Settings, account_name: str) -> bool:
    """An account no longer configured is treated as dry-run: nothing says it may act."""
    account = next((a for a in settings.accounts if a.name == account_name), None)
    return account is None or account.mode is Mode.DRY_RUN


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
    from moderator import review

    with open_store(load_settings(ctx, judge=False, connect=False)) as store:
        with as_click_errors():
            review.reject(store, item_id, reviewer_name(as_name), note)
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
    from moderator import review
    from moderator.worker import open_connector

    settings = load_settings(ctx)
    secrets = config.Secrets(settings.secrets_file)
    with open_store(settings) as store:
        with as_click_errors():
            results = review.undo(store, target, reviewer_name(as_name),
                                  lambda name: open_connector(settings.account(name), secrets),
                                  account=account, note=note)
    for result in results:
        click.echo(f"{result.action.value}: {result.status.value}"
                   f"{' (' + result.detail + ')' if result.detail else ''}")
    if any(r.status is ActionStatus.FAILED for r in results):
        ctx.exit(1)
