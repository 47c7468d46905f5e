"""ImpersonationRule: the family's configuration and findings (names via NameMatcher, text via
support_signals)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Iterable, Mapping

import phonenumbers

from moderator.models import Brand, Category, Comment, Finding, Severity
from moderator.options import OptionReader
from rules.base import PerCommentRule
from rules.impersonation.contacts import defang_name
from rules.impersonation.matcher import MAX_NAME_CHARS, NameMatch, NameMatcher
from rules.impersonation.normalize import compact, strip_prefix
from rules.impersonation.screen import SupportScreen
from rules.impersonation.support import SupportSignals, brand_claim_pattern, support_signals
from rules.impersonation.targets import build_targets, bundled_affixes
from rules.text import fold


def _raise(severity: Severity, steps: int) -> Severity:
    order = list(Severity)
    return order[min(len(order) - 1, order.index(severity) + steps)]


@dataclass(frozen=True, slots=True)
class AuthorVerdict:
    """What an author's names imitate (cached per author)."""

    handle: NameMatch | None = None
    name: NameMatch | None = None


class ImpersonationRule(PerCommentRule):
    family: ClassVar[str] = "impersonation"

    def __init__(self, brand: Brand, *, allow: Iterable[str] = (), extra_affixes: Iterable[str] = (),
                 min_similarity: float = 0.8, min_fuzzy_length: int = 5, young_account_days: float = 30,
                 fake_support: bool = True, check_display_names: bool = True,
                 phone_region: str | None = "US", official_phones: Iterable[str] = (),
                 cache_size: int = 65_536):
        self.brand = brand
        self.official = frozenset(_handle_id(h) for h in (*brand.handles, *allow))
        affixes = list(bundled_affixes()) + [compact(fold(a)) for a in extra_affixes]
        targets = build_targets(brand, affixes)
        # Staff impostors add the brand to the name ("JaneSmith_AcmeBank"): brand words are affixes.
        brand_words = [t.plain for t in targets if t.kind != "staff"]
        self.matcher = NameMatcher(targets, affixes + brand_words, min_similarity=min_similarity,
                                   min_fuzzy_length=min_fuzzy_length)
        self.young_days = float(young_account_days)
        self.fake_support = fake_support
        self.check_display_names = check_display_names
        self.phone_region = phone_region
        self.official_phones = frozenset(official_phones)  # E.164, as parsed by from_config
        self.domains = tuple(d.lower() for d in brand.domains)
        self.brand_claim = brand_claim_pattern(brand)
        self.support_screen = SupportScreen(self.brand_claim, phone_region)
        self.judge_author = lru_cache(maxsize=cache_size)(self._judge_author)

    @classmethod
    def from_config(cls, options: Mapping[str, Any], brand: Brand, *, path: str) -> "ImpersonationRule":
        r = OptionReader(options, path)
        allow = r.str_list("allow")
        extra_affixes = r.str_list("affixes")
        min_similarity = r.number("min_similarity", 0.8, minimum=0.5)
        if isinstance(min_similarity, (int, float)) and min_similarity > 1:
            r.problem("min_similarity", f"must be at most 1, got {min_similarity}")
        min_fuzzy_length = r.number("min_fuzzy_length", 5, minimum=3, integer=True)
        young = r.number("young_account_days", 30, minimum=0)
        fake_support = r.bool("fake_support", True)
        check_names = r.bool("check_display_names", True)
        region = r.str("phone_region", "US")
        if isinstance(region, str) and region and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            r.problem("phone_region", f"unknown region {region!r}; use a two-letter country code like 'US'")
        phones = []
        for i, number in enumerate(r.str_list("official_phones")):
            try:
                parsed = phonenumbers.parse(number, (region or "US").upper())
                phones.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
            except phonenumbers.NumberParseException as e:
                r.problem(f"official_phones[{i}]", f"not a phone number: {number!r} ({e})")
        cache_size = r.number("cache_size", 65_536, minimum=0, integer=True)
        # With no [brand] there is nobody to imitate: the rule still runs (fake-support text)
        # but finds no impostor names; families are on by default, so this is not an error.
        r.finish()
        return cls(brand, allow=allow, extra_affixes=extra_affixes, min_similarity=float(min_similarity),
                   min_fuzzy_length=min_fuzzy_length, young_account_days=young, fake_support=fake_support,
                   check_display_names=check_names, phone_region=(region or "").upper() or None,
                   official_phones=phones, cache_size=cache_size)

    def is_official(self, comment: Comment) -> bool:
        handle = comment.author.handle
        return bool(handle) and _handle_id(handle) in self.official

    def _judge_author(self, platform: str, handle: str, name: str) -> AuthorVerdict:
        handle_match = None
        if handle and not (platform == "facebook" and handle.isdigit()):
            handle_match = self.matcher.match(handle, platform=platform)
        name_match = None
        if name and self.check_display_names:
            name_match = self.matcher.match(name, platform="")
        return AuthorVerdict(handle_match, name_match)

    def check(self, comment: Comment) -> list[Finding]:
        if self.is_official(comment):
            return []
        author = comment.author
        platform = comment.platform.lower()
        verdict = self.judge_author("x" if platform == "twitter" else platform, author.handle or "",
                                    author.name or "")
        age = _account_age_days(comment)
        young = age is not None and age < self.young_days
        findings = []
        for field, match in (("handle", verdict.handle), ("display_name", verdict.name)):
            if match is not None:
                findings.append(self._name_finding(comment, field, match, young, age))
        link_urls = [link.url for link in comment.links]
        possible = self.support_screen.patterns_to_run(comment.text, link_urls) if self.fake_support \
            else frozenset()
        if possible:
            signals = support_signals(comment.text, brand_domains=self.domains,
                                      phone_region=self.phone_region,
                                      official_phones=self.official_phones,
                                      link_urls=link_urls, brand_claim=self.brand_claim, only=possible)
            if signals.fires:
                imitated = verdict.handle or verdict.name
                findings.append(self._support_finding(signals, imitated, young, age))
        return findings

    def _name_finding(self, comment: Comment, field: str, match: NameMatch, young: bool,
                      age: float | None) -> Finding:
        target = match.target
        value = defang_name(((comment.author.handle if field == "handle" else comment.author.name)
                              or "")[:MAX_NAME_CHARS])
        if target.kind == "staff":
            rule = "impersonation.staff"
            # A bare name may be a namesake; the brand in the name or a disguise makes it deliberate.
            deliberate = match.affixes or set(match.techniques) & {"homoglyph", "leetspeak"}
            severity = Severity.HIGH if deliberate else Severity.MEDIUM
            what = f"staff member {target.label}"
        else:
            rule = f"impersonation.{field}"
            exact = match.similarity >= 1.0 and not target.needs_affix
            severity = Severity.HIGH if exact else Severity.MEDIUM
            what = f"official account @{target.label}" if target.kind == "handle" \
                else f"the brand {target.label}"
        if young:
            severity = _raise(severity, 1)
        evidence: dict[str, Any] = {
            "field": field, "value": value, "imitates": target.label,
            "imitates_kind": target.kind, "techniques": list(match.techniques),
            "similarity": match.similarity, "platform": comment.platform,
        }
        if match.affixes:
            evidence["affixes"] = list(match.affixes)
        if age is not None:
            evidence["account_age_days"] = round(age, 1)
            evidence["young_account"] = young
        how = ", ".join(match.techniques)
        shown = "display name" if field == "display_name" else "handle"
        reason = f"{shown} {value[:40]!r} imitates {what} ({how}, similarity {match.similarity:.2f})"
        return Finding(rule, Category.IMPERSONATION, severity, reason, evidence)

    def _support_finding(self, signals: SupportSignals, imitated: NameMatch | None, young: bool,
                         age: float | None) -> Finding:
        severity = Severity.MEDIUM
        if signals.strength >= 2 or signals.credential:
            severity = Severity.HIGH
        if imitated is not None:
            severity = _raise(severity, 1)
        if young:
            severity = _raise(severity, 1)
        evidence: dict[str, Any] = {
            "claims": list(signals.claim), "offers": list(signals.offer),
            "moves_to": list(signals.redirect), "asks_for": list(signals.credential),
            "contacts": list(signals.contacts),
        }
        if imitated is not None:
            evidence["author_imitates"] = imitated.target.label
        if age is not None:
            evidence["account_age_days"] = round(age, 1)
            evidence["young_account"] = young
        offered = ", ".join((*signals.claim, *signals.offer))
        acting = f" acting as support ({offered})" if offered else ""
        reason = f"non-official reply{acting} that moves the reader to {', '.join(signals.redirect)}"
        if signals.credential:
            reason += " and asks for account details"
        if imitated is not None:
            reason += f", from an account imitating {imitated.target.label}"
        return Finding("impersonation.fake_support", Category.IMPERSONATION, severity, reason, evidence)


def _handle_id(handle: str) -> str:
    """How platforms compare handles: case-insensitive, without u/ or @."""
    return strip_prefix(handle).casefold()


def _account_age_days(comment: Comment) -> float | None:
    created = comment.author.created_at
    if created is None or comment.created_at is None:
        return None
    try:
        return (comment.created_at - created).total_seconds() / 86400
    except TypeError:  # one aware, one naive datetime: unknown rather than wrong
        return None
