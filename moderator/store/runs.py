"""Runs, errors and events, the accounts' cursors, and the brake's state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from moderator.store import clock
from moderator.store.base import StoreBase

RUNS_KEPT_DAYS = 30


class Runs(StoreBase):
    def start_run(self, kind: str, account: str | None) -> int:
        with self.atomic():
            cur = self.db.execute("INSERT INTO runs(kind, account, started_at) VALUES (?, ?, ?)",
                                  [kind, account, clock.stamp()])
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, counts: dict[str, int],
                   message: str | None = None) -> None:
        allowed = ("fetched", "new", "flagged", "acted", "queued", "skipped", "errors")
        sets = ", ".join(f"{k} = ?" for k in counts if k in allowed)
        values = [v for k, v in counts.items() if k in allowed]
        with self.atomic():
            self.db.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, message = ?"
                f"{', ' + sets if sets else ''} WHERE id = ?",
                [status, clock.stamp(), message, *values, run_id])

    def prune_runs(self, older_than_days: float = RUNS_KEPT_DAYS) -> int:
        """Forget old poll runs (one a poll: thousands a day), keeping each account's latest
        successful one so `status` still knows when it last worked."""
        with self.atomic():
            cur = self.db.execute(
                "DELETE FROM runs WHERE kind = 'poll' AND started_at < ? AND id NOT IN "
                "(SELECT max(id) FROM runs WHERE kind = 'poll' AND status = 'ok' "
                "GROUP BY account)", [clock.iso(clock.now() - timedelta(days=older_than_days))])
        return cur.rowcount

    def mark_interrupted_runs(self) -> int:
        """Polls left 'running' by a daemon that died: only called under the daemon lock."""
        with self.atomic():
            cur = self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = ? "
                                  "WHERE status = 'running' AND kind = 'poll'", [clock.stamp()])
        return int(cur.rowcount)

    def record_error(self, account: str | None, platform: str | None, kind: str, message: str,
                     run_id: int | None = None) -> None:
        with self.atomic():
            self.db.execute("INSERT INTO errors(at, account, platform, kind, message, run_id) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [clock.stamp(), account, platform, kind, message[:2000], run_id])

    def record_event(self, account: str | None, kind: str, detail: str = "") -> None:
        self.db.execute("INSERT INTO events(at, account, kind, detail) VALUES (?, ?, ?, ?)",
                        [clock.stamp(), account, kind, detail])

    def cursor(self, account: str) -> str | None:
        row = self.db.execute("SELECT cursor FROM cursors WHERE account = ?", [account]).fetchone()
        return row[0] if row else None

    def set_cursor(self, account: str, cursor: str | None) -> None:
        self.db.execute("INSERT INTO cursors(account, cursor, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT(account) DO UPDATE SET cursor = excluded.cursor, "
                        "updated_at = excluded.updated_at", [account, cursor, clock.stamp()])

    def brake(self, account: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM brakes WHERE account = ? AND engaged = 1",
                                  [account]))
        return rows[0] if rows else None

    def engage_brake(self, account: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO brakes(account, engaged, reason, since) VALUES (?, 1, ?, ?) "
            "ON CONFLICT(account) DO UPDATE SET engaged = 1, reason = excluded.reason, "
            "since = excluded.since, released_at = NULL, released_by = NULL",
            [account, reason, clock.stamp()])
        self.record_event(account, "brake.engaged", reason)

    def release_brake(self, account: str, by: str) -> bool:
        with self.atomic():
            cur = self.db.execute("UPDATE brakes SET engaged = 0, released_at = ?, "
                                  "released_by = ? WHERE account = ? AND engaged = 1",
                                  [clock.stamp(), by, account])
            if cur.rowcount:
                self.record_event(account, "brake.released", f"by {by}")
        return bool(cur.rowcount)

    def brake_window_start(self, account: str, minutes: float) -> datetime:
        """Where the brake's sliding window starts: its length ago, or the last release if
        later (actions before an operator's release must not engage the brake again)."""
        start = clock.window_start(minutes)
        row = self.db.execute("SELECT released_at FROM brakes WHERE account = ? AND engaged = 0",
                              [account]).fetchone()
        released = clock.parse_iso(row[0]) if row and row[0] else None
        return max(start, released) if released else start
