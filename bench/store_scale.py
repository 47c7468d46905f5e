"""Benchmark: the store's reads on a large store (issue #15; bench/core.md, seventh pass).

The audit log and the review queue are never pruned, so what `status`, the resume step of every
poll, `stats`, `review show` and the inbox read must not grow with them. This backfills bench/
core.py's corpus (N comments, every family on, one job) into a store, then copies the store with
its actions and review items repeated K times (new uids and idem keys: what months of a busy
page leave behind; the copy has no comments or findings for them). It prints each read's time,
warm, the best of three, on both stores, and `status` end to end in a fresh process.

    python bench/store_scale.py                     # 100,000 comments, actions x10
    python bench/store_scale.py --comments 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import core  # noqa: E402  (bench/core.py: the corpus, the workspace and the measured run)

sys.path.insert(0, str(core.REPO))
from moderator.store import Store, now  # noqa: E402
from moderator.store.inbox import AuditFilter  # noqa: E402

ACCOUNT = "bench"  # bench/core.py's account
LIMIT = 60.0  # seconds a read may take before it is reported as "over LIMIT"


def repeated(source: Path, target: Path, times: int) -> None:
    """``source`` with its actions and review items copied ``times - 1`` more times."""
    shutil.copy(source, target)
    db = sqlite3.connect(target)

    def columns(table: str) -> list[str]:
        return [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "id"]

    for i in range(1, times):
        for table, renamed in (("actions", ("comment_uid", "idem_key")),
                               ("review_queue", ("comment_uid",))):
            names = columns(table)
            values = [f"{c} || ':copy{i}'" if c in renamed else c for c in names]
            db.execute(f"INSERT INTO {table}({', '.join(names)}) SELECT {', '.join(values)} "
                       f"FROM {table} WHERE comment_uid NOT LIKE '%:copy%'")
    db.commit()
    db.close()


def reads(store: Store) -> dict:
    uid = store.db.execute("SELECT comment_uid FROM actions ORDER BY id LIMIT 1").fetchone()[0]
    return {
        "status (account health)": lambda: store.account_health(ACCOUNT, now() - timedelta(1)),
        "resume: pending actions": lambda: store.pending_actions(ACCOUNT),
        "stats: rule report": store.rule_verdicts,
        "review show: a comment's actions": lambda: store.actions_for(uid),
        "inbox: pending count (polled)": store.newest_pending,
        "inbox: audit page": lambda: store.audit_page(AuditFilter(), 0, 50),
        "inbox: audit page, one comment": lambda: store.audit_page(AuditFilter(comment=uid),
                                                                    0, 50),
    }


def best_of_three(store: Store, read) -> float:
    """The best of three warm runs; infinity when the first run passes LIMIT seconds (SQLite
    interrupts it: a read that scans the log per comment would take hours)."""
    deadline = time.perf_counter() + LIMIT
    store.db.conn.set_progress_handler(lambda: time.perf_counter() > deadline, 10_000)
    try:
        read()  # warm
    except sqlite3.OperationalError:
        return float("inf")
    finally:
        store.db.conn.set_progress_handler(None, 10_000)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = core.workspace(Path(tmp), args.comments, core.real_comments(), "all families")
        core.run(core.moderator("backfill", "--jobs", "1"), work)
        big = work / "big.db"
        repeated(work / "bench.db", big, args.repeat)
        stores = {"backfilled": work / "bench.db", f"actions x{args.repeat}": big}
        results: dict[str, dict[str, float]] = {}
        sizes = []
        for label, path in stores.items():
            store = Store(path)
            sizes.append(f"{label}: {store.db.execute('SELECT count(*) FROM actions').fetchone()[0]:,}"
                         f" actions, {store.queue_size():,} pending reviews")
            for name, read in reads(store).items():
                results.setdefault(name, {})[label] = best_of_three(store, read)
            store.close()
            config = work / f"{path.stem}.toml"
            config.write_text((work / "m.toml").read_text().replace('"bench.db"', f'"{path}"'))
            status = [core.run([sys.executable, "-m", "moderator", "--config", str(config),
                                "status"], work, ok=(0, 1))["wall"] for _ in range(3)]
            results.setdefault("`status`, end to end", {})[label] = sorted(status)[1]
    print("; ".join(sizes))
    print(f"\n| read | {' | '.join(stores)} |\n|---|{'---:|' * len(stores)}")
    for name, by_store in results.items():
        print(f"| {name} | " + " | ".join(f"{by_store[s] * 1e3:,.1f} ms" if by_store[s] < LIMIT
                                          else f"over {LIMIT:.0f} s" for s in stores) + " |")


if __name__ == "__main__":
    main()
