"""Benchmark: `moderator backfill` with every family on, one process and `--jobs 2` (issue #15).

The corpus of bench/core.py (real comments, 10% with a link) repeated to N with unique ids;
`backfill` into a fresh SQLite store, enforce mode, in fresh subprocesses. For each run: CPU
seconds of the backfill process itself and of its worker processes (the process reports its
own getrusage; os.wait4 gives both together), wall time, and whether the two stores hold the
same rows in the same order (every table dumped without the columns that are write times,
and the actions file). Every size also times a bare URL-regex pass over the same texts.

`--jobs N` is this process and N - 1 workers; this process also prepares batches itself while
the workers are busy, so the split of the preparing follows the cores it gets. What it can give
on two idle cores is bounded by the part only this process can do (read and parse, the flood
check against history, the store, the actions: its CPU minus what it prepared) and by half of
all the CPU work: CPU(1 job) / max(CPU(this process) - CPU(prepared here), CPU(all) / 2). The
wall clock shows it only when the cores are ours.

    python bench/backfill.py                      # 20,000 and 100,000 comments
    python bench/backfill.py --sizes 20000
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import core  # noqa: E402  (bench/core.py: the corpus, the workspace and the measured run)

# Runs moderator and writes this process's own CPU seconds (workers left out) to argv[1].
# Also the CPU seconds it spent preparing batches itself while its workers were busy.
SELF_CPU = ("import json, resource, runpy, sys\n"
            "out, sys.argv = sys.argv[1], ['moderator', *sys.argv[2:]]\n"
            "try:\n"
            "    runpy.run_module('moderator', run_name='__main__')\n"
            "finally:\n"
            "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
            "    jobs = sys.modules.get('moderator.backfill_jobs')\n"
            "    here = jobs.PREPARED_HERE['cpu'] if jobs else 0.0\n"
            "    open(out, 'w').write(json.dumps([r.ru_utime + r.ru_stime, here]))\n")
STAMPS = {"seen_at", "decided_at", "at", "started_at", "finished_at", "updated_at", "since",
          "created_at", "resolved_at", "applied_at"}
KEPT_CREATED_AT = {"comments"}  # a comment's own date, not a write time


def backfill(work: Path, jobs: int) -> dict:
    run_dir = work / f"jobs{jobs}"
    run_dir.mkdir()
    (run_dir / "m.toml").write_text((work / "m.toml").read_text().replace(
        'path = "comments.jsonl"', f'path = "{work / "comments.jsonl"}"'))
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", SELF_CPU, "self.cpu", "--config", "m.toml",
                              "backfill", "--jobs", str(jobs)], cwd=run_dir,
                             stdout=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(core.REPO)})
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"backfill --jobs {jobs} failed")
    total = usage.ru_utime + usage.ru_stime
    own, here = json.loads((run_dir / "self.cpu").read_text())
    return {"wall": time.perf_counter() - started, "cpu": total, "self": own,
            "workers": total - own, "here": here, "rss": usage.ru_maxrss / 1024,
            "dump": dump(run_dir / "bench.db"),
            "actions": (run_dir / "actions.jsonl").read_bytes()}


def dump(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    out = []
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")
                   if r[1] not in STAMPS or (r[1] == "created_at" and table in KEPT_CREATED_AT)]
        out += [f"{table} {json.dumps(row)}" for row in
                db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")]
    db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--jobs", type=int, default=2, help="against --jobs 1 (default 2)")
    args = parser.parse_args()
    pool = core.real_comments()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            work = core.workspace(Path(tmp), n, pool, "all families")
            url = core.run([sys.executable, "-c", core.URL_PASS, "comments.jsonl"], work)
            one, two = backfill(work, 1), backfill(work, args.jobs)
            same = one.pop("dump") == two.pop("dump") and one.pop("actions") == two.pop("actions")
            bound = one["cpu"] / max(two["self"] - two["here"], two["cpu"] / 2)
            rows.append({"n": n, "url": url["cpu"], "one": one, "two": two, "same": same,
                         "bound": bound})
            print(f"{n:>9,}: 1 job {n / one['cpu']:,.0f}/s CPU ({one['cpu'] / url['cpu']:.0f}x "
                  f"URL regex); {args.jobs} jobs: this process {two['self']:.1f} s (of it "
                  f"{two['here']:.1f} s preparing) + workers {two['workers']:.1f} s = "
                  f"{two['cpu'] / one['cpu']:.2f}x the CPU of 1 job; "
                  f"two idle cores: {bound:.2f}x; wall {one['wall'] / two['wall']:.2f}x; "
                  f"identical stores: {same}", flush=True)
    report(rows, args.jobs)


def report(rows: list[dict], jobs: int) -> None:
    print(f"\n| comments | URL regex CPU s | 1 job CPU s | 1 job /s CPU | {jobs} jobs: this "
          f"process CPU s (preparing) | {jobs} jobs: workers CPU s | {jobs} jobs CPU / 1 job | "
          f"bound on 2 idle cores | wall 1 job / {jobs} jobs (shared VM) | identical store |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        one, two = r["one"], r["two"]
        print(f"| {r['n']:,} | {r['url']:.2f} | {one['cpu']:.1f} | {r['n'] / one['cpu']:,.0f} | "
              f"{two['self']:.1f} ({two['here']:.1f}) | {two['workers']:.1f} | "
              f"{two['cpu'] / one['cpu']:.2f}x | {r['bound']:.2f}x | "
              f"{one['wall'] / two['wall']:.2f}x | {r['same']} |")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        dn = b["n"] - a["n"]
        one = dn / (b["one"]["cpu"] - a["one"]["cpu"])
        only = [r["two"]["self"] - r["two"]["here"] for r in (a, b)]
        serial = dn / (only[1] - only[0])
        half = dn / ((b["two"]["cpu"] - a["two"]["cpu"]) / 2)
        print(f"\nmarginal ({a['n']:,} -> {b['n']:,}): 1 job {one:,.0f}/s per CPU second; "
              f"{jobs} jobs on two idle cores at most {min(serial, half):,.0f}/s "
              f"(what only this process does {serial:,.0f}/s, half the total CPU "
              f"{half:,.0f}/s): {min(serial, half) / one:.2f}x")


if __name__ == "__main__":
    main()
