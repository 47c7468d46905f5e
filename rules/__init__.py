"""Rule families, keyed by their config name (``[rules.<name>]``); a family's module is imported
when the family is first looked up (moderator/registry.py)."""

from moderator.registry import LazyRegistry

RULES = LazyRegistry({
    "custom": "rules.custom:CustomRule",
    "links": "rules.links:LinksRule",
    "impersonation": "rules.impersonation:ImpersonationRule",
    "charter": "rules.charter:CharterRule",
})
