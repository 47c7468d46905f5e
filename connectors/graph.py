"""Graph API plumbing shared by the Facebook Pages and Instagram connectors.

Every call goes through facebook-sdk's ``GraphAPI``; this module adds what the SDK lacks:

- a per-account base URL: the SDK joins the module global ``FACEBOOK_GRAPH_URL`` with the path,
  so a requests adapter mounted on that prefix rewrites each request to ``api_base`` (the global
  is never touched, so accounts with different bases can live in one process);
- the Graph API version as a setting (the SDK's own check only knows v2.8-v3.1);
- the access token in the ``Authorization`` header instead of the ``access_token`` query
  parameter, so it never appears in a URL, an exception message or urllib3's debug log;
- error mapping: throttling codes and usage headers -> RateLimited (with the wait the platform
  asks for), expired or invalid tokens -> AuthFailed, 5xx / timeouts / broken bodies ->
  TransientError, all with messages that name platform and account and never the token;
- bounded retries through ``call_with_retry`` and paging through ``paging.next``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, TypeVar
from urllib.parse import parse_qs, urlparse

import facebook
import requests
from requests.adapters import HTTPAdapter

from connectors.retry import RetryPolicy, call_with_retry
from moderator.errors import AuthFailed, ConnectorError, RateLimited, TransientError
from moderator.options import OptionReader

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_API_BASE = facebook.FACEBOOK_GRAPH_URL  # "https://graph.facebook.com/"
DEFAULT_VERSION = "v21.0"
MAX_PAGE_SIZE = 100  # the Graph API's documented maximum for these edges
SLOW_DOWN_AT = 90.0  # percent of a throttling budget (x-app-usage & co.) where we pace calls

# https://developers.facebook.com/docs/graph-api/guides/error-handling
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613}) | frozenset(range(80000, 80015))
TOKEN_CODES = frozenset({102, 104, 190})
TRANSIENT_CODES = frozenset({1, 2})
MISSING_OBJECT_SUBCODE = 33  # "Object with ID ... does not exist"
_VERSION = re.compile(r"^v\d{1,2}\.\d{1,2}$")
_TOKEN_PARAM = re.compile(r"(access_token=)[^&\s\"']+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GraphOptions:
    """Settings shared by the Graph API connectors (documented in docs/config-graph.toml)."""

    graph_version: str = DEFAULT_VERSION
    page_size: int = MAX_PAGE_SIZE
    lookback_days: float = 30.0  # posts/media older than this are not watched
    timeout: float = 30.0  # seconds per HTTP request
    max_attempts: int = 4  # tries per call, the first included


def read_graph_options(r: OptionReader) -> GraphOptions:
    version = r.str("graph_version", DEFAULT_VERSION)
    if isinstance(version, str) and not _VERSION.match(version):
        r.problem("graph_version", f"expected a Graph API version like 'v21.0', got {version!r}")
        version = DEFAULT_VERSION
    page_size = r.number("page_size", MAX_PAGE_SIZE, minimum=1, integer=True)
    if page_size > MAX_PAGE_SIZE:
        r.problem("page_size", f"the Graph API returns at most {MAX_PAGE_SIZE} items a page, "
                               f"got {page_size}")
        page_size = MAX_PAGE_SIZE
    return GraphOptions(
        graph_version=version,
        page_size=page_size,
        lookback_days=r.number("lookback_days", 30.0, minimum=0.01),
        timeout=r.number("timeout", 30.0, minimum=0.01),
        max_attempts=r.number("max_attempts", 4, minimum=1, integer=True),
    )


def str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def id_of(item: Any) -> Any:
    """An item's id for a log line, even when the item is not an object."""
    return item.get("id") if isinstance(item, dict) else f"<{type(item).__name__}>"


def redact(text: str, secret: str | None) -> str:
    """Remove the token (and any ``access_token=`` value) from text bound for a log or error."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return _TOKEN_PARAM.sub(r"\1[redacted]", text)


class _Rebase(HTTPAdapter):
    """Sends requests the SDK addressed to graph.facebook.com to this account's api_base."""

    def __init__(self, api_base: str):
        super().__init__()
        self.api_base = api_base.rstrip("/") + "/"

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if url.startswith(DEFAULT_API_BASE):
            request.url = self.api_base + url[len(DEFAULT_API_BASE):]
        return super().send(request, **kwargs)


def retry_after_from(headers: Mapping[str, str]) -> float | None:
    """The wait the platform asks for: ``Retry-After`` (seconds), or the largest
    ``estimated_time_to_regain_access`` (minutes) in ``x-business-use-case-usage``.
    ``x-app-usage`` / ``x-page-usage`` give percentages only, so they yield no wait."""
    value = headers.get("retry-after")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            usage = json.loads(raw)
            minutes = [float(entry.get("estimated_time_to_regain_access") or 0)
                       for entries in usage.values() for entry in entries]
        except (ValueError, TypeError, AttributeError):
            minutes = []
        if minutes and max(minutes) > 0:
            return max(minutes) * 60.0
    return None


def usage_percent(headers: Mapping[str, str]) -> float | None:
    """The highest usage percentage any throttling header reports, or None without headers."""
    highest: float | None = None
    for name in ("x-app-usage", "x-page-usage", "x-business-use-case-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
            entries = [usage] if name != "x-business-use-case-usage" else \
                [e for group in usage.values() for e in group]
            for entry in entries:
                for key in ("call_count", "total_time", "total_cputime"):
                    value = float(entry.get(key) or 0)
                    highest = value if highest is None else max(highest, value)
        except (ValueError, TypeError, AttributeError):
            continue
    return highest


class GraphClient:
    """One account's Graph API access: the SDK client, retries and error mapping.

    ``where`` ("facebook acme-fb") prefixes every message. The token is kept only inside the
    session's Authorization header and is scrubbed from any text that leaves this object.
    """

    def __init__(self, *, where: str, token: str, api_base: str | None = None,
                 options: GraphOptions = GraphOptions(), retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.where = where
        self._token = token
        self.options = options
        self.retry = retry or RetryPolicy(attempts=options.max_attempts)
        self.sleep = sleep
        self._pace = 0.0  # seconds to wait before each call while usage headers run high
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        base = api_base or DEFAULT_API_BASE
        if base.rstrip("/") + "/" != DEFAULT_API_BASE:
            session.mount(DEFAULT_API_BASE, _Rebase(base))
        session.hooks["response"].append(self._check_response)
        # No token here: the SDK would put it in every URL. The version check of facebook-sdk
        # 3.1 rejects current versions, so the version is set after construction.
        self.sdk = facebook.GraphAPI(timeout=options.timeout, session=session)
        self.sdk.version = options.graph_version

    def __repr__(self) -> str:
        return f"GraphClient({self.where!r})"

    # -- calls ---------------------------------------------------------------------------

    def get(self, node: str, edge: str | None = None, **params: Any) -> dict[str, Any]:
        what = f"{self.where}: GET {node}/{edge}" if edge else f"{self.where}: GET {node}"
        path = f"{self.sdk.version}/{node}/{edge}" if edge else f"{self.sdk.version}/{node}"
        result = self._call(lambda: self.sdk.request(path, dict(params)), what)
        if not isinstance(result, dict):
            raise ConnectorError(f"{what}: unexpected response (not a JSON object)")
        return result

    def pages(self, node: str, edge: str, **params: Any) -> Iterator[list[Any]]:
        """The ``data`` list of every page of an edge, following ``paging.next``.

        Only the query of ``paging.next`` is reused (the SDK's own approach), so paging stays on
        this account's api_base whatever host the link names; the loop stops if the platform
        hands back a link it already gave.
        """
        seen: set[str] = set()
        while True:
            page = self.get(node, edge, **params)
            data = page.get("data")
            if not isinstance(data, list):
                raise ConnectorError(f"{self.where}: GET {node}/{edge}: response has no data list")
            yield data
            paging = page.get("paging")
            following = paging.get("next") if isinstance(paging, dict) else None
            if not isinstance(following, str) or not following:
                return
            params = {k: v if len(v) > 1 else v[0]
                      for k, v in parse_qs(urlparse(following).query).items()}
            params.pop("access_token", None)
            key = json.dumps(params, sort_keys=True)
            if key in seen:
                logger.warning("%s: GET %s/%s: paging link repeats itself; stopping",
                               self.where, node, edge)
                return
            seen.add(key)

    def post(self, node: str, what: str, **data: Any) -> dict[str, Any]:
        path = f"{self.sdk.version}/{node}"
        result = self._call(lambda: self.sdk.request(path, post_args=dict(data)),
                            f"{self.where}: {what}")
        return result if isinstance(result, dict) else {}

    def set_hidden(self, node: str, field: str, hidden: bool) -> bool:
        """Hide or unhide a comment (``field``: Facebook ``is_hidden``, Instagram ``hide``).
        False when hiding a comment that is already gone: there is nothing left to hide."""
        verb = "hide" if hidden else "unhide"
        try:
            result = self.post(node, f"{verb} {node}", **{field: "true" if hidden else "false"})
        except MissingObject:
            if hidden:
                return False
            raise
        if result.get("success") is not True:
            raise ConnectorError(f"{self.where}: {verb} {node}: the API did not confirm")
        return True

    def delete(self, node: str, what: str) -> bool:
        """Delete an object; False when it is already gone (a delete is idempotent)."""
        path = f"{self.sdk.version}/{node}"
        try:
            self._call(lambda: self.sdk.request(path, method="DELETE"), f"{self.where}: {what}")
        except MissingObject:
            return False
        return True

    # -- errors --------------------------------------------------------------------------

    def _call(self, call: Callable[[], T], what: str) -> T:
        """Retry ``call``; the error that escapes is prefixed with ``what`` (platform, account,
        call) while the retry log adds that prefix itself."""
        try:
            return call_with_retry(lambda: self._mapped(call), what=what, policy=self.retry,
                                   sleep=self.sleep)
        except ConnectorError as e:
            raise type(e)(f"{what}: {e}", *_extra(e)) from None

    def _mapped(self, call: Callable[[], T]) -> T:
        """Run one SDK call; turn every failure into a ConnectorError with a clean message."""
        if self._pace:
            self.sleep(self._pace)
        try:
            return call()
        except ConnectorError:  # raised by _check_response, before the SDK saw the body
            raise
        except facebook.GraphAPIError as e:
            # A Graph error in a 2xx answer, or a body the SDK cannot read (HTML, plain text).
            error = e.result.get("error") if isinstance(e.result, dict) else None
            if isinstance(error, dict):
                raise self._classify(None, {}, error) from None
            raise TransientError(f"unexpected response "
                                 f"({self._clean(str(e.message))[:200]})") from None
        except requests.Timeout:
            raise TransientError(f"timed out after {self.options.timeout}s") from None
        except requests.ConnectionError as e:
            # The message of a ConnectionError holds the URL; name only the kind of failure.
            raise TransientError(f"connection failed ({type(e).__name__})") from None
        except requests.RequestException as e:
            raise TransientError(f"request failed ({type(e).__name__})") from None
        except (ValueError, KeyError):  # malformed JSON, or no content-type header
            raise TransientError("malformed response body") from None

    def _check_response(self, response: requests.Response, *args: Any,
                        **kwargs: Any) -> requests.Response:
        """requests hook: classify failures while the status and headers are at hand, and
        pace the next calls when the usage headers say a budget is nearly spent."""
        if response.status_code < 400:
            self._set_pace(usage_percent(response.headers))
            return response
        error: dict[str, Any] | None = None
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                error = body["error"]
        except ValueError:
            pass
        response.close()
        raise self._classify(response.status_code, response.headers, error)

    def _set_pace(self, usage: float | None) -> None:
        """Below SLOW_DOWN_AT no wait; above it the backoff base, doubling every 2.5 points
        (16x at 100%), capped at the policy's max_delay."""
        if usage is None or usage < SLOW_DOWN_AT:
            self._pace = 0.0
            return
        pace = min(self.retry.max_delay,
                   self.retry.base_delay * 2 ** ((usage - SLOW_DOWN_AT) / 2.5))
        if not self._pace:
            logger.warning("%s: API usage at %.0f%% of its budget; pacing calls %.1fs apart",
                           self.where, usage, pace)
        self._pace = pace

    def _classify(self, status: int | None, headers: Mapping[str, str],
                  error: Mapping[str, Any] | None) -> ConnectorError:
        """A failed answer -> the ConnectorError the retry loop and the core act on."""
        code = _int(error.get("code")) if error else None
        subcode = _int(error.get("error_subcode")) if error else None
        message = self._clean(str(error.get("message", "")))[:300] if error else ""
        label = f"code {code}" + (f"/{subcode}" if subcode else "")
        detail = f" ({label}: {message})" if error else ""
        if code in TOKEN_CODES or status == 401:
            return AuthFailed(f"access token rejected{detail}; get a new token for this account")
        if code in THROTTLE_CODES or status == 429:
            return RateLimited(f"rate limited{detail}", retry_after_from(headers))
        if code == 100 and subcode == MISSING_OBJECT_SUBCODE:
            return MissingObject(f"object does not exist{detail}")
        if code in TRANSIENT_CODES or (error and error.get("is_transient")) or \
                (status is not None and status >= 500):
            return TransientError(f"server error{f' {status}' if status else ''}{detail}")
        if error is None:
            return ConnectorError(f"HTTP {status} without a Graph error body (check api_base)")
        return ConnectorError(f"Graph API error{detail}")

    def _clean(self, text: str) -> str:
        return redact(text, self._token)


class MissingObject(ConnectorError):
    """The object was deleted already (or never existed): success for a delete."""


def _extra(error: ConnectorError) -> tuple[Any, ...]:
    return (error.retry_after,) if isinstance(error, RateLimited) else ()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def unwrap_facebook_link(url: str) -> str:
    """Facebook wraps outgoing links as ``l.facebook.com/l.php?u=<target>``: keep the target."""
    parsed = urlparse(url)
    if parsed.hostname in ("l.facebook.com", "lm.facebook.com") and parsed.path == "/l.php":
        target = parse_qs(parsed.query).get("u")
        if target and target[0]:
            return target[0]
    return url
