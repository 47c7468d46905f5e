"""Is a text's only swearing mild? ("this sucks", "holy shit", "sexy dress")

The profanity model scores "holy shit" 0.99: it learned that "shit" is profanity. The bundled
mild list (``profanity-en-mild``) records those words at ``low``, no action by default, because
in conversation they are mostly innocent; a model finding whose only swear words are mild ones
would otherwise undo that choice. Words of both bundled English lists are looked up in the
comment's normalized views, only for comments the model flagged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from rules.charter.config import builtin_list
from rules.charter.terms import TermMatcher

_LISTS = ("profanity-en", "profanity-en-mild")
_MILD = _LISTS.index("profanity-en-mild")


@lru_cache(maxsize=1)
def _matcher() -> TermMatcher:
    return TermMatcher([builtin_list(name) for name in _LISTS])


def only_mild_swearing(views: Sequence[str]) -> bool:
    """True when the views hold a word of the mild list and none of the full English list."""
    hits = _matcher().search(views)
    return bool(hits) and all(hit.list_index == _MILD for hit in hits)
