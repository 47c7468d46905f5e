"""The Reddit connector through the real praw client over HTTP against tests/fakes/reddit.py."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.reddit import RedditConnector
from connectors.retry import RetryPolicy
from moderator.config import AccountSettings
from moderator.errors import (AuthFailed, ConfigError, RateLimited, TransientError,
                              UnsupportedAction)
from tests.fakes.harness import Sleeps, read
from tests.fakes.reddit import FakeReddit

SECRETS = {"client_id": "cid-7Hq2", "client_secret": "csecret-Zk91xQ",
           "username": "acme_mod", "password": "pw-Vv83nLq"}
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01, max_rate_limit_wait=5.0)


@pytest.fixture
def fake():
    with FakeReddit(client_id=SECRETS["client_id"], client_secret=SECRETS["client_secret"],
                    username=SECRETS["username"], password=SECRETS["password"]) as server:
        yield server


def connect(fake: FakeReddit, sleeps: Sleeps | None = None, secrets: dict | None = None,
            **options: Any) -> RedditConnector:
    table = {"subreddits": ["acme"], **options}
    account = AccountSettings(name="acme-reddit", platform="reddit", api_base=fake.url,
                              options=RedditConnector.parse_options(table, path="accounts[0]"))
    return RedditConnector.open(account, secrets or SECRETS, retry=FAST,
                                sleep=sleeps if sleeps is not None else Sleeps())



def test_incremental_reads_oldest_first_with_cursor(fake):
    ids = [fake.add_comment("acme", f"comment {i}") for i in range(250)]
    connector = connect(fake)
    comments, cursor, batches = read(connector)
    assert [c.id for c in comments] == ids
    assert all(len(b.comments) <= 100 for b in batches)
    assert isinstance(cursor, str)

    again, cursor2, _ = read(connector, cursor)
    assert again == []
    new = [fake.add_comment("acme", "late one"), fake.add_comment("acme", "later one")]
    fresh, cursor3, _ = read(connector, cursor2)
    assert [c.id for c in fresh] == new
    # Paging stopped at the watermark: one listing page, not the whole subreddit again.
    before = fake.count("GET", "/r/acme/comments")
    read(connector, cursor3)
    assert fake.count("GET", "/r/acme/comments") - before == 1


def test_mapping_links_permalink_thread(fake):
    post = fake.add_submission("acme", title="Rates update")
    parent = fake.add_comment("acme", "first", submission=post)
    cid = fake.add_comment("acme", "log in at [acme support](https://acme-login.co/x?a=1&b=2) "
                           "or http://bit.ly/abc", author="acme_help", submission=post,
                           parent=parent)
    comment = {c.id: c for c in read(connect(fake))[0]}[cid]
    assert comment.platform == "reddit" and comment.account == "acme-reddit"
    assert comment.author.handle == "acme_help" and comment.author.id.startswith("t2_")
    assert [(l.url, l.display) for l in comment.links] == [
        ("https://acme-login.co/x?a=1&b=2", "acme support"),
        ("http://bit.ly/abc", "http://bit.ly/abc")]
    assert comment.thread_id == f"t3_{post}" and comment.parent_id == f"t1_{parent}"
    assert comment.permalink == f"https://www.reddit.com/r/acme/comments/{post}/rates_update/{cid}/"
    assert comment.created_at.tzinfo is not None
    assert "&amp;" not in comment.text


def test_author_account_dates_batched_cached_and_optional(fake):
    young = datetime(2026, 11, 20, tzinfo=timezone.utc)
    fake.user("acme_helpdesk", created_utc=young.timestamp())
    for i in range(150):
        fake.add_comment("acme", f"c{i}", author=f"user{i}")
    fake.add_comment("acme", "dm me", author="acme_helpdesk")
    connector = connect(fake)
    comments, cursor, _ = read(connector)
    assert next(c for c in comments if c.author.handle == "acme_helpdesk").author.created_at \
        == young
    assert all(c.author.created_at is not None for c in comments)
    assert fake.count("GET", "/api/user_data_by_account_ids") == 2  # 151 authors, 100 a call
    fake.add_comment("acme", "again", author="user3")
    again, cursor, _ = read(connector, cursor)
    assert again[0].author.created_at is not None
    assert fake.count("GET", "/api/user_data_by_account_ids") == 2  # cached
    fake.add_comment("acme", "new face", author="newbie")
    fake.fail("500", times=5, path="/api/user_data_by_account_ids")
    fresh = read(connector, cursor)[0]  # the lookup fails: the comment still comes, undated
    assert [(c.author.handle, c.author.created_at) for c in fresh] == [("newbie", None)]
    lookups = fake.count("GET", "/api/user_data_by_account_ids")
    assert read(connect(fake, author_details=False))[0][-1].author.created_at is None
    assert fake.count("GET", "/api/user_data_by_account_ids") == lookups


def test_modqueue_and_replies_to_own_posts(fake):
    connector = connect(fake)
    old = fake.add_comment("acme", "innocent at first")
    _, cursor, _ = read(connector)
    fake.report(old)  # reported later: it comes back once, through the modqueue
    own_post = fake.add_submission("elsewhere", title="AMA", author="acme_mod")
    reply = fake.add_comment("elsewhere", "reply to our AMA", submission=own_post)
    comments, cursor, _ = read(connector, cursor)
    assert sorted(c.id for c in comments) == sorted([old, reply])
    from_inbox = next(c for c in comments if c.id == reply)
    assert from_inbox.permalink == (f"https://www.reddit.com/r/elsewhere/comments/{own_post}"
                                    f"/ama/{reply}/")
    assert read(connector, cursor)[0] == []  # neither is repeated

    connector.approve(next(c for c in comments if c.id == old))
    assert "approved" in fake.flags(old)
    fake.report(old)  # reported again after approval: a new item in the queue
    assert [c.id for c in read(connector, cursor)[0]] == [old]


def test_backfill_date_range_stops_paging(fake):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    ids = [fake.add_comment("acme", f"day {d}", created_utc=start + d * 86400) for d in range(400)]
    since = datetime(2026, 1, 1, tzinfo=timezone.utc).replace(day=31)  # day 30
    until = datetime(2026, 2, 10, tzinfo=timezone.utc)  # day 40
    connector = connect(fake, post_replies=False, modqueue=False)
    comments, _, _ = read(connector, since=since, until=until)
    assert [c.id for c in comments] == ids[30:40]
    assert fake.count("GET", "/r/acme/comments") == 4  # 400 newest-first, stop below day 30


def test_actions_change_what_the_next_read_shows(fake):
    a, b, c = (fake.add_comment("acme", t) for t in ("a", "b", "c"))
    connector = connect(fake, lock_removed=True)
    comments = {x.id: x for x in read(connector)[0]}
    connector.hide(comments[a])
    connector.delete(comments[b])
    assert fake.flags(a) == {"removed", "locked"} and fake.flags(b) == {"removed", "spam", "locked"}
    assert [x.id for x in read(connect(fake))[0]] == [c]  # removed ones left the listing
    connector.unhide(comments[a])
    assert "approved" in fake.flags(a) and "removed" not in fake.flags(a)
    assert fake.actions == [("remove", a), ("lock", a), ("spam", b), ("lock", b), ("approve", a)]


def test_ban_only_when_configured(fake):
    fake.add_comment("acme", "scam", author="scammer1")
    off = connect(fake)
    assert off.capabilities.ban is False and off.capabilities.delete and off.capabilities.hide
    comment = read(off)[0][0]
    with pytest.raises(UnsupportedAction):
        off.ban(comment)
    on = connect(fake, allow_ban=True, ban_days=3)
    assert on.capabilities.ban
    on.ban(comment)
    assert fake.banned["acme"][0]["name"] == "scammer1"
    assert fake.banned["acme"][0]["duration"] == "3"


def test_429_with_retry_after_is_honoured(fake):
    fake.add_comment("acme", "x")
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    cursor = read(connector)[1]  # token + first reads
    fake.fail("429", headers={"Retry-After": "2"})
    assert len(read(connector, cursor)[0]) == 0
    assert sleeps == [2.0]


def test_429_without_headers_backs_off_with_jitter(fake):
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    fake.fail("429", times=2)
    read(connector)
    assert len(sleeps) == 2 and all(0 <= s <= 0.01 for s in sleeps)


def test_long_rate_limit_is_raised_not_slept(fake):
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    fake.fail("429", headers={"x-ratelimit-reset": "600", "x-ratelimit-remaining": "0",
                              "x-ratelimit-used": "600"})
    with pytest.raises(RateLimited) as raised:
        read(connector)
    assert raised.value.retry_after == 600 and sleeps == []


def test_spent_ratelimit_window_raises_before_calling(fake):
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    read(connector)
    fake.ratelimit_remaining, fake.ratelimit_reset = 0, 500
    fake.add_comment("acme", "x")
    with pytest.raises(RateLimited) as raised:
        read(connector)  # the first listing reports remaining 0; the next call must not go out
    assert 490 < raised.value.retry_after <= 500
    served = fake.request_count
    with pytest.raises(RateLimited):
        read(connector)
    assert fake.request_count == served and sleeps == []  # never spins


def test_5xx_retried_a_bounded_number_of_times(fake):
    connector = connect(fake)
    read(connector)
    fake.fail("500", times=2)
    read(connector)  # two failures, the third try works
    fake.fail("500", times=10)
    served = fake.request_count
    with pytest.raises(TransientError, match="reddit acme-reddit"):
        read(connector)
    assert fake.request_count - served == FAST.attempts


def test_timeout_and_malformed_json_are_retried(fake):
    fake.add_comment("acme", "x")
    connector = connect(fake, timeout=0.5)
    read(connector)
    fake.fail("slow", delay=2.0)  # the comments listing, then its retry is malformed
    fake.fail("malformed", path="/comments")
    served, started = fake.count(path="/comments"), time.monotonic()
    assert len(read(connector)[0]) == 1
    assert time.monotonic() - started < 1.9  # the client gave up on the slow answer
    assert fake.count(path="/comments") - served == 3


def test_malformed_item_logged_and_skipped(fake, caplog):
    good1 = fake.add_comment("acme", "fine")
    bad = fake.add_comment("acme", "broken", malformed=True)
    good2 = fake.add_comment("acme", "fine too")
    with caplog.at_level(logging.WARNING):
        comments, cursor, batches = read(connect(fake))
    assert [c.id for c in comments] == [good1, good2]
    assert sum(b.skipped for b in batches) == 1
    assert bad in caplog.text
    assert read(connect(fake), cursor)[0] == []  # the bad one is not retried forever


def test_expired_token_renewed_revoked_is_auth_failed(fake):
    fake.add_comment("acme", "x")
    connector = connect(fake)
    read(connector)
    fake.expire_tokens()
    read(connector)  # a fresh token, silently
    fake.revoke()
    with pytest.raises(AuthFailed, match="reddit acme-reddit"):
        read(connector)


def test_secrets_never_in_logs_errors_or_output(fake, caplog, capsys):
    fake.add_comment("acme", "x")
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        connector = connect(fake)
        fake.fail("500")
        fake.fail("429")
        read(connector)
        connector.hide(read(connect(fake))[0][0])
        for attempt in ("wrong password", "revoked"):
            if attempt == "revoked":
                fake.revoke()
                bad = connector
            else:
                bad = connect(fake, secrets={**SECRETS, "password": SECRETS["password"] + "x"})
            try:
                read(bad)
            except AuthFailed as e:
                errors.append(f"{e!r} {e} {e.__cause__!r} {e.__context__!r}")
    assert len(errors) == 2
    out, err = capsys.readouterr()
    seen = caplog.text + out + err + "".join(errors) + repr(connector)
    assert "GET" in caplog.text  # the logs were captured at all
    for value in SECRETS.values():
        if value != SECRETS["username"]:  # the account's handle is public
            assert value not in seen
    assert "pw-Vv83nLq" not in seen and "Vv83nLq" not in seen


def test_options_are_validated_with_key_paths():
    with pytest.raises(ConfigError) as raised:
        RedditConnector.parse_options({"subreddits": "acme", "page_size": 500, "ban_days": -1,
                                       "colour": "red"}, path="accounts[2]")
    text = str(raised.value)
    for key in ("accounts[2].subreddits", "accounts[2].page_size", "accounts[2].ban_days",
                "accounts[2].colour"):
        assert key in text


def test_missing_secrets_named_without_values(fake):
    with pytest.raises(ConfigError, match="accounts.acme-reddit.secrets.client_secret"):
        connect(fake, secrets={"client_id": "abc", "refresh_token": "r"})


RECORDED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "recorded_api"


def recorded_bodies(name: str) -> list[tuple[str, str, Any]]:
    """(method, uri, parsed response body) of each exchange praw recorded."""
    path = RECORDED / name
    if not path.exists():
        pytest.skip(f"recorded API data absent: {path}")
    out = []
    for exchange in json.loads(path.read_text())["interactions"]:
        body = exchange["response"]["body"].get("string") or "null"
        out.append((exchange["request"]["method"], exchange["request"]["uri"], json.loads(body)))
    return out


def test_fake_answers_in_the_recorded_shapes(fake):
    stream = recorded_bodies("praw__TestSubredditStreams.test_comments__with_pause.json")
    queue = recorded_bodies("praw__TestSubredditModeration.test_modqueue__only_comments.json")
    remove = recorded_bodies("praw__TestCommentModeration.test_remove.json")
    ban = recorded_bodies("praw__TestSubredditRelationships.test_banned.json")
    cid = fake.add_comment("acme", "hello", reported=True)
    session = requests.Session()
    token = session.post(f"{fake.url}/api/v1/access_token", auth=(SECRETS["client_id"],
                         SECRETS["client_secret"]), data={"grant_type": "password",
                         "username": SECRETS["username"], "password": SECRETS["password"]}).json()
    assert set(token) == set(stream[0][2])
    auth = {"Authorization": f"bearer {token['access_token']}"}

    def get(path: str) -> Any:
        return session.get(f"{fake.url}{path}", params={"limit": 100, "raw_json": 1},
                           headers=auth).json()

    for real, ours in ((stream[1][2], get("/r/acme/comments/")),
                       (queue[1][2], get("/r/acme/about/modqueue/"))):
        assert ours["kind"] == real["kind"] == "Listing"
        assert set(real["data"]) <= set(ours["data"])
        real_thing, our_thing = real["data"]["children"][0], ours["data"]["children"][0]
        assert our_thing["kind"] == real_thing["kind"] == "t1"
        missing = set(real_thing["data"]) - set(our_thing["data"])
        assert not missing, f"fake lacks recorded fields {missing}"
        for key, value in real_thing["data"].items():
            if key == "edited":  # false, or when it was edited
                continue
            if value is not None and our_thing["data"][key] is not None:
                assert type(our_thing["data"][key]) is type(value) or \
                    {type(value), type(our_thing["data"][key])} <= {int, float}, key
    answer = session.post(f"{fake.url}/api/remove/", params={"raw_json": 1}, headers=auth,
                          data={"api_type": "json", "id": f"t1_{cid}", "spam": "True"}).json()
    assert answer == remove[1][2] == {}
    answer = session.post(f"{fake.url}/r/acme/api/friend/", params={"raw_json": 1}, headers=auth,
                          data={"api_type": "json", "name": "x", "type": "banned"}).json()
    assert answer == ban[1][2]
