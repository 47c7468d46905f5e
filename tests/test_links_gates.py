"""The link extractor's shortcuts give what the straightforward code gives: the one search for
the rare link marks equals testing each mark, and translating the odd full stops only where one
is equals translating every text (sample comments, the shared corpora when present, edge cases)."""

import re

from rules.links import extraction
from tests.corpus_texts import real_texts

EDGES = ["evil\u3002com", "evil\uff0ecom/x", "evil\uff61com", "a\u2024b\u2024com", "x\ufe52io",
         "HXXP://evil[.]com", "evil(.)com", "evil{.}com", "evil[:]//x", "a[/]b", "h :/ /x",
         "ｅｖｉｌ．ｃｏｍ", "&#46; not a link", "caf\u00e9 dot com", "İstanbul.com", "\u212aelvin.com",
         "plain text", "", "//", "DOT", "Dot Com", "e\u0301vil.com"]


def corpus() -> list[str]:
    return EDGES + real_texts()


def test_one_search_for_the_rare_marks_equals_testing_each():
    for text in corpus():
        low = text.lower()
        assert (extraction._RARE_MARK.search(low) is not None) == \
            any(mark in low for mark in extraction._RARE_MARKS), text


def test_odd_full_stops_translated_only_where_one_is_changes_nothing(monkeypatch):
    texts = corpus()
    gated = [extraction.extract_links(t) for t in texts]
    monkeypatch.setattr(extraction, "_ODD_DOT", re.compile(""))  # every text translated
    assert [extraction.extract_links(t) for t in texts] == gated
    assert sum(map(bool, gated)) > 5
