"""The Bluesky connector through the real atproto SDK client over HTTP against
tests/fakes/bluesky.py."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from connectors.bluesky import BSKY_MODERATION, BlueskyConnector
from connectors.bluesky_posts import post_links
from connectors.retry import RetryPolicy
from moderator.config import AccountSettings
from moderator.errors import (AuthFailed, ConfigError, RateLimited, TransientError,
                              UnsupportedAction)
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.harness import Sleeps, read, serving

HANDLE, PASSWORD = "acme.bsky.social", "abcd-efgh-ijkl-mnop"
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01, max_rate_limit_wait=400.0)

fake = serving(lambda: FakeBluesky(handle=HANDLE, password=PASSWORD))


def connect(fake: FakeBluesky, sleeps: Sleeps | None = None, password: str = PASSWORD,
            **options: Any) -> BlueskyConnector:
    account = AccountSettings(name="acme-bsky", platform="bluesky", api_base=fake.url,
                              options=BlueskyConnector.parse_options(options,
                                                                     path="accounts[3]"))
    return BlueskyConnector.open(account, {"handle": HANDLE, "app_password": password},
                                 retry=FAST, sleep=sleeps if sleeps is not None else Sleeps())


def test_replies_quotes_mentions_and_deep_thread_replies_oldest_first(fake):
    post = fake.add_post(fake.owner, "Our new rates")
    reply = fake.add_reply(post, "great", author="alice.bsky.social")
    deep = fake.add_reply(reply, "to alice, not to us", author="bob.bsky.social")
    quote = fake.add_post("carol.bsky.social", "look at this", quote=post)
    mention = fake.add_post("dave.bsky.social", "hello", mention_owner=True)
    own = fake.add_reply(reply, "thanks!", author=fake.owner)
    comments, cursor, _ = read(connect(fake))
    assert [c.id for c in comments] == [reply, deep, quote, mention]
    assert own not in [c.id for c in comments]
    assert comments[1].thread_id == post and comments[1].parent_id == reply
    assert comments[2].thread_id is None and comments[2].parent_id == post  # the quoted post
    assert read(connect(fake), cursor)[0] == []
    notified_only = read(connect(fake, watch_posts=0))[0]
    assert deep not in [c.id for c in notified_only]  # only the thread walk finds it


def test_mapping_facets_author_and_permalink(fake):
    alice = fake.add_profile("acme-support.bsky.social", "Acme Support",
                             created_at=datetime(2026, 11, 28, 8, 15, tzinfo=timezone.utc))
    post = fake.add_post(fake.owner, "Questions?")
    uri = fake.add_reply(post, "Verify here ✅", author=alice,
                         links=[("https://acme-verify.co/login?session=1", "acmebank.com/login")])
    comment = read(connect(fake))[0][0]
    assert comment.id == uri and comment.platform == "bluesky" and comment.account == "acme-bsky"
    assert comment.author.id == alice and comment.author.handle == "acme-support.bsky.social"
    assert comment.author.name == "Acme Support"
    assert comment.author.created_at == datetime(2026, 11, 28, 8, 15, tzinfo=timezone.utc)
    # The text shows one domain; the facet holds the real target (a mismatch signal).
    assert comment.text.endswith("acmebank.com/login")
    assert [(l.url, l.display) for l in comment.links] == [
        ("https://acme-verify.co/login?session=1", "acmebank.com/login")]
    assert comment.permalink == \
        f"https://bsky.app/profile/acme-support.bsky.social/post/{uri.rsplit('/', 1)[1]}"


def test_facet_offsets_are_utf8_bytes():
    text = "🎁 Prize: bit.ly/x and more"
    start = len("🎁 Prize: ".encode())
    record = {"text": text, "facets": [{"index": {"byteStart": start, "byteEnd": start + 8},
                                        "features": [{"$type": "app.bsky.richtext.facet#link",
                                                      "uri": "https://evil.example/p"}]}],
              "embed": {"$type": "app.bsky.embed.external",
                        "external": {"uri": "https://card.example/", "title": "t",
                                     "description": ""}}}
    assert [(l.url, l.display) for l in post_links(record)] == [
        ("https://evil.example/p", "bit.ly/x"), ("https://card.example/", None)]


def test_incremental_with_cursor_across_pages(fake):
    post = fake.add_post(fake.owner, "Busy")
    ids = [fake.add_reply(post, f"reply {i}", author=f"user{i % 7}.bsky.social")
           for i in range(230)]
    connector = connect(fake, watch_posts=0)
    comments, cursor, batches = read(connector)
    assert [c.id for c in comments] == ids
    assert all(len(b.comments) <= 100 for b in batches)
    late = fake.add_reply(post, "late", author="erin.bsky.social")
    before = fake.count("GET", "listNotifications")
    fresh, cursor, _ = read(connector, cursor)
    assert [c.id for c in fresh] == [late]
    assert fake.count("GET", "listNotifications") - before == 1  # stops at the mark


def test_same_instant_posts_are_not_lost_or_repeated(fake):
    post = fake.add_post(fake.owner, "Busy")
    at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    first = fake.add_reply(post, "one", indexed_at=at)
    _, cursor, _ = read(connect(fake))
    second = fake.add_reply(post, "two", indexed_at=at)  # indexed in the same millisecond
    assert [c.id for c in read(connect(fake), cursor)[0]] == [second]
    assert first != second


def test_backfill_date_range(fake):
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)
    post = fake.add_post(fake.owner, "Old", indexed_at=base)
    ids = [fake.add_reply(post, f"r{i}", indexed_at=base + timedelta(minutes=10 * (i + 1)))
           for i in range(60)]
    comments, _, _ = read(connect(fake), since=base + timedelta(minutes=100),
                          until=base + timedelta(minutes=200))
    assert [c.id for c in comments] == ids[9:19]


def test_hide_sets_the_thread_gate_and_keeps_other_hidden_replies(fake):
    post = fake.add_post(fake.owner, "Rates")
    first = fake.add_reply(post, "spam one", author="mallory.bsky.social")
    second = fake.add_reply(first, "spam two", author="mallory.bsky.social")
    connector = connect(fake)
    comments = {c.id: c for c in read(connector)[0]}
    connector.hide(comments[first])
    connector.hide(replace(comments[second], raw=None))
    connector.hide(comments[second])  # a repeat after a crash: no second write
    gate = fake.records[("app.bsky.feed.threadgate", post.rsplit("/", 1)[1])]
    assert gate["post"] == post and gate["hiddenReplies"] == [first, second]
    assert "allow" not in gate  # hiding must not restrict who may reply
    connector.unhide(comments[first])
    assert gate is not fake.records[("app.bsky.feed.threadgate", post.rsplit("/", 1)[1])]
    assert fake.actions == [("hide", first), ("hide", second), ("unhide", first)]


def test_hide_detaches_a_quote_and_refuses_a_plain_mention(fake):
    post = fake.add_post(fake.owner, "Rates")
    quote = fake.add_post("mallory.bsky.social", "scam", quote=post)
    mention = fake.add_post("mallory.bsky.social", "scam", mention_owner=True)
    connector = connect(fake)
    comments = {c.id: c for c in read(connector)[0]}
    connector.hide(comments[quote])
    gate = fake.records[("app.bsky.feed.postgate", post.rsplit("/", 1)[1])]
    assert gate["detachedEmbeddingUris"] == [quote]
    with pytest.raises(UnsupportedAction, match="block, mute or report"):
        connector.hide(comments[mention])
    with pytest.raises(UnsupportedAction):
        connector.delete(comments[mention])
    assert fake.actions == [("detach", quote)]


def test_reply_in_someone_elses_thread_cannot_be_hidden(fake):
    theirs = fake.add_post("news.bsky.social", "an article")
    reply = fake.add_reply(theirs, "scam", author="mallory.bsky.social", mention_owner=True)
    connector = connect(fake)
    comment = read(connector)[0][0]
    assert comment.id == reply
    with pytest.raises(UnsupportedAction):
        connector.hide(comment)


def test_ban_blocks_once_mute_and_report_to_the_moderation_service(fake):
    post = fake.add_post(fake.owner, "Rates")
    fake.add_reply(post, "scam", author="mallory.bsky.social")
    connector = connect(fake)
    comment = read(connector)[0][0]
    connector.ban(comment)
    connector.ban(replace(comment, raw=None))  # already blocked: no second block record
    connector.mute(comment)
    connector.report(replace(comment, raw=None), "phishing link", reason_type="spam")
    assert fake.actions == [("block", comment.author.id), ("mute", comment.author.id),
                            ("report", comment.id)]
    report = fake.reports[0]
    assert report["reasonType"] == "com.atproto.moderation.defs#reasonSpam"
    assert report["subject"]["uri"] == comment.id and report["subject"]["cid"]
    assert report["_proxy"] == f"{BSKY_MODERATION}#atproto_labeler"


def test_expired_session_is_refreshed_by_the_sdk(fake):
    fake.access_lifetime = timedelta(minutes=10)  # inside the SDK's 15-minute margin
    fake.add_post("dave.bsky.social", "hi", mention_owner=True)
    connector = connect(fake)
    read(connector)
    read(connector)
    assert fake.logins == 1 and fake.count("POST", "refreshSession") >= 1


def test_revoked_session_logs_in_again_once_then_auth_failed(fake, caplog, capsys):
    fake.add_post("dave.bsky.social", "hi", mention_owner=True)
    connector = connect(fake)
    read(connector)
    with fake.lock:
        fake.access_tokens.clear()  # the session was revoked, the password still works
    read(connector)
    assert fake.logins == 2
    errors = []
    with caplog.at_level(logging.DEBUG):
        fake.revoke()
        with pytest.raises(AuthFailed, match="bluesky acme-bsky") as raised:
            read(connector)
        errors.append(f"{raised.value!r} {raised.value.__cause__!r}")
        with pytest.raises(AuthFailed):
            read(connect(fake, password="wrong-pass"))
    out, err = capsys.readouterr()
    assert PASSWORD not in caplog.text + out + err + "".join(errors) + repr(connector)


def test_429_waits_for_the_reset(fake):
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    fake.fail("429", headers={"ratelimit-reset": str(int(time.time()) + 3)})
    read(connector)
    assert len(sleeps) == 1 and 1.0 < sleeps[0] <= 3.0


def test_429_without_reset_backs_off_bounded(fake):
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    read(connector)  # logged in
    fake.fail("429", times=50)
    served = fake.request_count
    with pytest.raises(RateLimited):
        read(connector)
    assert fake.request_count - served == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1 and all(s <= 0.01 for s in sleeps)


def test_5xx_timeout_and_malformed_json_retried_bounded(fake):
    fake.add_post("dave.bsky.social", "hi", mention_owner=True)
    connector = connect(fake, timeout=0.5, watch_posts=0)
    read(connector)
    fake.fail("500", path="listNotifications")
    fake.fail("slow", delay=2.0, path="listNotifications")
    started = time.monotonic()
    assert len(read(connector)[0]) == 1
    assert time.monotonic() - started < 1.9
    fake.fail("malformed", path="listNotifications")
    assert len(read(connector)[0]) == 1
    fake.fail("500", times=10)
    served = fake.request_count
    with pytest.raises(TransientError, match="bluesky acme-bsky"):
        read(connector)
    assert fake.request_count - served == FAST.attempts


def test_malformed_post_logged_and_skipped(fake, caplog):
    post = fake.add_post(fake.owner, "Rates")
    good = fake.add_reply(post, "fine")
    bad = fake.add_reply(post, "broken", malformed=True)
    good2 = fake.add_reply(post, "fine too")
    with caplog.at_level(logging.WARNING):
        comments, cursor, batches = read(connect(fake))
    assert [c.id for c in comments] == [good, good2]
    assert sum(b.skipped for b in batches) == 1 and bad in caplog.text
    assert read(connect(fake), cursor)[0] == []


def test_options_and_secrets_validated():
    with pytest.raises(ConfigError) as raised:
        BlueskyConnector.parse_options({"page_size": 500, "watch_posts": 101,
                                        "report_service": "bsky.app", "hide": True},
                                       path="accounts[3]")
    for key in ("page_size", "watch_posts", "report_service", "hide"):
        assert f"accounts[3].{key}" in str(raised.value)
    account = AccountSettings(name="acme-bsky", platform="bluesky",
                              options=BlueskyConnector.parse_options({}, path="accounts[3]"))
    with pytest.raises(ConfigError, match="accounts.acme-bsky.secrets.app_password"):
        BlueskyConnector.open(account, {"handle": HANDLE})


# Field names from the lexicons (github.com/bluesky-social/atproto, MIT/Apache-2.0):
# app/bsky/notification/listNotifications.json#notification (required + the optional ones the
# fake sends), app/bsky/actor/defs.json#profileView, com/atproto/server/createSession.json.
LEXICON_NOTIFICATION_REQUIRED = {"uri", "cid", "author", "reason", "record", "isRead",
                                 "indexedAt"}
LEXICON_NOTIFICATION = LEXICON_NOTIFICATION_REQUIRED | {"reasonSubject", "labels"}
LEXICON_PROFILE_VIEW = {"did", "handle", "displayName", "pronouns", "description", "avatar",
                        "associated", "indexedAt", "createdAt", "viewer", "labels", "verification",
                        "status", "debug"}
LEXICON_SESSION_REQUIRED = {"accessJwt", "refreshJwt", "handle", "did"}


def test_fake_answers_in_the_lexicon_shapes(fake):
    post = fake.add_post(fake.owner, "Rates")
    fake.add_reply(post, "hello", links=[("https://example.com/a", "example.com/a")])
    session = requests.post(f"{fake.url}/xrpc/com.atproto.server.createSession",
                            json={"identifier": HANDLE, "password": PASSWORD}).json()
    assert LEXICON_SESSION_REQUIRED <= set(session)
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}
    page = requests.get(f"{fake.url}/xrpc/app.bsky.notification.listNotifications",
                        headers=auth).json()
    note = page["notifications"][0]
    assert LEXICON_NOTIFICATION_REQUIRED <= set(note) <= LEXICON_NOTIFICATION
    assert set(note["author"]) <= LEXICON_PROFILE_VIEW
    assert note["record"]["$type"] == "app.bsky.feed.post" and note["reason"] == "reply"
    assert note["record"]["reply"]["root"] == {"uri": post, "cid": fake.posts[post]["cid"]}
    facet = note["record"]["facets"][0]
    assert set(facet) == {"index", "features"} and set(facet["index"]) == {"byteStart",
                                                                            "byteEnd"}
    missing = requests.get(f"{fake.url}/xrpc/com.atproto.repo.getRecord", headers=auth,
                           params={"repo": fake.owner, "collection": "app.bsky.feed.threadgate",
                                   "rkey": "3l3xyz"})
    assert missing.status_code == 400 and missing.json()["error"] == "RecordNotFound"


def test_fake_answers_validate_against_the_sdks_lexicon_models(fake):
    """The SDK's models are generated from the lexicons: every answer the connector reads
    must validate as the typed response of its method (strictly: no unknown required field
    missing, right types)."""
    from atproto_client import models
    from atproto_client.models.utils import get_or_create

    post = fake.add_post(fake.owner, "Rates")
    reply = fake.add_reply(post, "hi", links=[("https://example.com/a", "example.com/a")])
    fake.add_post("carol.bsky.social", "quote", quote=post)
    connector = connect(fake)
    comment = read(connector)[0][0]
    connector.hide(comment)
    session = requests.post(f"{fake.url}/xrpc/com.atproto.server.createSession",
                            json={"identifier": HANDLE, "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}

    def get(nsid: str, **params: Any) -> Any:
        return requests.get(f"{fake.url}/xrpc/{nsid}", headers=auth, params=params).json()

    checks = [
        (session, models.ComAtprotoServerCreateSession.Response),
        (get("app.bsky.notification.listNotifications"),
         models.AppBskyNotificationListNotifications.Response),
        (get("app.bsky.feed.getAuthorFeed", actor=fake.owner),
         models.AppBskyFeedGetAuthorFeed.Response),
        (get("app.bsky.feed.getPostThread", uri=post), models.AppBskyFeedGetPostThread.Response),
        (get("app.bsky.actor.getProfile", actor=fake.owner),
         models.AppBskyActorDefs.ProfileViewDetailed),
        (get("com.atproto.repo.getRecord", repo=fake.owner,
             collection="app.bsky.feed.threadgate", rkey=post.rsplit("/", 1)[1]),
         models.ComAtprotoRepoGetRecord.Response),
    ]
    for body, model in checks:
        assert get_or_create(body, model, strict=True) is not None, model
    thread = get_or_create(checks[3][0], models.AppBskyFeedGetPostThread.Response)
    assert thread.thread.replies[0].post.uri == reply
    gate = get_or_create(checks[5][0], models.ComAtprotoRepoGetRecord.Response).value
    assert gate.hidden_replies == [reply]


def test_check_config_names_the_bluesky_keys_and_hides_secrets(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from moderator.cli import main

    account = ('[[accounts]]\nname = "acme-b"\nplatform = "bluesky"\n{}'
               'secrets = {{ handle = "B_HANDLE", app_password = "B_PASS" }}\n')
    bad = tmp_path / "bad.toml"
    bad.write_text(account.format('report_service = "bsky.app"\nthread_depth = 0\n'))
    result = CliRunner().invoke(main, ["check-config", str(bad)])
    assert result.exit_code == 2
    assert "accounts[0].report_service: expected the moderation service's DID" in result.output
    assert "accounts[0].thread_depth" in result.output
    good = tmp_path / "good.toml"
    good.write_text(account.format(""))
    monkeypatch.setenv("B_HANDLE", HANDLE)
    monkeypatch.delenv("B_PASS", raising=False)
    result = CliRunner().invoke(main, ["check-config", str(good)])
    assert result.exit_code == 2  # an enabled account's secret is missing
    assert "accounts.acme-b.secrets.app_password: B_PASS is not set" in result.output
    monkeypatch.setenv("B_PASS", PASSWORD)
    result = CliRunner().invoke(main, ["check-config", str(good)])
    assert result.exit_code == 0 and "OK (1 accounts)" in result.output
    assert PASSWORD not in result.output


def test_the_example_config_documents_every_bluesky_setting():
    import re
    from pathlib import Path

    from moderator import config

    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    text = example.read_text()
    block = text[text.index('name = "acme-bluesky"'):]
    block = block[:block.index("[[accounts]]")]
    documented = set(re.findall(r"^#? ?([a-z_]+) = ", block, flags=re.MULTILINE))
    assert documented - {"name", "platform", "mode", "api_base", "secrets"} == \
        {"watch_posts", "thread_depth", "page_size", "report_service", "lookback_days",
         "timeout"}
    account = config.load(example).account("acme-bluesky")
    assert account.platform == "bluesky" and account.options.report_service == BSKY_MODERATION


def test_first_poll_reads_back_lookback_days_only(fake):
    post = fake.add_post(fake.owner, "Rates")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    fake.add_reply(post, "ancient", indexed_at=now - timedelta(days=40))
    recent = fake.add_reply(post, "recent", indexed_at=now - timedelta(days=2))
    comments, cursor, _ = read(connect(fake, lookback_days=30))
    assert [c.id for c in comments] == [recent]
    late = fake.add_reply(post, "late", indexed_at=now - timedelta(hours=1))
    assert [c.id for c in read(connect(fake, lookback_days=30), cursor)[0]] == [late]
    assert len(read(connect(fake, lookback_days=0))[0]) == 3


def test_moderation_state_reads_the_gates_back(fake):
    from moderator.models import Action

    post = fake.add_post(fake.owner, "Rates")
    reply = fake.add_reply(post, "scam", author="mallory.bsky.social")
    quote = fake.add_post("mallory.bsky.social", "scam", quote=post)
    mention = fake.add_post("mallory.bsky.social", "scam", mention_owner=True)
    connector = connect(fake)
    comments = {c.id: replace(c, raw=None) for c in read(connector)[0]}
    for uri in (reply, quote):
        assert connector.moderation_state(comments[uri]).hidden is False
        connector.hide(comments[uri])
        assert connect(fake).moderation_state(comments[uri]).shows(Action.HIDE)
    assert connector.moderation_state(comments[mention]).hidden is None  # not hideable
    before = fake.request_count
    connector.moderation_state(comments[reply])
    assert fake.request_count - before == 1  # one read of the gate


def test_default_rules_see_the_facet_behind_the_shown_link_and_hide(fake):
    """What the user gets: the default configuration judges the comment the connector made;
    the link text shows the brand's domain, the facet goes elsewhere."""
    from moderator import config
    from moderator.judge import Judge
    from moderator.models import Action

    settings = config.parse({"brand": {"name": "Acme Bank", "domains": ["acmebank.com"]}})
    post = fake.add_post(fake.owner, "Rates")
    fake.add_reply(post, "Verify your account here",
                   links=[("https://acme-verify.co/login", "acmebank.com/login")])
    connector = connect(fake)
    judge = Judge.for_account(settings, None, connector.capabilities, network=False)
    (item,) = judge.judge(read(connector)[0]).items
    assert "links.mismatch" in [f.rule for f in item.findings]
    assert item.decision.action is Action.HIDE  # the thread gate can hide it
