"""The daily digest: what happened on our pages in a period and what waits for a person.

Three steps, each testable alone: :func:`collect` queries the store (through its ``digest``
methods) into a :class:`Digest` of display-safe plain text (comment text and author names with
invisible characters dropped, personal data masked, links defanged); ``digest_render`` turns it
into the text and HTML parts (the HTML escapes every value again); :func:`deliver` sends the
e-mail by SMTP with a bounded retry. :func:`send_digest` records every send in the store, so the
next digest starts exactly where the last one ended; the daemon schedules it
(``moderator.daemon``: the configured local time, and a missed send at the next start).

Secrets: the SMTP password is read from the environment variable the config names, used for
the login only, and scrubbed from every error message; it never reaches a log, the store or
the message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from moderator.config import DigestSettings, Secrets, Settings
from moderator.errors import ModeratorError
from moderator.models import Severity
from moderator.render import (defang_text, defang_url, defang_value, mask_pii, one_line,
                              safe_excerpt, strip_invisible)
from moderator.store import Store, now as utc_now

logger = logging.getLogger(__name__)

DEFAULT_PERIOD = timedelta(hours=24)
BACKOFF_SECONDS = 2.0  # first wait between attempts; doubles each time
# Evidence keys that name the official account an impersonator imitates (first present wins);
# the impersonation rule's exact keys are defined elsewhere, so this reads them defensively.
IMITATES_KEYS = ("imitates", "official", "official_account", "official_handle", "target",
                 "brand_handle", "handle_imitated", "staff", "staff_name", "brand", "matched")
# Evidence keys of link findings that hold the bad domain, best first; else the URL's host.
DOMAIN_KEYS = ("registrable_domain", "domain", "host", "hostname")
URL_KEYS = ("url", "final_url", "expanded_url", "href")


class DigestError(ModeratorError):
    """The digest could not be built or sent; the message names host and port, never secrets."""


# -- the period ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Period:
    """Half-open [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise DigestError(f"the period must end after it starts ({self.start.isoformat()} "
                              f"to {self.end.isoformat()})")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> "Period":
        """The period of equal length just before, for the trend."""
        return Period(self.start - self.length, self.start)


def resolve_period(store: Store, *, since: datetime | None = None,
                   until: datetime | None = None, at: datetime | None = None) -> Period:
    """The explicit range, else from the end of the last digest sent (or 24 hours) to now."""
    end = until or at or utc_now()
    if since is None:
        last = store.last_digest_end()
        since = last if last is not None and last < end else end - DEFAULT_PERIOD
    return Period(since, end)


# -- what the digest shows ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Totals:
    account: str
    platform: str
    seen: int = 0
    flagged: int = 0
    hidden: int = 0
    deleted: int = 0
    banned: int = 0
    queued: int = 0
    undone: int = 0
    dry_run: int = 0  # decided but deliberately not carried out (dry-run accounts)
    failed: int = 0

    @property
    def acted(self) -> int:
        return self.hidden + self.deleted + self.banned


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule: str
    category: str
    severity: str  # the highest severity seen
    findings: int
    comments: int


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    account: str
    platform: str
    queued_at: datetime
    author: str
    excerpt: str
    reason: str
    rules: str
    proposed: str
    severity: str
    link: str  # defanged permalink, or the platform's comment id when there is none


@dataclass(frozen=True, slots=True)
class Impersonator:
    platform: str
    account: str
    author: str  # handle and display name, masked
    imitates: str  # the official account or person imitated, as the evidence names it
    comments: int
    severity: str
    rules: str


@dataclass(frozen=True, slots=True)
class BadDomain:
    domain: str  # defanged; with its punycode form when it is an internationalized name
    comments: int
    severity: str
    rules: str


@dataclass(frozen=True, slots=True)
class ErrorLine:
    account: str
    platform: str
    kind: str
    count: int
    last_at: datetime
    message: str


@dataclass(frozen=True, slots=True)
class EventLine:
    at: datetime
    account: str
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Trend:
    name: str
    now: int
    before: int

    @property
    def change(self) -> int:
        return self.now - self.before


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one digest shows. Every string is display-safe plain text (masked,
    defanged, invisible characters dropped); HTML output must still escape it."""

    brand: str
    period: Period
    timezone: str
    generated_at: datetime
    totals: tuple[Totals, ...]
    trends: tuple[Trend, ...]
    findings: tuple[RuleCount, ...]
    review_pending: int
    review: tuple[QueueItem, ...]
    impersonators: tuple[Impersonator, ...]
    domains: tuple[BadDomain, ...]
    errors: tuple[ErrorLine, ...]
    events: tuple[EventLine, ...]
    brakes: tuple[EventLine, ...]  # accounts whose brake is engaged now
    max_items: int = 25

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.totals)

    def local(self, when: datetime) -> datetime:
        return when.astimezone(ZoneInfo(self.timezone))


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


def imitated(evidence: Any) -> str | None:
    """The official account or person an impersonation finding names, if any."""
    if not isinstance(evidence, dict):
        return None
    for key in IMITATES_KEYS:
        value = evidence.get(key)
        if value not in (None, "", [], {}):
            return defang_value(value)
    return None


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
        target = imitated(row["evidence"])
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


def domains_in(evidence: Any) -> list[str]:
    """The bad domains a link finding's evidence names (lowercase, without a final dot)."""
    if not isinstance(evidence, dict):
        return []
    found: list[str] = []
    for key in DOMAIN_KEYS:
        found += [v for v in _strings(evidence.get(key))]
        if found:
            break
    if not found:
        for key in URL_KEYS:
            for url in _strings(evidence.get(key)):
                try:
                    host = urlsplit(url if "://" in url else "http://" + url).hostname
                except ValueError:
                    host = None
                if host:
                    found.append(host)
            if found:
                break
    return [d.strip().lower().rstrip(".") for d in found if d.strip()]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


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
        for domain in set(domains_in(row["evidence"])):
            g = groups[domain]
            g["comments"].add(row["comment_uid"])
            g["sev"].append(row["severity"])
            g["rules"].add(row["rule"])
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]["comments"]), kv[0]))[:limit]
    return tuple(BadDomain(_show_domain(d), len(g["comments"]), _worst(g["sev"]),
                           _plain(", ".join(sorted(g["rules"])), 120)) for d, g in ranked)


# -- the message -------------------------------------------------------------------------------

def build_message(digest: Digest, settings: DigestSettings,
                  recipients: Sequence[str] | None = None) -> EmailMessage:
    """multipart/alternative: the plain-text part first, the HTML part last (preferred)."""
    from moderator.digest_render import render_html, render_text, subject

    message = EmailMessage()
    message["Subject"] = subject(digest)
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients if recipients is not None else settings.recipients)
    message["Date"] = format_datetime(digest.generated_at)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a robot
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message


def write_preview(message: EmailMessage, target: str | Path) -> tuple[Path, Path]:
    """``FILE.eml`` (the whole message) and ``FILE.html`` (the HTML part) instead of sending."""
    base = Path(target)
    if base.suffix.lower() in (".eml", ".html", ".htm"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    eml, page = base.with_name(base.name + ".eml"), base.with_name(base.name + ".html")
    eml.write_bytes(bytes(message))
    html_part = message.get_body(preferencelist=("html",))
    page.write_text(html_part.get_content() if html_part else "", encoding="utf-8")
    return eml, page


# -- sending -----------------------------------------------------------------------------------

def smtp_password(settings: Settings) -> str | None:
    """The password from the variable the config names (or the secrets file); None if no login."""
    digest = settings.digest
    if not digest.smtp_username:
        return None
    assert digest.smtp_password_env  # the config requires it with a username
    value = Secrets(settings.secrets_file).get(digest.smtp_password_env)
    if not value:
        raise DigestError(f"digest.smtp_password_env: environment variable "
                          f"{digest.smtp_password_env} is not set (nor in the secrets file)")
    return value


class _Transient(Exception):
    pass


def deliver(message: EmailMessage, settings: DigestSettings, password: str | None, *,
            sleep: Callable[[float], None] = time.sleep,
            backoff: float = BACKOFF_SECONDS) -> dict[str, Any]:
    """Send through the configured server; retry transient failures (network, 4xx) a bounded
    number of times with doubling waits. Returns the recipients the server refused (if some
    were accepted); raises DigestError naming host and port otherwise."""
    where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    last = ""
    for attempt in range(1, settings.send_attempts + 1):
        try:
            return _send_once(message, settings, password)
        except smtplib.SMTPAuthenticationError as e:
            raise DigestError(f"digest: {where} refused the login of "
                              f"{settings.smtp_username!r}: {_answer(e, password)}") from None
        except smtplib.SMTPNotSupportedError as e:
            raise DigestError(f"digest: {where} does not support what the config asks "
                              f"({_scrub(str(e), password)}); check smtp_security and "
                              f"smtp_username") from None
        except smtplib.SMTPRecipientsRefused as e:
            refused = ", ".join(sorted(e.recipients))
            raise DigestError(f"digest: {where} refused every recipient ({refused})") from None
        except smtplib.SMTPResponseException as e:
            if not 400 <= e.smtp_code < 500:
                raise DigestError(f"digest: {where} rejected the message: "
                                  f"{_answer(e, password)}") from None
            last = _answer(e, password)
        except ssl.SSLError as e:
            raise DigestError(f"digest: TLS with {where} failed: {_scrub(str(e), password)}"
                              ) from None
        except (smtplib.SMTPException, OSError) as e:
            last = _scrub(f"{type(e).__name__}: {e}", password)
        if attempt < settings.send_attempts:
            wait = backoff * 2 ** (attempt - 1)
            logger.warning("digest: attempt %d/%d through %s failed (%s); retrying in %.1fs",
                           attempt, settings.send_attempts, where, last, wait)
            sleep(wait)
    raise DigestError(f"digest: cannot send through {where} after {settings.send_attempts} "
                      f"attempt(s): {last}")


def _send_once(message: EmailMessage, settings: DigestSettings,
               password: str | None) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=settings.smtp_ca_file)
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    if settings.smtp_security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, password or "")
        return dict(smtp.send_message(message))


def _answer(e: smtplib.SMTPResponseException, password: str | None) -> str:
    text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) \
        else str(e.smtp_error)
    return _scrub(f"{e.smtp_code} {text}", password)


def _scrub(text: str, password: str | None) -> str:
    return text.replace(password, "***") if password else text


# -- the whole job -----------------------------------------------------------------------------

def send_digest(settings: Settings, store: Store, period: Period, *,
                at: datetime | None = None, sleep: Callable[[float], None] = time.sleep,
                backoff: float = BACKOFF_SECONDS) -> EmailMessage:
    """Collect, render, send and record one digest. A failure is recorded (digests + errors)
    and raised as DigestError."""
    digest_settings = settings.digest
    if not digest_settings.recipients:
        raise DigestError("digest.recipients: no recipients configured")
    message = build_message(collect(store, settings, period, at), digest_settings)
    try:
        password = smtp_password(settings)
        refused = deliver(message, digest_settings, password, sleep=sleep, backoff=backoff)
    except DigestError as e:
        store.record_digest(period.start, period.end, digest_settings.recipients, "failed",
                            str(e))
        store.record_error(None, None, "digest", str(e))
        raise
    detail = f"refused: {', '.join(sorted(refused))}" if refused else ""
    store.record_digest(period.start, period.end, digest_settings.recipients, "sent", detail)
    logger.info("digest for %s to %s sent to %d recipient(s)%s", period.start.isoformat(),
                period.end.isoformat(), len(digest_settings.recipients) - len(refused),
                f"; {detail}" if detail else "")
    return message


__all__ = ["Digest", "DigestError", "Period", "build_message", "collect", "deliver",
           "resolve_period", "send_digest", "write_preview"]
