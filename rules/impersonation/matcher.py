"""NameMatcher: does a handle or display name imitate one of the targets (official handles, the
brand, staff)? Affix peeling, a deletion index and a weighted edit distance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import ahocorasick_rs

from rules.impersonation.normalize import (COARSE, LOOKALIKE, SEPARATORS, VISUAL, X_HANDLE_MAX, compact,
                                           fold_name, latin_base, strip_prefix, visual)
from rules.text import fold, strip_invisible

MAX_NAME_CHARS = 80  # longer handles/display names are cut before matching
MAX_VARIANTS = 32  # affix-stripped variants tried per name
MAX_AFFIX_DEPTH = 3
MIN_CORE_CHARS = 3  # never strip a name down to fewer characters than this
SHORT_AFFIX = 2  # affixes this short (country codes) are stripped at most once per name


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
            sub = 0.0 if ca == cb else (0.5 if (ca, cb) in LOOKALIKE else 1.0)
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
            for key in {target.key, target.plain.translate(VISUAL)}:
                if not key:
                    continue
                self.exact.setdefault(key, []).append(target)
                self.by_key.setdefault(key, []).append(target)
                if len(key) >= min_fuzzy_length:
                    for d in _deletes(key.translate(COARSE), 2):
                        self.index.setdefault(d, set()).add(key)
        # The gate: which keys could be within reach of a name at all (see _pieces, _reachable).
        piece_keys: dict[str, set[str]] = {}
        for key in self.by_key:
            for piece in self._pieces(key):
                piece_keys.setdefault(piece, set()).add(key)
        self.gate_pieces = sorted(piece_keys)
        self.gate_keys = [frozenset(piece_keys[p]) for p in self.gate_pieces]
        self.gate = ahocorasick_rs.AhoCorasick(self.gate_pieces, implementation=ahocorasick_rs.Implementation.DFA)
        # Bigram filter: a name within `edits` of a key keeps all but 3 * edits of its bigrams
        # (a transposition breaks three).
        self.key_bigrams = {k: (frozenset(_bigrams(k.translate(COARSE))),
                                len(set(_bigrams(k.translate(COARSE)))) - 3 * self._edits(k))
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
        coarse = key.translate(COARSE)
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
        raw = strip_prefix(name)[:MAX_NAME_CHARS]
        folded = fold_name(raw)
        plain = compact(folded)
        if len(plain) < MIN_CORE_CHARS:
            return None
        lengths = self._reachable(visual(plain).translate(COARSE))
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
        key = visual(plain)
        hits = self._lookup(key)
        single = plain.translate(VISUAL)
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
        coarse = key.translate(COARSE)
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
    if not visible.isascii() and latin_base(folded) != visible.casefold():
        out.append("homoglyph")
    spaced = f" {SEPARATORS.sub(' ', folded).strip()} "
    written = f" {SEPARATORS.sub(' ', fold(strip_prefix(target.label))).strip()} "
    if spaced.strip() != compact(spaced) and written not in spaced:
        out.append("separator")  # separators the official name does not have: acme.support
    if variant.affixes:
        out.append("affix")
    if variant.digits:
        out.append("digits")
    if variant.plain != target.plain and visual(variant.plain) == target.key:
        out.append("leetspeak" if any(c.isdigit() for c in variant.plain) else "homoglyph")
    if cost > 0:
        out.append("near-spelling")
    if not out:
        out.append("copy")
    return tuple(dict.fromkeys(out))

