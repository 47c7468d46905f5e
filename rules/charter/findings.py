"""The charter's findings: what each part reports, with its reason and evidence."""

from __future__ import annotations

import re
from dataclasses import replace

from moderator.models import Category, Finding, Severity
from rules.charter import flood, pii
from rules.charter.disguise import DisguisedName
from rules.charter.terms import TermHit, TermMatcher

PII_SEVERITY = {"email": Severity.MEDIUM, "phone": Severity.MEDIUM, "card": Severity.HIGH,
                "iban": Severity.HIGH, "national_id": Severity.HIGH, "staff": Severity.HIGH}
PII_LABEL = {"email": "e-mail address", "phone": "phone number", "card": "payment card number",
             "iban": "bank account (IBAN)", "national_id": "national identity number",
             "staff": "staff member named with a way to find them"}


MILD_REASON = "Mild language (profanity model)"
CASUAL_REASON = "Casual swearing or an ambiguous word"


def term_finding(matcher: TermMatcher, hit: TermHit) -> Finding:
    term_list = matcher.lists[hit.list_index]
    return Finding(
        rule="charter.terms", category=term_list.category, severity=term_list.severity,
        reason=term_list.reason,
        evidence={"list": term_list.name, "term": hit.term, "match": _defang(hit.match)})


def pii_finding(hits: list[pii.PiiHit]) -> Finding:
    kinds = list(dict.fromkeys(h.kind for h in hits))
    severity = max(_pii_severity(h) for h in hits)
    items = [{"kind": h.kind, "value": h.masked,
              **({"detail": h.detail} if h.detail and h.kind != "phone" else {})}
             for h in hits[:20]]
    return Finding(
        rule="charter.pii", category=Category.CHARTER, severity=severity,
        reason="Personal data: " + ", ".join(PII_LABEL[k] for k in kinds),
        evidence={"items": items, "count": len(hits)})


def model_finding(rule: str, reason: str, severity: Severity, score: float,
                  threshold: float) -> Finding:
    """A finding of one of the charter's models (offensive, spam) for a score over threshold."""
    return Finding(rule=rule, category=Category.CHARTER, severity=severity, reason=reason,
                   evidence={"score": round(float(score), 3), "threshold": threshold})


def is_profanity(finding: Finding) -> bool:
    """A profanity-en hit, or a model finding that is not mild-only (mild_severity's): what
    rules.charter.swearing judges."""
    if finding.rule == "charter.terms":
        return finding.evidence.get("list") == "profanity-en"
    return finding.rule == "charter.offensive" and finding.reason != MILD_REASON


def casual_finding(finding: Finding, severity: Severity) -> Finding:
    """A profanity finding the model does not back up once casual swear words are out."""
    what = "profanity list" if finding.rule == "charter.terms" else "profanity model"
    return replace(finding, severity=severity,
                   reason=f"{CASUAL_REASON} ({what}; nothing else in the comment is offensive)")


def disguise_finding(names: list[DisguisedName], severity: Severity) -> Finding:
    return Finding(
        rule="charter.disguised_file", category=Category.CHARTER, severity=severity,
        reason="File name disguised with a right-to-left override: "
               f"shown as {names[0].shown!r}, really {names[0].real!r}",
        evidence={"names": [{"real": n.real, "shown": n.shown} for n in names]})


TESTIMONIAL_SHAPES = {"gain": "a gain with an amount, and someone to contact",
                      "praise": "gain words with a testimonial's praise, and someone to contact",
                      "referral": "sends the reader to an account",
                      "giveaway": "money to the first people who write"}


def testimonial_finding(shape: str, words: str, severity: Severity) -> Finding:
    return Finding(
        rule="charter.scam_testimonial", category=Category.CHARTER, severity=severity,
        reason=f"Scam testimonial or recruitment: {TESTIMONIAL_SHAPES[shape]}",
        evidence={"shape": shape, "match": _defang(words[:200])})


def flood_finding(hit: flood.FloodHit, per_author: int, severity: Severity) -> Finding:
    what = "the same text" if hit.kind == "text" else "the same link"
    if hit.copies_by_author >= per_author:
        reason = (f"Flooding: {what} posted {hit.copies_by_author} times by one author "
                  f"within {_duration(hit.window)}")
    else:
        reason = (f"Flooding: {what} posted by {hit.authors} authors "
                  f"within {_duration(hit.window)}")
    return Finding(
        rule="charter.flood", category=Category.CHARTER, severity=severity,
        reason=reason,
        evidence={"kind": hit.kind, "fingerprint": hit.key,
                  "copies_by_author": hit.copies_by_author, "authors": hit.authors,
                  "window_seconds": hit.window})


def _pii_severity(hit: pii.PiiHit) -> Severity:
    if hit.kind == "staff" and hit.detail not in ("email", "phone", "address", "lives at",
                                                   "lives on", "lives in", "home address",
                                                   "address is", "her address", "his address",
                                                   "their address"):
        return Severity.MEDIUM  # named with a department or office, not a way to reach them
    return PII_SEVERITY[hit.kind]


def _defang(text: str) -> str:
    if "." not in text and "http" not in text.casefold():
        return text
    text = re.sub(r"(?i)\bhttp", "hxxp", text)
    return re.sub(r"(?<=\w)\.(?=\w)", "[.]", text) if re.search(r"\w\.\w", text) else text


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"

