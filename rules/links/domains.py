"""Hosts and URLs: the Public Suffix List split, IDNA forms, parsed URLs, the data lists.

Registrable domains come from the bundled Public Suffix List (``rules.suffixes``; private
suffixes on, so ``evil.blogspot.com`` is its own site); nothing is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import idna

from rules.suffixes import split

DATA = Path(__file__).resolve().parents[1] / "data"
MAX_URL_CHARS = 2_048
IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")

# Country codes that are sold worldwide as generic names (and favoured by attackers): a brand
# with `cctld = true` is not assumed to own these.
_GENERIC_CCTLDS = frozenset("co io me tv cc ws ai to ly gg sh la fm am so vc nu tk ml ga cf gq pw "
                            "su ms mu bz cx gs im ac sc ag gl ps re st".split())


@lru_cache(maxsize=8)
def read_list(name: str) -> frozenset[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(l.strip().lower() for l in lines if l.strip() and not l.startswith("#"))


@lru_cache(maxsize=65536)
def split_domain(host: str) -> tuple[str, str, str]:
    """(subdomain, domain, suffix) of an ASCII host by the Public Suffix List."""
    return split(host)


def registrable(host: str) -> str:
    _, domain, suffix = split_domain(host)
    return f"{domain}.{suffix}" if domain and suffix else host


@dataclass(frozen=True, slots=True)
class ParsedURL:
    url: str
    host: str  # ASCII (punycode) lowercase
    unicode_host: str  # for display and skeletons
    subdomain: str  # unicode
    domain: str  # unicode, the label left of the public suffix
    suffix: str
    registrable: str  # ASCII
    port: int | None
    userinfo: bool
    path: str  # path + query, percent-decoded
    is_ip: bool
    bad_idna: bool



@lru_cache(maxsize=32768)
def host_forms(host: str) -> tuple[str, str, bool]:
    """(ASCII host, Unicode host, IDNA was malformed) for a host as written."""
    host = host.lower().rstrip(".")
    bad = False
    labels_ascii, labels_uni = [], []
    for label in host.split("."):
        if label.isascii() and not label.startswith("xn--"):
            labels_ascii.append(label)
            labels_uni.append(label)
            continue
        try:
            if label.startswith("xn--"):
                uni = idna.decode(label)
                labels_ascii.append(label)
                labels_uni.append(uni)
            else:
                labels_ascii.append(idna.encode(label, uts46=True).decode("ascii"))
                labels_uni.append(label)
        except (idna.IDNAError, UnicodeError, ValueError):
            bad = True
            try:
                uni = label.encode("ascii").decode("punycode") if label.startswith("xn--") else label
            except (UnicodeError, ValueError):
                uni = label
            try:
                asc = "xn--" + label.encode("punycode").decode("ascii") if not label.isascii() else label
            except (UnicodeError, ValueError):
                asc = label
            labels_ascii.append(asc)
            labels_uni.append(uni[5:] if uni.startswith("xn--") else uni)
    return ".".join(labels_ascii), ".".join(labels_uni), bad


def parse_url(url: str) -> ParsedURL | None:
    url = url.strip()[:MAX_URL_CHARS]
    if "://" not in url[:12]:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        raw_host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    if not raw_host or len(raw_host) > 253:
        return None
    host, unicode_host, bad = host_forms(raw_host)
    is_ip = bool(IPV4.fullmatch(host)) or ":" in host
    if is_ip:
        sub, dom, suffix, reg = "", host, "", host
    else:
        sub, dom, suffix = split_domain(host)
        if not dom or not suffix:
            return None
        reg = f"{dom}.{suffix}"
        n_sub = sub.count(".") + 1 if sub else 0
        uni_labels = unicode_host.split(".")
        if len(uni_labels) == len(host.split(".")):
            sub = ".".join(uni_labels[:n_sub])
            dom = uni_labels[n_sub]
    path = parts.path + ("?" + parts.query if parts.query else "")
    return ParsedURL(url=url, host=host, unicode_host=unicode_host, subdomain=sub, domain=dom,
                     suffix=suffix, registrable=reg, port=port, userinfo="@" in parts.netloc,
                     path=unquote(path)[:MAX_URL_CHARS], is_ip=is_ip, bad_idna=bad)



def is_country_suffix(suffix: str, generic_too: bool = False, dotcom_too: bool = True) -> bool:
    """``de``, ``co.uk``, ``com.br``: a country-code TLD, alone or under a generic second level
    (unless ``generic_too``, not one of the codes sold as generic names, like ``.co``, ``.io``;
    unless ``dotcom_too``, not under ``com.`` / ``net.`` / ``org.``, which pass for ``.com``)."""
    parts = suffix.split(".")
    if len(parts[-1]) != 2 or not parts[-1].isalpha():
        return False
    if parts[-1] in _GENERIC_CCTLDS and not generic_too:
        return False
    seconds = ("co", "com", "net", "org", "ne", "or", "gov", "ac") if dotcom_too else \
        ("co", "ne", "or", "gov", "ac")
    return len(parts) == 1 or (len(parts) == 2 and parts[0] in seconds)


def suffix_in(host: str, suffixes: frozenset[str]) -> str | None:
    """The entry of ``suffixes`` that is ``host`` or one of its parent domains."""
    while host:
        if host in suffixes:
            return host
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
    return None

