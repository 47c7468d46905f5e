"""The long-running service: APScheduler jobs poll each account, refresh feeds, send the digest.

One polling job per enabled account runs ``worker.run_account`` at the account's
``poll_every`` (with jitter, coalesced, never two at once). A failing account backs off alone:
exponentially up to ``daemon.backoff_max``, honouring a platform's ``retry_after``; an auth
failure waits ``daemon.auth_backoff``, is logged loudly and re-reads the secrets before the
next try (so rotated credentials are picked up without a restart).

SIGTERM / SIGINT ask every job to finish the batch in hand and commit; the process then exits
0. A second signal exits at once (safe: the database is crash-safe, see ``worker``). A file
lock (``daemon.lock_file``, default ``<database>.lock``) keeps two daemons off one database.

Hook points wired by the caller (see ``moderator.cli.service``):
- ``feed_refresher() -> bool | None``: refresh threat feeds; return True when the rules must
  be rebuilt (each account's pipeline is then rebuilt before its next poll).
- ``digest_sender(period_start, period_end) -> None``: send the daily digest covering that
  period; raise on failure. Run at ``digest.send_at`` in ``digest.timezone``; a send missed
  while the daemon was down is made at the next start. A successful send is recorded in the
  ``digests`` table (by the sender, or by the daemon if the sender did not).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time as clock_time, timedelta, timezone
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from connectors.base import Connector
from moderator import config
from moderator.config import AccountSettings, Settings
from moderator.daemon_lock import DaemonLock
from moderator.errors import (AuthFailed, ConfigError, ConnectorError, RateLimited, StoreError,
                              unlocated)
from moderator.open_files import raise_open_files_limit
from moderator.overrun import OverrunLog
from moderator.pipeline import Pipeline
from moderator.store import Store, now
from moderator.worker import PassSummary, open_connector, run_account

logger = logging.getLogger(__name__)

FeedRefresher = Callable[[], "bool | None"]
DigestSender = Callable[[datetime, datetime], None]
DIGEST_RETRIES = 3
DIGEST_RETRY_SECONDS = 600.0


@dataclass
class AccountState:
    """Runtime state of one account; only its own polling job touches it."""

    failures: int = 0
    next_try: float = 0.0  # monotonic time before which polls are skipped
    last_error: str | None = None
    connector: Connector | None = None
    pipeline: Pipeline | None = None
    pipeline_generation: int = -1
    polls: int = 0


@dataclass
class _Active:
    """Jobs in flight, so a graceful stop can wait for them with a timeout."""

    count: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)


class Daemon:
    def __init__(self, settings: Settings, *,
                 connect: Callable[[AccountSettings], Connector] | None = None,
                 feed_refresher: FeedRefresher | None = None,
                 digest_sender: DigestSender | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = now):
        self.settings = settings
        self.accounts = {a.name: a for a in settings.accounts if a.enabled}
        self.connect = connect or self._open_connector
        self.feed_refresher = feed_refresher
        self.digest_sender = digest_sender
        self.clock = clock
        self.wall_clock = wall_clock
        self.state = {name: AccountState() for name in self.accounts}
        self.stopping = threading.Event()
        self._generation = 0  # bumped when refreshed feeds call for new pipelines
        # Accounts whose rules have the same options share one pipeline: a thousand pages
        # under one brand hold one copy of the rules' data and models, not a thousand.
        self._pipelines: dict[tuple[int, str], Pipeline] = {}
        self._pipelines_lock = threading.Lock()
        self._stores: dict[int, Store] = {}  # by thread
        self._stores_lock = threading.Lock()
        self._active = _Active()
        self._lock = DaemonLock(settings.lock_path())
        self._scheduler: BackgroundScheduler | None = None
        self._overruns = OverrunLog()
        self._digest_attempts = 0
        self._digest_lock = threading.Lock()
        self._signals = 0

    def _shared_pipeline(self, account: AccountSettings) -> Pipeline:
        key = (self._generation, Pipeline.version_for(self.settings, account))
        with self._pipelines_lock:
            if key not in self._pipelines:
                for old in [k for k in self._pipelines if k[0] != self._generation]:
                    del self._pipelines[old]  # rebuilt after a feed refresh: drop the old ones
                self._pipelines[key] = Pipeline.for_account(self.settings, account)
            return self._pipelines[key]

    # -- the jobs --------------------------------------------------------------------------

    def poll(self, name: str) -> PassSummary | None:
        """One polling pass of one account; failures back that account off, never raise."""
        account, state = self.accounts[name], self.state[name]
        if self.stopping.is_set() or self.clock() < state.next_try:
            return None
        with self._job(), self._overrun_ends(f"poll {name}"):
            store = self._store()
            try:
                if state.connector is None:
                    state.connector = self.connect(account)
                if state.pipeline is None or state.pipeline_generation != self._generation:
                    state.pipeline_generation = self._generation
                    state.pipeline = self._shared_pipeline(account)
                summary = run_account(self.settings, account, state.connector, store,
                                      kind="poll", pipeline=state.pipeline,
                                      should_stop=self.stopping.is_set)
            except (ConfigError, ConnectorError) as e:  # a missing secret, a failed login
                self._failed(store, account, state, e, record=True)
                return None
            except StoreError as e:  # a full disk: said in the back-off's line, not recorded
                self._failed(store, account, state, e, record=False)
                return None
            except Exception as e:  # a bug or a locked database: this account only
                logger.exception("%s %s: poll failed", account.platform, name)
                self._failed(store, account, state, e, record=True)
                return None
            state.polls += 1
            if summary.error is not None:
                self._failed(store, account, state, summary.error, record=False)
            elif state.failures:
                logger.warning("%s %s: polling again after %d failure(s)", account.platform,
                               name, state.failures)
                store.record_event(name, "account.recovered", f"after {state.failures} failures")
                state.failures, state.next_try, state.last_error = 0, 0.0, None
            return summary

    def backoff_delay(self, account: AccountSettings, failures: int, error: Exception) -> float:
        """Seconds to wait before the next try after ``failures`` consecutive failures."""
        cap = max(self.settings.daemon.backoff_max, account.poll_every)
        delay = min(cap, account.poll_every * 2 ** (failures - 1))
        if isinstance(error, RateLimited) and error.retry_after:
            delay = max(delay, float(error.retry_after))
        if isinstance(error, (AuthFailed, ConfigError)):
            delay = max(delay, self.settings.daemon.auth_backoff)
        return delay

    def _failed(self, store: Store, account: AccountSettings, state: AccountState,
                error: Exception, *, record: bool) -> None:
        state.failures += 1
        delay = self.backoff_delay(account, state.failures, error)
        state.next_try = self.clock() + delay
        state.last_error = f"{type(error).__name__}: {error}"
        if isinstance(error, (AuthFailed, ConfigError)):
            state.connector = None  # reopen with freshly read secrets next time
            logger.critical("%s %s: CREDENTIALS REJECTED OR MISSING (%s); polling this account "
                            "is suspended for %.0fs. Fix its secrets; the next try re-reads "
                            "them.", account.platform, account.name, error, delay)
        else:
            logger.warning("%s %s: backing off %.0fs after %d failure(s): %s",
                           account.platform, account.name, delay, state.failures,
                           unlocated(f"{account.platform} {account.name}", error))
        try:
            if record:
                store.record_error(account.name, account.platform, type(error).__name__,
                                   str(error))
            retry_at = self.wall_clock() + timedelta(seconds=delay)
            with store.atomic():
                store.record_event(account.name, "account.backoff",
                                   f"{state.last_error}; failure {state.failures}, next try "
                                   f"at {retry_at.isoformat(timespec='seconds')}")
        except StoreError as e:
            logger.error("%s %s: could not record the failure: %s", account.platform,
                         account.name, e)
        except Exception:
            logger.exception("%s %s: could not record the failure", account.platform,
                             account.name)
        self._reschedule(f"poll:{account.name}", delay)

    def refresh_feeds(self) -> None:
        if self.feed_refresher is None or self.stopping.is_set():
            return
        with self._job():
            try:
                if self.feed_refresher():
                    self._generation += 1
                    logger.info("threat feeds refreshed; rules will be rebuilt")
            except Exception:
                logger.exception("threat feed refresh failed; keeping the previous feeds")

    def digest_due(self, at: datetime | None = None) -> datetime:
        """The latest scheduled digest time at or before ``at`` (aware, in the digest's zone)."""
        zone = ZoneInfo(self.settings.digest.timezone)
        local = (at or self.wall_clock()).astimezone(zone)
        hours, minutes = (int(x) for x in self.settings.digest.send_at.split(":"))
        due = datetime.combine(local.date(), clock_time(hours, minutes), tzinfo=zone)
        return due if due <= local else datetime.combine(
            local.date() - timedelta(days=1), clock_time(hours, minutes), tzinfo=zone)

    def send_digest_if_due(self) -> bool:
        """Send the digest unless one went out since the last scheduled time. True if sent."""
        if self.digest_sender is None or self.stopping.is_set():
            return False
        with self._job(), self._digest_lock:  # the cron, missed and retry jobs never overlap
            store = self._store()
            at = self.wall_clock()
            due = self.digest_due(at)
            last = store.last_digest()
            if last is not None and last["period_end"] >= due:
                return False
            if last is None and (store.first_run() or at) > due:
                return False  # a new installation: nothing was missed yet
            start = last["period_end"] if last else due - timedelta(days=1)
            start = max(start, at - timedelta(days=7))
            last_row = lambda: (store.digests(limit=1) or [{"id": 0}])[0]["id"]  # noqa: E731
            recorded_before = last_row()
            try:
                self.digest_sender(start, at)
            except Exception as e:
                logger.exception("digest for %s..%s failed", start, at)
                if last_row() == recorded_before:  # the sender did not record the failure
                    store.record_digest(start, at, self.settings.digest.recipients, "failed")
                    store.record_error(None, None, "digest", f"{type(e).__name__}: {e}")
                self._digest_attempts += 1
                if self._digest_attempts < DIGEST_RETRIES and self._scheduler is not None:
                    self._scheduler.add_job(self.send_digest_if_due, "date", id="digest-retry",
                                            replace_existing=True,
                                            run_date=datetime.now(timezone.utc) +
                                            timedelta(seconds=DIGEST_RETRY_SECONDS))
                return False
            self._digest_attempts = 0
            last = store.last_digest()
            if last is None or last["period_end"] < due:  # the sender did not record it
                store.record_digest(start, at, self.settings.digest.recipients, "sent")
            logger.info("digest sent for %s..%s", start.isoformat(timespec="minutes"),
                        at.isoformat(timespec="minutes"))
            return True

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, *, schedule: bool = True) -> None:
        """Take the lock, then schedule every job (first polls staggered over the jitter).

        ``schedule=False`` only takes the lock, for a caller driving :meth:`poll` itself.
        """
        self._lock.acquire()
        raise_open_files_limit(len(self.accounts))
        try:
            store = self._store()
            stale = store.mark_interrupted_runs()
            if stale:
                logger.warning("%d poll(s) were interrupted by a crash; resuming", stale)
            with store.atomic():
                store.record_event(None, "daemon.started", f"pid {os.getpid()}")
            if schedule:
                self._overruns.install()
                self._scheduler = self._build_scheduler()
                self._scheduler.start()
        except BaseException:
            self._lock.release()
            raise
        logger.info("daemon started (pid %d): %d account(s) polled: %s", os.getpid(),
                       len(self.accounts), ", ".join(
                           f"{a.name} every {a.poll_every:g}s ({a.mode.value})"
                           for a in self.accounts.values()) or "none")

    def _build_scheduler(self) -> BackgroundScheduler:
        workers = max(2, min(10, len(self.accounts) + 2))
        scheduler = BackgroundScheduler(
            timezone=timezone.utc, executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        jitter = self.settings.daemon.jitter
        started = datetime.now(timezone.utc)
        for account in self.accounts.values():
            first = started + timedelta(seconds=random.uniform(0, min(jitter, account.poll_every)))
            scheduler.add_job(self.poll, IntervalTrigger(seconds=account.poll_every,
                                                         jitter=jitter or None),
                              args=[account.name], id=f"poll:{account.name}",
                              name=f"poll {account.name}", next_run_time=first)
        if self.feed_refresher is not None:
            scheduler.add_job(self.refresh_feeds, IntervalTrigger(
                seconds=self.settings.daemon.feed_refresh_every), id="feeds",
                name="refresh threat feeds", next_run_time=started)
        if self.digest_sender is not None:
            hours, minutes = (int(x) for x in self.settings.digest.send_at.split(":"))
            scheduler.add_job(self.send_digest_if_due, CronTrigger(
                hour=hours, minute=minutes, timezone=ZoneInfo(self.settings.digest.timezone)),
                id="digest", name="daily digest", misfire_grace_time=3600)
            scheduler.add_job(self.send_digest_if_due, "date", run_date=started,
                              id="digest-missed", name="missed digest")
        return scheduler

    def _reschedule(self, job_id: str, delay: float) -> None:
        if self._scheduler is None or not self._scheduler.running:
            return
        try:
            self._scheduler.modify_job(job_id, next_run_time=datetime.now(timezone.utc) +
                                       timedelta(seconds=delay))
        except Exception:  # the job may be gone during shutdown
            logger.debug("could not reschedule %s", job_id, exc_info=True)

    def request_stop(self) -> None:
        self.stopping.set()

    def shutdown(self) -> bool:
        """Stop scheduling, let running jobs finish their batch; True if all finished in time."""
        self.stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._overruns.remove()
        deadline = time.monotonic() + self.settings.daemon.stop_timeout
        with self._active.cond:
            while self._active.count and time.monotonic() < deadline:
                self._active.cond.wait(deadline - time.monotonic())
            clean = self._active.count == 0
        if clean:
            try:
                store = self._store()
                with store.atomic():
                    store.record_event(None, "daemon.stopped", f"pid {os.getpid()}")
            except StoreError as e:
                logger.error("could not record the stop: %s", e)
            except Exception:
                logger.exception("could not record the stop")
            with self._stores_lock:
                for store in self._stores.values():
                    store.close()
                self._stores.clear()
        self._lock.release()
        return clean

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; the exit status for the process."""
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self.stopping.wait(0.5):
                pass
            logger.warning("stopping: finishing the batch in hand (signal again to stop now)")
            clean = self.shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not clean:
            logger.error("jobs still running after %.0fs; exiting anyway (their batch will be "
                         "replayed at the next start)", self.settings.daemon.stop_timeout)
            os._exit(1)  # pool threads would otherwise keep the process alive
        logger.info("daemon stopped")
        return 0

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signals += 1
        if self._signals > 1:
            os.write(2, b"moderator: second signal, stopping at once\n")
            os._exit(128 + signum)
        self.stopping.set()

    # -- plumbing ----------------------------------------------------------------------------

    def _store(self) -> Store:
        """This thread's connection: the scheduler's few threads (at most ten) each run one job
        at a time, so none is used by two at once. One per job instead cost every account three
        file descriptors (database, WAL, shared memory) and a page cache of its own: 400 pages
        failed to open the database under the usual limit of 1,024 descriptors for a service,
        and 1,000 held ~600 MiB (bench/core.md)."""
        with self._stores_lock:
            store = self._stores.get(threading.get_ident())
            if store is None:
                store = self._stores[threading.get_ident()] = Store(self.settings.store_path)
            return store

    @contextmanager
    def _overrun_ends(self, job_name: str) -> Iterator[None]:
        try:
            yield
        finally:
            self._overruns.finished(job_name)

    def _job(self) -> "_JobGuard":
        return _JobGuard(self._active)

    def _open_connector(self, account: AccountSettings) -> Connector:
        return open_connector(account, config.Secrets(self.settings.secrets_file))


class _JobGuard:
    def __init__(self, active: _Active):
        self.active = active

    def __enter__(self) -> None:
        with self.active.cond:
            self.active.count += 1

    def __exit__(self, *exc: Any) -> None:
        with self.active.cond:
            self.active.count -= 1
            self.active.cond.notify_all()
