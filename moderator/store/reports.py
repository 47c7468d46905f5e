"""Read-only summaries for status, stats and the digest, plus the digests sent.

Digest periods are half-open [start, end) on the time Moderator recorded things (seen_at, at,
created_at), so consecutive digests neither overlap nor leave a gap.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Sequence

from moderator.models import ActionStatus
from moderator.store import clock
from moderator.store.audit import DESTRUCTIVE, idem_keys_sql
from moderator.store.base import StoreBase


class Reports(StoreBase):
    def decision_counts(self, run_id: int | None = None) -> dict[str, int]:
        where, args = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
        return {action: n for action, n in self.db.execute(
            f"SELECT action, count(*) FROM decisions {where} GROUP BY action", args)}

    def digest_totals(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Per (account, platform): comments seen and flagged, and audit-log outcomes."""
        span = [clock.iso(start), clock.iso(end)]
        rows: dict[tuple[str, str], dict[str, Any]] = {}

        def row(account: str, platform: str) -> dict[str, Any]:
            return rows.setdefault((account, platform), {
                "account": account, "platform": platform, "seen": 0, "flagged": 0,
                "hidden": 0, "deleted": 0, "banned": 0, "queued": 0, "undone": 0,
                "dry_run": 0, "failed": 0})

        for account, platform, n in self.db.execute(
                "SELECT account, platform, count(*) FROM comments WHERE seen_at >= ? AND "
                "seen_at < ? GROUP BY account, platform", span):
            row(account, platform)["seen"] = n
        for account, platform, n in self.db.execute(
                "SELECT c.account, c.platform, count(DISTINCT f.comment_uid) FROM findings f "
                "JOIN comments c ON c.uid = f.comment_uid WHERE f.created_at >= ? AND "
                "f.created_at < ? GROUP BY c.account, c.platform", span):
            row(account, platform)["flagged"] = n
        done = {"hide": "hidden", "delete": "deleted", "ban": "banned"}
        for account, platform, action, status, n in self.db.execute(
                "SELECT account, platform, action, status, count(*) FROM actions WHERE at >= ? "
                "AND at < ? GROUP BY account, platform, action, status", span):
            r = row(account, platform)
            if status == ActionStatus.DONE and action in done:
                r[done[action]] += n
            elif status == ActionStatus.QUEUED:
                r["queued"] += n
            elif status in (ActionStatus.UNDONE, ActionStatus.FAILED):
                r[status] += n
            elif status == ActionStatus.DRY_RUN:
                r["dry_run"] += n
        return [rows[k] for k in sorted(rows)]

    def digest_findings(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Findings per (rule, category, severity), with how many comments they concern."""
        return list(self.db.query(
            "SELECT rule, category, severity, count(*) AS findings, "
            "count(DISTINCT comment_uid) AS comments FROM findings WHERE created_at >= ? AND "
            "created_at < ? GROUP BY rule, category, severity ORDER BY count(*) DESC, rule",
            [clock.iso(start), clock.iso(end)]))

    def digest_category_findings(self, category: str, start: datetime, end: datetime,
                                 limit: int = 20_000) -> list[dict[str, Any]]:
        """Findings of one category with their comment's author, evidence parsed."""
        rows = list(self.db.query(
            "SELECT f.rule, f.severity, f.reason, f.evidence, f.comment_uid, f.created_at, "
            "c.account, c.platform, c.author_id, c.author_handle, c.author_name "
            "FROM findings f JOIN comments c ON c.uid = f.comment_uid "
            "WHERE f.category = ? AND f.created_at >= ? AND f.created_at < ? "
            "ORDER BY f.id LIMIT ?", [category, clock.iso(start), clock.iso(end), limit]))
        for r in rows:
            try:
                r["evidence"] = json.loads(r["evidence"])
            except ValueError:
                r["evidence"] = {}
        return rows

    def digest_errors(self, start: datetime, end: datetime,
                      limit: int = 50) -> list[dict[str, Any]]:
        """Errors grouped by (account, platform, kind): count, last time and last message."""
        return list(self.db.query(
            "SELECT account, platform, kind, count(*) AS n, max(at) AS last_at, message "
            "FROM errors WHERE at >= ? AND at < ? GROUP BY account, platform, kind "
            "ORDER BY count(*) DESC LIMIT ?", [clock.iso(start), clock.iso(end), limit]))

    def digest_events(self, start: datetime, end: datetime, prefix: str = "brake.",
                      limit: int = 100) -> list[dict[str, Any]]:
        return list(self.db.query(
            "SELECT * FROM events WHERE at >= ? AND at < ? AND kind LIKE ? ORDER BY at, id "
            "LIMIT ?", [clock.iso(start), clock.iso(end), prefix + "%", limit]))

    def engaged_brakes(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM brakes WHERE engaged = 1 ORDER BY account"))

    def record_digest(self, start: datetime, end: datetime, recipients: Sequence[str],
                      status: str, detail: str = "") -> int:
        """One digest sent (status ``sent``) or given up on (``failed``, with why)."""
        with self.atomic():
            cur = self.db.execute(
                "INSERT INTO digests(period_start, period_end, sent_at, recipients, status, "
                "detail) VALUES (?, ?, ?, ?, ?, ?)",
                [clock.iso(start), clock.iso(end), clock.stamp(), json.dumps(list(recipients)),
                 status, detail[:2000]])
        return int(cur.lastrowid)

    def last_digest_end(self) -> datetime | None:
        """The end of the latest period a sent digest covered: the next one starts there."""
        row = self.db.execute("SELECT max(period_end) FROM digests WHERE status = 'sent'")
        return clock.parse_iso(row.fetchone()[0])

    def digests(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM digests ORDER BY id DESC LIMIT ?", [limit]))

    def last_digest(self) -> dict[str, datetime] | None:
        """When the last digest went out and the period it covered (failures do not count)."""
        row = self.db.execute("SELECT sent_at, period_start, period_end FROM digests WHERE "
                              "status != 'failed' ORDER BY sent_at DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"sent_at": clock.parse_iso(row[0]), "period_start": clock.parse_iso(row[1]),
                "period_end": clock.parse_iso(row[2])}

    def first_run(self) -> datetime | None:
        """When this database first saw a pass (a digest cannot be missed before that)."""
        row = self.db.execute("SELECT min(started_at) FROM runs").fetchone()
        return clock.parse_iso(row[0]) if row and row[0] else None

    def account_health(self, account: str, since: datetime) -> dict[str, Any]:
        """What `moderator status` shows for one account."""
        one = lambda sql, *args: self.db.execute(sql, args).fetchone()  # noqa: E731
        # A successful backfill read the account as well as a poll does.
        last_ok = one("SELECT max(finished_at) FROM runs WHERE account = ? AND kind IN "
                      "('poll', 'backfill') AND status = 'ok'", account)[0]
        last = one("SELECT status, message, finished_at FROM runs WHERE account = ? AND "
                   "kind = 'poll' AND status != 'running' ORDER BY id DESC LIMIT 1", account)
        errors = one("SELECT count(*) FROM errors WHERE account = ? AND at >= ?",
                     account, clock.iso(since))[0]
        last_error = one("SELECT kind, message, at FROM errors WHERE account = ? "
                         "ORDER BY id DESC LIMIT 1", account)
        queued = one("SELECT count(*) FROM review_queue WHERE account = ? AND "
                      "status = 'pending'", account)[0]
        failed = one("SELECT count(*) FROM actions WHERE account = ? AND status = 'failed' "
                     "AND at >= ?", account, clock.iso(since))[0]
        backoff = one("SELECT at, detail FROM events WHERE account = ? AND kind = "
                      "'account.backoff' AND at > coalesce(?, '') ORDER BY id DESC LIMIT 1",
                      account, last_ok)
        return {
            "last_ok": clock.parse_iso(last_ok),
            "last_status": last[0] if last else None,
            "last_message": last[1] if last else None,
            "errors": int(errors),
            "last_error": ({"kind": last_error[0], "message": last_error[1],
                            "at": clock.parse_iso(last_error[2])} if last_error else None),
            "backlog": self.pending_count(account),
            "failed_actions": int(failed),
            "queued": int(queued),
            "brake": self.brake(account),
            # the daemon's latest backoff since the last good poll: it is failing right now
            "backoff": ({"at": clock.parse_iso(backoff[0]), "detail": backoff[1]}
                        if backoff else None),
        }

    def rule_verdicts(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Per rule: comments flagged, acted on, queued, and the people's verdicts.

        A comment is ``confirmed`` when a reviewer approved the proposed action (and nobody
        undid it), ``wrong`` when a reviewer rejected it or undid an action on it.
        """
        when, args = ("WHERE created_at >= ?", [clock.iso(since)]) if since else ("", [])
        # What happened on the platform, in one look at a comment's destructive actions (the
        # only ones done or undone) through the index: 2 if one was undone, + 1 if one was done.
        destructive = idem_keys_sql("u.comment_uid", DESTRUCTIVE)
        return list(self.db.query(f"""
            WITH flagged AS (SELECT DISTINCT rule, comment_uid FROM findings {when}),
            outcome AS (
              SELECT u.comment_uid, q.status AS review, q.id IS NOT NULL AS queued,
                coalesce((SELECT 2 * max(a.status = 'undone') + max(a.status = 'done')
                          FROM actions a WHERE a.idem_key IN ({destructive})), 0) AS platform
              FROM (SELECT DISTINCT comment_uid FROM flagged) u
              LEFT JOIN review_queue q ON q.comment_uid = u.comment_uid
              LIMIT -1),  -- no limit, but SQLite then reads the subquery once, not per use
            verdict AS (
              SELECT comment_uid, queued, platform & 1 AS acted,
                CASE WHEN platform & 2 THEN 'wrong' WHEN review = 'rejected' THEN 'wrong'
                     WHEN review = 'approved' THEN 'confirmed' END AS verdict
              FROM outcome)
            SELECT f.rule AS rule, count(*) AS flagged, sum(v.acted) AS acted,
                   sum(v.queued) AS queued,
                   count(CASE WHEN v.verdict = 'confirmed' THEN 1 END) AS confirmed,
                   count(CASE WHEN v.verdict = 'wrong' THEN 1 END) AS wrong
            FROM flagged f JOIN verdict v ON v.comment_uid = f.comment_uid
            GROUP BY f.rule ORDER BY flagged DESC, f.rule""", args))
