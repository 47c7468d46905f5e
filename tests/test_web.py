"""The web inbox over HTTP (Flask's test client against a real SQLite store full of hostile
comments): the login wall, sessions, CSRF, roles, every page and every verdict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderator.cli import main
from moderator.store import Store
from moderator.web.app import create_app
from tests.web_support import PASSWORD, Site, build_site, csrf_in


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def login(app, name: str = "alice", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_in(page.get_data(as_text=True)),
                                           "name": name, "password": password})
    return client, response


def page_csrf(client, path: str = "/inbox") -> str:  # type: ignore[no-untyped-def]
    return csrf_in(client.get(path).get_data(as_text=True))


def platform_actions(site: Site) -> list[tuple[str, str, str]]:
    """What reached the platform after the fixture's own pass (which hid h1 itself)."""
    return [a for a in site.platform.seen_actions() if a[1] != "h1"]


# -- login, sessions, headers -----------------------------------------------------------------

def test_every_page_needs_a_login(site: Site) -> None:
    client = create_app(site.settings).test_client()
    for path in ("/inbox", "/items/1", "/audit", "/rules", "/accounts", "/inbox/rows",
                 "/inbox/state"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert client.post("/items/1/approve").status_code == 403
    assert client.get("/static/app.js").status_code == 200


def test_login_sets_a_locked_down_session_cookie(site: Site) -> None:
    client, response = login(create_app(site.settings))
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("moderator_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with Store(site.settings.store_path) as store:
        stored = [r[0] for r in store.db.execute("SELECT token_hash FROM web_sessions")]
        assert token not in stored and len(stored) == 1  # only its hash is kept
        kinds = [r[0] for r in store.db.execute("SELECT kind FROM events WHERE kind LIKE 'web.%'")]
    assert kinds == ["web.login"]
    assert client.get("/inbox").status_code == 200


def test_wrong_password_and_unknown_user_are_refused_alike(site: Site) -> None:
    app = create_app(site.settings)
    _, wrong = login(app, "alice", "not the password")
    _, unknown = login(app, "mallory", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong name or password" in wrong.get_data(as_text=True)
    assert "Wrong name or password" in unknown.get_data(as_text=True)


def test_login_attempts_are_rate_limited(site: Site) -> None:
    app = create_app(site.settings)  # the fixture allows 3 failures
    for _ in range(3):
        assert login(app, "bob", "guess guess guess")[1].status_code == 401
    _, blocked = login(app, "bob", PASSWORD)  # even the right password now
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)


def test_login_without_its_csrf_token_is_refused(site: Site) -> None:
    client = create_app(site.settings).test_client()
    client.get("/login")
    response = client.post("/login", data={"name": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert not any(c.startswith("moderator_session=")
                   for c in response.headers.getlist("Set-Cookie"))


def test_login_redirects_only_within_the_site(site: Site) -> None:
    client = create_app(site.settings).test_client()
    token = csrf_in(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf": token, "name": "alice",
                                           "password": PASSWORD, "next": "//evil.example/x"})
    assert response.headers["Location"] == "/inbox"


def test_security_headers_on_every_answer(site: Site) -> None:
    client, _ = login(create_app(site.settings))
    for path in ("/inbox", "/login", "/static/app.css", "/items/999"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
    html = client.get("/inbox").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script at all
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # no third-party asset


def test_logout_ends_the_session_on_the_server(site: Site) -> None:
    client, _ = login(create_app(site.settings))
    assert client.post("/logout", data={"csrf": page_csrf(client)}).status_code == 302
    assert client.get("/inbox").status_code == 302
    with Store(site.settings.store_path) as store:
        assert store.db.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0


def test_password_change_and_removal_end_sessions(site: Site) -> None:
    app = create_app(site.settings)
    client, _ = login(app, "bob")
    runner = CliRunner()
    config = str(site.root / "moderator.toml")
    changed = runner.invoke(main, ["--config", config, "users", "passwd", "bob"],
                            input="another long password\n")
    assert changed.exit_code == 0, changed.output
    assert client.get("/inbox").status_code == 302
    client, response = login(app, "bob", "another long password")
    assert response.status_code == 302 and client.get("/inbox").status_code == 200
    removed = runner.invoke(main, ["--config", config, "users", "remove", "bob"])
    assert removed.exit_code == 0 and client.get("/inbox").status_code == 302


# -- the users command ---------------------------------------------------------------------------

def test_users_command_add_list_remove(site: Site) -> None:
    runner = CliRunner()
    config = str(site.root / "moderator.toml")
    added = runner.invoke(main, ["--config", config, "users", "add", "dave", "--role", "admin"],
                          input="a long enough password\n")
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["--config", config, "users", "list"])
    assert re.search(r"dave\s+admin", listed.output)
    with Store(site.settings.store_path) as store:
        stored = store.db.execute("SELECT password_hash FROM users WHERE name = 'dave'").fetchone()
    assert stored[0].startswith("$argon2id$") and "long enough" not in stored[0]
    again = runner.invoke(main, ["--config", config, "users", "add", "DAVE"], input="x" * 12)
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(main, ["--config", config, "users", "add", "eve"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    bad = runner.invoke(main, ["--config", config, "users", "add", "<b>"], input="x" * 12)
    assert bad.exit_code == 1 and "user name" in bad.output
    gone = runner.invoke(main, ["--config", config, "users", "remove", "nobody"])
    assert gone.exit_code == 1 and "no user named" in gone.output


# -- CSRF and roles on every state-changing route --------------------------------------------------

STATE_CHANGING = ["/items/{id}/approve", "/items/{id}/reject", "/items/{id}/undo",
                  "/inbox/bulk", "/accounts/acme/brake/release", "/logout", "/rules/replay"]


@pytest.mark.parametrize("path", STATE_CHANGING)
def test_a_post_without_csrf_gets_403_and_changes_nothing(site: Site, path: str) -> None:
    client, _ = login(create_app(site.settings))
    item = site.item_id("p1")
    with Store(site.settings.store_path) as store, store.atomic():
        store.engage_brake("acme", "test")
    before = site.audit()
    for token in (None, "forged-token"):
        data = {"ids": str(item), "verdict": "approve", **({"csrf": token} if token else {})}
        response = client.post(path.format(id=item), data=data)
        assert response.status_code == 403, (path, token)
    assert site.audit() == before and platform_actions(site) == []
    with Store(site.settings.store_path) as store:
        assert store.queue_item(item)["status"] == "pending"
        assert store.brake("acme") is not None
    assert client.get("/inbox").status_code == 200  # still logged in


def test_the_csrf_token_of_another_session_does_not_work(site: Site) -> None:
    app = create_app(site.settings)
    alice, _ = login(app, "alice")
    bob, _ = login(app, "bob")
    item = site.item_id("p1")
    response = bob.post(f"/items/{item}/approve", data={"csrf": page_csrf(alice)})
    assert response.status_code == 403 and platform_actions(site) == []


def test_only_an_admin_releases_a_brake(site: Site) -> None:
    app = create_app(site.settings)
    with Store(site.settings.store_path) as store, store.atomic():
        store.engage_brake("acme", "too many hides")
    bob, _ = login(app, "bob")
    page = bob.get("/accounts").get_data(as_text=True)
    assert "ENGAGED" in page and "an admin can release it" in page
    refused = bob.post("/accounts/acme/brake/release", data={"csrf": page_csrf(bob)})
    assert refused.status_code == 403
    with Store(site.settings.store_path) as store:
        assert store.brake("acme") is not None
    alice, _ = login(app, "alice")
    done = alice.post("/accounts/acme/brake/release", data={"csrf": page_csrf(alice)})
    assert done.status_code == 302
    with Store(site.settings.store_path) as store:
        assert store.brake("acme") is None
        events = [r[0] for r in store.db.execute("SELECT detail FROM events WHERE kind = "
                                                 "'brake.released'")]
    assert events == ["by alice"]
    assert alice.post("/accounts/nope/brake/release",
                      data={"csrf": page_csrf(alice)}).status_code == 404


# -- the inbox ------------------------------------------------------------------------------------

def test_inbox_escapes_isolates_and_defangs_hostile_text(site: Site) -> None:
    client, _ = login(create_app(site.settings))
    html = client.get("/inbox").get_data(as_text=True)
    assert "<script>window" not in html and "&lt;script&gt;window.__pwned" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror" in html
    assert "<b onmouseover" not in html
    assert "hxxps://evil[.]example/login" in html and "https://evil.example" not in html
    assert "\u202e" not in html  # direction overrides dropped
    assert '<bdi dir="auto">' in html


def test_inbox_sorts_by_urgency_and_filters(site: Site) -> None:
    with Store(site.settings.store_path) as store:
        store.db.execute("UPDATE review_queue SET severity = 'high' WHERE id = ?",
                         [site.item_id("p1")])
        store.db.execute("UPDATE review_queue SET created_at = '2026-01-01T00:00:00+00:00' "
                         "WHERE id = ?", [site.item_id("b1")])
    client, _ = login(create_app(site.settings))
    ids = lambda q: [int(i) for i in re.findall(r'data-item="(\d+)"',  # noqa: E731
                                                client.get("/inbox" + q).get_data(as_text=True))]
    everything = ids("")
    assert everything[0] == site.item_id("p1")  # the highest severity first
    assert everything[1] == site.item_id("b1")  # then whatever has waited longest
    assert ids("?severity=high") == [site.item_id("p1")]
    assert ids("?account=acme-dry") == [site.item_id("d1", "acme-dry")]
    assert len(ids("?platform=file")) == len(everything) == 5
    assert ids("?platform=reddit") == []
    assert ids("?rule=custom.giveaway") == [] and len(ids("?rule=custom.promo")) == 5
    assert ids("?age=old7d") == [site.item_id("b1")]
    assert site.item_id("b1") not in ids("?age=new1h")
    assert client.get("/inbox?severity=bogus").status_code == 400


def test_inbox_pages(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from moderator.web import inbox

    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    client, _ = login(create_app(site.settings))
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"/inbox?page={page}").get_data(as_text=True)
        assert f"page {page} of 3" in html
        seen += re.findall(r'data-item="(\d+)"', html)
    assert len(seen) == len(set(seen)) == 5


def test_rows_and_state_show_new_items(site: Site) -> None:
    client, _ = login(create_app(site.settings))
    state = client.get("/inbox/state").get_json()
    assert state["pending"] == 5
    site.platform.post("acme", [{"id": "n1", "text": "check out my channel NEW-ONE"}])
    account = site.settings.account("acme")
    from moderator import config
    from moderator.worker import open_connector, run_account
    with Store(site.settings.store_path) as store:
        run_account(site.settings, account, open_connector(account, config.Secrets()), store)
    after = client.get("/inbox/state").get_json()
    assert after["pending"] == 6 and after["newest"] > state["newest"]
    rows = client.get("/inbox/rows")
    assert rows.headers["X-Total"] == "6" and "NEW-ONE" in rows.get_data(as_text=True)


def test_bulk_approve_and_reject(site: Site) -> None:
    client, _ = login(create_app(site.settings), "bob")
    first, second, third = site.item_id("p1"), site.item_id("b1"), site.item_id("s1")
    token = page_csrf(client)
    done = client.post("/inbox/bulk", data={"csrf": token, "verdict": "approve",
                                            "ids": [str(first), str(second)],
                                            "back": "account=acme&evil=1"})
    assert done.status_code == 302
    assert "account=acme" in done.headers["Location"] and "evil" not in done.headers["Location"]
    assert {(a, c, act) for a, c, act in platform_actions(site)} == {
        ("acme", "p1", "hide"), ("acme", "b1", "hide")}
    client.post("/inbox/bulk", data={"csrf": token, "verdict": "reject", "ids": [str(third)]})
    with Store(site.settings.store_path) as store:
        statuses = {i: store.queue_item(i)["status"] for i in (first, second, third)}
        reviewers = {store.queue_item(i)["reviewer"] for i in (first, second, third)}
    assert statuses == {first: "approved", second: "approved", third: "rejected"}
    assert reviewers == {"bob"}
    again = client.post("/inbox/bulk", data={"csrf": token, "verdict": "approve",
                                             "ids": [str(first)]})
    assert "failed=1" in again.headers["Location"]
    assert "could not be done" in client.get(again.headers["Location"]).get_data(as_text=True)


# -- the item page and its verdicts -------------------------------------------------------------

def test_item_page_shows_comment_author_findings_and_trail(site: Site) -> None:
    client, _ = login(create_app(site.settings))
    html = client.get(f"/items/{site.item_id('i1')}").get_data(as_text=True)
    assert "&lt;img src=x onerror" in html and "<img src=x" not in html
    assert "hxxps://evil[.]example/login" in html
    assert "custom.promo" in html and "Self-promotion" in html
    assert "&lt;script&gt;window.__pwned" in html  # the author's other comment (s1)
    assert "hide yes" in html and "delete yes" in html  # what the file platform can do
    assert "Audit trail" in html and "proposed hide" in html
    assert client.get("/items/999").status_code == 404


def test_explain_page_shows_every_rule_and_the_policy(site: Site) -> None:
    client, _ = login(create_app(site.settings))
    item = site.item_id("i1")
    assert f"/items/{item}/explain" in client.get(f"/items/{item}").get_data(as_text=True)
    html = client.get(f"/items/{item}/explain").get_data(as_text=True)
    assert "<code>custom</code>" in html and "fired" in html and "Policy" in html
    assert "&lt;img src=x onerror" in html and "<img src=x" not in html
    assert "hxxps://evil[.]example/login" in html
    assert client.get("/items/999/explain").status_code == 404


def test_approve_carries_out_and_logs_under_the_reviewer(site: Site) -> None:
    client, _ = login(create_app(site.settings), "carol")
    item = site.item_id("p1")
    response = client.post(f"/items/{item}/approve", data={"csrf": page_csrf(client)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the action was carried out" in page
    assert ("acme", "p1", "hide") in platform_actions(site)
    log = site.audit("actor = ?", "carol")
    assert [(a["action"], a["status"]) for a in log] == [
        ("hide", "planned"), ("hide", "done"), ("review", "done")]
    assert all(a["comment_uid"].endswith(":p1") for a in log)
    twice = client.post(f"/items/{item}/approve", data={"csrf": page_csrf(client)})
    assert twice.status_code == 409 and "already approved" in twice.get_data(as_text=True)


def test_reject_and_undo(site: Site) -> None:
    client, _ = login(create_app(site.settings), "bob")
    rejected = site.item_id("b1")
    client.post(f"/items/{rejected}/reject", data={"csrf": page_csrf(client),
                                                     "note": "a customer <warning> others"})
    with Store(site.settings.store_path) as store:
        item = store.queue_item(rejected)
    assert (item["status"], item["reviewer"]) == ("rejected", "bob")
    html = client.get(f"/items/{rejected}").get_data(as_text=True)
    assert "a customer &lt;warning&gt; others" in html
    approved = site.item_id("p1")
    client.post(f"/items/{approved}/approve", data={"csrf": page_csrf(client)})
    undone = client.post(f"/items/{approved}/undo", data={"csrf": page_csrf(client)})
    assert undone.status_code == 302
    assert [a for a in platform_actions(site) if a[1] == "p1"] == [
        ("acme", "p1", "hide"), ("acme", "p1", "unhide")]
    assert site.audit("actor = ? AND status = 'undone'", "bob")
    nothing = client.post(f"/items/{approved}/undo", data={"csrf": page_csrf(client)})
    assert nothing.status_code == 409


def test_four_eyes_needs_a_second_different_reviewer(tmp_path: Path) -> None:
    site = build_site(tmp_path, four_eyes=True)
    app = create_app(site.settings)
    item = site.item_id("p1")
    bob, _ = login(app, "bob")
    first = bob.post(f"/items/{item}/approve", data={"csrf": page_csrf(bob)})
    assert "a second reviewer must approve" in bob.get(first.headers["Location"]).get_data(
        as_text=True)
    assert platform_actions(site) == []
    page = bob.get(f"/items/{item}").get_data(as_text=True)
    assert "First approved by <strong>bob</strong>" in page and "not you" in page
    same = bob.post(f"/items/{item}/approve", data={"csrf": page_csrf(bob)})
    assert same.status_code == 409 and "different reviewer" in same.get_data(as_text=True)
    assert platform_actions(site) == []
    carol, _ = login(app, "carol")
    assert "First approved by <strong>bob</strong>" in carol.get(f"/items/{item}").get_data(
        as_text=True)
    carol.post(f"/items/{item}/approve", data={"csrf": page_csrf(carol)})
    assert platform_actions(site) == [("acme", "p1", "hide")]


def test_dry_run_approval_records_the_verdict_and_carries_nothing_out(site: Site) -> None:
    client, _ = login(create_app(site.settings), "bob")
    item = site.item_id("d1", "acme-dry")
    html = client.get(f"/items/{item}").get_data(as_text=True)
    assert "dry-run" in html and "carries <strong>nothing</strong> out" in html
    done = client.post(f"/items/{item}/approve", data={"csrf": page_csrf(client)})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "dry-run mode: nothing was carried out" in page
    assert platform_actions(site) == []
    with Store(site.settings.store_path) as store:
        assert store.queue_item(item)["status"] == "approved"
    log = site.audit("actor = 'bob'")
    assert [(a["action"], a["status"], a["dry_run"]) for a in log] == [
        ("hide", "dry-run", 1), ("review", "done", 0)]


# -- audit, rules, accounts ------------------------------------------------------------------------

def test_audit_log_search(site: Site) -> None:
    client, _ = login(create_app(site.settings), "bob")
    client.post(f"/items/{site.item_id('p1')}/approve", data={"csrf": page_csrf(client)})
    rows = lambda q: client.get("/audit" + q).get_data(as_text=True)  # noqa: E731
    mine = rows("?reviewer=bob")
    assert mine.count("<tr>") - 1 == 3 and "approved hide" in mine
    assert "approved hide" not in rows("?reviewer=alice")
    assert "p1" in rows("?comment=p1") and "s1" not in rows("?comment=p1").split("<tbody>")[1]
    assert "p1" not in rows("?rule=custom.giveaway").split("<tbody>")[1]
    assert "h1" in rows("?rule=custom.giveaway").split("<tbody>")[1]
    assert "No entries match" in rows("?account=acme-dry&reviewer=bob")
    assert "No entries match" in rows("?since=2030-01-01")
    assert "approved hide" in rows("?since=2020-01-01&until=2099-01-01")
    with Store(site.settings.store_path) as store:
        version = store.db.execute("SELECT rule_version FROM actions WHERE rule_version IS NOT "
                                   "NULL LIMIT 1").fetchone()[0]
    assert version in rows("")
    hostile = rows("?comment=s1")
    assert "&lt;script&gt;" in hostile and "<script>window" not in hostile
    assert client.get("/audit?since=yesterday").status_code == 400


def test_audit_log_counts_only_so_far(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from moderator.store import inbox
    from moderator.web import reports

    client, _ = login(create_app(site.settings))
    with Store(site.settings.store_path) as store:
        entries = store.db.execute("SELECT count(*) FROM actions").fetchone()[0]
    assert entries >= 4
    first = client.get("/audit").get_data(as_text=True)
    assert f'<span class="count">{entries}</span>' in first and "of 1</span>" in first
    monkeypatch.setattr(inbox, "AUDIT_COUNT_CAP", 2)  # past it: "N+" and no page count
    monkeypatch.setattr(reports, "AUDIT_PAGE", 1)
    capped = client.get("/audit").get_data(as_text=True)
    assert '<span class="count">2+</span>' in capped and "page 1</span>" in capped
    assert 'rel="next"' in capped and capped.split("<tbody>")[1].count("<tr>") == 1
    last = client.get(f"/audit?page={entries}").get_data(as_text=True)  # counted to its end
    assert f"page {entries} of {entries}</span>" in last and 'rel="next"' not in last


def test_rules_page_shows_counts_and_precision(site: Site) -> None:
    client, _ = login(create_app(site.settings))
    token = page_csrf(client)
    client.post(f"/items/{site.item_id('p1')}/approve", data={"csrf": token})
    client.post(f"/items/{site.item_id('b1')}/reject", data={"csrf": token})
    html = client.get("/rules?period=7d").get_data(as_text=True)
    row = re.search(r"custom\.promo</code></a></td>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["5", "1", "5", "1", "1", "50%"]
    assert client.get("/rules?period=forever").status_code == 400


def test_replay_of_an_uploaded_or_named_config(site: Site) -> None:
    import io

    from tests.daemon_platforms import REVIEW_WORDS
    text = (site.root / "moderator.toml").read_text().replace(REVIEW_WORDS, "nothing matches")
    (site.root / "quiet.toml").write_text(text)
    app = create_app(site.settings)
    bob, _ = login(app, "bob")
    assert 'id="replay"' not in bob.get("/rules").get_data(as_text=True)
    refused = bob.post("/rules/replay", data={"csrf": page_csrf(bob), "path": "quiet.toml"})
    assert refused.status_code == 403
    alice, _ = login(app, "alice")
    rules_page = alice.get("/rules").get_data(as_text=True)
    assert rules_page.count('id="replay"') == 1 and "<title>Rules ·" in rules_page
    token = page_csrf(alice, "/rules")
    uploaded = alice.post("/rules/replay", content_type="multipart/form-data", data={
        "csrf": token, "period": "7d", "config": (io.BytesIO(text.encode()), "quiet.toml")})
    html = uploaded.get_data(as_text=True)
    assert uploaded.status_code == 200, html
    assert 'id="changed">5<' in html and "review -&gt; none: 5" in html
    assert "&lt;script&gt;window.__pwned" in html and "<script>window" not in html
    named = alice.post("/rules/replay", data={"csrf": token, "path": "quiet.toml"})
    assert 'id="changed">5<' in named.get_data(as_text=True)
    assert alice.post("/rules/replay", data={"csrf": token, "path": "/etc/passwd"}
                      ).status_code == 400
    broken = alice.post("/rules/replay", content_type="multipart/form-data", data={
        "csrf": token, "config": (io.BytesIO(b"[brand\n"), "bad.toml")})
    assert broken.status_code == 400 and "invalid TOML" in broken.get_data(as_text=True)
    with Store(site.settings.store_path) as store:  # nothing written
        assert store.db.execute("SELECT count(*) FROM review_queue WHERE status = 'pending'"
                                ).fetchone()[0] == 5


def test_accounts_page(site: Site) -> None:
    client, _ = login(create_app(site.settings), "bob")
    html = client.get("/accounts").get_data(as_text=True)
    assert "acme-dry" in html and "dry-run" in html and "enforce" in html
    assert "Review queue: <strong>5</strong>" in html


def test_a_trusted_proxy_header_logs_in_only_from_the_proxy(tmp_path: Path) -> None:
    site = build_site(tmp_path)
    text = (tmp_path / "moderator.toml").read_text().replace(
        "[web]\n", '[web]\nproxy_user_header = "X-Remote-User"\ntrusted_proxy = "10.0.0.5"\n')
    (tmp_path / "moderator.toml").write_text(text)
    from moderator import config
    app = create_app(config.load(tmp_path / "moderator.toml"))
    client = app.test_client()
    header = {"X-Remote-User": "bob"}
    stranger = client.get("/inbox", headers=header, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert stranger.status_code == 302
    proxied = client.get("/inbox", headers=header, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert proxied.status_code == 200 and "bob" in proxied.get_data(as_text=True)
    token = csrf_in(proxied.get_data(as_text=True))
    item = site.item_id("p1")
    refused = client.post(f"/items/{item}/approve", headers=header,
                          environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert refused.status_code == 403
    done = client.post(f"/items/{item}/approve", data={"csrf": token}, headers=header,
                       environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert done.status_code == 302 and site.audit("actor = 'bob'")
