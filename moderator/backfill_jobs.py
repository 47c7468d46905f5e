"""``backfill --jobs N``: the same verdicts as one process, judged on N processes.

A batch's verdicts depend on what the batches before it stored: which comments are already
recorded, the flood memory, the brake's budget. So only the part of judging that needs nothing
but the comments runs in the N - 1 worker processes (``Judge.prepare``: every rule's
history-free work, the flood records to remember, a decision on the findings so far); this
process keeps everything that depends on order and does it batch after batch, exactly as one
process would (``Judge.finish``: the history read back, the flood check, a new decision where
it added findings; then the plan, the brake, the store and the actions). That is about half of
the work, so this process counts as one of the N.

Which comments are new is decided when a batch is handed out: not in the store, and not in a
batch handed out earlier and not stored yet (a backfill stores every new comment it judges, so
this is the store as the batches before will have left it). At most two batches per worker are
out at a time (``moderator.parallel``), so memory stays flat.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable, Iterable, Protocol, Sequence

from connectors.base import Batch
from moderator.judge import Judge, Prepared
from moderator.models import (Action, Author, Category, Comment, Decision, Finding, Link,
                              Severity)
from moderator.parallel import ordered_map
from moderator.store import Store

logger = logging.getLogger(__name__)


class Finish(Protocol):
    def __call__(self, new: Sequence[Comment], prepared: Prepared) -> None: ...


class Counts(Protocol):
    fetched: int
    skipped: int


def backfill_in_parallel(finish: Finish, store: Store, judge: Judge, batches: Iterable[Batch],
                         summary: Counts, jobs: int,
                         progress: Callable[[int], None] | None = None,
                         should_stop: Callable[[], bool] = lambda: False) -> None:
    """``finish(new, judge.prepare(new))`` for every batch, in order: ``finish`` here,
    ``prepare`` on ``jobs - 1`` worker processes meanwhile (forked with the judge already
    built; everything here where fork is not available)."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not Linux
        jobs = 1
    out: deque[tuple[Batch, list[Comment], set[str]]] = deque()  # handed out, not stored yet

    def handed_out() -> Iterable[list[Comment]]:
        for batch in batches:
            new = [c for c in store.unseen(batch.comments)
                   if not any(c.uid in uids for _, _, uids in out)]
            out.append((batch, new, {c.uid for c in new}))
            yield new

    # This process does about half of the work itself (reading, history, the store): it
    # counts as one of the ``jobs``, and the workers are the rest.
    for prepared in ordered_map(lambda: judge, _prepare, handed_out(), max(1, jobs - 1),
                                inline=jobs <= 1):
        batch, new, _ = out[0]
        summary.fetched += len(batch.comments)
        summary.skipped += batch.skipped
        finish(new, prepared)
        out.popleft()  # stored now: the store answers for it
        if progress:
            progress(len(batch.comments) + batch.skipped)
        if should_stop():
            logger.info("stopping after this batch as asked; the batches being judged are "
                        "left for the next pass")
            break


def _prepare(judge: Judge, comments: list[Comment]) -> Prepared:
    return judge.prepare(comments)


# Comments go to the workers and findings come back pickled. A frozen dataclass pickles through
# a Python-level __setstate__ and an Enum by calling its class: together most of the cost of
# handing a batch out. Plain tuples instead (for this transport only); a comment's ``raw``
# platform payload stays here, no rule reads it.
_CATEGORIES = {c.value: c for c in Category}
_SEVERITIES = {s.value: s for s in Severity}
_ACTIONS = {a.value: a for a in Action}


def _comment(platform: str, account: str, cid: str, text: str, author: tuple, created_at: Any,
             thread_id: Any, parent_id: Any, permalink: Any, links: tuple) -> Comment:
    return Comment(platform, account, cid, text, Author(*author), created_at, thread_id,
                   parent_id, permalink, tuple(Link(*link) for link in links))


def _reduce_comment(c: Comment) -> tuple:
    a = c.author
    return _comment, (c.platform, c.account, c.id, c.text, (a.id, a.handle, a.name, a.created_at),
                      c.created_at, c.thread_id, c.parent_id, c.permalink,
                      tuple((link.url, link.display) for link in c.links))


def _finding(rule: str, category: str, severity: str, reason: str, evidence: Any) -> Finding:
    return Finding(rule, _CATEGORIES[category], _SEVERITIES[severity], reason, evidence)


def _reduce_finding(f: Finding) -> tuple:
    return _finding, (f.rule, f.category.value, f.severity.value, f.reason, f.evidence)


def _decision(action: str, severity: str | None, reason: str, findings: tuple,
              degraded_from: str | None) -> Decision:
    return Decision(_ACTIONS[action], severity and _SEVERITIES[severity], reason, findings,
                    degraded_from and _ACTIONS[degraded_from])


def _reduce_decision(d: Decision) -> tuple:
    return _decision, (d.action.value, d.severity and d.severity.value, d.reason, d.findings,
                       d.degraded_from and d.degraded_from.value)


ForkingPickler.register(Comment, _reduce_comment)
ForkingPickler.register(Finding, _reduce_finding)
ForkingPickler.register(Decision, _reduce_decision)
