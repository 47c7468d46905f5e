"""Make docs/web-inbox.png, docs/web-item.png and docs/web-audit.png from the test store of
hostile comments, in Debian's chromium:  .venv/bin/python -m tests.web_screenshots"""

from __future__ import annotations

import tempfile
from pathlib import Path

from moderator.web.serve import Background
from tests.browser import browser_page, log_in
from tests.web_support import PASSWORD, build_site

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = build_site(Path(tmp))
        server = Background(site.settings, "127.0.0.1", 0).start()
        try:
            with browser_page(Path(tmp) / "profile", width=1000, height=640) as page:
                log_in(page, server.url, "alice", PASSWORD)
                page.screenshot(path=str(DOCS / "web-inbox.png"))
                page.goto(server.url + f"items/{site.item_id('p1')}")
                page.keyboard.press("a")
                page.wait_for_selector("#notice")
                page.goto(server.url + f"items/{site.item_id('i1')}")
                page.screenshot(path=str(DOCS / "web-item.png"), full_page=True)
                page.goto(server.url + "audit")
                page.screenshot(path=str(DOCS / "web-audit.png"))
        finally:
            server.stop()
    for name in ("web-inbox.png", "web-item.png", "web-audit.png"):
        print(f"{name}: {(DOCS / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
