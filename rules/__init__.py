"""Rule families, keyed by their config name (``[rules.<name>]``)."""

from rules.base import Rule
from rules.custom import CustomRule
from rules.impersonation import ImpersonationRule

RULES: dict[str, type[Rule]] = {
    "custom": CustomRule,
    "impersonation": ImpersonationRule,
}
