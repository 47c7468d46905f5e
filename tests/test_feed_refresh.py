"""The daemon's feed refresh: real HTTP downloads from a local server into the feed files."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moderator import config
from moderator.feed_refresh import feed_specs, refresh_feeds
from moderator.models import Comment
from moderator.pipeline import Pipeline

BODIES = {"/openphish.txt": b"https://evil-login.top/verify\nhttp://bad-site.top/x\n",
          "/empty.txt": b"<html>maintenance</html>\n"}


@pytest.fixture
def server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = BODIES.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def settings_for(tmp_path, base, name="openphish.txt"):
    return config.parse({"rules": {"links": {"feeds": [
        {"name": "op", "url": f"{base}/{name}", "path": "feeds/op.txt", "format": "openphish"},
        {"name": "missing", "url": f"{base}/nope.txt", "path": "feeds/nope.txt"}]}}},
        base_dir=tmp_path)


def test_refresh_downloads_feeds_and_the_rebuilt_rule_uses_them(tmp_path, server):
    settings = settings_for(tmp_path, server)
    assert len(list(feed_specs(settings))) == 2
    assert refresh_feeds(settings) is True  # the 404 feed is logged, the other still lands
    assert (tmp_path / "feeds" / "op.txt").read_bytes() == BODIES["/openphish.txt"]
    assert refresh_feeds(settings) is False  # unchanged: no rebuild needed
    pipeline = Pipeline.for_account(settings, None)
    result = pipeline.run([Comment("x", "a", "1", "see https://evil-login.top/verify")])
    assert "links.threat_feed" in {f.rule for f in result.findings[0]}


def test_a_download_without_entries_never_replaces_a_good_feed(tmp_path, server):
    feed = tmp_path / "feeds" / "op.txt"
    feed.parent.mkdir()
    feed.write_text("https://old-bad.example/x\n")
    assert refresh_feeds(settings_for(tmp_path, server, "empty.txt")) is False
    assert feed.read_text() == "https://old-bad.example/x\n"


def test_the_daemon_gets_hooks_only_for_what_is_configured(tmp_path, server):
    from moderator.cli.service import _hooks

    bare = _hooks(config.parse({}))
    assert bare == {"feed_refresher": None, "digest_sender": None}
    hooks = _hooks(config.parse({"rules": {"links": {"feeds": [
        {"name": "op", "url": f"{server}/openphish.txt", "path": "op.txt"}]}},
        "digest": {"recipients": ["sec@acme.test"]}}, base_dir=tmp_path))
    assert hooks["feed_refresher"]() is True and (tmp_path / "op.txt").is_file()
    assert callable(hooks["digest_sender"])
