"""Time from a comment appearing on a platform to its action, through the daemon, per platform.

The daemon runs as a real subprocess (``python -m moderator run``); each platform is its fake
server from tests/fakes/ (Reddit, X, YouTube, Bluesky, Mastodon, and the Graph API for
Facebook and Instagram) running in this process on 127.0.0.1, reached through the account's
``api_base``, answered by the real client library (praw, tweepy, google-api-python-client,
atproto, Mastodon.py, requests for the Graph API). A probe is a hide-worthy comment posted on
the fake at a random moment; it is "acted on" when the fake receives the hide (the time is
taken inside the fake, when it applies the action), or on Mastodon, which cannot hide, when it
enters the review queue (``review_queue.created_at``).

For each probe: ``total`` = appear -> action; ``wait`` = appear -> start of the poll that read it
(``runs.started_at``); ``work`` = that poll's start -> the action (fetch through the client,
rules, policy, commit, the action call, the log). ``wait`` is set by the interval; ``work`` is
the processing share, measured precisely at a short interval.

    /work/main/.venv/bin/python bench/latency.py                 # short interval, ~2 minutes
    /work/main/.venv/bin/python bench/latency.py --default 25    # + 25 min at the default interval
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from daemon_platforms import (PLATFORMS, make_comments, moderator_cmd,  # noqa: E402
                              query, wait_started, write_config)

FAKES = ("reddit", "x", "facebook", "instagram", "youtube", "bluesky", "mastodon")
DEFAULT_POLL, DEFAULT_JITTER = 300.0, 10.0  # moderator/config.py defaults


class TimedActions(list):
    """The fake's action list, also noting when each action was applied (wall clock)."""

    def __init__(self, items=()):
        super().__init__(items)
        self.times: list[float] = [0.0] * len(self)

    def append(self, item) -> None:
        self.times.append(time.time())
        super().append(item)


def timed(platform, account: str) -> TimedActions:
    fake = platform.fake(account)
    fake.actions = TimedActions(fake.actions)
    return fake.actions


def acted_at(actions: TimedActions, cid: str) -> float | None:
    for (_, target), when in zip(list(actions), list(actions.times)):
        if target == cid:
            return when
    return None


def queued_at(db: Path, account: str, cid: str) -> float | None:
    """When the comment entered the review queue: the "action" where a platform cannot hide
    (Mastodon), since a person decides what happens next."""
    try:
        rows = query(db, "SELECT q.created_at FROM review_queue q JOIN comments c ON c.uid = "
                         "q.comment_uid WHERE c.account = ? AND c.comment_id = ?", account, cid)
    except sqlite3.OperationalError:  # the daemon has not created its tables yet
        return None
    return datetime.fromisoformat(rows[0][0]).timestamp() if rows else None


def done_at(platform, actions: TimedActions, db: Path, account: str, cid: str) -> float | None:
    if "hide" in platform.degrade and platform.degrade["hide"] is None:
        return queued_at(db, account, cid) if db.exists() else None
    return acted_at(actions, cid)


def start_daemon(config: Path, log: Path, environ: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, **environ, "PYTHONPATH": str(REPO)}
    with log.open("ab") as out:
        proc = subprocess.Popen(moderator_cmd(config, "--log-level", "info", "run"),
                                stdout=out, stderr=out, env=env, cwd=config.parent)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def poll_started(db: Path, account: str, cid: str) -> float:
    (started,) = query(db, "SELECT r.started_at FROM comments c JOIN runs r ON r.id = c.run_id"
                           " WHERE c.account = ? AND c.comment_id = ?", account, cid)[0]
    return datetime.fromisoformat(started).timestamp()


def probe_text(n: int) -> dict:
    return {"id": f"probe{n}", "text": f"Claim your free gift card now, probe {n}",
            "author": {"id": "u1", "handle": "user1"}}


def short_interval(name: str, poll_every: float, samples: int) -> list[tuple[float, float, float]]:
    """One account on one fake, ``poll_every`` seconds, no jitter: (total, wait, work) per probe."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        platform = PLATFORMS[name](root)
        try:
            config = write_config(root, platform, {"acme": "enforce"}, poll_every=poll_every)
            # Started with a warm-up backlog, as a running daemon would be.
            platform.post("acme", make_comments(random.Random(1), 0, 100, prefix="warm"))
            actions = timed(platform, "acme")
            log = root / "daemon.log"
            proc = start_daemon(config, log, platform.environ())
            out = []
            try:
                wait_started(log, timeout=30)
                time.sleep(2 + poll_every)  # the warm-up backlog is done
                rng = random.Random(2)
                for n in range(samples):
                    time.sleep(rng.uniform(0, poll_every))  # appear at a random phase
                    appeared = time.time()
                    (cid,) = platform.post("acme", [probe_text(n)])
                    deadline = time.monotonic() + poll_every + 30
                    while (done := done_at(platform, actions, root / "moderator.db", "acme",
                                           cid)) is None:
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"{name}: probe {n} not acted on; "
                                               f"{log.read_text()[-2000:]}")
                        time.sleep(0.01)
                    started = poll_started(root / "moderator.db", "acme", cid)
                    out.append((done - appeared, started - appeared, done - started))
            finally:
                stop(proc)
            return out
        finally:
            platform.close()


def default_interval(minutes: float, every: tuple[float, float],
                     names: tuple[str, ...] = FAKES) -> dict[str, list]:
    """One daemon, one account per fake, default poll_every and jitter; probes posted on each
    fake at random moments (independent of the polls) for ``minutes``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        platforms = {name: PLATFORMS[name](root / name) for name in names}
        for name in names:
            (root / name).mkdir()
        try:
            tables, environ = [], {}
            for name, platform in platforms.items():
                tables.append(f'\n[[accounts]]\nname = "acme-{name}"\nmode = "enforce"\n'
                              f"{platform.account_keys(f'acme-{name}')}")
                environ.update(platform.environ())
            config = write_config(root, platforms[names[0]], {}, extra="".join(tables))
            text = config.read_text().replace("jitter = 0\n", "")  # the defaults apply
            config.write_text(text)
            assert "poll_every" not in text and "jitter" not in text
            actions = {name: timed(p, f"acme-{name}") for name, p in platforms.items()}
            log = root / "daemon.log"
            proc = start_daemon(config, log, environ)
            results: dict[str, list] = {name: [] for name in names}
            end = time.monotonic() + minutes * 60

            def probes(name: str, seed: int) -> None:
                rng, platform, pending, n = random.Random(seed), platforms[name], [], 0
                account = f"acme-{name}"
                while time.monotonic() < end or pending:
                    if time.monotonic() < end:
                        (cid,) = platform.post(account, [probe_text(n)])
                        pending.append((cid, time.time()))
                        n += 1
                    pause = time.monotonic() + rng.uniform(*every)
                    while time.monotonic() < pause and pending:
                        for cid, appeared in list(pending):
                            done = done_at(platform, actions[name], root / "moderator.db",
                                           account, cid)
                            if done is not None:
                                started = poll_started(root / "moderator.db", account, cid)
                                results[name].append((done - appeared, started - appeared,
                                                      done - started))
                                pending.remove((cid, appeared))
                        time.sleep(0.05)
                    if time.monotonic() < pause and time.monotonic() < end:
                        time.sleep(pause - time.monotonic())
                    if time.monotonic() > end + DEFAULT_POLL + DEFAULT_JITTER + 60:
                        raise RuntimeError(f"{name}: probes never acted on: {pending}")

            threads = [threading.Thread(target=probes, args=(name, i)) for i, name
                       in enumerate(names)]
            try:
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            finally:
                stop(proc)
            return results
        finally:
            for platform in platforms.values():
                platform.close()


def row(label: str, values: list[tuple[float, float, float]]) -> str:
    total, wait, work = zip(*values)
    return (f"  {label:<10} {len(values):>3} {statistics.mean(total):>8.3f} {max(total):>7.3f}"
            f" {statistics.mean(wait):>8.3f} {statistics.mean(work) * 1000:>8.1f}"
            f" {statistics.median(work) * 1000:>8.1f} {max(work) * 1000:>8.1f}")


HEADER = (f"  {'platform':<10} {'n':>3} {'mean s':>8} {'max s':>7} {'wait s':>8}"
          f" {'work ms':>8} {'med ms':>8} {'max ms':>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--poll-every", type=float, default=1.0)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--default", type=float, default=0.0, metavar="MINUTES",
                        help="also probe a daemon at the default interval for this long")
    parser.add_argument("--platforms", default=",".join(FAKES))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{os.uname().sysname} {os.uname().release}")

    works: dict[str, list[float]] = {}
    platforms = [p for p in args.platforms.split(",") if p] if args.samples else []
    print(f"\n1. poll_every {args.poll_every:g} s, jitter 0, {args.samples} probes each")
    print(HEADER)
    for name in platforms:
        values = short_interval(name, args.poll_every, args.samples)
        works[name] = [v[2] for v in values]
        print(row(name, values), flush=True)

    # Polls every 300 s + U(0, 10) s (APScheduler adds the jitter to each fire time, and the
    # next one counts from there): gaps G average 305 s; a comment arriving at a random
    # moment waits E[G^2] / (2 E[G]) on average and at most 310 s.
    gap_mean = DEFAULT_POLL + DEFAULT_JITTER / 2
    wait_mean = (gap_mean ** 2 + DEFAULT_JITTER ** 2 / 12) / (2 * gap_mean)
    print(f"\n2. expected at the default interval (poll_every {DEFAULT_POLL:g} s, jitter"
          f" {DEFAULT_JITTER:g} s): wait mean {wait_mean:.2f} s, worst"
          f" {DEFAULT_POLL + DEFAULT_JITTER:g} s, plus the work above")
    print(f"  {'platform':<10} {'mean s':>8} {'worst s':>8}")
    for name, values in works.items():
        print(f"  {name:<10} {wait_mean + statistics.mean(values):>8.2f}"
              f" {DEFAULT_POLL + DEFAULT_JITTER + max(values):>8.2f}")

    if args.default:
        print(f"\n3. probes at the real default interval, {args.default:g} minutes")
        print(HEADER)
        names = tuple(p for p in args.platforms.split(",") if p)
        for name, values in default_interval(args.default, (20.0, 60.0), names).items():
            print(row(name, values) if values else f"  {name:<10} no samples", flush=True)


if __name__ == "__main__":
    main()
