import csv
import time
from dataclasses import replace
from pathlib import Path

import pytest

from moderator.errors import ConfigError
from moderator.models import Author, Brand, Comment, Severity
from rules.custom import CustomRule

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def rule(*tables):
    return CustomRule.from_config(list(tables), Brand(), path="rules.custom")


def c(text, handle=None, name=None):
    return Comment("x", "a", "1", text, Author(handle=handle, name=name))


def test_words_match_through_disguises_and_respect_word_boundaries():
    r = rule({"name": "gift", "words": ["free gift", "spam"], "severity": "high"})
    for text in ("FREE GIFT inside", "fr33 g1ft now", "ｆｒｅｅ ｇｉｆｔ", "get your free\u200b gift",
                 "s p a m here"):
        [finding] = r.check(c(text))
        assert finding.rule == "custom.gift" and finding.severity is Severity.HIGH, text
    for text in ("freegifting", "spammer account", "a gift for free"):
        assert r.check(c(text)) == [], text


def test_unless_cancels_and_fields_select_what_is_read():
    r = rule({"name": "support", "words": ["support"], "unless_words": ["official support"],
              "fields": ["author.handle", "author.name"], "category": "impersonation"})
    assert r.check(c("contact support", handle="bob")) == []  # text is not read
    [f] = r.check(c("hi", handle="acme_support"))
    assert f.evidence["field"] == "author.handle" and f.category.value == "impersonation"
    assert r.check(c("hi", name="Official Support")) == []


def test_regex_is_time_bounded_on_hostile_text():
    r = rule({"name": "evil", "regex": [r"(a+)+$"]})
    started = time.perf_counter()
    assert r.check(c("a" * 40 + "!")) == []
    assert time.perf_counter() - started < 2.0


def test_bad_rules_name_their_key():
    with pytest.raises(ConfigError) as caught:
        CustomRule.from_config([{"name": "Bad Name", "regex": ["("], "fields": ["body"],
                                 "severity": "apocalyptic"}, {"words": ["x"]}], Brand(),
                               path="rules.custom")
    problems = caught.value.problems
    assert any(p.startswith("rules.custom[0].name: use lowercase") for p in problems)
    assert any(p.startswith("rules.custom[0].regex[0]: regex does not compile") for p in problems)
    assert any(p.startswith("rules.custom[0].fields: unknown field 'body'") for p in problems)
    assert any(p.startswith("rules.custom[0].severity: unknown value") for p in problems)
    assert "rules.custom[1].name: required setting is missing" in problems


def _unscreened(r: CustomRule) -> CustomRule:
    plain = CustomRule([replace(check, words_screen=None, regex_screen=None) for check in r.checks])
    plain.words_screen = None  # and not the rule's screen of every check's words either
    return plain


def test_screens_change_no_verdict():
    """The screens skip a words pattern or a regex only where it cannot match: the same findings
    as without them, on real comments and on disguised, cased and Unicode-cased variants."""
    r = rule({"name": "gift", "words": ["free gift card", "double your bitcoin"],
              "regex": [r"\bwin\s+an?\s+iphone\b", r"(?:dm|inbox) me", r"\d{3}-\d{4}"],
              "unless_words": ["scam warning"]},
             {"name": "cased", "regex": ["ACME[- ]?Support", r"(?:abc){e<=1}"], "case_sensitive": True},
             {"name": "handles", "words": ["support"], "fields": ["author.handle"]},
             {"name": "channel", "words": ["check out my channel", "sub4sub"], "fields": ["text", "author.handle"]})
    plain = _unscreened(r)
    texts = ["WIN AN IPHONE today", "win a iphone", "ſupport", "fr33 g1ft c4rd", "f r e e gift card",
             "DM ME now", "dm  me", "call 555-0199", "ACME Support", "acme support", "abd", "xabcx",
             "free gift card, scam warning", "doubleee your bitcoin", "W\u0130N AN \u0130PHONE"]
    for name in sorted(SHARED.glob("youtube_spam/*.csv")):
        with name.open(encoding="utf-8") as f:
            texts += [row["CONTENT"] for row in csv.DictReader(f)]
    fired = 0
    for text in texts:
        for handle in (None, "acme_support", "Supp0rt"):
            comment = c(text, handle=handle)
            expected = plain.check(comment)
            assert r.check(comment) == expected, (text, handle)
            fired += bool(expected)
    assert fired > 10
