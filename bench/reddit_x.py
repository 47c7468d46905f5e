"""Backfill throughput of the Reddit and X connectors through the real praw/tweepy clients.

Each platform's fake server (tests/fakes/) is filled with N comments; the connector then reads
them all with no cursor (a backfill), at the API's maximum page size (100). We report comments/s,
the HTTP requests made, and for comparison the same pages fetched with bare ``requests`` (no
client library, no mapping): the floor set by the fake server itself. Then one incremental poll
that finds one new comment and hides it: the connector's share of the time from a comment
appearing to its action (the daemon's poll interval comes on top).

    /work/main/.venv/bin/python bench/reddit_x.py [--comments 20000] [--runs 3]
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

from connectors.reddit import RedditConnector  # noqa: E402
from connectors.retry import RetryPolicy  # noqa: E402
from connectors.x import XConnector  # noqa: E402
from moderator.config import AccountSettings  # noqa: E402
from tests.fakes.reddit import FakeReddit  # noqa: E402
from tests.fakes.x import FakeX  # noqa: E402

RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)


def reddit_setup(n: int, budget: int = 10 ** 9
                 ) -> tuple[FakeReddit, Callable[[], Any], Callable[[], str]]:
    # By default a budget that never runs out: we measure the stack, not Reddit's pacing.
    fake = FakeReddit(client_id="id", client_secret="secret", password="pw",
                      ratelimit_limit=budget).start()
    post = fake.add_submission("acme", title="Busy thread", author="someone_else")
    for i in range(n):
        fake.add_comment("acme", f"comment {i} see https://example.com/{i}", submission=post,
                         author=f"user{i % 997}")
    account = AccountSettings(name="acme-reddit", platform="reddit", api_base=fake.url,
                              options=RedditConnector.parse_options(
                                  {"subreddits": ["acme"]}, path="accounts[0]"))
    secrets = {"client_id": "id", "client_secret": "secret", "username": "acme_mod",
               "password": "pw"}
    return (fake, lambda: RedditConnector.open(account, secrets, retry=RETRY),
            lambda: fake.add_comment("acme", "new one", submission=post))


def x_setup(n: int) -> tuple[FakeX, Callable[[], Any], Callable[[], str]]:
    fake = FakeX(token="tok").start()
    post = fake.add_post("Busy thread")
    for i in range(n):  # replies start with @AcmeBank: in mentions AND in the conversation
        fake.add_reply(post, f"reply {i}", author=f"user{i % 997}",
                       urls=[f"https://example.com/{i}"])
    account = AccountSettings(name="acme-x", platform="x", api_base=fake.url,
                              options=XConnector.parse_options({}, path="accounts[1]"))
    return (fake, lambda: XConnector.open(account, {"bearer_token": "tok"}, retry=RETRY),
            lambda: fake.add_reply(post, "new one", author="late"))


def floor_reddit(fake: FakeReddit, session: requests.Session, token: str) -> int:
    """The same listing pages with bare requests: what the fake server alone costs."""
    after, count = None, 0
    while True:
        params = {"limit": "100", "raw_json": "1", **({"after": after} if after else {})}
        data = session.get(f"{fake.url}/r/acme/comments/", params=params,
                           headers={"Authorization": f"bearer {token}"}).json()["data"]
        count += len(data["children"])
        after = data["after"]
        if not after:
            return count


def floor_x(fake: FakeX, session: requests.Session) -> int:
    token, count = None, 0
    while True:
        params = {"max_results": "100", "expansions": "author_id",
                  "tweet.fields": "author_id,conversation_id,created_at,entities,"
                                  "in_reply_to_user_id,referenced_tweets",
                  "user.fields": "created_at,name,username",
                  **({"pagination_token": token} if token else {})}
        body = session.get(f"{fake.url}/2/users/{fake.owner_id}/mentions", params=params,
                           headers={"Authorization": "Bearer tok"}).json()
        count += len(body.get("data", []))
        token = body["meta"].get("next_token")
        if not token:
            return count


def run(name: str, kind: str, setup: Callable, n: int, runs: int, *,
        floor: bool = True) -> dict[str, Any]:
    fake, open_connector, add_new = setup(n)
    try:
        rates, seconds, requests_made, counts = [], [], [], []
        for _ in range(runs):
            connector = open_connector()
            before = fake.request_count
            start = time.perf_counter()
            comments = 0
            cursor = None
            for batch in connector.fetch(None):
                comments += len(batch.comments)
                cursor = batch.cursor
            took = time.perf_counter() - start
            counts.append(comments)
            seconds.append(took)
            rates.append(comments / took)
            requests_made.append(fake.request_count - before)
        # the floor: bare HTTP for the main listing only
        session = requests.Session()
        if not floor:  # unpaced requests would eat the budget the client is pacing to
            start, floor_n = time.perf_counter(), float("nan")
        elif kind == "reddit":
            token = next(iter(fake.tokens))
            start = time.perf_counter()
            floor_n = floor_reddit(fake, session, token)
        else:
            start = time.perf_counter()
            floor_n = floor_x(fake, session)
        floor_rate = floor_n / (time.perf_counter() - start)
        # one new comment: incremental poll + hide, the connector's share of the latency
        latencies = []
        for _ in range(runs):
            new_id = add_new()
            start = time.perf_counter()
            found = []
            for batch in connector.fetch(cursor):
                found += batch.comments
                cursor = batch.cursor
            assert [c.id for c in found] == [new_id], found
            connector.hide(found[0])
            latencies.append((time.perf_counter() - start) * 1000)
        return {"platform": name, "comments": counts[0], "seconds": statistics.median(seconds),
                "rate": statistics.median(rates), "requests": requests_made[0],
                "floor_rate": floor_rate, "poll_ms": statistics.median(latencies)}
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--paced", type=int, default=2000,
                        help="comments for one Reddit run under its real budget, 1000 requests "
                             "per 600 s, which prawcore paces (0 to skip)")
    args = parser.parse_args()
    rows = [run("reddit", "reddit", reddit_setup, args.comments, args.runs),
            run("x", "x", x_setup, args.comments, args.runs)]
    if args.paced:
        rows.append(run("reddit*", "reddit", lambda n: reddit_setup(n, budget=1000),
                        args.paced, 1, floor=False))
    print(f"backfill of {args.comments} comments, page size 100, median of {args.runs} runs")
    print(f"{'platform':<9}{'comments':>9}{'seconds':>9}{'comments/s':>12}{'requests':>10}"
          f"{'bare HTTP/s':>13}{'poll+hide ms':>14}")
    for r in rows:
        print(f"{r['platform']:<9}{r['comments']:>9}{r['seconds']:>9.2f}{r['rate']:>12.0f}"
              f"{r['requests']:>10}{r['floor_rate']:>13.0f}{r['poll_ms']:>14.1f}")
    if args.paced:
        print("reddit*: the fake announces Reddit's real budget (x-ratelimit-*: 1000 requests per "
              "600 s); prawcore paces the requests to it")


if __name__ == "__main__":
    main()
