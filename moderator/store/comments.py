"""Comments, findings, decisions and the rules' memory of them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Sequence

from moderator.models import Author, Comment, Decision, Finding, Link, Mode
from moderator.store import clock
from moderator.store.base import StoreBase


# json.dumps(evidence, default=str), without building an encoder for every finding.
_evidence_json = json.JSONEncoder(default=str).encode


class HistoryRecord(NamedTuple):
    """One remembered key of a comment, in the shape rules.flood.FloodRecord has."""

    author: str
    key: str
    time: float | None
    uid: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """One judged comment, ready to be written with its batch."""

    comment: Comment
    findings: Sequence[Finding]
    decision: Decision
    rule_version: str
    memory: Sequence[Any] = ()  # what the rules remember of it (author, key, time: MemoryRow)


class Comments(StoreBase):
    def unseen(self, comments: Sequence[Comment]) -> list[Comment]:
        """The comments not recorded yet (a replayed batch after a crash skips the rest)."""
        if not comments:
            return []
        uids = [c.uid for c in comments]
        seen: set[str] = set()
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            seen.update(r[0] for r in self.db.execute(
                f"SELECT uid FROM comments WHERE uid IN ({marks})", chunk))
        out, batch_seen = [], set()
        for comment in comments:
            if comment.uid not in seen and comment.uid not in batch_seen:
                batch_seen.add(comment.uid)
                out.append(comment)
        return out

    def record_batch(self, items: Sequence[Recorded], *, mode: Mode, run_id: int | None) -> None:
        """Write the batch's comments, findings, decisions and the rules' memory.

        Called by ``effects.commit`` inside :meth:`atomic`, with the batch's queue entries,
        audit rows and cursor, so that a crash either keeps the whole batch or none of it.
        """
        when = clock.now()
        stamp, remembered = clock.iso(when), when.timestamp()
        comment_rows, finding_rows, decision_rows, memory_rows = [], [], [], []
        for item in items:
            c = item.comment
            uid = c.uid
            comment_rows.append((
                uid, c.platform, c.account, c.id, c.thread_id, c.parent_id,
                c.author.id, c.author.handle, c.author.name, clock.iso(c.author.created_at),
                c.text, clock.iso(c.created_at), c.permalink,
                json.dumps([{"url": link.url, "display": link.display} for link in c.links])
                if c.links else "[]", stamp, run_id))
            for f in item.findings:
                finding_rows.append((uid, c.account, f.rule, f.category.value, f.severity.value,
                                     f.reason, _evidence_json(dict(f.evidence)),
                                     item.rule_version, stamp))
            d = item.decision
            decision_rows.append((uid, c.account, d.action.value,
                                  d.severity.value if d.severity else None, d.reason,
                                  d.degraded_from.value if d.degraded_from else None,
                                  mode.value, item.rule_version, stamp, run_id))
            memory_rows += [(c.account, uid, m.author, m.key, m.time, remembered)
                            for m in item.memory]
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO comments(uid, platform, account, comment_id, thread_id, "
            "parent_id, author_id, author_handle, author_name, author_created_at, text, "
            "created_at, permalink, links, seen_at, run_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", comment_rows)
        self.db.conn.executemany(
            "INSERT INTO findings(comment_uid, account, rule, category, severity, reason, "
            "evidence, rule_version, created_at) VALUES (?,?,?,?,?,?,?,?,?)", finding_rows)
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO decisions(comment_uid, account, action, severity, reason, "
            "degraded_from, mode, rule_version, decided_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            decision_rows)
        self.db.conn.executemany(
            "INSERT INTO history(account, comment_uid, author, key, time, at) "
            "VALUES (?,?,?,?,?,?)", memory_rows)

    def load_comment(self, uid: str) -> Comment | None:
        rows = list(self.db.query("SELECT * FROM comments WHERE uid = ?", [uid]))
        return comment_from_row(rows[0]) if rows else None

    def comment_uid(self, account: str, comment_id: str) -> str | None:
        row = self.db.execute("SELECT uid FROM comments WHERE account = ? AND comment_id = ?",
                              [account, comment_id]).fetchone()
        return row[0] if row else None

    def prune_history(self, older_than: float) -> int:
        """Forget records stored more than ``older_than`` seconds ago; returns how many."""
        with self.atomic():
            cur = self.db.execute("DELETE FROM history WHERE at < ?",
                                  [clock.now().timestamp() - older_than])
        return cur.rowcount

    def history(self, account: str, since: float, keys: Iterable[str]) -> list[HistoryRecord]:
        """The account's remembered records with one of ``keys``, from POSIX time ``since`` on
        (undated ones too), for rules that judge a comment against the recent past."""
        return select_history(self.db.conn, account, since, keys)


# Records read back per 500 keys, at most (memory stays bounded under a raid). They are shared
# out by recency within each key: every key's most recent record first, then every key's second,
# and so on. Taking the most recent records overall instead let one flooded key crowd the others
# out: an attacker's ten thousand copies of one link hid the earlier copies of the scam posted
# beside them. Below the bound every record is read, as before.
HISTORY_PER_CHUNK = 10_000


def select_history(conn: sqlite3.Connection, account: str, since: float,
                   keys: Iterable[str]) -> list[HistoryRecord]:
    """``Comments.history`` on any connection (also ``explain``'s read-only one)."""
    keys = list(keys)
    out: list[HistoryRecord] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        where = (f"FROM history WHERE account = ? AND key IN ({','.join('?' * len(chunk))}) "
                 f"AND (time >= ? OR time IS NULL)")
        args = [account, *chunk, since]
        # Counting reads the index alone; below the bound every record is read, unsorted.
        [(found,)] = conn.execute(f"SELECT count(*) {where}", args)
        out.extend(HistoryRecord(*row) for row in conn.execute(
            f"SELECT author, key, time, comment_uid {where}" if found <= HISTORY_PER_CHUNK else
            f"SELECT author, key, time, comment_uid FROM (SELECT author, key, time, comment_uid, "
            f"ROW_NUMBER() OVER (PARTITION BY key ORDER BY id DESC) AS recency {where}) "
            f"ORDER BY recency LIMIT {HISTORY_PER_CHUNK}", args))
    return out


def comment_from_row(r: dict[str, Any]) -> Comment:
    return Comment(
        platform=r["platform"], account=r["account"], id=r["comment_id"], text=r["text"],
        author=Author(id=r["author_id"], handle=r["author_handle"], name=r["author_name"],
                      created_at=clock.parse_iso(r["author_created_at"])),
        created_at=clock.parse_iso(r["created_at"]), thread_id=r["thread_id"],
        parent_id=r["parent_id"], permalink=r["permalink"],
        links=tuple(Link(url=link["url"], display=link.get("display"))
                    for link in json.loads(r["links"] or "[]")),
    )
