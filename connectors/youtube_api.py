"""YouTube Data API v3 access for one account: google-api-python-client's ``youtube`` service
built from its bundled discovery document (nothing is fetched at run time), authorized by an
OAuth 2 refresh token through google-auth, with every request metered against the daily quota,
bounded retries and errors mapped to the core's ConnectorError kinds.

- ``api_base`` goes in through ``client_options`` (the service's root URL), ``token_uri`` is
  the OAuth token endpoint the refresh token is exchanged at (both point at a local fake in the
  tests);
- the access token travels in the ``Authorization`` header only; no message here names it;
- ``quotaExceeded`` marks the meter spent until midnight Pacific and is raised as RateLimited
  with that wait; every later call fails fast without a request until then;
- 429 and ``rateLimitExceeded`` are RateLimited (Retry-After honoured), 5xx and network faults
  TransientError, 401 or a refused refresh token AuthFailed (that account only).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any, Callable
from urllib.parse import urlsplit

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.retry import RetryPolicy, call_with_retry, is_loopback
from connectors.youtube_quota import QuotaMeter, cost_of
from moderator.errors import AuthFailed, ConnectorError, RateLimited, TransientError

logger = logging.getLogger(__name__)

API_BASE = "https://youtube.googleapis.com/"  # the bundled discovery document's rootUrl
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
GONE_REASONS = frozenset({"commentNotFound", "notFound"})
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


class Gone(ConnectorError):
    """The comment no longer exists (deleted by its author or already removed)."""


class _MeteredHttp(httplib2.Http):
    """Counts the quota units of every Data API request before it is sent (Google charges
    requests that fail too); the token endpoint costs nothing."""

    def __init__(self, meter: QuotaMeter, **kwargs: Any):
        super().__init__(**kwargs)
        self.meter = meter

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        path = urlsplit(uri).path
        if "/youtube/v3/" in path:
            self.meter.spend(cost_of(path))
        return super().request(uri, method, *args, **kwargs)


class YouTubeClient:
    """One account's service object, meter and error mapping. ``where`` ("youtube acme-yt")
    prefixes every message."""

    def __init__(self, *, where: str, client_id: str, client_secret: str, refresh_token: str,
                 token_uri: str, api_base: str | None = None, timeout: float = 30.0,
                 meter: QuotaMeter | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.where = where
        self.meter = meter or QuotaMeter()
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        base = (api_base or API_BASE).rstrip("/") + "/"
        credentials = Credentials(None, refresh_token=refresh_token, client_id=client_id,
                                  client_secret=client_secret, token_uri=token_uri)
        local = is_loopback(base) and is_loopback(token_uri)
        http = _MeteredHttp(self.meter, timeout=timeout,
                            proxy_info=None if local else httplib2.proxy_info_from_environment)
        self.service = build("youtube", "v3", static_discovery=True, cache_discovery=False,
                             http=google_auth_httplib2.AuthorizedHttp(credentials, http=http),
                             client_options={"api_endpoint": base})
        self._resources: dict[str, Any] = {}

    def __repr__(self) -> str:  # never show a credential
        return f"YouTubeClient({self.where!r})"

    def execute(self, what: str, resource: str, method: str, *, missing_ok: bool = False,
                **params: Any) -> dict[str, Any] | None:
        """Call ``resource.method(**params)`` (``"comments", "list"``) with bounded retries and
        return the decoded body, or None when ``missing_ok`` and the comment does not exist.
        Raises ConnectorError kinds whose message starts with ``where`` and ``what``."""
        label = f"{self.where}: {what}"
        call = getattr(self._resource(resource), method)

        def once() -> dict[str, Any]:
            waiting = self.meter.exhausted()
            if waiting:
                raise RateLimited(f"the daily quota is spent; it resets in "
                                  f"{waiting / 3600:.1f} h", retry_after=waiting)
            return self._mapped(label, lambda: call(**params).execute(num_retries=0))

        try:
            return call_with_retry(once, what=label, policy=self.retry, sleep=self.sleep)
        except ConnectorError as e:  # the retry log named the call; the error names it too
            if isinstance(e, Gone) and missing_ok:
                return None
            extra = (e.retry_after,) if isinstance(e, RateLimited) else ()
            raise type(e)(f"{label}: {e}", *extra) from None

    def _resource(self, name: str) -> Any:
        """The service's resource object, made once: the client builds each one's methods
        from the discovery document anew on every ``service.comments()``."""
        if name not in self._resources:
            self._resources[name] = getattr(self.service, name)()
        return self._resources[name]

    def _mapped(self, label: str, call: Callable[[], Any]) -> dict[str, Any]:
        try:
            body = call()
        except HttpError as e:
            raise self._classify(label, e) from None
        except google.auth.exceptions.RefreshError as e:
            if getattr(e, "retryable", False):
                raise TransientError("the token endpoint failed") from None
            raise AuthFailed("the refresh token was refused (revoked, expired or wrong "
                             "client); authorize the account again") from None
        except google.auth.exceptions.TransportError:
            raise TransientError("could not reach the token endpoint") from None
        except (socket.timeout, TimeoutError):
            raise TransientError("timed out") from None
        except (OSError, httplib2.HttpLib2Error) as e:  # refused, reset, DNS
            raise TransientError(f"connection failed ({type(e).__name__})") from None
        if body in ("", b""):  # 204 No Content: setModerationStatus has no response body
            return {}
        if not isinstance(body, dict):  # the client hands back a body that is not JSON as text
            raise TransientError("unreadable response (not a JSON object)")
        return body

    def _classify(self, label: str, error: HttpError) -> ConnectorError:
        status = error.status_code
        reasons, message = _reasons(error.content)
        detail = f"HTTP {status}" + (f" {'/'.join(sorted(reasons))}" if reasons else "") + \
            (f": {message[:200]}" if message else "")
        if reasons & QUOTA_REASONS:
            wait = self.meter.mark_exhausted()
            logger.error("%s: the YouTube Data API quota is spent (%s); no more calls until it "
                         "resets at midnight Pacific, in %.1f h", label, detail, wait / 3600)
            return RateLimited(f"daily quota exceeded; resets in {wait / 3600:.1f} h",
                               retry_after=wait)
        if status == 429 or reasons & RATE_REASONS:
            return RateLimited(f"rate limited ({detail})", retry_after=_retry_after(error.resp))
        if status == 401:
            return AuthFailed(f"{detail}; the credentials were refused (authorize the account "
                              "again)")
        if reasons & SCOPE_REASONS:
            return AuthFailed(f"{detail}; the grant lacks the youtube.force-ssl scope "
                              "(authorize the account again with it)")
        if status == 404 and (reasons & GONE_REASONS or not reasons):
            return Gone(detail)
        if status >= 500:
            return TransientError(detail)
        return ConnectorError(detail)


def _reasons(content: bytes) -> tuple[set[str], str]:
    """The ``error.errors[].reason`` values and the message of a Google API error body."""
    try:
        error = json.loads(content.decode("utf-8", "replace")).get("error")
        reasons = {str(e.get("reason")) for e in error.get("errors") or () if isinstance(e, dict)}
        return reasons - {"None"}, str(error.get("message") or "")
    except (ValueError, AttributeError, TypeError):
        return set(), ""


def _retry_after(response: Any) -> float | None:
    try:
        value = response.get("retry-after")
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None
