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
from typing import Sequence

import numpy as np

from moderator.models import Category, Severity
from rules.charter.offensive import profanity_model
from rules.charter.terms import TermList, TermMatcher
from rules.text import fold

KINDS_FILE = Path(__file__).with_name("data") / "terms" / "swearing-en.toml"


@lru_cache(maxsize=1)
def _kinds() -> dict:
    with KINDS_FILE.open("rb") as f:
        return tomllib.load(f)


@lru_cache(maxsize=1)
def _marked() -> TermMatcher:
    return TermMatcher([TermList(name=kind, category=Category.CHARTER, severity=Severity.MEDIUM,
                                 reason=kind, terms=tuple(_kinds()[kind]["terms"]))
                        for kind in ("always", "aimed")])


@lru_cache(maxsize=1)
def _casual() -> re.Pattern[str]:
    words = sorted(_kinds()["casual"]["words"], key=len, reverse=True)
    # the lookahead on first letters spares trying every word at every word boundary (3x faster)
    return re.compile(r"\b(?=[%s])(?:%s)\b" % (
        re.escape("".join(sorted({fold(w)[0] for w in words}))),
        "|".join(map(_word_pattern, words))))


def _word_pattern(word: str) -> str:
    """'fuck*' -> f+u+c+k+\\w*: letters may repeat ("fuuuck"), '*' lets the word continue."""
    return "".join(re.escape(ch) + "+" for ch in fold(word.rstrip("*"))) + (
        r"\w*" if word.endswith("*") else "")


def always_acted_on(views: Sequence[str]) -> bool:
    """A slur, hate symbol, sexual-violence or child-abuse term, or swearing aimed at someone."""
    return bool(_marked().search(views))


def without_casual_swearing(folded: str) -> str | None:
    """The folded text with its casual swear words ("fucking", "wtf", "damn") taken out; None
    when it has none."""
    stripped, n = _casual().subn(" ", folded)
    return stripped if n else None


def is_casual_word(word: str) -> bool:
    return _casual().fullmatch(word) is not None


@lru_cache(maxsize=1)
def _casual_features() -> np.ndarray:
    return profanity_model().words_where(is_casual_word)


def scores_and_without_casual(folded: Sequence[str], words: Sequence[list[str]] | None = None
                               ) -> tuple[list[float], list[float]]:
    """The profanity model's scores of the folded texts, and the same with the casual swear
    words left out (as if ``without_casual_swearing`` had taken them out), in one reading.
    ``words``: their tokens (``rules.charter.words.tokens``), if the caller has them."""
    if not folded:
        return [], []
    scores, without = profanity_model().scores_without(folded, _casual_features(), words)
    return scores.tolist(), without.tolist()


def agreed(views: Sequence[Sequence[str]], without: Sequence[float],
           threshold: float) -> list[bool]:
    """For each comment (its term views, and its model score with its casual swear words left
    out): is its profanity worth acting on? Yes when that score is at or over ``threshold``,
    and yes for ``always_acted_on`` (looked up only where the score says no)."""
    return [score >= threshold or always_acted_on(comment_views)
            for comment_views, score in zip(views, without)]
