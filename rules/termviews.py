"""The normalized views the charter searches, computed fast for the common case.

Same results as ``rules.text.views`` (a test compares them on real comments), plus one more view
(repeated letters squeezed to one: ``fuuuuck`` -> ``fuck``). The speed comes from two exact
shortcuts: for ASCII text, ``fold`` is only casefolding and whitespace collapsing (no
compatibility forms, confusables or combining marks exist in ASCII), and the leetspeak table
only changes text that contains one of its characters.
"""

from __future__ import annotations

import re

from rules import text as _text
from rules.text import deleet, fold, squeeze, unspace

_LEET_TABLE = getattr(_text, "_LEET", None)
_HAS_LEET = (re.compile("[" + re.escape("".join(chr(k) for k in _LEET_TABLE)) + "]")
             if _LEET_TABLE else None)


def fast_fold(text: str) -> str:
    """``rules.text.fold``, with a shortcut for ASCII text."""
    if text.isascii():
        return " ".join(text.casefold().split())
    return fold(text)


def deleet_fast(text: str) -> str:
    """``rules.text.deleet``, skipped when no leetspeak character is present."""
    if _HAS_LEET is not None and not _HAS_LEET.search(text):
        return text
    return deleet(text)


def term_views(text: str) -> tuple[str, ...]:
    """``views(text)`` followed by the one-letter squeeze of the fully normalized view."""
    folded = fast_fold(text)
    spaced = unspace(folded)
    both = deleet_fast(spaced)
    out = [folded]
    for view in (deleet_fast(folded), spaced, squeeze(folded), squeeze(both)):
        if view not in out:
            out.append(view)
    single = squeeze(both, keep=1)
    if single not in out:
        out.append(single)
    return tuple(out)
