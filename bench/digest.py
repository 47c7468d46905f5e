"""How long building the daily digest takes as the store grows.

Fills stores with synthetic moderation history (comments spread over 30 days, 4 accounts, a
share flagged, hidden, queued, with link and impersonation evidence) through the Store's own
``effects.plan`` + ``effects.commit``, then times, for a 24-hour period: ``collect`` (all store queries), rendering
(text + HTML + MIME) and the message size. The same store is measured again with the digest's
time-range indexes (migration 0002) dropped, to show what they buy.

Run: /work/main/.venv/bin/python bench/digest.py [--sizes 30000,300000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moderator.store import clock as store_clock  # noqa: E402
from moderator.config import Settings, DigestSettings  # noqa: E402
from moderator.digest import Period, build_message, collect  # noqa: E402
from moderator.effects import Brake, commit, plan  # noqa: E402
from moderator.judge import Judged  # noqa: E402
from moderator.models import (Action, Author, Brand, Capabilities, Category,  # noqa: E402
                              Comment, Decision, Finding, Mode, Severity)
from moderator.store import Recorded, Store  # noqa: E402

DAYS = 30
ACCOUNTS = ("acme-facebook", "acme-x", "acme-reddit", "acme-instagram")
END = datetime(2026, 11, 25, 7, 0, tzinfo=timezone.utc)


def fill(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    real_now = store_clock.now
    step = timedelta(days=DAYS) / n
    with Store(path) as store:
        try:
            for start in range(0, n, 1000):
                batch_time = END - timedelta(days=DAYS) + step * start
                store_clock.now = lambda t=batch_time: t  # seen_at spread over the days
                for account in ACCOUNTS:
                    items = []
                    for i in range(start, min(start + 1000, n)):
                        if i % len(ACCOUNTS) != ACCOUNTS.index(account):
                            continue
                        r = _item(rng, account, i)
                        items.append(Judged(r.comment, list(r.findings), r.decision, []))
                    commit(store, plan(items, account=account, mode=Mode.ENFORCE,
                                       brake=Brake(False, 10**9, 10**9, 60),
                                       capabilities=Capabilities(hide=True, delete=True),
                                       rule_version="bench"))
        finally:
            store_clock.now = real_now


def _item(rng: random.Random, account: str, i: int) -> Recorded:
    roll = rng.random()
    findings: list[Finding] = []
    action = Action.NONE
    if roll < 0.03:
        domain = f"acme-login{rng.randrange(40)}.example"
        findings.append(Finding("links.lookalike", Category.LINK, Severity.HIGH,
                                f"{domain} imitates acmebank.com",
                                {"url": f"https://{domain}/verify", "registrable_domain": domain}))
        action = Action.HIDE
    elif roll < 0.04:
        findings.append(Finding("impersonation.handle", Category.IMPERSONATION, Severity.HIGH,
                                "imitates AcmeSupport", {"imitates": "AcmeSupport"}))
        action = Action.HIDE
    elif roll < 0.08:
        findings.append(Finding("charter.insult", Category.CHARTER, Severity.MEDIUM, "insult", {}))
        action = Action.REVIEW
    comment = Comment(platform=account.split("-")[1], account=account, id=f"c{i}",
                      text=f"comment {i} " + "lorem ipsum " * rng.randrange(1, 30),
                      author=Author(id=f"u{rng.randrange(n_authors)}",
                                    handle=f"user{rng.randrange(n_authors)}", name="Someone"))
    decision = Decision(action, findings[0].severity if findings else None,
                        findings[0].reason if findings else "", tuple(findings))
    return Recorded(comment, findings, decision, "bench")


n_authors = 5000


def drop_indexes(path: Path) -> None:
    with Store(path) as store:
        for name in ("comments_seen", "actions_at", "events_at"):
            store.db.execute(f"DROP INDEX IF EXISTS {name}")


def measure(path: Path, repeats: int) -> tuple[float, float, int]:
    settings = Settings(brand=Brand(name="Acme Bank"),
                        digest=DigestSettings(recipients=("a@example.com",)))
    period = Period(END - timedelta(hours=24), END)
    collects, renders, size = [], [], 0
    with Store(path) as store:
        for _ in range(repeats):
            started = time.perf_counter()
            digest = collect(store, settings, period, at=END)
            collects.append(time.perf_counter() - started)
            started = time.perf_counter()
            size = len(bytes(build_message(digest, settings.digest)))
            renders.append(time.perf_counter() - started)
    return statistics.median(collects), statistics.median(renders), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30000,300000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            path = work / f"s{n}.db"
            started = time.perf_counter()
            fill(path, n)
            filled = time.perf_counter() - started
            indexed = measure(path, args.repeats)
            drop_indexes(path)
            bare = measure(path, args.repeats)
            rows.append((n, filled, indexed, bare))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'comments':>9} {'per day':>8} {'fill s':>7} {'collect ms':>11} {'render ms':>10} "
          f"{'mail KB':>8} {'collect ms, no 0002 idx':>24} {'ratio':>6}")
    for n, filled, (c, r, size), (c0, _, _) in rows:
        print(f"{n:>9} {n // DAYS:>8} {filled:>7.1f} {c * 1000:>11.1f} {r * 1000:>10.1f} "
              f"{size / 1024:>8.1f} {c0 * 1000:>24.1f} {c0 / c:>6.1f}")


if __name__ == "__main__":
    main()
