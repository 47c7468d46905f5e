"""Logging for the ``moderator`` command: the only place that configures it."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from moderator import config

# Structured fields the worker and actions attach to decision and action lines (``extra=``).
LOG_FIELDS = ("platform", "account", "comment_id", "rules", "decision", "action", "status")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
               "level": record.levelname.lower(), "logger": record.name,
               "message": record.getMessage()}
        out.update({key: getattr(record, key) for key in LOG_FIELDS if hasattr(record, key)})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out)


class RedactSecrets(logging.Filter):
    """A last line of defence: no secret value resolved by this process reaches a log line,
    even if a library puts one in a message (an access token in a URL, say)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = config.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = config.redact(record.exc_text)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # APScheduler logs every job run at INFO: noise next to one line per decision and action.
    logging.getLogger("apscheduler").setLevel("DEBUG" if level == "debug" else "WARNING")
