"""``moderator replay``: what another configuration would decide on the stored comments."""

from __future__ import annotations

import json
from pathlib import Path

import click
from tabulate import tabulate

from moderator import config
from moderator.cli.common import as_click_errors, load_settings, parse_when
from moderator.errors import ConfigError
from moderator.replay import ReplayReport, replay


@click.command("replay")
@click.option("--with", "new_config", required=True, metavar="NEW.toml",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The configuration to try.")
@click.option("--since", help="Only comments from this date on (e.g. 2026-11-01).")
@click.option("--until", help="Only comments before this date.")
@click.option("--account", help="Only this account.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def replay_command(ctx: click.Context, new_config: Path, since: str | None, until: str | None,
                   account: str | None, as_json: bool) -> None:
    """Re-judge the stored comments with NEW.toml and show what would change.

    Reads the database of the current configuration and writes nothing: no platform, no
    queue, no audit log. Where reviewers approved or rejected an item, it also shows how the
    current and the new configuration agree with them.

    \b
    Examples:
        moderator replay --with stricter.toml
        moderator replay --with stricter.toml --account acme-youtube --since 2026-11-01
        moderator replay --with stricter.toml --json | jq .transitions
    """
    current = load_settings(ctx)
    try:
        new = config.load(new_config)
    except ConfigError as e:
        raise click.ClickException(f"invalid config {new_config}:\n  "
                                   + "\n  ".join(e.problems)) from None
    with as_click_errors():
        report = replay(current, new, since=parse_when(since, "--since"),
                        until=parse_when(until, "--until"), account=account)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(render_report(report, new_config.name))


def render_report(report: ReplayReport, new_name: str) -> str:
    lines = [f"Re-judged {report.rejudged} stored comment(s) of {len(report.accounts)} "
             f"account(s) with {new_name} in {report.seconds:.1f} s; nothing was written.",
             f"Decisions that would change: {len(report.changed)}"]
    for transition, count in report.transitions.most_common():
        lines.append(f"\n  {transition}: {count}")
        for change in report.examples(transition):
            lines.append(f"    {change.id} [{', '.join(change.rules)}] {change.text}")
    if report.by_rule:
        lines.append("\nBy rule (comments whose decision changes):")
        lines.append(tabulate(report.by_rule.most_common(), headers=["rule", "changes"]))
    lines.append("")
    lines.append(_agreement_table(report))
    return "\n".join(lines)


def _agreement_table(report: ReplayReport) -> str:
    overall = report.agreement.get("overall")
    if overall is None:
        return "No reviewer verdicts in this range: nothing to compare with."
    rows = [[name, a.confirmed, a.current_caught, a.new_caught, a.kept,
             a.current_flagged_kept, a.new_flagged_kept]
            for name, a in sorted(report.agreement.items(), key=lambda kv: kv[0] != "overall")]
    return ("Against the reviewers' verdicts (confirmed: approved acting; kept: rejected it;\n"
            "overall counts decisions other than none, a rule counts where it fired):\n"
            + tabulate(rows, headers=["", "confirmed", "caught now", "caught new", "kept",
                                      "flagged now", "flagged new"]))
