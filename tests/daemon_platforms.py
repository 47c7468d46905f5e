"""Local "platforms" the daemon tests run against, and helpers to configure and start it.

A platform here is anything that can (1) show new comments to a connector, (2) say which
hide / delete / unhide it applied, and (3) produce the ``[[accounts]]`` keys (and the secrets,
through environment variables) that point a connector at it. The file connector is one
(comments appended to a JSON Lines source; its ``actions_file`` is what "the platform saw");
the fake HTTP servers of the other connectors (tests/fakes/) are the others, one server per
account, running in the test process on 127.0.0.1 while the daemon runs as a subprocess.

"Applied" means in effect: like the real platforms, hiding a hidden comment or removing a
removed one succeeds and changes nothing, so such repeats are counted apart (``repeat_calls``).
A daemon killed after the platform acted but before it logged "done" asks the platform for the
comment's state before sending the action again (``Connector.moderation_state``), so no call is
repeated where the platform can tell (X here cannot: see state_visible).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Protocol

from tests.fakes.graph import FakeGraph, graph_time

REPO = Path(__file__).resolve().parents[1]

# Words of the test rules below: high -> hide, critical -> delete, medium -> review queue.
HIDE_WORDS = "free gift card"
DELETE_WORDS = "wire the release fee"
REVIEW_WORDS = "check out my channel"


class Platform(Protocol):
    name: str
    state_visible: bool  # the connector can ask whether an action is in effect already
    degrade: dict[str, str | None]  # actions the platform cannot do -> the one carried out
    # instead (None: none, the comment goes to the review queue)

    def account_keys(self, account: str) -> str: ...

    def environ(self) -> dict[str, str]:
        """Environment variables the daemon needs (the secrets named in account_keys)."""
        ...

    def post(self, account: str, records: Iterable[dict]) -> list[str]:
        """Make the comments appear; their ids on the platform, in order."""
        ...

    def seen_actions(self) -> list[tuple[str, str, str]]:
        """(account, comment id, action) for every action applied in effect, in order."""
        ...

    def repeat_calls(self) -> int:
        """Calls the platform accepted that changed nothing (hiding a hidden comment)."""
        ...

    def close(self) -> None:
        """Stop whatever serves the platform (a fake server's thread)."""
        ...


class FilePlatform:
    name = "file"
    state_visible = True
    degrade: dict[str, str] = {}

    def __init__(self, root: Path, latency: float = 0.004):
        self.root = root
        self.actions = root / "platform_actions.jsonl"
        self.latency = latency  # per action, like a real platform's response time

    def source(self, account: str) -> Path:
        return self.root / f"{account}.jsonl"

    def account_keys(self, account: str) -> str:
        self.source(account).touch()
        return (f'platform = "file"\npath = "{self.source(account)}"\n'
                f'actions_file = "{self.actions}"\nlatency = {self.latency}\n')

    def environ(self) -> dict[str, str]:
        return {}

    def post(self, account: str, records: Iterable[dict]) -> list[str]:
        records = list(records)
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
        fd = os.open(self.source(account), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, data)  # one append: a reader never sees half a line... mostly
        finally:
            os.close(fd)
        return [r["id"] for r in records]

    def _requests(self) -> list[dict]:
        if not self.actions.exists():
            return []
        out = []
        for line in self.actions.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def seen_actions(self) -> list[tuple[str, str, str]]:
        return [(r["account"], r["id"], r["action"]) for r in self._requests()
                if not r.get("repeat")]

    def repeat_calls(self) -> int:
        """Requests the connector sent although they were in effect already."""
        return sum(1 for r in self._requests() if r.get("repeat"))

    def close(self) -> None:
        pass


class _FakeServerPlatform:
    """One fake server per account, started on first use; subclasses say how to start one,
    post a comment on it, and read the actions it applied."""

    name = ""
    state_visible = True
    degrade: dict[str, str] = {}
    env_prefix = ""
    secrets: dict[str, str] = {}  # setting -> value the fakes accept

    def __init__(self, root: Path):
        self.root = root
        self.fakes: dict[str, Any] = {}
        self.parents: dict[str, str] = {}  # account -> the post/media its comments go under
        self._clock = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)

    def stamp(self) -> datetime:
        """Creation times one second apart, a day ago onwards (within every lookback)."""
        self._clock += timedelta(seconds=1)
        return self._clock

    def env_name(self, key: str) -> str:
        return f"{self.env_prefix}_{key.upper()}"

    def environ(self) -> dict[str, str]:
        return {self.env_name(k): v for k, v in self.secrets.items()}

    def fake(self, account: str) -> Any:
        if account not in self.fakes:
            self.fakes[account] = self.start(account)
        return self.fakes[account]

    def account_keys(self, account: str) -> str:
        fake = self.fake(account)
        names = ", ".join(f'{k} = "{self.env_name(k)}"' for k in self.secrets)
        return (f'platform = "{self.name}"\napi_base = "{self.api_base(fake)}"\n'
                f"secrets = {{ {names} }}\n{self.keys(account)}")

    def post(self, account: str, records: Iterable[dict]) -> list[str]:
        fake = self.fake(account)
        return [self.add(account, fake, r) for r in records]

    def effects(self) -> tuple[list[tuple[str, str, str]], int]:
        """Per comment, a call counts when it changes the comment's state."""
        applied, repeats = [], 0
        for account, fake in self.fakes.items():
            repeats += self.repeats_answered_gone(fake)
            state: dict[str, str] = {}
            for action, cid in self.calls(fake):
                if state.get(cid) == action:
                    repeats += 1
                    continue
                state[cid] = action
                applied.append((account, cid, action))
        return applied, repeats

    def seen_actions(self) -> list[tuple[str, str, str]]:
        return self.effects()[0]

    def repeat_calls(self) -> int:
        return self.effects()[1]

    def close(self) -> None:
        for fake in self.fakes.values():
            fake.stop()

    # -- for subclasses ----------------------------------------------------------------------
    def start(self, account: str) -> Any:
        raise NotImplementedError

    def api_base(self, fake: Any) -> str:
        return fake.url

    def keys(self, account: str) -> str:
        return ""

    def add(self, account: str, fake: Any, record: dict) -> str:
        raise NotImplementedError

    def calls(self, fake: Any) -> list[tuple[str, str]]:
        """(core action, comment id) for every state-changing call the fake accepted."""
        with fake.lock:
            return list(fake.actions)

    def repeats_answered_gone(self, fake: Any) -> int:
        """Repeated calls the fake answered "no such object" (and left out of its actions)."""
        return 0


class RedditPlatform(_FakeServerPlatform):
    """Each account moderates r/acme on its own fake Reddit: hide = remove, delete = remove
    as spam, unhide = approve."""

    name = "reddit"
    env_prefix = "CRASH_REDDIT"
    secrets = {"client_id": "crash-id", "client_secret": "crash-secret",
               "username": "acme_mod", "password": "crash-password"}
    ACTIONS = {"remove": "hide", "spam": "delete", "approve": "unhide"}

    def start(self, account: str) -> Any:
        from tests.fakes.reddit import FakeReddit

        fake = FakeReddit(client_id="crash-id", client_secret="crash-secret",
                          username="acme_mod", password="crash-password").start()
        self.parents[account] = fake.add_submission("acme", title="Rates update")
        return fake

    def keys(self, account: str) -> str:
        return 'subreddits = ["acme"]\n'

    def add(self, account: str, fake: Any, record: dict) -> str:
        return fake.add_comment("acme", record["text"], author=record["author"]["handle"],
                                submission=self.parents[account],
                                created_utc=self.stamp().timestamp())

    def calls(self, fake: Any) -> list[tuple[str, str]]:
        with fake.lock:
            return [(self.ACTIONS[a], cid) for a, cid in fake.actions if a in self.ACTIONS]


class XPlatform(_FakeServerPlatform):
    """Replies in the conversation of each account's post; X cannot delete them: hide."""

    name = "x"
    state_visible = False  # X does not show whether a reply is hidden
    degrade = {"delete": "hide"}
    env_prefix = "CRASH_X"
    secrets = {"bearer_token": "crash-x-token"}

    def start(self, account: str) -> Any:
        from tests.fakes.x import FakeX

        fake = FakeX(token="crash-x-token").start()
        self.parents[account] = fake.add_post("Rates update")
        return fake

    def add(self, account: str, fake: Any, record: dict) -> str:
        return fake.add_reply(self.parents[account], record["text"],
                              author=record["author"]["handle"])


class FacebookPlatform(_FakeServerPlatform):
    """Comments on one post of each account's Page (fake Graph API)."""

    name = "facebook"
    env_prefix = "CRASH_FB"
    secrets = {"access_token": "crash-page-token"}
    PAGE = "1000"

    def start(self, account: str) -> Any:
        fake = FakeGraph(token="crash-page-token").start()
        fake.add_page(self.PAGE)
        self.parents[account] = fake.add_post(self.PAGE, graph_time(self.stamp()), "Rates")
        return fake

    def api_base(self, fake: Any) -> str:
        return fake.base_url

    def keys(self, account: str) -> str:
        return f'page_id = "{self.PAGE}"\n'

    def add(self, account: str, fake: Any, record: dict) -> str:
        author = record["author"]
        return fake.add_fb_comment(self.parents[account], record["text"],
                                   graph_time(self.stamp()),
                                   author=(author["id"], author["handle"]))

    def calls(self, fake: Any) -> list[tuple[str, str]]:
        with fake._lock:
            return list(fake.actions)

    def repeats_answered_gone(self, fake: Any) -> int:
        # Deleting a deleted comment: the Graph API answers error 100/33, the connector
        # counts that as done.
        with fake._lock:
            deletes = sum(1 for r in fake.requests if r.method == "DELETE")
            return deletes - sum(1 for a, _ in fake.actions if a == "delete")


class InstagramPlatform(FacebookPlatform):
    """Comments on one media of each account's professional account (fake Graph API)."""

    name = "instagram"
    env_prefix = "CRASH_IG"
    secrets = {"access_token": "crash-ig-token"}
    IG_USER = "17841400000000000"

    def start(self, account: str) -> Any:
        fake = FakeGraph(token="crash-ig-token").start()
        fake.add_ig_user(self.IG_USER)
        self.parents[account] = fake.add_media(self.IG_USER, graph_time(self.stamp()), "Rates")
        return fake

    def keys(self, account: str) -> str:
        return f'ig_user_id = "{self.IG_USER}"\n'

    def add(self, account: str, fake: Any, record: dict) -> str:
        author = record["author"]
        return fake.add_ig_comment(self.parents[account], record["text"],
                                   graph_time(self.stamp()), username=author["handle"],
                                   user_id=author["id"])



class YouTubePlatform(_FakeServerPlatform):
    """Each account's channel on its own fake Data API: even comments open threads on a video,
    odd ones reply to the channel's own thread (read through the reply counts). Quota is no
    limit here: the daemon tests are about crashes (tests/test_youtube.py covers the quota)."""

    name = "youtube"
    state_visible = True  # not by id, but by the listings: see YouTubeConnector.moderation_state
    env_prefix = "CRASH_YT"
    secrets = {"client_id": "crash-yt.apps.googleusercontent.com",
               "client_secret": "crash-yt-secret", "refresh_token": "1//crash-yt-refresh"}

    def start(self, account: str) -> Any:
        from tests.fakes.youtube import FakeYouTube

        fake = FakeYouTube(client_id=self.secrets["client_id"],
                           client_secret=self.secrets["client_secret"],
                           refresh_token=self.secrets["refresh_token"],
                           daily_quota=10**9).start()
        self.parents[account] = fake.add_comment("Rates update: ask us anything",
                                                 author=fake.owner, when=self.stamp())
        return fake

    def keys(self, account: str) -> str:
        fake = self.fake(account)
        return (f'channel_id = "{fake.channel_id}"\ntoken_uri = "{fake.url}/token"\n'
                "daily_budget = 1000000000\n")

    def add(self, account: str, fake: Any, record: dict) -> str:
        author, when = record["author"]["handle"], self.stamp()
        if len(fake.comments) % 2:
            return fake.add_comment(record["text"], author=author, when=when)
        return fake.add_reply(self.parents[account], record["text"], author=author, when=when)


class BlueskyPlatform(_FakeServerPlatform):
    """Replies to the account's posts on its own fake PDS; a new post every 150 replies (a
    thread gate hides at most 300). Nobody deletes another's post on Bluesky: hide."""

    name = "bluesky"
    degrade = {"delete": "hide"}
    env_prefix = "CRASH_BSKY"
    secrets = {"handle": "acme.bsky.social", "app_password": "crash-app-pass"}
    THREAD = 150

    def start(self, account: str) -> Any:
        from tests.fakes.bluesky import FakeBluesky

        return FakeBluesky(handle=self.secrets["handle"],
                           password=self.secrets["app_password"]).start()

    def keys(self, account: str) -> str:
        return "watch_posts = 2\n"

    def add(self, account: str, fake: Any, record: dict) -> str:
        if len(fake.posts) % (self.THREAD + 1) == 0:
            self.parents[account] = fake.add_post(fake.owner, "Rates update")
        return fake.add_reply(self.parents[account], record["text"],
                              author=f'{record["author"]["handle"]}.bsky.social')


class MastodonPlatform(_FakeServerPlatform):
    """Replies (with the @mention) to the account's post on its own fake instance. Mastodon
    cannot hide or delete someone else's post: both go to the review queue, nothing is sent."""

    name = "mastodon"
    degrade = {"hide": None, "delete": None}
    env_prefix = "CRASH_MASTODON"
    secrets = {"access_token": "crash-mastodon-token"}

    def start(self, account: str) -> Any:
        from tests.fakes.mastodon import FakeMastodon

        fake = FakeMastodon(token=self.secrets["access_token"]).start()
        self.parents[account] = fake.add_post("Rates update")
        return fake

    def keys(self, account: str) -> str:
        return "watch_posts = 0\n"

    def add(self, account: str, fake: Any, record: dict) -> str:
        return fake.add_reply(self.parents[account], record["text"],
                              author=record["author"]["handle"])


# The platforms the end-to-end daemon tests run against; add a fake server's adapter here.
PLATFORMS: dict[str, type] = {"file": FilePlatform, "reddit": RedditPlatform, "x": XPlatform,
                              "facebook": FacebookPlatform, "instagram": InstagramPlatform,
                              "youtube": YouTubePlatform, "bluesky": BlueskyPlatform,
                              "mastodon": MastodonPlatform}


def make_comments(rng: random.Random, start: int, count: int, prefix: str = "c") -> list[dict]:
    """Comments with a mix of verdicts: ~30% hide, ~10% delete, ~10% review, rest clean."""
    out = []
    for n in range(start, start + count):
        roll = rng.random()
        if roll < 0.3:
            text = f"Claim your {HIDE_WORDS} now, number {n}"
        elif roll < 0.4:
            text = f"Your account is frozen, {DELETE_WORDS} to unlock it ({n})"
        elif roll < 0.5:
            text = f"{REVIEW_WORDS} for more ({n})"
        else:
            text = f"Thanks for the update, this is comment {n}"
        out.append({"id": f"{prefix}{n}", "text": text,
                    "author": {"id": f"u{n % 97}", "handle": f"user{n % 97}"}})
    return out


def write_config(root: Path, platform: Platform, accounts: dict[str, str], *,
                 poll_every: float = 0.2, extra: str = "") -> Path:
    """A config with the three test rules; ``accounts`` maps name -> mode."""
    tables = "".join(f'\n[[accounts]]\nname = "{name}"\nmode = "{mode}"\n'
                     f"poll_every = {poll_every}\n{platform.account_keys(name)}"
                     for name, mode in accounts.items())
    text = f'''
[brand]
name = "Acme Bank"
domains = ["acmebank.com"]
handles = ["AcmeBank"]

[store]
path = "moderator.db"

[daemon]
jitter = 0
stop_timeout = 10

[brake]
max_actions = 1000000

# Only the custom rules: these tests are about the daemon, so the verdicts must be exactly
# the ones the words below call for (the detector families have their own tests).
[rules.links]
enabled = false
[rules.impersonation]
enabled = false
[rules.charter]
enabled = false

[[rules.custom]]
name = "giveaway"
category = "charter"
severity = "high"
reason = "Giveaway bait"
words = ["{HIDE_WORDS}"]

[[rules.custom]]
name = "fee-scam"
category = "link"
severity = "critical"
reason = "Advance-fee scam"
words = ["{DELETE_WORDS}"]

[[rules.custom]]
name = "promo"
category = "charter"
severity = "medium"
reason = "Self-promotion"
words = ["{REVIEW_WORDS}"]
{extra}
{tables}'''
    path = root / "moderator.toml"
    path.write_text(text, encoding="utf-8")
    return path


def moderator_cmd(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "moderator", "--config", str(config), *args]


def env() -> dict[str, str]:
    """Run the code under test, not the editable install."""
    return {**os.environ, "PYTHONPATH": str(REPO), "MODERATOR_REVIEWER": "tester"}


def start_daemon(config: Path, log: Path, *extra: str,
                 environ: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(moderator_cmd(config, "--log-level", "info", *extra, "run"),
                                stdout=out, stderr=out, env={**env(), **(environ or {})},
                                cwd=config.parent)


def query(db: Path, sql: str, *args: object) -> list[tuple]:
    """Read the database the way an outside tool would (own connection, WAL-aware)."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def wait_started(log: Path, before: int = 0, timeout: float = 120) -> None:
    """Until the log shows one more "daemon started" than ``before`` (schema in place). The
    timeout is only a bound for a daemon that never starts: a loaded machine takes seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count("daemon started") > before:
            return
        time.sleep(0.05)
    raise AssertionError(f"the daemon did not start: {log.read_text()[-2000:]}")
