"""What every connector promises the core, checked on each one against its platform.

A connector joins by offering a kit: ``contract_kit(tmp_path)`` in its fake's module (see
``tests/fakes/harness.Kit``), and one line in KITS below.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest

from connectors import CONNECTORS
from connectors.base import Batch, Capabilities, Connector
from connectors.file import FileConnector
from moderator.config import AccountSettings
from moderator.errors import AuthFailed, ModeratorError
from moderator.models import Action, Comment
from tests.fakes import bluesky as fake_bluesky
from tests.fakes import mastodon as fake_mastodon
from tests.fakes import reddit as fake_reddit
from tests.fakes import x as fake_x
from tests.fakes import youtube as fake_youtube
from tests.fakes.harness import Kit


@contextmanager
def file_kit(tmp_path: Any) -> Iterator[Kit]:
    source, actions = tmp_path / "comments.jsonl", tmp_path / "actions.jsonl"
    source.write_text("", encoding="utf-8")
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    count = [0]

    def write(line: str) -> str:
        count[0] += 1
        with source.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        return f"c{count[0]}"

    def post(text: str) -> str:
        when = (start + timedelta(minutes=count[0] + 1)).isoformat()
        return write(json.dumps({"id": f"c{count[0] + 1}", "text": text, "created_at": when}))

    account = AccountSettings(name="acme-file", platform="file", base_dir=tmp_path,
                              options=FileConnector.parse_options(
                                  {"path": "comments.jsonl", "actions_file": "actions.jsonl"},
                                  path="accounts[0]"))

    def applied() -> list[tuple[str, str]]:
        if not actions.exists():
            return []
        return [(r["action"], r["id"]) for r in map(json.loads, actions.read_text().splitlines())]

    yield Kit(connector=FileConnector.open(account, {}), account="acme-file", post=post,
              applied=applied, reopen=lambda: FileConnector.open(account, {}),
              post_malformed=lambda: write('{"id": "broken", "text": '))


@contextmanager
def graph_kit(platform: str) -> Iterator[Kit]:
    """Facebook Page or Instagram account on tests/fakes/graph.py (its own server)."""
    from connectors.retry import RetryPolicy
    from moderator import config
    from tests.fakes.graph import FakeGraph, graph_time

    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    minutes = [0]

    def stamp() -> str:
        minutes[0] += 1
        return graph_time(start + timedelta(minutes=minutes[0]))

    with FakeGraph(token="kit-token") as fake:
        if platform == "facebook":
            fake.add_page("1000")
            parent = fake.add_post("1000", stamp(), "Kit post")
            where = {"page_id": "1000"}
            post = lambda text: fake.add_fb_comment(parent, text, stamp())  # noqa: E731
            bad = {"id": "bad", "message": 7, "created_time": stamp()}
        else:
            fake.add_ig_user("17841400000000000")
            parent = fake.add_media("17841400000000000", stamp(), "Kit post")
            where = {"ig_user_id": "17841400000000000"}
            post = lambda text: fake.add_ig_comment(parent, text, stamp())  # noqa: E731
            bad = {"id": "bad", "text": "no timestamp"}
        account = config.parse({"accounts": [{
            "name": f"acme-{platform}", "platform": platform, "api_base": fake.base_url,
            "secrets": {"access_token": "KIT_TOKEN"}, **where}]}).accounts[0]

        def reopen() -> Any:
            return CONNECTORS[platform].open(account, {"access_token": "kit-token"},
                                             retry=RetryPolicy(attempts=2, base_delay=0.001,
                                                               max_delay=0.01),
                                             sleep=lambda s: None)

        def post_malformed() -> str:
            fake.add_raw(parent, "comments", dict(bad))
            return "bad"

        yield Kit(connector=reopen(), account=f"acme-{platform}", post=post,
                  applied=lambda: list(fake.actions), reopen=reopen,
                  post_malformed=post_malformed, revoke=fake.revoke)


KITS = {
    "bluesky": fake_bluesky.contract_kit,
    "file": file_kit,
    "reddit": fake_reddit.contract_kit,
    "x": fake_x.contract_kit,
    "youtube": fake_youtube.contract_kit,
    "facebook": lambda tmp_path: graph_kit("facebook"),
    "instagram": lambda tmp_path: graph_kit("instagram"),
    "mastodon": fake_mastodon.contract_kit,
}


@pytest.fixture(params=sorted(KITS))
def kit(request, tmp_path):
    with KITS[request.param](tmp_path) as made:
        yield made


def drain(connector: Connector, cursor: str | None = None,
          **kw: Any) -> tuple[list[Comment], str | None, list[Batch]]:
    batches = list(connector.fetch(cursor, **kw))
    last = batches[-1].cursor if batches else cursor
    return [c for b in batches for c in b.comments], last, batches


def test_is_registered_and_declares_capabilities(kit):
    connector = kit.connector
    assert isinstance(connector, Connector)
    assert CONNECTORS[connector.platform] is type(connector)
    assert isinstance(connector.capabilities, Capabilities)


def test_fetch_yields_comments_oldest_first_with_a_string_cursor(kit):
    ids = [kit.post(f"comment number {i}") for i in range(5)]
    comments, cursor, batches = drain(kit.connector)
    assert all(isinstance(b, Batch) and isinstance(b.cursor, str) for b in batches)
    assert [c.id for c in comments] == ids
    for c in comments:
        assert isinstance(c, Comment)
        assert c.platform == kit.connector.platform and c.account == kit.account
        assert c.text.endswith(f"comment number {ids.index(c.id)}")
    times = [c.created_at for c in comments]
    assert None not in times and times == sorted(times)


def test_cursor_resumes_after_a_restart(kit):
    kit.post("old")
    _, cursor, _ = drain(kit.connector)
    restarted = kit.reopen()
    assert drain(restarted, cursor)[0] == []
    new = [kit.post("new 1"), kit.post("new 2")]
    comments, cursor, _ = drain(restarted, cursor)
    assert [c.id for c in comments] == new
    assert drain(kit.reopen(), cursor)[0] == []


def test_date_range(kit):
    ids = [kit.post(f"dated {i}") for i in range(4)]
    comments, _, _ = drain(kit.connector)
    middle = comments[2].created_at
    assert [c.id for c in drain(kit.reopen(), None, since=middle)[0]] == ids[2:]
    assert [c.id for c in drain(kit.reopen(), None, until=middle)[0]] == ids[:2]


def test_malformed_item_is_skipped_not_fatal(kit):
    if kit.post_malformed is None:
        pytest.skip("this platform cannot serve a malformed item")
    first = kit.post("fine")
    kit.post_malformed()
    last = kit.post("fine too")
    comments, cursor, batches = drain(kit.connector)
    assert [c.id for c in comments] == [first, last]
    assert sum(b.skipped for b in batches) == 1
    assert drain(kit.reopen(), cursor)[0] == []


def test_actions_follow_capabilities(kit):
    kit.post("target")
    comment = drain(kit.connector)[0][0]
    caps = kit.connector.capabilities
    expected = []
    if caps.hide:
        kit.connector.hide(comment)
        kit.connector.unhide(comment)
        expected += [("hide", comment.id), ("unhide", comment.id)]
    else:
        with pytest.raises(ModeratorError):
            kit.connector.hide(comment)
    if caps.delete:
        kit.connector.delete(comment)
        expected.append(("delete", comment.id))
    else:
        with pytest.raises(ModeratorError):
            kit.connector.delete(comment)
    assert kit.applied() == expected


def test_repeating_an_action_is_a_harmless_no_op(kit):
    """A daemon killed after the platform acted but before the log said so repeats the call
    on restart: hiding a hidden comment or deleting a deleted one must succeed and change
    nothing (as on the real platforms)."""
    kit.post("target")
    comment = drain(kit.connector)[0][0]
    caps, expected = kit.connector.capabilities, []
    for action, capable in (("hide", caps.hide), ("delete", caps.delete)):
        if capable:
            getattr(kit.connector, action)(comment)
            getattr(kit.reopen(), action)(comment)  # the restarted daemon, same call
            expected.append((action, comment.id))
    effects = [a for i, a in enumerate(kit.applied()) if i == 0 or kit.applied()[i - 1] != a]
    assert effects == expected


def test_moderation_state_shows_what_was_done(kit):
    """Asked before re-sending an action a crash left planned: an action the platform shows
    in effect is recorded as done instead of being sent again."""
    kit.post("target")
    comment = replace(drain(kit.connector)[0][0], raw=None)  # as read back after a crash
    if not callable(getattr(kit.connector, "moderation_state", None)):
        pytest.skip(f"{kit.connector.platform} does not report moderation state yet")
    state = kit.reopen().moderation_state(comment)
    assert not state.shows(Action.HIDE) and not state.shows(Action.DELETE)
    caps = kit.connector.capabilities
    if caps.hide:
        kit.connector.hide(comment)
        state = kit.reopen().moderation_state(comment)
        # X's API does not show whether a reply is hidden; every other platform does.
        assert state.shows(Action.HIDE) if kit.connector.platform != "x" else state.hidden is None
        assert not state.shows(Action.DELETE)
    if caps.delete:
        kit.connector.delete(comment)
        assert kit.reopen().moderation_state(comment).shows(Action.DELETE)


def test_declared_ban_is_carried_out(kit):
    kit.post("target")
    comment = drain(kit.connector)[0][0]
    if not kit.connector.capabilities.ban:
        pytest.skip("no ban here")
    kit.connector.ban(comment)
    assert [action for action, _ in kit.applied()] == ["ban"]


def test_undeclared_ban_is_refused(kit):
    kit.post("target")
    comment = drain(kit.connector)[0][0]
    if kit.connector.capabilities.ban:
        pytest.skip("ban is declared here")
    with pytest.raises(ModeratorError):
        kit.connector.ban(comment)
    assert kit.applied() == []


def test_actions_work_on_a_comment_rebuilt_without_raw(kit):
    """After a crash the core may act on a comment read back from its store: no raw payload."""
    kit.post("target")
    comment = replace(drain(kit.connector)[0][0], raw=None)
    if not kit.connector.capabilities.hide:
        pytest.skip("no hide on this platform")
    kit.reopen().hide(comment)
    assert kit.applied() == [("hide", comment.id)]


def test_revoked_credentials_raise_auth_failed(kit):
    if kit.revoke is None:
        pytest.skip("no credentials on this platform")
    kit.post("x")
    drain(kit.connector)
    kit.revoke()
    with pytest.raises(AuthFailed):
        drain(kit.connector)
