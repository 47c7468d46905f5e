"""rules.charter.words.tokens cuts ASCII text with bytes.translate: the same tokens as the regex
(scikit-learn's pattern, what both models were trained on), on every ASCII character, pairs of
them, and real comments raw, folded and prepared for the spam model."""

import itertools
import re

from rules.charter.spam import prepare
from rules.charter.words import TOKEN, tokens
from rules.text import fold
from tests.corpus_texts import real_texts

SKLEARN_TOKEN = re.compile(r"(?u)\b\w+\b|[!?$@#]")


def test_every_ascii_character_and_pair():
    chars = [chr(c) for c in range(128)]
    texts = chars + ["".join(p) for p in itertools.product(chars, repeat=2)]
    texts += ["".join(chars), "a!b", "!!!", "x $100 @you #win?", "  tab\tnew\nline  ", "snake_case"]
    for text in texts:
        assert tokens(text) == TOKEN.findall(text) == SKLEARN_TOKEN.findall(text), repr(text)


def test_real_comments():
    for text in real_texts():
        for variant in (text, fold(text), prepare(text)):
            assert tokens(variant) == TOKEN.findall(variant), repr(variant)
