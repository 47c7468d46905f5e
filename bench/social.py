"""Backfill throughput of the Bluesky and Mastodon connectors through the real atproto SDK and
Mastodon.py clients.

Each platform's fake server (tests/fakes/) is filled with N replies to the account's post (each
one a notification: a Bluesky reply, a Mastodon mention); the connector then reads them all with
no cursor (a backfill) at the API's largest page (Bluesky 100 notifications, Mastodon 80). We
report comments/s, the HTTP requests made, and for comparison the same pages fetched with bare
``requests`` (no client library, no mapping): the floor set by the fake server itself. Then one
incremental poll that finds one new comment and acts on it (Bluesky: hide, through the thread
gate; Mastodon: ban, a block, since it cannot hide): the connector's share of the time from a
comment appearing to its action (the daemon's poll interval comes on top, see bench/latency.py).

The thread walk (``watch_posts``) is off for the backfill numbers: with it on, the same replies
are read a second time through ``getPostThread`` / ``/context`` (the "+threads" rows).

    .venv/bin/python bench/social.py [--comments 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from connectors.bluesky import BlueskyConnector  # noqa: E402
from connectors.mastodon import MastodonConnector  # noqa: E402
from connectors.retry import RetryPolicy  # noqa: E402
from moderator.config import AccountSettings  # noqa: E402
from tests.fakes.bluesky import FakeBluesky  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402

RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)


def bluesky_setup(n: int, threads: bool) -> tuple[Any, Callable[[], Any], Callable[[], str],
                                                  str]:
    fake = FakeBluesky(password="pw").start()
    posts = []
    for i in range(n):  # a new post every 250 replies: a thread gate hides at most 300
        if i % 250 == 0:
            posts.append(fake.add_post(fake.owner, f"Busy thread {len(posts)}"))
        fake.add_reply(posts[-1], f"reply {i}", author=f"user{i % 997}.bsky.social",
                       links=[(f"https://example.com/{i}", f"example.com/{i}")])
    account = AccountSettings(name="acme-bsky", platform="bluesky", api_base=fake.url,
                              options=BlueskyConnector.parse_options(
                                  {"watch_posts": 20 if threads else 0}, path="accounts[0]"))
    secrets = {"handle": "acme.bsky.social", "app_password": "pw"}
    return (fake, lambda: BlueskyConnector.open(account, secrets, retry=RETRY),
            lambda: fake.add_reply(posts[-1], "new one", author="late.bsky.social"), "hide")


def mastodon_setup(n: int, threads: bool) -> tuple[Any, Callable[[], Any], Callable[[], str],
                                                   str]:
    fake = FakeMastodon(token="tok").start()
    post = fake.add_post("Busy thread")
    for i in range(n):
        fake.add_reply(post, f"reply {i}", author=f"user{i % 997}",
                       links=[(f"https://example.com/{i}", f"example.com/{i}")])
    account = AccountSettings(name="acme-masto", platform="mastodon", api_base=fake.url,
                              options=MastodonConnector.parse_options(
                                  {"watch_posts": 20 if threads else 0}, path="accounts[0]"))
    return (fake, lambda: MastodonConnector.open(account, {"access_token": "tok"}, retry=RETRY),
            lambda: fake.add_reply(post, "new one", author="late"), "ban")


def floor_bluesky(fake: FakeBluesky, session: requests.Session) -> int:
    token = session.post(f"{fake.url}/xrpc/com.atproto.server.createSession",
                         json={"identifier": "acme.bsky.social", "password": "pw"}
                         ).json()["accessJwt"]
    cursor, count = None, 0
    while True:
        body = session.get(f"{fake.url}/xrpc/app.bsky.notification.listNotifications",
                           params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                           headers={"Authorization": f"Bearer {token}"}).json()
        count += len(body["notifications"])
        cursor = body.get("cursor")
        if not cursor:
            return count


def floor_mastodon(fake: FakeMastodon, session: requests.Session) -> int:
    max_id, count = None, 0
    while True:
        page = session.get(f"{fake.url}/api/v1/notifications",
                           params={"limit": 80, "types[]": "mention",
                                   **({"max_id": max_id} if max_id else {})},
                           headers={"Authorization": "Bearer tok"}).json()
        if not page:
            return count
        count += len(page)
        max_id = page[-1]["id"]


FLOORS = {"bluesky": floor_bluesky, "mastodon": floor_mastodon}


def run(name: str, setup: Callable, n: int, runs: int, threads: bool) -> dict[str, Any]:
    fake, open_connector, add_new, action = setup(n, threads)
    try:
        rates, seconds, requests_made, counts = [], [], [], []
        for _ in range(runs):
            connector = open_connector()
            before = fake.request_count
            start = time.perf_counter()
            comments, cursor = 0, None
            for batch in connector.fetch(None):
                comments += len(batch.comments)
                cursor = batch.cursor
            took = time.perf_counter() - start
            counts.append(comments)
            seconds.append(took)
            rates.append(comments / took)
            requests_made.append(fake.request_count - before)
        start = time.perf_counter()
        floor_n = FLOORS[name](fake, requests.Session())
        floor_rate = floor_n / (time.perf_counter() - start)
        latencies, poll_requests = [], []
        for _ in range(runs):
            new_id = add_new()
            before = fake.request_count
            start = time.perf_counter()
            found = []
            for batch in connector.fetch(cursor):
                found += batch.comments
                cursor = batch.cursor
            assert [c.id for c in found] == [new_id], found
            getattr(connector, action)(found[0])
            latencies.append((time.perf_counter() - start) * 1000)
            poll_requests.append(fake.request_count - before)
        return {"platform": name + ("+threads" if threads else ""), "comments": counts[0],
                "seconds": statistics.median(seconds), "rate": statistics.median(rates),
                "requests": requests_made[0], "floor_rate": floor_rate,
                "poll_ms": statistics.median(latencies), "action": action,
                "poll_requests": poll_requests[0]}
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--thread-comments", type=int, default=2000,
                        help="comments for the runs with the thread walk on (0 to skip)")
    args = parser.parse_args()
    rows = [run("bluesky", bluesky_setup, args.comments, args.runs, False),
            run("mastodon", mastodon_setup, args.comments, args.runs, False)]
    if args.thread_comments:
        rows += [run("bluesky", bluesky_setup, args.thread_comments, 1, True),
                 run("mastodon", mastodon_setup, args.thread_comments, 1, True)]
    print(f"backfill, median of {args.runs} runs (+threads: one run)")
    print(f"{'platform':<18}{'comments':>9}{'seconds':>9}{'comments/s':>12}{'requests':>10}"
          f"{'bare HTTP/s':>13}{'poll+act ms':>13}{'poll reqs':>10}")
    for r in rows:
        print(f"{r['platform']:<18}{r['comments']:>9}{r['seconds']:>9.2f}{r['rate']:>12.0f}"
              f"{r['requests']:>10}{r['floor_rate']:>13.0f}{r['poll_ms']:>13.1f}"
              f"{r['poll_requests']:>10}  ({r['action']})")


if __name__ == "__main__":
    main()
