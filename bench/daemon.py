"""Daemon benchmarks: comment-to-action latency, idle CPU with 10 accounts, memory over 24
simulated hours of polling.

Run from the repository root:
    /work/main/.venv/bin/python bench/daemon.py            # everything (~3 minutes)
    /work/main/.venv/bin/python bench/daemon.py --quick    # shorter windows (~1 minute)

The platform is the file connector with an ``actions_file`` (a local "platform"): a comment
"appears" when it is appended to the account's source file, and "is acted on" when its hide
shows up in the actions file. The daemon runs as a real subprocess (``python -m moderator
run``) except for the memory run, which drives ``Daemon.poll`` in-process with a fake clock.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from daemon_platforms import (FilePlatform, make_comments, moderator_cmd,  # noqa: E402
                              query, wait_started, write_config)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int | str = "self") -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def start(config: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("ab") as out:
        proc = subprocess.Popen(moderator_cmd(config, "--log-level", "info", "run"),
                                stdout=out, stderr=out, env=env)
    wait_started(log)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def set_jitter(config: Path, jitter: float) -> None:
    config.write_text(config.read_text().replace("jitter = 0", f"jitter = {jitter}"))


def latency(poll_every: float, jitter: float, samples: int) -> list[tuple[float, float, float]]:
    """Per probe comment: (total, wait, work) seconds. total = from appending a hide-worthy
    comment to its hide reaching the actions file; wait = until the poll that read it
    started (runs.started_at); work = from that poll's start to the hide."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        platform = FilePlatform(root, latency=0)
        config = write_config(root, platform, {"acme": "enforce"}, poll_every=poll_every)
        set_jitter(config, jitter)
        platform.post("acme", make_comments(random.Random(1), 0, 200, prefix="warm"))
        proc = start(config, root / "daemon.log")
        rng = random.Random(2)
        out = []
        try:
            time.sleep(poll_every + jitter + 0.5)  # the warm-up batch is done
            for n in range(samples):
                time.sleep(rng.uniform(0, poll_every))  # appear at a random phase
                cid = f"probe{n}"
                platform.post("acme", [{"id": cid, "text": f"free gift card {n}"}])
                appeared, wall = time.monotonic(), time.time()
                while not any(c == cid for _, c, _ in platform.seen_actions()):
                    time.sleep(0.005)
                total = time.monotonic() - appeared
                (started,) = query(root / "moderator.db", "SELECT r.started_at FROM comments c "
                                   "JOIN runs r ON r.id = c.run_id WHERE c.comment_id = ?", cid)[0]
                wait = datetime.fromisoformat(started).timestamp() - wall
                out.append((total, wait, total - wait))
        finally:
            stop(proc)
        return out


def idle_cpu(accounts: int, poll_every: float, window: float) -> tuple[float, float]:
    """CPU % of one core and RSS (MB) of a daemon whose accounts have nothing new."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        platform = FilePlatform(root, latency=0)
        names = {f"acct{i}": "enforce" for i in range(accounts)}
        config = write_config(root, platform, names, poll_every=poll_every)
        set_jitter(config, min(10.0, poll_every / 10))
        rng = random.Random(3)
        for name in names:
            platform.post(name, make_comments(rng, 0, 500, prefix=f"{name}-"))
        proc = start(config, root / "daemon.log")
        try:
            time.sleep(min(poll_every, 20) + 3)  # first polls done: the backlog is gone
            before, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(window)
            used, elapsed = cpu_seconds(proc.pid) - before, time.monotonic() - t0
            return 100 * used / elapsed, rss_mb(proc.pid)
        finally:
            stop(proc)


def memory_24h(accounts: int, poll_every: float, hours: float) -> list[tuple[float, float, float]]:
    """(simulated hour, RSS MB, traced Python heap MB) while driving the poll job in-process.

    Each simulated hour, every account receives two new comments (one of them acted on).
    """
    from moderator import config as config_module
    from moderator.daemon import Daemon

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        platform = FilePlatform(root, latency=0)
        names = [f"acct{i}" for i in range(accounts)]
        path = write_config(root, platform, {n: "enforce" for n in names}, poll_every=poll_every)
        rng = random.Random(4)
        for name in names:
            platform.post(name, make_comments(rng, 0, 200, prefix=f"{name}-"))
        settings = config_module.load(path)
        clock = [0.0]
        daemon = Daemon(settings, clock=lambda: clock[0])
        daemon.start(schedule=False)
        polls_per_hour = int(3600 / poll_every)
        points = []
        tracemalloc.start()
        try:
            for hour in range(1, int(hours) + 1):
                for name in names:
                    platform.post(name, [
                        {"id": f"{name}-h{hour}a", "text": f"free gift card {hour}"},
                        {"id": f"{name}-h{hour}b", "text": f"thanks {hour}"}])
                for _ in range(polls_per_hour):
                    clock[0] += poll_every
                    for name in names:
                        daemon.poll(name)
                gc.collect()
                if hour in (1, 2, 6, 12, 18, 24) or hour == int(hours):
                    points.append((hour, rss_mb(), tracemalloc.get_traced_memory()[0] / 2**20))
        finally:
            tracemalloc.stop()
            daemon.shutdown()
        assert sum(s.polls for s in daemon.state.values()) == accounts * polls_per_hour * int(hours)
        acted = sum(1 for _, _, a in platform.seen_actions() if a == "hide")
        print(f"  (memory run: {accounts * polls_per_hour * int(hours)} polls, {acted} hides)")
        return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows and fewer samples")
    args = parser.parse_args()
    quick = args.quick

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{os.uname().sysname} {os.uname().release}")

    print("\n1. time from a comment appearing to its action")
    print(f"  {'poll_every':>10} {'jitter':>6} {'n':>3} {'mean s':>7} {'max s':>6}"
          f" {'wait for poll s':>15} {'poll start -> action s':>22}")
    works = []
    for poll_every, jitter, samples in ((1.0, 0.0, 8 if quick else 20),
                                        (5.0, 1.0, 3 if quick else 8)):
        values = latency(poll_every, jitter, samples)
        works.extend(v[2] for v in values)
        print(f"  {poll_every:>10g} {jitter:>6g} {len(values):>3}"
              f" {statistics.mean(v[0] for v in values):>7.2f} {max(v[0] for v in values):>6.2f}"
              f" {statistics.mean(v[1] for v in values):>15.2f}"
              f" {statistics.mean(v[2] for v in values):>22.3f}")
    work, worst = statistics.mean(works), max(works)
    print(f"  default (poll_every 300 s, jitter 10 s), derived as expected wait + measured work:"
          f" mean {(300 + 5) / 2 + work:.1f} s, worst {310 + worst:.1f} s")

    print("\n2. idle daemon, 10 accounts with nothing new")
    window = 20 if quick else 60
    print(f"  {'poll_every':>10} {'window s':>8} {'CPU % of a core':>16} {'RSS MB':>7}")
    for poll_every in (300.0, 5.0):
        cpu, rss = idle_cpu(10, poll_every, window)
        print(f"  {poll_every:>10g} {window:>8} {cpu:>16.2f} {rss:>7.1f}")

    print("\n3. memory over 24 simulated hours (10 accounts, poll_every 300 s)")
    hours = 6 if quick else 24
    print(f"  {'hour':>4} {'RSS MB':>7} {'Python heap MB':>15}")
    points = memory_24h(10, 300.0, hours)
    for hour, rss, heap in points:
        print(f"  {hour:>4} {rss:>7.1f} {heap:>15.2f}")
    first, last = points[0], points[-1]
    print(f"  growth from hour 1 to hour {last[0]}: RSS {last[1] - first[1]:+.1f} MB,"
          f" heap {last[2] - first[2]:+.2f} MB")


if __name__ == "__main__":
    main()
