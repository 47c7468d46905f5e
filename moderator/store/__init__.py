"""The database: SQLite through sqlite3 (sqlite-utils for migrations); nothing else touches it.

A plain reader and writer, split by concern: ``schema`` (migrations), ``database`` (the
connection), ``comments`` (comments, findings, decisions, the rules' memory), ``audit`` (the
append-only action log), ``queue`` (the review queue), ``runs`` (runs, errors, events,
cursors, brakes), ``reports`` (status, stats and digest queries), ``inbox`` (the web inbox's
pages and audit search), ``reviewers`` (the web inbox's accounts and sessions), ``retention``
(forgetting old comments nothing happened to). WAL and a busy timeout let the daemon and a
reviewer's CLI share one file. What to write is decided elsewhere (``moderator.effects``); a
batch is written in one transaction (``atomic``).
"""

from moderator.store.audit import (MAX_ACTION_ATTEMPTS, AuditLog, PlannedAction, audit_row,
                                   idem_key)
from moderator.store.base import BUSY_TIMEOUT_MS
from moderator.store.clock import iso, now, parse_iso, window_start
from moderator.store.comments import (HISTORY_PER_CHUNK, Comments, HistoryRecord, Recorded,
                                      comment_from_row, select_history)
from moderator.store.inbox import AuditFilter, Inbox, InboxFilter
from moderator.store.queue import QueueEntry, ReviewQueue
from moderator.store.reports import Reports
from moderator.store.retention import FORGET_CHUNK, Retention
from moderator.store.reviewers import Reviewers
from moderator.store.runs import RUNS_KEPT_DAYS, Runs


class Store(Comments, AuditLog, ReviewQueue, Runs, Reports, Inbox, Reviewers, Retention):
    """One SQLite file: open it with ``Store(path)`` (migrations are applied on open)."""

    def __enter__(self) -> "Store":
        return self


__all__ = ["BUSY_TIMEOUT_MS", "FORGET_CHUNK", "HISTORY_PER_CHUNK", "MAX_ACTION_ATTEMPTS",
           "RUNS_KEPT_DAYS", "AuditFilter", "HistoryRecord", "InboxFilter",
           "PlannedAction", "QueueEntry", "Recorded", "Store", "audit_row", "comment_from_row",
           "idem_key", "iso", "now", "parse_iso", "select_history", "window_start"]
