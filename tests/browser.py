"""Debian's chromium driven by Playwright (pointed at the system browser: nothing downloads a
browser build), and the inbox served by the real server on a free port.

In CI (CI=true) a missing browser FAILS the tests: `.ci/run` installs it. Elsewhere they skip
with the reason.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("MODERATOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    reason = None
    if not Path(path).exists():
        reason = f"no chromium at {path} (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    return path


@contextmanager
def browser_page(profile: Path, *, width: int = 1200, height: int = 800) -> Iterator[Any]:
    """A fresh profile each time; the page records console messages, page errors and
    dialogs (``page.problems``) so a test can prove nothing ran."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path(), headless=True, args=FLAGS,
            viewport={"width": width, "height": height})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(20_000)
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.problems = problems
            yield page
        finally:
            context.close()


def log_in(page: Any, base: str, name: str, password: str) -> None:
    page.goto(base + "login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Review inbox')")
