"""Benchmark: peak memory of `scan` and `backfill` is flat in the number of comments (issue #15).

The real comments of bench/core.py (YouTube + Davidson, 10% with a link, every family on)
repeated to N with unique ids, written to a temporary file that is removed afterwards (nothing
big is kept). `moderator scan` and `moderator backfill` (enforce mode, SQLite store) run in
fresh subprocesses; each one's peak RSS (ru_maxrss), CPU and wall time come from os.wait4.
Flat means: the peak at 1,000,000 comments is the peak at 20,000, give or take a few MiB.

    python bench/memory.py                          # 20,000, 100,000 and 1,000,000 comments
    python bench/memory.py --sizes 20000 100000     # a quicker look
    python bench/memory.py --jobs 2                 # the same with two worker processes
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import core  # noqa: E402  (bench/core.py: the corpus, the workspace and the measured run)


def measure(tmp: Path, n: int, pool: list[dict], jobs: int) -> dict:
    work = core.workspace(tmp, n, pool, "all families")
    pin = jobs == 1
    out = {"n": n,
           "scan": core.run(core.moderator("scan", "--jobs", str(jobs), "comments.jsonl"), work,
                            pin=pin),
           "backfill": core.run(core.moderator("backfill", "--jobs", str(jobs)), work, pin=pin)}
    out["db_mib"] = (work / "bench.db").stat().st_size / 2**20
    shutil.rmtree(work)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    pool = core.real_comments()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            row = measure(Path(tmp), n, pool, args.jobs)
            rows.append(row)
            print(f"{n:>9,}: " + "  ".join(
                f"{cmd} peak {row[cmd]['rss']:.0f} MiB, {row[cmd]['cpu']:.0f} s CPU, "
                f"{row[cmd]['wall']:.0f} s wall" for cmd in ("scan", "backfill"))
                + f"  store {row['db_mib']:.0f} MiB", flush=True)
    print(f"\n| comments | scan peak MiB | scan CPU s | backfill peak MiB | backfill CPU s | "
          f"backfill /s CPU | store file MiB |  (--jobs {args.jobs})")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']:,} | {r['scan']['rss']:.0f} | {r['scan']['cpu']:.1f} | "
              f"{r['backfill']['rss']:.0f} | {r['backfill']['cpu']:.1f} | "
              f"{r['n'] / r['backfill']['cpu']:,.0f} | {r['db_mib']:.0f} |")


if __name__ == "__main__":
    main()
