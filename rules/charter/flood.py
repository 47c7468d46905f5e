"""Flooding: the same (or nearly the same) text, or the same link, posted again and again.

Pure: the rule does no I/O, so history comes from the caller. The interface is three pieces:

- ``records(comments) -> list[list[FloodRecord]]``: what to remember about each comment (one
  record for its text when long enough, one per link). The store persists these.
- ``check(comments, history, settings) -> list[FloodHit | None]``: judge a batch against the
  caller's recent records (any order; older than the window are ignored) *and* against the
  earlier comments of the batch itself, so it works with no history at all. Records of the
  batch's own comments (same ``uid``, e.g. a batch replayed after a crash) are ignored.
- ``fingerprint(text) -> str``: the near-duplicate key: folded (case, look-alikes, accents),
  repeated letters squeezed, links, HTML markup, digits, punctuation and emoji dropped, words
  de-duplicated and sorted, hashed.
  ``""`` for text too short to judge ("lol", "first!" are repeated innocently).

Semantics, per key within ``window`` seconds ending at the comment's time: the comment is
flooding when it is at least the ``per_author``-th copy by its author, or when at least
``authors`` distinct authors have posted it (counting this one; texts only from
``authors_min_chars`` letters on, links to the organization's own hosts never). Earlier copies are not
flagged retroactively: they were judged when they arrived. A comment without a date is taken
to be as recent as the newest record known.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence
from urllib.parse import urlsplit

from moderator.models import Comment
from rules.text import fold, squeeze

_LETTERS = re.compile(r"[^\W\d_]+")
# In ASCII text the letters are A-Z and a-z: every other byte becomes a space, and the words
# are what bytes.split() leaves (the same words [A-Za-z]+ finds, a few times quicker).
_ASCII_LETTERS_ONLY = bytes(c if 65 <= c <= 90 or 97 <= c <= 122 else 32 for c in range(256))
# Links and markup are not the message: a campaign rotates its links (they are counted on their
# own, as link records) and raw exports keep HTML tags and entities.
_MARKUP = re.compile(r"<[^<>]{0,300}>|&#?\w{1,10};")
_LINK_WORD = re.compile(r"(?<!\S)\S*?(?:://|www\.|\.[a-z]{2,}/)\S*")  # from word starts only: linear
_URL = re.compile(r"https?://[^\s<>\"']{1,500}|www\.[^\s<>\"']{1,500}", re.IGNORECASE)
MAX_FINGERPRINT_CHARS = 5000  # hostile 1 MB comments: the prefix decides
MIN_CHARS = 15


@dataclass(frozen=True, slots=True)
class FloodSettings:
    window: float = 3600.0  # seconds
    per_author: int = 3  # the Nth copy by one author within the window is flooding
    authors: int = 5  # N distinct authors posting the same thing within the window
    min_chars: int = MIN_CHARS  # letters a text needs (after normalization) to be tracked
    authors_min_chars: int = 40  # letters a text needs for the many-authors count: short
    #                              praise ("great video, thanks") recurs innocently
    links: bool = True  # also count repeated links
    ignore_hosts: tuple[str, ...] = ()  # the organization's own domains: its links recur


class FloodRecord(NamedTuple):  # a tuple: cheap to pickle to and from backfill's workers
    author: str  # author key: platform id, else handle, else display name; "" if unknown
    key: str  # "t:<fingerprint>" for a text, "u:<fingerprint>" for a link
    time: float | None  # POSIX seconds (the comment's created_at)
    uid: str = ""  # Comment.uid: a replayed batch must not count its own earlier records


@dataclass(frozen=True, slots=True)
class FloodHit:
    kind: str  # "text" or "link"
    key: str
    copies_by_author: int
    authors: int
    window: float


def fingerprint(text: str, min_chars: int = MIN_CHARS, folded: str | None = None) -> str:
    """``folded``: ``fold(text)`` if the caller has it."""
    key, letters = _text_key(text, folded)
    return key if letters >= min_chars else ""


def _text_key(text: str, folded: str | None, flat: str | None = None) -> tuple[str, int]:
    """``flat``: ``squeeze(folded, keep=1)`` if the caller has it."""
    if flat is None or folded is None or len(folded) > MAX_FINGERPRINT_CHARS:
        folded = fold(text[:MAX_FINGERPRINT_CHARS]) if folded is None \
            else folded[:MAX_FINGERPRINT_CHARS]
        flat = squeeze(folded, keep=1)
    if "<" in flat or "&" in flat:
        flat = _MARKUP.sub(" ", flat)
    if "/" in flat or "www." in flat:
        flat = _LINK_WORD.sub(" ", flat)
    # Letters only: numbers, punctuation and emoji are what copies vary ("video 2", "!!!").
    if flat.isascii():  # (ASCII: one byte a letter, and bytes sort as the characters do)
        words = sorted(set(flat.encode().translate(_ASCII_LETTERS_ONLY).split()))
        joined = b" ".join(words)
    else:
        words = sorted(set(_LETTERS.findall(flat)))
        joined = " ".join(words)
    letters = len(joined) - len(words) + 1 if words else 0  # the words' lengths, summed
    return hashlib.blake2b(joined if isinstance(joined, bytes) else joined.encode(),
                           digest_size=8).hexdigest(), letters


def link_fingerprint(url: str, ignore_hosts: Sequence[str] = ()) -> str:
    """Host (without www.) and path, casefolded; query strings and fragments vary per post.
    ``""`` for a link to one of ``ignore_hosts`` (or their subdomains)."""
    try:
        parts = urlsplit(url if "//" in url else "http://" + url)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:  # e.g. a malformed IPv6 literal
        return ""
    if not host or any(host == h or host.endswith("." + h) for h in ignore_hosts):
        return ""
    key = host + parts.path.rstrip("/").casefold()
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def author_key(comment: Comment) -> str:
    a = comment.author
    return a.id or (a.handle and "@" + a.handle.casefold()) or (a.name and fold(a.name)) or ""


Keyed = list[tuple[FloodRecord, bool]]


def records(comments: Sequence[Comment], settings: FloodSettings = FloodSettings(),
            folded: Sequence[str] | None = None,
            keyed: Sequence[Keyed] | None = None) -> list[list[FloodRecord]]:
    """``keyed``: ``keyed_records(comments, settings)`` if the caller already has them."""
    if keyed is None:
        keyed = keyed_records(comments, settings, folded)
    return [[record for record, _ in k] for k in keyed]


def keyed_records(comments: Sequence[Comment], settings: FloodSettings,
                  folded: Sequence[str] | None = None,
                  flat: Sequence[str] | None = None) -> list[Keyed]:
    """Each comment's records, each with whether the many-authors count applies to it.
    ``flat``: ``squeeze(folded[i], keep=1)`` of each, if the caller has them."""
    out: list[Keyed] = []
    for i, c in enumerate(comments):
        text = c.text
        keys: list[tuple[str, bool]] = []
        text_key, letters = _text_key(text, None if folded is None else folded[i],
                                      None if flat is None else flat[i])
        if letters >= settings.min_chars:
            keys.append(("t:" + text_key, letters >= settings.authors_min_chars))
        if settings.links and (c.links or "http" in text or "www." in text):
            urls = [link.url for link in c.links]
            if "http" in text or "www." in text:
                urls += _URL.findall(text[:MAX_FINGERPRINT_CHARS])
            for url in urls[:20]:
                key = link_fingerprint(url, settings.ignore_hosts)
                if key and ("u:" + key, True) not in keys:
                    keys.append(("u:" + key, True))
        if not keys:  # too short to track and no link: nothing to remember
            out.append([])
            continue
        author, uid = author_key(c), c.uid
        time = c.created_at.timestamp() if c.created_at else None
        out.append([(FloodRecord(author, k, time, uid), many) for k, many in keys])
    return out


def check(comments: Sequence[Comment], history: Iterable[FloodRecord],
          settings: FloodSettings = FloodSettings(),
          folded: Sequence[str] | None = None,
          keyed: Sequence[Keyed] | None = None) -> list[FloodHit | None]:
    """``keyed``: ``keyed_records(comments, settings)`` if the caller already has them."""
    if keyed is None:
        keyed = keyed_records(comments, settings, folded)
    batch = [[record for record, _ in k] for k in keyed]
    uids = {c.uid for c in comments}
    history = [r for r in history if not r.uid or r.uid not in uids]
    times = [r.time for r in history if r.time is not None]
    times += [r.time for rs in batch for r in rs if r.time is not None]
    latest = max(times, default=0.0)

    # key -> sorted list of (time, order, author); order keeps a batch's own sequence.
    seen: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    for r in history:
        seen[r.key].append((latest if r.time is None else r.time, -1, r.author))
    for timeline in seen.values():
        timeline.sort()

    hits: list[FloodHit | None] = [None] * len(comments)
    order = sorted(range(len(comments)),
                   key=lambda i: (latest if not batch[i] or batch[i][0].time is None
                                  else batch[i][0].time, i))
    for i in order:
        for record, many_authors_applies in keyed[i]:
            t = latest if record.time is None else record.time
            timeline = seen[record.key]
            entry = (t, i, record.author)
            bisect.insort(timeline, entry)
            if hits[i] is not None:
                continue
            lo = bisect.bisect_left(timeline, (t - settings.window, -2, ""))
            hi = bisect.bisect_right(timeline, entry)
            window = timeline[lo:hi]
            by_author = sum(1 for _, _, a in window if a == record.author) if record.author else 1
            authors = len({a for _, _, a in window if a}) or 1
            if by_author >= settings.per_author or \
                    (many_authors_applies and authors >= settings.authors):
                hits[i] = FloodHit("text" if record.key.startswith("t:") else "link",
                                   record.key, by_author, authors, settings.window)
    return hits
