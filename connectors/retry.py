"""Bounded retries for platform calls, shared by every connector.

Rate limits are honoured from what the platform says (``retry_after`` on RateLimited); other
transient faults back off exponentially with full jitter. Nothing here spins: every wait is
bounded, and the total number of attempts is small. Auth failures are never retried.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from moderator.errors import RateLimited, TransientError, located

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # total tries, the first included
    base_delay: float = 1.0  # seconds; doubles each try, full jitter
    max_delay: float = 30.0
    max_rate_limit_wait: float = 120.0  # a longer Retry-After is raised to the caller instead

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the given (1-based) failed attempt."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def call_with_retry(call: Callable[[], T], *, what: str, policy: RetryPolicy = RetryPolicy(),
                    sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``call``; retry TransientError and short RateLimited waits a bounded number of times.

    ``what`` names the call for logs (``reddit acme-reddit: fetch comments``); it must never
    contain a secret. Raises the last error when the attempts are spent.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except RateLimited as e:
            wait = e.retry_after if e.retry_after is not None else policy.backoff(attempt)
            if attempt == policy.attempts or wait > policy.max_rate_limit_wait:
                raise
            logger.warning("%s: rate limited, waiting %.1fs (attempt %d/%d)",
                           what, wait, attempt, policy.attempts)
            sleep(max(0.0, wait))
        except TransientError as e:
            if attempt == policy.attempts:
                raise
            wait = policy.backoff(attempt)
            logger.warning("%s; retrying in %.1fs (attempt %d/%d)",
                           located(what, e), wait, attempt, policy.attempts)
            sleep(wait)
    raise AssertionError("unreachable")


def is_loopback(base_url: str) -> bool:
    """True for a server on this machine (tests, a local proxy): no environment proxy applies."""
    host = urlsplit(base_url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
