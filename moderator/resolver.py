"""Following URL shorteners to their destination, for the links rule (which does no I/O itself:
the pipeline injects this resolver when ``[rules.links] resolve_shorteners = true``)."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from typing import Callable
from urllib.parse import urljoin, urlsplit

import requests

logger = logging.getLogger(__name__)



def head_resolver(timeout: float = 3.0, max_hops: int = 5, *, allow_private: bool = False,
                  user_agent: str = "Moderator link checker") -> Callable[[str], str | None]:
    """A resolver for ``LinksRule.with_resolver``: follows redirects with HEAD requests only (no
    body is downloaded), at most ``max_hops`` of them and ``timeout`` seconds in total. Returns the
    last URL reached, or None when the first request fails.

    Hosts that resolve to private, loopback or link-local addresses are not requested unless
    ``allow_private`` (a shortened link must not make the server probe its own network).
    """
    session = requests.Session()
    session.headers["User-Agent"] = user_agent

    def resolve(url: str) -> str | None:
        deadline = time.monotonic() + timeout
        current = url if "://" in url[:12] else "http://" + url
        reached: str | None = None
        for _ in range(max_hops + 1):
            left = deadline - time.monotonic()
            parts = urlsplit(current)
            if left <= 0 or parts.scheme not in ("http", "https"):
                break
            if not allow_private and _is_private_host(parts.hostname or ""):
                logger.warning("not resolving %s: private or local address", current)
                break
            try:
                response = session.head(current, allow_redirects=False, timeout=left)
            except requests.RequestException as e:
                logger.info("resolving %s: %s", current, e)
                break
            reached = current
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                break
            current = urljoin(current, location)
            reached = current
        return reached

    return resolve


def _is_private_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # unresolvable: the request fails by itself
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address.is_private or address.is_loopback or address.is_link_local \
                or address.is_reserved or address.is_multicast or address.is_unspecified:
            return True
    return False
