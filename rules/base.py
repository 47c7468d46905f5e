"""The Rule protocol: what every detector family implements.

A rule family is configured once (``from_config``) and then judges batches of comments. Rules
are pure: no network, no database, no clock beyond what a comment carries. A rule must bound its
own time per comment (no catastrophic regex, capped input) because comment text is hostile.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

from moderator.models import Brand, Comment, Finding


@runtime_checkable
class Rule(Protocol):
    family: ClassVar[str]  # the config name: [rules.<family>]

    @classmethod
    def from_config(cls, options: Mapping[str, Any], brand: Brand, *, path: str) -> "Rule":
        """Validate ``options`` (the table at ``path``) and build the rule.

        Raises ConfigError whose problems name keys under ``path``.
        """
        ...

    def check_batch(self, comments: Sequence[Comment]) -> list[list[Finding]]:
        """One list of findings per comment, in order."""
        ...


class PerCommentRule:
    """Convenience base for rules that judge one comment at a time."""

    family: ClassVar[str] = ""

    def check(self, comment: Comment) -> list[Finding]:
        raise NotImplementedError

    def check_batch(self, comments: Sequence[Comment]) -> list[list[Finding]]:
        return [self.check(comment) for comment in comments]
