"""The inbox served by a real server: `moderator web`, and inside `moderator run` with
[web] enabled = true. Both answer over a real socket on 127.0.0.1."""

from __future__ import annotations

import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.daemon_platforms import env, moderator_cmd, start_daemon
from tests.web_support import build_site


def wait_for_url(log: Path, proc: subprocess.Popen, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", log.read_text() if log.exists() else "")
        if found:
            return found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.05)
    raise AssertionError(f"no URL in the log: {log.read_text()[-2000:]}")


def check_login_page(base: str) -> None:
    with urllib.request.urlopen(base + "login", timeout=10) as response:
        assert response.status == 200
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers.get("Server") is None  # no banner for a stranger's scanner
        assert "Log in" in response.read().decode()


def test_moderator_web_serves_the_inbox(tmp_path: Path) -> None:
    site = build_site(tmp_path)
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(moderator_cmd(site.root / "moderator.toml", "web", "--port", "0"),
                                stdout=out, stderr=out, env=env(), cwd=tmp_path)
    try:
        check_login_page(wait_for_url(log, proc))
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_daemon_serves_the_inbox_when_enabled(tmp_path: Path) -> None:
    site = build_site(tmp_path)
    config = site.root / "moderator.toml"
    config.write_text(config.read_text().replace("[web]\n", "[web]\nenabled = true\nport = 0\n"))
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, log)
    try:
        check_login_page(wait_for_url(log, proc))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()[-2000:]
