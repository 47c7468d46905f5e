"""Fake-support replies ("angler phishing"): text that claims to be support or offers help and
moves the reader elsewhere (DM, messenger apps, phone, e-mail, forms, links)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Container, Sequence

import regex

from moderator.models import Brand
from rules.impersonation.contacts import (EMAIL, URL_HOST, bare_hosts, defang, host_of, owned,
                                          phone_numbers)
from rules.impersonation.normalize import strip_prefix
from rules.impersonation.targets import GENERIC_WORDS
from rules.text import fold, unspace

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 5_000  # fake-support patterns look at the start of a comment only

# --- fake support -------------------------------------------------------------------------------
# Each pattern runs on folded text (lowercase, confusables undone) with bounded alternations only.
_CLAIM = {
    "support identity": r"\b(?:customer|technical|tech|client|account|social) ?(?:support|service|care|desk|"
                        r"relations|success)\b"
                        r"|\b(?:support|help|care|service|recovery|resolution|fraud|claims|security|billing|"
                        r"refund|complaints?) ?(?:team|desk|cent(?:er|re)|agents?|line|department|unit|"
                        r"officer|specialist)\b"
                        r"|\bhelp ?(?:desk|line)\b|\bofficial (?:support|help|team|page|account|agent)\b",
    "agent claim": r"\b(?:i am|i'm|im|we are|we're|this is|i work for|i work at|i handle) "
                   r"(?:an? |the |your |part of )?(?:\w+ )?(?:\w+ )?"
                   r"(?:agent|representative|rep|support|admin|moderator|customer care|specialist|officer)\b"
                   r"|\bour (?:\w+ )?(?:agents?|representatives?|specialists?|advisors?|staff|support|"
                   r"help ?desk|helpline|hotline)\b",
    # Security alerts speak with the bank's authority ("your card is blocked", "unusual activity
    # was detected", "fraud alert:"): issue #14. In the second person only: customers say "my".
    "security alert": r"\b(?:your|the) (?:\w+ )?(?:account|card|wallet|banking|access|profile|payment|"
                      r"login|transfer)(?: \w+)? (?:has been|have been|was|is|will be|got|is being) "
                      r"(?:temporarily |permanently |now |currently )?(?:blocked|suspended|locked|frozen|"
                      r"restricted|disabled|flagged|compromised|closed|deactivated|on hold|limited|"
                      r"terminated|hacked|used)\b"
                      r"|\b(?:suspicious|unusual|unauthori[sz]ed|fraudulent) (?:activity|login|sign.in|access|"
                      r"transaction|payment|charge|purchase)s? (?:was |were |has been |have been )?"
                      r"(?:detected|noticed|flagged|found|spotted|on your)\b"
                      r"|\b(?:we|our \w+) (?:detected|noticed|found|flagged) (?:an? |some )?(?:suspicious|unusual|"
                      r"unauthori[sz]ed|fraudulent)\b"
                      r"|^(?:security|fraud|account)? ?(?:alert|notice|warning)\b"
                      r"|\b(?:security|fraud) (?:alert|notice|warning)\s*[:!]"
                      r"|\bput (?:a|an) (?:hold|block|freeze|restriction) on your\b",
}
_OFFER = {
    "apology": r"\b(?:sorry|apologi[sz]e|apologies|regret) (?:for|about|to|that)? ?(?:the|any|this|that|your|"
               r"all the|you're|you are|to hear|to see)?"
               r" ?(?:inconvenience|trouble|issue|issues|experience|problem|problems|delay|frustration|"
               r"mix-up|hear|see)",
    "offer to help": r"\b(?:we|i)(?: would| will|'ll|'d| can| are| am|'re|'m)? (?:be )?(?:happy|glad|here|able|"
                     r"like|love|ready) to (?:help|assist|resolve|look into)"
                     r"|\b(?:can|will|could|may) (?:definitely )?(?:help|assist|guide) you\b"
                     r"|\bhelp you (?:with|out|further|resolve|get|recover|privately)\b"
                     r"|\bassist you\b|\bhere (?:to help|for you)\b|\bwe(?:'re| are) on it\b"
                     r"|\b(?:he|she|they) (?:helped|assisted) me\b|\bhelped me (?:recover|get)\b"
                     r"|\bthank you for your patience\b"
                     r"|\b(?:will|shall) (?:reach|contact|call|get back to) you\b",
    "resolution": r"\bfor (?:further|quick|immediate|fast|faster|more|prompt|swift|proper|urgent) "
                  r"(?:assistance|help|support|resolution|response|fix)"
                  r"|\b(?:resolve|fix|sort out|sort|rectify|investigate) (?:this|your|the|that|it)\b"
                  r"|\b(?:get|have) (?:this|it|your \w+) (?:resolved|fixed|sorted|recovered|restored|unlocked)"
                  r"|\b(?:recover|reverse|unlock|cancel|secure) (?:your|the) (?:account|funds|money|wallet|"
                  r"password|payment|transaction)"
                  r"|\b(?:refund|complaint|concern|issue|case) (?:has been|was|is) (?:approved|noted|"
                  r"received|escalated)|\bhas been escalated\b",
    "kindly": r"\bkindly\b",
}
_REDIRECT = {
    "dm": r"\b(?:dm|pm|inbox|message) (?:us|me|our|the)\b|\b(?:send|drop|shoot|sent) (?:us |me |them |you )?an? "
          r"(?:dm|pm|direct message|private message|message)\b|\bdirect message\b|\bprivate message\b"
          r"|\b(?:via|through|in|into|on|check) (?:the |your |my |our )?(?:dm|dms|pm|inbox)\b"
          r"|\bto (?:the |my |our )(?:dm|dms|pm|inbox)\b|\b(?:dm|pm|inbox) (?:your|us)\b"
          r"|\bdms? (?:are |is )?open\b|\bmessage (?:us |me )?privately\b|\bhelp you privately\b",
    "messenger app": r"\bwhats ?app\b|\btelegram\b|\bsignal (?:app|me|us|messenger|at|on)\b"
                     r"|\b(?:on|via|through) signal\b|\bwa\.me\b|\bt\.me\b|\bwechat\b|\bviber\b",
    "contact agent": r"\b(?:contact|reach|message|text|call|ring|write to|chat with|email|mail|connect with|"
                     r"get in touch with|respond to) (?:our|the|this|my|an|a|us|me|him|her) "
                     r"(?:\w+ )?(?:\w+ )?(?:agents?|support|team|representative|rep|manager|admin|help ?desk|"
                     r"hotline|helpline|specialist|officer|department|unit|hacker|expert|channel|email|"
                     r"mailbox|account|line|number|on|at|via|back)\b"
                     r"|\b(?:reach|contact|text|call|email) (?:us|me|them|him|her) (?:on|at|via|through|by)\b"
                     r"|\b(?:reach|contact|email|call|text) (?:us|me|him|her)\b"
                     r"|\b(?:send|forward) (?:a |an |your )?(?:\w+ )?(?:mail|email|e-mail|details)\b"
                     r"|\b(?:reachable|available) (?:on|at|via)\b|\bby (?:email|e-mail|phone) only\b",
    "form": r"\b(?:fill|complete) (?:out |in )?(?:the|this|our|a) (?:\w+ )?(?:form|survey|verification)\b"
            r"|\b(?:forms\.gle|docs\.google\.com/forms|typeform\.com|jotform\.com)\b",
    "link": r"\b(?:click|tap|use|visit|open|follow) (?:on )?(?:the|this|our) (?:\w+ )?(?:link|url|page|site|"
            r"portal)\b|\blink (?:in|on) (?:our|my) (?:bio|profile)\b"
            r"|\b(?:through|via|on|using) (?:our|this) (?:\w+ )?(?:portal|link|site|page|website)\b",
}
_CREDENTIAL = {
    "credentials": r"\baccount (?:number|no|details|info|information|credentials)\b|\bacct\b"
                   r"|\b(?:card|bank|login|banking|wallet) (?:details|number|info|information|credentials)\b"
                   r"|\b(?:pin|password|passcode|otp|one.time code|verification code|seed phrase|recovery phrase|"
                   r"private key|security code|cvv|social security|ssn|date of birth|dob|expiry date|"
                   r"username)\b|\blast (?:4|four) digits\b|\bregistered (?:phone|mobile|email)\b"
                   r"|\b(?:email|e-mail) linked to\b",
}
GROUPS = {
    name: {label: regex.compile(pattern) for label, pattern in group.items()}
    for name, group in (("claim", _CLAIM), ("offer", _OFFER), ("redirect", _REDIRECT),
                        ("credential", _CREDENTIAL))
}
REGEX_TIMEOUT = 0.05


BRAND_CLAIM = "speaks as the brand"  # the label of the brand's own claim pattern
CONCRETE_CHANNELS = frozenset({"messenger app", "phone number", "e-mail address", "form", "link"})


@dataclass(frozen=True, slots=True)
class SupportSignals:
    """What a comment's text does: claims/offers support, moves the reader elsewhere, asks secrets."""

    claim: tuple[str, ...] = ()
    offer: tuple[str, ...] = ()
    redirect: tuple[str, ...] = ()
    credential: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()  # phone numbers, e-mail addresses, hosts (defanged)

    @property
    def fires(self) -> bool:
        if not self.redirect:
            return False
        if self.offer or self.credential or set(self.claim) - {"support identity"}:
            return True
        # "the fraud team" alone is how customers talk too ("how do I contact the fraud team?"):
        # it counts only with a concrete channel to move to.
        return bool(self.claim) and bool(set(self.redirect) & CONCRETE_CHANNELS)

    @property
    def strength(self) -> int:
        """How many distinct signals beyond the minimum that makes the pattern."""
        return len(self.claim) + len(self.offer) + len(self.redirect) + len(self.credential) - 2


def brand_claim_pattern(brand: Brand) -> Any | None:
    """Text that speaks as the brand: "This is Acme Bank", "Acme support here", "Acme's fraud team"."""
    terms = {fold(brand.name)} if brand.name else set()
    for handle in brand.handles:
        terms.add(fold(strip_prefix(handle)))
    if brand.name:
        first = fold(brand.name).split(" ")[0]
        if len(first) >= 4 and first not in GENERIC_WORDS:
            terms.add(first)
    terms = {t for t in terms if len(t) >= 3}
    if not terms:
        return None
    names = "|".join(regex.escape(t) for t in sorted(terms, key=len, reverse=True))
    # A customer names the brand too ("Acme support is useless", "a text from Acme"), so the
    # brand counts as a claim only in the first person, or as a signature ("Acme Support here",
    # "Acme Bank help centre. We'll need ...", "- Acme Care").
    desk = (r"(?:official |social |customer |tech |technical |live |fraud |security )?"
            r"(?:support|care|help|team|agent|security|fraud|resolution|complaints|claims|relations|"
            r"service|desk|representative|staff)(?: (?:team|cent(?:er|re)|desk|line|unit))?")
    return regex.compile(
        rf"\b(?:this is|i'm from|i am from|we are|we're|greetings from|here at|i work for|i work at|"
        rf"calling from|writing from|on behalf of) (?:the )?(?:{names})\b"
        rf"|\b(?:{names}) here\b"
        rf"|\b(?:{names})(?:'s)? {desk}(?: here\b|\s*[:!.,|)\-]|\s*$)")


def support_signals(text: str, *, brand_domains: Sequence[str] = (), phone_region: str | None = "US",
                    link_urls: Sequence[str] = (), brand_claim: Any | None = None,
                    official_phones: frozenset[str] = frozenset(),
                    only: Container[str] | None = None) -> SupportSignals:
    """``only``: the labels of the patterns that could match (SupportScreen); the others are
    not searched. None searches them all."""
    text = text[:MAX_TEXT_CHARS]
    folded = fold(text)
    searched = [folded]
    joined = unspace(folded)  # "W h a t s A p p"
    if joined != folded:
        searched.append(joined)
    found: dict[str, list[str]] = {g: [] for g in GROUPS}
    for group, patterns in GROUPS.items():
        for label, pattern in patterns.items():
            if only is not None and label not in only:
                continue
            for view in searched:
                try:
                    if pattern.search(view, timeout=REGEX_TIMEOUT):
                        found[group].append(label)
                        break
                except TimeoutError:
                    logger.warning("impersonation: pattern %s timed out; treated as no match", label)
                    break
    if brand_claim is not None and (only is None or BRAND_CLAIM in only) \
            and any(_search(brand_claim, view) for view in searched):
        found["claim"].append(BRAND_CLAIM)
    contacts: list[str] = []
    phones = [p for p in phone_numbers(text, phone_region) if p not in official_phones]
    if phones:
        found["redirect"].append("phone number")
        contacts.extend(phones)
    emails = [e for e in EMAIL.findall(folded)
              if not any(e.endswith("@" + d) or e.endswith("." + d) for d in brand_domains)]
    if emails:
        found["redirect"].append("e-mail address")
        contacts.extend(defang(e) for e in emails[:3])
    hosts = [h.lower().rstrip(".") for h in URL_HOST.findall(text)]
    hosts += bare_hosts(EMAIL.sub(" ", folded))
    hosts += [host_of(u) for u in link_urls]
    foreign = [h for h in hosts if h and not owned(h, brand_domains)]
    if foreign:
        if any(h.endswith(("wa.me", "t.me", "telegram.me", "whatsapp.com")) for h in foreign):
            if "messenger app" not in found["redirect"]:
                found["redirect"].append("messenger app")
        elif any(h.endswith(("forms.gle", "typeform.com", "jotform.com")) or h == "docs.google.com"
                 for h in foreign):
            if "form" not in found["redirect"]:
                found["redirect"].append("form")
        if "link" not in found["redirect"]:
            found["redirect"].append("link")
        contacts.extend(defang(h) for h in foreign[:3])
    return SupportSignals(
        claim=tuple(found["claim"]), offer=tuple(found["offer"]),
        redirect=tuple(dict.fromkeys(found["redirect"])), credential=tuple(found["credential"]),
        contacts=tuple(dict.fromkeys(contacts)),
    )


def _search(pattern: Any, view: str) -> bool:
    try:
        return pattern.search(view, timeout=REGEX_TIMEOUT) is not None
    except TimeoutError:
        logger.warning("impersonation: brand pattern timed out; treated as no match")
        return False

