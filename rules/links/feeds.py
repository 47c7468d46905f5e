"""Threat feeds (URLhaus, OpenPhish, PhishTank) as an immutable index of hosts and exact URLs.

The links rule never does I/O while judging comments. It loads a :class:`FeedIndex` from each
feed's local ``path`` when it is built; the daemon's refresh job (``moderator.feed_refresh``)
downloads feeds into those paths and rebuilds the rules. ``load_feed`` reads a local file (or
takes the text the daemon downloaded); a truncated or wrong-format file logs one clear line and
yields what it could read, it never raises.

Formats:

- ``openphish``: ``feed.txt``, one URL a line.
- ``urlhaus``: the CSV export (``# comment`` lines, then ``id,dateadded,url,url_status,...``),
  the plain-text URL list, or the hostfile (``127.0.0.1 host``).
- ``phishtank``: the CSV dump (``phish_id,url,phish_detail_url,...``) or the JSON dump (a list of
  objects with a ``url`` key).
- ``hosts``: one host or registrable domain a line (a local blocklist file).
- ``auto``: guess from the content.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

FORMATS = ("auto", "openphish", "urlhaus", "phishtank", "hosts")
_HOST = re.compile(r"(?:[^\W_](?:[\w\-]{0,62})?\.){1,126}[^\W\d_][\w\-]{1,62}")
MAX_FEED_BYTES = 200 * 1024 * 1024  # a feed bigger than this is not a feed


@dataclass(frozen=True, slots=True)
class FeedIndex:
    """Known-bad URLs (normalized, see :func:`normalize_url`) and hosts, with where they came from."""

    urls: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()
    url_source: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    host_source: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.urls) + len(self.hosts)

    def match_url(self, url: str) -> str | None:
        """The feed name if this exact URL is listed."""
        key = normalize_url(url)
        if key is not None and key in self.urls:
            return self.url_source.get(key, "feed")
        return None

    def match_host(self, host: str, stop_at: str | None = None) -> tuple[str, str] | None:
        """(listed host, feed name) if ``host`` or a parent of it, down to ``stop_at`` (the
        registrable domain), is listed."""
        host = host.lower().rstrip(".")
        while host:
            if host in self.hosts:
                return host, self.host_source.get(host, "feed")
            if host == stop_at or "." not in host:
                return None
            host = host.split(".", 1)[1]
        return None

    @classmethod
    def merge(cls, indexes: Iterable["FeedIndex"]) -> "FeedIndex":
        urls: dict[str, str] = {}
        hosts: dict[str, str] = {}
        sources: list[str] = []
        for index in indexes:
            for u in index.urls:
                urls.setdefault(u, index.url_source.get(u, "feed"))
            for h in index.hosts:
                hosts.setdefault(h, index.host_source.get(h, "feed"))
            sources.extend(s for s in index.sources if s not in sources)
        return cls(frozenset(urls), frozenset(hosts), tuple(sources), urls, hosts)


def normalize_url(url: str) -> str | None:
    """The key URLs are compared by: scheme and host lowercased, default port, empty path and
    fragment dropped. None if it is not an http(s)/ftp URL with a host."""
    url = url.strip()
    if "://" not in url[:12]:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", "ftp") or not host:
        return None
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path if parts.path not in ("", "/") else ""
    # http and https of one URL are the same threat.
    return urlunsplit(("http", netloc, path, parts.query, ""))


def host_of(url: str) -> str | None:
    if "://" not in url[:12]:
        url = "http://" + url
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def load_feed(source: str | Path, fmt: str = "auto", *, name: str | None = None,
              hosts_from_urls: bool = True) -> FeedIndex:
    """Read a feed from a local file path, or from its text (when ``source`` contains a newline
    or is not an existing path). Never raises for bad content; an unreadable file logs an
    error and yields an empty index.

    ``hosts_from_urls``: also index the host of every listed URL (phishing feeds list whole
    phishing sites; the rule ignores host matches on popular and brand domains, where only the
    exact URL counts).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown feed format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if isinstance(source, Path) or ("\n" not in source and len(source) < 4096
                                    and Path(source).is_file()):
        path = Path(source)
        name = name or path.name
        try:
            stat = path.stat()
        except OSError as e:
            logger.error("feed %s: cannot read %s: %s", name, path, e)
            return FeedIndex(sources=(name,))
        # Rules are rebuilt for every pass; an unchanged file is parsed once.
        return _load_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size, fmt, name,
                          hosts_from_urls)
    return parse_feed(str(source), fmt, name=name or "feed", hosts_from_urls=hosts_from_urls)


@lru_cache(maxsize=16)
def _load_file(path: str, mtime_ns: int, size: int, fmt: str, name: str,
               hosts_from_urls: bool) -> FeedIndex:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FEED_BYTES + 1)
    except OSError as e:
        logger.error("feed %s: cannot read %s: %s", name, path, e)
        return FeedIndex(sources=(name,))
    if len(data) > MAX_FEED_BYTES:
        logger.error("feed %s: larger than %d bytes; read only the start", name, MAX_FEED_BYTES)
        data = data[:MAX_FEED_BYTES]
    return parse_feed(data.decode("utf-8", errors="replace"), fmt, name=name,
                      hosts_from_urls=hosts_from_urls)


def parse_feed(text: str, fmt: str = "auto", *, name: str = "feed",
               hosts_from_urls: bool = True) -> FeedIndex:
    if fmt == "auto":
        fmt = sniff_format(text)
    readers: dict[str, Callable[[str], tuple[list[str], list[str], int]]] = {
        "openphish": _read_url_lines, "urlhaus": _read_urlhaus, "phishtank": _read_phishtank,
        "hosts": _read_hosts,
    }
    urls, hosts, bad = readers[fmt](text)
    url_keys: dict[str, str] = {}
    host_keys: dict[str, str] = {}
    for u in urls:
        key = normalize_url(u)
        if key is None:
            bad += 1
            continue
        url_keys[key] = name
        if hosts_from_urls:
            h = host_of(u)
            if h:
                host_keys[h.lower()] = name
    for h in hosts:
        h = h.strip().lower().rstrip(".")
        if len(h) <= 253 and _HOST.fullmatch(h):
            host_keys[h] = name
        else:
            bad += 1
    total = len(url_keys) + len(host_keys)
    if bad:
        logger.warning("feed %s (%s): skipped %d unreadable entries, kept %d urls and %d hosts",
                       name, fmt, bad, len(url_keys), len(host_keys))
    if total == 0 and text.strip():
        logger.error("feed %s: no entries found reading it as %s; wrong format or truncated?",
                     name, fmt)
    return FeedIndex(frozenset(url_keys), frozenset(host_keys), (name,), url_keys, host_keys)


def sniff_format(text: str) -> str:
    head = text.lstrip()[:2000]
    low = head.lower()
    if head.startswith("[") or head.startswith("{") or low.startswith("phish_id"):
        return "phishtank"
    if "urlhaus" in low or low.startswith("#") or low.startswith("127.0.0.1") \
            or low.startswith("0.0.0.0"):
        return "urlhaus"
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if "://" in first:
        return "openphish"
    return "hosts"


def _lines(text: str) -> Iterable[str]:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def _read_url_lines(text: str) -> tuple[list[str], list[str], int]:
    urls, bad = [], 0
    for line in _lines(text):
        if "://" in line and " " not in line:
            urls.append(line)
        else:
            bad += 1
    return urls, [], bad


def _read_urlhaus(text: str) -> tuple[list[str], list[str], int]:
    lines = list(_lines(text))
    if not lines:
        return [], [], 0
    if lines[0].startswith(("127.0.0.1", "0.0.0.0")):  # hostfile
        hosts, bad = [], 0
        for line in lines:
            parts = line.split()
            if len(parts) >= 2:
                hosts.append(parts[1])
            else:
                bad += 1
        return [], hosts, bad
    if '","' not in lines[0] and lines[0].count(",") < 2:  # plain URL list
        return _read_url_lines(text)
    urls, bad = [], 0
    for line in lines:
        # id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
        try:
            row = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            bad += 1
            continue
        if len(row) >= 3 and "://" in row[2]:
            urls.append(row[2])
        elif row and row[0] != "id":
            bad += 1
    return urls, [], bad


def _read_phishtank(text: str) -> tuple[list[str], list[str], int]:
    stripped = text.lstrip()
    if stripped.startswith("[") or stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError as e:
            logger.error("phishtank JSON does not parse (%s); reading the URLs it holds line by "
                         "line", e)
            return _salvage_json_urls(stripped)
        rows = data if isinstance(data, list) else data.get("data", []) if isinstance(data, dict) else []
        urls = [r["url"] for r in rows if isinstance(r, dict) and isinstance(r.get("url"), str)]
        return urls, [], len(rows) - len(urls)
    urls, bad = [], 0
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "url" not in reader.fieldnames:
        return _read_url_lines(text)
    try:
        for row in reader:
            url = row.get("url")
            if isinstance(url, str) and "://" in url:
                urls.append(url)
            else:
                bad += 1
    except csv.Error:
        bad += 1
    return urls, [], bad


def _salvage_json_urls(text: str) -> tuple[list[str], list[str], int]:
    """A truncated JSON dump: pull the "url" values out of the complete objects."""
    urls = []
    for raw in re.findall(r'"url"\s*:\s*"((?:[^"\\]|\\.){1,4096})"', text):
        try:
            urls.append(json.loads(f'"{raw}"'))
        except ValueError:
            continue
    return urls, [], 1


def _read_hosts(text: str) -> tuple[list[str], list[str], int]:
    urls, hosts = [], []
    for line in _lines(text):
        (urls if "://" in line else hosts).append(line.split()[0])
    return urls, hosts, 0
