"""One root exception; every message names where: platform, account, comment id, rule or key."""


def located(where: str, error: object) -> str:
    """``where: message``, saying ``where`` once: connectors already name themselves in their
    messages (``reddit acme: comments in r/acme: ...``), and a caller adding its own prefix
    repeated it."""
    message = str(error)
    return message if message.startswith(f"{where}:") else f"{where}: {message}"


def unlocated(where: str, error: object) -> str:
    """The message without a leading ``where: ``, for a line that names ``where`` itself."""
    return str(error).removeprefix(f"{where}: ")


class ModeratorError(Exception):
    """Root of every error Moderator raises on purpose."""


class ConfigError(ModeratorError):
    """A configuration problem. ``problems`` holds every one found, each naming its key path."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class InputError(ModeratorError):
    """A comment file (JSON Lines / CSV) that cannot be read at all."""


class StoreError(ModeratorError):
    """The database cannot be opened, migrated or written (a full disk)."""


class ConnectorError(ModeratorError):
    """A platform call failed; the message names platform and account."""


class RateLimited(ConnectorError):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailed(ConnectorError):
    """Expired, revoked or wrong credentials: fatal for that account only."""


class TransientError(ConnectorError):
    """5xx, timeouts, connection resets: worth a bounded retry."""


class UnsupportedAction(ConnectorError):
    """The platform cannot do this (X cannot delete other people's replies)."""
