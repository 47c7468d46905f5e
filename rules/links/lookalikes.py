"""Lookalike domains: is this host imitating a protected brand, and by which technique?

Homoglyphs and mixed scripts (TR39 skeleton), typos (edit distance 1, 2 for long names, through a
symmetric-delete index), hyphenation, affixes (``paypal-login``), TLD swaps, the brand as a
subdomain (``paypal.com.verify-id.top``) or in the path of a free host. The brand's own domains,
the allowlist and the popular sites are never lookalikes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from rules.links.brands import BrandEntry
from rules.links.domains import ParsedURL, is_country_suffix, suffix_in, split_domain
from rules.text import skeleton


@dataclass(frozen=True, slots=True)
class Lookalike:
    brand: str
    brand_domain: str
    technique: str
    similarity: float
    where: str  # domain | subdomain | path
    own: bool = False  # imitates the organization's own brand ([brand]), not a built-in one


# Lookalike characters inside ASCII, applied to both sides before comparing: rn->m, vv->w,
# cl->d, and digits / i / | that pass for letters.
_ASCII_GLYPHS = (("rn", "m"), ("rr", "m"), ("nn", "m"), ("vv", "w"), ("uu", "w"), ("cl", "d"),
                 ("dl", "d"), ("lc", "k"), ("lk", "k"), ("lb", "b"), ("ib", "b"))
_COLLAPSE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "3": "e", "4": "a", "5": "s",
                           "7": "t", "8": "b", "9": "g", "6": "b", "q": "g", "c": "e", "-": None})
FUZZY_MIN = 6  # names this long match at edit distance 1; shorter ones hit real words
LONG_NAME = 9  # names this long also match at edit distance 2 ("microsesoft", "wellsfərqo")
# The organization's own names from this length on match at edit distance 1 and as the start or
# end of a label ("hsbcx", "myhsbc"): a one-letter change of its own short domain is what an
# attacker registers for its page. The built-in brands stay careful (FUZZY_MIN).
OWN_FUZZY_MIN = 4
_PARTS = re.compile(r"[^a-z]+")
_VOWELS = set("aeiouy")


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
    edge: bool = False  # may match as the start or end of a label ("ebayhelp", "myebay")


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
        self.cctld_labels: dict[str, dict[str, bool | str]] = {}  # label -> {brand: cctld}
        self.names: dict[str, _Name] = {}
        for b in self.brands:
            for d in b.domains:
                self.owner.setdefault(d, set()).add(b.name)
                if b.cctld:
                    self.cctld_labels.setdefault(split_domain(d)[1], {})[b.name] = b.cctld
            for name, inside in self._names_of(b):
                if not name:
                    continue
                own_short = b.own and not inside and len(name) >= OWN_FUZZY_MIN
                entry = _Name(b, self._domain_for(b, name), inside,
                              inside and len(name) >= FUZZY_MIN or own_short, own_short)
                first = self.names.get(name)
                if first is not None:
                    # One name, two brands (the organization is also a built-in brand): the
                    # first keeps it, matched the widest way either asks for.
                    entry = _Name(first.brand, first.domain, first.inside or entry.inside,
                                  first.fuzzy or entry.fuzzy, first.edge or entry.edge)
                self.names[name] = entry
        self.popular = frozenset(popular)
        self.allow = frozenset(allow)
        self.collapsed: dict[str, str] = {}
        for n in self.names:
            self.collapsed.setdefault(collapse(n), n)
        self.inside = tuple(n for n, e in self.names.items() if e.inside)
        self.inside_collapsed = tuple((n, collapse(n)) for n in self.inside if len(n) >= 5)
        self.edges = tuple(n for n, e in self.names.items() if e.edge)
        self.collapsed_name = {n: collapse(n) for n in self.names}
        self.tokens = frozenset(n for n, e in self.names.items() if not e.inside and len(n) >= 3)
        self.loose_tokens = tuple(n for n in self.tokens if len(n) >= 4)
        # Symmetric-delete index for edit distance 1: every name and its one-letter deletions.
        self.near: dict[str, set[str]] = {}
        for n, e in self.names.items():
            if e.fuzzy:
                # Short names take typos of their plain form only: one edit on top of the ASCII
                # lookalike mapping lands on too many real names ("amc", "emc" for "acme").
                for form in ({n, collapse(n)} if len(n) >= FUZZY_MIN else {n}):
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
        for brand, mode in self.cctld_labels.get(domain, {}).items():
            if is_country_suffix(suffix, mode == "all", mode != "country"):
                owners.add(brand)
        return owners

    def protected(self, p: ParsedURL) -> bool:
        return p.registrable in self.popular or bool(self.owned(p.registrable, p.suffix, p.domain))

    def allowed(self, host: str) -> bool:
        return suffix_in(host, self.allow) is not None

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
                    hit = self._match_label(label, owners, "subdomain", loose=free_host)
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
        return Lookalike(e.brand.name, e.domain, technique, similarity, where, e.brand.own)

    def _match_label(self, label: str, owners: set[str], where: str,
                     loose: bool = False) -> Lookalike | None:
        """``loose``: a site's own name on a free host, where even the careful names (whole
        label parts elsewhere, like "outlook") count inside a longer word."""
        views = _views(label)
        return (self._match_name(views, owners, where)
                or (self._match_typo(views, owners) if where == "domain" else None)
                or self._match_affix(views, owners, where)
                or (self._match_inside(views, self.loose_tokens, owners, where) if loose else None))

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
                if technique == "collapsed" and len(name) < FUZZY_MIN:
                    continue
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

    def _match_inside(self, views: tuple[tuple[str, str], ...], names: Iterable[str],
                      owners: set[str], where: str) -> Lookalike | None:
        for _, view in views:
            flat = view.replace("-", "")
            for name in names:
                if name in flat:
                    hit = self._hit(name, owners, "affix", round(len(name) / len(flat), 2), where)
                    if hit:
                        return hit
        return None

    def _match_affix(self, views: tuple[tuple[str, str], ...], owners: set[str],
                     where: str) -> Lookalike | None:
        """The name plus words ("paypal-login", "securepaypal", "paypal365")."""
        for technique, view in views:
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
            # The ASCII lookalike mapping inside one word only: "blog-mall" is not "gmail".
            words = [] if technique == "hyphenation" else [collapse(w) for w in view.split("-")]
            squashed = collapse(flat)
            for name, squashed_name in self.inside_collapsed:
                if any(squashed_name in word for word in words):
                    hit = self._hit(name, owners, "affix", round(len(name) / len(flat), 2), where)
                    if hit:
                        return hit
            for name in self.edges:
                if flat.startswith(name) or flat.endswith(name):
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

