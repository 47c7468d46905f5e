"""Tests of rules/prefilter.py: the literals a pattern requires, and that a prefilter never rules
out a text a pattern matches."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest

from rules.impersonation.support import GROUPS
from rules.prefilter import Prefilter, required_literals

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize("pattern, literals", [
    (r"\b(?:dm|pm) (?:us|me)\b", {"dm us", "dm me", "pm us", "pm me"}),
    (r"help ?(?:desk|line)", {"helpdesk", "help desk", "helpline", "help line"}),
    (r"\bkindly\b", {"kindly"}),
    (r"x(?:\w+ )?kindly", {"kindly"}),  # the longer of the two required parts
    (r"[:!]", {":", "!"}),
    (r"(?:wa|t)\.me", {"wa.me", "t.me"}),
    # a word with an optional ending: the word alone is required (what contains "agents"
    # contains "agent"), so the automaton has fewer literals to look for
    (r"\bour (?:\w+ )?(?:agents?|staff)\b", {"agent", "staff"}),
    (r"mips(?:el)?$", {"mips"}),
])
def test_required_literals_of_simple_patterns(pattern, literals):
    assert required_literals(pattern) == literals


@pytest.mark.parametrize("pattern", [
    r"\w+", r"(?:x|\w)", r"x?", r"(?i)kindly", r"(?i:kindly)", r"a|\d", "(unclosed",
])
def test_patterns_that_require_nothing_known_are_never_ruled_out(pattern):
    assert required_literals(pattern) is None
    assert Prefilter({"p": pattern}).matching("anything at all") == {"p"}


def _texts() -> list[str]:
    """Real comments (when the shared data is there) plus texts built from the patterns' own
    words, so that most patterns match some of them."""
    rng = random.Random(7)
    words = re.findall(r"[a-z']+", " ".join(p.pattern for g in GROUPS.values() for p in g.values()))
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 12))) for _ in range(3000)]
    for name in sorted((SHARED / "youtube_spam").glob("*.csv")):
        with name.open(encoding="utf-8") as f:
            texts += [row["CONTENT"].lower() for row in csv.DictReader(f)]
    return texts


def test_a_prefilter_never_rules_out_a_text_a_pattern_matches():
    patterns = {label: p for g in GROUPS.values() for label, p in g.items()}
    prefilter = Prefilter({label: p.pattern for label, p in patterns.items()})
    matched = ruled_out = 0
    for text in _texts():
        named = prefilter.matching(text)
        for label, pattern in patterns.items():
            if pattern.search(text):
                matched += 1
                assert label in named, (label, text)
            elif label not in named:
                ruled_out += 1
    assert matched > 300  # the texts exercise the patterns
    assert ruled_out > matched  # and the prefilter rules most pairs out
