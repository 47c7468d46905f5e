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
this is the store as the batches before will have left it). At most two batches per worker wait
at the workers, at most about four per worker are out in all (prepared there, or here while
they are busy): memory stays flat.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import deque
from contextlib import nullcontext
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from connectors.base import Batch
from moderator.judge import Judge, Prepared
from moderator.models import (Action, Author, Category, Comment, Decision, Finding, Link,
                              Severity)
from moderator.parallel import quiet_worker
from moderator.store import Store

logger = logging.getLogger(__name__)
# Batches this process prepared itself and the CPU seconds that took (bench/backfill.py reads
# it: the rest of this process's CPU is the part only it can do).
PREPARED_HERE = {"batches": 0, "cpu": 0.0}


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
    ``prepare`` on ``jobs - 1`` worker processes (forked with the judge already built), and
    here too whenever this process would otherwise wait for them."""
    global _forked_judge
    _forked_judge = judge  # what the forked workers judge with
    workers = jobs - 1 if "fork" in multiprocessing.get_all_start_methods() else 0
    workers_or_none = (multiprocessing.get_context("fork").Pool(workers, initializer=quiet_worker)
                       if workers > 0 else nullcontext())
    with workers_or_none as pool:
        for batch, new, prepared in _in_order(pool, workers, judge, store, iter(batches)):
            summary.fetched += len(batch.comments)
            summary.skipped += batch.skipped
            finish(new, prepared)
            if progress:
                progress(len(batch.comments) + batch.skipped)
            if should_stop():
                logger.info("stopping after this batch as asked; the batches being judged are "
                            "left for the next pass")
                break


@dataclass
class _HandedOut:
    batch: Batch
    new: list[Comment]  # its comments not stored yet nor handed out before
    uids: set[str]
    result: Any  # the Prepared, or a worker's AsyncResult of it

    @property
    def pending(self) -> bool:
        """A worker is preparing it or has yet to start."""
        return not isinstance(self.result, Prepared) and not self.result.ready()


def _in_order(pool: Any, workers: int, judge: Judge, store: Store,
              batches: Iterator[Batch]) -> Iterator[tuple[Batch, list[Comment], Prepared]]:
    """Each batch with its new comments and ``prepare`` of them, in order. Up to two batches
    per worker wait at the workers; while the oldest is not ready, this process prepares the
    next batch itself (so neither side waits for the other: whichever is faster takes more)."""
    out: deque[_HandedOut] = deque()  # handed out, not stored yet
    failed: list[Exception] = []  # reading failed: the batches out are finished first

    def hand_out(here: bool) -> bool:
        try:
            batch = next(batches, None)
        except Exception as e:  # as one process would: what was read before is stored
            failed.append(e)
            return False
        if batch is None:
            return False
        handed = set().union(*(earlier.uids for earlier in out))
        new = [c for c in store.unseen(batch.comments) if c.uid not in handed]
        if here:
            started = time.process_time()
            result = judge.prepare(new)
            PREPARED_HERE["batches"] += 1
            PREPARED_HERE["cpu"] += time.process_time() - started
        else:
            result = pool.apply_async(_prepare, (new,))
        out.append(_HandedOut(batch, new, {c.uid for c in new}, result))
        return True

    more = True
    while True:
        # Results ready and waiting here do not count: a worker whose queue is empty sits idle
        # while this process stores (bench/core.md). At most four batches a worker are out.
        while more and len(out) < 4 * workers and sum(h.pending for h in out) < 2 * workers:
            more = hand_out(here=False)
        if not out:
            if failed:
                raise failed[0]
            return
        head = out[0]
        if more and (head.pending or not workers) and len(out) <= 4 * workers:
            more = hand_out(here=True)
            continue
        yield head.batch, head.new, (head.result if isinstance(head.result, Prepared)
                                     else head.result.get())
        out.popleft()  # stored now: the store answers for it


_forked_judge: Judge | None = None


def _prepare(comments: list[Comment]) -> Prepared:
    assert _forked_judge is not None
    return _forked_judge.prepare(comments)


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
