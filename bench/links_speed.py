"""Speed of the links family on real comments, as a ratio to a bare URL-regex pass.

Corpus: the real YouTube comments and Davidson tweets of ../shared/data/, 20,000 of them drawn
with a fixed seed so that 10% hold a link (as the rule's extractor sees it). Both the rule
(``LinksRule.check_batch``, the family's whole cost per comment, warm caches as in a
long-running worker) and ``re.findall(r"https?://\\S+")`` run over the same comments, five
times each, interleaved, in one process, best of five (the least disturbed by other load on
the machine); the ratio is what to compare across machines and versions.

    .venv/bin/python bench/links_speed.py [--dump FILE]

``--dump FILE`` writes every comment's findings (rule and severity) as JSON lines, to compare
verdicts between two versions of the rule on the same corpus.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / ".." / "shared" / "data"

from moderator.models import Brand, Comment  # noqa: E402
from rules.links import LinksRule, extract_links  # noqa: E402

BARE_URL = re.compile(r"https?://\S+")


def real_texts() -> list[str]:
    texts = []
    for path in sorted((DATA / "youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as f:
            texts.extend(row["CONTENT"] for row in csv.DictReader(f))
    with (DATA / "offensive_davidson" / "labeled_data.csv").open(encoding="utf-8") as f:
        texts.extend(row["tweet"] for row in csv.DictReader(f))
    return texts


def corpus(n: int = 20_000, share: float = 0.10) -> list[Comment]:
    texts = real_texts()
    linked = [t for t in texts if extract_links(t)]
    plain = [t for t in texts if not extract_links(t)]
    rng = random.Random(20261201)
    chosen = rng.sample(linked, int(n * share)) + rng.sample(plain, n - int(n * share))
    rng.shuffle(chosen)
    return [Comment(platform="youtube", account="acme", id=str(i), text=t)
            for i, t in enumerate(chosen)]


def rate(fn, n: int) -> float:
    start = time.process_time()
    fn()
    return n / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()
    rule = LinksRule.from_config({}, Brand(name="Acme Bank", domains=("acmebank.com", "acme.co")))
    comments = corpus()
    texts = [c.text for c in comments]
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for c, found in zip(comments, rule.check_batch(comments)):
                out.write(json.dumps([c.id, sorted(f"{f.rule} {f.severity.value}" for f in found)])
                          + "\n")
    rule.check_batch(comments)  # warm caches, as a long-running worker has them
    ours, bare = [], []
    for _ in range(5):
        bare.append(rate(lambda: [BARE_URL.findall(t) for t in texts], len(texts)))
        ours.append(rate(lambda: rule.check_batch(comments), len(comments)))
    o, b = max(ours), max(bare)
    print(f"{len(comments):,} real comments, 10% with a link, one process, CPU time, best of 5")
    print(f"| pass | comments/s | share of the bare regex's rate |\n|---|---:|---:|")
    print(f"| bare `https?://\\S+` findall | {b:,.0f} | 1 |")
    print(f"| links family (`LinksRule.check_batch`) | {o:,.0f} | 1/{b / o:.0f} |")


if __name__ == "__main__":
    main()
