"""Personal data in comments: e-mail addresses, phone numbers, payment cards, IBANs, national
identifiers, and a staff member's name next to a department, an address or a contact detail.

Cheap regexes (bounded repetition, no nesting) find candidates; real libraries decide:
``phonenumbers`` (libphonenumber metadata, with the account's default region) for phones, the
Luhn check plus issuer prefixes for cards, ``python-stdnum`` for IBANs and national numbers.
Every value leaves this module masked (``j***@example.com``, ``**** 1234``): evidence ends up in
logs and the digest, which must not repeat the data we hide.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import phonenumbers
from stdnum import iban, luhn
from stdnum.br import cpf
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.us import ssn

from rules.text import fold, strip_invisible

DETECTORS = ("email", "phone", "card", "iban", "national_id", "staff")

_EMAIL = re.compile(
    r"(?<![\w.%+'-])([a-z0-9][a-z0-9._%+'-]{0,63})\s?(?:@|\s?[\[(]\s?at\s?[\])]\s?)"
    r"((?:[a-z0-9-]{1,63}(?:\.|\s?[\[(]\s?dot\s?[\])]\s?)){1,8}[a-z]{2,24})(?![\w-])",
    re.IGNORECASE)
# What an address needs around its "@" (or "[at]"): a domain label and a dot (or "[dot]").
# Cheaper than _EMAIL, and a superset of it: @mentions and lone "@" skip the full pattern.
_EMAIL_HINT = re.compile(r"@\s?[a-z0-9-]{1,63}(?:\.|\s?[\[(]\s?dot)|[\[(]\s?at\s?[\])]",
                         re.IGNORECASE)
_SIX_DIGITS = re.compile(r"(?:\d\D*){6}")  # the numeric detectors need six digits at least
_DOT_WORD = re.compile(r"\s?[\[(]\s?dot\s?[\])]\s?", re.IGNORECASE)
# A run of digits with the separators people type in phone and card numbers.
_DIGIT_RUN = re.compile(r"(?<![\w+\-/.#])\+?\(?\d[\d \t().\-/]{5,28}\d(?![\w])")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_DATE_LIKE = re.compile(  # 2026-11-24, 24.11.2026, 11/24/26; not the "06.12.34.56" of a phone
    rf"(?<![\d.\-/])(?:(?:19|20)\d\d[-/.]{_DAY}[-/.]{_DAY}|{_DAY}[-/.]{_DAY}[-/.](?:19|20)?\d\d)"
    r"(?!\d|[-/.]\d)")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3}){2,}")  # 2.124.821.694 views, not a phone
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
# Nine bare digits (or 3 2 4 with spaces) count as a social security number only right after
# its name: alone they are order numbers and phone numbers.
_SSN_NAMED = re.compile(
    r"\b(?:social[ -]?security(?:[ -]?(?:number|no\.?|num|#))?|ssn|ss#|soc\.? ?sec\.?(?: ?(?:number|no\.?|#))?)"
    r"(?:\s?(?:is|was|=))?[\s:#.-]{0,4}(\d{9}|\d{3} \d{2} \d{4})(?!\d)", re.IGNORECASE)
_CPF = re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)")
_DNI = re.compile(r"(?<![\w-])\d{8}-?[A-Z](?!\w)", re.IGNORECASE)
_CODICE_FISCALE = re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b", re.IGNORECASE)
_NIR = re.compile(r"(?<!\d)[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}(?!\d)")
_AADHAAR = re.compile(r"(?<!\d)[2-9]\d{3} ?\d{4} ?\d{4}(?!\d)")
_ADDRESS = re.compile(
    r"\b\d{1,5}[a-z]?,? (?:[a-z'-]+ ){0,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|"
    r"boulevard|blvd|way|court|ct|place|pl|terrace|close|crescent)\b"
    r"|\b(?:rue|calle|via|avenida|strasse|straße|weg|platz) [a-z' -]{2,40}\d{1,4}\b"
    r"|\b[a-z]{3,30}(?:strasse|straße|weg|gasse|allee) \d{1,4}\b")

# Words that put a staff member's name next to where they can be found.
DEFAULT_STAFF_CONTEXT = (
    "lives at", "lives on", "lives in", "home address", "address is", "her address",
    "his address", "their address", "phone number", "cell number", "mobile number", "works at",
    "works in", "department", "dept", "branch", "office", "desk", "extension", "ext",
    "floor", "team", "her kids", "his kids", "license plate", "drives a",
)

# Issuer prefixes (IIN ranges) of the card networks people actually carry, with valid lengths.
_CARD_NETWORKS: tuple[tuple[str, Callable[[str], bool], tuple[int, ...]], ...] = (
    ("amex", lambda d: d[:2] in ("34", "37"), (15,)),
    ("visa", lambda d: d[0] == "4", (13, 16, 19)),
    ("mastercard", lambda d: 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720, (16,)),
    ("discover", lambda d: d[:4] == "6011" or d[:2] == "65" or 644 <= int(d[:3]) <= 649,
     (16, 19)),
    ("jcb", lambda d: 3528 <= int(d[:4]) <= 3589, (16, 19)),
    ("diners", lambda d: d[:2] in ("36", "38", "39") or 300 <= int(d[:3]) <= 305, (14, 16)),
    ("unionpay", lambda d: d[:2] == "62", (16, 17, 18, 19)),
    ("maestro", lambda d: d[:4] in ("5018", "5020", "5038", "6304", "6759", "6761", "6763"),
     (12, 13, 16, 19)),
)


@dataclass(frozen=True, slots=True)
class PiiHit:
    kind: str  # email | phone | card | iban | national_id | staff
    masked: str
    start: int  # span in the normalized text the detectors read
    end: int
    detail: str = ""  # card network, identifier type, staff context; E.164 of a phone (internal)


@dataclass(frozen=True, slots=True)
class PiiOptions:
    region: str = "US"
    detectors: tuple[str, ...] = DETECTORS
    allow: frozenset[str] = frozenset()  # published contacts, as allow_key() makes them
    allow_domains: tuple[str, ...] = ()  # the organization's own e-mail domains
    staff: tuple[str, ...] = ()
    staff_context: tuple[str, ...] = DEFAULT_STAFF_CONTEXT


def normalize(text: str) -> str:
    """NFKC without invisible characters: fullwidth digits and ＠ become ASCII, spans stay
    meaningful for the reader of the evidence. (ASCII text is already in that form.)"""
    if text.isascii():
        return text
    text = strip_invisible(text)  # a byte-order mark is often the only non-ASCII character
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def allow_key(contact: str, region: str) -> str:
    """How a published contact is compared: e-mails casefolded, phones in E.164."""
    if "@" in contact:
        return contact.strip().casefold()
    try:
        return phonenumbers.format_number(phonenumbers.parse(contact, region),
                                          phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return compact(contact)


def compact(value: str) -> str:
    return re.sub(r"[^0-9a-z@.+]", "", value.casefold())


def find_pii(text: str, options: PiiOptions, folded: str | None = None) -> list[PiiHit]:
    """Every piece of personal data in ``text``, masked, in order of position.

    ``folded``: ``rules.text.fold(text)`` if the caller has it (used for staff names)."""
    text = normalize(text)
    digits = ascii_digits(text)
    has_digits = _SIX_DIGITS.search(text) is not None if digits is None else digits >= 6
    if has_digits and digits is not None and "&#" in text:
        has_digits = digits - _entity_digits(text) >= 6
    may_email = may_hold_email(text)
    if not (has_digits or may_email or _may_name_staff(text, options, folded)):
        return []  # most comments: nothing any detector could find
    return _detect(text, options, folded, has_digits, may_email, digits)


def _detect(text: str, options: PiiOptions, folded: str | None, has_digits: bool,
            may_email: bool, digits: int | None) -> list[PiiHit]:
    """``find_pii`` on normalized text, past its gates: ``has_digits`` (six digits at least),
    ``may_email`` (``may_hold_email``), ``digits`` (``ascii_digits``)."""
    on = set(options.detectors)
    hits: list[PiiHit] = []
    taken: list[tuple[int, int]] = []

    def add(hit: PiiHit) -> None:
        hits.append(hit)
        taken.append((hit.start, hit.end))

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    if ("email" in on or "staff" in on) and may_email:
        for hit in _emails(text, options):
            add(hit)
    if has_digits:
        if "iban" in on:
            for hit in _ibans(text):
                add(hit)
        if "card" in on:
            for hit in _cards(text):
                if free(hit.start, hit.end):
                    add(hit)
        if "national_id" in on:
            for hit in _national_ids(text, digits):
                if free(hit.start, hit.end):
                    add(hit)
        if "phone" in on or "staff" in on:
            for hit in _phones(text, options.region):
                if free(hit.start, hit.end) and hit.detail not in options.allow:
                    add(hit)
    if "staff" in on and options.staff:
        add_staff = _staff_exposure(text, options, hits, folded)
        hits.extend(add_staff)
    if "email" not in on:
        hits = [h for h in hits if h.kind != "email"]
    if "phone" not in on:
        hits = [h for h in hits if h.kind != "phone"]
    return sorted(hits, key=lambda h: h.start)


def mask_email(local: str, domain: str) -> str:
    return f"{local[:1]}***@{domain}"


def mask_digits(value: str, keep: int = 4) -> str:
    digits = re.sub(r"\D", "", value)
    return "*" * max(0, len(digits) - keep) + digits[-keep:]


def _emails(text: str, options: PiiOptions) -> Iterable[PiiHit]:
    for m in _EMAIL.finditer(text):
        local, domain = m.group(1), _DOT_WORD.sub(".", m.group(2)).casefold()
        address = f"{local.casefold()}@{domain}"
        if address in options.allow or any(domain == d or domain.endswith("." + d)
                                           for d in options.allow_domains):
            continue
        yield PiiHit("email", mask_email(local, domain), m.start(), m.end())


def _ibans(text: str) -> Iterable[PiiHit]:
    for m in _IBAN.finditer(text.upper()):
        value = m.group(0).replace(" ", "")
        # The greedy match may run into the next word: try shorter prefixes down to 15.
        for length in range(len(value), 14, -1):
            if iban.is_valid(value[:length]):
                end = m.start()
                seen = 0
                while seen < length:  # map the compact length back onto the spaced text
                    if text[end] != " ":
                        seen += 1
                    end += 1
                yield PiiHit("iban", f"{value[:2]}{'*' * (length - 6)}{value[length - 4:length]}",
                             m.start(), end, value[:2])
                break


def _cards(text: str) -> Iterable[PiiHit]:
    for m in _DIGIT_RUN.finditer(text):
        raw = m.group(0)
        if re.search(r"[()./]", raw) or "  " in raw:
            continue  # card numbers are written with single spaces or dashes only
        digits = re.sub(r"\D", "", raw)
        if not 12 <= len(digits) <= 19 or not luhn.is_valid(digits):
            continue
        network = next((name for name, prefix, lengths in _CARD_NETWORKS
                        if len(digits) in lengths and prefix(digits)), None)
        if network:
            yield PiiHit("card", "**** " + digits[-4:], m.start(), m.end(), network)


def ascii_digits(text: str) -> int | None:
    """How many digits ASCII ``text`` holds; None for other text, where the patterns' digit
    class also matches other scripts' digits, which str.count would miss."""
    if not text.isascii():
        return None
    return len(text) - len(text.encode().translate(None, b"0123456789"))  # one pass, in C


# Tweets carry emoji as numeric character references (&#128514;): their digits sit between "#"
# and ";", which no digit pattern here takes in or crosses, and no match fits inside seven
# digits. Digits outside them are what the digit detectors need six of.
_ENTITY = re.compile(r"&#(\d{1,7});")


def _entity_digits(text: str) -> int:
    return sum(map(len, _ENTITY.findall(text)))


def may_hold_email(text: str) -> bool:
    """``_EMAIL_HINT.search(text)``, skipped where none of the characters it needs is there."""
    return ("@" in text or "[" in text or "(" in text) and _EMAIL_HINT.search(text) is not None


def _national_ids(text: str, digits: int | None = None) -> Iterable[PiiHit]:
    # Each pattern needs a number of digits (and some a "-" or "."): where the text cannot hold
    # one, its scan is skipped (``digits``: ascii_digits(text) if the caller has it).
    if digits is None:
        digits = ascii_digits(text)
    if digits is None:
        digits = len(text)  # not counted: every pattern is tried
    if digits >= 9:
        for m in _SSN_NAMED.finditer(text):
            if ssn.is_valid(m.group(1).replace(" ", "")):
                yield PiiHit("national_id", mask_digits(m.group(1), 2), m.start(1), m.end(1),
                             "us.ssn")
    checks = (
        (_SSN, ssn.is_valid, "us.ssn", digits >= 9 and "-" in text),
        (_CPF, cpf.is_valid, "br.cpf", digits >= 11 and "-" in text and "." in text),
        (_DNI, dni.is_valid, "es.dni", digits >= 8),
        (_CODICE_FISCALE, codicefiscale.is_valid, "it.codicefiscale", digits >= 7),
        (_NIR, nir.is_valid, "fr.nir", digits >= 12),
        (_AADHAAR, aadhaar.is_valid, "in.aadhaar", digits >= 12),
    )
    for pattern, is_valid, name, possible in checks:
        if not possible:  # a character every match holds is missing: skip the scan
            continue
        for m in pattern.finditer(text):
            value = m.group(0)
            try:
                ok = is_valid(value.upper())
            except Exception:  # a validator choking on odd input is a non-match
                ok = False
            if ok:
                yield PiiHit("national_id", mask_digits(value, 2), m.start(), m.end(), name)


def _phones(text: str, region: str) -> Iterable[PiiHit]:
    for m in _DIGIT_RUN.finditer(text):
        raw = m.group(0).strip()
        if _DATE_LIKE.search(raw) or _THOUSANDS.fullmatch(raw):
            continue
        digits = re.sub(r"\D", "", raw)
        if not 7 <= len(digits) <= 15:
            continue
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        code = f"+{number.country_code} " if raw.startswith("+") else ""
        yield PiiHit("phone", code + mask_digits(str(number.national_number), 2),
                     m.start(), m.start() + len(raw),
                     phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@lru_cache(maxsize=1024)
def _folded_name(name: str) -> str:
    return fold(name)


def _may_name_staff(text: str, options: PiiOptions, folded: str | None) -> bool:
    """Whether the staff check could find a name (the folded text holds one as a substring)."""
    if not options.staff or "staff" not in options.detectors:
        return False
    folded = fold(text) if folded is None else folded
    return any(key and key in folded for key in map(_folded_name, options.staff))


def _staff_exposure(text: str, options: PiiOptions, contacts: Sequence[PiiHit],
                    folded: str | None) -> list[PiiHit]:
    """A configured staff member named together with a way to find them."""
    folded = fold(text) if folded is None else folded
    hits = []
    for name in options.staff:
        key = _folded_name(name)
        if not key or key not in folded:
            continue
        m = re.search(r"(?<!\w)" + re.escape(key) + r"(?!\w)", folded) if key else None
        if m is None:
            continue
        context = next((w for w in options.staff_context
                        if re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", folded)), None)
        if context is None and contacts:
            context = contacts[0].kind
        if context is None and _ADDRESS.search(folded):
            context = "address"
        if context is not None:
            hits.append(PiiHit("staff", name, m.start(), m.end(), context))
    return hits
