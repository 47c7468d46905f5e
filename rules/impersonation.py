"""Impersonation: accounts posing as the brand, its support desk or its staff, and fake-support replies.

The attack: under the brand's post a customer complains; an account called ``AcmeSupp0rt`` or
``Acme Bank Help`` answers "sorry for the trouble, DM us on WhatsApp +1 555 ..." and takes the
customer's account number ("angler phishing"). This family raises:

- ``impersonation.handle``: the author's handle imitates an official handle or the brand name;
- ``impersonation.display_name``: the display name copies or imitates the brand / an official handle;
- ``impersonation.staff``: the handle or display name imitates a configured staff member;
- ``impersonation.fake_support``: a non-official reply that offers help or claims to be support and
  moves the reader elsewhere (DM, WhatsApp, Telegram, phone, e-mail, forms, "contact our agent").

Names are compared after undoing the disguises one by one (TR39 skeleton, separators, digits,
affixes such as ``support``/``official``/country codes, leetspeak and ASCII look-alikes such as
``rn`` for ``m``), then by a weighted edit distance where look-alike letters (``c``/``e``,
``m``/``n``) cost half. A deletion index keeps the fuzzy step to a few dict lookups per name, and
the verdict on an author is cached (bounded LRU), so a busy thread costs little.

Platforms (``Comment.platform``): a leading ``u/`` (Reddit) or ``@`` (X) is not part of a handle;
X cuts handles at 15 characters, so ``AcmeBankSuppor`` counts as ``AcmeBank`` + a cut ``support``;
Facebook authors are numeric ids, so only their display names (with spaces) are compared;
Instagram's dots and underscores, like Reddit's ``-`` and ``_``, are separators. Handles compare
case-insensitively everywhere, as the platforms do.

Young accounts are a modifier: they raise the severity of a finding, never make one. The official
handles and the ``allow`` list are never flagged; the brand merely mentioned in text is not
impersonation.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar, Iterable, Mapping, Sequence

import ahocorasick_rs
import phonenumbers
import regex
import tldextract

from moderator.models import Brand, Category, Comment, Finding, Severity
from moderator.options import OptionReader
from rules.base import PerCommentRule
from rules.text import fold, strip_invisible, unspace

logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 80  # longer handles/display names are cut before matching
MAX_TEXT_CHARS = 5_000  # fake-support patterns look at the start of a comment only
MAX_VARIANTS = 32  # affix-stripped variants tried per name
MAX_AFFIX_DEPTH = 3
MIN_CORE_CHARS = 3  # never strip a name down to fewer characters than this
SHORT_AFFIX = 2  # affixes this short (country codes) are stripped at most once per name
# First words of brand names too common to stand for the brand on their own ("Bank" of America).
GENERIC_WORDS = frozenset({"bank", "the", "first", "american", "national", "united", "general", "royal",
                           "trust", "cash", "credit", "global", "international", "city", "new", "my",
                           "best", "big", "great", "north", "south", "east", "west", "central", "union"})

# Platform prefixes people paste in front of handles.
_HANDLE_PREFIXES = ("/u/", "u/", "@")
X_HANDLE_MAX = 15

_SEPARATORS = re.compile(r"[\W_]+")
# Several ASCII letters that look like one (dnstwist's multi-character glyphs), applied on both
# sides of a comparison so that a real name with "rn" still equals itself.
_MULTI_GLYPHS = (("rn", "m"), ("nn", "m"), ("vv", "w"), ("cl", "d"), ("lc", "k"))
# Digits and letters that stand in for one another in handles; also applied on both sides.
_VISUAL = str.maketrans({"0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t",
                         "8": "b", "9": "g", "q": "g", "v": "u", "$": "s", "@": "a"})
# Letters that look alike at a glance: substituting one for the other costs half an edit.
_LOOKALIKE = {(a, b) for pair in ("ce", "bd", "mn", "nr") for a, b in (pair, pair[::-1])}
# The coarse key used only to find candidates: look-alike letters merged.
_COARSE = str.maketrans({"c": "e", "b": "d", "m": "n", "r": "n"})


def _visual(compact: str) -> str:
    for many, one in _MULTI_GLYPHS:
        compact = compact.replace(many, one)
    return compact.translate(_VISUAL)


def _compact(folded: str) -> str:
    """Letters and digits only: separators (``_ . - space``) out."""
    return _SEPARATORS.sub("", folded)


def _strip_prefix(handle: str) -> str:
    handle = handle.strip()
    for prefix in _HANDLE_PREFIXES:
        if handle.lower().startswith(prefix):
            return handle[len(prefix):]
    return handle


def _fold_name(raw: str) -> str:
    """fold() plus the Latin-letter fallback; plain ASCII (most names) takes a short cut, since
    NFKC, confusables and mark stripping leave it unchanged."""
    if raw.isascii():
        return " ".join(raw.lower().split())
    folded = fold(raw)
    return folded if folded.isascii() else _latin_base(folded)


def _bigrams(word: str) -> list[str]:
    return [word[i:i + 2] for i in range(len(word) - 1)]


def _deletes(word: str, depth: int) -> set[str]:
    """``word`` with up to ``depth`` characters deleted (the SymSpell deletion neighbourhood)."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def distance(a: str, b: str) -> float:
    """Optimal string alignment distance where look-alike substitutions cost 0.5."""
    la, lb = len(a), len(b)
    prev2: list[float] = []
    prev: list[float] = [float(j) for j in range(lb + 1)]
    for i in range(1, la + 1):
        cur = [float(i)] + [0.0] * lb
        ca = a[i - 1]
        for j in range(1, lb + 1):
            cb = b[j - 1]
            sub = 0.0 if ca == cb else (0.5 if (ca, cb) in _LOOKALIKE else 1.0)
            best = min(prev[j] + 1.0, cur[j - 1] + 1.0, prev[j - 1] + sub)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, prev2[j - 2] + 1.0)
            cur[j] = best
        prev2, prev = prev, cur
    return prev[lb]


@dataclass(frozen=True, slots=True)
class Target:
    """One name that must not be imitated."""

    kind: str  # "handle" (official account), "brand" (the brand name) or "staff"
    label: str  # as configured, for the evidence
    plain: str  # folded, separators out
    key: str  # plain, visually normalized (what is compared)
    needs_affix: bool = False  # a core cut out of an official handle ("acme" of "AcmeSupport")


@dataclass(frozen=True, slots=True)
class NameMatch:
    target: Target
    similarity: float
    techniques: tuple[str, ...]
    affixes: tuple[str, ...]
    normalized: str


@dataclass(frozen=True, slots=True)
class _Variant:
    plain: str
    affixes: tuple[str, ...]
    digits: bool


class NameMatcher:
    """Decides whether a handle or display name imitates one of the targets."""

    def __init__(self, targets: Iterable[Target], affixes: Iterable[str], *,
                 min_similarity: float = 0.8, min_fuzzy_length: int = 5):
        self.min_similarity = min_similarity
        self.min_fuzzy_length = min_fuzzy_length
        self.affixes = frozenset(a for a in affixes if a)
        self.affix_lengths = sorted({len(a) for a in self.affixes})
        self.longest_affix = max(self.affix_lengths, default=0)
        self.cut_affixes = {a[:k]: a for a in sorted(self.affixes, key=len, reverse=True)
                            for k in range(3, len(a))}
        self.exact: dict[str, list[Target]] = {}
        self.index: dict[str, set[str]] = {}  # coarse deletion -> keys
        self.by_key: dict[str, list[Target]] = {}
        for target in targets:
            # Each target is indexed with and without the multi-letter glyphs ("nn" -> "m"), so a
            # typo next to a real "nn" ("brenjnan" of "brennan") still lines up.
            for key in {target.key, target.plain.translate(_VISUAL)}:
                if not key:
                    continue
                self.exact.setdefault(key, []).append(target)
                self.by_key.setdefault(key, []).append(target)
                if len(key) >= min_fuzzy_length:
                    for d in _deletes(key.translate(_COARSE), 2):
                        self.index.setdefault(d, set()).add(key)
        # The gate: which keys could be within reach of a name at all (see _pieces, _reachable).
        piece_keys: dict[str, set[str]] = {}
        for key in self.by_key:
            for piece in self._pieces(key):
                piece_keys.setdefault(piece, set()).add(key)
        self.gate_pieces = sorted(piece_keys)
        self.gate_keys = [frozenset(piece_keys[p]) for p in self.gate_pieces]
        self.gate = ahocorasick_rs.AhoCorasick(self.gate_pieces)
        # Bigram filter: a name within `edits` of a key keeps all but 3 * edits of its bigrams
        # (a transposition breaks three).
        self.key_bigrams = {k: (frozenset(_bigrams(k.translate(_COARSE))),
                                len(set(_bigrams(k.translate(_COARSE)))) - 3 * self._edits(k))
                            for k in self.by_key}
        lengths = [len(k) for k in self.by_key if len(k) >= min_fuzzy_length]
        self.fuzzy_lengths = (min(lengths) - 2, max(lengths) + 2) if lengths else (1, 0)

    def _edits(self, key: str) -> int:
        """Whole edits (in the coarse form) a name may be away from ``key`` and still match."""
        if len(key) < self.min_fuzzy_length:
            return 0
        return min(2, int((1 - self.min_similarity) * len(key) + 1e-9))

    def _reachable(self, coarse_name: str) -> set[int]:
        """The lengths of the keys that could be within reach of a part of the name: one of
        their pieces occurs whole (pigeonhole) and enough of their bigrams occur (q-gram lemma)."""
        hits = self.gate.find_matches_as_indexes(coarse_name, overlapping=True)
        if not hits:
            return set()
        keys: set[str] = set()
        for i in {hit[0] for hit in hits}:
            keys |= self.gate_keys[i]
        grams = {coarse_name[i:i + 2] for i in range(len(coarse_name) - 1)}
        lengths = set()
        for key in keys:
            key_grams, needed = self.key_bigrams[key]
            if needed <= 0 or len(key_grams & grams) >= needed:
                lengths.add(len(key))
        return lengths

    def _pieces(self, key: str) -> list[str]:
        """Pieces of a key's coarse form such that any name within reach holds one of them whole.

        Pigeonhole: k edits touch at most k of k+1 disjoint pieces. A transposition across a
        boundary touches two, so the pieces of the key with those letters swapped are added too.
        """
        coarse = key.translate(_COARSE)
        if len(key) < self.min_fuzzy_length:
            return [coarse]
        n = self._edits(key) + 1
        bounds = [round(i * len(coarse) / n) for i in range(n + 1)]
        pieces = [coarse[bounds[i]:bounds[i + 1]] for i in range(n)]
        for b in bounds[1:-1]:  # the same pieces with the letters across each boundary swapped
            swapped = coarse[:b - 1] + coarse[b] + coarse[b - 1] + coarse[b + 1:]
            pieces += [swapped[bounds[i]:bounds[i + 1]] for i in range(n)]
        return pieces

    def match(self, name: str, *, platform: str = "") -> NameMatch | None:
        raw = _strip_prefix(name)[:MAX_NAME_CHARS]
        folded = _fold_name(raw)
        plain = _compact(folded)
        if len(plain) < MIN_CORE_CHARS:
            return None
        lengths = self._reachable(_visual(plain).translate(_COARSE))
        if not lengths:
            return None  # too far from every target: skip the expensive steps
        best: NameMatch | None = None
        for variant in self._variants(plain, platform, min(lengths) - 3):
            n = len(variant.plain)
            if not any(-3 <= n - length <= 3 for length in lengths):
                continue  # no reachable key of about this length (slack for rn -> m etc.)
            for target, cost, similarity in self._lookups(variant.plain):
                if target.needs_affix and not variant.affixes:
                    continue
                if similarity < self.min_similarity:
                    continue
                candidate = NameMatch(
                    target=target, similarity=round(similarity, 3),
                    techniques=_techniques(raw, folded, variant, target, cost),
                    affixes=variant.affixes, normalized=variant.plain,
                )
                if best is None or _rank(candidate) > _rank(best):
                    best = candidate
        return best

    def _lookups(self, plain: str) -> list[tuple[Target, float, float]]:
        """Targets within reach of a variant, with and without the multi-letter glyphs (an "rn"
        may be an "m", or a typo that happens to make "cl" out of "cal")."""
        key = _visual(plain)
        hits = self._lookup(key)
        single = plain.translate(_VISUAL)
        if single != key:
            hits = hits + self._lookup(single)
        return hits

    def _lookup(self, key: str) -> list[tuple[Target, float, float]]:
        """(target, cost, similarity) for every target key within reach of ``key``."""
        hits = self.exact.get(key)
        if hits:
            return [(t, 0.0, 1.0) for t in hits]
        low, high = self.fuzzy_lengths
        if not low <= len(key) <= high:
            return []
        coarse = key.translate(_COARSE)
        keys: set[str] = set()
        for d in _deletes(coarse, 1):
            found = self.index.get(d)
            if found:
                keys |= found
        out = []
        for k in keys:
            cost = distance(key, k)
            similarity = max(0.0, 1.0 - cost / len(k))
            for target in self.by_key[k]:
                out.append((target, cost, similarity))
        return out

    def _variants(self, plain: str, platform: str, shortest: int = 0) -> list[_Variant]:
        """The name with digits and affixes peeled off its ends, breadth first; variants shorter
        than ``shortest`` are not peeled further (no key that short is within reach)."""
        seen = {plain}
        out = [_Variant(plain, (), False)]
        frontier = list(out)
        if platform == "x" and len(plain) >= X_HANDLE_MAX - 2:
            # X cuts handles at 15 characters: "AcmeBankSuppor" is "AcmeBank" + a cut "support".
            for k in range(3, min(len(plain) - MIN_CORE_CHARS, self.longest_affix) + 1):
                affix = self.cut_affixes.get(plain[-k:])
                if affix and plain[:-k] not in seen:
                    seen.add(plain[:-k])
                    out.append(_Variant(plain[:-k], (affix,), False))
            frontier = list(out)
        for _ in range(MAX_AFFIX_DEPTH):
            nxt = []
            for v in frontier:
                if len(v.plain) <= shortest:
                    continue
                for child in self._peel(v):
                    if child.plain not in seen and len(out) < MAX_VARIANTS:
                        seen.add(child.plain)
                        out.append(child)
                        nxt.append(child)
            frontier = nxt
            if not frontier:
                break
        return out

    def _peel(self, v: _Variant) -> Iterable[_Variant]:
        s = v.plain
        stripped = s.strip("0123456789")
        if stripped != s and len(stripped) >= MIN_CORE_CHARS:
            yield _Variant(stripped, v.affixes, True)
        # Two-letter affixes (country codes, "hq") match by chance inside real names
        # ("johnwells" = jo + hn + wells): at most one of them per name.
        short_used = any(len(a) <= SHORT_AFFIX for a in v.affixes)
        for n in self.affix_lengths:
            if len(s) - n < MIN_CORE_CHARS:
                break
            if n <= SHORT_AFFIX and short_used:
                continue
            if s[:n] in self.affixes:
                yield _Variant(s[n:], v.affixes + (s[:n],), v.digits)
            if s[-n:] in self.affixes:
                yield _Variant(s[:-n], v.affixes + (s[-n:],), v.digits)


_LATIN_LETTER = re.compile(r"LATIN (?:(?:SMALL|CAPITAL) )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: WITH .*)?")
# Letters that look like another but have neither a TR39 prototype nor a telling name (dnstwist
# uses them): schwa, wynn, kra, dotless i.
_LATIN_EXTRA = {"ə": "a", "ǝ": "e", "ƿ": "p", "Ƿ": "p", "ĸ": "k", "ı": "i", "ȷ": "j", "ɩ": "i"}


@lru_cache(maxsize=4096)
def _latin_char(char: str) -> str:
    """A Latin letter with a hook, stroke or bar that TR39 leaves alone (ƥ, ɫ, ɏ) -> its base."""
    if char in _LATIN_EXTRA:
        return _LATIN_EXTRA[char]
    m = _LATIN_LETTER.fullmatch(unicodedata.name(char, ""))
    return m.group(1).lower() if m else char


def _latin_base(text: str) -> str:
    return "".join(c if c.isascii() else _latin_char(c) for c in text)


def _rank(m: NameMatch) -> tuple[float, int, int, int]:
    # Closest first; then the brand and its handles before staff; then the simplest explanation.
    disguises = len(m.techniques) - ("copy" in m.techniques)
    return (m.similarity, 0 if m.target.kind == "staff" else 1, -len(m.affixes), -disguises)


def _techniques(raw: str, folded: str, variant: _Variant, target: Target,
                cost: float) -> tuple[str, ...]:
    out = []
    visible = strip_invisible(raw)
    if visible != raw:
        out.append("invisible characters")
    if not visible.isascii() and _latin_base(folded) != visible.casefold():
        out.append("homoglyph")
    spaced = f" {_SEPARATORS.sub(' ', folded).strip()} "
    written = f" {_SEPARATORS.sub(' ', fold(_strip_prefix(target.label))).strip()} "
    if spaced.strip() != _compact(spaced) and written not in spaced:
        out.append("separator")  # separators the official name does not have: acme.support
    if variant.affixes:
        out.append("affix")
    if variant.digits:
        out.append("digits")
    if variant.plain != target.plain and _visual(variant.plain) == target.key:
        out.append("leetspeak" if any(c.isdigit() for c in variant.plain) else "homoglyph")
    if cost > 0:
        out.append("near-spelling")
    if not out:
        out.append("copy")
    return tuple(dict.fromkeys(out))


def build_targets(brand: Brand, affixes: Iterable[str]) -> list[Target]:
    """Official handles, the brand name, the cores of official handles, and the staff names."""
    affix_set = {a for a in affixes if len(a) > SHORT_AFFIX}  # cores: whole words only
    targets: list[Target] = []

    def add(kind: str, label: str, plain: str, needs_affix: bool = False) -> None:
        if len(plain) >= MIN_CORE_CHARS:
            targets.append(Target(kind, label, plain, _visual(plain), needs_affix))

    for handle in brand.handles:
        plain = _compact(fold(_strip_prefix(handle)))
        add("handle", handle, plain)
        core = _peel_known(plain, affix_set)
        if core != plain and len(core) >= 4:
            add("handle", handle, core, needs_affix=True)
    if brand.name:
        plain = _compact(fold(brand.name))
        add("brand", brand.name, plain)
        first = _compact(_SEPARATORS.split(fold(brand.name))[0])
        # "Acme" of "Acme Bank" stands for the brand only together with an affix ("acme_help").
        if first != plain and len(first) >= 4 and first not in GENERIC_WORDS:
            add("brand", brand.name, first, needs_affix=True)
    for person in brand.staff:
        words = [w for w in _SEPARATORS.split(fold(person)) if w]
        if not words:
            continue
        add("staff", person, "".join(words))
        if len(words) > 1:
            add("staff", person, "".join(reversed(words)))
    return targets


def _peel_known(plain: str, affixes: set[str]) -> str:
    """Strip known affixes off both ends until none is left (for official handles' cores)."""
    changed = True
    while changed:
        changed = False
        for affix in sorted(affixes, key=len, reverse=True):
            if len(plain) - len(affix) < 4:
                continue
            if plain.endswith(affix):
                plain, changed = plain[:-len(affix)], True
                break
            if plain.startswith(affix):
                plain, changed = plain[len(affix):], True
                break
    return plain


@lru_cache(maxsize=1)
def bundled_affixes() -> tuple[str, ...]:
    """The bundled affix words plus every country code phonenumbers knows (``uk`` too)."""
    text = resources.files("rules").joinpath("data/impersonation_affixes.txt").read_text("utf-8")
    words = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("#")]
    countries = [code.lower() for code in phonenumbers.SUPPORTED_REGIONS] + ["uk"]
    return tuple(dict.fromkeys(words + countries))


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
                     r"mailbox|account|line|on|at|via|back)\b"
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
_GROUPS = {
    name: {label: regex.compile(pattern) for label, pattern in group.items()}
    for name, group in (("claim", _CLAIM), ("offer", _OFFER), ("redirect", _REDIRECT),
                        ("credential", _CREDENTIAL))
}
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4}")
_URL_HOST = re.compile(r"(?:https?://|www\.)([\w.-]{1,253})", re.IGNORECASE)
_BARE_HOST = re.compile(r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,4}[a-z]{2,24}\b")
REGEX_TIMEOUT = 0.05


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
        terms.add(fold(_strip_prefix(handle)))
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
                    official_phones: frozenset[str] = frozenset()) -> SupportSignals:
    text = text[:MAX_TEXT_CHARS]
    folded = fold(text)
    searched = [folded]
    joined = unspace(folded)  # "W h a t s A p p"
    if joined != folded:
        searched.append(joined)
    found: dict[str, list[str]] = {g: [] for g in _GROUPS}
    for group, patterns in _GROUPS.items():
        for label, pattern in patterns.items():
            for view in searched:
                try:
                    if pattern.search(view, timeout=REGEX_TIMEOUT):
                        found[group].append(label)
                        break
                except TimeoutError:
                    logger.warning("impersonation: pattern %s timed out; treated as no match", label)
                    break
    if brand_claim is not None and any(_search(brand_claim, view) for view in searched):
        found["claim"].append("speaks as the brand")
    contacts: list[str] = []
    phones = [p for p in _phones(text, phone_region) if p not in official_phones]
    if phones:
        found["redirect"].append("phone number")
        contacts.extend(phones)
    emails = [e for e in _EMAIL.findall(folded)
              if not any(e.endswith("@" + d) or e.endswith("." + d) for d in brand_domains)]
    if emails:
        found["redirect"].append("e-mail address")
        contacts.extend(_defang(e) for e in emails[:3])
    hosts = [h.lower().rstrip(".") for h in _URL_HOST.findall(text)]
    hosts += _bare_hosts(_EMAIL.sub(" ", folded))
    hosts += [_host(u) for u in link_urls]
    foreign = [h for h in hosts if h and not _owned(h, brand_domains)]
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
        contacts.extend(_defang(h) for h in foreign[:3])
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


@lru_cache(maxsize=1)
def _tld_extract() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled list, no download


def _bare_hosts(folded: str) -> list[str]:
    """Host names written without a scheme ("acme-support.com", "bit.ly/x") with a real suffix."""
    out = []
    for m in _BARE_HOST.finditer(folded):
        parts = _tld_extract()(m.group(0))
        if parts.domain and parts.suffix:
            out.append(m.group(0))
        if len(out) >= 5:
            break
    return out


def _phones(text: str, region: str | None) -> list[str]:
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


def _host(url: str) -> str:
    m = _URL_HOST.match(url)
    return m.group(1).lower().rstrip(".") if m else ""


def _owned(host: str, domains: Sequence[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _defang_name(name: str) -> str:
    """A display name like "www.acme-help.com" would be a live link in the digest: defang it."""
    if _URL_HOST.search(name) or _bare_hosts(name.lower()):
        return _defang(name)
    return name


def _defang(value: str) -> str:
    return value.replace("http", "hxxp").replace(".", "[.]").replace("@", "[@]")


# --- the rule -----------------------------------------------------------------------------------
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
        affixes = list(bundled_affixes()) + [_compact(fold(a)) for a in extra_affixes]
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
        if self.fake_support:
            signals = support_signals(comment.text, brand_domains=self.domains,
                                      phone_region=self.phone_region,
                                      official_phones=self.official_phones,
                                      link_urls=[link.url for link in comment.links],
                                      brand_claim=self.brand_claim)
            if signals.fires:
                imitated = verdict.handle or verdict.name
                findings.append(self._support_finding(signals, imitated, young, age))
        return findings

    def _name_finding(self, comment: Comment, field: str, match: NameMatch, young: bool,
                      age: float | None) -> Finding:
        target = match.target
        value = _defang_name(((comment.author.handle if field == "handle" else comment.author.name)
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
    return _strip_prefix(handle).casefold()


def _account_age_days(comment: Comment) -> float | None:
    created = comment.author.created_at
    if created is None or comment.created_at is None:
        return None
    try:
        return (comment.created_at - created).total_seconds() / 86400
    except TypeError:  # one aware, one naive datetime: unknown rather than wrong
        return None
