"""Downloading the threat feeds the links rule reads, for the daemon's refresh job.

The rule itself does no I/O: it loads each feed from its ``path`` when it is built. This job
fetches every feed that has a ``url`` into its ``path`` (bounded in time and size), and only
replaces a file with a download that parses into at least one entry, so a truncated or
wrong-format answer never empties a good feed. It returns True when a file changed, so the
daemon rebuilds the rules.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import requests

from moderator.config import Settings

logger = logging.getLogger(__name__)
MAX_FEED_BYTES = 64 * 1024 * 1024
TIMEOUT = 60


def feed_specs(settings: Settings) -> Iterator[Mapping[str, Any]]:
    """Every configured feed (global and per-account), each once."""
    seen: set[tuple[str, str]] = set()
    for account in (None, *settings.accounts):
        links = settings.rule_options(account).get("links") or {}
        for spec in links.get("feeds", []) if isinstance(links, Mapping) else []:
            key = (spec.get("url", ""), spec.get("path", ""))
            if spec.get("url") and spec.get("path") and key not in seen:
                seen.add(key)
                yield spec


def refresh_feeds(settings: Settings, session: requests.Session | None = None) -> bool:
    """Fetch every feed with a url; True when at least one file changed. Never raises."""
    from rules.links.feeds import load_feed

    session = session or requests.Session()
    changed = False
    for spec in feed_specs(settings):
        name, url, path = spec.get("name") or spec["path"], spec["url"], Path(spec["path"])
        try:
            body = _download(session, url)
            index = load_feed(body.decode("utf-8", "replace"), spec.get("format", "auto"),
                              name=name)
            if not (index.urls or index.hosts):
                logger.warning("feed %s: the download has no entries; keeping %s", name, path)
                continue
            if path.is_file() and path.read_bytes() == body:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(body)
            os.replace(tmp.name, path)  # readers see the old file or the new one, never half
            changed = True
            logger.info("feed %s: %d URLs and %d hosts from %s", name, len(index.urls),
                        len(index.hosts), url)
        except Exception as e:  # one feed failing never stops the others or the daemon
            logger.warning("feed %s: refresh from %s failed: %s", name, url, e)
    return changed


def _download(session: requests.Session, url: str) -> bytes:
    with session.get(url, timeout=TIMEOUT, stream=True) as response:
        response.raise_for_status()
        chunks, size = [], 0
        for chunk in response.iter_content(1 << 16):
            size += len(chunk)
            if size > MAX_FEED_BYTES:
                raise ValueError(f"larger than {MAX_FEED_BYTES} bytes")
            chunks.append(chunk)
    return b"".join(chunks)
