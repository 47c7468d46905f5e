"""Facebook Pages connector: the real facebook-sdk client over HTTP against the fake Graph API."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import facebook
import pytest

from tests.fakes.graph import FakeGraph, graph_time
from tests.fakes.harness import Sleeps, read_all

from connectors import CONNECTORS
from connectors.base import Connector
from connectors.facebook import FacebookConnector
from connectors.graph import retry_after_from
from connectors.retry import RetryPolicy
from moderator import config
from moderator.errors import (AuthFailed, ConfigError, ConnectorError, RateLimited,
                              TransientError, UnsupportedAction)

TOKEN = "EAAG-page-token-s3cr3t-value"
PAGE = "1000"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ts(minutes_ago: float) -> str:
    return graph_time(NOW - timedelta(minutes=minutes_ago))


@pytest.fixture
def fake():
    with FakeGraph(token=TOKEN) as server:
        server.add_page(PAGE)
        yield server


def connect(fake: FakeGraph, sleeps: Sleeps | None = None, *, token: str = TOKEN,
            retry: RetryPolicy | None = None, **options) -> FacebookConnector:
    table = {"name": "acme-fb", "platform": "facebook", "api_base": fake.base_url,
             "page_id": PAGE, "secrets": {"access_token": "ACME_FB_TOKEN"}, **options}
    account = config.parse({"accounts": [table]}).accounts[0]
    return CONNECTORS["facebook"].open(
        account, {"access_token": token},
        retry=retry or RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.005,
                                   max_rate_limit_wait=5),
        sleep=sleeps if sleeps is not None else Sleeps())



def test_reads_posts_comments_and_replies_oldest_first_with_authors_and_links(fake):
    post = fake.add_post(PAGE, ts(120), "Our new savings account")
    first = fake.add_fb_comment(post, "Verify here", ts(60), author=("42", "Acme Support"),
                                link="https://acme-verify.example/login?x=1")
    reply = fake.add_fb_comment(post, "is this real?", ts(30), parent=first)
    anonymous = fake.add_fb_comment(post, "no author visible", ts(10), author=None)
    connector = connect(fake)
    assert isinstance(connector, Connector)

    comments, batches = read_all(connector)

    assert [c.id for c in comments] == [first, reply, anonymous]
    c = comments[0]
    assert (c.platform, c.account, c.thread_id, c.parent_id) == ("facebook", "acme-fb", post, None)
    assert (c.author.id, c.author.name, c.author.handle) == ("42", "Acme Support", None)
    assert c.links[0].url == "https://acme-verify.example/login?x=1"  # unwrapped from l.php
    assert c.permalink.endswith(f"comment_id={first}")
    assert c.created_at == NOW - timedelta(minutes=60)
    assert comments[1].parent_id == first
    assert comments[2].author.id is None and comments[2].author.name is None
    assert batches[-1].skipped == 0


def test_incremental_reads_only_what_is_new_including_same_second(fake):
    post = fake.add_post(PAGE, ts(100))
    fake.add_fb_comment(post, "old", ts(50))
    connector = connect(fake)
    _, batches = read_all(connector)
    cursor = batches[-1].cursor

    assert read_all(connector, cursor) == ([], [])  # nothing new: no batch, cursor kept
    same_second = fake.add_fb_comment(post, "same second as the cursor", ts(50))
    later = fake.add_fb_comment(post, "added while running", ts(1))
    comments, batches = read_all(connector, cursor)
    assert [c.id for c in comments] == [same_second, later]
    assert read_all(connector, batches[-1].cursor)[0] == []


def test_comment_listed_late_within_the_overlap_is_still_delivered(fake):
    post = fake.add_post(PAGE, ts(100))
    fake.add_fb_comment(post, "newest so far", ts(10))
    connector = connect(fake)
    cursor = read_all(connector)[1][-1].cursor
    assert len(cursor) < 200  # small: only the ids of the last two minutes
    # The API lists these only now, with created_times from before the cursor's newest.
    late = fake.add_fb_comment(post, "listed late", ts(11))
    fake.add_fb_comment(post, "far too late", ts(30))
    comments, batches = read_all(connector, cursor)
    assert [c.id for c in comments] == [late]
    assert read_all(connector, batches[-1].cursor)[0] == []


def test_pages_at_the_api_maximum_and_stops_at_the_cursor(fake):
    post = fake.add_post(PAGE, ts(500))
    for i in range(250):
        fake.add_fb_comment(post, f"c{i}", ts(400 - i))
    connector = connect(fake)
    comments, batches = read_all(connector)
    assert len(comments) == 250 and len({c.id for c in comments}) == 250
    assert [c.created_at for c in comments] == sorted(c.created_at for c in comments)
    assert fake.request_count() == 1 + 3  # posts + three pages of 100
    assert all("limit=100" in r for r in _queries(fake))

    before = fake.request_count()
    fake.add_fb_comment(post, "new one", ts(0))
    new, _ = read_all(connector, batches[-1].cursor)
    assert [c.text for c in new] == ["new one"]
    assert fake.request_count() - before == 2  # posts + the first comments page only


def _queries(fake):
    return ["&".join(f"{k}={v[-1]}" for k, v in r.query.items()) for r in fake.requests]


def test_resuming_from_any_batch_cursor_delivers_exactly_the_rest(fake):
    posts = [fake.add_post(PAGE, ts(3000 + p)) for p in range(3)]
    for i in range(1200):  # interleaved across posts, several per second
        fake.add_fb_comment(posts[i % 3], f"c{i}", ts(2000 - i / 4))
    connector = connect(fake)
    everything, batches = read_all(connector)
    assert len(batches) == 3 and len(everything) == 1200  # BATCH_SIZE 500
    delivered = 0
    for batch in batches:
        delivered += len(batch.comments)
        rest, _ = read_all(connector, batch.cursor)
        assert [c.id for c in rest] == [c.id for c in everything[delivered:]]


def test_backfill_date_range_and_lookback(fake):
    old_post = fake.add_post(PAGE, ts(60 * 24 * 40))  # 40 days old: outside the lookback
    fake.add_fb_comment(old_post, "on an old post", ts(30))
    post = fake.add_post(PAGE, ts(60 * 24 * 3))
    for hours in (50, 30, 10, 1):
        fake.add_fb_comment(post, f"{hours}h ago", ts(60 * hours))
    connector = connect(fake, lookback_days=30)

    everything, _ = read_all(connector)
    assert [c.text for c in everything] == ["50h ago", "30h ago", "10h ago", "1h ago"]
    window, _ = read_all(connector, since=NOW - timedelta(hours=40), until=NOW - timedelta(hours=5))
    assert [c.text for c in window] == ["30h ago", "10h ago"]


def test_hide_unhide_delete_show_on_the_next_read(fake):
    post = fake.add_post(PAGE, ts(100))
    bad = fake.add_fb_comment(post, "scam", ts(50))
    fake.add_fb_comment(post, "fine", ts(40))
    connector = connect(fake)
    comments, _ = read_all(connector)
    target = next(c for c in comments if c.id == bad)

    connector.hide(target)
    assert {c.id: c.raw["is_hidden"] for c in read_all(connector)[0]}[bad] is True
    connector.unhide(target)
    assert {c.id: c.raw["is_hidden"] for c in read_all(connector)[0]}[bad] is False
    connector.delete(target)
    assert bad not in [c.id for c in read_all(connector)[0]]
    connector.delete(target)  # already gone: still done, no error
    connector.hide(target)  # nothing left to hide: done too (a planned hide after a delete)
    with pytest.raises(ConnectorError, match="does not exist"):
        connector.unhide(target)  # but a deleted comment cannot come back
    assert fake.actions == [("hide", bad), ("unhide", bad), ("delete", bad)]
    with pytest.raises(UnsupportedAction):
        connector.ban(target)
    assert FacebookConnector.capabilities.hide and FacebookConnector.capabilities.delete
    assert not FacebookConnector.capabilities.ban


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_throttling_codes_without_headers_back_off_then_succeed(fake, code):
    fake.add_post(PAGE, ts(10))
    sleeps = Sleeps()
    fake.fail("throttle", times=2, code=code)
    read_all(connect(fake, sleeps))
    assert len(sleeps) == 2 and all(0 <= s <= 0.005 for s in sleeps)  # jittered backoff


def test_throttling_honours_business_use_case_header(fake):
    fake.add_post(PAGE, ts(10))
    sleeps = Sleeps()
    fake.fail("throttle", code=80001, headers=True, regain_minutes=0.05)
    read_all(connect(fake, sleeps))
    assert sleeps == [pytest.approx(3.0)]  # 0.05 minutes from estimated_time_to_regain_access


def test_long_platform_wait_is_raised_not_slept(fake):
    fake.add_post(PAGE, ts(10))
    sleeps = Sleeps()
    fake.fail("throttle", code=32, headers=True, regain_minutes=19)
    with pytest.raises(RateLimited) as caught:
        read_all(connect(fake, sleeps))
    assert caught.value.retry_after == pytest.approx(19 * 60)
    assert sleeps == [] and "acme-fb" in str(caught.value)


def test_high_usage_headers_pace_the_calls(fake, caplog):
    post = fake.add_post(PAGE, ts(10))
    fake.add_fb_comment(post, "x", ts(5))
    sleeps = Sleeps()
    connector = connect(fake, sleeps, retry=RetryPolicy(base_delay=0.01, max_delay=1))
    fake.usage_percent = 95
    read_all(connector)  # posts answer at 95%: the comments call waits 4x the base delay
    assert sleeps == [pytest.approx(0.04)] and "usage at 95%" in caplog.text
    fake.usage_percent = 20
    sleeps.clear()
    read_all(connector)
    assert sleeps == [pytest.approx(0.04)]  # only the first call, paced by the last answer


def test_http_429_retry_after_header(fake):
    fake.add_post(PAGE, ts(10))
    sleeps = Sleeps()
    fake.fail("http429", retry_after=2)
    fake.fail("http429")  # without a header: backoff
    read_all(connect(fake, sleeps))
    assert sleeps[0] == 2.0 and 0 <= sleeps[1] <= 0.005


def test_server_errors_are_retried_a_bounded_number_of_times(fake):
    fake.add_post(PAGE, ts(10))
    fake.fail("server_error", times=1)
    fake.fail("server_error", times=1, html=True)
    read_all(connect(fake))  # two failures, third attempt succeeds

    fake.fail("server_error", times=10)
    before = fake.request_count()
    with pytest.raises(TransientError, match="acme-fb"):
        read_all(connect(fake))
    assert fake.request_count() - before == 3  # attempts, then the error


def test_slow_response_times_out_and_is_retried(fake):
    fake.add_post(PAGE, ts(10))
    fake.fail("slow", seconds=1.0)
    sleeps = Sleeps()
    read_all(connect(fake, sleeps, timeout=0.3))
    assert len(sleeps) == 1


def test_malformed_json_is_retried(fake):
    post = fake.add_post(PAGE, ts(10))
    fake.add_fb_comment(post, "hello", ts(5))
    fake.fail("malformed", path="/comments")
    comments, _ = read_all(connect(fake))
    assert [c.text for c in comments] == ["hello"]


def test_malformed_items_are_logged_with_their_id_and_skipped(fake, caplog):
    post = fake.add_post(PAGE, ts(10))
    fake.add_fb_comment(post, "good", ts(5))
    fake.add_raw(post, "comments", {"id": "bad-time", "message": "x", "created_time": "yesterday"})
    fake.add_raw(post, "comments", {"id": "bad-text", "message": 7, "created_time": ts(4)})
    fake.add_raw(post, "comments", "not an object")
    comments, batches = read_all(connect(fake))
    assert [c.text for c in comments] == ["good"]
    assert sum(b.skipped for b in batches) == 3
    assert "bad-time" in caplog.text and "bad-text" in caplog.text


def test_expired_token_is_auth_failed_without_retry(fake):
    fake.add_post(PAGE, ts(10))
    fake.revoke()
    with pytest.raises(AuthFailed, match=r"acme-fb.*190/463"):
        read_all(connect(fake))
    assert fake.request_count() == 1

    fake.revoked = False
    fake.fail("unauthorized")
    with pytest.raises(AuthFailed):
        connect(fake).hide(_comment("x"))


def test_token_never_appears_in_urls_logs_errors_or_output(fake, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # urllib3 logs every URL at DEBUG
    post = fake.add_post(PAGE, ts(10))
    fake.add_fb_comment(post, "hello", ts(5))
    errors: list[BaseException] = []
    fake.fail("server_error")
    fake.fail("throttle", code=4, headers=True)
    read_all(connect(fake))  # retries with logged warnings
    for fault in ("unauthorized", "malformed"):
        fake.fail(fault, times=5)
        try:
            read_all(connect(fake))
        except ConnectorError as e:
            errors.append(e)
    fake.revoke()
    try:
        connect(fake).delete(_comment("1_2"))
    except ConnectorError as e:
        errors.append(e)
    port = fake.base_url
    fake.stop()  # connection refused: requests' message would carry the URL
    try:
        read_all(connect(_Stopped(port)))
    except ConnectorError as e:
        errors.append(e)

    assert len(errors) == 4
    out = capsys.readouterr()
    texts = [caplog.text, out.out, out.err, *map(str, errors), *map(repr, errors),
             *(str(e.__cause__) + str(e.__context__ if not e.__suppress_context__ else "")
               for e in errors),
             repr(connect(_Stopped(port)).client)]
    assert "retrying" in caplog.text and "GET" in caplog.text  # the logs were captured
    for text in texts:
        assert TOKEN not in text
    assert not any(r.token_in_url for r in fake.requests)


class _Stopped:
    def __init__(self, base_url: str):
        self.base_url = base_url


def test_each_account_keeps_its_own_api_base(fake):
    with FakeGraph(token="other-token") as other:
        other.add_page(PAGE)
        other_post = other.add_post(PAGE, ts(10))
        other.add_fb_comment(other_post, "from the other fake", ts(5))
        post = fake.add_post(PAGE, ts(10))
        fake.add_fb_comment(post, "from this fake", ts(5))
        mine, theirs = connect(fake), connect(other, token="other-token")
        assert [c.text for c in read_all(theirs)[0]] == ["from the other fake"]
        assert [c.text for c in read_all(mine)[0]] == ["from this fake"]
    assert facebook.FACEBOOK_GRAPH_URL == "https://graph.facebook.com/"


def test_graph_version_setting_is_used(fake):
    fake.add_post(PAGE, ts(10))
    read_all(connect(fake, graph_version="v19.0"))
    assert fake.requests[0].path.startswith("/v19.0/")


def test_options_are_validated_with_key_paths():
    with pytest.raises(ConfigError) as caught:
        config.parse({"accounts": [{"name": "fb", "platform": "facebook", "edge": "wall",
                                    "graph_version": "21", "page_size": 500, "timeout": "x",
                                    "colour": "blue"}]})
    problems = "\n".join(caught.value.problems)
    for key in ("page_id", "edge", "graph_version", "page_size", "timeout", "colour"):
        assert f"accounts[0].{key}" in problems


def test_retry_after_header_parsing():
    assert retry_after_from({"retry-after": "7"}) == 7.0
    usage = {"1": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 2}]}
    assert retry_after_from({"x-business-use-case-usage": json.dumps(usage)}) == 120.0
    assert retry_after_from({"x-app-usage": '{"call_count": 100}'}) is None
    assert retry_after_from({"x-business-use-case-usage": "not json"}) is None


def _comment(cid: str):
    from moderator.models import Comment

    return Comment(platform="facebook", account="acme-fb", id=cid, text="")


def test_documented_settings_are_all_accepted():
    import re
    import tomllib

    doc = Path(__file__).resolve().parents[1] / "docs" / "config-graph.toml"
    # Uncomment every "# key = value" line: each documented setting must parse.
    text = re.sub(r"^# (\w+ = )", r"\1", doc.read_text(encoding="utf-8"), flags=re.MULTILINE)
    accounts = config.parse(tomllib.loads(text)).accounts
    assert [a.platform for a in accounts] == ["facebook", "instagram"]
    assert accounts[0].options.edge == "posts" and accounts[1].options.graph.page_size == 100


def test_permanent_errors_are_not_retried_and_missing_token_is_a_config_error(fake):
    connector = connect(fake)
    with pytest.raises(ConnectorError, match=r"acme-fb: unhide 404_404: object does not exist"):
        connector.unhide(_comment("404_404"))
    post = fake.add_post(PAGE, ts(10))
    with pytest.raises(ConnectorError, match=r"code 100"):
        connector.client.post(post, "hide a post", is_hidden="true")  # not a comment
    assert fake.request_count() == 2  # one try each

    account = config.parse({"accounts": [{"name": "acme-fb", "platform": "facebook",
                                          "page_id": PAGE}]}).accounts[0]
    with pytest.raises(ConfigError, match=r"acme-fb\.secrets\.access_token"):
        FacebookConnector.open(account, {})


def test_feed_edge_adds_visitor_posts(fake):
    own = fake.add_post(PAGE, ts(20))
    visitor = fake.add_post(PAGE, ts(15), "visitor post", by_page=False)
    fake.add_fb_comment(own, "on our post", ts(10))
    fake.add_fb_comment(visitor, "on a visitor's post", ts(5))
    assert [c.text for c in read_all(connect(fake))[0]] == ["on our post"]
    assert [c.text for c in read_all(connect(fake, edge="feed"))[0]] == [
        "on our post", "on a visitor's post"]


def test_fake_answers_in_graph_shapes(fake):
    """Guards the fake itself: list paging, error bodies and usage headers as Graph sends them."""
    import requests

    post = fake.add_post(PAGE, ts(10))
    for i in range(3):
        fake.add_fb_comment(post, f"c{i}", ts(5 - i))
    url = f"{fake.base_url}v21.0/{post}/comments"
    page = requests.get(url, params={"limit": 2, "access_token": TOKEN}, timeout=5)
    body = page.json()
    assert set(body) == {"data", "paging"} and set(body["paging"]) == {"cursors", "next"}
    assert set(body["paging"]["cursors"]) == {"before", "after"}
    assert json.loads(page.headers["x-app-usage"]).keys() == {"call_count", "total_cputime",
                                                              "total_time"}
    assert body["paging"]["next"].startswith(url) and "access_token=" in body["paging"]["next"]
    last = requests.get(body["paging"]["next"], timeout=5).json()
    assert len(last["data"]) == 1 and "next" not in last["paging"]

    fake.fail("throttle", code=80001, headers=True, regain_minutes=3)
    answer = requests.get(url, params={"access_token": TOKEN}, timeout=5)
    assert answer.status_code == 400
    assert set(answer.json()["error"]) >= {"message", "type", "code", "fbtrace_id"}
    usage = json.loads(answer.headers["x-business-use-case-usage"])
    assert usage["100"][0]["estimated_time_to_regain_access"] == 3
    fake.revoke()
    error = requests.get(url, params={"access_token": TOKEN}, timeout=5).json()["error"]
    assert (error["type"], error["code"], error["error_subcode"]) == ("OAuthException", 190, 463)
