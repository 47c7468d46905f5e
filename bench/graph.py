"""Backfill throughput of the Facebook and Instagram connectors against the fake Graph API.

Runs the real facebook-sdk client over HTTP on 127.0.0.1 (page size at the API maximum, 100)
and prints, per platform: comments, requests made, seconds, comments/s, and the same request
list replayed with a bare ``requests.Session`` (what the fake server and HTTP cost alone), so
the connector's own overhead shows as a ratio measured in the same run. Then one incremental
poll + hide after a new comment appears (what the daemon adds on top of its poll interval).

    /work/main/.venv/bin/python bench/graph.py [--comments 20000] [--posts 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402
from fakes.graph import FakeGraph, graph_time  # noqa: E402

from connectors.facebook import FacebookConnector  # noqa: E402
from connectors.instagram import InstagramConnector  # noqa: E402

TOKEN = "bench-token"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
TEXT = ("Great offer!! claim your reward at https://acme-rewards.example/claim?id={i} "
        "before it expires, thanks @acmebank")


def stamp(minutes_ago: float) -> str:
    return graph_time(NOW - timedelta(minutes=minutes_ago))


def fill_facebook(fake: FakeGraph, comments: int, posts: int) -> None:
    fake.add_page("1000")
    per_post = comments // posts
    for p in range(posts):
        post = fake.add_post("1000", stamp(60 * 24 * 20 - p * 60), f"post {p}")
        parent = None
        for i in range(per_post):
            is_reply = parent is not None and i % 5 == 4  # a fifth are replies
            cid = fake.add_fb_comment(post, TEXT.format(i=i), stamp(60 * 24 * 19 - p * 60 - i * 0.1),
                                      author=(str(5_000_000 + i), f"User {i}"),
                                      parent=parent if is_reply else None,
                                      link="https://acme-rewards.example/" if i % 10 == 0 else None)
            parent = cid if not is_reply else parent


def fill_instagram(fake: FakeGraph, comments: int, posts: int) -> None:
    fake.add_ig_user("1784")
    per_media = comments // posts
    for m in range(posts):
        media = fake.add_media("1784", stamp(60 * 24 * 20 - m * 60), f"media {m}")
        top = None
        for i in range(per_media):
            is_reply = top is not None and i % 5 == 4
            cid = fake.add_ig_comment(media, TEXT.format(i=i), stamp(60 * 24 * 19 - m * 60 - i * 0.1),
                                      username=f"user_{i}", user_id=str(9_000_000 + i),
                                      parent=top if is_reply else None)
            top = cid if not is_reply else top


def account(kind: str, fake: FakeGraph) -> SimpleNamespace:
    cls = FacebookConnector if kind == "facebook" else InstagramConnector
    table = {"page_id": "1000"} if kind == "facebook" else {"ig_user_id": "1784"}
    options = cls.parse_options({**table, "lookback_days": 60, "page_size": 100}, path="bench")
    return SimpleNamespace(name=f"bench-{kind}", api_base=fake.base_url, options=options)


def backfill(kind: str, fake: FakeGraph) -> tuple[int, int, float, list]:
    cls = FacebookConnector if kind == "facebook" else InstagramConnector
    connector = cls.open(account(kind, fake), {"access_token": TOKEN})
    before = fake.request_count()
    started = time.perf_counter()
    count = 0
    cursor = None
    for batch in connector.fetch(None, since=NOW - timedelta(days=30)):
        count += len(batch.comments)
        cursor = batch.cursor
    elapsed = time.perf_counter() - started
    return count, fake.request_count() - before, elapsed, [cursor, connector]


def replay(fake: FakeGraph, start: int) -> float:
    """The same GETs through a bare requests.Session: the server's and HTTP's share."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    sent = [r for r in fake.requests[start:] if r.method == "GET"]
    started = time.perf_counter()
    for r in sent:
        session.get(fake.base_url.rstrip("/") + r.path,
                    params={k: v[-1] for k, v in r.query.items()}).json()
    return time.perf_counter() - started


def poll_and_act(kind: str, fake: FakeGraph, cursor: str,
                 connector) -> tuple[float, int, str]:
    if kind == "facebook":
        post = fake.edges[("1000", "posts")][-1]
        fake.add_fb_comment(post, "new scam https://acme-login.example", stamp(0))
    else:
        media = fake.edges[("1784", "media")][-1]
        fake.add_ig_comment(media, "new scam https://acme-login.example", stamp(0))
    before = fake.request_count()
    started = time.perf_counter()
    batches = list(connector.fetch(cursor))
    new = [c for b in batches for c in b.comments]
    connector.hide(new[0])
    elapsed = time.perf_counter() - started
    assert len(new) == 1, len(new)
    return elapsed, fake.request_count() - before, batches[-1].cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"# {platform.python_version()} on {platform.machine()}, "
          f"{args.comments} comments over {args.posts} posts/media, page size 100, "
          f"median of {args.repeat}")
    print(f"{'platform':10} {'comments':>8} {'requests':>8} {'seconds':>8} {'comments/s':>10} "
          f"{'bare HTTP s':>11} {'overhead':>8} {'poll+hide ms':>12} {'poll reqs':>9}")
    for kind in ("facebook", "instagram"):
        with FakeGraph(token=TOKEN) as fake:
            (fill_facebook if kind == "facebook" else fill_instagram)(fake, args.comments,
                                                                       args.posts)
            runs, bare, polls = [], [], []
            for _ in range(args.repeat):
                start = fake.request_count()
                count, reqs, elapsed, (cursor, connector) = backfill(kind, fake)
                runs.append(elapsed)
                bare.append(replay(fake, start))
            for _ in range(args.repeat):  # after the backfills, so they all read the same
                elapsed, poll_reqs, cursor = poll_and_act(kind, fake, cursor, connector)
                polls.append((elapsed, poll_reqs))
            secs, bare_secs = statistics.median(runs), statistics.median(bare)
            poll_ms = statistics.median(p[0] for p in polls) * 1000
            print(f"{kind:10} {count:>8} {reqs:>8} {secs:>8.2f} {count / secs:>10.0f} "
                  f"{bare_secs:>11.2f} {secs / bare_secs:>7.2f}x {poll_ms:>12.1f} "
                  f"{polls[0][1]:>9}")


if __name__ == "__main__":
    main()
