"""Why each rule family concluded what it did about one comment (``moderator explain``).

Every family registers one function ``(rule, comment, findings, memory) -> [Observation]`` that says
what the rule examined and how close it came where it did not fire. ``findings`` are the
family's findings from the judge, so an explanation never disagrees with the verdict.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from moderator.models import Comment, Finding
from rules.base import Observation
from rules.charter.explain import explain_charter
from rules.custom import explain_custom
from rules.impersonation.explain import explain_impersonation
from rules.links.explain import explain_links

# (rule, comment, the family's findings, the rules' memory recalled for it) -> observations
Explainer = Callable[[Any, Comment, Sequence[Finding], Sequence[Any]], list[Observation]]

EXPLAINERS: dict[str, Explainer] = {
    "charter": explain_charter,
    "custom": explain_custom,
    "impersonation": explain_impersonation,
    "links": explain_links,
}


def explain_rule(rule: Any, comment: Comment, findings: Sequence[Finding],
                 memory: Sequence[Any] = ()) -> list[Observation]:
    """What ``rule`` examined in ``comment``; its findings alone for a family without one."""
    explainer = EXPLAINERS.get(rule.family)
    if explainer is not None:
        return explainer(rule, comment, findings, memory)
    return [Observation(f.rule, f.reason, True, dict(f.evidence)) for f in findings]
