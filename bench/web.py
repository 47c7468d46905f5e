"""The web inbox's speed targets: an inbox page over 10,000 pending items <= 200 ms, and an
approval <= 100 ms plus the platform call. Measured through the real server (waitress) over
HTTP on 127.0.0.1, on a store written by the store's own batch code.

    .venv/bin/python bench/web.py [--items 10000]

Writes nothing to the repo; bench/web.md records a run. Reported next to a ratio: the same
page's bare SQL query, so the web layer's own cost reads independently of the machine.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moderator import config, users  # noqa: E402
from moderator.models import (Action, Author, Category, Comment, Decision, Finding,  # noqa: E402
                              Mode, Severity)
from moderator.store import InboxFilter, Recorded, Store, now  # noqa: E402
from moderator.web.serve import Background  # noqa: E402

PASSWORD = "bench password 1"
RULES = ["links.lookalike", "charter.spam", "impersonation.handle", "custom.promo"]
SEVERITIES = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
CONFIG = """
[brand]
name = "Acme Bank"
domains = ["acmebank.com"]
[store]
path = "bench.db"
[[accounts]]
name = "acme-{n}"
platform = "file"
mode = "enforce"
path = "in.jsonl"
actions_file = "actions.jsonl"
"""


def fill(store: Store, account: str, count: int, rng: random.Random) -> None:
    """``count`` review items written the way effects.commit writes them."""
    start = now() - timedelta(days=30)
    for base in range(0, count, 1000):
        batch = []
        for i in range(base, min(base + 1000, count)):
            author = Author(id=f"u{i % 700}", handle=f"user{i % 700}", name=f"User {i}")
            comment = Comment(platform="file", account=account, id=f"c{i}",
                              text=f"comment {i} check out https://evil{i}.example/x " * 3,
                              author=author, created_at=start + timedelta(minutes=i))
            severity = rng.choice(SEVERITIES)
            finding = Finding(rule=rng.choice(RULES), category=Category.CHARTER,
                              severity=severity, reason="bench", evidence={"match": "x"})
            decision = Decision(Action.REVIEW, severity, "bench", (finding,))
            batch.append(Recorded(comment, (finding,), decision, "v1"))
        with store.atomic():
            store.record_batch(batch, mode=Mode.ENFORCE, run_id=None)
            for item in batch:
                store.enqueue(item.comment, Action.HIDE, item.decision, "v1")


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(17)
    root = Path(tempfile.mkdtemp(prefix="bench-web-"))
    (root / "in.jsonl").touch()
    (root / "moderator.toml").write_text(CONFIG.replace("{n}", "1"))
    settings = config.load(root / "moderator.toml")
    with Store(settings.store_path) as store:
        fill(store, "acme-1", args.items, rng)
        users.add(store, "bench", PASSWORD, "reviewer")
        pending = store.queue_size()
    server = Background(settings, "127.0.0.1", 0).start()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    get = lambda path: opener.open(server.url + path.lstrip("/"), timeout=30).read()  # noqa
    login = get("/login").decode()
    token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
    # the cookie is Secure; plain-http 127.0.0.1 counts as secure for browsers, not urllib
    for cookie in jar:
        cookie.secure = False
    opener.open(server.url + "login", urllib.parse.urlencode(
        {"csrf": token, "name": "bench", "password": PASSWORD}).encode(), timeout=30)
    for cookie in jar:
        cookie.secure = False
    inbox = get("/inbox").decode()
    assert "Review inbox" in inbox, "login failed"
    csrf = re.search(r'name="csrf" value="([^"]+)"', inbox).group(1)

    results = {}
    for label, path in (("static file (the server's floor)", "/static/app.css"),
                        ("inbox page 1", "/inbox"), ("inbox page 100", "/inbox?page=100"),
                        ("inbox filtered (rule + severity)",
                         "/inbox?rule=links.lookalike&severity=high"),
                        ("live rows fragment", "/inbox/rows"),
                        ("item page", f"/items/{args.items // 2}")):
        get(path)
        results[label] = timed(lambda: get(path), args.repeat)
    with Store(settings.store_path) as store:
        results["bare SQL of inbox page 1"] = timed(
            lambda: store.inbox_page(InboxFilter(), 0, 50), args.repeat)
        ids = [row["id"] for row in store.inbox_page(
            InboxFilter(), 0, args.repeat)[0]]
    approvals = []
    for item_id in ids:
        body = urllib.parse.urlencode({"csrf": csrf}).encode()
        started = time.perf_counter()
        opener.open(server.url + f"items/{item_id}/approve", body, timeout=30).read()
        approvals.append((time.perf_counter() - started) * 1000)
    results["approve (file platform: append one line)"] = approvals
    server.stop()

    print(f"# web inbox bench: {pending} pending items, {args.repeat} runs each, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n")
    print("| what | median ms | p90 ms | max ms |\n|---|---|---|---|")
    for label, values in results.items():
        values = sorted(values)
        print(f"| {label} | {statistics.median(values):.1f} | "
              f"{values[int(len(values) * 0.9) - 1]:.1f} | {values[-1]:.1f} |")
    page = statistics.median(results["inbox page 1"])
    floor = statistics.median(results["static file (the server's floor)"])
    print(f"\nratio inbox page 1 / a static file over the same server: {page / floor:.1f}")


if __name__ == "__main__":
    main()
