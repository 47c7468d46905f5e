"""Rule families, keyed by their config name (``[rules.<name>]``)."""

from rules.base import Rule
from rules.charter import CharterRule
from rules.custom import CustomRule
from rules.impersonation import ImpersonationRule
from rules.links import LinksRule

RULES: dict[str, type[Rule]] = {
    "custom": CustomRule,
    "links": LinksRule,
    "impersonation": ImpersonationRule,
    "charter": CharterRule,
}
