"""Instagram connector: the real facebook-sdk client over HTTP against the fake Graph API."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from tests.fakes.graph import FakeGraph, graph_time
from tests.fakes.harness import Sleeps, read_all

from connectors import CONNECTORS
from connectors.base import Connector
from connectors.instagram import InstagramConnector
from connectors.retry import RetryPolicy
from moderator import config
from moderator.errors import (AuthFailed, ConfigError, RateLimited,
                              TransientError, UnsupportedAction)

TOKEN = "IGQV-user-token-s3cr3t-value"
IG_USER = "17841405309211844"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ts(minutes_ago: float) -> str:
    return graph_time(NOW - timedelta(minutes=minutes_ago))


@pytest.fixture
def fake():
    with FakeGraph(token=TOKEN) as server:
        server.add_ig_user(IG_USER)
        yield server


def connect(fake, sleeps: Sleeps | None = None, *, token: str = TOKEN, **options):
    table = {"name": "acme-ig", "platform": "instagram", "api_base": fake.base_url,
             "ig_user_id": IG_USER, "secrets": {"access_token": "ACME_IG_TOKEN"}, **options}
    account = config.parse({"accounts": [table]}).accounts[0]
    return CONNECTORS["instagram"].open(
        account, {"access_token": token},
        retry=RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.005, max_rate_limit_wait=5),
        sleep=sleeps if sleeps is not None else Sleeps())



def test_reads_media_comments_and_replies_with_handles(fake):
    media = fake.add_media(IG_USER, ts(120), "New card")
    top = fake.add_ig_comment(media, "DM acme_support_desk for a refund", ts(60),
                              username="acme_support_desk", user_id="777")
    reply = fake.add_ig_comment(media, "@acme_support_desk really?", ts(30), parent=top)
    no_from = fake.add_ig_comment(media, "nice", ts(10), username="someone", user_id=None)
    connector = connect(fake)
    assert isinstance(connector, Connector)

    comments, _ = read_all(connector)

    assert [c.id for c in comments] == [top, reply, no_from]
    c = comments[0]
    assert (c.platform, c.thread_id, c.parent_id) == ("instagram", media, None)
    assert (c.author.id, c.author.handle) == ("777", "acme_support_desk")
    assert c.permalink == fake.objects[media]["permalink"]
    assert comments[1].parent_id == top
    assert (comments[2].author.id, comments[2].author.handle) == (None, "someone")


def test_long_reply_threads_are_paged(fake):
    media = fake.add_media(IG_USER, ts(500))
    top = fake.add_ig_comment(media, "question", ts(400))
    replies = [fake.add_ig_comment(media, f"r{i}", ts(300 - i), parent=top) for i in range(40)]
    comments, _ = read_all(connect(fake))
    assert [c.id for c in comments] == [top, *replies]
    assert any(r.path.endswith(f"/{top}/replies") for r in fake.requests)


def test_incremental_and_quiet_media_are_not_read(fake):
    quiet = fake.add_media(IG_USER, ts(300))
    media = fake.add_media(IG_USER, ts(200))
    fake.add_ig_comment(media, "first", ts(100))
    connector = connect(fake)
    _, batches = read_all(connector)
    assert not any(quiet in r.path for r in fake.requests)  # comments_count == 0

    later = fake.add_ig_comment(media, "later", ts(1))
    comments, batches = read_all(connector, batches[-1].cursor)
    assert [c.id for c in comments] == [later]
    assert read_all(connector, batches[-1].cursor)[0] == []


def test_backfill_window_and_page_size(fake):
    media = fake.add_media(IG_USER, ts(60 * 24 * 5))
    for i in range(230):
        fake.add_ig_comment(media, f"c{i}", ts(60 * 24 * 4 - i * 10))
    connector = connect(fake)
    everything, _ = read_all(connector)
    assert len(everything) == 230
    assert fake.request_count() == 1 + 3  # media + three pages of 100
    since = NOW - timedelta(minutes=60 * 24 * 4 - 100)
    until = NOW - timedelta(minutes=60 * 24 * 4 - 200)
    window, _ = read_all(connector, since=since, until=until)
    assert [c.text for c in window] == [f"c{i}" for i in range(10, 20)]


def test_hide_unhide_delete(fake):
    media = fake.add_media(IG_USER, ts(100))
    bad = fake.add_ig_comment(media, "free followers at hxxp://x", ts(50))
    connector = connect(fake)
    target = read_all(connector)[0][0]
    connector.hide(target)
    assert read_all(connector)[0][0].raw["hidden"] is True
    connector.unhide(target)
    assert read_all(connector)[0][0].raw["hidden"] is False
    connector.delete(target)
    assert read_all(connector)[0] == []
    connector.delete(target)  # already gone
    assert fake.actions == [("hide", bad), ("unhide", bad), ("delete", bad)]
    assert any(r.method == "POST" for r in fake.requests)
    with pytest.raises(UnsupportedAction):
        connector.ban(target)


def test_rate_limits_and_faults(fake):
    media = fake.add_media(IG_USER, ts(100))
    fake.add_ig_comment(media, "hello", ts(50))
    sleeps = Sleeps()
    fake.fail("throttle", code=80002, headers=True, regain_minutes=0.01)
    fake.fail("server_error")
    fake.fail("malformed", path="/comments")
    comments, _ = read_all(connect(fake, sleeps))
    assert [c.text for c in comments] == ["hello"]
    assert sleeps[0] == pytest.approx(0.6) and len(sleeps) == 3

    fake.fail("throttle", code=80002, headers=True, regain_minutes=60)
    with pytest.raises(RateLimited) as caught:
        read_all(connect(fake))
    assert caught.value.retry_after == 3600

    fake.fail("server_error", times=3)
    with pytest.raises(TransientError):
        read_all(connect(fake))


def test_malformed_comment_is_skipped(fake, caplog):
    media = fake.add_media(IG_USER, ts(100))
    fake.add_ig_comment(media, "ok", ts(50))
    fake.add_raw(media, "comments", {"id": "broken-1", "text": "no timestamp"})
    comments, batches = read_all(connect(fake))
    assert [c.text for c in comments] == ["ok"] and sum(b.skipped for b in batches) == 1
    assert "broken-1" in caplog.text


def test_auth_failure_and_no_token_anywhere(fake, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    media = fake.add_media(IG_USER, ts(100))
    fake.add_ig_comment(media, "hello", ts(50))
    fake.fail("server_error")
    read_all(connect(fake))
    errors = []
    fake.revoke()
    for call in (lambda c: read_all(c), lambda c: c.hide(_c())):
        try:
            call(connect(fake))
        except AuthFailed as e:
            errors.append(e)
    assert len(errors) == 2 and all("acme-ig" in str(e) for e in errors)
    assert fake.request_count() == 3 + 2  # the read (one retry), then one try each: no retry
    out = capsys.readouterr()
    for text in (caplog.text, out.out, out.err, *map(str, errors), *map(repr, errors)):
        assert TOKEN not in text
    assert "retrying" in caplog.text
    assert not any(r.token_in_url for r in fake.requests)


def _c():
    from moderator.models import Comment

    return Comment(platform="instagram", account="acme-ig", id="1789", text="")


def test_options_are_validated():
    with pytest.raises(ConfigError) as caught:
        config.parse({"accounts": [{"name": "ig", "platform": "instagram", "page_size": 0,
                                    "lookback_days": -1, "page_id": "1"}]})
    problems = "\n".join(caught.value.problems)
    for key in ("ig_user_id", "page_size", "lookback_days", "page_id"):
        assert f"accounts[0].{key}" in problems
    assert InstagramConnector.capabilities.hide and InstagramConnector.capabilities.delete
