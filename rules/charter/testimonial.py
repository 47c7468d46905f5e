"""Scam testimonials: comments that recruit for an "account manager" by vouching for her.

Under the posts of banks, exchanges and finance creators, investment and recovery scams recruit
in the comments. The shapes (bench/charter.md, sixth round, read on Instagram comments):

- a testimonial with a gain and an amount, and someone to reach ("I invested $1,000 and got a
  return of $11,000 ... @trades_with_x", "the profit of $30k from the investment of $5k
  #h\u0101\u017ae\u0142_mc\u1eb9w\u01dd\u1e45");
- gain words with a testimonial's praise, and someone to reach ("she is honest and reliable
  with my withdrawals ... mrs caitlyn");
- a referral: "inbox @...", "get in touch with #...";
- a giveaway: "I'm paying $4,000 to the first 7 people to message me".

The spam model cannot learn these without also learning the words of praise and thanks that
honest comments use; what sets them apart is this structure. The text is the folded one
(``rules.text.fold``: look-alike letters and fancy fonts undone), cut at ``MAX_CHARS``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from rules.prefilter import Prefilter
from rules.text import fold

MAX_CHARS = 2_000  # testimonials are short; a longer comment is judged by its start

# An amount ("$1,000", "\u00a353,500", "5k", "6 grands", "0.4 btc"); at most 16 characters of
# digits and separators, so that a hostile run of digits costs linear time, not quadratic.
_AMOUNT = (r"(?:[$\u00a3\u20ac\u20a6]\s?\d[\d,.]{0,15}\s?k?\b"
           r"|\b\d[\d,.]{0,15}\s?(?:k|grands?|usd|dollars?|pounds?|euros?|btc|eth|usdt)\b)")
# Words of investing and its gains; with an amount, plain ones count too ("got $5,000").
_GAIN_WORDS = (r"invest(?:ed|ing|ment)?|deposit(?:ed)?|withdr[ae]w(?:als?|n|ing)?|profits?|"
               r"returns?|earn(?:ed|ing|ings)?|payouts?|recovered")
_GAIN = rf"\b(?:{_GAIN_WORDS}|payments?|made|received?|got|paid|won)\b"
_GAIN_WITH_AMOUNT = re.compile(rf"{_GAIN}[^\n]{{0,60}}?{_AMOUNT}|{_AMOUNT}[^\n]{{0,40}}?{_GAIN}")
_GAIN_WORD = re.compile(rf"\b(?:{_GAIN_WORDS})\b")
_PRAISE = re.compile(r"\b(?:testif(?:y|ied|ying)|testimony|god ?sent|legit|genuine|trust ?worthy|"
                     r"honest(?:y)?|reliable|diligen(?:t|ce)|integrity|zero to hero|"
                     r"financial freedom|smil(?:e|ing) to the bank|living my dreams?|"
                     r"(?:my|our) li(?:fe|ves) (?:has |have )?(?:changed|transformed)|grateful|"
                     r"appreciation|recommend(?:ed)?)\b")
# An account or tag: not an HTML entity ("&#128514;") nor a number ("#1").
_HANDLE = r"(?<![\w@#&])[@#](?!\d+\b)[\w.]{3,}"
# Someone else to reach: an account, a titled name, a messenger, "contact her". Not "dm me" nor
# "sir": customers complaining about a payment write those to the page too.
_PERSON = re.compile(rf"{_HANDLE}|\b(?:mrs?|ms|dr)\.? [a-z]{{3,}}|\b(?:whatsapp|telegram)\b|"
                     r"\b(?:contact|message|write to|reach out to|inbox|dm|text|call) (?:her|him|them)\b")
_REFERRAL = re.compile(r"\b(?:contact|inbox|dm|message|write to|reach out to|get in touch with|"
                       r"(?:came|come|got|get) in (?:contact|touch) with|connect with)\b"
                       rf"(?: \w+){{0,3}}? {_HANDLE}")
_GIVEAWAY = re.compile(r"\b(?:paying|giving|sending|blessing)\b[^\n]{0,40}?\bto the first\b"
                       r"[^\n]{0,20}?\b(?:people|persons|followers|ones)\b")


# "RT @someone:" names whom a tweet quotes, not someone to contact.
_RETWEET = re.compile(r"\brt @[\w.]{1,30}:?")


def own_mentions(handles: Iterable[str]) -> re.Pattern[str] | None:
    """Mentions of the organization's own accounts ([brand].handles): sending readers to the real
    account, or naming it in a complaint about a payment, is no scam."""
    names = sorted({fold(h).strip().lstrip("@#") for h in handles} - {""}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<![\w@#])[@#](?:" + "|".join(map(re.escape, names)) + r")(?![\w.])")


def scam_testimonial(folded: str, own: re.Pattern[str] | None = None) -> tuple[str, str] | None:
    """(which shape, the words that show it) when ``folded`` is a scam testimonial, else None.
    ``own``: ``own_mentions`` of the page's accounts, which do not count as someone to reach."""
    text = folded[:MAX_CHARS]
    if "rt @" in text:
        text = _RETWEET.sub(" ", text)
    if own is not None and "@" in text:
        text = own.sub(" ", text)
    could = _screen().matching(text)  # one pass: the patterns that could match
    if "giveaway" in could and (m := _GIVEAWAY.search(text)):
        return "giveaway", m.group(0)
    if "gain word" not in could:
        could.discard("praise")  # praise alone testifies to nothing
    if "person" not in could or not could & {"referral", "gain", "praise"} \
            or not _PERSON.search(text):
        return None  # nobody to reach, or nothing said of them: most comments end here
    if "referral" in could and (m := _REFERRAL.search(text)):
        return "referral", m.group(0)
    if "gain" in could and (m := _GAIN_WITH_AMOUNT.search(text)):
        return "gain", m.group(0)
    if "praise" in could and (m := _PRAISE.search(text)) and _GAIN_WORD.search(text):
        return "praise", m.group(0)
    return None


@lru_cache(maxsize=1)
def _screen() -> Prefilter:
    """The literals each pattern needs, in one automaton (rules/prefilter.py), built on first
    use: most comments hold none of them, or nobody to reach."""
    return Prefilter({"giveaway": _GIVEAWAY.pattern, "person": _PERSON.pattern,
                      "referral": _REFERRAL.pattern, "gain": _GAIN_WITH_AMOUNT.pattern,
                      "praise": _PRAISE.pattern, "gain word": _GAIN_WORD.pattern})
