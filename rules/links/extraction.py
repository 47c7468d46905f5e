"""Links in free text: scheme URLs and bare hosts, defanged, Markdown, HTML anchors, IDN.

One linear-time pass of one pattern finds them; ``extract_links`` returns early when the text
holds nothing that could start a link (no dot, no "://", no "dot").
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from rules.links.domains import IPV4
from rules.text import strip_invisible

MAX_SCAN_CHARS = 100_000  # the pipeline truncates earlier; this bounds us on our own

# The prefilter: what any link, defanged or not, must contain: a label character, a dot and a
# letter (or a dotted IPv4), or "//", an entity, "hxxp", "dot" or a bracketed defang. Most
# comments have none of it and cost one search for "." and a few substring tests; the pattern
# starts with its literal dot so the regex engine skips to the dots.
_DOT_CANDIDATE = re.compile(r"\.(?<=[\w\-;]\.)(?:[^\W\d_]|\d{1,3}\.\d)")
_RARE_MARKS = ("//", "&", "hxx", "dot", "[.]", "(.)", "{.}", "[:]", "[/]", ":/ /")
# Any of them in one search (of the lowercased text, as the marks are written).
_RARE_MARK = re.compile("|".join(map(re.escape, _RARE_MARKS)))


def could_hold_link(text: str) -> bool:
    """False when ``text`` (ASCII) cannot hold a link: the prefilter of :func:`extract_links`."""
    if "." in text and _DOT_CANDIDATE.search(text):
        return True
    return _RARE_MARK.search(text.lower()) is not None


_DOTTED = re.compile(r"[.\u3002\uff0e\uff61\u2024\ufe52]|dot|://|&#", re.IGNORECASE)
_DEFANG_MARKS = ("hxxp", "[.]", "(.)", "{.}", "dot", "[:]", ":/ /", "[/]")  # one is in every hint
_DEFANG_HINT = re.compile(r"hxxp|\[\.\]|\(\.\)|\{\.\}|[\[({]dot[\])}]|\[:\]|\bdot\b|:/ /|\[/\]",
                          re.IGNORECASE)
_DEFANGS = (
    (re.compile(r"\bh(?:xx|\*\*|XX|xX|Xx)p(s?)(?=\s*(?:\[:\]|:))", re.IGNORECASE), r"http\1"),
    (re.compile(r"\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s?", re.IGNORECASE), "."),
    (re.compile(r"\[:\]//|\[://\]|\[:/\]/"), "://"),
    (re.compile(r"\[/\]"), "/"),
    (re.compile(r"\[:\]"), ":"),
    # "evil dot com": only before a common TLD, so "a dot on the map" stays text.
    (re.compile(r"\b([a-z0-9][a-z0-9\-]{0,62})\s+dot\s+(com|net|org|info|biz|io|co|me|app|xyz|top|"
                r"online|site|shop|live|ru|uk|de|fr|es|it|nl|us|ca|in|br|cn|tk|ml|ga|cf|gq)\b",
                re.IGNORECASE), r"\1.\2"),
)
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": ".", "\u2024": ".", "\ufe52": "."})
_ODD_DOT = re.compile("[\u3002\uff0e\uff61\u2024\ufe52]")  # translating is slow; rarely needed

# One pass finds scheme URLs and bare hosts. Labels are letters/digits/hyphens (Unicode letters for
# IDN); the label and dot alternation is deterministic, so the scan is linear in the text.
_URL = re.compile(
    r"(?<![\w@.\-/])"
    r"(?:(?P<scheme>https?|ftp|hxxps?)://(?P<userinfo>[^\s/@<>\"'\[\]]{1,64}@)?)?"
    r"(?P<host>(?:[^\W_][\w\-]{0,62}\.){1,10}(?:[^\W\d_]{2,24}|xn--[a-z0-9\-]{1,59})"
    r"|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?![\w\-])"
    r"(?P<port>:\d{1,5})?"
    r"(?P<rest>[/?#][^\s<>\"'`]{0,2048})?",
    re.IGNORECASE,
)
_MARKDOWN = re.compile(r"\[([^\[\]\n]{1,300})\]\(\s*<?([^\s()<>]{1,2048})>?\s*\)")
_ANCHOR = re.compile(r"<a\b[^>]{0,1000}?\bhref\s*=\s*[\"']?([^\"'\s>]{1,2048})[^>]{0,1000}>"
                     r"([^<]{0,500})</a\s*>", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*_~>"


@dataclass(frozen=True, slots=True)
class FoundLink:
    url: str  # with a scheme (http:// added to scheme-less hosts)
    display: str | None = None  # the visible text (Markdown, HTML, platform display_url)
    source: str = "text"  # text | markdown | html | platform | resolved
    defanged: bool = False  # was written defanged in the comment


def extract_links(text: str, *, limit: int = 50) -> list[FoundLink]:
    """Links in free text, at most ``limit`` distinct ones, in order of appearance."""
    if not text:
        return []
    text = text[:MAX_SCAN_CHARS]
    if text.isascii():
        if not could_hold_link(text):
            return []
    elif not _DOTTED.search(text):
        return []
    if "&" in text:
        text = html.unescape(text)
    text = strip_invisible(text)
    if not text.isascii():
        if _ODD_DOT.search(text):
            text = text.translate(_DOTS)
        text = unicodedata.normalize("NFKC", text)
        if not could_hold_link(text):
            return []
    low = text.lower()
    defanged = any(mark in low for mark in _DEFANG_MARKS) and bool(_DEFANG_HINT.search(text))
    if defanged:
        for pattern, repl in _DEFANGS:
            text = pattern.sub(repl, text)

    found: dict[str, FoundLink] = {}
    displays: dict[str, tuple[str, str]] = {}
    for pattern, source in ((_MARKDOWN, "markdown"), (_ANCHOR, "html")):
        if source == "markdown" and "](" not in text or source == "html" and "<a" not in low:
            continue
        for m in pattern.finditer(text):
            target, visible = (m.group(2), m.group(1)) if source == "markdown" else m.groups()
            displays.setdefault(_with_scheme(target.strip()), (visible.strip(), source))

    for m in _URL.finditer(text):
        url = _clean(m)
        if url is None:
            continue
        display, source = displays.get(url, (None, "text"))
        if url not in found:
            found[url] = FoundLink(url, display, source, defanged)
            if len(found) >= limit:
                break
    # Markdown / HTML targets the scan missed (relative or odd ones are dropped by _clean later).
    for url, (display, source) in displays.items():
        if url not in found and len(found) < limit and _URL.match(url.split("://", 1)[-1]):
            found[url] = FoundLink(url, display, source, defanged)
    return list(found.values())


def _with_scheme(url: str) -> str:
    return url if "://" in url[:12] else "http://" + url


def _clean(m: re.Match[str]) -> str | None:
    scheme, host = m.group("scheme"), m.group("host")
    if IPV4.fullmatch(host):  # an IPv4 address: real octets, and no bare "2.124.821.694 views"
        if any(int(octet) > 255 for octet in host.split(".")):
            return None
        if not scheme and not (m.group("port") or m.group("rest")):
            return None
    elif not scheme:
        tld = host.rsplit(".", 1)[-1]
        # "great song.Love it": a capitalized word glued to a period is a sentence, not a TLD.
        if tld[:1].isupper() and not tld.isupper():
            return None
    rest = m.group("rest") or ""
    # Trailing punctuation and unbalanced closing brackets belong to the sentence.
    while rest:
        last = rest[-1]
        if last in _TRAILING:
            rest = rest[:-1]
        elif last in ")]}" and rest.count(last) > rest.count({")": "(", "]": "[", "}": "{"}[last]):
            rest = rest[:-1]
        else:
            break
    scheme = (scheme or "http").lower().replace("hxxp", "http")
    return f"{scheme}://{m.group('userinfo') or ''}{host}{m.group('port') or ''}{rest}"

