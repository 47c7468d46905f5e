"""A cheap screen in front of the fake-support signals: most comments cannot be fake support.

``SupportSignals.fires`` needs two things: the text speaks as support (a claim, an offer of help
or a request for account details) and it moves the reader somewhere (a DM, a messenger app, a
phone number, an e-mail address, a host name, a link). One Aho-Corasick pass over the literals
that each pattern requires (see rules/prefilter.py) names the patterns that could match; when
none of the first kind can, or nothing can move the reader (no "moves" pattern, no link, too few
digits for a phone number, no "@", no host), the comment cannot fire and the signals do not run.
Otherwise they run only the patterns that could match. The rule's findings are exactly those it
gave without the screen.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from rules.impersonation.contacts import BARE_HOST, EMAIL, URL_HOST, enough_digits
from rules.impersonation.support import BRAND_CLAIM, GROUPS, MAX_TEXT_CHARS
from rules.prefilter import Prefilter
from rules.text import fold, unspace

# unspace() joins four or more one-character words ("w h a t s"); such a run holds this, which
# is quicker to look for than unspace's own pattern (most comments have neither).
_SPACED_RUN = re.compile(r"[ .\-_*]\w[ .\-_*]\w[ .\-_*]")


class SupportScreen:
    def __init__(self, brand_claim: Any | None, phone_region: str | None):
        patterns = {label: p.pattern for group in GROUPS.values() for label, p in group.items()}
        if brand_claim is not None:
            patterns[BRAND_CLAIM] = brand_claim.pattern
        self.prefilter = Prefilter(patterns)
        self.speaks = frozenset({*GROUPS["claim"], *GROUPS["offer"], *GROUPS["credential"], BRAND_CLAIM})
        self.moves = frozenset(GROUPS["redirect"])
        self.phone_region = phone_region

    def patterns_to_run(self, text: str, link_urls: Sequence[str] = ()) -> frozenset[str]:
        """The labels of the patterns that could match ``text``; empty when the signals cannot
        fire on it (then nothing needs to run)."""
        text = text[:MAX_TEXT_CHARS]
        folded = fold(text)
        joined = unspace(folded) if _SPACED_RUN.search(folded) else folded
        labels = self.prefilter.matching(*((folded,) if joined == folded else (folded, joined)))
        if not labels & self.speaks:
            return frozenset()
        if labels & self.moves or link_urls or self._other_channel(text, folded):
            return frozenset(labels)
        return frozenset()

    def _other_channel(self, text: str, folded: str) -> bool:
        """A phone number, an e-mail address or a host name could be in the text."""
        if URL_HOST.search(text) or enough_digits(text, self.phone_region):
            return True
        if "@" in folded:
            return EMAIL.search(folded) is not None or BARE_HOST.search(EMAIL.sub(" ", folded)) is not None
        return BARE_HOST.search(folded) is not None
