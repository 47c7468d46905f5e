"""Benchmark: `moderator scan` throughput and backfill-into-the-store rate, with peak memory.

Input: the real YouTube comments of ../shared/data/youtube_spam repeated to N comments (ids made
unique). Each measurement runs `python -m moderator` in a fresh subprocess on one core
(taskset when available) and reads its peak RSS, so sizes can be compared for flat memory.

    python bench/core.py            # 20,000 and 100,000 comments
    python bench/core.py 100000     # one size
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "youtube_spam"

# The custom rules of config.example.toml (global + the example account's), other families off.
CUSTOM_ONLY = """
[store]
path = "bench.db"
[brand]
name = "Acme Bank"
domains = ["acmebank.com", "acme.co"]
handles = ["AcmeBank", "AcmeSupport"]
[[rules.custom]]
name = "giveaway"
severity = "high"
reason = "Giveaway or free-money bait"
words = ["free gift card", "double your bitcoin"]
regex = ['\\bwin\\s+an?\\s+iphone\\b']
unless_words = ["scam warning"]
[[rules.custom]]
name = "self-promotion"
severity = "medium"
reason = "Channel self-promotion"
words = ["check out my channel", "subscribe to my channel"]
{disable}
[[accounts]]
name = "bench"
platform = "file"
path = "comments.jsonl"
mode = "enforce"
actions_file = "actions.jsonl"
[brake]
max_actions = 1000000
"""


def families() -> list[str]:
    sys.path.insert(0, str(REPO))
    from rules import RULES

    return [f for f in RULES if f != "custom"]


def write_comments(path: Path, n: int) -> None:
    rows = []
    for name in sorted(DATA.glob("*.csv")):
        with name.open(encoding="utf-8") as f:
            rows.extend(csv.DictReader(f))
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            row = rows[i % len(rows)]
            out.write(json.dumps({"id": f"{row['COMMENT_ID']}-{i}", "text": row["CONTENT"],
                                  "author": {"name": row["AUTHOR"]},
                                  "created_at": row["DATE"] or None}) + "\n")


def run(args: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one `python -m moderator` run, pinned to one core."""
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    started = time.perf_counter()
    child = subprocess.Popen([*pin, sys.executable, "-m", "moderator", *args], cwd=cwd,
                             stdout=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not all children's
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"moderator {' '.join(args)} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [20_000, 100_000]
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the benchmark reads the shared YouTube data")
    rows = []
    for label, disable in (("custom rules only", "".join(
            f"[rules.{f}]\nenabled = false\n" for f in families())), ("all rule families", "")):
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                write_comments(work / "comments.jsonl", n)
                (work / "m.toml").write_text(CUSTOM_ONLY.replace("{disable}", disable))
                scan_s, scan_mb = run(["--config", "m.toml", "scan", "comments.jsonl"], work)
                fill_s, fill_mb = run(["--config", "m.toml", "backfill"], work)
                rows.append((label, n, n / scan_s, scan_mb, n / fill_s, fill_mb))
                print(f"{label:18} {n:>7} comments: scan {n / scan_s:>8,.0f}/s "
                      f"(peak {scan_mb:5.0f} MiB)  backfill {n / fill_s:>7,.0f}/s "
                      f"(peak {fill_mb:5.0f} MiB)", flush=True)
    print("\n| rules | comments | scan comments/s | scan peak MiB | backfill comments/s | "
          "backfill peak MiB |\n|---|---:|---:|---:|---:|---:|")
    for label, n, scan, scan_mb, fill, fill_mb in rows:
        print(f"| {label} | {n:,} | {scan:,.0f} | {scan_mb:.0f} | {fill:,.0f} | {fill_mb:.0f} |")
    # The rate between two sizes leaves out the fixed cost (interpreter start, imports,
    # model loading), which a long run or the daemon pays once.
    print("\n| rules | marginal scan comments/s | marginal backfill comments/s |\n|---|---:|---:|")
    for label in dict.fromkeys(r[0] for r in rows):
        runs = [r for r in rows if r[0] == label]
        (_, n1, s1, _, f1, _), (_, n2, s2, _, f2, _) = runs[0], runs[-1]
        if n2 > n1:
            print(f"| {label} | {(n2 - n1) / (n2 / s2 - n1 / s1):,.0f} | "
                  f"{(n2 - n1) / (n2 / f2 - n1 / f1):,.0f} |")


if __name__ == "__main__":
    main()
