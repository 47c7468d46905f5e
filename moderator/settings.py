"""The typed settings a config file becomes (``moderator.config`` parses and validates them).

Plain frozen dataclasses with no parsing and no registry: connectors and rules can read them
without importing the parser, which imports their registries to validate their options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from moderator.errors import ConfigError
from moderator.models import Action, Brand, Mode, Severity


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Which action each severity calls for, and what protects an author."""

    actions: Mapping[Severity, Action] = field(default_factory=lambda: {
        Severity.LOW: Action.NONE,
        Severity.MEDIUM: Action.REVIEW,
        Severity.HIGH: Action.HIDE,
        Severity.CRITICAL: Action.DELETE,
    })
    allow_ban: bool = False  # a ban is never chosen unless the account allows it
    allowlist_authors: tuple[str, ...] = ()  # handles or ids never acted on

    def action_for(self, severity: Severity) -> Action:
        return self.actions[severity]


@dataclass(frozen=True, slots=True)
class BrakeSettings:
    max_actions: int = 25  # destructive actions per account ...
    window_minutes: float = 60  # ... in this sliding window before review-only


@dataclass(frozen=True, slots=True)
class AccountSettings:
    name: str
    platform: str
    mode: Mode = Mode.DRY_RUN
    enabled: bool = True
    poll_every: float = 300.0  # seconds
    api_base: str | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)  # setting -> env var NAME
    policy: PolicySettings = field(default_factory=PolicySettings)
    rules: Mapping[str, Any] = field(default_factory=dict)  # per-family overrides
    options: Mapping[str, Any] = field(default_factory=dict)  # the connector's own settings
    base_dir: Path = Path(".")  # relative paths in options are relative to the config file


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    feed_refresh_every: float = 3600.0
    jitter: float = 10.0  # seconds of random delay per poll, so accounts don't align
    lock_file: str | None = None  # default: next to the database
    backoff_max: float = 3600.0  # cap of the exponential backoff of a failing account
    auth_backoff: float = 1800.0  # wait after an auth failure before trying again
    stop_timeout: float = 20.0  # seconds a graceful stop may take before giving up
    stale_after: float = 3.0  # status: a poll older than this many intervals needs attention


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    four_eyes: bool = False  # a destructive action approved by one reviewer needs a second


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The review inbox (`moderator web`, or inside `moderator run` when enabled)."""
    enabled: bool = False  # serve it from inside the daemon too
    host: str = "127.0.0.1"  # anything else belongs behind a reverse proxy with TLS
    port: int = 8080
    secure_cookies: bool = True  # browsers treat http://127.0.0.1 and localhost as secure
    session_hours: float = 12.0
    proxy_user_header: str | None = None  # trust this header as the logged-in user ...
    trusted_proxy: str | None = None  # ... only on requests from this address
    login_attempts: int = 5  # failed logins per address and per name in 15 minutes


@dataclass(frozen=True, slots=True)
class DigestSettings:
    recipients: tuple[str, ...] = ()
    sender: str = "moderator@localhost"
    send_at: str = "08:00"
    timezone: str = "UTC"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | tls | none
    smtp_username: str | None = None
    smtp_password_env: str | None = None  # the NAME of the variable holding the password
    smtp_ca_file: str | None = None  # PEM bundle for a private CA (default: the system's)
    smtp_timeout: float = 30.0  # seconds per SMTP connection attempt
    send_attempts: int = 3  # bounded retry of transient failures, with backoff
    max_items: int = 25  # rows per list (review queue, impersonators, domains, errors)


@dataclass(frozen=True, slots=True)
class Settings:
    brand: Brand = field(default_factory=Brand)
    store_path: Path = Path("moderator.db")
    keep_days: int | None = None  # forget comments nothing happened to after this (None: never)
    secrets_file: Path | None = None
    policy: PolicySettings = field(default_factory=PolicySettings)
    brake: BrakeSettings = field(default_factory=BrakeSettings)
    rules: Mapping[str, Any] = field(default_factory=dict)  # family -> options
    accounts: tuple[AccountSettings, ...] = ()
    max_text_chars: int = 20_000
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    web: WebSettings = field(default_factory=WebSettings)
    source: Path | None = None

    def lock_path(self) -> Path:
        """The daemon's lock file: the setting, or next to the database."""
        if self.daemon.lock_file:
            path = Path(self.daemon.lock_file)
            base = self.source.parent if self.source else Path(".")
            return path if path.is_absolute() else base / path
        return self.store_path.with_name(self.store_path.name + ".lock")

    def account(self, name: str) -> AccountSettings:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none configured"
        raise ConfigError(f"accounts: no account named {name!r} (known: {known})")

    def rule_options(self, account: AccountSettings | None) -> dict[str, Any]:
        """The rule families' options for an account: its overrides over the global ones."""
        merged = {family: _copy(options) for family, options in self.rules.items()}
        if account is not None:
            for family, override in account.rules.items():
                base = merged.get(family)
                if isinstance(base, dict) and isinstance(override, Mapping):
                    merged[family] = {**base, **override}
                else:
                    merged[family] = _copy(override)
        return merged


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value)) if value is not None else None
