"""Backfill throughput and quota units of the YouTube connector against the fake Data API.

Runs the real google-api-python-client (bundled discovery document, httplib2, google-auth's
refresh-token credentials) over HTTP on 127.0.0.1 and prints: comments delivered, requests,
quota units (as the connector counted them and as the fake charged them), seconds, comments/s,
and the same GET requests replayed with a bare ``httplib2.Http`` (the fake server's and HTTP's
share), so the connector's own overhead shows as a ratio measured in the same run. Then one
incremental poll + hide after a new comment appears, and what polling at the default interval
costs a day against the default quota.

    /work/main/.venv/bin/python bench/youtube.py [--comments 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httplib2  # noqa: E402
from fakes.youtube import FakeYouTube  # noqa: E402

from connectors.youtube import YouTubeConnector  # noqa: E402

NOW = datetime.now(timezone.utc).replace(microsecond=0)
# Replies per thread, cycled: most threads get none, a few get many (as on real channels).
REPLIES = (0, 0, 0, 0, 0, 0, 0, 2, 4, 30)
AUTHORS = 3000
VIDEOS = 50
TEXT = ("Great video!! claim your reward at https://acme-rewards.example/claim?id={i} "
        "before it expires, thanks @AcmeBank")
DEFAULT_POLL = 300.0  # moderator/config.py: poll_every


def fill(fake: FakeYouTube, comments: int) -> None:
    """``comments`` comments over the last 20 days: threads on VIDEOS videos, replies cycled."""
    step = timedelta(days=20) / comments
    when, made, thread = NOW - timedelta(days=20), 0, 0
    while made < comments:
        top = fake.add_comment(TEXT.format(i=made), video=f"video{thread % VIDEOS:06d}",
                               author=f"user{made % AUTHORS}", when=when)
        made, when = made + 1, when + step
        for _ in range(min(REPLIES[thread % len(REPLIES)], comments - made)):
            fake.add_reply(top, TEXT.format(i=made), author=f"user{made % AUTHORS}", when=when)
            made, when = made + 1, when + step
        thread += 1


def connect(fake: FakeYouTube) -> YouTubeConnector:
    options = YouTubeConnector.parse_options(
        {"channel_id": fake.channel_id, "token_uri": fake.url + "/token",
         "lookback_days": 60}, path="bench")
    account = SimpleNamespace(name="bench-yt", api_base=fake.url, options=options)
    return YouTubeConnector.open(account, {"client_id": fake.client[0],
                                           "client_secret": fake.client[1],
                                           "refresh_token": next(iter(fake.refresh_tokens))})


def backfill(fake: FakeYouTube) -> tuple[int, int, int, int, float, str, YouTubeConnector]:
    connector = connect(fake)
    requests_before, units_before = fake.request_count, fake.units
    started = time.perf_counter()
    count, cursor = 0, None
    for batch in connector.fetch(None, since=NOW - timedelta(days=30)):
        count += len(batch.comments)
        cursor = batch.cursor
    elapsed = time.perf_counter() - started
    return (count, fake.request_count - requests_before, connector.meter.used,
            fake.units - units_before, elapsed, cursor, connector)


def replay(fake: FakeYouTube, start: int) -> float:
    """The same API GETs through a bare httplib2.Http and json.loads."""
    http = httplib2.Http()
    token = next(iter(fake.access_tokens))
    with fake.lock:
        sent = [r for r in fake.log[start:] if r.method == "GET"]
    started = time.perf_counter()
    for r in sent:
        query = "&".join(f"{k}={v}" for k, v in r.query.items())
        _, body = http.request(f"{fake.url}{r.path}?{query}",
                               headers={"authorization": f"Bearer {token}"})
        json.loads(body)
    return time.perf_counter() - started


def poll_and_act(fake: FakeYouTube, cursor: str, connector: YouTubeConnector
                 ) -> tuple[float, int, int, str]:
    thread = next(reversed(fake.threads))
    fake.add_reply(thread, "new scam https://acme-login.example", author="mallory",
                   when=datetime.now(timezone.utc))
    requests_before, units_before = fake.request_count, connector.meter.used
    started = time.perf_counter()
    batches = list(connector.fetch(cursor))
    new = [c for b in batches for c in b.comments]
    connector.hide(new[0])
    elapsed = time.perf_counter() - started
    assert len(new) == 1, len(new)
    return (elapsed, fake.request_count - requests_before, connector.meter.used - units_before,
            batches[-1].cursor)


def quiet_poll_units(fake: FakeYouTube, cursor: str, connector: YouTubeConnector) -> int:
    before = connector.meter.used
    list(connector.fetch(cursor))
    return connector.meter.used - before


class LoggedYouTube(FakeYouTube):
    """The fake, keeping every request (method, path, query) for the replay."""

    def __init__(self) -> None:
        super().__init__(daily_quota=10**9)
        self.log: list = []

    def route(self, request):  # type: ignore[no-untyped-def]
        self.log.append(request)
        return super().route(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"# {platform.python_version()} on {platform.machine()}, {args.comments} comments, "
          f"{AUTHORS} authors, replies per thread cycled {REPLIES}, median of {args.repeat}")
    with LoggedYouTube() as fake:
        fill(fake, args.comments)
        print(f"# {len(fake.threads)} threads on {VIDEOS} videos")
        runs, bare = [], []
        for _ in range(args.repeat):
            start = len(fake.log)
            count, reqs, units, charged, elapsed, cursor, connector = backfill(fake)
            runs.append(elapsed)
            bare.append(replay(fake, start))
        polls = []
        for _ in range(args.repeat):
            elapsed, poll_reqs, poll_units, cursor = poll_and_act(fake, cursor, connector)
            polls.append((elapsed, poll_reqs, poll_units))
        quiet = quiet_poll_units(fake, cursor, connector)
    secs, bare_secs = statistics.median(runs), statistics.median(bare)
    print(f"{'comments':>8} {'requests':>8} {'units':>6} {'charged':>7} {'seconds':>8} "
          f"{'comments/s':>10} {'bare HTTP s':>11} {'overhead':>8}")
    print(f"{count:>8} {reqs:>8} {units:>6} {charged:>7} {secs:>8.2f} {count / secs:>10.0f} "
          f"{bare_secs:>11.2f} {secs / bare_secs:>7.2f}x")
    poll_ms = statistics.median(p[0] for p in polls) * 1000
    print(f"\npoll + hide after one new reply: {poll_ms:.1f} ms, {polls[0][1]} requests, "
          f"{polls[0][2]} units (50 of them the hide)")
    per_day = 86_400 / DEFAULT_POLL
    print(f"a poll with nothing new: {quiet} units; at the default poll_every "
          f"({DEFAULT_POLL:g} s, {per_day:g} polls a day) {quiet * per_day:g} units a day of "
          f"the default 10,000, leaving {(10_000 - quiet * per_day) // 50:g} hides or deletes")


if __name__ == "__main__":
    main()
