"""Blocked words and phrases of a charter, matched with one Aho-Corasick automaton.

Every term of every list (and every exception) goes into a single ``ahocorasick_rs`` automaton,
so one pass over each normalized view of a comment finds them all, whatever the number of terms.
Semantics, decided after the automaton reports raw substring hits:

- whole words: ``ass`` matches "you ass!" but not "assessment" or "class";
- ``*`` at the start or end of a term lets the word continue on that side: ``fuck*`` matches
  "fucking", ``*cunt*`` matches inside any word;
- exceptions (per list, or for all lists) cancel a hit that lies inside them: with ``*cunt*``
  and the exception ``scunthorpe``, "Scunthorpe" passes.

Terms are folded like the text (``rules.text.fold``), so case, accents, confusables and
zero-width characters do not matter; the comment's other views (leetspeak, spaced letters,
repeated letters) are searched too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import ahocorasick_rs

from moderator.models import Category, Severity
from rules.text import fold

MAX_TERM_CHARS = 200
# Text that looks like a regular expression, not a literal word or phrase.
_REGEX_HINT = re.compile(r"[\\()\[\]{}|^]|\.[*+?]|\?\:")


class TermError(ValueError):
    """A term that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class TermList:
    name: str
    category: Category
    severity: Severity
    reason: str
    terms: tuple[str, ...]
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Entry:
    list_index: int  # -1: an exception for every list
    term: str  # as written
    open_left: bool  # "*term": the word may start before the match
    open_right: bool  # "term*": the word may continue after it
    exception: bool


@dataclass(frozen=True, slots=True)
class TermHit:
    list_index: int
    term: str
    match: str  # the matched span of the view, widened to whole words
    view: int  # index into the views searched


def parse_term(raw: str) -> tuple[str, bool, bool]:
    """``"*foo*"`` -> (folded core, open_left, open_right). Raises TermError."""
    term = raw.strip()
    if not term:
        raise TermError("empty term")
    if len(term) > MAX_TERM_CHARS:
        raise TermError(f"term longer than {MAX_TERM_CHARS} characters")
    if _REGEX_HINT.search(term):
        raise TermError(f"{term!r} looks like a regular expression; term lists hold literal "
                        "words and phrases (use a [[rules.custom]] regex for patterns)")
    open_left, open_right = term.startswith("*"), term.endswith("*")
    core = fold(term.strip("*"))
    if "*" in core:
        raise TermError(f"{term!r}: '*' is allowed only at the start or end of a term")
    if not core:
        raise TermError(f"{term!r} has no letters left after normalization")
    return core, open_left, open_right


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class TermMatcher:
    """All term lists of a charter in one automaton."""

    def __init__(self, lists: Sequence[TermList], global_exceptions: Iterable[str] = ()):
        self.lists = tuple(lists)
        patterns: dict[str, int] = {}
        entries: list[list[_Entry]] = []

        def add(raw: str, list_index: int, exception: bool) -> None:
            core, left, right = parse_term(raw)
            idx = patterns.setdefault(core, len(patterns))
            if idx == len(entries):
                entries.append([])
            entries[idx].append(_Entry(list_index, raw.strip(), left, right, exception))

        for i, term_list in enumerate(self.lists):
            for raw in term_list.terms:
                add(raw, i, False)
            for raw in term_list.exceptions:
                add(raw, i, True)
        for raw in global_exceptions:
            add(raw, -1, True)
        self._entries = tuple(tuple(e) for e in entries)
        self._has_terms = any(not e.exception for group in entries for e in group)
        self._automaton = ahocorasick_rs.AhoCorasick(list(patterns)) if patterns else None

    @property
    def size(self) -> int:
        return sum(len(group) for group in self._entries)

    def search(self, views: Sequence[str]) -> list[TermHit]:
        """Hits in the views of one comment: at most one per list (the first found)."""
        if self._automaton is None or not self._has_terms:
            return []
        found: dict[int, TermHit] = {}
        for view_index, view in enumerate(views):
            raw = self._automaton.find_matches_as_indexes(view, overlapping=True)
            if not raw:
                continue
            hits: list[tuple[int, int, _Entry]] = []
            shields: list[tuple[int, int, int]] = []  # exception spans: (start, end, list)
            last = len(view) - 1
            for pattern, start, end in raw:
                # A hit with a word break on both sides is its own whole-word span (the usual
                # case); only one inside a word needs _span, which depends on the entry.
                inside = (0 < start and _is_word_char(view[start - 1])
                          and _is_word_char(view[start])) or \
                    (end <= last and _is_word_char(view[end]) and _is_word_char(view[end - 1]))
                for entry in self._entries[pattern]:
                    if not entry.exception and entry.list_index in found:
                        continue  # this list was found in an earlier view
                    span = self._span(view, start, end, entry) if inside else (start, end)
                    if span is None:
                        continue
                    if entry.exception:
                        shields.append((span[0], span[1], entry.list_index))
                    else:
                        hits.append((span[0], span[1], entry))
            for start, end, entry in hits:
                if entry.list_index in found:
                    continue
                if any(s <= start and end <= e and (lst == -1 or lst == entry.list_index)
                       for s, e, lst in shields):
                    continue
                found[entry.list_index] = TermHit(entry.list_index, entry.term,
                                                  view[start:end][:MAX_TERM_CHARS], view_index)
            if len(found) == len(self.lists):
                break
        return [found[i] for i in sorted(found)]

    @staticmethod
    def _span(view: str, start: int, end: int, entry: _Entry) -> tuple[int, int] | None:
        """The whole-word span of a raw hit, or None if the hit breaks word boundaries."""
        if start > 0:
            before, first = view[start - 1], view[start]
            if (before.isalnum() or before == "_") and (first.isalnum() or first == "_"):
                if not entry.open_left:
                    return None
                stop = max(0, start - MAX_TERM_CHARS)  # bounded: a hostile 'word' can be huge
                while start > stop and _is_word_char(view[start - 1]):
                    start -= 1
        if end < len(view):
            after, last = view[end], view[end - 1]
            if (after.isalnum() or after == "_") and (last.isalnum() or last == "_"):
                if not entry.open_right:
                    return None
                stop = min(len(view), end + MAX_TERM_CHARS)
                while end < stop and _is_word_char(view[end]):
                    end += 1
        return start, end
