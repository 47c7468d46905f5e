"""A job overrunning its interval: one line when it starts, one when it ends."""

import logging
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler

from moderator.overrun import OverrunLog


def test_a_real_scheduler_overrun_is_two_lines_not_one_per_tick(caplog):
    overruns = OverrunLog()
    overruns.install()
    release = threading.Event()

    def slow_poll():
        release.wait(60)
        overruns.finished("poll acme")

    scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(slow_poll, "interval", seconds=0.05, id="poll:acme", name="poll acme")
    try:
        with caplog.at_level(logging.WARNING):
            scheduler.start()
            deadline = time.monotonic() + 120  # a bound; the loop ends after 10 skipped ticks
            while overruns._skipped.get("poll acme", 0) < 10 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert overruns._skipped["poll acme"] >= 10
            release.set()
            deadline = time.monotonic() + 120
            while "poll acme" in overruns._skipped and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
        release.set()
        overruns.remove()
    lines = [r.getMessage() for r in caplog.records if "poll acme" in r.getMessage()]
    assert len(lines) == 2, lines
    assert lines[0] == "poll acme overruns its interval; its runs are skipped until it finishes"
    assert lines[1].startswith("poll acme finished; ") and "run(s) were skipped" in lines[1]
    assert not [r for r in caplog.records if "maximum number of running" in r.getMessage()]
