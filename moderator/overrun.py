"""One log line when a scheduled job overruns its interval, and one when the overrun ends.

APScheduler warns at every tick that finds the job still running ("skipped: maximum number
of running instances reached"): a poll taking a minute on a 1 s interval wrote ~50 such
lines a minute. This filter, on APScheduler's scheduler logger, lets the first through
(reworded) and swallows the rest; the daemon calls :meth:`finished` when a run ends, which
logs the end of the overrun with the number of runs skipped.
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)

SCHEDULER_LOGGER = "apscheduler.scheduler"
_SKIP_TEXT = "maximum number of running instances"


class OverrunLog(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._skipped: dict[str, int] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if _SKIP_TEXT not in str(record.msg):
            return True
        job = str(record.args[0]) if isinstance(record.args, tuple) and record.args else "a job"
        name = job.split(" (trigger:", 1)[0]  # the job's name, without its schedule
        with self._lock:
            earlier = self._skipped.get(name, 0)
            self._skipped[name] = earlier + 1
        if earlier:
            return False
        record.msg, record.args = ("%s overruns its interval; its runs are skipped until it "
                                   "finishes"), (name,)
        return True

    def finished(self, name: str) -> None:
        """A run of job ``name`` ended: say so if it had overrun."""
        with self._lock:
            skipped = self._skipped.pop(name, 0)
        if skipped:
            logger.warning("%s finished; %d run(s) were skipped while it overran", name, skipped)

    def install(self) -> None:
        logging.getLogger(SCHEDULER_LOGGER).addFilter(self)

    def remove(self) -> None:
        logging.getLogger(SCHEDULER_LOGGER).removeFilter(self)
