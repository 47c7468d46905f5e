"""Shared text normalization: the views other rules rely on, and the lookalike letters."""

from __future__ import annotations

import pytest

from rules.text import deleet, fold, skeleton, squeeze, strip_invisible, strip_marks, unspace, views


@pytest.mark.parametrize("text, expected", [
    ("раураl", "paypal"),  # Cyrillic
    ("ｐａｙｐａｌ", "paypal"),  # fullwidth
    ("ƥaÿpal", "paypal"),  # p with hook: not in confusables.txt, from its Unicode name
    ("päyƿal", "paypal"),  # wynn
    ("pạypɑl", "paypal"),  # Latin alpha
    ("ԍооԍӏе", "googie"),  # Komi sje; palochka is an i/l lookalike
    ("acmebamĸ", "acmebamk"),  # kra
    ("pay\u200bpal", "paypal"),  # zero width space
])
def test_skeleton_reduces_lookalike_letters(text, expected):
    assert skeleton(text).lower() == expected


def test_skeleton_keeps_case_and_plain_ascii():
    assert skeleton("PayPal Support") == "PayPal Support"
    assert skeleton("me@x.com") == "me@x.com"


def test_fold_and_views():
    assert fold("  ＦＲＥＥ   Gift ") == "free gift"
    assert "free gift card" in views("FR33 G1FT C4RD")
    assert "spam" in views("s p a m")
    assert squeeze("freeeee") == "free"
    assert deleet("fr33") == "free"
    assert unspace("s.p.a.m now") == "spam now"
    assert strip_marks("café") == "cafe"
    assert strip_invisible("a\u200db\ufeff") == "ab"


def test_leet_view_is_extra_not_a_replacement():
    v = views("mail me@x.com")
    assert v[0] == "mail me@x.com"


def test_unspace_keeps_a_one_letter_word_apart():
    # Dots space the letters: the space before them is a word break.
    assert unspace("a f.u.c.k") == "a fuck"
    assert unspace("f.u.c.k y.o.u") == "fuck you"
    # Spaces alone are ambiguous ("a s s h o l e" is one word): both readings are views.
    assert unspace("a s s h o l e") == "asshole"
    assert "you are a fuck" in views("you are a f u c k")
    assert "asshole" in views("a s s h o l e")
    assert unspace("x f u c k") == "xfuck"  # not a one-letter word: joined as before


@pytest.mark.parametrize("text, expected", [
    ("тwitter", "twitter"),  # Cyrillic te: confusables.txt maps it to small capital T
    ("вank", "bank"), ("кey", "key"), ("нello", "hello"),
    ("мoney", "money"), ("пew", "new"), ("шin", "win"),
    ("ёlka", "elka"),  # Cyrillic io: its base letter is a look-alike once the mark is gone
])
def test_skeleton_maps_lowercase_cyrillic_lookalikes(text, expected):
    assert skeleton(text).lower() == expected


def test_lookalike_chains_stay_cyrillic():
    # the euro sign is leetspeak for e, not a look-alike of C
    assert "free gift" in views("FR€€ G1FT")
