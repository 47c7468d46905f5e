"""A store full of hostile comments for the web inbox's tests: two file accounts (one enforce,
one dry-run) judged by the daemon's own code, and three reviewers."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_platforms import HIDE_WORDS, REVIEW_WORDS, FilePlatform, write_config  # noqa: E402

from moderator import config, users  # noqa: E402
from moderator.store import Store  # noqa: E402
from moderator.worker import open_connector, run_account  # noqa: E402

PASSWORD = "correct horse battery"
USERS = {"alice": "admin", "bob": "reviewer", "carol": "reviewer"}
# Attacker-written text: markup, event handlers, a bidi override, live-looking links.
SCRIPT = f"{REVIEW_WORDS} <script>window.__pwned = 1; alert('x')</script>"
IMG = f"{REVIEW_WORDS} <img src=x onerror=\"window.__pwned = 2\"> https://evil.example/login"
BIDI = f"{REVIEW_WORDS} \u202egnp.exe\u202c visit www.acme-login.example now"
HOSTILE_AUTHOR = {"id": "u-evil", "handle": "<b onmouseover=alert(1)>evil</b>",
                  "name": "\u202eelbaT"}


@dataclass
class Site:
    root: Path
    platform: FilePlatform
    settings: config.Settings

    def item_id(self, comment_id: str, account: str = "acme") -> int:
        with Store(self.settings.store_path) as store:
            row = store.db.execute(
                "SELECT q.id FROM review_queue q JOIN comments c ON c.uid = q.comment_uid "
                "WHERE c.comment_id = ? AND c.account = ?", [comment_id, account]).fetchone()
        return int(row[0])

    def audit(self, sql_where: str = "1 = 1", *args: object) -> list[dict]:
        with Store(self.settings.store_path) as store:
            return list(store.db.query(f"SELECT * FROM actions WHERE {sql_where} ORDER BY id",
                                       list(args)))


def build_site(root: Path, *, four_eyes: bool = False, extra: str = "") -> Site:
    platform = FilePlatform(root, latency=0)
    web = "[web]\nlogin_attempts = 3\n"
    review = "[review]\nfour_eyes = true\n" if four_eyes else ""
    write_config(root, platform, {"acme": "enforce", "acme-dry": "dry-run"},
                 extra=review + web + extra)
    platform.post("acme", [
        {"id": "s1", "text": SCRIPT, "author": HOSTILE_AUTHOR},
        {"id": "i1", "text": IMG, "author": HOSTILE_AUTHOR},
        {"id": "b1", "text": BIDI, "author": {"id": "u2", "handle": "promo2"}},
        {"id": "p1", "text": f"{REVIEW_WORDS} please", "author": {"id": "u3", "handle": "p3"}},
        {"id": "h1", "text": f"{HIDE_WORDS} here", "author": HOSTILE_AUTHOR},
        {"id": "ok", "text": "lovely service", "author": {"id": "u4", "handle": "fan"}},
    ])
    platform.post("acme-dry", [
        {"id": "d1", "text": f"{REVIEW_WORDS} dry", "author": {"id": "u5", "handle": "d5"}},
    ])
    settings = config.load(root / "moderator.toml")
    with Store(settings.store_path) as store:
        for account in settings.accounts:
            run_account(settings, account, open_connector(account, config.Secrets()), store)
        for name, role in USERS.items():
            users.add(store, name, PASSWORD, role)
    return Site(root, platform, settings)


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_in(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)
