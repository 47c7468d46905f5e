"""``[rules.links]``: the settings, the brands and the feeds the rule is built from, each
problem reported with its key."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from moderator.errors import ConfigError
from moderator.models import Brand, Severity
from moderator.options import OptionReader
from rules.links.brands import BrandEntry, brand_from_config, builtin_brands, load_brands_file
from rules.links.domains import host_forms, read_list
from rules.links.feeds import FORMATS, FeedIndex, load_feed
from rules.links.lookalikes import BrandIndex

_DOMAIN_ENTRY = re.compile(r"(?:[^\W_][\w\-]{0,62}\.)+[^\W\d_][\w\-]{0,62}\.?")


@dataclass(frozen=True, slots=True)
class LinksSettings:
    resolve_shorteners: bool = False
    resolve_timeout: float = 3.0  # for the resolver the pipeline injects; the rule does no I/O
    resolve_max_hops: int = 5
    score_medium: int = 3
    score_high: int = 5
    max_links: int = 50
    check_path: bool = True
    lookalike_severity: Severity = Severity.HIGH
    shortener_severity: Severity = Severity.LOW
    mismatch_severity: Severity = Severity.MEDIUM


@dataclass(frozen=True, slots=True)
class LinksConfig:
    brands: BrandIndex
    settings: LinksSettings
    feeds: FeedIndex
    blocklist: tuple[str, ...]


def read_config(options: Mapping[str, Any] | None, brand: Brand, path: str) -> LinksConfig:
    """Everything ``[rules.links]`` configures; raises ConfigError naming every bad key."""
    r = OptionReader(options, path)
    builtin = r.bool("builtin_brands", True)
    brands_file = r.str("brands_file", None)
    allowlist = r.str_list("allowlist")
    blocklist = r.str_list("blocklist")
    protect_popular = r.bool("protect_popular", True)
    settings = _read_settings(r)
    feed_specs = _read_feed_specs(r)
    entries: list[BrandEntry] = []
    if brands_file:
        try:
            entries.extend(load_brands_file(brands_file))
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
            r.problem("brands_file", f"cannot read brands from {brands_file}: {e}")
    for key, entries_ in (("allowlist", allowlist), ("blocklist", blocklist)):
        for i, entry in enumerate(entries_):
            if not _DOMAIN_ENTRY.fullmatch(entry.strip()):
                r.problem(f"{key}[{i}]", f"expected a domain like 'example.com', got {entry!r}")
    r.finish()
    own = brand_from_config(brand)
    if own:
        entries.insert(0, own)
    if builtin:
        entries.extend(builtin_brands())
    # popular.txt: written by hand; popular_ranked.txt: the ranked sites that look like a
    # built-in brand (generated from public rankings by bench/build_popular_ranked.py).
    popular = (read_list("popular.txt") | read_list("popular_ranked.txt")
               if protect_popular else ())
    allow = [host_forms(a.lower().strip())[0] for a in allowlist if a.strip()]
    feeds = FeedIndex.merge(load_feed(s["path"], s.get("format", "auto"),
                                      name=s.get("name") or s["path"])
                            for s in feed_specs if s.get("path") and Path(s["path"]).is_file())
    return LinksConfig(BrandIndex(entries, popular, allow), settings, feeds,
                       tuple(host_forms(b.lower().strip())[0] for b in blocklist if b.strip()))


def _read_settings(r: OptionReader) -> LinksSettings:
    resolve = r.bool("resolve_shorteners", False)
    resolve_timeout = r.number("resolve_timeout", 3.0, minimum=0.1)
    resolve_max_hops = r.number("resolve_max_hops", 5, minimum=1, integer=True)
    medium = r.number("score_medium", 3, minimum=1, integer=True)
    high = r.number("score_high", 5, minimum=1, integer=True)
    max_links = r.number("max_links", 50, minimum=1, integer=True)
    check_path = r.bool("check_path", True)
    look_sev = r.enum("lookalike_severity", Severity, Severity.HIGH)
    short_sev = r.enum("shortener_severity", Severity, Severity.LOW)
    mismatch_sev = r.enum("mismatch_severity", Severity, Severity.MEDIUM)
    if high is not None and medium is not None and high < medium:
        r.problem("score_high", f"must be at least score_medium ({medium}), got {high}")
    return LinksSettings(resolve_shorteners=resolve, resolve_timeout=resolve_timeout,
                         resolve_max_hops=resolve_max_hops, score_medium=medium,
                         score_high=high, max_links=max_links, check_path=check_path,
                         lookalike_severity=look_sev, shortener_severity=short_sev,
                         mismatch_severity=mismatch_sev)


def _read_feed_specs(r: OptionReader) -> tuple[Mapping[str, str], ...]:
    value = r.get("feeds", [])
    if not isinstance(value, list):
        r.problem("feeds", "expected a list of tables ([[rules.links.feeds]])")
        return ()
    specs = []
    for i, table in enumerate(value):
        fr = OptionReader(table, f"{r.key('feeds')}[{i}]")
        name = fr.str("name", None)
        path = fr.str("path", None)
        url = fr.str("url", None)
        fmt = fr.str("format", "auto")
        fr.number("refresh_minutes", 60, minimum=5)
        if fmt not in FORMATS:
            fr.problem("format", f"unknown feed format {fmt!r}; expected one of {', '.join(FORMATS)}")
        if not path and not url:
            fr.problem("path", "a feed needs a path (local file) or a url (fetched by the daemon)")
        if path and not url and not Path(path).is_file():
            # With a url, path is where the daemon keeps the download: it may not exist yet.
            fr.problem("path", f"no such file: {path}")
        try:
            fr.finish()
        except ConfigError as e:
            r.absorb(e)
            continue
        specs.append({k: v for k, v in (("name", name), ("path", path), ("url", url),
                                        ("format", fmt),
                                        ("refresh_minutes", table.get("refresh_minutes", 60)))
                      if v is not None})
    return tuple(specs)
