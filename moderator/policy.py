"""Pure decision making: findings + account settings + platform capabilities -> Decision.

The order of the checks is the order of the safety principles: protected authors and items a
human kept are never acted on; the severity picks the action; the brake turns destructive
actions into review; the platform's capabilities degrade what it cannot do (X cannot delete
other people's replies, so ``delete`` becomes ``hide``; a source that can do nothing queues).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from moderator.config import PolicySettings
from moderator.models import Action, Brand, Capabilities, Comment, Decision, Finding


@dataclass(frozen=True, slots=True)
class Context:
    """What the policy needs to know beyond the findings, gathered by the worker."""

    capabilities: Capabilities
    brand: Brand
    brake_engaged: bool = False
    human_kept: bool = False  # a reviewer already rejected acting on this comment


# Most comments: one shared, immutable decision (handing a batch's decisions between
# processes then sends it once, not once per comment).
NOTHING_FOUND = Decision(Action.NONE, reason="no findings")


def decide(comment: Comment, findings: Sequence[Finding], policy: PolicySettings,
           context: Context) -> Decision:
    if not findings:
        return NOTHING_FOUND
    top = max(findings, key=lambda f: f.severity.rank)
    reason = top.reason if len(findings) == 1 else f"{top.reason} (+{len(findings) - 1} more)"
    findings = tuple(findings)

    protected = protected_author(comment, context.brand, policy)
    if protected:
        return Decision(Action.NONE, top.severity, f"{protected}; not acted on", findings)
    if context.human_kept:
        return Decision(Action.NONE, top.severity, "a reviewer kept this comment", findings)

    wanted = policy.action_for(top.severity)
    if wanted is Action.BAN and not policy.allow_ban:
        wanted = Action.DELETE
    if wanted.destructive and context.brake_engaged:
        return Decision(Action.REVIEW, top.severity, f"brake engaged; {reason}", findings,
                        degraded_from=wanted)
    action = degrade(wanted, context.capabilities)
    return Decision(action, top.severity, reason, findings,
                    degraded_from=wanted if action is not wanted else None)


def under_brake(decision: Decision) -> Decision:
    """``decision`` once the account's brake is engaged: a destructive action the policy wanted
    (before degrading it to the platform) goes to the review queue instead."""
    wanted = decision.degraded_from or decision.action
    if not wanted.destructive:
        return decision
    return Decision(Action.REVIEW, decision.severity, f"brake engaged; {decision.reason}",
                    decision.findings, degraded_from=wanted)


def degrade(action: Action, capabilities: Capabilities) -> Action:
    """The strongest action at most as destructive as ``action`` that the platform can do."""
    if action is Action.BAN and not capabilities.ban:
        action = Action.DELETE
    if action is Action.DELETE and not capabilities.delete:
        action = Action.HIDE
    if action is Action.HIDE and not capabilities.hide:
        action = Action.REVIEW
    return action


def proposed_for_review(decision: Decision, capabilities: Capabilities) -> Action:
    """What a reviewer's approval of a queued item carries out."""
    if decision.degraded_from is not None and decision.degraded_from.destructive:
        wanted = decision.degraded_from
    else:
        wanted = Action.HIDE
    action = degrade(wanted, capabilities)
    if action.destructive:
        return action
    # The platform cannot hide it (Mastodon: nobody can hide another account's post): what a
    # person can still do is report it to the platform's moderators.
    return Action.REPORT if capabilities.report else Action.NONE


def protected_author(comment: Comment, brand: Brand, policy: PolicySettings) -> str | None:
    """Why the author must never be acted on (official account, staff, allowlist), or None."""
    # By handle or id only: a display name equal to a staff member's is exactly what an
    # impostor copies, so staff accounts are protected through ``allowlist_authors``.
    handle = (comment.author.handle or "").lstrip("@").casefold()
    if handle and handle in _casefolded(tuple(brand.handles), ""):
        return f"author @{comment.author.handle} is an official account"
    allow = _casefolded(tuple(policy.allowlist_authors), "@")
    if (handle and handle in allow) or (comment.author.id and comment.author.id.casefold() in allow):
        return "author is on the allowlist"
    return None


@lru_cache(maxsize=64)
def _casefolded(names: tuple[str, ...], strip: str) -> frozenset[str]:
    """The names casefolded, ``strip`` taken off their left: made once per configuration, not
    once per comment."""
    return frozenset(name.lstrip(strip).casefold() for name in names)
