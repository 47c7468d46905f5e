"""The whole charter rule before and after a change, timed in one run (bench/charter.md).

    .venv/bin/python bench/charter_speedup.py [--before REV] [--after REV] [--rounds 3]

``REV`` (default ``d5dadd7``, main before the speed-up) is exported with ``git archive`` into a
temporary directory (so is ``--after REV`` if given; else this worktree is "after");
each round times the old tree and then the new one, each in a fresh
one-core subprocess, on the same comments, the way the core calls the rule: per batch
``flood_records(batch)``, then ``check_batch(batch, flood_history=...)`` with the earlier
batches' records that share a key (what the store would return). Models are loaded before the
clock starts; the clock is the process's CPU time (time.process_time), which other jobs on a
busy machine disturb less than wall time. Both trees' findings are hashed per comment and compared (a change that alters
results, such as a normalization fix, shows up as the number of comments that differ). Interleaving the rounds
and taking the best of each is what keeps the ratio meaningful on a busy machine.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def worker(tree: str, batch_size: int) -> None:
    """Runs inside the subprocess, with ``tree`` first on sys.path."""
    sys.path.insert(0, tree)
    from moderator.models import Author, Brand, Comment
    from rules.charter import CharterRule

    sys.path.insert(0, str(ROOT / "bench"))
    # The same corpus and 10,000-term list as bench/charter.py.
    from charter import load_corpus, ten_thousand_terms

    texts = load_corpus()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    comments = [Comment("bench", "acme", str(i), x, author=Author(id=f"u{i % 997}"),
                        created_at=start + timedelta(seconds=i)) for i, x in enumerate(texts)]
    rule = CharterRule.from_config({"lists": [{"name": "big", "terms": ten_thousand_terms()}]},
                                   Brand(name="Acme", domains=("acme.com",), staff=("Jane Smith",)),
                                   path="rules.charter")
    rule.check_batch(comments[:10])  # load the models outside the timing
    by_key: dict[str, list] = {}
    digests, fired = [], []
    elapsed = 0.0
    for i in range(0, len(comments), batch_size):
        batch = comments[i:i + batch_size]
        t = time.process_time()
        records = rule.flood_records(batch)
        elapsed += time.process_time() - t
        history = [r for key in {r.key for rs in records for r in rs} for r in by_key.get(key, ())]
        t = time.process_time()
        results = rule.check_batch(batch, flood_history=history)
        elapsed += time.process_time() - t
        for rs in records:
            for r in rs:
                by_key.setdefault(r.key, []).append(r)
        for findings in results:
            fired.append(sorted({f.rule for f in findings}))
            digests.append(hashlib.blake2b(json.dumps(
                [[f.rule, f.severity.value, f.reason, f.evidence] for f in findings],
                sort_keys=True).encode(), digest_size=6).hexdigest())
    # The reference of bench/core.py: a bare URL-regex pass over the same texts, same process.
    import re
    url = re.compile(r"https?://\S+")
    t = time.process_time()
    for x in texts:
        url.findall(x)
    url_rate = len(texts) / (time.process_time() - t)
    print(json.dumps({"rate": len(comments) / elapsed, "findings": digests, "fired": fired,
                      "comments": len(comments), "url_rate": url_rate}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="d5dadd7", help="git revision to compare against")
    parser.add_argument("--after", help="git revision to time instead of this worktree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--show-differences", type=int, default=0, metavar="N",
                        help="print the first N comments whose findings differ")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.batch)
        return
    with tempfile.TemporaryDirectory() as old, tempfile.TemporaryDirectory() as new:
        for rev, where in ((args.before, old), (args.after, new)):
            if rev:
                archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "rules",
                                          "moderator"], check=True, capture_output=True).stdout
                subprocess.run(["tar", "-x", "-C", where], input=archive, check=True)
        trees = {f"before ({args.before})": old,
                 f"after ({args.after or 'this tree'})": new if args.after else str(ROOT)}
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                out = subprocess.run([sys.executable, __file__, "--worker", tree,
                                      "--batch", str(args.batch)],
                                     check=True, capture_output=True, text=True).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
    first = next(iter(runs.values()))[0]
    print(f"whole charter rule, {first['comments']:,} comments (YouTube + Davidson), batches of "
          f"{args.batch}, 10,000-term list, one core, {args.rounds} interleaved rounds")
    for name, rs in runs.items():
        rates = ", ".join(f"{r['rate']:,.0f}" for r in rs)
        print(f"  {name:<22} best {max(r['rate'] for r in rs):>8,.0f} comments/s   (rounds: {rates})")
        ratios = ", ".join(f"{r['rate'] / r['url_rate']:.4f}" for r in rs)
        print(f"  {'':<22} rule / URL-regex pass, per round: {ratios} "
              f"(URL regex best {max(r['url_rate'] for r in rs):,.0f}/s)")
    before, after = (max(r["rate"] for r in rs) for rs in runs.values())
    print(f"  ratio after/before (best of each): {after / before:.2f}")
    per_round = [a["rate"] / b["rate"] for b, a in zip(*runs.values())]
    print("  ratio per round: " + ", ".join(f"{r:.2f}" for r in per_round))
    old, new = (rs[0]["findings"] for rs in runs.values())
    differ = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    print(f"  comments whose findings differ: {len(differ)} of {len(old):,}"
          + (f" (first: {', '.join(map(str, differ[:10]))})" if differ else ""))
    if differ:  # which parts fire on a different set of comments
        old_fired, new_fired = (rs[0]["fired"] for rs in runs.values())
        changes: dict[str, list[int]] = {}
        for a, b in zip(old_fired, new_fired):
            for rule in set(a) ^ set(b):
                changes.setdefault(rule, [0, 0])[rule in b] += 1
        for rule, (lost, gained) in sorted(changes.items()):
            print(f"    {rule:<18} fires on {gained} more and {lost} fewer comments")
        print("    (the rest differ only in evidence, e.g. a model's score)")
    if args.show_differences:
        from charter import load_corpus  # bench/charter.py, beside this script

        texts = load_corpus()
        for i in differ[:args.show_differences]:
            print(f"    {i}: {texts[i][:100]!r}")


if __name__ == "__main__":
    main()
