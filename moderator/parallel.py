"""Batches of work spread over worker processes, results in the order the batches came.

Judging is CPU-bound Python, so threads would share one core: ``--jobs N`` runs N worker
processes around the judge (rules stay single-threaded and unaware). Each worker builds what it
needs once (``setup``) and then maps batches to results (``work``). The caller sees the results
in submission order, and at most ``2 x jobs`` batches are in flight, so memory stays flat
however long the input is. ``jobs=1`` runs everything in the calling process, without pickling.

Workers are forked where the platform allows it (Linux): ``setup`` then runs once in the
caller before the fork, and every worker starts with its result (the judges with their rules
and models already built) and the caller's modules already imported: no second start-up.
Elsewhere each worker runs ``setup`` itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from typing import Any, Callable, Iterable, Iterator

Setup = Callable[[], Any]  # -> the worker's state (judges, ...), built once per worker
Work = Callable[[Any, Any], Any]  # (state, batch) -> result

_state: Any = None
_work: Work | None = None


def default_jobs() -> int:
    """The CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# A batch source may yield PAUSE where its input pauses (a slow pipe): every result so far is
# delivered before the source is read again, so nothing waits for input that may not come.
PAUSE = object()


def ordered_map(setup: Setup, work: Work, batches: Iterable[Any], jobs: int) -> Iterator[Any]:
    """``work(state, batch)`` for every batch, in order, on ``jobs`` processes."""
    if jobs <= 1:
        state = setup()
        for batch in batches:
            if batch is not PAUSE:
                yield work(state, batch)
        return
    global _state, _work
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        _state, _work = setup(), work  # inherited by the forked workers
        initializer, initargs = quiet_worker, ()
    else:  # pragma: no cover - not Linux
        context = multiprocessing.get_context("spawn")
        initializer, initargs = _start_worker, (setup, work)
    with context.Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        pending: deque = deque()
        for batch in batches:
            if batch is PAUSE:
                while pending:
                    yield pending.popleft().get()
                continue
            pending.append(pool.apply_async(_run, (batch,)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def quiet_worker() -> None:
    """A worker's start: Ctrl-C reaches the whole process group, and only the parent answers it
    (it ends the workers: a traceback from each was all they added). A worker whose parent is
    gone (killed) ends at its next write to it, silently, as a command-line tool does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def _start_worker(setup: Setup, work: Work) -> None:
    global _state, _work
    quiet_worker()
    _state, _work = setup(), work


def _run(batch: Any) -> Any:
    assert _work is not None
    return _work(_state, batch)
