"""Query the store for one period into a :class:`Digest` of display-safe plain text:
comment text and author names with invisible characters dropped, personal data masked, links
defanged. Evidence is read through its contract (``moderator.evidence``), never guessed."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from moderator import evidence
from moderator.config import Settings
from moderator.digest.model import (BadDomain, Digest, ErrorLine, EventLine, Impersonator,
                                    Period, QueueItem, RuleCount, Totals, Trend)
from moderator.models import Severity
from moderator.render import (defang_text, defang_url, defang_value, mask_pii, one_line,
                              safe_excerpt, strip_invisible)
from moderator.store import Store, now as utc_now



def collect(store: Store, settings: Settings, period: Period,
            at: datetime | None = None) -> Digest:
    """Query the store for one period and make every value safe to show."""
    limit = settings.digest.max_items
    totals = tuple(Totals(**row) for row in store.digest_totals(period.start, period.end))
    before = store.digest_totals(*_span(period.previous()))
    errors = store.digest_errors(period.start, period.end, limit=limit)
    before_errors = store.digest_errors(*_span(period.previous()), limit=10_000)
    trends = (
        Trend("seen", sum(t.seen for t in totals), sum(r["seen"] for r in before)),
        Trend("flagged", sum(t.flagged for t in totals), sum(r["flagged"] for r in before)),
        Trend("acted on", sum(t.acted for t in totals),
              sum(r["hidden"] + r["deleted"] + r["banned"] for r in before)),
        Trend("queued", sum(t.queued for t in totals), sum(r["queued"] for r in before)),
        Trend("errors", sum(e["n"] for e in errors), sum(e["n"] for e in before_errors)),
    )
    return Digest(
        brand=settings.brand.name or "Moderator",
        period=period,
        timezone=settings.digest.timezone,
        generated_at=at or utc_now(),
        totals=totals,
        trends=trends,
        findings=_rule_counts(store.digest_findings(period.start, period.end)),
        review_pending=store.queue_size(),
        review=tuple(_queue_item(row) for row in store.queue(status="pending", limit=limit)),
        impersonators=_impersonators(
            store.digest_category_findings("impersonation", period.start, period.end), limit),
        domains=_bad_domains(
            store.digest_category_findings("link", period.start, period.end), limit),
        errors=tuple(ErrorLine(_plain(e["account"]), _plain(e["platform"]), _plain(e["kind"]),
                               e["n"], _when(e["last_at"]),
                               safe_excerpt(e["message"] or "", 300, keep_ids=True))
                     for e in errors),
        events=tuple(EventLine(_when(e["at"]), _plain(e["account"]), _plain(e["kind"]),
                               safe_excerpt(e["detail"] or "", 300))
                     for e in store.digest_events(period.start, period.end)),
        brakes=tuple(EventLine(_when(b["since"]), _plain(b["account"]), "brake engaged",
                               safe_excerpt(b["reason"] or "", 300))
                     for b in store.engaged_brakes()),
        max_items=limit,
    )


def _span(period: Period) -> tuple[datetime, datetime]:
    return period.start, period.end


def _when(value: str | None) -> datetime:
    return datetime.fromisoformat(value) if value else datetime.fromtimestamp(0, timezone.utc)


def _plain(value: Any, width: int = 80) -> str:
    """Our own names (accounts, platforms, rules, kinds): one line, not defanged."""
    return one_line(strip_invisible(str(value)), width) if value not in (None, "") else "-"


def _worst(severities: Iterable[str]) -> str:
    known = [Severity(s) for s in severities if s in Severity._value2member_map_]
    return max(known).value if known else "-"


def _rule_counts(rows: Sequence[dict[str, Any]]) -> tuple[RuleCount, ...]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        entry = merged.setdefault((row["rule"], row["category"]),
                                  {"findings": 0, "comments": 0, "severities": []})
        entry["findings"] += row["findings"]
        entry["comments"] += row["comments"]  # a comment has one severity per rule, mostly
        entry["severities"].append(row["severity"])
    counts = [RuleCount(_plain(rule), _plain(category), _worst(e["severities"]), e["findings"],
                        e["comments"]) for (rule, category), e in merged.items()]
    return tuple(sorted(counts, key=lambda c: (-c.findings, c.rule)))


def _author(handle: str | None, name: str | None) -> str:
    handle, name = (strip_invisible(handle or "").strip(), strip_invisible(name or "").strip())
    if handle and name and handle != name:
        shown = f"@{handle} ({name})"
    else:
        shown = f"@{handle}" if handle else (name or "unknown author")
    return one_line(defang_value(mask_pii(shown)), 60)


def _queue_item(row: dict[str, Any]) -> QueueItem:
    link = defang_url(strip_invisible(row["permalink"])) if row.get("permalink") else \
        f"{row['platform']} comment {row['comment_id']}"
    return QueueItem(
        id=row["id"], account=_plain(row["account"]), platform=_plain(row["platform"]),
        queued_at=_when(row["created_at"]),
        author=_author(row.get("author_handle"), row.get("author_name")),
        excerpt=safe_excerpt(row.get("text") or "", 200),
        reason=safe_excerpt(row.get("reason") or "", 160), rules=_plain(row["rules"], 120),
        proposed=_plain(row["proposed_action"]), severity=_plain(row["severity"]),
        link=one_line(defang_text(strip_invisible(link)), 200))  # ids in it are not PII


def _impersonators(rows: Sequence[dict[str, Any]], limit: int) -> tuple[Impersonator, ...]:
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["platform"], row["account"],
               row["author_id"] or row["author_handle"] or row["author_name"] or "")
        g = groups.setdefault(key, {"row": row, "comments": set(), "severities": [],
                                    "rules": set(), "imitates": Counter()})
        g["comments"].add(row["comment_uid"])
        g["severities"].append(row["severity"])
        g["rules"].add(row["rule"])
        target = evidence.imitated(row["rule"], row["evidence"])
        target = defang_value(target) if target else None
        if target:
            g["imitates"][target] += 1
    out = []
    for g in groups.values():
        row = g["row"]
        target = ", ".join(t for t, _ in g["imitates"].most_common(3))
        out.append(Impersonator(
            platform=_plain(row["platform"]), account=_plain(row["account"]),
            author=_author(row["author_handle"], row["author_name"]),
            imitates=safe_excerpt(target, 120) if target else "(not named: "
            + safe_excerpt(row["reason"] or "", 100) + ")",
            comments=len(g["comments"]), severity=_worst(g["severities"]),
            rules=_plain(", ".join(sorted(g["rules"])), 120)))
    out.sort(key=lambda i: (-i.comments, i.author))
    return tuple(out[:limit])


def _show_domain(domain: str) -> str:
    domain = strip_invisible(domain)[:253]
    shown = defang_url(domain)
    if not domain.isascii():
        try:
            shown += f" ({defang_url(domain.encode('idna').decode('ascii'))})"
        except UnicodeError:
            pass
    return one_line(shown, 140)


def _bad_domains(rows: Sequence[dict[str, Any]], limit: int) -> tuple[BadDomain, ...]:
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"comments": set(), "sev": [],
                                                             "rules": set()})
    for row in rows:
        domain = evidence.bad_domain(row["rule"], row["evidence"])
        if domain:
            g = groups[domain]
            g["comments"].add(row["comment_uid"])
            g["sev"].append(row["severity"])
            g["rules"].add(row["rule"])
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]["comments"]), kv[0]))[:limit]
    return tuple(BadDomain(_show_domain(d), len(g["comments"]), _worst(g["sev"]),
                           _plain(", ".join(sorted(g["rules"])), 120)) for d, g in ranked)
