"""The digest as plain text and as e-mail-safe HTML.

The HTML is what common mail clients render: nested tables for layout, inline styles plus the
old ``bgcolor``/``width`` attributes Outlook reads, no scripts, no images, no external
resources, no link built from data. Every value is escaped here even though :mod:`digest`
already masked and defanged it: escaping is this module's job and is never skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Sequence

from tabulate import tabulate

from moderator.digest.model import Digest, Totals
from moderator.render import html_text as esc

FONT = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
MONO = "Consolas,'SFMono-Regular',Menlo,monospace"
INK, MUTED, LINE, PAPER = "#1f2937", "#6b7280", "#e5e7eb", "#ffffff"
# One colour per bar of the chart, readable on white and in print.
BARS = (("flagged", "flagged", "#f59e0b"), ("hidden", "hidden", "#2563eb"),
        ("deleted", "deleted", "#dc2626"), ("banned", "banned", "#7f1d1d"),
        ("queued", "queued for review", "#7c3aed"),
        ("dry_run", "would act (dry-run)", "#9ca3af"))
SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#d97706",
                    "low": "#6b7280"}
TEXT_BAR_WIDTH = 30


def subject(d: Digest) -> str:
    flagged, acted = d.total("flagged"), d.total("acted")
    brand = " ".join(d.brand.split())[:80]
    alarm = "BRAKE ENGAGED: " if d.brakes else ""
    return (f"{alarm}{brand} moderation digest {d.local(d.period.end):%d %b %Y}: "
            f"{flagged} flagged, {acted} acted on, {d.review_pending} waiting for review")


def period_line(d: Digest) -> str:
    start, end = d.local(d.period.start), d.local(d.period.end)
    return f"{start:%a %d %b %Y %H:%M} to {end:%a %d %b %Y %H:%M} ({d.timezone})"


def _trend(change: int) -> str:
    return f"+{change}" if change > 0 else (str(change) if change < 0 else "±0")


def _time(d: Digest, when: datetime) -> str:
    return f"{d.local(when):%d %b %H:%M}"


def _chart_rows(d: Digest) -> list[tuple[str, list[tuple[str, str, int]]]]:
    """Per account (platforms summed): the non-zero bars as (label, colour, value)."""
    accounts: dict[str, dict[str, int]] = {}
    for t in d.totals:
        sums = accounts.setdefault(t.account, {})
        for attr, _, _ in BARS:
            sums[attr] = sums.get(attr, 0) + getattr(t, attr)
    out = []
    for account, sums in accounts.items():
        bars = [(label, colour, sums[attr]) for attr, label, colour in BARS if sums[attr]]
        out.append((account, bars))
    return out


# -- plain text --------------------------------------------------------------------------------

def render_text(d: Digest) -> str:
    out: list[str] = [f"{d.brand}: moderation digest", period_line(d), ""]
    for brake in d.brakes:
        out.append(f"!! BRAKE ENGAGED on {brake.account} since {_time(d, brake.at)}: "
                   f"{brake.detail}")
    if d.brakes:
        out.append("")
    out.append("Summary (change against the previous period of equal length)")
    out.append(tabulate([[t.name, t.now, _trend(t.change)] for t in d.trends],
                        headers=["", "count", "change"], tablefmt="simple"))
    out.append(f"Waiting for review now: {d.review_pending}")
    out += ["", "Chart: per account and action"]
    chart = _chart_rows(d)
    top = max((v for _, bars in chart for _, _, v in bars), default=0)
    for account, bars in chart:
        out.append(f"  {account}")
        for label, _, value in bars or [("nothing", "", 0)]:
            length = round(TEXT_BAR_WIDTH * value / top) if top else 0
            out.append(f"    {label:<20} {'#' * max(length, 1 if value else 0):<{TEXT_BAR_WIDTH}}"
                       f" {value}")
    out += ["", "Totals per account and platform"]
    out.append(_text_table(
        ["account", "platform", "seen", "flagged", "hidden", "deleted", "queued", "undone",
         "dry-run", "failed"],
        [[t.account, t.platform, t.seen, t.flagged, t.hidden, t.deleted, t.queued, t.undone,
          t.dry_run, t.failed] for t in d.totals]))
    out += ["", f"Review queue: {d.review_pending} waiting (oldest first"
                f"{f', first {len(d.review)}' if d.review_pending > len(d.review) else ''})"]
    for item in d.review:
        out.append(f"  #{item.id} {_time(d, item.queued_at)} {item.account}/{item.platform} "
                   f"{item.author} -> proposes {item.proposed} ({item.severity})")
        out.append(f"      why:  {item.reason} [{item.rules}]")
        out.append(f"      text: {item.excerpt}")
        out.append(f"      link: {item.link}")
    if not d.review:
        out.append("  (empty)")
    out += ["", "Findings by rule and category"]
    out.append(_text_table(["rule", "category", "worst", "findings", "comments"],
                           [[f.rule, f.category, f.severity, f.findings, f.comments]
                            for f in d.findings]))
    out += ["", "Impersonating accounts seen"]
    out.append(_text_table(["author", "imitates", "where", "comments", "worst"],
                           [[i.author, i.imitates, f"{i.account}/{i.platform}", i.comments,
                             i.severity] for i in d.impersonators]))
    out += ["", "Most frequent bad domains"]
    out.append(_text_table(["domain", "comments", "worst", "rules"],
                           [[b.domain, b.comments, b.severity, b.rules] for b in d.domains]))
    out += ["", "Errors"]
    out.append(_text_table(["account", "platform", "kind", "count", "last", "message"],
                           [[e.account, e.platform, e.kind, e.count, _time(d, e.last_at),
                             e.message] for e in d.errors]))
    out += ["", "Brake events"]
    out.append(_text_table(["time", "account", "event", "detail"],
                           [[_time(d, e.at), e.account, e.kind, e.detail] for e in d.events]))
    out += ["", _FOOTER.format(when=f"{d.local(d.generated_at):%d %b %Y %H:%M} {d.timezone}")]
    return "\n".join(out) + "\n"


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return "  (none)"
    return tabulate(rows, headers=list(headers), tablefmt="simple", disable_numparse=True)


_FOOTER = ("Links are defanged on purpose (hxxps://example[.]com): never open them in a browser; "
           "copy them into a sandbox if you must. Personal data is masked. "
           "Sent by Moderator at {when}.")


# -- HTML --------------------------------------------------------------------------------------

def render_html(d: Digest) -> str:
    # What a lead acts on first comes first; the per-platform detail after.
    body = [_header(d), _brakes(d), _tiles(d), _chart(d), _review(d), _impersonators(d),
            _domains(d), _findings(d), _totals(d), _errors(d), _footer(d)]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"format-detection\" content=\"telephone=no, date=no, address=no, "
        "email=no, url=no\">"
        "<meta name=\"x-apple-disable-message-reformatting\">"
        f"<title>{esc(subject(d))}</title></head>\n"
        f"<body style=\"margin:0;padding:0;background:#f3f4f6;color:{INK};\">\n"
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
        "border=\"0\" bgcolor=\"#f3f4f6\" style=\"background:#f3f4f6;\"><tr>"
        "<td align=\"center\" style=\"padding:24px 8px;\">\n"
        "<table role=\"presentation\" width=\"720\" cellpadding=\"0\" cellspacing=\"0\" "
        f"border=\"0\" bgcolor=\"{PAPER}\" style=\"width:100%;max-width:720px;"
        f"background:{PAPER};border:1px solid {LINE};font-family:{FONT};font-size:14px;"
        f"line-height:1.4;color:{INK};\">\n" + "\n".join(part for part in body if part) +
        "\n</table>\n</td></tr></table>\n</body></html>\n")


def _row(content: str, padding: str = "16px 24px", bg: str | None = None) -> str:
    colour = f" bgcolor=\"{bg}\"" if bg else ""
    style = f"padding:{padding};" + (f"background:{bg};" if bg else "")
    return f"<tr><td{colour} style=\"{style}\">{content}</td></tr>"


def _section(title: str, inner: str, note: str = "") -> str:
    head = (f"<div style=\"font-size:16px;font-weight:bold;margin:0 0 8px 0;"
            f"padding-bottom:4px;border-bottom:2px solid {LINE};\">{esc(title)}"
            + (f" <span style=\"font-size:12px;font-weight:normal;color:{MUTED};\">"
               f"{esc(note)}</span>" if note else "") + "</div>")
    return _row(head + inner, padding="12px 24px")


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]],
           numeric: Sequence[int] = (), empty: str = "None in this period.") -> str:
    """``rows`` hold cells that are ALREADY escaped HTML (callers wrap values in esc())."""
    rows = list(rows)
    if not rows:
        return f"<div style=\"color:{MUTED};font-size:13px;\">{esc(empty)}</div>"
    cell = "padding:5px 8px;font-size:13px;vertical-align:top;"
    head = "".join(
        f"<th align=\"{'right' if i in numeric else 'left'}\" style=\"{cell}"
        f"font-size:11px;text-transform:uppercase;letter-spacing:0.04em;color:{MUTED};"
        f"border-bottom:1px solid {LINE};\">{esc(h)}</th>" for i, h in enumerate(headers))
    body = []
    for n, row in enumerate(rows):
        shade = " bgcolor=\"#f9fafb\"" if n % 2 else ""
        body.append(f"<tr{shade}>" + "".join(
            f"<td align=\"{'right' if i in numeric else 'left'}\" style=\"{cell}"
            f"border-bottom:1px solid #f3f4f6;\">{c}</td>" for i, c in enumerate(row)) + "</tr>")
    return ("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
            f"border=\"0\" style=\"border-collapse:collapse;\"><tr>{head}</tr>"
            + "".join(body) + "</table>")


def _num(value: int) -> str:
    return f"{value:,}"


def _severity(value: str) -> str:
    colour = SEVERITY_COLOURS.get(value, MUTED)
    return (f"<span style=\"color:{colour};font-weight:bold;\">{esc(value)}</span>")


def _code(value: str) -> str:
    """Defanged links and domains: monospace, visibly not a link, never an <a>."""
    return (f"<span style=\"font-family:{MONO};font-size:12px;color:#991b1b;"
            f"background:#fef2f2;padding:0 3px;word-break:break-all;\">{esc(value)}</span>")


def _muted_code(value: str) -> str:
    return (f"<span style=\"font-family:{MONO};font-size:12px;color:{MUTED};"
            f"word-break:break-all;\">{esc(value)}</span>")


def _header(d: Digest) -> str:
    return _row(
        f"<div style=\"font-size:12px;letter-spacing:0.08em;text-transform:uppercase;"
        f"color:#9ca3af;\">Moderation digest</div>"
        f"<div style=\"font-size:22px;font-weight:bold;color:#ffffff;margin:2px 0;\">"
        f"{esc(d.brand)}</div>"
        f"<div style=\"font-size:13px;color:#d1d5db;\">{esc(period_line(d))}</div>",
        padding="20px 24px", bg=INK)


def _brakes(d: Digest) -> str:
    if not d.brakes:
        return ""
    lines = "".join(
        f"<div style=\"margin-top:4px;\"><b>{esc(b.account)}</b> since "
        f"{esc(_time(d, b.at))}: {esc(b.detail)}</div>" for b in d.brakes)
    return _row(f"<div style=\"font-weight:bold;color:#7f1d1d;\">Brake engaged: review-only "
                f"until a person releases it</div>{lines}", bg="#fee2e2")


def _tiles(d: Digest) -> str:
    cells = []
    bad_when_up = {"flagged", "errors", "queued"}
    for t in d.trends:
        if t.change == 0:
            colour, arrow = MUTED, "&#9644;"  # a flat bar
        else:
            if t.name in bad_when_up:  # more flags or errors is worse; neutral otherwise
                colour = "#b91c1c" if t.change > 0 else "#047857"
            else:
                colour = MUTED
            arrow = "&#9650;" if t.change > 0 else "&#9660;"
        cells.append(
            f"<td width=\"20%\" align=\"center\" style=\"padding:10px 4px;"
            f"border:1px solid {LINE};\">"
            f"<div style=\"font-size:24px;font-weight:bold;\">{_num(t.now)}</div>"
            f"<div style=\"font-size:12px;color:{MUTED};text-transform:uppercase;"
            f"letter-spacing:0.04em;\">{esc(t.name)}</div>"
            f"<div style=\"font-size:12px;color:{colour};\">{arrow} {esc(_trend(t.change))}"
            f" vs {_num(t.before)}</div></td>")
    pending = (f"<div style=\"margin-top:10px;font-size:14px;\"><b>{_num(d.review_pending)}"
               f"</b> item{'s' if d.review_pending != 1 else ''} waiting for review now. "
               f"<span style=\"color:{MUTED};font-size:12px;\">Trend: change against the "
               f"previous period of equal length.</span></div>")
    return _row("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\""
                " border=\"0\" style=\"border-collapse:collapse;\"><tr>" + "".join(cells)
                + "</tr></table>" + pending)


def _chart(d: Digest) -> str:
    chart = _chart_rows(d)
    top = max((v for _, bars in chart for _, _, v in bars), default=0)
    rows = []
    for account, bars in chart:
        rows.append(f"<tr><td colspan=\"2\" style=\"padding:8px 0 2px 0;font-weight:bold;"
                    f"font-size:13px;\">{esc(account)}</td></tr>")
        if not bars:
            rows.append(f"<tr><td colspan=\"2\" style=\"font-size:12px;color:{MUTED};"
                        f"padding:0 0 4px 12px;\">nothing flagged or done</td></tr>")
        for label, colour, value in bars:
            width = max(1, round(100 * value / top)) if top else 0
            bar = (f"<table role=\"presentation\" width=\"{width}%\" cellpadding=\"0\" "
                   f"cellspacing=\"0\" border=\"0\"><tr><td bgcolor=\"{colour}\" "
                   f"height=\"14\" style=\"background:{colour};height:14px;font-size:0;"
                   f"line-height:0;\">&nbsp;</td></tr></table>")
            rows.append(
                f"<tr><td width=\"170\" style=\"width:170px;padding:2px 8px 2px 12px;"
                f"font-size:12px;color:{MUTED};white-space:nowrap;\">{esc(label)}</td>"
                f"<td style=\"padding:2px 0;\"><table role=\"presentation\" width=\"100%\" "
                f"cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>"
                f"<td width=\"88%\" style=\"width:88%;\">{bar}</td>"
                f"<td width=\"12%\" align=\"right\" style=\"font-size:12px;font-weight:bold;"
                f"padding-left:6px;\">{_num(value)}</td></tr></table></td></tr>")
    if not rows:
        return _section("At a glance", _table([], [], empty="No activity in this period."))
    return _section("At a glance", "<table role=\"presentation\" width=\"100%\" "
                    "cellpadding=\"0\" cellspacing=\"0\" border=\"0\">" + "".join(rows)
                    + "</table>", "per account and action")


def _totals(d: Digest) -> str:
    def cells(t: Totals) -> list[str]:
        return [f"<span style=\"white-space:nowrap;\">{esc(t.account)}</span>",
                esc(t.platform)] + [
            _num(v) for v in (t.seen, t.flagged, t.hidden, t.deleted, t.queued, t.undone,
                              t.dry_run, t.failed)]

    return _section("Totals per account and platform", _table(
        ["account", "platform", "seen", "flagged", "hidden", "deleted", "queued", "undone",
         "dry-run", "failed"], [cells(t) for t in d.totals], numeric=range(2, 10)))


def _review(d: Digest) -> str:
    items = []
    for item in d.review:
        link = _code(item.link) if item.link.startswith("hxxp") else _muted_code(item.link)
        items.append(
            f"<tr><td style=\"padding:7px 0;border-bottom:1px solid {LINE};\">"
            f"<div style=\"font-size:12px;color:{MUTED};\">#{item.id} &middot; "
            f"{esc(_time(d, item.queued_at))} &middot; {esc(item.account)}/"
            f"{esc(item.platform)} &middot; proposes <b style=\"color:{INK};\">"
            f"{esc(item.proposed)}</b> ({_severity(item.severity)}) &middot; "
            f"{esc(item.reason)} [{esc(item.rules)}]</div>"
            f"<div style=\"font-size:13px;margin:3px 0;padding:5px 8px;background:#f9fafb;"
            f"border-left:3px solid #c4b5fd;\"><b>{esc(item.author)}</b>: "
            f"{esc(item.excerpt)}</div>"
            f"<div style=\"font-size:12px;\">{link}</div></td></tr>")
    more = d.review_pending - len(d.review)
    note = f"{d.review_pending} waiting, oldest first" + (f"; first {len(d.review)} shown"
                                                          if more > 0 else "")
    if not items:
        return _section("Review queue", _table([], [], empty="Nothing waiting for review."))
    return _section("Review queue", "<table role=\"presentation\" width=\"100%\" "
                    "cellpadding=\"0\" cellspacing=\"0\" border=\"0\">" + "".join(items)
                    + "</table><div style=\"font-size:12px;color:" + MUTED + ";margin-top:6px;\">"
                    "Review with <span style=\"font-family:" + MONO + ";\">moderator review "
                    "show ID</span>.</div>", note)


def _findings(d: Digest) -> str:
    return _section("Findings by rule and category", _table(
        ["rule", "category", "worst", "findings", "comments"],
        [[esc(f.rule), esc(f.category), _severity(f.severity), _num(f.findings),
          _num(f.comments)] for f in d.findings], numeric=(3, 4)))


def _impersonators(d: Digest) -> str:
    return _section("Impersonating accounts seen", _table(
        ["account seen", "imitates", "where", "comments", "worst"],
        [[f"<b>{esc(i.author)}</b>", esc(i.imitates), esc(f"{i.account}/{i.platform}"),
          _num(i.comments), _severity(i.severity)] for i in d.impersonators],
        numeric=(3,)))


def _domains(d: Digest) -> str:
    return _section("Most frequent bad domains", _table(
        ["domain (defanged)", "comments", "worst", "rules"],
        [[_code(b.domain), _num(b.comments), _severity(b.severity), esc(b.rules)]
         for b in d.domains], numeric=(1,)))


def _errors(d: Digest) -> str:
    errors = _table(["account", "kind", "count", "last", "message"],
                    [[esc(f"{e.account}/{e.platform}"), esc(e.kind), _num(e.count),
                      esc(_time(d, e.last_at)), esc(e.message)] for e in d.errors],
                    numeric=(2,), empty="No errors in this period.")
    events = _table(["time", "account", "event", "detail"],
                    [[esc(_time(d, e.at)), esc(e.account), esc(e.kind), esc(e.detail)]
                     for e in d.events], empty="No brake events in this period.")
    return _section("Errors and brake events", errors + "<div style=\"height:10px;\"></div>"
                    + events)


def _footer(d: Digest) -> str:
    when = f"{d.local(d.generated_at):%d %b %Y %H:%M} {d.timezone}"
    return _row(f"<div style=\"font-size:12px;color:{MUTED};\">"
                f"{esc(_FOOTER.format(when=when))}</div>", padding="16px 24px", bg="#f9fafb")
