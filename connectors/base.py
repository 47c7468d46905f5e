"""The Connector protocol: how the core talks to a platform without knowing which.

Raw platform JSON never leaves the connector: ``fetch`` yields ``Comment`` objects only.
Errors are ``ConnectorError`` subclasses (RateLimited, AuthFailed, TransientError) whose message
names the platform and the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Mapping, Protocol, runtime_checkable

# Capabilities is a domain type (the policy reads it); connectors import it from here too.
from moderator.models import Action, Capabilities, Comment

if TYPE_CHECKING:
    from moderator.settings import AccountSettings


@dataclass(frozen=True, slots=True)
class ItemState:
    """A comment's moderation state as the platform reports it; None where it cannot tell.

    Asked before re-sending an action that a crash left planned: the platform may have applied
    it just before the crash, and a second request would repeat it."""

    hidden: bool | None = None  # out of public view, reversibly (Reddit: removed)
    deleted: bool | None = None  # gone (Reddit: removed as spam; elsewhere: not found)

    def shows(self, action: Action) -> bool:
        """Whether ``action`` is known to be in effect already."""
        if action is Action.HIDE:
            return bool(self.hidden or self.deleted)
        if action is Action.DELETE:
            return bool(self.deleted)
        return False


@dataclass(frozen=True, slots=True)
class Batch:
    """Comments read in one go and the cursor to store once they are committed."""

    comments: tuple[Comment, ...]
    cursor: str | None
    skipped: int = 0  # malformed items logged and left out


@runtime_checkable
class Connector(Protocol):
    platform: ClassVar[str]
    capabilities: Capabilities

    @classmethod
    def open(cls, account: "AccountSettings", secrets: Mapping[str, str]) -> "Connector":
        """Build a connector for one configured account. ``secrets`` holds resolved values by
        setting name; never log them or put them in an error message."""
        ...

    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> Mapping[str, Any]:
        """Validate the platform's own account settings (every key not known to the core).

        Raises ConfigError naming keys under ``path``.
        """
        ...

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        """New comments after ``cursor`` (or within since/until for a backfill), oldest first."""
        ...

    def hide(self, comment: Comment) -> None: ...

    def unhide(self, comment: Comment) -> None: ...

    def delete(self, comment: Comment) -> None: ...

    def ban(self, comment: Comment) -> None:
        """Ban the comment's author from the account's community."""
        ...

    # Optional (the core checks for it), so that a platform can join before it has one:
    # def moderation_state(self, comment: Comment) -> ItemState:
    #     """What the platform shows of the comment now (hidden, removed, gone). Raises
    #     ConnectorError when it cannot be asked; fields it cannot tell stay None. Asked
    #     before re-sending an action a crash left planned."""
