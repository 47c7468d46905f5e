"""Where a reply sends the reader: phone numbers, e-mail addresses, host names (and defanging them)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Sequence

import phonenumbers

from rules.suffixes import split

logger = logging.getLogger(__name__)

EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4}")
URL_HOST = re.compile(r"(?:https?://|www\.)([\w.-]{1,253})", re.IGNORECASE)
BARE_HOST = re.compile(r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,4}[a-z]{2,24}\b")


def bare_hosts(folded: str) -> list[str]:
    """Host names written without a scheme ("acme-support.com", "bit.ly/x") with a real suffix."""
    out = []
    for m in BARE_HOST.finditer(folded):
        _, domain, suffix = split(m.group(0), private=False)
        if domain and suffix:
            out.append(m.group(0))
        if len(out) >= 5:
            break
    return out


def phone_numbers(text: str, region: str | None) -> list[str]:
    if not enough_digits(text, region):
        return []  # the same answer, without the matcher's work
    out = []
    try:
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE,
                                                 max_tries=20):
            out.append(phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
            if len(out) >= 3:
                break
    except Exception:  # phonenumbers on hostile text: a missed number, never a crash
        logger.debug("impersonation: phone number scan failed", exc_info=True)
    return out


def host_of(url: str) -> str:
    m = URL_HOST.match(url)
    return m.group(1).lower().rstrip(".") if m else ""


def owned(host: str, domains: Sequence[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def defang_name(name: str) -> str:
    """A display name like "www.acme-help.com" would be a live link in the digest: defang it."""
    if URL_HOST.search(name) or bare_hosts(name.lower()):
        return defang(name)
    return name


def defang(value: str) -> str:
    return value.replace("http", "hxxp").replace(".", "[.]").replace("@", "[@]")



_DIGIT = re.compile(r"\d")  # what phonenumbers reads as a digit: any Unicode decimal digit


def enough_digits(text: str, region: str | None) -> bool:
    """Whether ``text`` holds enough digits for phonenumbers to find a possible number in it."""
    if text.isascii():
        digits = sum(text.count(d) for d in "0123456789")
    else:
        digits = len(_DIGIT.findall(text))
    return digits >= min_phone_digits(region)


# phonenumbers refuses national numbers shorter than two digits, and country codes have at least
# one: a number written with its country code holds at least three digits.
_SHORTEST_WITH_COUNTRY_CODE = 3


@lru_cache(maxsize=None)
def min_phone_digits(region: str | None) -> int:
    """The fewest digits of a text in which phonenumbers finds a possible number: a number in
    the default region's own format needs that region's shortest possible length, any other its
    country code too. National prefixes and extensions only add digits."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    if meta is None:
        return _SHORTEST_WITH_COUNTRY_CODE
    desc = meta.general_desc
    lengths = [n for n in (*(desc.possible_length or ()), *(desc.possible_length_local_only or ()))
               if n > 0]
    return min(_SHORTEST_WITH_COUNTRY_CODE, *lengths)
