"""Which profanity is worth a reviewer's time: severity by the kind of word and by agreement.

On a public page a reviewer wants slurs, abuse, insults and sexual harassment, not every
"fuck babe I miss you" or "fifteen fucking minutes": casual swearing is everyday conversation,
and the bundled lists also hold ordinary words ("tied up", "escort", "penis"). So a hit of the
full English list (``profanity-en``) and a finding of the profanity model are acted on when the
two agree that the comment is offensive *apart from its casual swear words*: the model, asked
again with the words of ``[casual]`` taken out, still scores it over its threshold. Slurs and
the like (``[always]``) and swearing aimed at someone (``[aimed]``: "fuck you") are acted on
whatever the model says. The kinds are in ``data/terms/swearing-en.toml``.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from moderator.models import Category, Severity
from rules.charter.terms import TermList, TermMatcher
from rules.text import fold

KINDS_FILE = Path(__file__).with_name("data") / "terms" / "swearing-en.toml"
Scorer = Callable[[Sequence[str]], Sequence[float]]


@lru_cache(maxsize=1)
def _kinds() -> tuple[TermMatcher, re.Pattern[str]]:
    with KINDS_FILE.open("rb") as f:
        kinds = tomllib.load(f)
    marked = TermMatcher([TermList(name=kind, category=Category.CHARTER, severity=Severity.MEDIUM,
                                   reason=kind, terms=tuple(kinds[kind]["terms"]))
                          for kind in ("always", "aimed")])
    return marked, re.compile(r"\b(?:%s)\b" % "|".join(
        _word_pattern(w) for w in sorted(kinds["casual"]["words"], key=len, reverse=True)))


def _word_pattern(word: str) -> str:
    """'fuck*' -> f+u+c+k+\\w*: letters may repeat ("fuuuck"), '*' lets the word continue."""
    letters = "".join(r"\s+" if ch == " " else re.escape(ch) + ("+" if ch.isalnum() else "")
                      for ch in fold(word.rstrip("*")))
    return letters + (r"\w*" if word.endswith("*") else "")


def always_acted_on(views: Sequence[str]) -> bool:
    """A slur, hate symbol, sexual-violence or child-abuse term, or swearing aimed at someone."""
    return bool(_kinds()[0].search(views))


def without_casual_swearing(folded: str) -> str:
    """The folded text with its casual swear words taken out ("fucking", "wtf", "damn")."""
    return _kinds()[1].sub(" ", folded)


def agreed(views: Sequence[Sequence[str]], scores: Sequence[float], threshold: float,
           model: Scorer) -> list[bool]:
    """For each comment (its term views, the folded text first, and its model score): is its
    profanity worth acting on? Yes for ``always_acted_on``; otherwise when the model scores it
    at or over ``threshold`` with its casual swear words taken out (asked again, in one call,
    only where there were some)."""
    out: list[bool] = []
    again: dict[int, str] = {}
    for i, (comment_views, score) in enumerate(zip(views, scores)):
        if always_acted_on(comment_views):
            out.append(True)
            continue
        stripped = without_casual_swearing(comment_views[0])
        if stripped != comment_views[0]:
            again[i] = stripped
        out.append(score >= threshold)
    if again:
        for i, score in zip(again, model(list(again.values()))):
            out[i] = float(score) >= threshold
    return out
