"""Suspicious links: lookalike and homograph domains, threat feeds, shorteners, weak signals.

For each comment the rule gathers the links (those the platform already resolved, and those
found in the text: scheme-less, ``www.``, defanged, Markdown, HTML, IDN), parses each with the
Public Suffix List (private suffixes on, so ``evil.blogspot.com`` is its own site), and raises:

- ``links.threat_feed``  the URL or its host is in a loaded threat feed;
- ``links.blocklist``    the host is in the configured blocklist;
- ``links.lookalike``    the domain imitates a protected brand: homoglyphs / mixed scripts (TR39
  skeleton), typos (edit distance 1: omission, insertion, repetition, replacement, transposition,
  vowel swap, bit flip), hyphenation, affixes (``paypal-login``), TLD swaps, the brand as a
  subdomain (``paypal.com.verify-id.top``) or in the path of a free host
  (``sites.google.com/view/acme-support``);
- ``links.mismatch``     the visible text of a link names another domain than its target;
- ``links.shortener``    a URL shortener whose destination is unknown (or resolved, when the
  daemon injects a resolver);
- ``links.suspicious``   weak signals that add up (raw IP, port, ``@`` in the authority, many
  subdomains, abuse-heavy TLD, free hosting, executable download, credential wording).

Never flagged by lookalike alone: the brand's own domains, the allowlist, the domains the built-in
brands own and a built-in list of popular sites (``rules/data/popular.txt``).

For the daemon: ``rule.settings.feed_specs`` lists the configured feeds (name, path, url, format,
refresh_minutes); after downloading one, build a ``FeedIndex`` with ``rules.feeds.load_feed`` (a
path or the text), merge them with ``FeedIndex.merge`` and swap in ``rule.with_feeds(index)``.
``rule.with_resolver(rules.feeds.head_resolver(s.resolve_timeout, s.resolve_max_hops))``
(``s = rule.settings``) turns on shortener resolution when ``resolve_shorteners = true``. Both return a new rule; the old one is untouched.
"""

from __future__ import annotations

import html
import logging
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, Mapping
from urllib.parse import unquote, urlsplit

import idna
import tldextract

from moderator.errors import ConfigError
from moderator.models import Brand, Category, Comment, Finding, Severity
from moderator.options import OptionReader
from moderator.render import defang_url as defang  # readable, not clickable
from rules.base import PerCommentRule
from rules.feeds import FORMATS, FeedIndex, load_feed
from rules.text import skeleton, strip_invisible

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
MAX_SCAN_CHARS = 100_000  # the pipeline truncates earlier; this bounds us on our own
MAX_URL_CHARS = 2_048

# --------------------------------------------------------------------------------------------
# Data files


@lru_cache(maxsize=8)
def _read_list(name: str) -> frozenset[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(l.strip().lower() for l in lines if l.strip() and not l.startswith("#"))


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # The bundled Public Suffix List snapshot; never downloads.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 include_psl_private_domains=True)


@lru_cache(maxsize=65536)
def split_domain(host: str) -> tuple[str, str, str]:
    """(subdomain, domain, suffix) of an ASCII host by the Public Suffix List."""
    ext = _extractor()(host)
    return ext.subdomain, ext.domain, ext.suffix


def registrable(host: str) -> str:
    _, domain, suffix = split_domain(host)
    return f"{domain}.{suffix}" if domain and suffix else host


# --------------------------------------------------------------------------------------------
# URL extraction

_GATE = re.compile(r"[.\u3002\uff0e\uff61\u2024\ufe52]|dot|://|&#", re.IGNORECASE)
_DEFANG_HINT = re.compile(r"hxxp|\[\.\]|\(\.\)|\{\.\}|[\[({]dot[\])}]|\[:\]|\bdot\b|:/ /|\[/\]",
                          re.IGNORECASE)
_DEFANGS = (
    (re.compile(r"\bh(?:xx|\*\*|XX|xX|Xx)p(s?)(?=\s*(?:\[:\]|:))", re.IGNORECASE), r"http\1"),
    (re.compile(r"\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s?", re.IGNORECASE), "."),
    (re.compile(r"\[:\]//|\[://\]|\[:/\]/"), "://"),
    (re.compile(r"\[/\]"), "/"),
    (re.compile(r"\[:\]"), ":"),
    # "evil dot com": only before a common TLD, so "a dot on the map" stays text.
    (re.compile(r"\b([a-z0-9][a-z0-9\-]{0,62})\s+dot\s+(com|net|org|info|biz|io|co|me|app|xyz|top|"
                r"online|site|shop|live|ru|uk|de|fr|es|it|nl|us|ca|in|br|cn|tk|ml|ga|cf|gq)\b",
                re.IGNORECASE), r"\1.\2"),
)
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": ".", "\u2024": ".", "\ufe52": "."})

# One pass finds scheme URLs and bare hosts. Labels are letters/digits/hyphens (Unicode letters for
# IDN); the label and dot alternation is deterministic, so the scan is linear in the text.
_URL = re.compile(
    r"(?<![\w@.\-/])"
    r"(?:(?P<scheme>https?|ftp|hxxps?)://(?P<userinfo>[^\s/@<>\"'\[\]]{1,64}@)?)?"
    r"(?P<host>(?:[^\W_][\w\-]{0,62}\.){1,10}(?:[^\W\d_]{2,24}|xn--[a-z0-9\-]{1,59})"
    r"|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?![\w\-])"
    r"(?P<port>:\d{1,5})?"
    r"(?P<rest>[/?#][^\s<>\"'`]{0,2048})?",
    re.IGNORECASE,
)
_MARKDOWN = re.compile(r"\[([^\[\]\n]{1,300})\]\(\s*<?([^\s()<>]{1,2048})>?\s*\)")
_ANCHOR = re.compile(r"<a\b[^>]{0,1000}?\bhref\s*=\s*[\"']?([^\"'\s>]{1,2048})[^>]{0,1000}>"
                     r"([^<]{0,500})</a\s*>", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*_~>"


@dataclass(frozen=True, slots=True)
class FoundLink:
    url: str  # with a scheme (http:// added to scheme-less hosts)
    display: str | None = None  # the visible text (Markdown, HTML, platform display_url)
    source: str = "text"  # text | markdown | html | platform | resolved
    defanged: bool = False  # was written defanged in the comment


def extract_links(text: str, *, limit: int = 50) -> list[FoundLink]:
    """Links in free text, at most ``limit`` distinct ones, in order of appearance."""
    if not text or not _GATE.search(text):
        return []
    text = text[:MAX_SCAN_CHARS]
    if "&" in text:
        text = html.unescape(text)
    text = strip_invisible(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_DOTS))
    defanged = bool(_DEFANG_HINT.search(text))
    if defanged:
        for pattern, repl in _DEFANGS:
            text = pattern.sub(repl, text)

    found: dict[str, FoundLink] = {}
    displays: dict[str, tuple[str, str]] = {}
    for pattern, source in ((_MARKDOWN, "markdown"), (_ANCHOR, "html")):
        if source == "markdown" and "](" not in text or source == "html" and "<a" not in text.lower():
            continue
        for m in pattern.finditer(text):
            target, visible = (m.group(2), m.group(1)) if source == "markdown" else m.groups()
            displays.setdefault(_with_scheme(target.strip()), (visible.strip(), source))

    for m in _URL.finditer(text):
        url = _clean(m)
        if url is None:
            continue
        display, source = displays.get(url, (None, "text"))
        if url not in found:
            found[url] = FoundLink(url, display, source, defanged)
            if len(found) >= limit:
                break
    # Markdown / HTML targets the scan missed (relative or odd ones are dropped by _clean later).
    for url, (display, source) in displays.items():
        if url not in found and len(found) < limit and _URL.match(url.split("://", 1)[-1]):
            found[url] = FoundLink(url, display, source, defanged)
    return list(found.values())


def _with_scheme(url: str) -> str:
    return url if "://" in url[:12] else "http://" + url


def _clean(m: re.Match[str]) -> str | None:
    scheme, host = m.group("scheme"), m.group("host")
    if _IPV4.fullmatch(host):  # an IPv4 address: real octets, and no bare "2.124.821.694 views"
        if any(int(octet) > 255 for octet in host.split(".")):
            return None
        if not scheme and not (m.group("port") or m.group("rest")):
            return None
    elif not scheme:
        tld = host.rsplit(".", 1)[-1]
        # "great song.Love it": a capitalized word glued to a period is a sentence, not a TLD.
        if tld[:1].isupper() and not tld.isupper():
            return None
    rest = m.group("rest") or ""
    # Trailing punctuation and unbalanced closing brackets belong to the sentence.
    while rest:
        last = rest[-1]
        if last in _TRAILING:
            rest = rest[:-1]
        elif last in ")]}" and rest.count(last) > rest.count({")": "(", "]": "[", "}": "{"}[last]):
            rest = rest[:-1]
        else:
            break
    scheme = (scheme or "http").lower().replace("hxxp", "http")
    return f"{scheme}://{m.group('userinfo') or ''}{host}{m.group('port') or ''}{rest}"


# --------------------------------------------------------------------------------------------
# URL parsing


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


_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


@lru_cache(maxsize=32768)
def _host_forms(host: str) -> tuple[str, str, bool]:
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
    host, unicode_host, bad = _host_forms(raw_host)
    is_ip = bool(_IPV4.fullmatch(host)) or ":" in host
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


# --------------------------------------------------------------------------------------------
# Brands and lookalikes


@dataclass(frozen=True, slots=True)
class BrandEntry:
    name: str
    domains: tuple[str, ...]  # registrable, ASCII
    cctld: bool | str = False  # True: owns <label>.<ccTLD>; "all": even the generic-use ones
    keywords: tuple[str, ...] = ()  # matched inside labels
    tokens: tuple[str, ...] = ()  # matched as whole label parts only
    own: bool = False  # the organization's own brand: every domain label is a name


@dataclass(frozen=True, slots=True)
class Lookalike:
    brand: str
    brand_domain: str
    technique: str
    similarity: float
    where: str  # domain | subdomain | path


# Lookalike characters inside ASCII, applied to both sides before comparing: rn->m, vv->w,
# cl->d, and digits / i / | that pass for letters.
_ASCII_GLYPHS = (("rn", "m"), ("rr", "m"), ("nn", "m"), ("vv", "w"), ("uu", "w"), ("cl", "d"),
                 ("dl", "d"), ("lc", "k"), ("lk", "k"), ("lb", "b"), ("ib", "b"))
_COLLAPSE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "3": "e", "4": "a", "5": "s",
                           "7": "t", "8": "b", "9": "g", "6": "b", "q": "g", "c": "e", "-": None})
FUZZY_MIN = 6  # names this long match at edit distance 1; shorter ones hit real words
LONG_NAME = 9  # names this long also match at edit distance 2 ("microsesoft", "wellsfərqo")
_PARTS = re.compile(r"[^a-z]+")
_VOWELS = set("aeiouy")
# Country codes that are sold worldwide as generic names (and favoured by attackers): a brand
# with `cctld = true` is not assumed to own these.
_GENERIC_CCTLDS = frozenset("co io me tv cc ws ai to ly gg sh la fm am so vc nu tk ml ga cf gq pw "
                            "su ms mu bz cx gs im ac sc ag gl ps re st".split())


def collapse(text: str) -> str:
    for a, b in _ASCII_GLYPHS:
        text = text.replace(a, b)
    return text.translate(_COLLAPSE)


@lru_cache(maxsize=16384)
def _views(label: str) -> tuple[tuple[str, str], ...]:
    """Comparable ASCII views of one host label, each with the technique it undoes."""
    skel = skeleton(label).lower()
    out = {"plain": label}
    if skel != label:
        out["homoglyph"] = skel
    base = skel.replace("-", "")
    if base != skel:
        out.setdefault("hyphenation", base)
    return tuple(out.items())


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _osa(a: str, b: str, limit: int = 1) -> int:
    """Optimal string alignment distance, stopping early once above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _typo_kind(seen: str, name: str) -> str:
    if len(seen) < len(name):
        return "omission"
    if len(seen) > len(name):
        i = next((k for k in range(len(name)) if seen[k] != name[k]), len(name))
        return "repetition" if i > 0 and seen[i] == seen[i - 1] else "insertion"
    diff = [k for k in range(len(name)) if seen[k] != name[k]]
    if len(diff) == 2:
        return "transposition"
    a, b = seen[diff[0]], name[diff[0]]
    if a in _VOWELS and b in _VOWELS:
        return "vowel-swap"
    if bin(ord(a) ^ ord(b)).count("1") == 1:
        return "bitsquatting"
    return "replacement"


@dataclass(frozen=True, slots=True)
class _Name:
    brand: BrandEntry
    domain: str  # the brand domain it stands for
    inside: bool  # may match inside a label ("paypallogin"); else only as a whole label part
    fuzzy: bool  # edit distance 1 counts


class BrandIndex:
    """The protected brands, ready for matching hosts against them.

    Names come from each brand's ``keywords`` (matched inside labels, typos count when 6+
    letters) and ``tokens`` (whole label parts only); a brand with neither uses the label of its
    first domain. The organization's own brand (``[brand]``) uses all its domains' labels.
    """

    def __init__(self, brands: Iterable[BrandEntry], popular: Iterable[str] = (),
                 allow: Iterable[str] = ()):
        self.brands = tuple(brands)
        self.owner: dict[str, set[str]] = {}
        self.cctld_labels: dict[str, dict[str, bool]] = {}  # label -> {brand: also generic}
        self.names: dict[str, _Name] = {}
        for b in self.brands:
            for d in b.domains:
                self.owner.setdefault(d, set()).add(b.name)
                if b.cctld:
                    self.cctld_labels.setdefault(split_domain(d)[1], {})[b.name] = b.cctld == "all"
            for name, inside in self._names_of(b):
                if name and name not in self.names:
                    self.names[name] = _Name(b, self._domain_for(b, name), inside,
                                             inside and len(name) >= FUZZY_MIN)
        self.popular = frozenset(popular)
        self.allow = frozenset(allow)
        self.collapsed: dict[str, str] = {}
        for n in self.names:
            self.collapsed.setdefault(collapse(n), n)
        self.inside = tuple(n for n, e in self.names.items() if e.inside)
        self.inside_collapsed = tuple((n, collapse(n)) for n in self.inside if len(n) >= 5)
        self.collapsed_name = {n: collapse(n) for n in self.names}
        self.tokens = frozenset(n for n, e in self.names.items() if not e.inside and len(n) >= 3)
        # Symmetric-delete index for edit distance 1: every name and its one-letter deletions.
        self.near: dict[str, set[str]] = {}
        for n, e in self.names.items():
            if e.fuzzy:
                for form in {n, collapse(n)}:
                    keys = _deletes(form) | {form}
                    if len(n) >= LONG_NAME:
                        keys |= {k2 for k in _deletes(form) for k2 in _deletes(k)}
                    for key in keys:
                        self.near.setdefault(key, set()).add(n)

    @staticmethod
    def _names_of(b: BrandEntry) -> list[tuple[str, bool]]:
        names = [(k, True) for k in b.keywords] + [(t, False) for t in b.tokens]
        if b.own or not names:
            labels = [split_domain(d)[1].replace("-", "") for d in b.domains[:None if b.own else 1]]
            names += [(l, len(l) >= 6) for l in labels if len(l) >= 3 and not l.isdigit()]
        return names

    @staticmethod
    def _domain_for(b: BrandEntry, name: str) -> str:
        for d in b.domains:
            if split_domain(d)[1].replace("-", "") == name:
                return d
        return b.domains[0] if b.domains else ""

    def owned(self, reg: str, suffix: str, domain: str) -> set[str]:
        owners = set(self.owner.get(reg, ()))
        for brand, generic_too in self.cctld_labels.get(domain, {}).items():
            if _is_country_suffix(suffix, generic_too):
                owners.add(brand)
        return owners

    def protected(self, p: ParsedURL) -> bool:
        return p.registrable in self.popular or bool(self.owned(p.registrable, p.suffix, p.domain))

    def allowed(self, host: str) -> bool:
        return _suffix_in(host, self.allow) is not None

    def match(self, p: ParsedURL, free_host: bool) -> Lookalike | None:
        """The strongest brand imitation in this URL's host, if any."""
        if p.is_ip:
            return None
        owners = self.owned(p.registrable, p.suffix, p.domain)
        protected = p.registrable in self.popular or bool(owners)
        if not protected:
            hit = self._match_label(p.domain.lower(), owners, "domain") or self._match_split(p, owners)
            if hit:
                return hit
        if p.subdomain and (free_host or not protected):
            hit = self._match_embedded(p, owners)
            if hit:
                return hit
            for label in p.subdomain.lower().split("."):
                if label not in ("www", "m", "mail", "login", "secure", "account"):
                    hit = self._match_label(label, owners, "subdomain")
                    if hit:
                        return hit
        return None

    def _hit(self, name: str, owners: set[str], technique: str, similarity: float,
             where: str) -> Lookalike | None:
        e = self.names[name]
        if e.brand.name in owners:
            return None
        if where == "subdomain":
            technique = "brand-subdomain"
        return Lookalike(e.brand.name, e.domain, technique, similarity, where)

    def _match_label(self, label: str, owners: set[str], where: str) -> Lookalike | None:
        views = _views(label)
        return (self._match_name(views, owners, where)
                or (self._match_typo(views, owners) if where == "domain" else None)
                or self._match_affix(views, owners, where))

    def _match_name(self, views: tuple[tuple[str, str], ...], owners: set[str],
                    where: str) -> Lookalike | None:
        """The brand's name itself, disguised or not ("paypal.top", "pаypal.com", "pay-pal.com")."""
        for technique, view in views:
            if view in self.names:
                hit = self._hit(view, owners, "tld-swap" if technique == "plain" else technique,
                                1.0, where)
                if hit:
                    return hit
        for _, view in views:
            squashed = collapse(view)
            if squashed in self.collapsed:
                hit = self._hit(self.collapsed[squashed], owners, "homoglyph", 1.0, where)
                if hit:
                    return hit
        return None

    def _match_typo(self, views: tuple[tuple[str, str], ...],
                    owners: set[str]) -> Lookalike | None:
        """Edit distance 1 (2 for long names) from a name: symmetric-delete candidates, checked."""
        forms = [(t, v.replace("-", "")) for t, v in views]
        forms.append(("collapsed", collapse(forms[-1][1])))
        for technique, flat in forms:
            candidates = set(self.near.get(flat, ()))
            deletes = _deletes(flat)
            for key in deletes:
                candidates |= self.near.get(key, set())
            if len(flat) >= LONG_NAME - 1:
                for key in {k2 for k in deletes for k2 in _deletes(k)}:
                    candidates |= self.near.get(key, set())
            for name in sorted(candidates):
                target = self.collapsed_name[name] if technique == "collapsed" else name
                distance = _osa(flat, target, 2 if len(name) >= LONG_NAME else 1)
                if distance == 1 or (distance == 2 and len(name) >= LONG_NAME):
                    kind = ("homoglyph" if technique != "plain" else
                            _typo_kind(flat, name) if distance == 1 else "double-typo")
                    hit = self._hit(name, owners, kind, round(1 - distance / len(name), 2),
                                    "domain")
                    if hit:
                        return hit
        return None

    def _match_affix(self, views: tuple[tuple[str, str], ...], owners: set[str],
                     where: str) -> Lookalike | None:
        """The name plus words ("paypal-login", "securepaypal", "paypal365")."""
        for _, view in views:
            for part in _PARTS.split(view):
                if part in self.tokens:
                    hit = self._hit(part, owners, "affix", round(len(part) / len(view), 2), where)
                    if hit:
                        return hit
            flat = view.replace("-", "")
            for name in self.inside:
                if name in flat:
                    hit = self._hit(name, owners, "affix", round(len(name) / len(flat), 2), where)
                    if hit:
                        return hit
            squashed = collapse(flat)
            for name, squashed_name in self.inside_collapsed:
                if squashed_name in squashed:
                    hit = self._hit(name, owners, "affix", round(len(name) / len(flat), 2), where)
                    if hit:
                        return hit
        return None

    def _match_embedded(self, p: ParsedURL, owners: set[str]) -> Lookalike | None:
        """A brand's whole domain inside a foreign host: ``crypto.com.verify-id.top``."""
        labels = skeleton(p.subdomain).lower().split(".")
        for i in range(len(labels) - 1):
            for j in range(i + 2, min(i + 4, len(labels)) + 1):
                domain = ".".join(labels[i:j])
                for brand in self.owner.get(domain, ()):
                    if brand not in owners:
                        return Lookalike(brand, domain, "brand-subdomain", 1.0, "subdomain")
        return None

    def _match_split(self, p: ParsedURL, owners: set[str]) -> Lookalike | None:
        """``pay.pal.com``: the brand name split by a dot into subdomain and domain."""
        if not p.subdomain:
            return None
        labels = [l for l in p.subdomain.lower().split(".") if l != "www"]
        if not labels or len(labels) > 2:
            return None
        joined = skeleton("".join(labels) + p.domain.lower()).lower().replace("-", "")
        if joined in self.names:
            return self._hit(joined, owners, "subdomain-split", 1.0, "domain")
        return None

    def in_path(self, p: ParsedURL, owners: set[str]) -> Lookalike | None:
        low = p.path.lower()
        if len(low) < 5:
            return None
        for part in _PARTS.split(low):
            if len(part) < 4:
                continue
            if part in self.names:
                hit = self._hit(part, owners, "brand-path", 1.0, "path")
                if hit:
                    return hit
            for name in self.inside:
                if len(name) >= 5 and name in part:
                    hit = self._hit(name, owners, "brand-path", round(len(name) / len(part), 2),
                                    "path")
                    if hit:
                        return hit
        return None


def _is_country_suffix(suffix: str, generic_too: bool = False) -> bool:
    """``de``, ``co.uk``, ``com.br``: a country-code TLD, alone or under a generic second level
    (unless ``generic_too``, not one of the codes sold as generic names, like ``.co``, ``.io``)."""
    parts = suffix.split(".")
    if len(parts[-1]) != 2 or not parts[-1].isalpha():
        return False
    if parts[-1] in _GENERIC_CCTLDS and not generic_too:
        return False
    return len(parts) == 1 or (len(parts) == 2 and parts[0] in ("co", "com", "net", "org", "ne",
                                                                 "or", "gov", "ac"))


@lru_cache(maxsize=1)
def builtin_brands() -> tuple[BrandEntry, ...]:
    data = tomllib.loads((DATA / "brands.toml").read_text(encoding="utf-8"))
    return tuple(_brand_entry(b) for b in data.get("brand", []))


def load_brands_file(path: str | Path) -> tuple[BrandEntry, ...]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(_brand_entry(b) for b in data.get("brand", []))


def _brand_entry(b: Mapping[str, Any]) -> BrandEntry:
    domains = tuple(dict.fromkeys(registrable(d.lower().strip()) for d in b.get("domains", ())))
    cctld = b.get("cctld", False)
    return BrandEntry(name=b["name"], domains=domains, cctld=cctld if cctld == "all" else bool(cctld),
                      keywords=tuple(k.lower() for k in b.get("keywords", ())),
                      tokens=tuple(t.lower() for t in b.get("tokens", ())))


def brand_from_config(brand: Brand) -> BrandEntry | None:
    """The organization's own brand (``[brand]``): its domains and their labels."""
    domains = tuple(dict.fromkeys(registrable(_host_forms(d.strip().lower())[0])
                                  for d in brand.domains if d.strip()))
    if not domains:
        return None
    # The organization's name is a name attackers use too ("Acme Bank" -> acmebank-help.top).
    squashed = re.sub(r"[^a-z0-9]", "", skeleton(brand.name).lower())
    keywords = (squashed,) if len(squashed) >= 6 else ()
    return BrandEntry(name=brand.name or domains[0], domains=domains, own=True, keywords=keywords)


# --------------------------------------------------------------------------------------------
# Weak signals

_EXECUTABLE = re.compile(r"\.(?:exe|scr|msi|bat|cmd|com|pif|vbs|js|jar|apk|dmg|pkg|iso|img|zip|rar|"
                         r"7z|tar|gz|xz|lnk|hta|ps1|xll|xlsm|docm)$", re.IGNORECASE)
_CREDENTIALS = re.compile(
    r"verify (?:your|the) (?:account|identity|wallet|details)|confirm (?:your|the) "
    r"(?:account|identity|details|payment|wallet)|(?:log|sign) ?in (?:to|now to|here to) "
    r"(?:avoid|prevent|restore|keep|unlock|claim|secure|verify|confirm)|suspen(?:ded|sion)|"
    r"(?:account|wallet) (?:is |has been |will be )?(?:locked|limited|disabled|blocked|restricted|"
    r"compromised)|unlock your|update your (?:payment|billing|account|details|information|card)|"
    r"reactivate|restore (?:your )?access|unusual (?:activity|sign.?in|login)|security alert|"
    r"claim your (?:reward|prize|refund|airdrop|gift)|recovery phrase|seed phrase|secret phrase|"
    r"validate your|connect your wallet|wallet (?:sync|validation|rectification)|"
    r"enter your (?:password|pin|card)|(?:dm|message|contact) (?:our )?(?:support|help ?desk)",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Signals:
    score: int
    reasons: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# The rule


@dataclass(frozen=True, slots=True)
class LinksSettings:
    resolve_shorteners: bool = False
    resolve_timeout: float = 3.0
    resolve_max_hops: int = 5
    score_medium: int = 3
    score_high: int = 5
    max_links: int = 50
    check_path: bool = True
    lookalike_severity: Severity = Severity.HIGH
    shortener_severity: Severity = Severity.LOW
    mismatch_severity: Severity = Severity.MEDIUM
    feed_specs: tuple[Mapping[str, str], ...] = ()  # as configured, for the daemon's refresh


Resolver = Callable[[str], "str | None"]
_DOMAIN_ENTRY = re.compile(r"(?:[^\W_][\w\-]{0,62}\.)+[^\W\d_][\w\-]{0,62}\.?")


class LinksRule(PerCommentRule):
    family: ClassVar[str] = "links"

    def __init__(self, brands: BrandIndex, *, settings: LinksSettings = LinksSettings(),
                 feeds: FeedIndex = FeedIndex(), blocklist: Iterable[str] = (),
                 shorteners: Iterable[str] | None = None, free_hosting: Iterable[str] | None = None,
                 abuse_tlds: Iterable[str] | None = None, resolver: Resolver | None = None):
        self.brands = brands
        self.settings = settings
        self.feeds = feeds
        self.blocklist = frozenset(h.lower().strip() for h in blocklist)
        self.shorteners = frozenset(shorteners) if shorteners is not None \
            else _read_list("shorteners.txt")
        hosting = frozenset(free_hosting) if free_hosting is not None \
            else _read_list("free_hosting.txt")
        # "sites.google.com/": pages live in the path of the host itself, not in subdomains.
        self.path_hosting = frozenset(h.rstrip("/") for h in hosting if h.endswith("/"))
        self.free_hosting = frozenset(h.rstrip("/") for h in hosting)
        self.abuse_tlds = frozenset(abuse_tlds) if abuse_tlds is not None \
            else _read_list("abuse_tlds.txt")
        self.resolver = resolver if settings.resolve_shorteners else None

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_config(cls, options: Mapping[str, Any] | None, brand: Brand, *,
                    path: str = "rules.links") -> "LinksRule":
        r = OptionReader(options, path)
        builtin = r.bool("builtin_brands", True)
        brands_file = r.str("brands_file", None)
        allowlist = r.str_list("allowlist")
        blocklist = r.str_list("blocklist")
        protect_popular = r.bool("protect_popular", True)
        resolve = r.bool("resolve_shorteners", False)
        # For the daemon's resolver (rules.feeds.head_resolver); the rule itself does no I/O.
        resolve_timeout = r.number("resolve_timeout", 3.0, minimum=0.1)
        resolve_max_hops = r.number("resolve_max_hops", 5, minimum=1, integer=True)
        medium = r.number("score_medium", 3, minimum=1, integer=True)
        high = r.number("score_high", 5, minimum=1, integer=True)
        max_links = r.number("max_links", 50, minimum=1, integer=True)
        check_path = r.bool("check_path", True)
        look_sev = r.enum("lookalike_severity", Severity, Severity.HIGH)
        short_sev = r.enum("shortener_severity", Severity, Severity.LOW)
        mismatch_sev = r.enum("mismatch_severity", Severity, Severity.MEDIUM)
        feed_specs = _read_feed_specs(r)
        entries: list[BrandEntry] = []
        if brands_file:
            try:
                entries.extend(load_brands_file(brands_file))
            except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
                r.problem("brands_file", f"cannot read brands from {brands_file}: {e}")
        for key, entries_ in (("allowlist", allowlist), ("blocklist", blocklist)):
            for i, entry in enumerate(entries_):
                if not _DOMAIN_ENTRY.fullmatch(entry.strip()):
                    r.problem(f"{key}[{i}]", f"expected a domain like 'example.com', got {entry!r}")
        if high is not None and medium is not None and high < medium:
            r.problem("score_high", f"must be at least score_medium ({medium}), got {high}")
        r.finish()
        own = brand_from_config(brand)
        if own:
            entries.insert(0, own)
        if builtin:
            entries.extend(builtin_brands())
        popular = _read_list("popular.txt") if protect_popular else ()
        allow = [_host_forms(a.lower().strip())[0] for a in allowlist if a.strip()]
        index = BrandIndex(entries, popular, allow)
        feeds = FeedIndex.merge(load_feed(s["path"], s.get("format", "auto"),
                                          name=s.get("name") or s["path"])
                                for s in feed_specs if s.get("path") and Path(s["path"]).is_file())
        settings = LinksSettings(resolve_shorteners=resolve, resolve_timeout=resolve_timeout,
                                 resolve_max_hops=resolve_max_hops, score_medium=medium,
                                 score_high=high, max_links=max_links, check_path=check_path,
                                 lookalike_severity=look_sev, shortener_severity=short_sev,
                                 mismatch_severity=mismatch_sev, feed_specs=feed_specs)
        return cls(index, settings=settings, feeds=feeds,
                   blocklist=[_host_forms(b.lower().strip())[0] for b in blocklist if b.strip()])

    def with_feeds(self, feeds: FeedIndex) -> "LinksRule":
        """A copy of this rule using refreshed feeds (the daemon's refresh job swaps it in)."""
        return self._copy(feeds=feeds)

    def with_resolver(self, resolver: Resolver | None) -> "LinksRule":
        """A copy that resolves shorteners through ``resolver`` (when resolve_shorteners is on)."""
        return self._copy(resolver=resolver)

    def _copy(self, **changes: Any) -> "LinksRule":
        kwargs: dict[str, Any] = dict(settings=self.settings, feeds=self.feeds,
                                      blocklist=self.blocklist, shorteners=self.shorteners,
                                      free_hosting=self.free_hosting | {h + "/" for h in self.path_hosting},
                                      abuse_tlds=self.abuse_tlds,
                                      resolver=self.resolver)
        kwargs.update(changes)
        return type(self)(self.brands, **kwargs)

    # -- judging ---------------------------------------------------------------------------

    def check(self, comment: Comment) -> list[Finding]:
        links = [FoundLink(l.url, l.display, "platform") for l in comment.links if l.url]
        wrapper = _PLATFORM_WRAPPERS.get(comment.platform.lower())
        links.extend(l for l in extract_links(comment.text, limit=self.settings.max_links)
                     if not (wrapper and wrapper in l.url[:30].lower()))
        if not links:
            return []
        credential = bool(_CREDENTIALS.search(comment.text[:MAX_SCAN_CHARS]))
        findings: list[Finding] = []
        seen: set[str] = set()
        for link in links[: self.settings.max_links]:
            if link.url in seen:
                continue
            seen.add(link.url)
            findings.extend(self.check_link(link, credential))
        return _dedupe(findings)

    def check_link(self, link: FoundLink, credential: bool = False,
                   resolved_from: str | None = None) -> list[Finding]:
        p = parse_url(link.url)
        if p is None:
            return []
        base = {"url": defang(link.url), "host": defang(p.unicode_host),
                "registrable_domain": defang(p.registrable)}
        if link.source != "text":
            base["source"] = link.source
        if link.defanged:
            base["written_defanged"] = True
        if resolved_from:
            base["resolved_from"] = defang(resolved_from)
        if self.brands.allowed(p.host):
            return []
        out: list[Finding] = []
        protected = self.brands.protected(p) and not p.is_ip

        feed = self.feeds.match_url(link.url)
        if feed:
            out.append(self._finding("threat_feed", Severity.CRITICAL,
                                     f"{defang(link.url)} is listed in threat feed {feed}",
                                     base, feed=feed, matched="url"))
        elif not protected or (self._free_host(p.host) and p.host not in self.path_hosting):
            # On popular / brand hosts only the exact URL counts (a phishing form on
            # docs.google.com must not condemn docs.google.com); a site on a free host is its own.
            hit = self.feeds.match_host(p.host, stop_at=p.registrable)
            if hit:
                out.append(self._finding("threat_feed", Severity.HIGH,
                                         f"{defang(p.host)} is listed in threat feed {hit[1]}",
                                         base, feed=hit[1], matched="host",
                                         listed_host=defang(hit[0])))
        blocked = self._blocked(p.host)
        if blocked:
            out.append(self._finding("blocklist", Severity.HIGH,
                                     f"{defang(p.host)} is on the blocklist", base,
                                     listed=defang(blocked)))

        free = self._free_host(p.host)
        look = self.brands.match(p, free)
        if look is None and self.settings.check_path and (free or not protected):
            owners = self.brands.owned(p.registrable, p.suffix, p.domain)
            path_hit = self.brands.in_path(p, owners)
            if path_hit and (free or credential or _CREDENTIAL_PATH.search(p.path)):
                look = path_hit
        if look is not None:
            severity = self.settings.lookalike_severity if look.where != "path" else Severity.MEDIUM
            where = {"domain": "", "subdomain": " in its subdomain", "path": " in its path"}[look.where]
            out.append(self._finding(
                "lookalike", severity,
                f"{defang(p.unicode_host)} imitates {look.brand_domain} ({look.brand}){where}: "
                f"{look.technique}", base, brand=look.brand, brand_domain=look.brand_domain,
                technique=look.technique, similarity=look.similarity))

        if link.display:
            shown = self._mismatch(link.display, p)
            if shown:
                # Showing a brand's or a well-known site's address over another target is the
                # classic phishing link: at least high.
                severity = self.settings.mismatch_severity
                if self.brands.protected(shown) and not protected:
                    severity = max(severity, Severity.HIGH)
                out.append(self._finding(
                    "mismatch", severity,
                    f"link text shows {defang(shown.registrable)} but leads to "
                    f"{defang(p.registrable)}", base, display=defang(link.display[:200]),
                    shown_domain=defang(shown.registrable)))

        if self._is_shortener(p) and len(p.path) > 1 and resolved_from is None:
            out.extend(self._shortener(link, p, base, credential))

        shortened = self._is_shortener(p) and len(p.path) > 1
        signals = self._signals(p, free or shortened, credential, protected)
        if signals.score >= self.settings.score_medium or (signals.score >= 2 and not out):
            severity = (Severity.HIGH if signals.score >= self.settings.score_high else
                        Severity.MEDIUM if signals.score >= self.settings.score_medium else
                        Severity.LOW)
            out.append(self._finding("suspicious", severity,
                                     f"{defang(p.unicode_host)}: " + ", ".join(signals.reasons),
                                     base, score=signals.score, signals=list(signals.reasons)))
        return out

    # -- parts -----------------------------------------------------------------------------

    def _finding(self, kind: str, severity: Severity, reason: str, base: Mapping[str, Any],
                 **evidence: Any) -> Finding:
        return Finding(rule=f"links.{kind}", category=Category.LINK, severity=severity,
                       reason=reason, evidence={**base, **evidence})

    def _free_host(self, host: str) -> bool:
        """A site on a free host or form builder (not the platform's own home page)."""
        entry = _suffix_in(host, self.free_hosting)
        return entry is not None and (entry != host or entry in self.path_hosting)

    def _blocked(self, host: str) -> str | None:
        return _suffix_in(host, self.blocklist)

    def _is_shortener(self, p: ParsedURL) -> bool:
        return p.host in self.shorteners or p.registrable in self.shorteners

    def _shortener(self, link: FoundLink, p: ParsedURL, base: Mapping[str, Any],
                   credential: bool) -> list[Finding]:
        if self.resolver is None:
            return [self._finding("shortener", self.settings.shortener_severity,
                                  f"{defang(p.host)} is a URL shortener: destination unknown",
                                  base, destination=None)]
        try:
            target = self.resolver(link.url)
        except Exception as e:  # an injected resolver must not break the rule
            logger.warning("shortener resolver failed on %s: %s", defang(link.url), e)
            target = None
        if not target or target == link.url:
            return [self._finding("shortener", self.settings.shortener_severity,
                                  f"{defang(p.host)} is a URL shortener: destination unknown "
                                  f"(could not resolve)", base, destination=None)]
        inner = self.check_link(FoundLink(target, None, "resolved"), credential,
                                resolved_from=link.url)
        reason = f"{defang(p.host)} is a URL shortener leading to {defang(target)}"
        # As severe as what it hides; a harmless destination keeps the configured severity.
        severity = max((f.severity for f in inner), default=self.settings.shortener_severity)
        return [self._finding("shortener", severity, reason, base,
                              destination=defang(target))] + inner

    def _mismatch(self, display: str, p: ParsedURL) -> ParsedURL | None:
        """The address the link text shows, when it is another site than the target."""
        shown = extract_links(display, limit=1)
        if not shown:
            return None
        q = parse_url(shown[0].url)
        if q is None or q.registrable == p.registrable:
            return None
        return q

    def _signals(self, p: ParsedURL, hides: bool, credential: bool, protected: bool) -> Signals:
        score, reasons = 0, []

        def add(points: int, reason: str) -> None:
            nonlocal score
            score += points
            reasons.append(reason)

        if p.is_ip:
            add(2, "raw IP address host")
        if p.port not in (None, 80, 443):
            add(1, f"non-standard port {p.port}")
        if p.userinfo:
            add(3, "'@' in the authority hides the real host")
        if p.subdomain.count(".") >= 3:
            add(1, "excessive subdomains")
        if p.suffix.rsplit(".", 1)[-1] in self.abuse_tlds and not protected:
            add(1, f"abuse-heavy TLD .{p.suffix}")
        if hides:
            add(1, "free hosting, form builder or URL shortener")
        if p.bad_idna:
            add(2, "malformed internationalized domain name")
        elif not p.unicode_host.isascii() and not protected:
            mixed = _mixed_scripts(p.unicode_host)
            if mixed:
                add(3, f"mixed scripts in one label ({mixed})")
            else:
                add(1, "internationalized domain name")
        if _EXECUTABLE.search(p.path.split("?", 1)[0]):
            add(2, "executable or archive download")
        if credential and not protected:
            add(2, "credential wording next to the link")
        return Signals(score, tuple(reasons))


# The platform's own link wrapper: on X every link in a post's text is a t.co link, and the
# connector hands us its destination in Comment.links.
_PLATFORM_WRAPPERS = {"x": "//t.co/", "twitter": "//t.co/"}

_CREDENTIAL_PATH = re.compile(r"log.?in|sign.?in|verif|account|secure|wallet|auth|password|"
                              r"support|update|confirm|billing|unlock|recover", re.IGNORECASE)


_LOOKALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})


def _mixed_scripts(host: str) -> str | None:
    """"Latin + Cyrillic" when one label mixes letters of several scripts (``pаypal``)."""
    for label in host.split("."):
        if label.isascii():
            continue
        scripts = {unicodedata.name(c, "?").split(" ", 1)[0] for c in label if c.isalpha()}
        # Only scripts whose letters pass for each other; Japanese mixes kana and kanji freely.
        scripts &= _LOOKALIKE_SCRIPTS
        if len(scripts) > 1:
            return " + ".join(sorted(s.title() for s in scripts))
    return None


def _suffix_in(host: str, suffixes: frozenset[str]) -> str | None:
    while host:
        if host in suffixes:
            return host
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
    return None


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.rule, str(f.evidence.get("url")))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _read_feed_specs(r: OptionReader) -> tuple[Mapping[str, str], ...]:
    value = r.get("feeds", [])
    if not isinstance(value, list):
        r.problem("feeds", "expected a list of tables ([[rules.links.feeds]])")
        return ()
    specs = []
    for i, table in enumerate(value):
        fr = OptionReader(table, f"{r.key('feeds')}[{i}]")
        name = fr.str("name", None)
        path = fr.str("path", None)
        url = fr.str("url", None)
        fmt = fr.str("format", "auto")
        fr.number("refresh_minutes", 60, minimum=5)
        if fmt not in FORMATS:
            fr.problem("format", f"unknown feed format {fmt!r}; expected one of {', '.join(FORMATS)}")
        if not path and not url:
            fr.problem("path", "a feed needs a path (local file) or a url (fetched by the daemon)")
        if path and not url and not Path(path).is_file():
            # With a url, path is where the daemon keeps the download: it may not exist yet.
            fr.problem("path", f"no such file: {path}")
        try:
            fr.finish()
        except ConfigError as e:
            r.absorb(e)
            continue
        specs.append({k: v for k, v in (("name", name), ("path", path), ("url", url),
                                        ("format", fmt),
                                        ("refresh_minutes", table.get("refresh_minutes", 60)))
                      if v is not None})
    return tuple(specs)
