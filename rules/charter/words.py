"""The tokens the charter's two models read: runs of word characters and the marks ``!?$@#``.

The spam model's tokens are scikit-learn's ``\\b\\w+\\b|[!?$@#]`` (``TOKEN``: a run of word
characters read from its start lies between word boundaries anyway); the profanity model's words
(``\\w\\w+``) are the same runs of two characters or more, so it can look these tokens up in its
vocabulary, which holds no shorter word and no mark.

Most comments are ASCII, where a word character is a letter, a digit or ``_``: there one
``bytes.translate`` turns every other byte into a space (marks kept, then spaced apart) and
``split`` cuts the tokens: 3.3 us a comment of bench/core.py's corpus where the regex took 4.7.
Other text is read with the regex, whose ``\\w`` knows every script. ``tests/test_words.py``
compares the two on every ASCII character and the corpus.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r"(?u)\w+|[!?$@#]")
MARKS = "!?$@#"

# ASCII word characters and the marks stay, every other byte becomes a space.
_ASCII_TOKEN_BYTES = bytes(c if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "_" + MARKS)
                           else 32 for c in range(256))
_SPACED_MARKS = tuple((m.encode(), f" {m} ".encode()) for m in MARKS)


def tokens(text: str) -> list[str]:
    """``TOKEN.findall(text)``."""
    if not text.isascii():
        return TOKEN.findall(text)
    data = text.encode().translate(_ASCII_TOKEN_BYTES)
    for mark, spaced in _SPACED_MARKS:
        if mark in data:  # a mark is a token of its own, even inside a word ("a!b")
            data = data.replace(mark, spaced)
    return data.decode().split()
