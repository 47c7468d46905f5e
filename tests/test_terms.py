import time

import pytest

from moderator.models import Category, Severity
from rules.charter.termviews import term_views as _views
from rules.charter.terms import TermError, TermList, TermMatcher, parse_term


def matcher(terms, exceptions=(), global_exceptions=()):
    return TermMatcher([TermList("t", Category.CHARTER, Severity.HIGH, "r", tuple(terms),
                                 tuple(exceptions))], global_exceptions)


def hits(m, text):
    return [h.term for h in m.search(_views(text))]


def test_whole_words_only():
    m = matcher(["ass", "cunt"])
    assert hits(m, "you ass!") == ["ass"]
    assert hits(m, "a fine assessment of the class") == []
    assert hits(m, "I live in Scunthorpe") == []


def test_wildcards_extend_words():
    m = matcher(["fuck*", "*hole"])
    assert hits(m, "fucking hell") == ["fuck*"]
    assert hits(m, "what an arsehole") == ["*hole"]
    assert hits(m, "motherfucker") == []  # no leading wildcard
    assert hits(matcher(["*fuck*"]), "motherfucker") == ["*fuck*"]


def test_exceptions_cancel_hits_inside_them():
    m = matcher(["*cunt*", "ass*"], exceptions=["scunthorpe", "assess*"])
    assert hits(m, "Scunthorpe United") == []
    assert hits(m, "assessment day") == []
    assert hits(m, "cunt") == ["*cunt*"]
    assert hits(m, "asshat") == ["ass*"]
    glob = matcher(["*cunt*"], global_exceptions=["scunthorpe"])
    assert hits(glob, "SCUNTHORPE") == []


def test_disguises_are_seen_through():
    m = matcher(["idiot", "free money"])
    for text in ["IDIOT", "1d10t", "i d i o t", "i.d.i.o.t", "idiiiiiot", "ｉｄｉｏｔ",
                 "id\u200biot", "іdіоt", "ídíót", "FR33 M0NEY"]:
        assert hits(m, text), text
    assert hits(m, "idiom") == []


def test_phrases_and_multiple_lists():
    lists = [TermList("a", Category.CHARTER, Severity.LOW, "ra", ("send btc",)),
             TermList("b", Category.CHARTER, Severity.HIGH, "rb", ("scam*",))]
    m = TermMatcher(lists)
    found = m.search(_views("Send BTC now, not a scammer"))
    assert [(h.list_index, h.term) for h in found] == [(0, "send btc"), (1, "scam*")]
    assert m.search(_views("resend btcx")) == []


@pytest.mark.parametrize("bad", ["", "   ", "f.*ck", r"\bass\b", "(foo|bar)", "a[bc]", "fu*ck",
                                 "x" * 300])
def test_bad_terms_are_refused(bad):
    with pytest.raises(TermError):
        parse_term(bad)


def test_no_terms_matches_nothing():
    assert TermMatcher([]).search(("anything",)) == []


def test_hundred_thousand_terms_and_a_megabyte_of_text_stay_bounded():
    terms = [f"w{i:06d}x" for i in range(100_000)] + ["needle"]
    start = time.perf_counter()
    m = matcher(terms)
    assert m.size == 100_001
    assert hits(m, "a needle in a haystack w000042x")  # first list hit reported
    text = ("aaaa needle " * 90_000)[:1_000_000]
    assert hits(m, text) == ["needle"]
    assert time.perf_counter() - start < 20
