"""``moderator explain`` for the impersonation family: each name of the author against the
names that must not be imitated, and the fake-support signals of the text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from moderator.models import Comment, Finding
from rules.base import Observation, most_similar
from rules.impersonation.contacts import defang_name
from rules.impersonation.normalize import compact, fold_name, strip_prefix
from rules.impersonation.support import support_signals

if TYPE_CHECKING:
    from rules.impersonation.rule import ImpersonationRule


def explain_impersonation(rule: "ImpersonationRule", comment: Comment,
                          findings: Sequence[Finding],
                          memory: Sequence[Any] = ()) -> list[Observation]:
    if rule.is_official(comment):
        return [Observation(f"author @{defang_name(comment.author.handle or '')}",
                            "an official account of the brand: never an impostor")]
    by_field = {f.evidence.get("field"): f for f in findings if "field" in f.evidence}
    out = [_explain_name(rule, "handle", comment.author.handle, by_field.get("handle")),
           _explain_name(rule, "display_name", comment.author.name,
                         by_field.get("display_name"))]
    out.append(_explain_support(rule, comment, findings))
    return out


def _explain_name(rule: "ImpersonationRule", field: str, value: str | None,
                  finding: Finding | None) -> Observation:
    shown = "display name" if field == "display_name" else "handle"
    subject = f"{shown} {defang_name((value or '')[:80])!r}"
    if not value:
        return Observation(f"{shown}", "not given")
    if finding is not None:
        return Observation(subject, f"{finding.rule} {finding.severity.value}: {finding.reason}",
                           True, dict(finding.evidence))
    if field == "display_name" and not rule.check_display_names:
        return Observation(subject, "display names are not checked (check_display_names = false)")
    closest = _closest_target(rule, value)
    if closest is None:
        return Observation(subject, "no brand, official handle or staff name to compare with")
    label, kind, similarity = closest
    return Observation(subject, f"closest protected name {label!r} ({kind}) at similarity "
                                f"{similarity:.2f}; an imitation needs "
                                f"{rule.matcher.min_similarity:.2f} after peeling affixes",
                       False, {"closest": label, "kind": kind, "similarity": similarity,
                               "min_similarity": rule.matcher.min_similarity})


def _closest_target(rule: "ImpersonationRule", value: str) -> tuple[str, str, float] | None:
    found = most_similar(compact(fold_name(strip_prefix(value)[:80])),
                         ((t.plain, (t.label, t.kind)) for targets in rule.matcher.by_key.values()
                          for t in targets))
    return None if found is None else (*found[0], found[1])


def _explain_support(rule: "ImpersonationRule", comment: Comment,
                     findings: Sequence[Finding]) -> Observation:
    subject = "fake-support text"
    fired = next((f for f in findings if f.rule == "impersonation.fake_support"), None)
    if fired is not None:
        return Observation(subject, f"{fired.rule} {fired.severity.value}: {fired.reason}",
                           True, dict(fired.evidence))
    if not rule.fake_support:
        return Observation(subject, "not checked (fake_support = false)")
    signals = support_signals(comment.text, brand_domains=rule.domains,
                              phone_region=rule.phone_region,
                              official_phones=rule.official_phones,
                              link_urls=[link.url for link in comment.links],
                              brand_claim=rule.brand_claim)
    found: dict[str, Any] = {k: list(v) for k, v in (
        ("claims", signals.claim), ("offers", signals.offer), ("moves_to", signals.redirect),
        ("asks_for", signals.credential)) if v}
    if not found:
        return Observation(subject, "no support claim, offer, redirection or credential request")
    missing = "a move to another channel (DM, phone, WhatsApp, a form)" if not signals.redirect \
        else "a claim or offer of support beyond a bare mention"
    said = "; ".join(f"{k}: {', '.join(v)}" for k, v in found.items())
    return Observation(subject, f"{said}; the pattern also needs {missing}", False, found)
