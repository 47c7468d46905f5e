"""The daily digest, end to end: the real worker fills a store from the bundled sample data and
a hostile file, the digest is built from it and sent to a real local SMTP server (aiosmtpd),
and the received message is parsed and checked."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import logging
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import rules
from moderator import config
from moderator.config import Secrets
from moderator.digest import (DigestError, Period, build_message, collect, resolve_period,
                              send_digest, write_preview)
from moderator.errors import ConfigError
from moderator.models import Category, Finding, Severity
from moderator.store import Store, now
from moderator.worker import open_connector, run_account
from rules.base import PerCommentRule

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
PASSWORD = "s3cret-Pa55word-do-not-leak"
PASSWORD_ENV = "MODERATOR_TEST_SMTP_PASSWORD"


# -- stand-ins for the links and impersonation families (built on other branches) ---------------

_URL = re.compile(r"https?://[^\s\"'<>]{1,500}")


class StandInRule(PerCommentRule):
    """Emits findings of the shapes the digest reads: link findings with a URL and a
    registrable domain, impersonation findings naming the imitated official handle."""

    family = "standin"

    def __init__(self, brand: Any):
        self.brand = brand

    @classmethod
    def from_config(cls, options: Any, brand: Any, *, path: str) -> "StandInRule":
        return cls(brand)

    def check(self, comment: Any) -> list[Finding]:
        out = []
        urls = [link.url for link in comment.links] + _URL.findall(comment.text)
        for url in dict.fromkeys(urls):
            host = (urlsplit(url).hostname or "").replace("\u200b", "")
            if host and not any(host == d or host.endswith("." + d) for d in self.brand.domains):
                out.append(Finding("links.standin", Category.LINK, Severity.MEDIUM,
                                   f"link to {host}", {"url": url, "registrable_domain": host}))
        handle = comment.author.handle or ""
        for official in self.brand.handles:
            if handle != official and official.lower() in handle.lower():
                out.append(Finding("impersonation.standin", Category.IMPERSONATION,
                                   Severity.HIGH, f"{handle} imitates {official}",
                                   {"imitates": official, "similarity": 0.9}))
                break
        return out


class FlakyRule(PerCommentRule):
    """A rule whose data source is down: the pipeline records the failure as an error."""

    family = "flaky"

    @classmethod
    def from_config(cls, options: Any, brand: Any, *, path: str) -> "FlakyRule":
        return cls()

    def check(self, comment: Any) -> list[Finding]:
        raise RuntimeError("feed https://feeds.example/urlhaus.csv unreachable")


CONFIG = """
[brand]
name = "Acme Bank"
domains = ["acmebank.com", "acme.co"]
handles = ["AcmeBank", "AcmeSupport"]

[store]
path = "digest.db"

[brake]
max_actions = 2

[rules.standin]
[rules.flaky]
enabled = false

[[rules.custom]]
name = "self-promotion"
category = "charter"
severity = "medium"
reason = "Channel self-promotion"
words = ["check out my channel", "subscribe to my channel", "check my channel", "my new video"]

[[rules.custom]]
name = "giveaway"
category = "charter"
severity = "high"
reason = "Giveaway or free-money bait"
words = ["free gift card", "free gift cards", "double your bitcoin", "guaranteed returns"]

[[rules.custom]]
name = "contact-bait"
category = "charter"
severity = "medium"
reason = "Asks readers to click or get in touch"
words = ["click", "contact me"]

[digest]
recipients = ["comms@acme.example", "security@acme.example"]
sender = "moderator@acme.example"
timezone = "Europe/Paris"
send_at = "08:00"
smtp_host = "127.0.0.1"
smtp_port = 2525
smtp_security = "none"
smtp_username = "moderator"
smtp_password_env = "MODERATOR_TEST_SMTP_PASSWORD"
smtp_timeout = 5
max_items = 200

[[accounts]]
name = "acme-youtube"
platform = "file"
path = "youtube_sample.csv"
html = true
columns = { id = "COMMENT_ID", text = "CONTENT", author_name = "AUTHOR", created_at = "DATE" }

[[accounts]]
name = "acme-community"
platform = "file"
path = "security_cases.jsonl"
mode = "enforce"
actions_file = "actions.jsonl"

[[accounts]]
name = "acme-hostile"
platform = "file"
path = "digest_hostile.jsonl"
rules = { flaky = { enabled = true } }
"""


def _fill(directory: Path) -> dict[str, Any]:
    """Run the real worker over the sample files; return what the worker itself counted."""
    samples = resources.files("moderator").joinpath("samples")
    for name in ("youtube_sample.csv", "security_cases.jsonl"):
        with resources.as_file(samples.joinpath(name)) as src:
            shutil.copyfile(src, directory / name)
    shutil.copyfile(DATA / "digest_hostile.jsonl", directory / "digest_hostile.jsonl")
    (directory / "moderator.toml").write_text(CONFIG, encoding="utf-8")
    settings = config.load(directory / "moderator.toml")
    summaries = {}
    with Store(settings.store_path) as store:
        for account in settings.accounts:
            connector = open_connector(account, Secrets(None, environ={}))
            summaries[account.name] = run_account(settings, account, connector, store,
                                                  kind="backfill")
    return {name: {"new": s.new, "flagged": s.flagged, "review": s.decisions.get("review", 0),
                   "acted": s.acted, "brake": s.brake_engaged}
            for name, s in summaries.items()}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    added = {"standin": StandInRule, "flaky": FlakyRule}
    rules.RULES.update(added)
    directory = tmp_path_factory.mktemp("digest-template")
    try:
        counted = _fill(directory)
    finally:
        for family in added:
            rules.RULES.pop(family, None)
    return directory, counted


@pytest.fixture
def site(template: tuple[Path, dict[str, Any]], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> tuple[config.Settings, dict[str, Any]]:
    """A private copy of the filled store with its settings (stand-in rules registered)."""
    monkeypatch.setitem(rules.RULES, "standin", StandInRule)
    monkeypatch.setitem(rules.RULES, "flaky", FlakyRule)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    directory, counted = template
    copy = tmp_path / "site"
    shutil.copytree(directory, copy)
    return config.load(copy / "moderator.toml"), counted


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message; can answer 451 a few times first."""

    def __init__(self, fail_first: int = 0):
        self.messages: list[Any] = []
        self.fail_first = fail_first
        self.attempts = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts <= self.fail_first:
            return "451 4.3.0 try again later"
        self.messages.append(envelope)
        return "250 2.0.0 OK"


class Authenticator:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"moderator" \
            and auth_data.password == PASSWORD.encode()
        self.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server():
    started: list[Controller] = []

    def start(handler: Inbox, **kwargs: Any) -> int:
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def _with_smtp(settings: config.Settings, **changes: Any) -> config.Settings:
    return dataclasses.replace(settings, digest=dataclasses.replace(settings.digest, **changes))


def _parse(envelope: Any) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content or envelope.content,
                                    policy=email.policy.default)


def _store_bytes(settings: config.Settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.store_path.parent.glob("digest.db*"))


# -- the content ------------------------------------------------------------------------------

def test_totals_match_what_the_worker_did(site):
    settings, counted = site
    with Store(settings.store_path) as store:
        d = collect(store, settings, resolve_period(store, at=now() + timedelta(seconds=1)))
    by_account: dict[str, dict[str, int]] = {}
    for t in d.totals:
        a = by_account.setdefault(t.account, {"seen": 0, "flagged": 0, "queued": 0, "acted": 0})
        for key in a:
            a[key] += getattr(t, key)
    for name, c in counted.items():
        assert by_account[name]["seen"] == c["new"], name
        assert by_account[name]["flagged"] == c["flagged"], name
        assert by_account[name]["queued"] == c["review"], name
        assert by_account[name]["acted"] == c["acted"], name
    # The file connector's own record of what it hid is an independent witness.
    carried = [json.loads(line) for line in
               (settings.store_path.parent / "actions.jsonl").read_text().splitlines()]
    assert d.total("hidden") == sum(1 for a in carried if a["action"] == "hide") > 0
    assert d.total("seen") == 300 + 14 + 7
    assert counted["acme-community"]["brake"]  # max_actions = 2 engaged the brake
    assert [b.account for b in d.brakes] == ["acme-community"]
    assert any(e.kind == "brake.engaged" for e in d.events)
    # The flaky rule failed once per batch on the hostile account: an error with its URL
    # defanged.
    assert [(e.account, e.kind) for e in d.errors] == [("acme-hostile", "rule")]
    assert "hxxps://feeds[.]example/urlhaus.csv" in d.errors[0].message
    assert d.review_pending == sum(c["review"] for c in counted.values())
    assert [i.queued_at for i in d.review] == sorted(i.queued_at for i in d.review)


def test_impersonators_and_bad_domains(site):
    settings, _ = site
    with Store(settings.store_path) as store:
        d = collect(store, settings, resolve_period(store, at=now() + timedelta(seconds=1)))
    imps = {i.author: i for i in d.impersonators}
    desk = imps["@AcmeSupport_Desk (Acme Bank Support)"]
    assert "AcmeSupport" in desk.imitates.split(", ")
    assert (desk.comments, desk.severity) == (2, "high")
    assert "@AcmeSupport_Help (Acme Bank Support)" in imps  # from the bundled samples
    domains = {b.domain: b.comments for b in d.domains}
    assert domains["acmebank-secure[.]example"] == 2
    counts = [b.comments for b in d.domains]
    assert counts == sorted(counts, reverse=True)  # the most frequent first
    assert domains["evil[.]example"] == 2  # the zero-width space did not split it
    assert domains["аcmebank[.]example (xn--cmebank-1fg[.]example)"] == 1
    assert not any("acmebank.com" in b.domain for b in d.domains)


def test_evidence_is_read_through_its_contract():
    # The digest reads the key the finding's contract names (moderator/evidence.py), and a
    # finding name without a contract its category's key; it guesses among no others.
    from moderator.evidence import bad_domain, imitated

    assert imitated("impersonation.handle", {"imitates": "AcmeBank", "similarity": 0.8}) == \
        "AcmeBank"
    assert imitated("impersonation.fake_support", {"author_imitates": "AcmeSupport",
                                                   "moves_to": ["dm"]}) == "AcmeSupport"
    assert imitated("impersonation.fake_support", {"moves_to": ["dm"]}) is None
    assert imitated("impersonation.handle", {"official": "AcmeBank"}) is None
    assert imitated("impersonation.handle", "not a dict") is None
    assert bad_domain("links.lookalike", {"registrable_domain": "Evil.Example."}) == \
        "evil.example"
    assert bad_domain("links.lookalike", {"url": "https://a.b.example:8443/x"}) is None
    assert bad_domain("charter.pii", {"registrable_domain": "x.example"}) is None
    assert bad_domain("links.standin", {"registrable_domain": "y.example"}) == "y.example"
    assert bad_domain("links.lookalike", None) is None


def test_trend_compares_with_the_previous_period_of_equal_length(site):
    settings, counted = site
    later = now() + timedelta(minutes=1)
    with Store(settings.store_path) as store:
        d = collect(store, settings, Period(later, later + timedelta(hours=2)))
    trends = {t.name: t for t in d.trends}
    assert trends["seen"].now == 0 and trends["seen"].before == 321
    assert trends["flagged"].before == sum(c["flagged"] for c in counted.values())
    assert trends["seen"].change == -321


# -- the message, received by a real SMTP server ----------------------------------------------

def test_digest_received_by_smtp_is_safe_and_complete(site, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    settings, counted = site
    inbox, auth = Inbox(), Authenticator()
    port = smtp_server(inbox, authenticator=auth, auth_require_tls=False)
    settings = _with_smtp(settings, smtp_port=port)
    with Store(settings.store_path) as store:
        period = resolve_period(store, at=now() + timedelta(seconds=1))
        send_digest(settings, store, period, sleep=lambda s: None)
        sent = store.digests()
    assert auth.logins and len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert sorted(envelope.rcpt_tos) == ["comms@acme.example", "security@acme.example"]
    message = _parse(envelope)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    page = message.get_body(preferencelist=("html",)).get_content()

    flagged = sum(c["flagged"] for c in counted.values())
    waiting = sum(c["review"] for c in counted.values())
    acted = sum(c["acted"] for c in counted.values())
    assert message["Subject"].endswith(f"{flagged} flagged, {acted} acted on, "
                                       f"{waiting} waiting for review")
    assert message["Subject"].startswith("BRAKE ENGAGED")
    for part in (text, page):
        assert "acme-youtube" in part and "AcmeSupport_Desk" in part
        assert "Tue 24 Nov" in part or "Wed 25 Nov" in part or "(Europe/Paris)" in part
    assert re.search(r"seen\s+321\s", text)

    # Escaping: no markup from comments or author names survives.
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;a href=&quot;hxxps://evil[.]example/login&quot;&gt;click&lt;/a&gt;" in page
    # Nothing clickable: no anchors, no external resources, no scripts at all.
    assert re.search(r"<a[\s>]", page, re.I) is None
    assert not re.search(r"<[^>]*\b(href|src|background|on\w+)\s*=", page, re.I)
    assert "<style" not in page.lower() and "url(" not in page.lower()
    assert "https://" not in page and "http://" not in page
    assert "https://" not in text and "http://" not in text
    assert "evil.example" not in page and "evil.example" not in text
    assert "hxxps://acmebank-secure[.]example/verify" in page
    assert "hxxps://www[.]facebook[.]com/acmebank/posts/1029?comment_id=h1" in page  # permalink
    # Invisible and direction-override characters are gone.
    assert "\u202e" not in page and "\u200b" not in page and "\u202e" not in text
    # Personal data masked in both parts.
    for part in (text, page):
        assert "jane.doe@example.com" not in part and "j***@example[.]com" in part
        assert "4111 1111 1111 1111" not in part and "**** **** **** 1111" in part
        assert "7946 0018" not in part and "+** ** **** **18" in part

    # No secret anywhere: the message, the logs, the store.
    assert PASSWORD.encode() not in envelope.original_content
    assert PASSWORD not in caplog.text
    assert PASSWORD.encode() not in _store_bytes(settings)
    assert sent[0]["status"] == "sent"
    assert json.loads(sent[0]["recipients"]) == list(settings.digest.recipients)


def test_next_digest_covers_exactly_what_follows(site, smtp_server):
    settings, _ = site
    inbox = Inbox()
    port = smtp_server(inbox, authenticator=Authenticator(), auth_require_tls=False)
    settings = _with_smtp(settings, smtp_port=port)
    with Store(settings.store_path) as store:
        first = resolve_period(store, at=now())
        assert first.length == timedelta(hours=24)
        send_digest(settings, store, first, sleep=lambda s: None)
        # New comments arrive after the first digest.
        extra = settings.store_path.parent / "more.jsonl"
        extra.write_text(json.dumps({"id": "n1", "text": "click here for free gift cards",
                                     "platform": "x"}) + "\n")
        account = dataclasses.replace(settings.accounts[2], name="acme-late",
                                      options=dataclasses.replace(settings.accounts[2].options,
                                                                  path=extra))
        run_account(settings, account, open_connector(account, Secrets(None, environ={})),
                    store, kind="backfill")
        second = resolve_period(store, at=now())
        assert second.start == first.end
        d = collect(store, settings, second)
    assert [(t.account, t.seen, t.flagged) for t in d.totals] == [("acme-late", 1, 1)]


def test_starttls_with_auth(site, smtp_server, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    settings, _ = site
    inbox, auth = Inbox(), Authenticator()
    port = smtp_server(inbox, tls_context=server_tls, require_starttls=True,
                       authenticator=auth, auth_require_tls=True)
    settings = _with_smtp(settings, smtp_port=port, smtp_security="starttls",
                          smtp_ca_file=str(cert))
    with Store(settings.store_path) as store:
        send_digest(settings, store, resolve_period(store), sleep=lambda s: None)
    assert len(inbox.messages) == 1 and auth.logins
    # Without trusting the test CA, the certificate is refused: no silent plain-text fallback.
    untrusted = _with_smtp(settings, smtp_ca_file=None)
    with Store(settings.store_path) as store, pytest.raises(DigestError, match="TLS with 127"):
        send_digest(untrusted, store, resolve_period(store), sleep=lambda s: None)


def test_retry_then_a_clear_error_naming_host_and_port(site, caplog):
    caplog.set_level(logging.DEBUG)
    settings, _ = site
    port = _free_port()  # nothing listens there
    settings = _with_smtp(settings, smtp_port=port)
    waits: list[float] = []
    with Store(settings.store_path) as store:
        with pytest.raises(DigestError) as error:
            send_digest(settings, store, resolve_period(store), sleep=waits.append,
                        backoff=0.5)
        rows = store.digests()
        errors = store.digest_errors(now() - timedelta(minutes=5), now() + timedelta(minutes=1))
    assert f"127.0.0.1:{port}" in str(error.value) and "after 3 attempt(s)" in str(error.value)
    assert waits == [0.5, 1.0]
    assert rows[0]["status"] == "failed" and f"127.0.0.1:{port}" in rows[0]["detail"]
    assert any(e["kind"] == "digest" for e in errors)
    assert PASSWORD not in caplog.text and PASSWORD not in str(error.value)
    # A failed send does not move the next period's start.
    with Store(settings.store_path) as store:
        assert store.last_digest_end() is None


def test_transient_4xx_is_retried(site, smtp_server):
    settings, _ = site
    inbox = Inbox(fail_first=1)
    port = smtp_server(inbox, authenticator=Authenticator(), auth_require_tls=False)
    settings = _with_smtp(settings, smtp_port=port)
    waits: list[float] = []
    with Store(settings.store_path) as store:
        send_digest(settings, store, resolve_period(store), sleep=waits.append)
    assert inbox.attempts == 2 and len(inbox.messages) == 1 and len(waits) == 1


def test_refused_login_is_not_retried_and_names_the_server(site, smtp_server, monkeypatch,
                                                           caplog):
    caplog.set_level(logging.DEBUG)
    settings, _ = site
    monkeypatch.setenv(PASSWORD_ENV, "wrong-" + PASSWORD)
    inbox, auth = Inbox(), Authenticator()
    port = smtp_server(inbox, authenticator=auth, auth_require_tls=False)
    settings = _with_smtp(settings, smtp_port=port)
    waits: list[float] = []
    with Store(settings.store_path) as store, pytest.raises(DigestError) as error:
        send_digest(settings, store, resolve_period(store), sleep=waits.append)
    assert auth.logins and not inbox.messages and waits == []  # permanent: not retried
    assert f"127.0.0.1:{port}" in str(error.value) and "refused the login" in str(error.value)
    assert "wrong-" not in str(error.value) and "wrong-" not in caplog.text
    assert b"wrong-" not in _store_bytes(settings)


def test_missing_password_variable_is_named(site, monkeypatch):
    settings, _ = site
    monkeypatch.delenv(PASSWORD_ENV)
    with Store(settings.store_path) as store, pytest.raises(DigestError, match=PASSWORD_ENV):
        send_digest(settings, store, resolve_period(store), sleep=lambda s: None)


def test_implicit_tls(site, smtp_server, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    settings, _ = site
    inbox = Inbox()
    # aiosmtpd 1.4 counts only STARTTLS as TLS for AUTH; the whole connection is TLS here.
    port = smtp_server(inbox, ssl_context=server_tls, authenticator=Authenticator(),
                       auth_require_tls=False)
    settings = _with_smtp(settings, smtp_port=port, smtp_security="tls",
                          smtp_ca_file=str(cert))
    with Store(settings.store_path) as store:
        send_digest(settings, store, resolve_period(store), sleep=lambda s: None)
    assert len(inbox.messages) == 1


# -- preview and the command ---------------------------------------------------------------------

class _TagBalance(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: set[str] = set()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.seen.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(tag)


def test_html_is_well_formed_and_email_safe(site):
    settings, _ = site
    with Store(settings.store_path) as store:
        message = build_message(collect(store, settings, resolve_period(store)), settings.digest)
    page = message.get_body(preferencelist=("html",)).get_content()
    parser = _TagBalance()
    parser.feed(page)
    parser.close()
    assert parser.problems == [] and parser.stack == []
    assert parser.seen <= {"html", "head", "meta", "title", "body", "table", "tr", "td", "th",
                           "div", "span", "b"}  # no script, style, link, img, iframe, form, a
    assert "@import" not in page and "url(" not in page


def test_preview_writes_eml_and_html(site, tmp_path):
    settings, _ = site
    with Store(settings.store_path) as store:
        message = build_message(collect(store, settings, resolve_period(store)), settings.digest)
    eml, page = write_preview(message, tmp_path / "out" / "digest.html")
    assert (eml.name, page.name) == ("digest.eml", "digest.html")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert page.read_text().startswith("<!DOCTYPE html>")


def _cli(settings: config.Settings, *args: str) -> subprocess.CompletedProcess:
    """The real command in a subprocess (without the stand-in rules, which only this
    process has registered)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli_config = settings.source.with_name("cli.toml")
    text = settings.source.read_text()
    for line in ("[rules.standin]\n", "[rules.flaky]\nenabled = false\n",
                 "rules = { flaky = { enabled = true } }\n"):
        text = text.replace(line, "")
    cli_config.write_text(text)
    return subprocess.run([sys.executable, "-m", "moderator", "--config",
                           str(cli_config), "--log-level", "debug", "digest", *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_cli_preview_and_dry_run_record_nothing(site, tmp_path):
    settings, _ = site
    done = _cli(settings, "--preview", str(tmp_path / "p"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.eml").exists() and (tmp_path / "p.html").exists()
    done = _cli(settings, "--dry-run", "--since", "2026-01-01", "--until", "2030-01-01")
    assert done.returncode == 0, done.stderr
    assert "Totals per account and platform" in done.stdout and "acme-hostile" in done.stdout
    with Store(settings.store_path) as store:
        assert store.digests() == []


def test_cli_sends_and_fails_clearly(site, smtp_server):
    settings, _ = site
    inbox = Inbox()
    port = smtp_server(inbox, authenticator=Authenticator(), auth_require_tls=False)
    text = settings.source.read_text().replace("smtp_port = 2525", f"smtp_port = {port}")
    settings.source.write_text(text)
    done = _cli(settings)
    assert done.returncode == 0, done.stderr
    assert "sent to 2 recipient(s)" in done.stdout and len(inbox.messages) == 1
    settings.source.write_text(text.replace(f"smtp_port = {port}",
                                            f"smtp_port = {_free_port()}")
                               .replace("smtp_timeout = 5", "smtp_timeout = 2\nsend_attempts = 1"))
    done = _cli(settings)
    assert done.returncode == 1 and "127.0.0.1:" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    assert "--preview FILE" in _cli(settings, "--help").stdout


def test_bad_period_is_refused(site):
    settings, _ = site
    with pytest.raises(DigestError, match="must end after it starts"):
        Period(now(), now() - timedelta(hours=1))


# -- settings ------------------------------------------------------------------------------------

def test_digest_settings_are_validated_with_key_paths():
    with pytest.raises(ConfigError) as error:
        config.parse({"digest": {"recipients": ["not-an-address"], "smtp_security": "ssl",
                                 "smtp_username": "u", "send_at": "8am",
                                 "timezone": "Mars/Olympus", "send_attempts": 0}})
    problems = "\n".join(error.value.problems)
    for key in ("digest.recipients[0]", "digest.smtp_security", "digest.smtp_password_env",
                "digest.send_at", "digest.timezone", "digest.send_attempts"):
        assert key in problems


def test_no_login_in_clear_text_to_a_remote_server():
    with pytest.raises(ConfigError, match="digest.smtp_security: 'none' would send"):
        config.parse({"digest": {"smtp_host": "smtp.example.com", "smtp_security": "none",
                                 "smtp_username": "u", "smtp_password_env": "P"}})
    config.parse({"digest": {"smtp_host": "localhost", "smtp_security": "none",
                             "smtp_username": "u", "smtp_password_env": "P"}})


def test_documented_settings_are_accepted():
    text = (ROOT / "docs" / "config-digest.toml").read_text()
    import tomllib

    settings = config.parse(tomllib.loads(text))
    assert settings.digest.recipients and settings.digest.smtp_password_env
    assert settings.digest.smtp_security in ("starttls", "tls", "none")
