"""Charter rule: quality on real data and speed. Prints the tables recorded in bench/charter.md.

    .venv/bin/python bench/charter.py            # everything (about 2 minutes)
    .venv/bin/python bench/charter.py --no-spam  # skip the 3-way spam retraining

Runs on one core: BLAS/OpenMP threads are pinned to 1 before numpy loads.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from moderator.models import Author, Brand, Category, Comment, Severity  # noqa: E402
from rules.charter import flood, pii  # noqa: E402
from rules.charter import CharterRule  # noqa: E402
from rules.charter.config import BUILTIN_LISTS, DATA, _read_terms  # noqa: E402
from rules.charter.offensive import profanity_scores  # noqa: E402
from rules.charter.spam import spam_model  # noqa: E402
from rules.text import views as views_of_text  # noqa: E402
from rules.charter.terms import TermList, TermMatcher  # noqa: E402
from rules.charter.termviews import term_views as _views  # noqa: E402
from tests import pii_labeled  # noqa: E402

from core import DATA as SHARED, shared  # noqa: E402  (bench/core.py)
DAVIDSON = SHARED / "offensive_davidson" / "labeled_data.csv"


def load_corpus() -> list[str]:
    texts = []
    for path in sorted((SHARED / "youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            texts += [r["CONTENT"] for r in csv.DictReader(f)]
    with DAVIDSON.open(encoding="utf-8", newline="") as f:
        texts += [r["tweet"] for r in csv.DictReader(f)]
    return texts


def rate(label: str, n: int, seconds: float) -> None:
    print(f"  {label:<52} {n / seconds:>12,.0f} comments/s")


# -- quality -------------------------------------------------------------------------------

def bench_spam() -> None:
    import train_spam
    print("\nSpam: train on two YouTube videos, test on the third (threshold chosen on the training"
          " videos only)")
    print(f"  {'held-out video':<22} {'n':>5} {'spam':>5} {'thr':>5} {'prec':>6} {'recall':>6} "
          f"{'F1':>6} {'FPR':>6}")
    for r in train_spam.evaluate():
        print(f"  {r['held_out']:<22} {r['n']:>5} {r['spam']:>5} {r['threshold']:>5.2f} "
              f"{r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f} {r['fpr']:>6.3f}")


def bench_offensive() -> None:
    with DAVIDSON.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    texts = [r["tweet"] for r in rows]
    y = np.array([int(r["class"]) for r in rows])  # 0 hate, 1 offensive, 2 neither
    views = [_views(t) for t in texts]
    scores = profanity_scores([v[0] for v in views])

    def term_flags(names):
        lists = [TermList(n, Category.CHARTER, Severity.MEDIUM, "", tuple(_read_terms(DATA / BUILTIN_LISTS[n][0])))
                 for n in names]
        matcher = TermMatcher(lists)
        return np.array([bool(matcher.search(v)) for v in views])

    terms_en = term_flags(["profanity-en"])
    terms_all = term_flags(["profanity-en", "scam-en"])
    print(f"\nOffensive: Davidson et al. tweets (n={len(y):,}: hate {int((y == 0).sum()):,}, "
          f"offensive {int((y == 1).sum()):,}, neither {int((y == 2).sum()):,})")
    print("  NOTE: alt-profanity-check was TRAINED on this data set; its rows are training scores.")
    print(f"  {'detector':<34} {'recall o+h':>10} {'recall hate':>11} {'precision':>9} "
          f"{'F1':>6} {'flagged neither':>15}")
    positive = y != 2
    for label, flags in [("model >= 0.3", scores >= 0.3), ("model >= 0.5 (default)", scores >= 0.5),
                         ("model >= 0.7", scores >= 0.7), ("model >= 0.9", scores >= 0.9),
                         ("terms: profanity-en", terms_en),
                         ("terms: profanity-en + scam-en (default)", terms_all),
                         ("model >= 0.5 OR default terms", (scores >= 0.5) | terms_all)]:
        tp = int((flags & positive).sum())
        fp = int((flags & ~positive).sum())
        recall = tp / positive.sum()
        precision = tp / (tp + fp) if tp + fp else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"  {label:<34} {recall:>10.3f} {(flags & (y == 0)).sum() / (y == 0).sum():>11.3f} "
              f"{precision:>9.3f} {f1:>6.3f} {fp / (~positive).sum():>15.3f}")


def bench_ordinary() -> None:
    """How often each part fires on ordinary comments: the ham of the YouTube videos."""
    ham = []
    for path in sorted((SHARED / "youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            ham += [r["CONTENT"] for r in csv.DictReader(f) if r["CLASS"] == "0"]
    rule = CharterRule.from_config({"spam": {"enabled": False}}, Brand(name="Acme"),
                                   path="rules.charter")
    comments = [Comment("bench", "acme", str(i), x, author=Author(id=f"u{i}")) for i, x in enumerate(ham)]
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    for findings, c in zip(rule.check_batch(comments), comments):
        for rule_name in {f.rule for f in findings}:
            counts[rule_name] = counts.get(rule_name, 0) + 1
            examples.setdefault(rule_name, c.text[:60])
    print(f"\nOrdinary comments: YouTube ham (n={len(ham)}), default settings; spam part off "
          "(the shipped model was trained on them)")
    for rule_name in ("charter.terms", "charter.offensive", "charter.pii", "charter.flood"):
        n = counts.get(rule_name, 0)
        print(f"  {rule_name:<20} flagged {n:>4} ({n / len(ham):.1%})"
              + (f"  e.g. {examples[rule_name]!r}" if rule_name in examples else ""))


def bench_pii() -> None:
    items = pii_labeled.load()
    per_kind = pii_labeled.score(items)
    negatives = sum(1 for i in items if not i["pii"])
    print(f"\nPersonal data: tests/data/pii_labeled.jsonl ({len(items)} comments, {negatives} "
          f"look-alikes without personal data)")
    print(f"  {'kind':<12} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>6}")
    total = [sum(c[i] for c in per_kind.values()) for i in range(3)]
    for kind, (tp, fp, fn) in sorted(per_kind.items()) + [("ALL", total)]:
        print(f"  {kind:<12} {tp:>4} {fp:>4} {fn:>4} {tp / max(tp + fp, 1):>9.3f} "
              f"{tp / max(tp + fn, 1):>6.3f}")


# -- speed ---------------------------------------------------------------------------------

def ten_thousand_terms() -> list[str]:
    """The bundled lists plus invented words, 10,000 in all (invented words rarely match,
    which is the usual case for a charter's list on ordinary comments)."""
    terms = [t for name in BUILTIN_LISTS for t in _read_terms(DATA / BUILTIN_LISTS[name][0])]
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz"
    while len(terms) < 10_000:
        word = "".join(rng.choice(letters) for _ in range(rng.randint(5, 10)))
        terms.append(word if rng.random() < 0.7 else word + " " + "".join(
            rng.choice(letters) for _ in range(rng.randint(3, 7))))
    return terms[:10_000]


def bench_speed(texts: list[str]) -> None:
    brand = Brand(name="Acme", domains=("acme.com",), staff=("Jane Smith",))
    terms = ten_thousand_terms()
    print(f"\nSpeed, one core: {len(texts):,} real comments (YouTube + Davidson), mean "
          f"{sum(map(len, texts)) / len(texts):.0f} characters")
    t = time.perf_counter()
    matcher = TermMatcher([TermList("big", Category.CHARTER, Severity.MEDIUM, "", tuple(terms))])
    print(f"  build automaton, 10,000 terms: {time.perf_counter() - t:.3f} s")

    t = time.perf_counter()
    views = [_views(x) for x in texts]
    normalize_s = time.perf_counter() - t
    best = min(_timed(lambda: [matcher.search(v) for v in views]) for _ in range(3))
    rate("terms alone, 10,000 terms (views precomputed)", len(texts), best)
    rate("normalization alone (rules.charter.termviews)", len(texts), normalize_s)
    t = time.perf_counter()
    [views_of_text(x) for x in texts]
    rate("  (for comparison: rules.text.views)", len(texts), time.perf_counter() - t)
    rate("terms incl. normalization", len(texts), best + normalize_s)

    comments = [Comment("bench", "acme", str(i), x, author=Author(id=f"u{i % 997}"))
                for i, x in enumerate(texts)]
    rule = CharterRule.from_config({"lists": [{"name": "big", "terms": terms}]}, brand,
                                   path="rules.charter")
    rule.check_batch(comments[:10])  # load the models outside the timing
    for size in (1000,):
        t = time.perf_counter()
        for i in range(0, len(comments), size):
            rule.check_batch(comments[i:i + size])
        rate(f"whole charter rule, batches of {size}, all parts on", len(texts),
             time.perf_counter() - t)
    per_comment = comments[:2000]
    t = time.perf_counter()
    for c in per_comment:
        rule.check_batch([c])
    rate("whole charter rule, one comment per call", len(per_comment), time.perf_counter() - t)

    print("  parts of the batched rule:")
    folded = [v[0] for v in views]
    options = rule.pii_options
    for label, fn in [
        ("offensive model (batched)", lambda: profanity_scores(folded)),
        ("spam classifier (batched)", lambda: spam_model().scores(texts, folded)),
        ("personal data", lambda: [pii.find_pii(x, options, f) for x, f in zip(texts, folded)]),
        ("flood (batch of all, no history)", lambda: flood.check(comments, (), folded=folded)),
    ]:
        rate("  " + label, len(texts), _timed(fn))


def bench_bad_input() -> None:
    print("\nBad input")
    terms = [f"term{i:06d}" for i in range(100_000)]
    t = time.perf_counter()
    rule = CharterRule.from_config({"builtin_lists": [], "lists": [{"name": "huge", "terms": terms}]},
                                   Brand(), path="rules.charter")
    print(f"  from_config with a 100,000-term list: {time.perf_counter() - t:.2f} s")
    for label, text in [("1 MB of one letter", "a" * 1_000_000),
                        ("1 MB of words and digits", ("call 555 0100 fuck www.x.com " * 40_000)[:1_000_000]),
                        ("1 MB of mixed scripts", ("Ωmega мир 世界 🙂 ١٢٣ " * 60_000)[:1_000_000])]:
        t = time.perf_counter()
        rule.check_batch([Comment("bench", "acme", "x", text)])
        print(f"  one comment, {label} (capped to max_text_chars=20,000): "
              f"{time.perf_counter() - t:.3f} s")
    print(f"  peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description="charter rule benchmark")
    parser.add_argument("--no-spam", action="store_true", help="skip the spam retraining")
    args = parser.parse_args()
    shared("offensive_davidson", "labeled_data.csv")  # or exits: the data is not beside us
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"Python {platform.python_version()}")
    if not args.no_spam:
        bench_spam()
    bench_offensive()
    bench_ordinary()
    bench_pii()
    bench_speed(load_corpus())
    bench_bad_input()


if __name__ == "__main__":
    main()
