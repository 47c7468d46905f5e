"""The Mastodon connector through the real Mastodon.py client over HTTP against
tests/fakes/mastodon.py."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from connectors.mastodon import MastodonConnector, plain_text
from connectors.retry import RetryPolicy
from moderator.config import AccountSettings
from moderator.errors import (AuthFailed, ConfigError, RateLimited, TransientError,
                              UnsupportedAction)
from tests.fakes.harness import Sleeps, read, serving
from tests.fakes.mastodon import FakeMastodon

TOKEN = "mtok-Zr84QwX1nB"
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01, max_rate_limit_wait=400.0)

fake = serving(lambda: FakeMastodon(token=TOKEN))


def connect(fake: FakeMastodon, sleeps: Sleeps | None = None, token: str = TOKEN,
            **options: Any) -> MastodonConnector:
    account = AccountSettings(name="acme-masto", platform="mastodon", api_base=fake.url,
                              options=MastodonConnector.parse_options(options,
                                                                      path="accounts[2]"))
    return MastodonConnector.open(account, {"access_token": token}, retry=FAST,
                                  sleep=sleeps if sleeps is not None else Sleeps())


def test_mentions_and_thread_replies_oldest_first(fake):
    post = fake.add_post("Our new rates")
    reply = fake.add_reply(post, "great", author="alice")
    silent = fake.add_reply(reply, "no mention here", author="bob", mention=False)
    mention = fake.add_mention("hello there", author="carol")
    own = fake.add_reply(reply, "thanks!", author=fake.owner_id)  # our own answer
    comments, cursor, _ = read(connect(fake))
    assert [c.id for c in comments] == [reply, silent, mention]
    assert own not in [c.id for c in comments]
    assert comments[1].thread_id == post and comments[1].parent_id == reply
    assert read(connect(fake), cursor)[0] == []
    without_threads = read(connect(fake, watch_posts=0))[0]
    assert [c.id for c in without_threads] == [reply, mention]  # the silent one is missed


def test_mapping_html_links_card_and_author(fake):
    fake.add_account("acme_supp0rt", "Acme Support",
                     created_at=datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc),
                     domain="evil.example")
    sid = fake.add_status(
        fake.add_account("acme_supp0rt", domain="evil.example"), "DM us <now> & verify",
        mention_owner=True, links=[("https://acme-verify.co/login?id=1", "acmebank.com/login")],
        card="https://acme-verify.co/login?id=1&card=1")
    comment = read(connect(fake))[0][0]
    assert comment.id == sid and comment.platform == "mastodon"
    assert comment.account == "acme-masto"
    assert comment.text.startswith("@acme DM us <now> & verify")  # HTML gone, entities read
    assert comment.author.handle == "acme_supp0rt@evil.example"
    assert comment.author.name == "Acme Support"
    assert comment.author.created_at == datetime(2026, 11, 20, tzinfo=timezone.utc)
    # The link text shows one domain, the href goes elsewhere: both kept for links.mismatch.
    assert [(l.url, l.display) for l in comment.links] == [
        ("https://acme-verify.co/login?id=1", "acmebank.com/login"),
        ("https://acme-verify.co/login?id=1&card=1", None)]
    assert comment.permalink.endswith(f"/{sid}")
    assert comment.created_at.tzinfo is not None


def test_content_warning_is_part_of_the_text():
    text, links = plain_text('<p>line one<br>line <a href="https://x.example/a" '
                             'class="mention">@x</a> two</p><p>para</p>')
    assert text == "line one\nline @x two\n\npara" and links == []


def test_incremental_with_cursor_across_pages(fake):
    ids = [fake.add_mention(f"mention {i}", author=f"user{i % 7}") for i in range(200)]
    connector = connect(fake, watch_posts=0)
    comments, cursor, batches = read(connector)
    assert [c.id for c in comments] == ids
    assert all(len(b.comments) <= 80 for b in batches)
    assert fake.count("GET", "/api/v1/notifications") == 4  # 80 + 80 + 40 + an empty page
    late = fake.add_mention("late", author="dave")
    before = fake.count("GET", "/api/v1/notifications")
    fresh, cursor, _ = read(connector, cursor)
    assert [c.id for c in fresh] == [late]
    assert fake.count("GET", "/api/v1/notifications") - before == 2  # since_id: one page


def test_backfill_date_range(fake):
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)
    post = fake.add_post(created_at=base)
    ids = [fake.add_reply(post, f"r{i}", created_at=base + timedelta(minutes=10 * (i + 1)))
           for i in range(60)]
    comments, _, _ = read(connect(fake), since=base + timedelta(minutes=100),
                          until=base + timedelta(minutes=200))
    assert [c.id for c in comments] == ids[9:19]


def test_capabilities_are_the_truth(fake):
    post = fake.add_post()
    fake.add_reply(post, "scam", author="mallory")
    connector = connect(fake)
    caps = connector.capabilities
    assert not caps.hide and not caps.delete and caps.ban and not caps.approve
    comment = read(connector)[0][0]
    for refused in (connector.hide, connector.unhide, connector.delete):
        with pytest.raises(UnsupportedAction):
            refused(comment)
    assert fake.actions == []


def test_ban_blocks_mute_and_report(fake):
    post = fake.add_post()
    fake.add_reply(post, "scam", author="mallory")
    connector = connect(fake)
    comment = read(connector)[0][0]
    connector.ban(comment)
    connector.ban(comment)  # a restart repeating the call: no second effect
    connector.mute(comment)
    connector.report(comment, "phishing link", category="spam")
    assert fake.actions == [("block", comment.author.id), ("mute", comment.author.id),
                            ("report", comment.id)]
    report = fake.reports[0]
    assert report["status_ids"] == [comment.id] and report["category"] == "spam"
    assert report["comment"] == "phishing link" and report["forwarded"] is True


def test_admin_suspend_needs_an_admin_token(fake):
    post = fake.add_post()
    fake.add_reply(post, "scam", author="mallory")
    connector = connect(fake, ban_action="suspend")
    comment = read(connector)[0][0]
    with pytest.raises(UnsupportedAction, match="HTTP 403"):
        connector.ban(comment)
    fake.admin = True
    connector.ban(comment)
    assert fake.actions == [("admin-suspend", comment.author.id)]


def test_429_with_reset_header_waits_until_reset(fake):
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    reset = datetime.now(timezone.utc) + timedelta(seconds=3)
    fake.fail("429", headers={"X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    read(connector)
    # Mastodon.py shifts the reset by the server's Date header (whole seconds): up to +1 s.
    assert len(sleeps) == 1 and 1.5 < sleeps[0] <= 4.1


def test_429_without_reset_backs_off_bounded(fake):
    sleeps = Sleeps()
    connector = connect(fake, sleeps)
    fake.fail("429", times=50)
    served = fake.request_count
    with pytest.raises(RateLimited):
        read(connector)
    assert fake.request_count - served == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1 and all(s <= 0.01 for s in sleeps)


def test_5xx_timeout_and_malformed_json_retried_bounded(fake):
    fake.add_mention("x", author="carol")
    connector = connect(fake, timeout=0.5)
    fake.fail("500")
    fake.fail("slow", delay=2.0)
    started = time.monotonic()
    assert len(read(connector)[0]) == 1
    assert time.monotonic() - started < 1.9
    assert fake.count(path="/verify_credentials") == 3  # 500, timeout, answer
    fake.fail("malformed")
    assert len(read(connector)[0]) == 1
    fake.fail("500", times=10)
    served = fake.request_count
    with pytest.raises(TransientError, match="mastodon acme-masto"):
        read(connector)
    assert fake.request_count - served == FAST.attempts


def test_malformed_status_logged_and_skipped(fake, caplog):
    post = fake.add_post()
    good = fake.add_reply(post, "fine")
    bad = fake.add_reply(post, "broken", malformed=True)
    good2 = fake.add_reply(post, "fine too")
    with caplog.at_level(logging.WARNING):
        comments, cursor, batches = read(connect(fake))
    assert [c.id for c in comments] == [good, good2]
    assert sum(b.skipped for b in batches) == 1 and bad in caplog.text
    assert read(connect(fake), cursor)[0] == []


def test_revoked_token_is_auth_failed_and_never_shown(fake, caplog, capsys):
    fake.add_mention("hi")
    errors = []
    with caplog.at_level(logging.DEBUG):
        connector = connect(fake)
        read(connector)
        fake.revoke()
        with pytest.raises(AuthFailed, match="mastodon acme-masto") as raised:
            read(connector)
        errors.append(f"{raised.value!r} {raised.value.__cause__!r}")
    out, err = capsys.readouterr()
    assert TOKEN not in caplog.text + out + err + "".join(errors)


def test_token_that_names_a_file_is_still_a_token(fake, tmp_path, monkeypatch):
    (tmp_path / TOKEN).write_text("not-the-token\n")
    monkeypatch.chdir(tmp_path)
    fake.add_mention("hi")
    assert len(read(connect(fake))[0]) == 1


def test_options_and_secrets_validated(fake):
    with pytest.raises(ConfigError) as raised:
        MastodonConnector.parse_options({"page_size": 500, "watch_posts": 41,
                                         "ban_action": "delete", "hide": True},
                                        path="accounts[2]")
    for key in ("page_size", "watch_posts", "ban_action", "hide"):
        assert f"accounts[2].{key}" in str(raised.value)
    account = AccountSettings(name="acme-masto", platform="mastodon", api_base=fake.url,
                              options=MastodonConnector.parse_options({}, path="accounts[2]"))
    with pytest.raises(ConfigError, match="accounts.acme-masto.secrets.access_token"):
        MastodonConnector.open(account, {})
    no_base = AccountSettings(name="acme-masto", platform="mastodon", options=account.options)
    with pytest.raises(ConfigError, match="accounts.acme-masto.api_base"):
        MastodonConnector.open(no_base, {"access_token": TOKEN})


# Key sets of the entities in Mastodon.py's recorded cassette tests/cassettes/
# test_notifications.yaml (github.com/halcy/Mastodon.py, MIT; recorded against Mastodon 4.0).
RECORDED_NOTIFICATION = {"id", "type", "created_at", "account", "status"}
RECORDED_STATUS = {"id", "created_at", "in_reply_to_id", "in_reply_to_account_id", "sensitive",
                   "spoiler_text", "visibility", "language", "uri", "url", "replies_count",
                   "reblogs_count", "favourites_count", "edited_at", "favourited", "reblogged",
                   "muted", "bookmarked", "content", "filtered", "reblog", "application",
                   "account", "media_attachments", "mentions", "tags", "emojis", "card", "poll"}
RECORDED_ACCOUNT = {"id", "username", "acct", "display_name", "locked", "bot", "discoverable",
                    "group", "created_at", "note", "url", "avatar", "avatar_static", "header",
                    "header_static", "followers_count", "following_count", "statuses_count",
                    "last_status_at", "noindex", "emojis", "fields"}


def test_fake_answers_in_the_recorded_shapes(fake):
    fake.add_mention("hello")
    answer = requests.get(f"{fake.url}/api/v1/notifications",
                          headers={"Authorization": f"Bearer {TOKEN}"})
    note = answer.json()[0]
    assert set(note) == RECORDED_NOTIFICATION
    assert set(note["status"]) == RECORDED_STATUS
    assert set(note["account"]) == RECORDED_ACCOUNT and note["id"].isdigit()
    assert note["account"]["created_at"].endswith("T00:00:00.000Z")
    assert 'rel="next"' in answer.headers["Link"]
    datetime.fromisoformat(answer.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert json.loads(json.dumps(note))["status"]["content"].startswith("<p>")


def test_config_names_the_mastodon_key():
    from moderator import config

    with pytest.raises(ConfigError, match=r"accounts\[0\]\.ban_action"):
        config.parse({"accounts": [{"name": "m", "platform": "mastodon",
                                    "api_base": "https://social.example",
                                    "ban_action": "nuke"}]})


def test_check_config_names_the_mastodon_keys_and_hides_secrets(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from moderator.cli import main

    account = ('[[accounts]]\nname = "acme-m"\nplatform = "mastodon"\n'
               'api_base = "https://social.example"\n{}'
               'secrets = {{ access_token = "M_TOKEN" }}\n')
    bad = tmp_path / "bad.toml"
    bad.write_text(account.format('ban_action = "delete"\npage_size = 100\n'))
    result = CliRunner().invoke(main, ["check-config", str(bad)])
    assert result.exit_code == 2
    assert "accounts[0].ban_action: expected one of block, suspend, silence" in result.output
    assert "accounts[0].page_size: Mastodon returns at most 80" in result.output
    good = tmp_path / "good.toml"
    good.write_text(account.format(""))
    monkeypatch.delenv("M_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["check-config", str(good)])
    assert result.exit_code == 2  # an enabled account's secret is missing
    assert "accounts.acme-m.secrets.access_token: M_TOKEN is not set" in result.output
    monkeypatch.setenv("M_TOKEN", TOKEN)
    result = CliRunner().invoke(main, ["check-config", str(good)])
    assert result.exit_code == 0 and "OK (1 accounts)" in result.output
    assert TOKEN not in result.output


def test_the_example_config_documents_every_mastodon_setting():
    import re
    from pathlib import Path

    from moderator import config

    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    text = example.read_text()
    block = text[text.index('name = "acme-mastodon"'):]
    block = block[:block.index("[[accounts]]")]
    documented = set(re.findall(r"^#? ?([a-z_]+) = ", block, flags=re.MULTILINE))
    assert documented - {"name", "platform", "mode", "api_base", "secrets"} == \
        {"watch_posts", "page_size", "ban_action", "report_forward", "lookback_days",
         "timeout"}
    account = config.load(example).account("acme-mastodon")
    assert account.platform == "mastodon" and account.options.ban_action == "block"


def test_first_poll_reads_back_lookback_days_only(fake):
    post = fake.add_post()
    now = datetime.now(timezone.utc)
    fake.add_reply(post, "ancient", created_at=now - timedelta(days=8))
    recent = fake.add_reply(post, "recent", created_at=now - timedelta(days=2))
    comments, cursor, _ = read(connect(fake))  # the default: a week
    assert [c.id for c in comments] == [recent]
    late = fake.add_reply(post, "late")
    assert [c.id for c in read(connect(fake), cursor)[0]] == [late]
    assert len(read(connect(fake, lookback_days=0))[0]) == 3


def test_moderation_state_is_never_hidden_and_deleted_once_gone(fake):
    post = fake.add_post()
    sid = fake.add_reply(post, "scam", author="mallory")
    connector = connect(fake)
    comment = read(connector)[0][0]
    state = connector.moderation_state(comment)
    assert state.hidden is False and state.deleted is False
    with fake.lock:
        del fake.statuses[sid]  # its author deleted it
    assert connector.moderation_state(comment).deleted is True


def test_default_rules_see_the_href_behind_the_shown_link_and_queue_it(fake):
    """What the user gets: the default configuration judges the comment the connector made;
    Mastodon cannot hide, so the hide the rules call for becomes the review queue."""
    from moderator import config
    from moderator.judge import Judge
    from moderator.models import Action

    settings = config.parse({"brand": {"name": "Acme Bank", "domains": ["acmebank.com"]}})
    post = fake.add_post()
    fake.add_reply(post, "Verify your account here",
                   links=[("https://acme-verify.co/login", "acmebank.com/login")])
    connector = connect(fake)
    judge = Judge.for_account(settings, None, connector.capabilities, network=False)
    (item,) = judge.judge(read(connector)[0]).items
    assert "links.mismatch" in [f.rule for f in item.findings]
    assert item.decision.action is Action.REVIEW and item.decision.degraded_from is Action.HIDE


def test_a_resumed_poll_commits_page_by_page(fake):
    post = fake.add_post()
    first = fake.add_reply(post, "first")
    _, cursor, _ = read(connect(fake, page_size=80))
    ids = [fake.add_reply(post, f"r{i}", author=f"user{i % 5}") for i in range(170)]
    bad = fake.add_reply(post, "broken", malformed=True)
    comments, last, batches = read(connect(fake, page_size=80), cursor)
    assert [c.id for c in comments] == ids and first not in ids
    # 80 + 80 + 11 notifications: a batch (and a cursor to commit) per page, then the threads
    assert [len(b.comments) for b in batches][:3] == [80, 80, 10]
    assert len({b.cursor for b in batches[:3]}) == 3
    assert sum(b.skipped for b in batches) == 1 and bad not in [c.id for c in comments]
    # A crash after the first batch: the notifications resume after it. (The thread walk's
    # mark moves with the last batch only, so it may bring the first 80 again: the store
    # skips comments it already recorded, as on any replay.)
    rest = read(connect(fake, page_size=80, watch_posts=0), batches[0].cursor)[0]
    assert [c.id for c in rest] == ids[80:]
    assert read(connect(fake), last)[0] == []


def test_approving_a_queued_reply_reports_it_to_the_instance(fake, tmp_path):
    """Mastodon cannot hide another account's post: the queued item proposes a report, and a
    reviewer's approval sends it to the instance's moderators, once, in the audit log."""
    from moderator import config, review
    from moderator.store import Store
    from moderator.worker import run_account

    settings = config.parse({
        "brand": {"name": "Acme Bank", "domains": ["acmebank.com"]},
        "accounts": [{"name": "acme-masto", "platform": "mastodon", "api_base": fake.url,
                      "mode": "enforce", "secrets": {"access_token": "MASTO_TOKEN"}}]},
        base_dir=tmp_path)
    post = fake.add_post()
    fake.add_reply(post, "Verify your account here",
                   links=[("https://acme-verify.co/login", "acmebank.com/login")])
    connector = connect(fake)
    with Store(tmp_path / "m.db") as store:
        run_account(settings, settings.account("acme-masto"), connector, store)
        [item] = store.queue()
        assert item["proposed_action"] == "report"
        verdict = review.approve(store, item["id"], "alice", lambda account: connector,
                                 dry_run=False)
        assert verdict.result is not None and verdict.result.status.value == "done"
        assert [r["status_ids"] for r in fake.reports] == [[item["comment_id"]]]
        assert "alice" in fake.reports[0]["comment"]
        logged = [(a["action"], a["status"], a["actor"])
                  for a in store.actions_for(item["comment_uid"])]
        assert ("report", "done", "alice") in logged
