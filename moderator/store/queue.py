"""The human review queue and what a reviewer sees of an item."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, NamedTuple, Sequence

from moderator.models import Action, ActionStatus, Comment, Decision, ReviewStatus
from moderator.store import clock
from moderator.store.audit import audit_row
from moderator.store.base import StoreBase

# A review item with the comment it is about (review list, show, the digest).
_QUEUE_ITEMS = ("SELECT q.*, c.platform, c.comment_id, c.author_handle, c.author_name, c.text, "
                "c.permalink FROM review_queue q JOIN comments c ON c.uid = q.comment_uid")


class QueueEntry(NamedTuple):
    """A comment for the review queue: what approval carries out, and why it is queued."""

    comment: Comment
    proposed: Action
    decision: Decision
    rule_version: str | None

    def audit_row(self) -> tuple[Any, ...]:
        return audit_row(self.comment, Action.REVIEW, ActionStatus.QUEUED,
                         rule_version=self.rule_version, detail=f"proposed {self.proposed.value}")


class ReviewQueue(StoreBase):
    def enqueue(self, comment: Comment, proposed: Action, decision: Decision,
                rule_version: str | None) -> None:
        entry = QueueEntry(comment, proposed, decision, rule_version)
        with self.atomic():
            if self.enqueue_many([entry]):
                self.append_actions([entry.audit_row()])

    def enqueue_many(self, entries: Sequence[QueueEntry]) -> set[str]:
        """Queue the entries whose comment is not queued yet; returns their uids (the caller
        writes their "queued" audit rows, :meth:`QueueEntry.audit_row`, in its order). One
        statement for the batch, not one per row: most of a backfill may go to review."""
        at = clock.stamp()
        with self.atomic():
            queued = self._queued([e.comment.uid for e in entries])
            new: set[str] = set()
            rows = []
            for e in entries:
                uid = e.comment.uid
                if uid in queued or uid in new:  # INSERT OR IGNORE's rule, known in advance
                    continue
                new.add(uid)
                d = e.decision
                rows.append((uid, e.comment.account, e.proposed.value,
                             d.severity.value if d.severity else None, d.reason,
                             ",".join(sorted({f.rule for f in d.findings})), at))
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO review_queue(comment_uid, account, proposed_action, "
                "severity, reason, rules, created_at) VALUES (?,?,?,?,?,?,?)", rows)
        return new

    def _queued(self, uids: Iterable[str], *, rejected_only: bool = False) -> set[str]:
        """Of ``uids``, those in the queue (only those a reviewer rejected, if asked), looked
        up 500 at a time (SQLite's bound on parameters)."""
        uids, found = list(uids), set()
        status = "status = 'rejected' AND " if rejected_only else ""
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            found.update(uid for (uid,) in self.db.execute(
                f"SELECT comment_uid FROM review_queue WHERE {status}comment_uid IN "
                f"({','.join('?' * len(chunk))})", chunk))
        return found

    def queue(self, *, status: str | None = ReviewStatus.PENDING.value, account: str | None = None,
              rule: str | None = None, older_than: datetime | None = None,
              newer_than: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, args = ["1 = 1"], []
        if status:
            where.append("q.status = ?")
            args.append(status)
        if account:
            where.append("q.account = ?")
            args.append(account)
        if rule:
            where.append("(',' || q.rules || ',') LIKE ?")
            args.append(f"%,{rule}%")
        if older_than:
            where.append("q.created_at <= ?")
            args.append(clock.iso(older_than))
        if newer_than:
            where.append("q.created_at >= ?")
            args.append(clock.iso(newer_than))
        return list(self.db.query(
            f"{_QUEUE_ITEMS} WHERE {' AND '.join(where)} ORDER BY q.created_at, q.id LIMIT ?",
            [*args, limit]))

    def queue_item(self, item_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query(f"{_QUEUE_ITEMS} WHERE q.id = ?", [item_id]))
        return rows[0] if rows else None

    def resolve_review(self, item_id: int, status: ReviewStatus, reviewer: str,
                       note: str = "") -> None:
        self.db.execute("UPDATE review_queue SET status = ?, resolved_at = ?, reviewer = ?, "
                        "note = ? WHERE id = ?",
                        [ReviewStatus(status).value, clock.stamp(), reviewer, note,
                         item_id])

    def set_first_reviewer(self, item_id: int, reviewer: str) -> None:
        self.db.execute("UPDATE review_queue SET first_reviewer = ? WHERE id = ?",
                        [reviewer, item_id])

    def kept_by_reviewer(self, uids: Iterable[str]) -> set[str]:
        """Of ``uids``, the comments a reviewer kept (rejected the proposed action): never act
        on them again."""
        return self._queued(uids, rejected_only=True)

    def findings_for(self, uid: str) -> list[dict[str, Any]]:
        rows = list(self.db.query("SELECT * FROM findings WHERE comment_uid = ? ORDER BY id",
                                  [uid]))
        for row in rows:
            row["evidence"] = json.loads(row["evidence"])
        return rows

    def review_item_for(self, uid: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT id FROM review_queue WHERE comment_uid = ?",
                              [uid]).fetchone()
        return self.queue_item(int(row[0])) if row else None

    def queue_size(self) -> int:
        return int(self.db.execute(
            "SELECT count(*) FROM review_queue WHERE status = 'pending'").fetchone()[0])
