"""What the web inbox reads: the review queue a page at a time in urgency order, the rules with
pending items, an author's other comments, and the audit log searched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderator.models import Action
from moderator.store.audit import idem_key_sql
from moderator.store.base import StoreBase
from moderator.store.clock import iso

# Most urgent first: the highest severity, then whatever has waited longest. The expression is
# the one the store's review_urgency index holds, so SQLite walks the index instead of sorting.
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
_RANK_SQL = ("CASE q.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
             "WHEN 'low' THEN 1 ELSE 0 END")
URGENCY = f"{_RANK_SQL} DESC, q.created_at, q.id"
TEXT_PREVIEW = 400  # characters of a comment the inbox row needs


@dataclass(frozen=True, slots=True)
class InboxFilter:
    account: str | None = None
    platform: str | None = None
    rule: str | None = None
    severity: str | None = None  # this severity and above
    older_than: datetime | None = None
    newer_than: datetime | None = None
    status: str | None = "pending"

    def where(self) -> tuple[str, list[Any]]:
        """Conditions on the review_queue row alone (no join: the page stays an index walk).
        The platform is the first part of the comment's uid (platform:account:id)."""
        where, args = ["1 = 1"], []
        for column, value in (("q.status", self.status), ("q.account", self.account)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if self.platform:
            where.append("q.comment_uid LIKE ? ESCAPE '\\'")
            args.append(_like_prefix(self.platform) + ":%")
        if self.rule:
            where.append("(',' || q.rules || ',') LIKE ? ESCAPE '\\'")
            args.append(f"%,{_like_prefix(self.rule)},%")
        if self.severity in SEVERITY_RANK:
            where.append(f"{_RANK_SQL} >= ?")
            args.append(SEVERITY_RANK[self.severity])
        if self.older_than:
            where.append("q.created_at <= ?")
            args.append(iso(self.older_than))
        if self.newer_than:
            where.append("q.created_at >= ?")
            args.append(iso(self.newer_than))
        return " AND ".join(where), args


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Every idem key (audit.idem_key: "uid:action") of the comments a reviewer's "id or uid"
# names, a comment id being possibly on several accounts: the audit log has no index on
# comment_uid (it cost every row of the log a write), so its rows are found by these.
_ACTION_NAMES = ", ".join(f"('{a.value}')" for a in Action)
_COMMENT_IDEM_KEYS = (f"SELECT {idem_key_sql('u.uid', 'k.column1')} FROM (SELECT uid FROM comments "
                      f"WHERE comment_id = ? UNION SELECT ?) u, (VALUES {_ACTION_NAMES}) k")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    account: str | None = None
    comment: str | None = None  # a comment id or uid
    rule: str | None = None
    actor: str | None = None  # a reviewer's name, or "moderator" for the daemon
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> tuple[str, list[Any]]:
        where, args = ["1 = 1"], []
        if self.account:
            where.append("a.account = ?")
            args.append(self.account)
        if self.comment:  # the comment's rows by their idem keys: the actions_idem index
            where.append(f"a.idem_key IN ({_COMMENT_IDEM_KEYS})")
            args.extend([self.comment, self.comment])
        if self.rule:
            where.append("EXISTS (SELECT 1 FROM findings f WHERE f.comment_uid = a.comment_uid "
                         "AND f.rule = ?)")
            args.append(self.rule)
        if self.actor:
            where.append("a.actor = ? COLLATE NOCASE")
            args.append(self.actor)
        if self.since:
            where.append("a.at >= ?")
            args.append(iso(self.since))
        if self.until:
            where.append("a.at < ?")
            args.append(iso(self.until))
        return " AND ".join(where), args


# The audit page counts the matching entries only this far: the log only grows (it is never
# pruned), and counting all of it took 310 ms a page at 850,000 entries (bench/core.md).
AUDIT_COUNT_CAP = 10_000


class Inbox(StoreBase):
    def inbox_page(self, filters: InboxFilter, offset: int,
                   limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page of review items, most urgent first, and how many match in all. The page's
        ids come from the queue's index alone; only those rows are joined to their comments."""
        where, args = filters.where()
        total = self.db.execute(f"SELECT count(*) FROM review_queue q WHERE {where}",
                                args).fetchone()[0]
        rows = list(self.db.query(
            f"SELECT q.id, q.account, q.status, q.proposed_action, q.severity, q.rules, "
            f"q.created_at, q.first_reviewer, c.platform, c.author_handle, c.author_name, "
            f"substr(c.text, 1, {TEXT_PREVIEW}) AS text "
            f"FROM review_queue q JOIN comments c ON c.uid = q.comment_uid "
            f"WHERE q.id IN (SELECT q.id FROM review_queue q WHERE {where} "
            f"ORDER BY {URGENCY} LIMIT ? OFFSET ?) ORDER BY {URGENCY}",
            [*args, limit, offset]))
        return rows, int(total)

    def pending_rules(self) -> list[str]:
        """The rules with pending items, for the inbox's rule filter."""
        rules: set[str] = set()
        for (joined,) in self.db.execute(
                "SELECT DISTINCT rules FROM review_queue WHERE status = 'pending'"):
            rules.update(r for r in (joined or "").split(",") if r)
        return sorted(rules)

    def newest_pending(self) -> tuple[int, int]:
        """(pending count, highest item id): what the inbox polls to notice new items."""
        count, top = self.db.execute("SELECT count(*), max(id) FROM review_queue "
                                     "WHERE status = 'pending'").fetchone()
        return int(count), int(top or 0)

    def author_comments(self, platform: str, author_id: str | None, exclude_uid: str,
                        limit: int = 10) -> list[dict[str, Any]]:
        """The author's other recent comments on the platform, with the decision and verdict."""
        if not author_id:
            return []
        return list(self.db.query(
            "SELECT c.uid, c.account, c.comment_id, substr(c.text, 1, 300) AS text, c.seen_at, "
            "d.action AS decision, d.severity, q.id AS item_id, q.status AS verdict, q.reviewer "
            "FROM comments c LEFT JOIN decisions d ON d.comment_uid = c.uid "
            "LEFT JOIN review_queue q ON q.comment_uid = c.uid "
            "WHERE c.platform = ? AND c.author_id = ? AND c.uid != ? "
            "ORDER BY c.seen_at DESC LIMIT ?", [platform, author_id, exclude_uid, limit]))

    def audit_page(self, filters: AuditFilter, offset: int,
                   limit: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Audit log entries, newest first, with the comment they concern; how many match,
        and whether there are more than that (the count stops past ``AUDIT_COUNT_CAP``)."""
        where, args = filters.where()
        base = "FROM actions a LEFT JOIN comments c ON c.uid = a.comment_uid"
        counted = max(AUDIT_COUNT_CAP, offset + limit)
        total = self.db.execute(f"SELECT count(*) FROM (SELECT 1 {base} WHERE {where} LIMIT ?)",
                                [*args, counted + 1]).fetchone()[0]
        rows = list(self.db.query(
            f"SELECT a.*, c.comment_id, substr(c.text, 1, 200) AS text, "
            f"(SELECT q.id FROM review_queue q WHERE q.comment_uid = a.comment_uid) AS item_id "
            f"{base} WHERE {where} ORDER BY a.id DESC LIMIT ? OFFSET ?", [*args, limit, offset]))
        return rows, min(int(total), counted), total > counted

    def brake_events(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM events WHERE kind LIKE 'brake.%' "
                                  "ORDER BY id DESC LIMIT ?", [limit]))
