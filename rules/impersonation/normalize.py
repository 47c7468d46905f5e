"""Name normalization: what a handle or display name looks like once its disguises are undone."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rules.text import fold

# Platform prefixes people paste in front of handles.
_HANDLE_PREFIXES = ("/u/", "u/", "@")
X_HANDLE_MAX = 15

SEPARATORS = re.compile(r"[\W_]+")
# Several ASCII letters that look like one (dnstwist's multi-character glyphs), applied on both
# sides of a comparison so that a real name with "rn" still equals itself.
_MULTI_GLYPHS = (("rn", "m"), ("nn", "m"), ("vv", "w"), ("cl", "d"), ("lc", "k"))
# Digits and letters that stand in for one another in handles; also applied on both sides.
VISUAL = str.maketrans({"0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t",
                         "8": "b", "9": "g", "q": "g", "v": "u", "$": "s", "@": "a"})
# Letters that look alike at a glance: substituting one for the other costs half an edit.
LOOKALIKE = {(a, b) for pair in ("ce", "bd", "mn", "nr") for a, b in (pair, pair[::-1])}
# The coarse key used only to find candidates: look-alike letters merged.
COARSE = str.maketrans({"c": "e", "b": "d", "m": "n", "r": "n"})


def visual(compact: str) -> str:
    for many, one in _MULTI_GLYPHS:
        compact = compact.replace(many, one)
    return compact.translate(VISUAL)


def compact(folded: str) -> str:
    """Letters and digits only: separators (``_ . - space``) out."""
    return SEPARATORS.sub("", folded)


def strip_prefix(handle: str) -> str:
    handle = handle.strip()
    for prefix in _HANDLE_PREFIXES:
        if handle.lower().startswith(prefix):
            return handle[len(prefix):]
    return handle


def fold_name(raw: str) -> str:
    """fold() plus the Latin-letter fallback; plain ASCII (most names) takes a short cut, since
    NFKC, confusables and mark stripping leave it unchanged."""
    if raw.isascii():
        return " ".join(raw.lower().split())
    folded = fold(raw)
    return folded if folded.isascii() else latin_base(folded)


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


def latin_base(text: str) -> str:
    return "".join(c if c.isascii() else _latin_char(c) for c in text)

