"""The append-only audit log of actions: planned, done, failed, undone, dry-run.

An action is carried out once: ``idem_key`` (platform:account:comment id:action) is checked
against the log before acting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from moderator.models import Action, ActionStatus, Comment
from moderator.store import clock
from moderator.store.base import StoreBase

MAX_ACTION_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """An action logged as planned and not yet carried out (or failed and worth a retry)."""

    comment: Comment
    action: Action
    rule_version: str | None
    actor: str


class AuditLog(StoreBase):
    def append_action(self, comment: Comment, action: Action, status: ActionStatus, *,
                      rule_version: str | None = None, dry_run: bool = False,
                      actor: str = "moderator", detail: str = "") -> None:
        self.append_actions([audit_row(comment, action, status, rule_version=rule_version,
                                       dry_run=dry_run, actor=actor, detail=detail)])

    def append_actions(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append audit rows made by :func:`audit_row`, in their order: one statement for a
        batch's rows."""
        at = clock.stamp()
        self.db.conn.executemany(
            "INSERT INTO actions(comment_uid, account, platform, action, status, dry_run, "
            "rule_version, actor, detail, idem_key, at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(*row, at) for row in rows])
        self._follow_open_actions(rows)

    def _follow_open_actions(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Keep ``open_actions`` (schema.py, 0007) in step with the rows just appended: an
        action opens with its latest planned row and closes with a done or skipped one. Here
        rather than in triggers: a trigger ran for every row of the log (most are "queued"
        rows of the review queue) and cost a backfill's store writes a fifth more."""
        last: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            if row[_STATUS] in _OPENS_OR_CLOSES:
                last[row[_IDEM_KEY]] = row  # the last such row of the key decides
        if not last:
            return
        conn = self.db.conn
        conn.executemany("DELETE FROM open_actions WHERE idem_key = ?",
                         [(key,) for key, row in last.items() if row[_STATUS] != _PLANNED])
        conn.executemany("INSERT OR REPLACE INTO open_actions(idem_key, account, planned_id) "
                         "SELECT ?, ?, max(id) FROM actions WHERE idem_key = ? "
                         "AND status = 'planned'",
                         [(key, row[1], key) for key, row in last.items()
                          if row[_STATUS] == _PLANNED])

    def log_action(self, comment: Comment, action: Action, status: ActionStatus,
                   **kwargs: Any) -> None:
        """Append one audit row in its own transaction."""
        with self.atomic():
            self.append_action(comment, action, status, **kwargs)

    def action_done(self, comment: Comment, action: Action) -> bool:
        """True if this action on this comment is already in effect (done and not undone)."""
        row = self.db.execute(
            "SELECT status FROM actions WHERE idem_key = ? AND status IN (?, ?) "
            "ORDER BY id DESC LIMIT 1",
            [idem_key(comment, action), ActionStatus.DONE.value, ActionStatus.UNDONE.value]
        ).fetchone()
        return bool(row and row[0] == ActionStatus.DONE.value)

    def pending_actions(self, account: str) -> list[PlannedAction]:
        """Planned actions with no outcome yet: after a crash these are carried out first.

        A failed action is retried up to MAX_ACTION_ATTEMPTS times in later passes.
        """
        rows = self.db.execute(
            """SELECT p.comment_uid, p.action, p.rule_version, p.actor
               FROM open_actions o JOIN actions p ON p.id = o.planned_id
               WHERE o.account = ? AND (SELECT count(*) FROM actions f
                   WHERE f.idem_key = o.idem_key AND f.status = 'failed'
                   AND f.id > o.planned_id) < ?
               ORDER BY o.planned_id""", [account, MAX_ACTION_ATTEMPTS]).fetchall()
        out = []
        for uid, action, version, actor in rows:
            comment = self.load_comment(uid)
            if comment is not None:
                out.append(PlannedAction(comment, Action(action), version, actor))
        return out

    def destructive_count(self, account: str, since: datetime) -> int:
        """Destructive actions planned in enforce mode for the account since ``since``."""
        row = self.db.execute(
            "SELECT count(*) FROM actions WHERE account = ? AND at >= ? AND status = 'planned' "
            f"AND dry_run = 0 AND action IN ({_DESTRUCTIVE_SQL}) AND actor = 'moderator'",
            [account, clock.iso(since)]).fetchone()
        return int(row[0])

    def pending_count(self, account: str) -> int:
        """Planned actions not carried out yet (after a crash, or waiting for a retry)."""
        return int(self.db.execute("SELECT count(*) FROM open_actions WHERE account = ?",
                                   [account]).fetchone()[0])

    def actions_for(self, uid: str) -> list[dict[str, Any]]:
        return list(self.db.query(f"SELECT * FROM actions WHERE idem_key IN ({_EVERY_ACTION}) "
                                  "ORDER BY id", idem_keys(uid)))

    def actions_in_effect(self, uid: str) -> list[Action]:
        """Destructive actions done on a comment and not undone, latest first."""
        rows = self.db.execute(
            f"""SELECT action, status FROM actions WHERE idem_key IN ({_EVERY_ACTION}) AND
               status IN ('done', 'undone') AND action IN ({_DESTRUCTIVE_SQL})
               ORDER BY id""", idem_keys(uid)).fetchall()
        state: dict[str, bool] = {}
        for action, status in rows:
            state[action] = status == ActionStatus.DONE.value
        return [a for a in reversed(DESTRUCTIVE) if state.get(a.value)]


def audit_row(comment: Comment, action: Action, status: ActionStatus, *,
              rule_version: str | None = None, dry_run: bool = False, actor: str = "moderator",
              detail: str = "") -> tuple[Any, ...]:
    """One audit row, its time left out (:meth:`AuditLog.append_actions` stamps a batch)."""
    return (comment.uid, comment.account, comment.platform, action.value, status.value,
            int(dry_run), rule_version, actor, detail[:2000], idem_key(comment, action))


def idem_key(comment: Comment, action: Action) -> str:
    return _idem(comment.uid, action.value)


def idem_keys(uid: str) -> list[str]:
    """The idem_key of every action on the comment: its rows are found through the
    ``actions_idem`` index (an index on comment_uid cost every row of the log a write)."""
    return [_idem(uid, action.value) for action in Action]


def _idem(uid: str, action: str) -> str:
    return f"{uid}:{action}"


def idem_key_sql(uid_sql: str, action_sql: str) -> str:
    """``_idem`` in SQL, of two SQL expressions (the one other spelling of the key)."""
    return f"{uid_sql} || ':' || {action_sql}"


def idem_keys_sql(uid_column: str, actions: Iterable[Action] = tuple(Action)) -> str:
    """``idem_keys`` in SQL, of the comment uid in ``uid_column`` (only ``actions``' keys)."""
    return ", ".join(idem_key_sql(uid_column, f"'{action.value}'") for action in actions)


# Positions in an audit_row; the statuses that open or close an action (open_actions).
_STATUS, _IDEM_KEY = 4, 9
_PLANNED = ActionStatus.PLANNED.value
_OPENS_OR_CLOSES = frozenset({_PLANNED, ActionStatus.DONE.value, ActionStatus.SKIPPED.value})
_EVERY_ACTION = ", ".join("?" * len(Action))
DESTRUCTIVE = tuple(action for action in Action if action.destructive)  # least to most
_DESTRUCTIVE_SQL = ", ".join(f"'{action.value}'" for action in DESTRUCTIVE)
