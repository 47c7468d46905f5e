"""Making hostile text safe to show a person: links defanged, lines bounded.

Used wherever a person could click (terminal emulators linkify URLs, mail clients too):
``https://evil.com/login`` -> ``hxxps://evil[.]com/login``. HTML escaping is separate (see
``html.escape``) and is done by each HTML output on top of this.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Invisible and direction-changing characters can hide a link from a reader or reorder what a
# reader sees (U+202E turns "moc.live" into "evil.com"): dropped for display with the same set
# the rules see through.
from rules.text import defang_url, strip_invisible

# Scheme URLs, www. hosts, and bare domain-looking tokens (word.word...tld). Linear-time.
_URLISH = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}://[^\s<>\"']{1,2000}"
    r"|www\.[^\s<>\"']{1,2000}"
    r"|(?:[a-z0-9](?:[a-z0-9-]{0,62})\.){1,10}[a-z]{2,24}\b(?:/[^\s<>\"']{0,2000})?)")
def defang_text(text: str) -> str:
    """Every link-like token in free text defanged; everything else unchanged."""
    return _URLISH.sub(lambda m: defang_url(m.group(0)), text)


def defang_value(value: Any) -> str:
    """Evidence values for display: strings defanged, other values shown compactly."""
    if isinstance(value, str):
        return defang_text(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(defang_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={defang_value(v)}" for k, v in value.items())
    return str(value)


def one_line(text: str, width: int) -> str:
    """Collapse whitespace and cut to ``width`` characters for tables."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# -- masking and HTML safety (the digest e-mail, any HTML report) ------------------------------

# Bounded pieces only: linear time on hostile text.
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]{1,64})@((?:[\w-]{1,63}\.){1,10}[\w-]{2,63})")
# Not starting right after a letter (``abc123456`` reads as an id); a run longer than the
# bound is cut in pieces, each masked. Over-masking an order number is harmless.
_DIGIT_RUN = re.compile(r"(?<![^\W\d])\+?\d(?:[ .\-/()]{0,3}\d){6,40}")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
CARD_DIGITS = 13  # a run this long is treated as a payment card (or account) number


def mask_email(match: re.Match[str]) -> str:
    return f"{match.group(1)[0]}***@{match.group(2)}"


def _mask_digits(match: re.Match[str]) -> str:
    run = match.group(0)
    if _DATE.fullmatch(run):
        return run
    digits = sum(ch.isdigit() for ch in run)
    keep = 4 if digits >= CARD_DIGITS else 2  # enough to tell two numbers apart, no more
    out, seen = [], 0
    for ch in run:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > digits - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_pii(text: str) -> str:
    """E-mail addresses, phone numbers and card-like digit runs masked for display:
    ``jane.doe@example.com`` -> ``j***@example.com``, ``4111 1111 1111 1111`` ->
    ``**** **** **** 1111``, ``+44 20 7946 0018`` -> ``+** ** **** **18``."""
    return _DIGIT_RUN.sub(_mask_digits, _EMAIL.sub(mask_email, text))


# Platform object ids in our own error lines: Graph composite ids (page_post), path segments
# (GET 17841400000000000/comments), and long unseparated runs no phone has (E.164 stops at 15
# digits) that fail the card checksum.
_ID = re.compile(r"(?<![\w+])\d{1,25}(?:_\d{1,25})+(?!\w)"
                 r"|(?<=/)\d{5,25}(?!\w)|(?<![\w+])\d{5,25}(?=/\w)"
                 r"|(?<![\w+])\d{16,25}(?!\w)")


def _luhn_valid(digits: str) -> bool:
    total = sum(int(d) if i % 2 == 0 else (2 * int(d) if int(d) < 5 else 2 * int(d) - 9)
                for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def mask_pii_keeping_ids(text: str) -> str:
    """mask_pii for our error lines: platform object ids stay readable (an operator needs
    them), everything between them is masked as usual."""
    out, last = [], 0
    for m in _ID.finditer(text):
        token = m.group(0)
        if token.isdigit() and len(token) <= 19 and _luhn_valid(token):
            continue  # could be a card number: masked with the rest
        out += [mask_pii(text[last:m.start()]), token]
        last = m.end()
    out.append(mask_pii(text[last:]))
    return "".join(out)


def safe_excerpt(text: str, width: int = 240, *, keep_ids: bool = False) -> str:
    """Hostile comment text made fit for a person's eyes (plain text; escape it for HTML):
    invisible characters dropped, personal data masked, links defanged, one bounded line.
    ``keep_ids``: for our own error lines, which name platform object ids."""
    head = strip_invisible(text[: width * 8])
    return one_line(defang_text((mask_pii_keeping_ids if keep_ids else mask_pii)(head)), width)


def html_text(text: str) -> str:
    """Escape for an HTML text node or a quoted attribute value."""
    return html.escape(text, quote=True)
