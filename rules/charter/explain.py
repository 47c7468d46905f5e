"""``moderator explain`` for the charter family: which term matched in which normalized view,
the models' scores against their thresholds, the personal data found, the flood counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from moderator.models import Comment, Finding
from rules.base import Observation
from rules.charter import flood, pii
from rules.charter.findings import CASUAL_REASON, is_profanity
from rules.charter.spam import spam_model
from rules.charter.swearing import always_acted_on, scores_and_without_casual
from rules.charter.termviews import term_views

if TYPE_CHECKING:
    from rules.charter.rule import CharterRule

VIEW_NAMES = ("folded", "look-alikes undone", "separators removed", "letters squeezed",
              "fully normalized")


def explain_charter(rule: "CharterRule", comment: Comment, findings: Sequence[Finding],
                    memory: Sequence[Any] = ()) -> list[Observation]:
    text = comment.text[: rule.max_text_chars]
    views = term_views(text)
    fired = {f.rule: f for f in findings}
    out = [_terms(rule, views, fired.get("charter.terms"))]
    if rule.offensive.enabled:
        # both scores from one reading, as the rule gets them
        [score], [without] = scores_and_without_casual([views[0]])
        out.append(_model("offensive-language model", score, rule.offensive.threshold,
                          fired.get("charter.offensive")))
        swearing = _swearing(rule, views, findings, without)
        if swearing is not None:
            out.append(swearing)
    if rule.spam.enabled:
        model = spam_model()
        threshold = model.threshold if rule.spam.threshold is None else rule.spam.threshold
        score = float(model.scores([text], [views[0]])[0])
        out.append(_model("spam model", score, threshold, fired.get("charter.spam")))
    if rule.pii_enabled:
        hits = pii.find_pii(text, rule.pii_options, views[0])
        out.append(Observation("personal data",
                               ", ".join(f"{h.kind} {h.masked}" for h in hits) if hits else
                               "no e-mail, phone, card, IBAN, national id or exposed staff",
                               "charter.pii" in fired, {"kinds": [h.kind for h in hits]}))
    if rule.testimonial.enabled:  # the finding's own evidence: its words are defanged there
        found = fired.get("charter.scam_testimonial")
        shape = found.evidence["shape"] if found else None
        out.append(Observation("scam testimonial", f"{shape}: {found.evidence['match']!r}" if found
                               else "no gain with an amount, praise or referral next to someone "
                               "to contact, no giveaway", found is not None, {"shape": shape}))
    if rule.flood.enabled:
        out.append(_flood(rule, comment, memory, fired.get("charter.flood")))
    return out


def _terms(rule: "CharterRule", views: Sequence[str], finding: Finding | None) -> Observation:
    hits = rule.matcher.search(views)
    if not hits:
        return Observation("term lists", f"no term of {len(rule.matcher.lists)} list(s) matched "
                                         f"in {len(views)} normalized views")
    said = [f"{hit.term!r} of list {rule.matcher.lists[hit.list_index].name!r} matched "
            f"{hit.match!r} in the {_view_name(hit.view)} view" for hit in hits]
    return Observation("term lists", "; ".join(said), finding is not None,
                       {"matches": [{"term": h.term, "view": _view_name(h.view)} for h in hits]})


def _swearing(rule: "CharterRule", views: Sequence[str], findings: Sequence[Finding],
              without: float) -> Observation | None:
    """How the profanity findings' severity was decided (rules.charter.swearing); ``without``:
    the model's score with the casual swear words left out."""
    judged = [f for f in findings if is_profanity(f)]
    if not judged:
        return None
    casual = any(f.reason.startswith(CASUAL_REASON) for f in judged)
    threshold = rule.offensive.threshold
    said = f"without its casual swear words the model scores {without:.3f} against {threshold:.3f}"
    if always_acted_on(views):
        said += "; a slur, sexual-violence term or swearing aimed at someone is acted on anyway"
    verdict = f"recorded at {rule.offensive.casual_severity.value}" if casual else "acted on"
    return Observation("casual swearing", f"{said}: {verdict}", casual,
                       {"score_without_casual": round(without, 3), "threshold": threshold})


def _view_name(index: int) -> str:
    return VIEW_NAMES[index] if index < len(VIEW_NAMES) else f"#{index}"


def _model(subject: str, score: float, threshold: float, finding: Finding | None) -> Observation:
    if finding is not None:  # the reason says which band (confident, the link, too few words)
        verdict = f"{finding.rule} {finding.severity.value}: {finding.reason}"
    else:
        verdict = f"below by {threshold - score:.2f}: not flagged"
    return Observation(subject, f"score {score:.3f} against threshold {threshold:.3f}: {verdict}",
                       finding is not None, {"score": round(score, 3), "threshold": threshold})


def _flood(rule: "CharterRule", comment: Comment, memory: Sequence[Any],
           finding: Finding | None) -> Observation:
    settings = rule.flood.settings
    subject = f"flooding within {settings.window:g} s"
    if finding is not None:
        return Observation(subject, f"{finding.rule} {finding.severity.value}: {finding.reason}",
                           True, dict(finding.evidence))
    keys = {record.key for records in flood.records([comment], settings) for record in records}
    earlier = [r for r in memory if r.key in keys and r.uid != comment.uid]
    authors = {r.author for r in earlier}
    return Observation(subject, f"{len(earlier)} earlier cop(ies) of its text or links by "
                                f"{len(authors)} author(s) in the memory given; flooding needs "
                                f"{settings.per_author} by one author or {settings.authors} "
                                f"authors", False,
                       {"earlier_copies": len(earlier), "authors": len(authors)})
