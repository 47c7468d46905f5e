"""The inbox in a real headless browser (Debian's chromium through Playwright): log in,
filter, open an item, approve with the keyboard, find the audit entry; hostile comments run
nothing; new items appear without a reload; a phone-sized screen has no sideways scroll."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from moderator import config
from moderator.store import Store
from moderator.web.serve import Background
from moderator.worker import open_connector, run_account
from tests.browser import browser_page, chromium_path, log_in
from tests.web_support import PASSWORD, Site, build_site

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Site, str]]:
    chromium_path()  # fail (CI) or skip (elsewhere) before building anything
    site = build_site(tmp_path)
    server = Background(site.settings, "127.0.0.1", 0).start()
    try:
        yield site, server.url
    finally:
        server.stop()


def test_review_flow_with_the_keyboard(served: tuple[Site, str], tmp_path: Path) -> None:
    site, base = served
    with browser_page(tmp_path / "profile") as page:
        log_in(page, base, "carol", PASSWORD)
        assert page.locator("tr[data-item]").count() == 5
        page.select_option("select[name=account]", "acme")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**account=acme**")
        assert page.locator("tr[data-item]").count() == 4  # acme-dry's item filtered out
        page.keyboard.press("j")
        first = page.locator("tr.cursor").get_attribute("data-item")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/items/{first}")
        assert page.locator("#comment-text bdi").count() == 1
        page.keyboard.press("?")
        assert page.locator("dialog#help").is_visible()
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        page.wait_for_selector("#notice:has-text('the action was carried out')")
        assert page.locator("#trail").inner_text().count("carol") == 3
        page.goto(base + "audit?reviewer=carol")
        audit = page.locator("#audit tbody").inner_text()
        assert "approved hide" in audit and "carol" in audit
        assert page.problems == []
    comment = site.audit("actor = 'carol' AND action = 'hide' AND status = 'done'")
    assert len(comment) == 1
    assert comment[0]["comment_uid"].split(":")[-1] in {a[1] for a in
                                                       site.platform.seen_actions()}


def test_hostile_comments_run_nothing(served: tuple[Site, str], tmp_path: Path) -> None:
    site, base = served
    with browser_page(tmp_path / "profile") as page:
        log_in(page, base, "bob", PASSWORD)
        pages = [base + "inbox", base + f"items/{site.item_id('s1')}",
                 base + f"items/{site.item_id('i1')}", base + "audit?comment=i1"]
        for url in pages:
            page.goto(url)
            page.wait_for_load_state("load")
            assert page.evaluate("typeof window.__pwned") == "undefined", url
            scripts = page.evaluate("Array.from(document.scripts).map(s => s.src)")
            assert scripts == [base + "static/app.js"], url
            assert page.locator("img").count() == 0, url
            assert page.locator("[onerror], [onmouseover]").count() == 0, url
            assert page.locator("a[href*='evil']").count() == 0, url  # links never live
        text = page.content()
        assert "hxxps://evil[.]example/login" in text
        page.goto(base + f"items/{site.item_id('i1')}")
        assert "<img src=x onerror" in page.locator("#comment-text").inner_text()
        assert page.problems == [], page.problems


def test_new_items_appear_without_a_reload(served: tuple[Site, str], tmp_path: Path) -> None:
    site, base = served
    with browser_page(tmp_path / "profile") as page:
        log_in(page, base, "bob", PASSWORD)
        page.evaluate("window.__sameDocument = true")
        site.platform.post("acme", [{"id": "n1", "text": "check out my channel FRESH-ITEM"}])
        account = site.settings.account("acme")
        with Store(site.settings.store_path) as store:
            run_account(site.settings, account, open_connector(account, config.Secrets()), store)
        page.wait_for_selector("tr[data-item]:has-text('FRESH-ITEM')", timeout=30_000)
        assert page.evaluate("window.__sameDocument") is True  # no navigation happened
        assert page.locator("#total").inner_text() == "6"
        assert page.problems == []


def test_usable_on_a_phone(served: tuple[Site, str], tmp_path: Path) -> None:
    site, base = served
    with browser_page(tmp_path / "profile", width=390, height=844) as page:
        log_in(page, base, "bob", PASSWORD)
        for url in (base + "inbox", base + f"items/{site.item_id('i1')}", base + "audit",
                    base + "accounts"):
            page.goto(url)
            wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 1, f"{url} scrolls sideways by {wide}px"
        page.goto(base + "inbox")
        page.locator("tr[data-item] td.text a").first.click()
        page.wait_for_selector("form#approve button")
        assert page.locator("form#approve button").is_visible()
