"""Text normalization shared by every rule.

Attackers dress words up: fullwidth letters, Cyrillic look-alikes, zero-width joiners, accents,
leetspeak, s p a c e d letters, looooong vowels. Each function here removes one disguise and is
cheap enough to run on every comment. Rules pick the views they need; the leetspeak view is an
*extra* view, never a replacement for the text (``me@x.com`` must stay an address).

Order matters: the TR39 skeleton runs before casefolding, or ``I`` (capital i) -> ``l`` is lost.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

# Zero-width and formatting characters that render as nothing (TR39 "default ignorable" subset
# that attackers use), plus the byte-order mark YouTube exports carry.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
                                    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d"
                                    "\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
                                    "\u2065\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff"
                                    "\uffa0"), None)

# Deleting them with a regex is ~9x faster than str.translate with a dict on non-ASCII text
# (YouTube exports end every comment with a byte-order mark).
_INVISIBLE_RE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e"})

# The same for ASCII text, as a byte table: bytes.translate is several times quicker.
_LEET_ASCII = bytes.maketrans(
    bytes(k for k in _LEET if k < 128), "".join(v for k, v in _LEET.items() if k < 128).encode())
_HAS_LEET = re.compile("[" + re.escape("".join(map(chr, _LEET))) + "]")
_SPACED = re.compile(r"\b(?:\w[ .\-_*]){3,}\w\b")
# Every run _SPACED matches holds this (separator, letter, separator, letter, separator), which is
# several times quicker to look for; most comments have neither.
_SPACED_HINT = re.compile(r"[ .\-_*]\w[ .\-_*]\w[ .\-_*]")
_REPEATS = re.compile(r"(.)\1{2,}")
_REPEATS_HINT = re.compile(r"(.)\1\1")  # the same test without building a substitute
_WHITESPACE = re.compile(r"\s+")


def strip_invisible(text: str) -> str:
    """Remove zero-width / bidi / filler characters."""
    return _INVISIBLE_RE.sub("", text)


@lru_cache(maxsize=1)
def _combining_table() -> dict[int, None]:
    # Marks live in the BMP and the SMP (plus variation selectors); scanning only those keeps
    # the one-time cost near 50 ms.
    ranges = (range(0x300, 0x20000), range(0xE0100, 0xE01F0))
    return {cp: None for r in ranges for cp in r if unicodedata.combining(chr(cp))}


def strip_marks(text: str) -> str:
    """Remove combining marks (accents, Zalgo stacks): é -> e."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFD", text).translate(_combining_table())


@lru_cache(maxsize=1)
def _confusable_map() -> dict[str, str]:
    """One character -> its ASCII prototype, from Unicode's confusables.txt (TR39) as shipped
    by the confusable_homoglyphs package. Only mappings to a single ASCII letter, digit or
    common symbol are kept: that is what impostor names and lookalike domains use."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json")
                      .read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for char, homoglyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in homoglyphs:
            target = glyph["c"]
            if len(target) == 1 and target.isascii() and (target.isalnum() or target in "-._@"):
                table[char] = target
                break
    for char, target in _latin_bases().items():
        table.setdefault(char, target)
    # One more step for Cyrillic letters whose prototype is itself a look-alike: т -> small
    # capital ᴛ -> t, в -> ʙ -> b, к -> ĸ -> k, н -> ʜ -> h. (Only Cyrillic: elsewhere the
    # chains drift, e.g. the euro sign would become C and no longer read as leetspeak e.)
    for char, homoglyphs in data.items():
        if len(char) == 1 and char not in table and char.isalpha() \
                and unicodedata.name(char, "").startswith("CYRILLIC"):
            target = next((g["c"] for g in homoglyphs if len(g["c"]) == 1), "")
            if target in table:
                table[char] = table[target]
    for char, target in _EXTRA_CYRILLIC.items():
        table.setdefault(char, target)
    return table


# Lowercase Cyrillic letters that read as a Latin letter in common fonts but that
# confusables.txt maps to no ASCII letter, not even in two steps (м to a turned m, п to π,
# ш to a Coptic letter).
_EXTRA_CYRILLIC = {"м": "m", "п": "n", "ш": "w"}


# Latin letters that look like an ASCII letter but that neither NFD nor confusables.txt reduce
# (lookalike domains use them: ``ƥaypal``, ``pəypal``, ``ƿaypal``).
_EXTRA_LATIN = {"ə": "e", "Ə": "E", "ɑ": "a", "ƿ": "p", "Ƿ": "P", "ı": "i", "ȷ": "j",
                "ɩ": "i", "ʋ": "u", "ɡ": "g", "ɢ": "G", "ſ": "f", "ĸ": "k", "ʉ": "u",
                "ԍ": "g", "ь": "b", "Ь": "b"}
_LATIN_NAME = re.compile(r"LATIN (SMALL|CAPITAL) LETTER ([A-Z]) WITH |LATIN LETTER SMALL CAPITAL ([A-Z])$")
_LATIN_BLOCKS = ((0x00C0, 0x02AF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F),
                 (0xA720, 0xA7FF))


def _latin_bases() -> dict[str, str]:
    """Latin letters with a hook, stroke, tail... -> their base letter, from the Unicode names."""
    table = dict(_EXTRA_LATIN)
    for low, high in _LATIN_BLOCKS:
        for code in range(low, high + 1):
            char = chr(code)
            m = _LATIN_NAME.match(unicodedata.name(char, ""))
            if not m:
                continue
            if m.group(3):
                table.setdefault(char, m.group(3).lower())
            else:
                letter = m.group(2)
                table.setdefault(char, letter.lower() if m.group(1) == "SMALL" else letter)
    return table


@lru_cache(maxsize=1)
def _confusable_table() -> dict[int, str]:
    return {ord(k): v for k, v in _confusable_map().items()}


def skeleton(text: str) -> str:
    """TR39-style skeleton: NFKC, invisible characters out, confusables to their ASCII prototype.

    Case is kept (callers casefold afterwards); ``ｐаypal`` (fullwidth p, Cyrillic a) -> ``paypal``.
    """
    if text.isascii():  # nothing to undo, and most comments are plain ASCII
        return text
    text = strip_invisible(text)
    if text.isascii():  # exports often add only a byte-order mark or a zero-width space
        return text
    text = unicodedata.normalize("NFKC", text)
    text = strip_marks(text.translate(_confusable_table()))
    # Removing a mark can uncover a look-alike: Cyrillic ё -> е -> e.
    return text if text.isascii() else text.translate(_confusable_table())


def fold(text: str) -> str:
    """The standard view: skeleton, then casefold, then whitespace collapsed."""
    text = skeleton(text)
    if text.isascii():  # the common case: only case and spaces left to fold
        return " ".join(text.casefold().split())
    return _WHITESPACE.sub(" ", text.casefold()).strip()


def deleet(text: str) -> str:
    """Leetspeak undone (``fr33 g1ft`` -> ``free gift``). An extra view; apply to folded text."""
    if not _HAS_LEET.search(text):
        return text
    if text.isascii():
        return text.encode().translate(_LEET_ASCII).decode()
    return text.translate(_LEET)


def unspace(text: str, *, split_one_letter_word: bool = False) -> str:
    """Join letters spaced out to dodge filters: ``s p a m`` / ``s.p.a.m`` -> ``spam``.

    Where dots (or ``-_*``) space most letters, the spaces between them are word breaks:
    ``a f.u.c.k`` -> ``a fuck``, ``f.u.c.k y.o.u`` -> ``fuck you``. Where spaces alone do,
    a leading one-letter word is ambiguous (``a f u c k`` is "a fuck", ``a s s h o l e`` is
    one word): the letters are joined (``afuck``), and ``split_one_letter_word=True`` gives
    the other reading (``a fuck``), which ``views`` adds as one more view."""
    if not _SPACED_HINT.search(text):
        return text
    return _SPACED.sub(_split_first if split_one_letter_word else _join_spaced, text)


# One-letter words that often precede a spaced-out word: English "a", "I", chat "u", and the
# Spanish, Italian and Portuguese conjunctions and articles "y", "e", "o".
_ONE_LETTER_WORDS = frozenset("aiuyeo")


def _join_spaced(m: re.Match) -> str:
    spaced = m.group(0)  # one character, one separator, ..., one character
    letters, separators = spaced[0::2], spaced[1::2]
    spaces = separators.count(" ")
    if spaces * 2 >= len(separators):  # none, or spaces space the letters: one word
        return letters
    out = [letters[0]]
    for separator, letter in zip(separators, letters[1:]):
        out.append(" " + letter if separator == " " else letter)
    return "".join(out)


def _split_first(m: re.Match) -> str:
    spaced = m.group(0)
    letters, separators = spaced[0::2], spaced[1::2]
    if separators.count(" ") == len(separators) and letters[0] in _ONE_LETTER_WORDS:
        return letters[0] + " " + letters[1:]
    return _join_spaced(m)


def squeeze(text: str, keep: int = 2) -> str:
    """Collapse runs of one character: ``freeeee`` -> ``free`` (``keep`` copies stay)."""
    if not _REPEATS_HINT.search(text):
        return text
    return _REPEATS.sub(lambda m: m.group(1) * keep, text)


class ViewSteps(NamedTuple):
    """The intermediate results of :func:`views`, for callers that derive more views."""

    folded: str
    squeezed: str  # squeeze(folded)
    both: str  # deleet(unspace(folded))
    both_squeezed: str  # squeeze(both)
    views: tuple[str, ...]


# Several rule families search the views of the same comment in the same batch (the custom rules,
# the charter's terms): the views of the last texts are kept, so each comment is normalized once.
# Only short texts are kept, which bounds the memory (about 1,024 x 1,000 characters x 8 views).
_VIEW_CACHE_ENTRIES = 1_024
_VIEW_CACHE_CHARS = 1_000


def view_steps(text: str) -> ViewSteps:
    """:func:`views` with its steps. Each step runs once and is skipped when its input is
    unchanged: most comments have no spaced letters, leetspeak or repeated letters."""
    if len(text) <= _VIEW_CACHE_CHARS:
        return _cached_view_steps(text)
    return _view_steps(text)


def _view_steps(text: str) -> ViewSteps:
    folded = fold(text)
    spaced = unspace(folded)
    leet = deleet(folded)
    both = leet if spaced == folded else deleet(spaced)
    squeezed = squeeze(folded)
    both_squeezed = squeezed if both == folded else squeeze(both)
    out = [folded]
    candidates = [leet, spaced, squeezed, both_squeezed]
    if spaced != folded:  # spaced letters: the reading with a one-letter word kept apart too
        split = unspace(folded, split_one_letter_word=True)
        if split != spaced:
            candidates += [split, squeeze(deleet(split))]
    for view in candidates:
        if view not in out:
            out.append(view)
    return ViewSteps(folded, squeezed, both, both_squeezed, tuple(out))


_cached_view_steps = lru_cache(maxsize=_VIEW_CACHE_ENTRIES)(_view_steps)


def views(text: str) -> tuple[str, ...]:
    """The distinct normalized views of a text that term matchers should search, folded first."""
    return view_steps(text).views


# Defanging lives here, below the rules and the core's output alike: the links rule writes
# defanged URLs into evidence, and every view of comment text defangs what it shows.
_SCHEME = re.compile(r"(?i)^(ht|f)tp(s?)://")
_BARE_DOT = re.compile(r"(?<!\[)\.(?!\])")


def defang_url(url: str) -> str:
    url = _SCHEME.sub(lambda m: ("hxxp" if m.group(1).lower() == "ht" else "fxp")
                      + m.group(2) + "://", url)
    head, sep, rest = url.partition("://")
    if not sep:
        head, rest = "", url
    host, slash, path = rest.partition("/")
    host = _BARE_DOT.sub("[.]", host)  # idempotent: a defanged host stays as it is
    return f"{head}{sep}{host}{slash}{path}"
