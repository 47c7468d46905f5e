"""Forgetting comments nothing happened to, after ``[store] keep_days``.

A watched page adds every comment it gets to the store (1.5 KB each with its findings,
decision and indexes: about 2 GB a day at 1,000 busy pages, bench/core.md), and nothing else
ever leaves it. What is forgotten is only a comment that was decided ``none`` and that no
review item and no audit row names: nothing was done to it, nobody reviewed it, so forgetting
it can neither repeat an action nor lose a reviewer's verdict (both live in the rows it keeps).
Its findings and decision go with it. Everything acted on or reviewed stays, as does the
append-only audit log. A forgotten comment that a connector delivers again (a backfill over
an old range) is judged again as new.

Each account's pass forgets what became old since its last pass: the ``retention`` table keeps
how far it got, so a pass reads only the comments seen since then (the ones kept stay behind).
"""

from __future__ import annotations

from datetime import timedelta

from moderator.store import clock
from moderator.store.audit import idem_keys_sql
from moderator.store.base import StoreBase

# Comments forgotten per transaction: the daemon's other accounts write in between.
FORGET_CHUNK = 2_000

_QUIET = f"""
    SELECT c.uid, c.seen_at FROM comments c JOIN decisions d ON d.comment_uid = c.uid
    WHERE c.account = ? AND c.seen_at >= ? AND c.seen_at < ? AND d.action = 'none'
      AND NOT EXISTS (SELECT 1 FROM review_queue r WHERE r.comment_uid = c.uid)
      AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.idem_key IN ({idem_keys_sql('c.uid')}))
    ORDER BY c.seen_at LIMIT ?"""


class Retention(StoreBase):
    def forget_quiet(self, account: str, keep_days: float, *, chunk: int = FORGET_CHUNK) -> int:
        """Forget the account's comments seen more than ``keep_days`` ago that nothing happened
        to (see the module's docstring); returns how many."""
        cutoff = clock.iso(clock.now() - timedelta(days=keep_days))
        row = self.db.execute("SELECT forgotten_through FROM retention WHERE account = ?",
                              [account]).fetchone()
        since = row[0] if row else ""
        forgotten = 0
        while True:
            with self.atomic():
                quiet = self.db.execute(_QUIET, [account, since, cutoff, chunk]).fetchall()
                uids = [(uid,) for uid, _ in quiet]
                for table, column in (("findings", "comment_uid"), ("decisions", "comment_uid"),
                                      ("comments", "uid")):
                    self.db.conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", uids)
                if len(quiet) < chunk:  # all of them: the next pass starts at the cutoff
                    self.db.execute("INSERT OR REPLACE INTO retention(account, forgotten_through)"
                                    " VALUES (?, ?)", [account, cutoff])
            forgotten += len(quiet)
            if len(quiet) < chunk:
                return forgotten
            since = quiet[-1][1]  # comments kept before it are not read again
