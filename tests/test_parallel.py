"""--jobs: the same verdicts in the same order whatever the number of worker processes (speed is
measured in bench/core.py, never here)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moderator.parallel import default_jobs, ordered_map

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _square_all(offset: int, batch: list[int]) -> list[int]:
    if -1 in batch:
        raise ValueError("bad batch")
    return [offset + n * n for n in batch]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_in_submission_order(jobs):
    batches = [[i, i + 1] for i in range(0, 40, 2)]  # more batches than are ever in flight
    results = list(ordered_map(lambda: 1000, _square_all, iter(batches), jobs))
    assert results == [[1000 + n * n for n in batch] for batch in batches]


def test_a_failing_batch_raises_in_the_caller():
    with pytest.raises(ValueError, match="bad batch"):
        list(ordered_map(lambda: 0, _square_all, [[1], [-1], [2]], 2))


def test_default_jobs_is_the_cpus_this_process_may_use():
    assert default_jobs() == len(os.sched_getaffinity(0))


def _comments(path: Path) -> None:
    """Real YouTube comments when the shared data is there, else written ones; links, names,
    fake support, a malformed line: every family has something to find."""
    texts = []
    for name in sorted(SHARED.glob("youtube_spam/*.csv")):
        with name.open(encoding="utf-8") as f:
            texts += [(row["CONTENT"], row["AUTHOR"]) for row in csv.DictReader(f)]
    written = ("comment {} visit paypa1-login.com", "Thanks for video number {}, really helpful",
               "I read about this on https://example.org/page{} yesterday")
    texts = texts or [(written[i % 3].format(i), f"user{i}") for i in range(600)]
    texts += [("Sorry for the trouble, DM us on WhatsApp +1 415 555 0132", "AcmeSupport_Help")] * 3
    with path.open("w", encoding="utf-8") as f:
        for i, (text, author) in enumerate(texts):
            f.write(json.dumps({"id": f"c{i}", "text": text, "author": {"name": author}}) + "\n")
            if i == 17:
                f.write("{not json\n")


def test_scan_gives_the_same_output_for_one_and_two_jobs(tmp_path):
    _comments(tmp_path / "c.jsonl")
    (tmp_path / "m.toml").write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    runs = [subprocess.run([sys.executable, "-m", "moderator", "--config", "m.toml", "scan",
                            "--jobs", str(jobs), "c.jsonl"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600) for jobs in (1, 2)]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    one, two = (r.stdout.splitlines() for r in runs)
    assert one == two and len(one) > 600
    assert runs[0].stderr == runs[1].stderr and "1 malformed record(s) skipped" in runs[0].stderr
    decisions = {json.loads(line)["decision"] for line in one}
    assert {"none", "review"} <= decisions and len(decisions) >= 3
