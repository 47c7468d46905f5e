"""``moderator explain``: why one comment was (or would be) judged so, rule by rule."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from connectors.file_records import comment_from_record
from moderator import config, readonly
from moderator.cli.common import load_settings
from moderator.errors import ModeratorError
from moderator.explain import Explanation, explain
from moderator.models import Author, Comment
from moderator.render import defang_text
from moderator.terminal import terminal_text


@click.command("explain")
@click.argument("text", required=False)
@click.option("--author", "handle", help="The author's handle (with TEXT).")
@click.option("--name", help="The author's display name (with TEXT).")
@click.option("--platform", default="file", show_default=True, help="The platform (with TEXT).")
@click.option("--account", default="", help="Judge as this configured account (with TEXT).")
@click.option("--id", "ref", metavar="ID",
              help="A stored comment: its uid, the id `review` shows, or the platform's id.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def explain_command(ctx: click.Context, text: str | None, handle: str | None, name: str | None,
                    platform: str, account: str, ref: str | None, as_json: bool) -> None:
    """Say why a comment is judged as it is: what every rule examined, how close the rules
    that did not fire came, and the policy's path to the decision.

    The comment is TEXT, a JSON line on standard input (TEXT omitted or "-"; the `scan`
    contract), or a stored comment (--id). `--json` prints one object whose `findings` and
    `decision` are what `scan` prints for the same comment. Writes nothing.

    \b
    Examples:
        moderator explain "Reset your password at acmebank-login.com" --author acme_help
        echo '{"id": "c1", "text": "DM us on WhatsApp"}' | moderator explain
        moderator explain --id 17
    """
    settings = load_settings(ctx)
    db = None
    try:
        db = _open_db(settings, required=ref is not None)
        comment = _stored(db, ref) if ref else _given(text, handle, name, platform, account)
        explanation = explain(settings, comment, db=db)
    except ModeratorError as e:
        raise click.ClickException(str(e)) from None
    finally:
        if db is not None:
            db.close()
    if as_json:
        click.echo(json.dumps(explanation.to_json(), ensure_ascii=False, default=str))
    else:
        click.echo(render(explanation))


def _open_db(settings: config.Settings, *, required: bool) -> Any:
    """The database read-only, if there is one (a stored comment needs it)."""
    if not required and not settings.store_path.is_file():
        return None
    return readonly.open_readonly(settings.store_path)


def _stored(db: Any, ref: str) -> Comment:
    comment = readonly.find_comment(db, ref)
    if comment is None:
        raise click.ClickException(f"--id {ref}: no stored comment with this uid, review id or "
                                   f"(unique) platform id")
    return comment


def _given(text: str | None, handle: str | None, name: str | None, platform: str,
           account: str) -> Comment:
    if text is not None and text != "-":
        return Comment(platform=platform, account=account, id="explain", text=text,
                       author=Author(handle=handle, name=name))
    line = sys.stdin.readline()
    try:
        record = json.loads(line)
        return comment_from_record(record, platform=platform, account=account)
    except (ValueError, RecursionError) as e:
        raise click.ClickException(f"standard input: not a comment JSON line ({e})") from None


def render(x: Explanation) -> str:
    comment, decision = x.judged.comment, x.judged.decision
    who = " ".join(part for part in (f"@{comment.author.handle}" if comment.author.handle else "",
                                     repr(comment.author.name) if comment.author.name else "")
                   if part) or "an unknown author"
    lines = [terminal_text(f"Comment {comment.id} by {who} on {comment.platform}"
                  f"{' (account ' + x.account + ')' if x.account else ''}:"),
             "  " + terminal_text(defang_text(comment.text[:500])), ""]
    for family in x.families:
        lines.append(f"{family.family}:")
        for o in family.observations:
            mark = "FIRED" if o.fired else "  -  "
            lines.append(terminal_text(f"  {mark} {o.subject}: {o.conclusion}"))
    if x.disabled:
        lines.append(f"switched off: {', '.join(x.disabled)}")
    lines += ["", "policy:"] + [terminal_text(f"  {step}") for step in x.policy_path]
    lines += ["", f"Decision: {decision.action.value}"
                  f"{' (' + decision.severity.value + ')' if decision.severity else ''}; "
                  f"on the account: {terminal_text(x.outcome)}"]
    return "\n".join(lines)

