"""`moderator scan` with every family on, before and after a change, in one run (bench/charter.md).

    .venv/bin/python bench/charter_speed_scan.py --before REV [--after REV] [--rounds 2]

The way bench/core.py measures it (its comments, config and subprocess timing are reused): real
comments with 10% carrying a link, written to 20,000 and 100,000 lines; `python -m moderator
scan --jobs 1` in a fresh subprocess pinned to one core, its CPU time (user + sys) from
os.wait4; a bare URL-regex pass over the same file in the same round. ``REV`` is exported with
``git archive`` (rules, moderator, connectors); "after" is this worktree unless ``--after``.
Rounds interleave before and after; the marginal rate (100,000 minus 20,000 comments, over the
CPU seconds between them) leaves start-up out. Both trees' verdicts on the 100,000 comments
are compared line by line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import core  # noqa: E402  (bench/core.py)

def timed(tree: str, args: list[str], cwd: Path, output: Path | None = None) -> float:
    """CPU seconds (user + sys) of one pinned subprocess running with ``tree`` first on the path."""
    prefix = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    child = subprocess.Popen([*prefix, *args], cwd=cwd,
                             stdout=output.open("w") if output else subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": tree})
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="git revision to compare against")
    parser.add_argument("--after", help="git revision to time instead of this worktree")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs=2, default=[20_000, 100_000])
    args = parser.parse_args()
    pool = core.real_comments()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        trees = {}
        for name, rev in (("before", args.before), ("after", args.after)):
            if rev is None:
                trees[name] = str(core.REPO)
                continue
            where = tmp_path / name
            where.mkdir()
            archive = subprocess.run(["git", "-C", str(core.REPO), "archive", rev, "rules",
                                      "moderator", "connectors"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
            trees[name] = str(where)
        works = {n: core.workspace(tmp_path, n, pool, "all families") for n in args.sizes}
        cpu: dict[tuple[str, int], list[float]] = {}
        url: dict[int, list[float]] = {}
        for _ in range(args.rounds):
            for n, work in works.items():
                url.setdefault(n, []).append(timed(str(core.REPO), [
                    sys.executable, "-c", core.URL_PASS, "comments.jsonl"], work))
                for name, tree in trees.items():
                    out = work / f"{name}.jsonl" if n == max(args.sizes) else None
                    cpu.setdefault((name, n), []).append(timed(tree, core.moderator(
                        "scan", "--jobs", "1", "comments.jsonl"), work, out))
        low, high = args.sizes
        print(f"moderator scan --jobs 1, every family on, one core, CPU seconds, best of "
              f"{args.rounds} interleaved rounds (URL regex best: {min(url[low]):.3f} s at "
              f"{low:,}, {min(url[high]):.3f} s at {high:,})")
        for name in trees:
            a, b = min(cpu[(name, low)]), min(cpu[(name, high)])
            print(f"  {name:<7} {low:,}: {low / a:>7,.0f}/s   {high:,}: {high / b:>7,.0f}/s "
                  f"({b / min(url[high]):.1f}x URL regex)   marginal {(high - low) / (b - a):>7,.0f}/s"
                  f"   rounds at {high:,}: " + ", ".join(f"{x:.1f} s" for x in cpu[(name, high)]))
        before, after = ((works[high] / f"{name}.jsonl").read_bytes().splitlines()
                         for name in trees)
        differ = sum(a != b for a, b in zip(before, after)) + abs(len(before) - len(after))
        print(f"  verdict lines that differ at {high:,}: {differ} of {len(before):,}")


if __name__ == "__main__":
    main()
