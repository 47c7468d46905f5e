"""Benchmark: `moderator replay` rate on a store built by a backfill, and `moderator explain`
answer time including start-up, every rule family on (config.example.toml's rules).

Input: the real YouTube comments of ../shared/data/youtube_spam and tweets of
../shared/data/offensive_davidson, repeated to N comments (ids made unique), backfilled into a
store through the file connector. Replay runs twice in one process: with the same configuration
(the decisions agree) and with a configuration that switches the charter family off (every spam
and offensive decision changes), so both the rate and the change report are exercised. The
ratio to the judge alone (the same comments through `Judge.judge`, no store) is measured in the
same run, since absolute rates on this shared machine are noisy.

    python bench/explain_replay.py            # 20,000 comments
    python bench/explain_replay.py 50000
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

ACCOUNT = """
[[accounts]]
name = "bench"
platform = "file"
path = "comments.jsonl"
[store]
path = "bench.db"
"""


def corpus(n: int) -> list[dict]:
    texts: list[tuple[str, str]] = []
    for path in sorted((SHARED / "youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            texts += [(row["AUTHOR"], row["CONTENT"]) for row in csv.DictReader(f)]
    with (SHARED / "offensive_davidson" / "labeled_data.csv").open(encoding="utf-8") as f:
        texts += [("tweeter", row["tweet"]) for row in csv.DictReader(f)]
    out = []
    for i in range(n):
        author, text = texts[i % len(texts)]
        out.append({"id": f"c{i}", "text": text, "author": {"name": author},
                    "created_at": f"2026-11-{1 + i * 28 // n:02d}T10:00:00Z"})
    return out


def main(n: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    try:
        rules = example_rules()
        (work / "current.toml").write_text(rules + ACCOUNT)
        (work / "new.toml").write_text(
            rules.replace("[rules.charter]\n", "[rules.charter]\nenabled = false\n", 1) + ACCOUNT)
        with (work / "comments.jsonl").open("w") as f:
            for record in corpus(n):
                f.write(json.dumps(record) + "\n")
        moderator = [sys.executable, "-m", "moderator", "--config", str(work / "current.toml")]
        subprocess.run([*moderator, "backfill"], check=True, capture_output=True, cwd=work)
        results = {"comments": n}
        results.update(_replay(work))
        results["judge_alone_per_s"] = _judge_alone(work)
        results.update(_explain(moderator, work))
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def example_rules() -> str:
    """config.example.toml's brand, policy and rules (every family on), without its store,
    accounts and daemon settings."""
    example = (REPO / "config.example.toml").read_text()
    rules = example[: example.index("\n[daemon]")]
    return rules.replace('[store]\npath = "moderator.db"', "")


def _replay(work: Path) -> dict:
    from moderator import config
    from moderator.replay import replay

    current = config.load(work / "current.toml")
    out = {}
    for label, new in (("same", current), ("charter_off", config.load(work / "new.toml"))):
        started = time.perf_counter()
        report = replay(current, new)
        seconds = time.perf_counter() - started
        out[f"replay_{label}"] = {"rejudged": report.rejudged, "changed": len(report.changed),
                                  "seconds": round(seconds, 2),
                                  "per_s": round(report.rejudged / seconds)}
    return out


def _judge_alone(work: Path) -> int:
    """Comments/s of one judge over the same comments (replay judges each comment twice)."""
    from moderator import config
    from moderator.judge import Judge
    from moderator.readonly import open_readonly, stored_comments

    settings = config.load(work / "current.toml")
    with closing(open_readonly(settings.store_path)) as db:
        comments = [c for _, batch in stored_comments(db, since=None, until=None, account=None)
                    for c in batch]
    judge = Judge.for_account(settings, settings.accounts[0], network=False)
    started = time.perf_counter()
    for start in range(0, len(comments), 500):
        judge.judge(comments[start:start + 500])
    return round(len(comments) / (time.perf_counter() - started))


def _explain(moderator: list[str], work: Path) -> dict:
    def timed(*args: str) -> float:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run([*moderator, *args], check=True, capture_output=True, cwd=work)
            best = min(best, time.perf_counter() - started)
        return round(best, 3)

    return {"explain_text_s": timed("explain", "Verify at acmebank-login.com", "--author", "x"),
            "explain_stored_s": timed("explain", "--id", "c7"),
            "version_s": timed("--version")}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
