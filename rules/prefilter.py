"""Prefilters: one Aho-Corasick pass that says "none of these patterns can match this text".

Most comments match none of a detector's patterns, yet searching them with each pattern in turn
is what costs. ``required_literals`` reads a regular expression's syntax tree and returns a set of
strings such that every match of the pattern contains at least one of them (for
``\\b(?:dm|pm) (?:us|me)\\b`` that is ``{"dm us", "dm me", "pm us", "pm me"}``). A ``Prefilter``
puts the sets of many patterns in one automaton: when it finds none of them in a text, no pattern
can match, and the patterns need not run. It never decides that a pattern matches; it only
rules texts out, so a detector behind it gives exactly the verdicts it gave without it.

The analysis is conservative: a part it does not understand (a character class, ``\\w+``, a
back-reference) is "any text", and a pattern with no required literal at all makes the
prefilter pass every text (``always``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Hashable, Iterable, Mapping

import ahocorasick_rs

try:  # the stdlib's own parser of regular expressions (re._parser since 3.11)
    from re import _constants as C, _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_EXACT = 1024  # strings tracked for one part of a pattern before it counts as "any text"
MAX_CLASS = 12  # a character class of up to this many literal characters is spelled out
_RUN = object()  # the opcode of a run of literal characters (see _literal_runs)


@dataclass(frozen=True, slots=True)
class _Info:
    """What a part of a pattern can match: ``exact`` every string it matches (None: too many or
    unknown); ``required`` a set one of which every match contains (None: nothing required)."""

    exact: frozenset[str] | None
    required: frozenset[str] | None


_ANY = _Info(None, None)
_EMPTY = _Info(frozenset({""}), None)


def required_literals(pattern: str, *, ignore_case: bool = False) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains, or None when the analysis finds
    no such set (the pattern may match text without any).

    ``pattern`` is in ``re`` syntax; the ``regex`` module's extensions either fail to parse (then
    None) or, for fuzzy matching (``(?:abc){e<=1}``), would parse as a literal brace, so a brace
    in a required literal also gives None. ``ignore_case``: the pattern is compiled with
    IGNORECASE; the literals are casefolded, and the caller must casefold the texts it checks."""
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # not re syntax (a regex-module extension): nothing known
        return None
    if parsed.state.flags & C.SRE_FLAG_IGNORECASE:
        return None
    required = _info(parsed).required
    if required is None or any("{" in s or "}" in s for s in required):
        return None
    return frozenset(s.casefold() for s in required) if ignore_case else required


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two required sets: longer shortest string, then fewer strings
    (``a`` on a tie)."""
    if a is None or b is None:
        return a if b is None else b
    return a if _rank(a) >= _rank(b) else b


@lru_cache(maxsize=4096)
def _rank(strings: frozenset[str]) -> tuple[int, int]:
    # The same sets meet again and again on the way up a pattern's tree (start-up cost).
    return min(map(len, strings)), -len(strings)


def _usable(strings: frozenset[str] | None) -> frozenset[str] | None:
    return strings if strings and "" not in strings else None


def _info(items: Iterable) -> _Info:
    """A sequence: exact strings concatenate while they stay few; the best required set wins."""
    parts = [_node(op, arg) for op, arg in _literal_runs(items)]
    run: frozenset[str] | None = frozenset({""})
    required: frozenset[str] | None = None
    whole: frozenset[str] | None = frozenset({""})  # the sequence's exact strings, while known
    for part in parts:
        required = _better(required, _best_of(part))
        if whole is not None:
            whole = _concat(whole, part.exact)
        joined = _concat(run, part.exact)
        if joined is not None:
            run = joined
            continue
        required = _better(required, _usable(run))
        run = part.exact  # a new run starts after the part that broke the old one
    required = _better(required, _usable(run))
    return _Info(whole, _better(required, _usable(whole)))


def _literal_runs(items: Iterable) -> list[tuple]:
    """The items, each run of literal characters as one ``(_RUN, "text")`` item: a word is one
    string, not a set per letter joined letter by letter (start-up: same result, less work)."""
    out: list[tuple] = []
    for op, arg in items:
        if op is C.LITERAL and out and out[-1][0] is _RUN:
            out[-1] = (_RUN, out[-1][1] + chr(arg))
        elif op is C.LITERAL:
            out.append((_RUN, chr(arg)))
        else:
            out.append((op, arg))
    return out


def _concat(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None or b is None or len(a) * len(b) > MAX_EXACT:
        return None
    return frozenset(x + y for x in a for y in b)


def _best_of(info: _Info) -> frozenset[str] | None:
    return _better(info.required, _usable(info.exact))


def _node(op, arg) -> _Info:
    if op is _RUN:
        return _Info(frozenset({arg}), frozenset({arg}))
    if op is C.AT:
        return _EMPTY  # \b, ^, $: zero width
    if op is C.SUBPATTERN:
        _group, add_flags, _del_flags, items = arg
        if add_flags & C.SRE_FLAG_IGNORECASE:
            return _ANY  # literals that match other cases: not spelled out
        return _info(items)
    if op is C.BRANCH:
        branches = [_info(b) for b in arg[1]]
        exact = None
        if all(b.exact is not None for b in branches):
            exact = frozenset().union(*(b.exact for b in branches))
            if len(exact) > MAX_EXACT:
                exact = None
        best = [_best_of(b) for b in branches]
        required = None if any(b is None for b in best) else frozenset().union(*best)
        return _Info(exact, _better(required, _usable(exact)))
    if op is C.IN:
        chars = [chr(a) for o, a in arg if o is C.LITERAL]
        if len(chars) == len(arg) and len(chars) <= MAX_CLASS:
            return _Info(frozenset(chars), frozenset(chars))
        return _ANY
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, high, child = arg
        inner = _info(child)
        if low == 0:
            return _Info(inner.exact | {""} if high == 1 and inner.exact is not None else None, None)
        return _Info(inner.exact if low == high == 1 else None, _best_of(inner))
    if op is C.ATOMIC_GROUP:
        return _info(arg)
    return _ANY  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, ASSERT, ...


class Prefilter:
    """One automaton over the required literals of many named patterns.

    ``matching(*texts)`` names the patterns that could match one of the texts: a pattern left
    out cannot. A pattern without required literals is always named. With ``ignore_case`` the
    texts given to ``matching`` must be casefolded."""

    def __init__(self, patterns: Mapping[Hashable, str], *, ignore_case: bool = False):
        owners: dict[str, set[Hashable]] = {}
        always = set()
        for name, pattern in patterns.items():
            required = required_literals(pattern, ignore_case=ignore_case)
            if required is None:
                always.add(name)
                continue
            for literal in required:
                owners.setdefault(literal, set()).add(name)
        self.always = frozenset(always)
        self.literals = tuple(sorted(owners))
        self._owners = [frozenset(owners[literal]) for literal in self.literals]
        # A DFA: several times quicker per search than the default NFA here (more memory, built once).
        self._automaton = ahocorasick_rs.AhoCorasick(
            self.literals, implementation=ahocorasick_rs.Implementation.DFA) if self.literals else None

    def matching(self, *texts: str) -> set[Hashable]:
        found = set(self.always)
        if self._automaton is None:
            return found
        for text in texts:
            # Overlapping: a literal inside another pattern's literal must be seen too.
            for index, _start, _end in self._automaton.find_matches_as_indexes(text, overlapping=True):
                found |= self._owners[index]
        return found
