"""Open files a daemon may need: one connection to a platform per account stays open between
polls (HTTP keep-alive), so a thousand accounts hold a thousand sockets. Services usually start
with a soft limit of 1,024 open files and a hard limit far above it; the soft one is raised to
the hard one at start, and a limit still too low is said once, in the log, with the fix."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

PER_ACCOUNT = 2  # a socket, and room for one more while a poll reconnects
BASE = 64  # the store's connections (one per scheduler thread, three files each), logs, web


def raise_open_files_limit(accounts: int) -> int | None:
    """Raise the soft limit on open files to the hard one; the limit now (None: no limit, or
    not a Unix). Warns when it is below what ``accounts`` accounts may hold."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not Unix
        return None
    unlimited = resource.RLIM_INFINITY
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == unlimited:
        return None
    target = hard if hard != unlimited else max(soft, 65_536)  # Linux refuses an unlimited soft
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as e:
            logger.debug("could not raise the open files limit to %s: %s", target, e)
    needed = BASE + PER_ACCOUNT * accounts
    if soft < needed:
        logger.warning("%d accounts may hold up to %d open files, but this process may open "
                       "only %d: raise LimitNOFILE in the service unit (or ulimit -n)",
                       accounts, needed, soft)
    return soft
