"""The links rule: every link of a comment checked against feeds, the blocklist, the protected
brands, its own link text, shorteners and weak signals.

Findings: ``links.threat_feed`` (the URL or its host is in a loaded feed), ``links.blocklist``,
``links.lookalike`` (see :mod:`rules.links.lookalikes`), ``links.mismatch`` (the visible text of a
link names another domain than its target), ``links.shortener`` (destination unknown, or resolved
when the pipeline injects a resolver), ``links.suspicious`` (weak signals that add up).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, ClassVar, Iterable, Mapping

from moderator.models import Brand, Category, Comment, Finding, Severity
from rules.text import defang_url as defang  # readable, not clickable
from rules.base import PerCommentRule
from rules.links.domains import ParsedURL, parse_url, read_list, suffix_in
from rules.links.extraction import MAX_SCAN_CHARS, FoundLink, extract_links
from rules.links.feeds import FeedIndex
from rules.links.lookalikes import BrandIndex
from rules.links.settings import LinksSettings, read_config
from rules.links.signals import CREDENTIAL_PATH, asks_for_credentials, score_signals

logger = logging.getLogger(__name__)

Resolver = Callable[[str], "str | None"]
# The platform's own link wrapper: on X every link in a post's text is a t.co link, and the
# connector hands us its destination in Comment.links.
_PLATFORM_WRAPPERS = {"x": "//t.co/", "twitter": "//t.co/"}


class LinksRule(PerCommentRule):
    family: ClassVar[str] = "links"

    def __init__(self, brands: BrandIndex, *, settings: LinksSettings = LinksSettings(),
                 feeds: FeedIndex = FeedIndex(), blocklist: Iterable[str] = (),
                 shorteners: Iterable[str] | None = None, free_hosting: Iterable[str] | None = None,
                 abuse_tlds: Iterable[str] | None = None, resolver: Resolver | None = None):
        self.brands = brands
        self.settings = settings
        self.feeds = feeds
        self.blocklist = frozenset(h.lower().strip() for h in blocklist)
        self.shorteners = frozenset(shorteners) if shorteners is not None \
            else read_list("shorteners.txt")
        hosting = frozenset(free_hosting) if free_hosting is not None \
            else read_list("free_hosting.txt")
        # "sites.google.com/": pages live in the path of the host itself, not in subdomains.
        self.path_hosting = frozenset(h.rstrip("/") for h in hosting if h.endswith("/"))
        self.free_hosting = frozenset(h.rstrip("/") for h in hosting)
        self.abuse_tlds = frozenset(abuse_tlds) if abuse_tlds is not None \
            else read_list("abuse_tlds.txt")
        self.resolver = resolver if settings.resolve_shorteners else None

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_config(cls, options: Mapping[str, Any] | None, brand: Brand, *,
                    path: str = "rules.links") -> "LinksRule":
        config = read_config(options, brand, path)
        return cls(config.brands, settings=config.settings, feeds=config.feeds,
                   blocklist=config.blocklist)

    def with_resolver(self, resolver: Resolver | None) -> "LinksRule":
        """A copy that resolves shorteners through ``resolver`` (when resolve_shorteners is on)."""
        return self._copy(resolver=resolver)

    def _copy(self, **changes: Any) -> "LinksRule":
        kwargs: dict[str, Any] = dict(settings=self.settings, feeds=self.feeds,
                                      blocklist=self.blocklist, shorteners=self.shorteners,
                                      free_hosting=self.free_hosting | {h + "/" for h in self.path_hosting},
                                      abuse_tlds=self.abuse_tlds,
                                      resolver=self.resolver)
        kwargs.update(changes)
        return type(self)(self.brands, **kwargs)

    # -- judging ---------------------------------------------------------------------------

    def check(self, comment: Comment) -> list[Finding]:
        in_text = extract_links(comment.text, limit=self.settings.max_links)
        if not in_text and not comment.links:
            return []  # most comments: one cheap prefilter, nothing else
        links = [FoundLink(l.url, l.display, "platform") for l in comment.links if l.url]
        wrapper = _PLATFORM_WRAPPERS.get(comment.platform.lower())
        links.extend(l for l in in_text if not (wrapper and wrapper in l.url[:30].lower()))
        if not links:
            return []
        credential = asks_for_credentials(comment.text[:MAX_SCAN_CHARS])
        findings: list[Finding] = []
        seen: set[str] = set()
        for link in links[: self.settings.max_links]:
            if link.url in seen:
                continue
            seen.add(link.url)
            findings.extend(self.check_link(link, credential))
        return _dedupe(findings)

    def check_link(self, link: FoundLink, credential: bool = False,
                   resolved_from: str | None = None) -> list[Finding]:
        p = parse_url(link.url)
        if p is None:
            return []
        base = {"url": defang(link.url), "host": defang(p.unicode_host),
                "registrable_domain": defang(p.registrable)}
        if link.source != "text":
            base["source"] = link.source
        if link.defanged:
            base["written_defanged"] = True
        if resolved_from:
            base["resolved_from"] = defang(resolved_from)
        if self.brands.allowed(p.host):
            return []
        out: list[Finding] = []
        protected = self.brands.protected(p) and not p.is_ip

        feed = self.feeds.match_url(link.url)
        if feed:
            out.append(self._finding("threat_feed", Severity.CRITICAL,
                                     f"{defang(link.url)} is listed in threat feed {feed}",
                                     base, feed=feed, matched="url"))
        elif not protected or (self._free_host(p.host) and p.host not in self.path_hosting):
            # On popular / brand hosts only the exact URL counts (a phishing form on
            # docs.google.com must not condemn docs.google.com); a site on a free host is its own.
            hit = self.feeds.match_host(p.host, stop_at=p.registrable)
            if hit:
                out.append(self._finding("threat_feed", Severity.HIGH,
                                         f"{defang(p.host)} is listed in threat feed {hit[1]}",
                                         base, feed=hit[1], matched="host",
                                         listed_host=defang(hit[0])))
        blocked = self._blocked(p.host)
        if blocked:
            out.append(self._finding("blocklist", Severity.HIGH,
                                     f"{defang(p.host)} is on the blocklist", base,
                                     listed=defang(blocked)))

        free = self._free_host(p.host)
        look = self.brands.match(p, free)
        if look is None and self.settings.check_path and (free or not protected):
            owners = self.brands.owned(p.registrable, p.suffix, p.domain)
            path_hit = self.brands.in_path(p, owners)
            if path_hit and (free or credential or CREDENTIAL_PATH.search(p.path)):
                look = path_hit
        if look is not None:
            severity = self.settings.lookalike_severity if look.where != "path" else Severity.MEDIUM
            where = {"domain": "", "subdomain": " in its subdomain", "path": " in its path"}[look.where]
            out.append(self._finding(
                "lookalike", severity,
                f"{defang(p.unicode_host)} imitates {look.brand_domain} ({look.brand}){where}: "
                f"{look.technique}", base, brand=look.brand, brand_domain=look.brand_domain,
                technique=look.technique, similarity=look.similarity))

        if link.display:
            shown = self._mismatch(link.display, p)
            if shown:
                # Showing a brand's or a well-known site's address over another target is the
                # classic phishing link: at least high.
                severity = self.settings.mismatch_severity
                if self.brands.protected(shown) and not protected:
                    severity = max(severity, Severity.HIGH)
                out.append(self._finding(
                    "mismatch", severity,
                    f"link text shows {defang(shown.registrable)} but leads to "
                    f"{defang(p.registrable)}", base, display=defang(link.display[:200]),
                    shown_domain=defang(shown.registrable)))

        if self._is_shortener(p) and len(p.path) > 1 and resolved_from is None:
            out.extend(self._shortener(link, p, base, credential))

        shortened = self._is_shortener(p) and len(p.path) > 1
        signals = score_signals(p, self.abuse_tlds, hides=free or shortened,
                                credential=credential, protected=protected)
        if signals.score >= self.settings.score_medium or (signals.score >= 2 and not out):
            severity = (Severity.HIGH if signals.score >= self.settings.score_high else
                        Severity.MEDIUM if signals.score >= self.settings.score_medium else
                        Severity.LOW)
            out.append(self._finding("suspicious", severity,
                                     f"{defang(p.unicode_host)}: " + ", ".join(signals.reasons),
                                     base, score=signals.score, signals=list(signals.reasons)))
        return out

    # -- parts -----------------------------------------------------------------------------

    def _finding(self, kind: str, severity: Severity, reason: str, base: Mapping[str, Any],
                 **evidence: Any) -> Finding:
        return Finding(rule=f"links.{kind}", category=Category.LINK, severity=severity,
                       reason=reason, evidence={**base, **evidence})

    def _free_host(self, host: str) -> bool:
        """A site on a free host or form builder (not the platform's own home page)."""
        entry = suffix_in(host, self.free_hosting)
        return entry is not None and (entry != host or entry in self.path_hosting)

    def _blocked(self, host: str) -> str | None:
        return suffix_in(host, self.blocklist)

    def _is_shortener(self, p: ParsedURL) -> bool:
        return p.host in self.shorteners or p.registrable in self.shorteners

    def _shortener(self, link: FoundLink, p: ParsedURL, base: Mapping[str, Any],
                   credential: bool) -> list[Finding]:
        if self.resolver is None:
            return [self._finding("shortener", self.settings.shortener_severity,
                                  f"{defang(p.host)} is a URL shortener: destination unknown",
                                  base, destination=None)]
        try:
            target = self.resolver(link.url)
        except Exception as e:  # an injected resolver must not break the rule
            logger.warning("shortener resolver failed on %s: %s", defang(link.url), e)
            target = None
        if not target or target == link.url:
            return [self._finding("shortener", self.settings.shortener_severity,
                                  f"{defang(p.host)} is a URL shortener: destination unknown "
                                  f"(could not resolve)", base, destination=None)]
        inner = self.check_link(FoundLink(target, None, "resolved"), credential,
                                resolved_from=link.url)
        reason = f"{defang(p.host)} is a URL shortener leading to {defang(target)}"
        # As severe as what it hides; a harmless destination keeps the configured severity.
        severity = max((f.severity for f in inner), default=self.settings.shortener_severity)
        return [self._finding("shortener", severity, reason, base,
                              destination=defang(target))] + inner

    def _mismatch(self, display: str, p: ParsedURL) -> ParsedURL | None:
        """The address the link text shows, when it is another site than the target."""
        shown = extract_links(display, limit=1)
        if not shown:
            return None
        q = parse_url(shown[0].url)
        if q is None or q.registrable == p.registrable:
            return None
        return q


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.rule, str(f.evidence.get("url")))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


