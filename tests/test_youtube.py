"""The YouTube connector through the real google-api-python-client (its bundled discovery
document) and google-auth over HTTP against tests/fakes/youtube.py."""

from __future__ import annotations

import json
import logging
import socket
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from connectors.retry import RetryPolicy
from connectors.youtube import YouTubeConnector, YouTubeOptions, comment_from_item
from connectors.youtube_quota import QuotaMeter, seconds_to_reset
from moderator.config import AccountSettings
from moderator.errors import AuthFailed, ConfigError, ConnectorError, RateLimited, \
    TransientError, UnsupportedAction
from tests.fakes.harness import Sleeps, read, serving
from tests.fakes.youtube import INLINE_REPLIES, FakeYouTube, display_html

REFRESH = "1//yt-refresh-Zq81xPLa"
SECRET = "yt-client-secret-8HkQ"
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01, max_rate_limit_wait=5.0)

fake = serving(lambda: FakeYouTube(refresh_token=REFRESH, client_secret=SECRET))


def connect(fake: FakeYouTube, sleeps: Sleeps | None = None, clock: Any = None,
            refresh_token: str = REFRESH, **options: Any) -> YouTubeConnector:
    table = {"channel_id": fake.channel_id, "token_uri": fake.url + "/token", **options}
    account = AccountSettings(name="acme-yt", platform="youtube", api_base=fake.url,
                              options=YouTubeConnector.parse_options(table, path="accounts[0]"))
    secrets = {"client_id": fake.client[0], "client_secret": SECRET,
               "refresh_token": refresh_token}
    return YouTubeConnector.open(account, secrets, retry=FAST,
                                 sleep=sleeps if sleeps is not None else Sleeps(),
                                 **({"clock": clock} if clock else {}))


def test_threads_and_replies_oldest_first_with_authors(fake):
    scammer = fake.add_channel("AcmeBank-Support1", "Acme Bank",
                               created_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    top = fake.add_comment("Great video", video="vid0000001", author="alice")
    reply = fake.add_reply(top, "DM me on Telegram to claim your prize",
                           author="AcmeBank-Support1")
    own = fake.add_reply(top, "Thanks Alice!", author=fake.owner)  # our own answer
    other = fake.add_comment("Second thread", video="vid0000002", author="bob")
    comments, cursor, _ = read(connect(fake))
    assert [c.id for c in comments] == [top, reply, other]
    assert own not in [c.id for c in comments]
    fraud = comments[1]
    assert fraud.author.id == scammer and fraud.author.handle == "acmebank-support1"
    assert fraud.author.name == "Acme Bank"  # the channel's title, from channels.list
    assert fraud.author.created_at == datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert fraud.thread_id == "vid0000001" and fraud.parent_id == top
    assert fraud.permalink == f"https://www.youtube.com/watch?v=vid0000001&lc={reply}"
    assert comments[0].parent_id is None and isinstance(cursor, str)


def test_text_is_text_original_and_links_come_from_text_display(fake):
    text = "Claim it here: https://acme-verify.co/login?a=1&b=2\nOr watch 1:23 'now'"
    fake.add_comment(text, author="mallory")
    comment = read(connect(fake))[0][0]
    assert comment.text == text
    assert [l.url for l in comment.links] == ["https://acme-verify.co/login?a=1&b=2"]
    assert "&amp;" in display_html(text) and "<br>" in display_html(text)


def test_links_from_html_when_text_original_is_withheld():
    """The API returns ``textOriginal`` only where the viewer may see it: the text of
    ``textDisplay`` stands in; anchors whose text differs from the target keep it as display;
    YouTube's own links (timestamps, hashtags) are not links to the web; the redirect
    wrapper is unwrapped."""
    item = {"id": "Ugx1", "snippet": {
        "textDisplay": 'Free &quot;gift&quot;<br><a href="https://www.youtube.com/watch?v=x&amp;'
                       't=83">1:23</a> <a href="https://www.youtube.com/redirect?q=https%3A%2F'
                       '%2Fevil.example%2Fgift&amp;v=x">evil.example/gift</a> <a href="https:'
                       '//acme-bank.co/">https://acmebank.com/</a>',
        "authorDisplayName": "Plain Name", "publishedAt": "2026-11-24T10:00:00Z"}}
    comment = comment_from_item(item, account="acme-yt")
    assert comment.text == 'Free "gift"\n1:23 evil.example/gift https://acmebank.com/'
    assert [(l.url, l.display) for l in comment.links] == [
        ("https://evil.example/gift", "evil.example/gift"),
        ("https://acme-bank.co/", "https://acmebank.com/")]
    assert comment.author.handle is None and comment.author.name == "Plain Name"


def test_replies_beyond_the_inline_few_come_from_comments_list(fake):
    top = fake.add_comment("Popular", author="alice")
    replies = [fake.add_reply(top, f"reply {i}", author=f"user{i}") for i in range(130)]
    comments, _, _ = read(connect(fake))
    assert [c.id for c in comments] == [top] + replies
    assert fake.count("GET", "/youtube/v3/comments") == 2  # 130 replies: two pages of 100


def test_new_replies_to_recent_threads_are_caught_and_counts_spare_calls(fake):
    top = fake.add_comment("Thread", author="alice")
    for i in range(INLINE_REPLIES + 3):
        fake.add_reply(top, f"early {i}", author=f"user{i}")
    connector = connect(fake)
    _, cursor, _ = read(connector)
    calls = fake.count("GET", "/youtube/v3/comments")
    assert read(connector, cursor)[0] == []
    assert fake.count("GET", "/youtube/v3/comments") == calls  # count unchanged: no call
    late = fake.add_reply(top, "late reply to an older thread", author="mallory")
    newer = fake.add_comment("A newer thread", author="bob")
    comments, cursor, _ = read(connect(fake), cursor)  # after a restart
    assert [c.id for c in comments] == [late, newer]
    assert read(connector, cursor)[0] == []


def test_a_crash_between_batches_reads_the_rest_again(fake):
    top = fake.add_comment("Big thread", author="alice")
    ids = [top] + [fake.add_reply(top, f"r{i}", author=f"u{i % 50}") for i in range(1100)]
    batches = list(connect(fake).fetch(None))
    assert [len(b.comments) for b in batches] == [100] * 11 + [1]  # a page's worth each
    # The first batch committed, then the daemon died: the replies are read again.
    rest = [c.id for b in connect(fake).fetch(batches[0].cursor) for c in b.comments]
    assert rest == ids[100:]


def test_backfill_date_range_and_lookback(fake):
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)
    ids = [fake.add_comment(f"c{i}", author="alice", when=base + timedelta(minutes=10 * i))
           for i in range(30)]
    old = fake.add_comment("ancient", author="alice", when=base - timedelta(days=40))
    since, until = base + timedelta(minutes=100), base + timedelta(minutes=200)
    assert [c.id for c in read(connect(fake), since=since, until=until)[0]] == ids[10:20]
    everything = [c.id for c in read(connect(fake, lookback_days=30))[0]]
    assert everything == ids and old not in everything  # beyond lookback_days
    first_poll = [c.id for c in read(connect(fake))[0]]  # the default: two days back
    assert first_poll == [] and len(read(connect(fake), since=base)[0]) == 30


def test_actions_set_the_moderation_status(fake):
    top = fake.add_comment("scam", author="mallory")
    connector = connect(fake, allow_ban=True)
    comment = read(connector)[0][0]
    connector.hide(comment)
    assert fake.status[top] == "heldForReview"
    assert read(connect(fake))[0] == []  # held comments are not listed
    connector.unhide(comment)
    assert fake.status[top] == "published"
    connector.delete(comment)
    assert fake.status[top] == "rejected"
    connector.ban(comment)
    assert fake.banned == {comment.author.id}
    assert fake.actions == [("hide", top), ("unhide", top), ("delete", top), ("ban", top)]


def test_ban_only_when_allowed(fake):
    fake.add_comment("scam", author="mallory")
    connector = connect(fake)
    assert not connector.capabilities.ban and connector.capabilities.hide
    assert connector.capabilities.delete
    with pytest.raises(UnsupportedAction, match="allow_ban"):
        connector.ban(read(connector)[0][0])
    assert fake.actions == [] and fake.banned == set()


def test_a_comment_already_gone_counts_as_done_except_for_unhide(fake):
    top = fake.add_comment("scam", author="mallory")
    connector = connect(fake)
    comment = read(connector)[0][0]
    fake.remove(top)
    connector.hide(comment)
    connector.delete(comment)
    with pytest.raises(ConnectorError, match="commentNotFound"):
        connector.unhide(comment)


def test_quota_units_are_counted_like_google_counts_them(fake):
    top = fake.add_comment("Thread", author="alice")
    for i in range(120):
        fake.add_reply(top, f"r{i}", author=f"user{i % 60}")
    connector = connect(fake)
    comments = read(connector)[0]
    connector.hide(comments[1])
    # 1 thread page + 2 reply pages + 2 channels.list (61 authors) + 50 for the hide
    assert fake.units == connector.meter.used == 1 + 2 + 2 + 50


def test_quota_exceeded_backs_off_until_the_reset_without_an_error_storm(fake, caplog):
    fake.daily_quota = 2  # three pages of one thread: the third is refused
    for i in range(3):
        fake.add_comment(f"c{i}", author=f"user{i}")
    connector = connect(fake, page_size=1, author_details=False)
    with pytest.raises(RateLimited) as raised:
        read(connector)
    assert raised.value.retry_after == pytest.approx(
        seconds_to_reset(datetime.now(timezone.utc)), abs=60)
    sent = fake.request_count
    for _ in range(5):  # the daemon's next tries, and actions, until midnight Pacific
        with pytest.raises(RateLimited, match="quota"):
            read(connector)
    with pytest.raises(RateLimited):
        connector.hide(_any_comment(fake))
    assert fake.request_count == sent  # no further request reached the API
    assert sum("quota" in r.message for r in caplog.records if r.levelno >= logging.ERROR) == 1


def _any_comment(fake: FakeYouTube):
    cid = next(iter(fake.comments))
    return comment_from_item(fake.comments[cid], account="acme-yt")


def test_polls_are_paced_to_the_daily_budget(fake):
    fake.add_comment("first", author="alice")
    now = [datetime.now(timezone.utc).timestamp()]
    connector = connect(fake, clock=lambda: now[0], daily_budget=1000)
    _, cursor, _ = read(connector)
    used = connector.meter.used
    connector.meter.spend(int(connector.meter.allowance()) + 10)  # a day of heavy acting
    before = fake.request_count
    assert read(connector, cursor)[0] == []
    assert fake.request_count == before  # the poll waited for the budget
    now[0] += 86_400 / 2  # later the day has earned more (or a new day began)
    fake.add_comment("second", author="bob")
    assert [c.text for c in read(connector, cursor)[0]] == ["second"]
    assert used > 0


def test_units_spent_survive_a_restart_in_the_cursor(fake):
    fake.add_comment("first", author="alice")
    connector = connect(fake)
    _, cursor, _ = read(connector)
    state = json.loads(cursor)
    assert state["quota"]["used"] == connector.meter.used > 0
    restarted = connect(fake)
    fake.add_comment("second", author="bob")
    read(restarted, cursor)
    assert restarted.meter.used == fake.units


def test_meter_pace_and_reset():
    start = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)  # 00:00 Pacific (PST)
    now = [start.timestamp()]
    meter = QuotaMeter(daily_budget=10_000, burst=100, clock=lambda: now[0])
    assert meter.poll_wait() == 0
    meter.spend(150)
    assert meter.poll_wait() > 0  # ahead of the even pace at midnight
    now[0] += 3600  # an hour earns 10,000 / 24 units
    assert meter.poll_wait() == 0
    now[0] += 86_400  # the next Pacific day starts from zero
    assert meter.snapshot()["used"] == 0
    assert seconds_to_reset(start) == 86_400


def test_429_is_retried_after_the_wait_it_names(fake):
    fake.add_comment("c", author="alice")
    sleeps = Sleeps()
    fake.fail("429", headers={"Retry-After": "2"}, path="/commentThreads")
    assert len(read(connect(fake, sleeps))[0]) == 1
    assert sleeps == [2.0]


def test_server_errors_and_malformed_bodies_are_retried_a_bounded_number_of_times(fake):
    fake.add_comment("c", author="alice")
    fake.fail("500", path="/commentThreads")
    fake.fail("malformed", path="/commentThreads")
    assert len(read(connect(fake))[0]) == 1
    fake.fail("500", times=5, path="/commentThreads")
    with pytest.raises(TransientError, match="HTTP 503"):
        read(connect(fake))


def test_slow_answer_times_out_and_is_retried(fake):
    fake.add_comment("c", author="alice")
    fake.fail("slow", delay=2.0, path="/commentThreads")
    assert len(read(connect(fake, timeout=0.3))[0]) == 1


def test_expired_access_token_is_refreshed_transparently(fake):
    fake.add_comment("c", author="alice")
    connector = connect(fake)
    read(connector)
    fake.expire_access_tokens()
    fake.add_comment("d", author="bob")
    assert fake.token_requests == 1
    read(connector)
    assert fake.token_requests == 2


def test_revoked_refresh_token_fails_that_account_only(fake):
    fake.add_comment("c", author="alice")
    good = connect(fake)
    with pytest.raises(AuthFailed, match="refresh token was refused"):
        read(connect(fake, refresh_token="1//not-ours"))
    assert len(read(good)[0]) == 1
    fake.fail("401", path="/commentThreads", times=3)
    with pytest.raises(AuthFailed):
        read(good)


def test_malformed_items_are_logged_with_their_id_and_skipped(fake, caplog):
    fake.add_comment("fine", author="alice")
    fake.add_malformed_thread({"id": "UgxBrokenThread", "snippet": None})
    top = fake.add_comment("has a broken reply", author="bob")
    fake.add_reply(top, "ok", author="carol")
    reply = fake.add_reply(top, "broken", author="dave")
    fake.comments[reply]["snippet"]["publishedAt"] = "yesterday"
    comments, _, batches = read(connect(fake))
    assert [c.text for c in comments] == ["fine", "has a broken reply", "ok"]
    assert sum(b.skipped for b in batches) == 2
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "UgxBrokenThread" in logged and reply in logged


def test_secrets_never_appear_in_logs_errors_or_output(fake, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    fake.add_comment("c", author="alice")
    connector = connect(fake)
    read(connector)
    token = next(iter(fake.access_tokens))
    fake.fail("401", times=3, path="/commentThreads")
    with pytest.raises(AuthFailed) as raised:
        read(connector)
    shown = str(raised.value) + caplog.text + "".join(capsys.readouterr()) + repr(connector.client)
    for secret in (REFRESH, SECRET, token):
        assert secret not in shown


def test_nothing_is_fetched_for_discovery(fake, monkeypatch):
    """The service is built from the discovery document bundled with the client."""
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a connection outside the fake was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    connector = connect(fake)  # builds the service: no request at all
    assert fake.request_count == 0 and connector.client.service is not None


def test_options_are_validated_with_key_paths():
    with pytest.raises(ConfigError) as raised:
        YouTubeConnector.parse_options({"channel_id": "acme", "page_size": 500,
                                        "daily_budget": "lots", "token_uri": "ftp://x",
                                        "colour": "red"}, path="accounts[3]")
    problems = "\n".join(raised.value.problems)
    for key in ("channel_id", "page_size", "daily_budget", "token_uri", "colour"):
        assert f"accounts[3].{key}" in problems
    with pytest.raises(ConfigError, match="channel_id: required"):
        YouTubeConnector.parse_options({}, path="accounts[3]")


def test_missing_secrets_are_named(fake):
    account = AccountSettings(name="acme-yt", platform="youtube", api_base=fake.url,
                              options=YouTubeConnector.parse_options(
                                  {"channel_id": fake.channel_id}, path="accounts[0]"))
    with pytest.raises(ConfigError) as raised:
        YouTubeConnector.open(account, {"client_id": "x"})
    assert {p.split(":")[0] for p in raised.value.problems} == {
        "accounts.acme-yt.secrets.client_secret", "accounts.acme-yt.secrets.refresh_token"}


def test_fake_answers_in_the_schema_shapes(fake):
    """The fake's items carry the fields the bundled discovery document gives them."""
    import os

    import googleapiclient

    path = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache",
                        "documents", "youtube.v3.json")
    with open(path, encoding="utf-8") as f:
        schemas = json.load(f)["schemas"]
    top = fake.add_comment("Thread https://example.com", author="alice")
    fake.add_reply(top, "reply", author="bob")
    connector = connect(fake)
    page = connector.client.execute("check", "commentThreads", "list", part="snippet,replies",
                                    allThreadsRelatedToChannelId=fake.channel_id)
    assert set(page) <= set(schemas["CommentThreadListResponse"]["properties"])
    thread = page["items"][0]
    assert set(thread) <= set(schemas["CommentThread"]["properties"])
    assert set(thread["snippet"]) <= set(schemas["CommentThreadSnippet"]["properties"])
    for comment in (thread["snippet"]["topLevelComment"], thread["replies"]["comments"][0]):
        assert set(comment) <= set(schemas["Comment"]["properties"])
        assert set(comment["snippet"]) <= set(schemas["CommentSnippet"]["properties"])


def test_the_example_config_documents_settings_that_all_parse():
    import re
    import tomllib
    from pathlib import Path

    from moderator import config

    example = (Path(__file__).resolve().parents[1] / "config.example.toml").read_text()
    block = example[example.index("# A YouTube channel"):]
    block = block[:block.index("\n# A ", 10)]
    # Uncomment every "# key = value" line: each documented setting must parse.
    text = re.sub(r"^# (\w+ = )", r"\1", block, flags=re.MULTILINE)
    account = config.parse(tomllib.loads(text)).accounts[0]
    documented = set(re.findall(r"^(\w+) = ", text, flags=re.MULTILINE))
    known = set(YouTubeOptions.__dataclass_fields__) | {"name", "platform", "mode",
                                                        "secrets", "api_base"}
    assert documented == known
    assert account.platform == "youtube" and account.options.daily_budget == 10_000


def test_check_config_names_the_youtube_keys(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from moderator.cli import main

    account = ('[[accounts]]\nname = "acme-yt"\nplatform = "youtube"\n{}'
               'secrets = {{ client_id = "YT_ID", client_secret = "YT_SECRET", '
               'refresh_token = "YT_REFRESH" }}\n')
    bad = tmp_path / "bad.toml"
    bad.write_text(account.format('channel_id = "acme"\ndaily_budget = 0\n'))
    result = CliRunner().invoke(main, ["check-config", str(bad)])
    assert result.exit_code == 2
    assert "accounts[0].channel_id: expected the channel's id" in result.output
    assert "accounts[0].daily_budget: must be at least 10" in result.output
    good = tmp_path / "good.toml"
    good.write_text(account.format('channel_id = "UCacmeBankOfficial00000x"\n'))
    monkeypatch.setenv("YT_ID", "id.apps.googleusercontent.com")
    monkeypatch.setenv("YT_SECRET", "yt-s3cret-value")
    monkeypatch.delenv("YT_REFRESH", raising=False)
    result = CliRunner().invoke(main, ["check-config", str(good)])
    assert result.exit_code == 2
    assert "accounts.acme-yt.secrets.refresh_token: YT_REFRESH is not set" in result.output
    assert "yt-s3cret-value" not in result.output
    monkeypatch.setenv("YT_REFRESH", "1//yt-refresh")
    result = CliRunner().invoke(main, ["check-config", str(good)])
    assert result.exit_code == 0 and "OK (1 accounts)" in result.output


def test_a_grant_without_the_moderation_scope_is_an_auth_failure(fake):
    fake.add_comment("scam", author="mallory")
    connector = connect(fake)
    comment = read(connector)[0][0]
    fake.read_only = True
    with pytest.raises(AuthFailed, match="youtube.force-ssl"):
        connector.hide(comment)
    assert fake.actions == []


def test_a_broken_channel_date_keeps_the_comment(fake):
    channel = fake.add_channel("odd", "Odd Channel")
    fake.channels[channel]["publishedAt"] = "not a date"
    fake.add_comment("hello", author="odd")
    (comment,) = read(connect(fake))[0]
    assert comment.author.name == "Odd Channel" and comment.author.created_at is None


def test_a_new_reply_after_we_hid_one_is_not_hidden_by_the_unchanged_count(fake):
    top = fake.add_comment("Thread", author="alice")
    for i in range(INLINE_REPLIES + 2):
        fake.add_reply(top, f"early {i}", author=f"user{i}")
    connector = connect(fake)
    comments, cursor, _ = read(connector)
    connector.hide(comments[-1])  # the count drops by one...
    late = fake.add_reply(top, "a new reply", author="mallory")  # ...and is back where it was
    assert [c.id for c in read(connector, cursor)[0]] == [late]


def test_the_daemon_waits_for_the_quota_reset_and_others_go_on(fake, tmp_path, monkeypatch):
    """A spent quota backs its account off until midnight Pacific, with no request in the
    meantime; another account keeps being polled."""
    from moderator import config
    from moderator.daemon import Daemon

    clock = [1000.0]
    with FakeYouTube(refresh_token=REFRESH, client_secret=SECRET) as other:
        fake.daily_quota = 1  # the first thread page is the last one today
        accounts = []
        for name, server in (("spent", fake), ("fine", other)):
            server.add_comment(f"hello from {name}", author="alice")
            server.add_comment(f"and again from {name}", author="bob")
            accounts.append({"name": name, "platform": "youtube", "api_base": server.url,
                             "channel_id": server.channel_id, "page_size": 1,
                             "token_uri": server.url + "/token", "author_details": False,
                             "secrets": {"client_id": "YT_ID", "client_secret": "YT_SECRET",
                                         "refresh_token": "YT_REFRESH"}})
        monkeypatch.setenv("YT_ID", fake.client[0])
        monkeypatch.setenv("YT_SECRET", SECRET)
        monkeypatch.setenv("YT_REFRESH", REFRESH)
        settings = config.parse({"store": {"path": str(tmp_path / "m.db")},
                                 "accounts": accounts}, base_dir=tmp_path)
        daemon = Daemon(settings, clock=lambda: clock[0])
        try:
            daemon.poll("spent")
            reset = seconds_to_reset(datetime.now(timezone.utc))
            assert daemon.state["spent"].next_try - clock[0] == pytest.approx(reset, abs=60)
            sent = fake.request_count
            clock[0] += reset + 1  # the daemon's clock says the wait is over; the quota's not
            daemon.poll("spent")
            assert fake.request_count == sent
            assert daemon.poll("fine").new == 2
        finally:
            daemon.shutdown()


def test_an_unreadable_cursor_starts_over_from_the_lookback(fake, caplog):
    fake.add_comment("hello", author="alice")
    for cursor in ("not json", '{"replies": {"t": "x"}}', '{"t": "yesterday"}', "[1, 2]"):
        assert [c.text for c in read(connect(fake), cursor)[0]] == ["hello"]


def test_moderation_state_reads_what_youtube_shows(fake):
    """Asked before re-sending an action a crash left planned: held comments are out of the
    published listings (a reply) or in the held-for-review threads (a top-level comment);
    rejected ones are no longer found."""
    from moderator.models import Action

    top = fake.add_comment("thread", author="alice")
    fake.add_reply(top, "reply", author="bob")
    connector = connect(fake)
    for comment in read(connector)[0]:
        state = connector.moderation_state(comment)
        assert (state.hidden, state.deleted) == (False, False)
        connector.hide(comment)
        state = connect(fake).moderation_state(comment)
        assert (state.hidden, state.deleted) == (True, False)
        assert state.shows(Action.HIDE) and not state.shows(Action.DELETE)
        connector.delete(comment)
        assert connect(fake).moderation_state(comment).shows(Action.DELETE)
