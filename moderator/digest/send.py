"""Sending the digest by SMTP with a bounded retry, and the whole job (collect, render,
send, record). The SMTP password is used for the login only and scrubbed from every error."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Callable

from moderator.config import Secrets, Settings
from moderator.digest.collect import collect
from moderator.digest.message import build_message
from moderator.digest.model import DigestError, Period
from moderator.settings import DigestSettings
from moderator.store import Store

logger = logging.getLogger(__name__)
BACKOFF_SECONDS = 2.0  # first wait between attempts; doubles each time


def smtp_password(settings: Settings) -> str | None:
    """The password from the variable the config names (or the secrets file); None if no login."""
    digest = settings.digest
    if not digest.smtp_username:
        return None
    assert digest.smtp_password_env  # the config requires it with a username
    value = Secrets(settings.secrets_file).get(digest.smtp_password_env)
    if not value:
        raise DigestError(f"digest.smtp_password_env: environment variable "
                          f"{digest.smtp_password_env} is not set (nor in the secrets file)")
    return value


class _Transient(Exception):
    pass


def deliver(message: EmailMessage, settings: DigestSettings, password: str | None, *,
            sleep: Callable[[float], None] = time.sleep,
            backoff: float = BACKOFF_SECONDS) -> dict[str, Any]:
    """Send through the configured server; retry transient failures (network, 4xx) a bounded
    number of times with doubling waits. Returns the recipients the server refused (if some
    were accepted); raises DigestError naming host and port otherwise."""
    where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    last = ""
    for attempt in range(1, settings.send_attempts + 1):
        try:
            return _send_once(message, settings, password)
        except smtplib.SMTPAuthenticationError as e:
            raise DigestError(f"digest: {where} refused the login of "
                              f"{settings.smtp_username!r}: {_answer(e, password)}") from None
        except smtplib.SMTPNotSupportedError as e:
            raise DigestError(f"digest: {where} does not support what the config asks "
                              f"({_scrub(str(e), password)}); check smtp_security and "
                              f"smtp_username") from None
        except smtplib.SMTPRecipientsRefused as e:
            refused = ", ".join(sorted(e.recipients))
            raise DigestError(f"digest: {where} refused every recipient ({refused})") from None
        except smtplib.SMTPResponseException as e:
            if not 400 <= e.smtp_code < 500:
                raise DigestError(f"digest: {where} rejected the message: "
                                  f"{_answer(e, password)}") from None
            last = _answer(e, password)
        except ssl.SSLError as e:
            raise DigestError(f"digest: TLS with {where} failed: {_scrub(str(e), password)}"
                              ) from None
        except (smtplib.SMTPException, OSError) as e:
            last = _scrub(f"{type(e).__name__}: {e}", password)
        if attempt < settings.send_attempts:
            wait = backoff * 2 ** (attempt - 1)
            logger.warning("digest: attempt %d/%d through %s failed (%s); retrying in %.1fs",
                           attempt, settings.send_attempts, where, last, wait)
            sleep(wait)
    raise DigestError(f"digest: cannot send through {where} after {settings.send_attempts} "
                      f"attempt(s): {last}")


def _send_once(message: EmailMessage, settings: DigestSettings,
               password: str | None) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=settings.smtp_ca_file)
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    if settings.smtp_security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, password or "")
        return dict(smtp.send_message(message))


def _answer(e: smtplib.SMTPResponseException, password: str | None) -> str:
    text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) \
        else str(e.smtp_error)
    return _scrub(f"{e.smtp_code} {text}", password)


def _scrub(text: str, password: str | None) -> str:
    return text.replace(password, "***") if password else text


def send_digest(settings: Settings, store: Store, period: Period, *,
                at: datetime | None = None, sleep: Callable[[float], None] = time.sleep,
                backoff: float = BACKOFF_SECONDS) -> EmailMessage:
    """Collect, render, send and record one digest. A failure is recorded (digests + errors)
    and raised as DigestError."""
    digest_settings = settings.digest
    if not digest_settings.recipients:
        raise DigestError("digest.recipients: no recipients configured")
    message = build_message(collect(store, settings, period, at), digest_settings)
    try:
        password = smtp_password(settings)
        refused = deliver(message, digest_settings, password, sleep=sleep, backoff=backoff)
    except DigestError as e:
        store.record_digest(period.start, period.end, digest_settings.recipients, "failed",
                            str(e))
        store.record_error(None, None, "digest", str(e))
        raise
    detail = f"refused: {', '.join(sorted(refused))}" if refused else ""
    store.record_digest(period.start, period.end, digest_settings.recipients, "sent", detail)
    logger.info("digest for %s to %s sent to %d recipient(s)%s", period.start.isoformat(),
                period.end.isoformat(), len(digest_settings.recipients) - len(refused),
                f"; {detail}" if detail else "")
    return message
