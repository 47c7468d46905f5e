"""Threat feed loaders and the HEAD resolver for shorteners (against a local 127.0.0.1 server)."""

from __future__ import annotations

import json
import logging

import pytest

from rules.links.feeds import FeedIndex, load_feed, normalize_url, parse_feed, sniff_format

OPENPHISH = "https://evil-login.net/paypal/\nhttp://secure-id.top/a?b=1\n"
URLHAUS_CSV = """################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs)            #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"3031851","2024-05-01 10:00:03","http://198.51.100.7:44532/Mozi.m","online","2024-05-01 10:00:03","malware_download","elf,Mozi","https://urlhaus.abuse.ch/url/3031851/","lrz_urlhaus"
"3031850","2024-05-01 09:59:04","https://malware-drop.xyz/a.exe","online","2024-05-01 09:59:04","malware_download","exe","https://urlhaus.abuse.ch/url/3031850/","anonymous"
"""
URLHAUS_HOSTFILE = """# abuse.ch URLhaus Hostfile
127.0.0.1\tmalware-drop.xyz
127.0.0.1\tbad-cdn.top
"""
PHISHTANK_CSV = """phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target
8512345,https://paypa1-verify.com/signin,http://www.phishtank.com/phish_detail.php?phish_id=8512345,2024-05-01T10:00:00+00:00,yes,2024-05-01T10:05:00+00:00,yes,PayPal
8512346,http://chase-alerts.top/login,http://www.phishtank.com/phish_detail.php?phish_id=8512346,2024-05-01T10:01:00+00:00,yes,2024-05-01T10:06:00+00:00,yes,"JPMorgan Chase and Co."
"""
PHISHTANK_JSON = json.dumps([
    {"phish_id": 1, "url": "https://wallet-sync.app/connect", "target": "Other"},
    {"phish_id": 2, "url": "http://amaz0n-billing.com/", "target": "Amazon.com"},
])


def test_openphish():
    index = parse_feed(OPENPHISH, "openphish", name="openphish")
    assert index.match_url("https://evil-login.net/paypal/") == "openphish"
    assert index.match_url("HTTP://EVIL-LOGIN.NET/paypal/#frag") == "openphish"
    assert index.match_url("https://evil-login.net/other") is None
    assert index.match_host("a.secure-id.top", stop_at="secure-id.top") == ("secure-id.top", "openphish")
    assert index.sources == ("openphish",)


def test_urlhaus_csv_and_hostfile():
    index = parse_feed(URLHAUS_CSV, "urlhaus", name="urlhaus")
    assert index.match_url("http://198.51.100.7:44532/Mozi.m")
    assert index.match_url("https://malware-drop.xyz/a.exe")
    assert len(index.urls) == 2
    hosts = parse_feed(URLHAUS_HOSTFILE, "auto", name="hostfile")
    assert hosts.hosts == {"malware-drop.xyz", "bad-cdn.top"}
    assert not hosts.urls


def test_phishtank_csv_and_json():
    csv_index = parse_feed(PHISHTANK_CSV, "phishtank")
    assert csv_index.match_url("https://paypa1-verify.com/signin")
    assert csv_index.match_url("http://chase-alerts.top/login")
    json_index = parse_feed(PHISHTANK_JSON, "auto")
    assert json_index.match_url("http://amaz0n-billing.com")
    assert "wallet-sync.app" in json_index.hosts


def test_sniff_format():
    assert sniff_format(OPENPHISH) == "openphish"
    assert sniff_format(URLHAUS_CSV) == "urlhaus"
    assert sniff_format(PHISHTANK_CSV) == "phishtank"
    assert sniff_format(PHISHTANK_JSON) == "phishtank"
    assert sniff_format("evil.com\nbad.net\n") == "hosts"


def test_truncated_json_yields_what_it_can(caplog):
    truncated = PHISHTANK_JSON[: PHISHTANK_JSON.index("amaz0n") + 3]
    with caplog.at_level(logging.ERROR, logger="rules.links.feeds"):
        index = parse_feed(truncated, "phishtank", name="pt")
    assert index.match_url("https://wallet-sync.app/connect")
    assert "does not parse" in caplog.text


def test_truncated_csv_keeps_complete_rows():
    truncated = URLHAUS_CSV[: URLHAUS_CSV.index("malware-drop") + 5]
    index = parse_feed(truncated, "urlhaus")
    assert index.match_url("http://198.51.100.7:44532/Mozi.m")


def test_wrong_format_logs_and_returns_empty(caplog):
    with caplog.at_level(logging.WARNING, logger="rules.links.feeds"):
        index = parse_feed("<html><body>rate limited</body></html>\n", "openphish", name="op")
    assert len(index) == 0
    assert "op" in caplog.text and "wrong format" in caplog.text


def test_binary_garbage_and_missing_file_do_not_raise(tmp_path, caplog):
    junk = tmp_path / "feed.bin"
    junk.write_bytes(bytes(range(256)) * 50)
    assert len(load_feed(junk)) == 0
    with caplog.at_level(logging.ERROR, logger="rules.links.feeds"):
        assert len(load_feed(tmp_path / "missing.txt", "openphish")) == 0
    assert "cannot read" in caplog.text


def test_load_from_file_and_text(tmp_path):
    path = tmp_path / "feed.txt"
    path.write_text(OPENPHISH)
    assert load_feed(str(path)).sources == ("feed.txt",)
    assert load_feed(OPENPHISH, "openphish", name="x").match_url("http://secure-id.top/a?b=1")


def test_unknown_format_is_a_programming_error():
    with pytest.raises(ValueError):
        load_feed(OPENPHISH, "xml")


def test_merge_and_immutability():
    a = parse_feed(OPENPHISH, "openphish", name="a")
    b = parse_feed(URLHAUS_HOSTFILE, "urlhaus", name="b")
    merged = FeedIndex.merge([a, b])
    assert merged.sources == ("a", "b")
    assert merged.match_host("bad-cdn.top") == ("bad-cdn.top", "b")
    assert merged.match_url("https://evil-login.net/paypal/") == "a"
    with pytest.raises(AttributeError):
        merged.urls = frozenset()  # type: ignore[misc]


def test_normalize_url():
    assert normalize_url("HTTPS://Evil.COM:443/") == "http://evil.com"
    assert normalize_url("evil.com/a?x=1#f") == "http://evil.com/a?x=1"
    assert normalize_url("http://evil.com:8080/a") == "http://evil.com:8080/a"
    assert normalize_url("javascript:alert(1)") is None
    assert normalize_url("http://[::1") is None


# --- HEAD resolver against a local server -------------------------------------------------

def test_unchanged_file_is_parsed_once_and_a_changed_one_again(tmp_path):
    path = tmp_path / "feed.txt"
    path.write_text("http://one-bad.net/a\n")
    first = load_feed(path, "openphish")
    assert load_feed(path, "openphish") is first
    path.write_text("http://one-bad.net/a\nhttp://two-bad.net/b\n")
    assert load_feed(path, "openphish").match_url("http://two-bad.net/b")


def test_a_monster_csv_field_does_not_stop_the_rest():
    monster = '"1","2024","http://x.net/' + "a" * 200_000 + '","online"\n'
    index = parse_feed(URLHAUS_CSV + monster + '"9","2024","http://after-it.net/p","online"\n',
                       "urlhaus")
    assert index.match_url("http://after-it.net/p")
