"""TOML -> typed settings, validated once at load.

Every problem names its key path (``accounts[1].platform: unknown platform 'myspace'``) and all
problems are reported together. Secrets never live in the TOML: the config names environment
variables (``secrets = {client_secret = "ACME_REDDIT_SECRET"}``), resolved from the environment or
from a ``KEY=VALUE`` secrets file named in ``[secrets] file``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

from connectors import CONNECTORS
from moderator.errors import ConfigError
from moderator.models import Action, Brand, Mode, Severity
from moderator.options import OptionReader
from moderator.settings import (AccountSettings, BrakeSettings, DaemonSettings, DigestSettings,
                                PolicySettings, ReviewSettings, Settings, WebSettings)
from rules import RULES

# The settings types live in moderator.settings (connectors and rules read them without
# importing this parser); they are named here too, where most callers look for them.
__all__ = ["AccountSettings", "BrakeSettings", "DaemonSettings", "DigestSettings",
           "PolicySettings", "ReviewSettings", "Settings", "WebSettings", "Secrets", "ConfigError",
           "load", "parse", "config_path", "rule_version", "enabled_options", "redact",
           "resolve_paths"]

DEFAULT_CONFIG = "moderator.toml"
# [store] keep_days: a week at least (the daily digest and `stats` read recent comments).
MIN_KEEP_DAYS = 7
CORE_ACCOUNT_KEYS = {"name", "platform", "mode", "enabled", "poll_every", "api_base",
                     "secrets", "policy", "rules"}


def rule_version(family: str, options: Any, brand: Brand) -> str:
    """A short hash of everything that shapes a rule's verdicts, stored with every decision."""
    blob = json.dumps({"family": family, "options": options,
                       "brand": [brand.name, brand.domains, brand.handles, brand.staff]},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def config_path(explicit: str | os.PathLike[str] | None) -> Path:
    return Path(explicit or os.environ.get("MODERATOR_CONFIG") or DEFAULT_CONFIG)


def load(path: str | os.PathLike[str] | None = None, *, judge: bool = True,
         connect: bool = True) -> Settings:
    """Read and validate a config file; raise ConfigError listing every problem.

    ``judge=False`` leaves out the rule families' checks of their own options (building every
    rule: its data and models) and ``connect=False`` the platforms' (importing their client
    libraries), for commands that do not judge (``status``, ``review list``) or do not connect
    (``scan``); without ``connect`` the accounts carry no connector options."""
    file = config_path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{file}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{file}: invalid TOML: {e}") from None
    return parse(data, base_dir=file.parent, source=file, judge=judge, connect=connect)


def parse(data: Mapping[str, Any], *, base_dir: Path = Path("."),
          source: Path | None = None, judge: bool = True, connect: bool = True) -> Settings:
    top = OptionReader(data, "")
    brand = _parse_brand(top)

    store = OptionReader(top.table_of("store"), "store")
    store_path = base_dir / store.str("path", "moderator.db")
    keep_days = store.number("keep_days", None, minimum=MIN_KEEP_DAYS, integer=True)
    _finish(top, store)

    secrets = OptionReader(top.table_of("secrets"), "secrets")
    secrets_file = secrets.str("file", None)
    _finish(top, secrets)

    policy = _parse_policy(top.table_of("policy"), "policy", PolicySettings(), top)

    brake = _parse_brake(top)

    max_text_chars = top.number("max_text_chars", 20_000, minimum=100, integer=True)
    rules = _parse_rules(resolve_paths(top.table_of("rules"), base_dir), brand, top, judge)
    daemon = _parse_daemon(top)
    digest = _parse_digest(top, base_dir)
    review_reader = OptionReader(top.table_of("review"), "review")
    review = ReviewSettings(four_eyes=review_reader.bool("four_eyes", False))
    _finish(top, review_reader)
    web = _parse_web(top)

    accounts = _parse_accounts(top, policy, brand, rules, base_dir, judge, connect)
    top.finish()
    return Settings(
        brand=brand,
        store_path=store_path,
        keep_days=keep_days,
        secrets_file=(base_dir / secrets_file) if secrets_file else None,
        policy=policy,
        brake=brake,
        rules=rules,
        accounts=accounts,
        max_text_chars=max_text_chars,
        daemon=daemon,
        digest=digest,
        review=review,
        web=web,
        source=source,
    )


def _parse_brake(top: OptionReader) -> BrakeSettings:
    r = OptionReader(top.table_of("brake"), "brake")
    brake = BrakeSettings(max_actions=r.number("max_actions", 25, minimum=1, integer=True),
                          window_minutes=r.number("window_minutes", 60, minimum=1))
    _finish(top, r)
    return brake


def _parse_accounts(top: OptionReader, policy: PolicySettings, brand: Brand,
                    rules: Mapping[str, Any], base_dir: Path, judge: bool,
                    connect: bool) -> tuple[AccountSettings, ...]:
    accounts_raw = top.get("accounts", [])
    accounts: list[AccountSettings] = []
    if not isinstance(accounts_raw, list):
        top.problem("accounts", "expected [[accounts]] tables")
        accounts_raw = []
    seen: set[str] = set()
    for i, raw in enumerate(accounts_raw):
        account = _parse_account(raw, f"accounts[{i}]", policy, brand, rules, top, base_dir,
                                 judge, connect)
        if account is None:
            continue
        if account.name in seen:
            top.problem(f"accounts[{i}].name", f"duplicate account name {account.name!r}")
        seen.add(account.name)
        accounts.append(account)
    return tuple(accounts)


def _finish(parent: OptionReader, child: OptionReader) -> None:
    try:
        child.finish()
    except ConfigError as e:
        parent.absorb(e)


def _parse_brand(top: OptionReader) -> Brand:
    r = OptionReader(top.table_of("brand"), "brand")
    brand = Brand(
        name=r.str("name", ""),
        domains=tuple(d.strip().lower().rstrip(".") for d in r.str_list("domains")),
        handles=tuple(h.lstrip("@") for h in r.str_list("handles")),
        staff=r.str_list("staff"),
    )
    _finish(top, r)
    return brand


def _parse_policy(table: Mapping[str, Any], path: str, base: PolicySettings,
                  top: OptionReader) -> PolicySettings:
    r = OptionReader(table, path)
    actions = dict(base.actions)
    for severity in Severity:
        action = r.enum(severity.value, Action, actions[severity])
        if action is not None:
            actions[severity] = action
    allow_ban = r.bool("allow_ban", base.allow_ban)
    allowlist = r.str_list("allowlist_authors", base.allowlist_authors)
    for severity, action in actions.items():
        if action is Action.BAN and not allow_ban:
            r.problem(severity.value, "'ban' needs allow_ban = true")
        if action is Action.REPORT:
            r.problem(severity.value, "'report' is what approving a queued item does where a "
                                      "platform cannot hide; use 'review'")
    _finish(top, r)
    return PolicySettings(actions=actions, allow_ban=allow_ban, allowlist_authors=allowlist)


def resolve_paths(value: Any, base_dir: Path) -> Any:
    """File settings in rule tables (keys ``path``, ``*_file``, ``*_files``) made relative to
    the config file, as every other path in it is, so the rules need not know where it lives."""
    if isinstance(value, Mapping):
        return {k: _resolve_path_value(v, base_dir) if _is_path_key(k)
                else resolve_paths(v, base_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_paths(v, base_dir) for v in value]
    return value


def _is_path_key(key: str) -> bool:
    return key == "path" or key.endswith("_file") or key.endswith("_files")


def _resolve_path_value(value: Any, base_dir: Path) -> Any:
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return str(base_dir / value)
    if isinstance(value, list):
        return [_resolve_path_value(v, base_dir) for v in value]
    return value


def _parse_rules(table: Mapping[str, Any], brand: Brand, top: OptionReader,
                 judge: bool = True) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for family, options in table.items():
        if family not in RULES:
            known = ", ".join(sorted(RULES))
            top.problem(f"rules.{family}", f"unknown rule family (known: {known})")
            continue
        rules[family] = options
    for family, options in rules.items() if judge else ():
        _validate_rule(family, options, brand, f"rules.{family}", top)
    return rules


def _validate_rule(family: str, options: Any, brand: Brand, path: str, top: OptionReader) -> None:
    problems: list[str] = []
    if isinstance(options, Mapping) and "enabled" in options:
        options = dict(options)
        enabled = options.pop("enabled")
        if not isinstance(enabled, bool):
            problems.append(f"{path}.enabled: expected true or false, got {enabled!r}")
    try:
        RULES[family].from_config(options, brand, path=path)
    except ConfigError as e:
        problems.extend(p if p.startswith(path) else f"{path}.{p}" for p in e.problems)
    if problems:
        top.absorb(ConfigError(problems))


def enabled_options(options: Any) -> tuple[bool, Any]:
    """Split the core's ``enabled`` switch off a rule family's options."""
    if isinstance(options, Mapping) and "enabled" in options:
        options = dict(options)
        enabled = options.pop("enabled")
        if not isinstance(enabled, bool):
            raise ConfigError(f"enabled: expected true or false, got {enabled!r}")
        return enabled, options
    return True, options


def _parse_daemon(top: OptionReader) -> DaemonSettings:
    r = OptionReader(top.table_of("daemon"), "daemon")
    settings = DaemonSettings(
        feed_refresh_every=_duration(r, "feed_refresh_every", 3600.0),
        jitter=r.number("jitter", 10.0, minimum=0),
        lock_file=r.str("lock_file", None),
        backoff_max=_duration(r, "backoff_max", 3600.0),
        auth_backoff=_duration(r, "auth_backoff", 1800.0),
        stop_timeout=_duration(r, "stop_timeout", 20.0),
        stale_after=r.number("stale_after", 3.0, minimum=1),
    )
    _finish(top, r)
    return settings


def _parse_web(top: OptionReader) -> WebSettings:
    r = OptionReader(top.table_of("web"), "web")
    settings = WebSettings(
        enabled=r.bool("enabled", False),
        host=r.str("host", "127.0.0.1"),
        port=r.number("port", 8080, minimum=0, integer=True),
        secure_cookies=r.bool("secure_cookies", True),
        session_hours=r.number("session_hours", 12.0, minimum=0.1),
        proxy_user_header=r.str("proxy_user_header", None),
        trusted_proxy=r.str("trusted_proxy", None),
        login_attempts=r.number("login_attempts", 5, minimum=1, integer=True),
    )
    if settings.proxy_user_header and not settings.trusted_proxy:
        r.problem("trusted_proxy", "proxy_user_header needs the proxy's address here: the "
                  "header is trusted only on requests from it")
    _finish(top, r)
    return settings


def _parse_digest(top: OptionReader, base_dir: Path) -> DigestSettings:
    r = OptionReader(top.table_of("digest"), "digest")
    security = r.str("smtp_security", "starttls")
    if security not in ("starttls", "tls", "none"):
        r.problem("smtp_security", f"unknown value {security!r}; expected 'starttls', 'tls' or 'none'")
    send_at = r.str("send_at", "08:00")
    if not _is_clock(send_at):
        r.problem("send_at", f"expected a time like '08:00', got {send_at!r}")
    ca_file = r.str("smtp_ca_file", None)
    timezone = r.str("timezone", "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except Exception:
        r.problem("timezone", f"unknown time zone {timezone!r}")
    settings = DigestSettings(
        recipients=r.str_list("recipients"),
        sender=r.str("sender", "moderator@localhost"),
        send_at=send_at,
        timezone=timezone,
        smtp_host=r.str("smtp_host", "localhost"),
        smtp_port=r.number("smtp_port", 587, minimum=1, integer=True),
        smtp_security=security,
        smtp_username=r.str("smtp_username", None),
        smtp_password_env=r.str("smtp_password_env", None),
        smtp_ca_file=str(base_dir / ca_file) if ca_file else None,
        smtp_timeout=r.number("smtp_timeout", 30.0, minimum=1),
        send_attempts=r.number("send_attempts", 3, minimum=1, integer=True),
        max_items=r.number("max_items", 25, minimum=1, integer=True),
    )
    if settings.send_attempts > 10:
        r.problem("send_attempts", f"at most 10, got {settings.send_attempts}")
    if settings.max_items > 500:
        r.problem("max_items", f"at most 500, got {settings.max_items}")
    for i, address in enumerate(settings.recipients):
        if "@" not in address or any(ch.isspace() for ch in address.strip()):
            r.problem(f"recipients[{i}]", f"expected an e-mail address, got {address!r}")
    if settings.smtp_password_env is not None and not settings.smtp_password_env.isidentifier():
        r.problem("smtp_password_env", "expected the NAME of an environment variable "
                                       "(the password never goes in this file)")
    if settings.smtp_username and security == "none" and \
            settings.smtp_host not in ("localhost", "127.0.0.1", "::1"):
        r.problem("smtp_security", f"'none' would send the password for {settings.smtp_host} "
                                   "unencrypted; use 'starttls' or 'tls'")
    if settings.smtp_username and not settings.smtp_password_env:
        r.problem("smtp_password_env", "smtp_username is set: name the environment variable "
                                       "that holds its password")
    _finish(top, r)
    return settings


def _is_clock(value: Any) -> bool:
    try:
        hours, minutes = str(value).split(":")
        return 0 <= int(hours) < 24 and 0 <= int(minutes) < 60
    except ValueError:
        return False


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(r: OptionReader, name: str, default: float) -> float:
    """Seconds, as a number or a string like '90s', '5m', '1h'."""
    value = r.get(name, default)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str) and value[-1:] in _UNITS:
        try:
            number = float(value[:-1])
            if number > 0:
                return number * _UNITS[value[-1]]
        except ValueError:
            pass
    r.problem(name, f"expected a positive number of seconds or a duration like '5m', got {value!r}")
    return default


def _parse_account(raw: Any, path: str, policy: PolicySettings, brand: Brand,
                   global_rules: Mapping[str, Any], top: OptionReader,
                   base_dir: Path, judge: bool = True, connect: bool = True) -> AccountSettings | None:
    if not isinstance(raw, Mapping):
        top.problem(path, "expected a table")
        return None
    r = OptionReader(raw, path)
    name = r.str("name")
    platform = r.str("platform")
    if platform is not None and platform not in CONNECTORS:
        r.problem("platform", f"unknown platform {platform!r} (known: {', '.join(CONNECTORS)})")
    mode = r.enum("mode", Mode, Mode.DRY_RUN)
    enabled = r.bool("enabled", True)
    poll_every = _duration(r, "poll_every", 300.0)
    api_base = r.str("api_base", None)
    secrets = r.table_of("secrets")
    for key, env_name in secrets.items():
        if not isinstance(env_name, str) or not env_name.isidentifier():
            r.problem(f"secrets.{key}", "expected the NAME of an environment variable "
                                        "(secrets never go in this file)")
    account_policy = _parse_policy(r.table_of("policy"), f"{path}.policy", policy, top)
    rule_overrides = resolve_paths(r.table_of("rules"), base_dir)
    for family, options in rule_overrides.items():
        if family not in RULES:
            r.problem(f"rules.{family}", f"unknown rule family (known: {', '.join(sorted(RULES))})")
            continue
        base = global_rules.get(family)
        merged = {**base, **options} if isinstance(base, Mapping) and isinstance(options, Mapping) \
            else options
        if judge:
            _validate_rule(family, merged, brand, f"{path}.rules.{family}", top)
    options: Mapping[str, Any] = {}
    rest = r.rest()
    if platform in CONNECTORS and connect:
        try:
            options = CONNECTORS[platform].parse_options(rest, path=path)
        except ConfigError as e:
            r.absorb(e)
    _finish(top, r)
    if name is None or platform is None:
        return None
    return AccountSettings(
        name=name, platform=platform, mode=mode, enabled=enabled, poll_every=poll_every,
        api_base=api_base, secrets=secrets, policy=account_policy, rules=rule_overrides,
        options=options, base_dir=base_dir,
    )


# Every secret value resolved in this process, so that logging can scrub it from any message
# as a last line of defence (see ``redact``). Values shorter than this would scrub ordinary words.
MIN_REDACTED_LENGTH = 6
_RESOLVED_SECRETS: set[str] = set()


def redact(text: str) -> str:
    """``text`` with every secret value resolved so far replaced by ``***``."""
    for value in _RESOLVED_SECRETS:
        if value in text:
            text = text.replace(value, "***")
    return text


class Secrets:
    """Resolves secret values by environment variable name; values never leave this object
    except through :meth:`get`. The secrets file (``KEY=VALUE`` lines) backs the environment."""

    def __init__(self, file: Path | None = None, environ: Mapping[str, str] | None = None):
        self._environ = os.environ if environ is None else environ
        self._file_values: dict[str, str] = {}
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as e:
                raise ConfigError(f"secrets.file: cannot read {file}: {e.strerror}") from None
            for number, line in enumerate(text.splitlines(), 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                key, sep, value = line.partition("=")
                if not sep:
                    raise ConfigError(f"secrets.file: {file} line {number}: expected KEY=VALUE")
                self._file_values[key.strip()] = value.strip().strip('"').strip("'")

    def get(self, env_name: str) -> str | None:
        value = self._environ.get(env_name) or self._file_values.get(env_name)
        if value and len(value) >= MIN_REDACTED_LENGTH:
            _RESOLVED_SECRETS.add(value)
        return value

    def for_account(self, account: AccountSettings) -> dict[str, str]:
        """The account's secrets by setting name; a missing one is a ConfigError naming the key
        and the variable (never a value)."""
        values: dict[str, str] = {}
        for key, env_name in account.secrets.items():
            value = self.get(env_name)
            if not value:
                raise ConfigError(f"accounts.{account.name}.secrets.{key}: environment variable "
                                  f"{env_name} is not set (nor in the secrets file)")
            values[key] = value
        return values

    def __repr__(self) -> str:  # never show values
        return f"Secrets({len(self._file_values)} from file)"
