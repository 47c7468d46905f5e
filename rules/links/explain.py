"""``moderator explain`` for the links family: each link, its registrable domain, the closest
protected brand name and why the link was or was not flagged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from moderator.models import Comment, Finding
from rules.base import Observation, most_similar
from rules.links.domains import ParsedURL, parse_url
from rules.links.extraction import MAX_SCAN_CHARS, FoundLink, extract_links
from rules.links.lookalikes import _osa
from rules.links.signals import asks_for_credentials, score_signals
from rules.text import defang_url as defang

if TYPE_CHECKING:
    from rules.links.rule import LinksRule


def explain_links(rule: "LinksRule", comment: Comment,
                  findings: Sequence[Finding],
                  memory: Sequence[Any] = ()) -> list[Observation]:
    links = [FoundLink(l.url, l.display, "platform") for l in comment.links if l.url]
    links.extend(extract_links(comment.text, limit=rule.settings.max_links))
    if not links:
        return [Observation("links", "no link in the text or in the platform's data")]
    credential = asks_for_credentials(comment.text[:MAX_SCAN_CHARS])
    out, seen = [], set()
    for link in links[: rule.settings.max_links]:
        if link.url not in seen:
            seen.add(link.url)
            out.append(_explain_link(rule, link, credential, findings))
    return out


def _explain_link(rule: "LinksRule", link: FoundLink, credential: bool,
                  findings: Sequence[Finding]) -> Observation:
    subject = f"link {defang(link.url)} (from the {link.source})"
    p = parse_url(link.url)
    if p is None:
        return Observation(subject, "not a URL that can be parsed: ignored")
    detail: dict[str, Any] = {"url": defang(link.url), "host": defang(p.unicode_host),
                              "registrable_domain": defang(p.registrable)}
    mine = [f for f in findings if f.evidence.get("url") == defang(link.url)]
    facts = [f"registrable domain {defang(p.registrable)}"]
    if mine:
        detail["findings"] = [f.rule for f in mine]
        facts += [f"{f.rule} {f.severity.value}: {f.reason}" for f in mine]
        return Observation(subject, "; ".join(facts), True, detail)
    facts.append(_why_not_lookalike(rule, p, detail))
    signals = score_signals(p, rule.abuse_tlds, hides=False, credential=credential,
                            protected=rule.brands.protected(p))
    detail["signal_score"] = signals.score
    facts.append(f"weak signals score {signals.score} (medium from {rule.settings.score_medium})"
                 + (f": {', '.join(signals.reasons)}" if signals.reasons else ""))
    return Observation(subject, "; ".join(facts), False, detail)


def _why_not_lookalike(rule: "LinksRule", p: ParsedURL, detail: dict[str, Any]) -> str:
    brands = rule.brands
    if brands.allowed(p.host):
        detail["not_flagged"] = "allowlisted"
        return "allowlisted in [rules.links]: never flagged"
    owners = brands.owned(p.registrable, p.suffix, p.domain)
    if owners:
        detail["not_flagged"] = "owned by the brand"
        detail["owned_by"] = sorted(owners)
        return f"owned by {', '.join(sorted(owners))}: not a lookalike"
    if p.registrable in brands.popular:
        detail["not_flagged"] = "popular"
        return "a popular site (bundled ranking): not a lookalike of anyone"
    closest = closest_name(brands, p.domain.lower())
    if closest is None:
        return "no protected brand to compare with"
    name, domain, brand, similarity = closest
    edits = _osa(p.domain.lower().replace("-", ""), name, limit=9)
    detail.update(closest_brand=brand, closest_brand_domain=domain, similarity=similarity,
                  edits=edits, not_flagged="below threshold")
    return (f"closest protected name {name!r} ({domain}, {brand}) at similarity "
            f"{similarity:.2f}, {edits} edit(s) away: no lookalike technique (homoglyph, typo, "
            f"affix, TLD swap, brand as subdomain) matches")


def closest_name(brands: Any, label: str) -> tuple[str, str, str, float] | None:
    """The protected name most similar to ``label`` (a near miss, for explanations only)."""
    found = most_similar(label.replace("-", ""), ((name, (name, entry.domain, entry.brand.name))
                                                  for name, entry in brands.names.items()))
    return None if found is None else (*found[0], found[1])
