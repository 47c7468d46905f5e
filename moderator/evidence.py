"""Finding evidence: the contract per finding name.

Every finding carries ``evidence``, a JSON object whose keys depend on the finding's name
(``links.lookalike``, ``charter.pii``, ...). This module is that contract: the keys each rule
writes and what they mean, and the readers the digest, review and web views use, so nobody
guesses among key names. A rule that adds a key documents it here; tests/test_evidence.py runs
every family and fails on a key or a finding name missing from the contract.

Values that hold links or hosts are written defanged by the rules (``evil[.]example``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class Contract:
    keys: Mapping[str, str]  # key -> what it holds
    imitates: str | None = None  # the key naming the official account or person imitated
    domain: str | None = None  # the key naming the bad domain
    optional: frozenset[str] = field(default_factory=frozenset)  # keys present only sometimes


_LINK = {
    "url": "the link as found (defanged)",
    "host": "its host, Unicode form (defanged)",
    "registrable_domain": "its registrable domain (defanged): the bad domain",
    "source": "where the link came from when not the text: platform, markdown, html, resolved",
    "written_defanged": "true when the comment wrote the link defanged itself",
    "resolved_from": "the shortener URL this destination was resolved from (defanged)",
}
_LINK_OPTIONAL = frozenset({"source", "written_defanged", "resolved_from"})


def _link(**keys: str) -> Contract:
    return Contract({**_LINK, **keys}, domain="registrable_domain", optional=_LINK_OPTIONAL)


_AGE = {"account_age_days": "the author account's age in days, when the platform says",
        "young_account": "true when that age is under the configured minimum"}
_NAME = Contract({
    "field": "handle, display_name (or the field a staff name was found in)",
    "value": "the author's handle or display name (defanged)",
    "imitates": "the official handle, brand or staff member imitated, as configured",
    "imitates_kind": "handle, brand or staff",
    "techniques": "how: homoglyph, leetspeak, separator, affix, digits, ...",
    "similarity": "0..1 against the imitated name",
    "platform": "the comment's platform",
    "affixes": "words added to the imitated name (support, help, official, ...)",
    **_AGE,
}, imitates="imitates", optional=frozenset({"affixes", *_AGE}))

CONTRACTS: dict[str, Contract] = {
    "links.threat_feed": _link(feed="the feed that lists it", matched="url or host",
                               listed_host="the listed host when matched by host (defanged)"),
    "links.blocklist": _link(listed="the blocklist entry that matched (defanged)"),
    "links.lookalike": _link(brand="the imitated brand", brand_domain="the brand's domain",
                             technique="how the domain imitates it",
                             similarity="0..1 against the brand's domain"),
    "links.mismatch": _link(display="the link text shown (defanged)",
                            shown_domain="the domain the text shows (defanged)"),
    "links.shortener": _link(destination="where it leads (defanged), null when unknown"),
    "links.suspicious": _link(score="the weak signals' sum", signals="the signals seen"),
    "impersonation.handle": _NAME,
    "impersonation.display_name": _NAME,
    "impersonation.staff": _NAME,
    "impersonation.fake_support": Contract({
        "claims": "what the reply claims to be (support, official, ...)",
        "offers": "what it offers (help, refund, recovery, ...)",
        "moves_to": "where it moves the reader: dm, whatsapp, telegram, phone, form, ...",
        "asks_for": "account details it asks for",
        "contacts": "contact points it gives (masked or defanged)",
        "author_imitates": "the official name the author's own name imitates",
        **_AGE,
    }, imitates="author_imitates", optional=frozenset({"author_imitates", *_AGE})),
    "charter.terms": Contract({"list": "the term list's name", "term": "the listed term",
                               "match": "the text that matched (defanged)"}),
    "charter.pii": Contract({"items": "up to 20 of {kind, value (masked), detail}",
                             "count": "how many pieces of personal data"}),
    "charter.offensive": Contract({"score": "the model's score", "threshold": "the cut-off"}),
    "charter.spam": Contract({"score": "the model's score", "threshold": "the cut-off"}),
    "charter.scam_testimonial": Contract({
        "shape": "gain, praise, referral or giveaway (rules/charter/testimonial.py)",
        "match": "the words that show it, up to 200 characters (defanged)"}),
    "charter.disguised_file": Contract({
        "names": "up to 10 of {real (its controls written as <U+202E>), shown}"}),
    "charter.flood": Contract({
        "kind": "text or link", "fingerprint": "the normalized text or link repeated",
        "copies_by_author": "copies by this author in the window",
        "authors": "authors posting it in the window", "window_seconds": "the window"}),
}
CUSTOM = Contract({"field": "the field that matched (text, author_name, ...)",
                   "match": "what matched, up to 200 characters"})


# A finding name without a contract of its own (a rule family added outside this project)
# follows its category's: an impersonation finding names whom it imitates in ``imitates``, a
# link finding its bad domain in ``registrable_domain``.
CATEGORY_DEFAULT = Contract({}, imitates="imitates", domain="registrable_domain")


def contract(rule: str) -> Contract | None:
    """The contract of a finding name (every ``custom.<name>`` shares one), or None."""
    return CUSTOM if rule.startswith("custom.") else CONTRACTS.get(rule)


def imitated(rule: str, evidence: Any) -> str | None:
    """The official account or person an impersonation finding names, if it names one."""
    key = (contract(rule) or CATEGORY_DEFAULT).imitates
    if key is None or not isinstance(evidence, Mapping):
        return None
    value = evidence.get(key)
    return str(value) if value not in (None, "") else None


def bad_domain(rule: str, evidence: Any) -> str | None:
    """The bad domain a link finding names (lowercase, no final dot, still defanged)."""
    key = (contract(rule) or CATEGORY_DEFAULT).domain
    if key is None or not isinstance(evidence, Mapping):
        return None
    value = evidence.get(key)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().rstrip(".")
