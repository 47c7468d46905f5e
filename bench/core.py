"""Benchmark: the whole product's speed (issue #15), every measurement against a bare URL-regex
pass over the same text in the same run.

Input: real comments, the YouTube comments of ../shared/data/youtube_spam (author names) and the
Davidson tweets (the first @handle as author), mixed so that 10% carry a link, repeated to N
with unique ids. Each command runs as `python -m moderator` in a fresh subprocess; its own wall
time, CPU time (user + sys, its worker processes included) and peak RSS are read with os.wait4.
Single-process measurements are pinned to one core (taskset), `--jobs 2` gets both.

    python bench/core.py                  # everything at 20,000 and 100,000 comments
    python bench/core.py --million        # also peak memory of scan at 1,000,000 comments

The machine this runs on is shared: rates are given per wall second and per CPU second; the
ratios to the URL-regex pass (same file, same run, same core) are the comparable numbers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
FAMILIES = ("links", "impersonation", "charter")
URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)

CONFIG = """
[store]
path = "bench.db"
[brand]
name = "Acme Bank"
domains = ["acmebank.com", "acme.co"]
handles = ["AcmeBank", "AcmeSupport"]
staff = ["Jane Whitfield"]
{custom}[[rules.custom]]
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
{end_custom}{disable}
[[accounts]]
name = "bench"
platform = "file"
path = "comments.jsonl"
mode = "enforce"
actions_file = "actions.jsonl"
[brake]
max_actions = 100000000
"""
RULE_SETS = {
    "all families": "",
    "custom rules only": "".join(f"[rules.{f}]\nenabled = false\n" for f in FAMILIES),
    "every family off": "".join(f"[rules.{f}]\nenabled = false\n" for f in FAMILIES),  # no custom rules
}


def shared(*parts: str) -> Path:
    """A path in the shared real data; exits with a message when that data is not beside the
    repository (rather than a traceback where it is first opened)."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        sys.exit(f"{path} not found: the benchmark reads the shared real data")
    return path


def real_comments() -> list[dict]:
    """Real comments, 10% of them with a link (the share the issue asks for)."""
    rows = []
    for path in sorted(shared("youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            rows += [{"text": r["CONTENT"], "author": {"name": r["AUTHOR"]}, "platform": "youtube",
                      "created_at": r["DATE"] or None} for r in csv.DictReader(f)]
    with shared("offensive_davidson", "labeled_data.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            handle = re.search(r"@(\w{1,15})", r["tweet"])
            rows.append({"text": r["tweet"], "platform": "x",
                         "author": {"handle": handle.group(1) if handle else None}})
    linked = [r for r in rows if URL.search(r["text"])]
    plain = [r for r in rows if not URL.search(r["text"])]
    out = []
    for i in range(0, len(plain) - 8, 9):  # nine without a link, then one with
        if i // 9 >= len(linked):
            break
        out += plain[i:i + 9] + [linked[i // 9]]
    return out


def write_comments(path: Path, n: int, pool: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"id": f"c{i}", **pool[i % len(pool)]}) + "\n")


def run(args: list[str], cwd: Path, *, pin: bool = True, ok: tuple[int, ...] = (0,),
        output: Path | None = None) -> dict:
    """Wall and CPU seconds and peak RSS (MiB) of one subprocess (workers' CPU included)."""
    prefix = ["taskset", "-c", "0"] if pin and shutil.which("taskset") else []
    started = time.perf_counter()
    child = subprocess.Popen([*prefix, *args], cwd=cwd,
                             stdout=output.open("w") if output else subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"{' '.join(args)} failed")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def moderator(*args: str) -> list[str]:
    return [sys.executable, "-m", "moderator", "--config", "m.toml", *args]


URL_PASS = ("import json, re, sys\n"
            "url = re.compile(r'https?://\\S+|www\\.\\S+', re.IGNORECASE)\n"
            "print(sum(1 for line in open(sys.argv[1], encoding='utf-8') "
            "if url.search(json.loads(line)['text'])))")


def workspace(tmp: Path, n: int, pool: list[dict], rules: str) -> Path:
    work = Path(tempfile.mkdtemp(prefix=f"{rules.replace(' ', '-')}-{n}-", dir=tmp))
    write_comments(work / "comments.jsonl", n, pool)
    text = CONFIG.replace("{disable}", RULE_SETS[rules])
    if rules == "every family off":  # the custom rules out too: from "{custom}" to "{end_custom}"
        text = text[:text.index("{custom}")] + text[text.index("{end_custom}") + len("{end_custom}"):]
    text = text.replace("{custom}", "").replace("{end_custom}", "")
    (work / "m.toml").write_text(text, encoding="utf-8")
    return work


def throughput(tmp: Path, sizes: list[int], pool: list[dict]) -> list[dict]:
    rows = []
    for rules in RULE_SETS:
        for n in sizes:
            work = workspace(tmp, n, pool, rules)
            url = run([sys.executable, "-c", URL_PASS, "comments.jsonl"], work)
            scan = run(moderator("scan", "--jobs", "1", "comments.jsonl"), work)
            row = {"rules": rules, "n": n, "url": url, "scan": scan}
            if rules != "every family off":
                row["backfill"] = run(moderator("backfill", "--jobs", "1"), work)
            rows.append(row)
            print(f"{rules:18} {n:>9,}: scan {n / scan['wall']:>8,.0f}/s wall "
                  f"{n / scan['cpu']:>8,.0f}/s cpu  {scan['cpu'] / url['cpu']:5.1f}x url regex"
                  + (f"  backfill {n / row['backfill']['wall']:>7,.0f}/s wall "
                     f"{n / row['backfill']['cpu']:>7,.0f}/s cpu" if "backfill" in row else ""),
                  flush=True)
    return rows


def scaling(tmp: Path, n: int, pool: list[dict]) -> dict:
    work = workspace(tmp, n, pool, "all families")
    out = {}
    for jobs in (1, 2):
        out[jobs] = run(moderator("scan", "--jobs", str(jobs), "comments.jsonl"), work, pin=False,
                        output=work / f"jobs{jobs}.jsonl")
    out["same"] = (work / "jobs1.jsonl").read_bytes() == (work / "jobs2.jsonl").read_bytes()
    print(f"scan --jobs 2 vs 1 on {n:,}: {out[1]['wall'] / out[2]['wall']:.2f}x wall, "
          f"CPU {out[2]['cpu'] / out[1]['cpu']:.3f}x, same output: {out['same']}", flush=True)
    return out


def startup(tmp: Path, pool: list[dict]) -> dict:
    """Median of 5 of each command, on a store with 20,000 comments (from a backfill)."""
    work = workspace(tmp, 20_000, pool, "all families")
    run(moderator("backfill", "--jobs", "1"), work)
    write_comments(work / "one.jsonl", 1, pool)
    commands = {"--version": ["--version"], "status": ["status", "--no-daemon-check"],
                "review list": ["review", "list"], "scan (1 comment)": ["scan", "one.jsonl"]}
    out = {}
    for label, args in commands.items():
        samples = [run(moderator(*args), work, ok=(0, 1)) for _ in range(5)]  # status: 1 = attention
        out[label] = {k: statistics.median(s[k] for s in samples) for k in ("wall", "cpu", "rss")}
        print(f"start-up {label:18} {out[label]['wall']:.3f} s wall  {out[label]['cpu']:.3f} s cpu",
              flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--million", action="store_true", help="scan 1,000,000 comments too")
    args = parser.parse_args()
    pool = real_comments()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start = startup(tmp_path, pool)
        rows = throughput(tmp_path, args.sizes, pool)
        scale = scaling(tmp_path, max(args.sizes), pool)
        if args.million:
            work = workspace(tmp_path, 1_000_000, pool, "all families")
            big = run(moderator("scan", "comments.jsonl"), work, pin=False)
            print(f"scan 1,000,000 all families (--jobs default): {big['wall']:.0f} s wall, "
                  f"peak {big['rss']:.0f} MiB", flush=True)
    report(rows, start, scale)


def report(rows: list[dict], start: dict, scale: dict) -> None:
    print("\n| rules | comments | URL regex CPU s | scan wall /s | scan CPU /s | scan / URL regex "
          "(CPU) | scan peak MiB | backfill wall /s | backfill CPU /s | backfill peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        n, s, b = r["n"], r["scan"], r.get("backfill")
        fill = (f"{n / b['wall']:,.0f} | {n / b['cpu']:,.0f} | {b['rss']:.0f}" if b else "- | - | -")
        print(f"| {r['rules']} | {n:,} | {r['url']['cpu']:.2f} | {n / s['wall']:,.0f} | "
              f"{n / s['cpu']:,.0f} | {s['cpu'] / r['url']['cpu']:.1f}x | {s['rss']:.0f} | {fill} |")
    print("\n| rules | marginal scan wall /s | marginal scan CPU /s | marginal backfill CPU /s |")
    print("|---|---:|---:|---:|")
    for rules in RULE_SETS:
        sized = sorted((r for r in rows if r["rules"] == rules), key=lambda r: r["n"])
        if len(sized) < 2:
            continue
        a, b = sized[0], sized[-1]
        dn = b["n"] - a["n"]
        fill = (f"{dn / (b['backfill']['cpu'] - a['backfill']['cpu']):,.0f}"
                if "backfill" in b else "-")
        print(f"| {rules} | {dn / (b['scan']['wall'] - a['scan']['wall']):,.0f} | "
              f"{dn / (b['scan']['cpu'] - a['scan']['cpu']):,.0f} | {fill} |")
    print("\n| start-up (median of 5) | wall s | CPU s | peak MiB |\n|---|---:|---:|---:|")
    for label, s in start.items():
        print(f"| `{label}` | {s['wall']:.3f} | {s['cpu']:.3f} | {s['rss']:.0f} |")
    print(f"\nscan --jobs 2 / --jobs 1: {scale[1]['wall'] / scale[2]['wall']:.2f}x wall, "
          f"{scale[2]['cpu'] / scale[1]['cpu']:.3f}x the CPU, identical output: {scale['same']}")


if __name__ == "__main__":
    main()
