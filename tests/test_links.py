"""The links rule: extraction, lookalikes, feeds, shorteners, weak signals, config, bad input."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from moderator.errors import ConfigError
from moderator.models import Brand, Category, Comment, Link, Severity
from rules import RULES
from rules.links import LinksRule, defang, extract_links, parse_url

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
ACME = Brand(name="Acme Bank", domains=("acmebank.com", "acme.co"))


@pytest.fixture(scope="module")
def rule() -> LinksRule:
    return LinksRule.from_config({}, ACME, path="rules.links")


def check(rule: LinksRule, text: str, links: tuple[Link, ...] = ()) -> list:
    return rule.check(Comment(platform="test", account="acme", id="c1", text=text, links=links))


def by_rule(findings: list, name: str) -> list:
    return [f for f in findings if f.rule == name]


def hosts(text: str) -> set[str]:
    out = set()
    for link in extract_links(text):
        p = parse_url(link.url)
        if p:
            out |= {p.host, p.unicode_host}
    return out


# --- extraction --------------------------------------------------------------------------

EXTRACTION_CASES = [
    ("go to hxxps://evil[.]com/login now", "evil.com"),
    ("visit paypal-secure(.)com today", "paypal-secure.com"),
    ("hxxp[:]//evil{.}top/a", "evil.top"),
    ("login at acmebank-verify dot com please", "acmebank-verify.com"),
    ("paypa1.com/login is the new site", "paypa1.com"),
    ("see www.acme-login.co for more", "www.acme-login.co"),
    ("pay\u200bpal-verify.com/x", "paypal-verify.com"),
    ("вход: раураl.com/signin", "раураl.com"),
    ("ｐａｙｐａｌ．ｃｏｍ．ｖｅｒｉｆｙ．ｔｏｐ", "paypal.com.verify.top"),
    ("evil\u3002com/x", "evil.com"),
    ("[official site](https://acme-support.top/x)", "acme-support.top"),
    ('<a href="http://evil.top/a">acmebank.com</a>', "evil.top"),
    ("(see https://evil.com/a?b=1).", "evil.com"),
    ("xn--pypal-4ve.com/login", "xn--pypal-4ve.com"),
    ("https://paypal.com@evil.top/", "evil.top"),
    ("paypal&#46;com&#46;evil&#46;top/x", "paypal.com.evil.top"),
    ("VISIT PAYPAL-LOGIN.COM NOW", "paypal-login.com"),
]


@pytest.mark.parametrize("text, host", EXTRACTION_CASES)
def test_extracts_tricky_links(text, host):
    assert host in hosts(text)


def test_trailing_punctuation_and_markdown_parenthesis_are_not_part_of_the_url():
    urls = [l.url for l in extract_links("see [x](https://evil.com/a_(b)) and https://evil.org/p.")]
    assert "https://evil.com/a_(b)" in urls
    assert "https://evil.org/p" in urls


def test_sentences_emails_and_file_names_are_not_links():
    assert extract_links("I love my apple.Love it so much. Great song.Best ever") == []
    assert extract_links("write to me@example.com") == []
    assert extract_links("version 3.11.7 costs 1.50") == []
    assert extract_links("2.124.821.694 views and 10.0.0.1 alone") == []
    assert [l.url for l in extract_links("get 45.12.3.4/a.apk")] == ["http://45.12.3.4/a.apk"]
    assert extract_links("no links here, just words") == []


def test_markdown_display_text_is_kept():
    (link,) = [l for l in extract_links("[acmebank.com](https://evil.top/x)") if "evil" in l.url]
    assert link.display == "acmebank.com" and link.source == "markdown"


def test_limit_bounds_the_number_of_links():
    text = " ".join(f"site{i}.example.com" for i in range(500))
    assert len(extract_links(text, limit=7)) == 7


def test_parse_url_uses_private_suffixes():
    p = parse_url("https://evil.blogspot.com/x")
    assert p.registrable == "evil.blogspot.com"
    p = parse_url("http://login.paypal.com.secure-id.top/a")
    assert (p.subdomain, p.domain, p.suffix) == ("login.paypal.com", "secure-id", "top")
    assert parse_url("http://xn--pypal-4ve.com").unicode_host == "p\u0430ypal.com"  # Cyrillic a


def test_defang():
    assert defang("https://evil.com/a.b") == "hxxps://evil[.]com/a.b"
    assert defang("evil.com") == "evil[.]com"


# --- lookalikes ---------------------------------------------------------------------------

@pytest.mark.parametrize("url, brand, technique", [
    ("https://раураl.com/signin", "PayPal", "homoglyph"),  # Cyrillic
    ("https://paypa1.com/", "PayPal", "homoglyph"),  # digit for letter
    ("https://rnicrosoft.com/", "Microsoft", "homoglyph"),  # rn for m
    ("https://paypl.com/", "PayPal", "omission"),
    ("https://paypall.com/", "PayPal", "repetition"),
    ("https://paypbal.com/", "PayPal", "insertion"),
    ("https://paypak.com/", "PayPal", "replacement"),
    ("https://papyal.com/", "PayPal", "transposition"),
    ("https://paypel.com/", "PayPal", "vowel-swap"),
    ("https://paypam.com/", "PayPal", "bitsquatting"),
    ("https://pay-pal.com/", "PayPal", "hyphenation"),
    ("https://paypal-login.com/", "PayPal", "affix"),
    ("https://securepaypal.net/", "PayPal", "affix"),
    ("https://acmebank.top/", "Acme Bank", "tld-swap"),
    ("https://acme-login.co/", "Acme Bank", "affix"),
    ("https://acmebank.com.verify-id.top/", "Acme Bank", "brand-subdomain"),
    ("https://pay.pal.com/", "PayPal", "subdomain-split"),
    ("https://facebook-login.blogspot.com/", "Facebook", "affix"),
    ("https://chase-secure.com/", "Chase", "affix"),
    ("https://crypto.com.verify-wallet.top/", "Crypto.com", "brand-subdomain"),
    ("https://www.chase.com.alerts.info/", "Chase", "brand-subdomain"),
    ("https://microsesoft.com/", "Microsoft", "double-typo"),  # distance 2, long name
])
def test_lookalike_techniques(rule, url, brand, technique):
    (finding,) = by_rule(check(rule, f"see {url} now"), "links.lookalike")
    assert finding.evidence["brand"] == brand
    assert finding.evidence["technique"] == technique
    assert finding.severity == Severity.HIGH
    assert finding.category == Category.LINK


def test_brand_in_the_path_of_a_free_host(rule):
    (finding,) = by_rule(check(rule, "https://sites.google.com/view/acmebank-support"),
                         "links.lookalike")
    assert finding.evidence["technique"] == "brand-path"
    assert finding.severity == Severity.MEDIUM
    # The same words on an ordinary site's path are not a lookalike.
    assert by_rule(check(rule, "https://news.example.org/2024/paypal-results"), "links.lookalike") == []


@pytest.mark.parametrize("text", [
    "https://acmebank.com/login",  # our own domain
    "pay me at https://www.paypal.com/paypalme/x",  # a real brand domain on a bank's page
    "https://amazon.de/dp/123",  # the brand's country domain
    "https://mail.google.com/mail/u/0",
    "https://en.wikipedia.org/wiki/PayPal",  # popular site, brand in the path
    "https://purchase.com/ and https://upstairs.com/",  # dictionary words around short brands
    "https://evil.blogspot.com/",  # shared host, no brand: nothing to imitate
])
def test_never_flags_brand_owned_or_popular_domains(rule, text):
    assert by_rule(check(rule, text), "links.lookalike") == []


def test_allowlist_silences_everything():
    rule = LinksRule.from_config({"allowlist": ["paypa1.com"]}, ACME, path="rules.links")
    assert check(rule, "https://login.paypa1.com/verify your account") == []


def test_configured_brand_without_builtin_list():
    rule = LinksRule.from_config({"builtin_brands": False}, ACME, path="rules.links")
    assert by_rule(check(rule, "https://paypa1.com"), "links.lookalike") == []
    assert by_rule(check(rule, "https://acmebamk.com"), "links.lookalike")


def test_brands_file_extends_the_list(tmp_path):
    path = tmp_path / "brands.toml"
    path.write_text('[[brand]]\nname = "Globex"\ndomains = ["globexcorp.com"]\n'
                    'keywords = ["globexcorp"]\n')
    rule = LinksRule.from_config({"brands_file": str(path)}, ACME, path="rules.links")
    (finding,) = by_rule(check(rule, "globexcorp-login.com"), "links.lookalike")
    assert finding.evidence["brand_domain"] == "globexcorp.com"


# --- feeds, blocklist, shorteners, signals, mismatch ----------------------------------------

def test_threat_feed_exact_url_and_host(rule, tmp_path):
    path = tmp_path / "openphish.txt"
    path.write_text("https://evil-phish.net/login\nhttps://docs.google.com/forms/d/abc/viewform\n")
    r = LinksRule.from_config({"feeds": [{"name": "openphish", "path": str(path)}]}, ACME,
                              path="rules.links")
    (exact,) = by_rule(check(r, "https://evil-phish.net/login"), "links.threat_feed")
    assert exact.severity == Severity.CRITICAL and exact.evidence["matched"] == "url"
    (host,) = by_rule(check(r, "http://evil-phish.net/other"), "links.threat_feed")
    assert host.severity == Severity.HIGH and host.evidence["matched"] == "host"
    # A listed URL on a popular host does not condemn the host.
    assert by_rule(check(r, "https://docs.google.com/document/d/xyz"), "links.threat_feed") == []
    assert by_rule(check(r, "https://docs.google.com/forms/d/abc/viewform"), "links.threat_feed")
    # Without the feed, nothing is listed.
    assert by_rule(check(rule, "https://evil-phish.net/login"), "links.threat_feed") == []


def test_feeds_loaded_from_config(tmp_path):
    path = tmp_path / "feed.txt"
    path.write_text("http://bad-site.net/x\n")
    rule = LinksRule.from_config({"feeds": [{"name": "op", "path": str(path),
                                             "format": "openphish"}]}, ACME, path="rules.links")
    (finding,) = by_rule(check(rule, "http://bad-site.net/x"), "links.threat_feed")
    assert finding.evidence["feed"] == "op"


def test_blocklist(rule):
    r = LinksRule.from_config({"blocklist": ["spam-site.net"]}, ACME, path="rules.links")
    (finding,) = by_rule(check(r, "http://cdn.spam-site.net/a"), "links.blocklist")
    assert finding.severity == Severity.HIGH


def test_shortener_destination_unknown_without_resolver(rule):
    (finding,) = by_rule(check(rule, "look bit.ly/3abcd"), "links.shortener")
    assert finding.evidence["destination"] is None
    assert "destination unknown" in finding.reason
    assert by_rule(check(rule, "https://bit.ly/"), "links.shortener") == []  # the home page


def test_shortener_resolved_through_injected_resolver():
    calls = []

    def resolver(url):
        calls.append(url)
        return "https://paypal-verify.top/login"

    r = LinksRule.from_config({"resolve_shorteners": True, "resolve_timeout": 1.5}, ACME,
                              path="rules.links").with_resolver(resolver)
    assert (r.settings.resolve_timeout, r.settings.resolve_max_hops) == (1.5, 5)
    findings = check(r, "bit.ly/3abcd")
    (short,) = by_rule(findings, "links.shortener")
    assert short.evidence["destination"] == "hxxps://paypal-verify[.]top/login"
    assert short.severity == Severity.HIGH
    (look,) = by_rule(findings, "links.lookalike")
    assert look.evidence["resolved_from"] == "hxxp://bit[.]ly/3abcd"
    assert calls == ["http://bit.ly/3abcd"]


def test_resolver_is_ignored_unless_enabled_and_its_errors_are_contained():
    def boom(url):
        raise OSError("network down")

    off = LinksRule.from_config({}, ACME, path="rules.links").with_resolver(boom)
    assert by_rule(check(off, "bit.ly/x"), "links.shortener")[0].evidence["destination"] is None
    on = LinksRule.from_config({"resolve_shorteners": True}, ACME, path="rules.links")
    (f,) = by_rule(check(on.with_resolver(boom), "bit.ly/x"), "links.shortener")
    assert "could not resolve" in f.reason


def test_weak_signals_add_up(rule):
    (f,) = by_rule(check(rule, "Verify your account at http://203.0.113.9:8080/update.exe"),
                   "links.suspicious")
    assert f.severity == Severity.HIGH
    assert f.evidence["score"] >= 5
    assert "raw IP address host" in f.evidence["signals"]
    (f,) = by_rule(check(rule, "https://google.com@login-page.xyz/"), "links.suspicious")
    assert "'@' in the authority hides the real host" in f.evidence["signals"]
    assert by_rule(check(rule, "nice video https://example.org/watch"), "links.suspicious") == []


def test_mismatch_between_text_and_target(rule):
    (f,) = by_rule(check(rule, "[acmebank.com](https://acme-help.top/login)"), "links.mismatch")
    assert f.evidence["shown_domain"] == "acmebank[.]com"
    assert f.severity == Severity.HIGH  # shows our own domain
    (f,) = by_rule(check(rule, "[cheap-shoes.net](https://other-shop.net/)"), "links.mismatch")
    assert f.severity == Severity.MEDIUM
    assert by_rule(check(rule, "[our site](https://acmebank.com/x)"), "links.mismatch") == []


def test_platform_links_are_checked(rule):
    links = (Link("https://paypa1.com/login", "paypal.com/login"),)
    findings = check(rule, "see https://t.co/abc", links)
    assert by_rule(findings, "links.lookalike")[0].evidence["source"] == "platform"
    assert by_rule(findings, "links.mismatch")


def test_evidence_is_json_and_defanged(rule):
    findings = check(rule, "hxxps://paypal.com.secure-login[.]top/x and http://1.2.3.4/a.exe bit.ly/z")
    assert findings
    text = json.dumps([f.to_json() for f in findings])
    assert "http://" not in text and "https://" not in text
    assert "secure-login.top" not in text


def test_registered():
    assert RULES["links"] is LinksRule
    assert LinksRule.family == "links"


# --- config -------------------------------------------------------------------------------

def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError) as e:
        LinksRule.from_config({"resolve_shorteners": "yes", "score_medium": 0, "typo": 1,
                               "lookalike_severity": "severe",
                               "feeds": [{"path": str(tmp_path / "nope.txt"), "format": "xml"}]},
                              ACME, path="rules.links")
    problems = "\n".join(e.value.problems)
    assert "rules.links.resolve_shorteners: expected true or false, got 'yes'" in problems
    assert "rules.links.score_medium: must be at least 1" in problems
    assert "rules.links.typo: unknown setting" in problems
    assert "rules.links.lookalike_severity: unknown value 'severe'" in problems
    assert "rules.links.feeds[0].format: unknown feed format 'xml'" in problems
    assert "rules.links.feeds[0].path: no such file" in problems


def test_list_entries_must_be_domains():
    with pytest.raises(ConfigError, match=r"rules.links.allowlist\[1\]: expected a domain"):
        LinksRule.from_config({"allowlist": ["ok.com", "https://x.com/a"]}, ACME,
                              path="rules.links")
    LinksRule.from_config({"allowlist": ["пример.рф", "Sub.Example.CO.UK"]}, ACME,
                          path="rules.links")


def test_score_high_below_medium_is_an_error():
    with pytest.raises(ConfigError, match="score_high"):
        LinksRule.from_config({"score_medium": 4, "score_high": 2}, ACME, path="rules.links")


def test_documented_settings_are_accepted(tmp_path):
    import tomllib

    doc = Path(__file__).resolve().parents[1] / "docs" / "config-links.toml"
    text = doc.read_text()
    # Uncomment every "# key = value" line of the snippet and feed it to from_config.
    import re

    setting = re.compile(r"^# (?:[a-z_]+ = |\[\[)")
    lines = [l[2:] if setting.match(l) else l for l in text.splitlines()]
    (tmp_path / "f.txt").write_text("http://x.example/a\n")
    (tmp_path / "b.toml").write_text("")
    text = "\n".join(lines).replace("/var/lib/moderator/openphish.txt", str(tmp_path / "f.txt"))
    data = tomllib.loads(text.replace("/etc/moderator/brands.toml", str(tmp_path / "b.toml")))
    assert {"builtin_brands", "resolve_shorteners", "feeds"} <= set(data["rules"]["links"])
    LinksRule.from_config(data["rules"]["links"], ACME, path="rules.links")


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    " ".join(f"a{i}.evil{i}.top/x" for i in range(10_000))[:100_000],
    "." * 100_000,
    ("a-" * 31 + "a.") * 1_600,
    ("\u0301" * 50 + "ａ．" + "\u200b" * 20) * 1_000,
    " ".join(["xn--zz--.com", "xn--a.com", "xn--80a-.com", "x\udcff.com", "a..b.com"] * 500),
    "http://[::1:80/ http://a:99999/ http://%%%.com/ [x](<) <a href=>",
])
def test_hostile_input_is_bounded(rule, text):
    start = time.perf_counter()
    findings = check(rule, text)
    assert time.perf_counter() - start < 1.0
    assert len(findings) <= 3 * rule.settings.max_links


# --- real data (skipped without ../shared/data) --------------------------------------------

def _shared(path: str) -> Path:
    p = SHARED / path
    if not p.exists():
        pytest.skip(f"shared data not found: {p}")
    return p


def test_popular_domains_are_not_flagged(rule):
    rows = list(csv.DictReader(_shared("popular_domains/tranco_top10k_odd_ranks.csv").open()))
    flagged = [r["domain"] for r in rows if check(rule, f"I read this on https://{r['domain']}/")]
    assert len(flagged) <= 0.002 * len(rows), flagged


def test_real_phishing_is_flagged(rule):
    rows = list(csv.DictReader(_shared("phishing_phishunt/phishunt_dev_brands.csv").open()))
    hit = sum(1 for r in rows
              if any(f.severity >= Severity.MEDIUM for f in check(rule, f"see {r['url']}")))
    assert hit >= 0.95 * len(rows)


def test_dnstwist_permutations_are_flagged(rule):
    dnstwist = pytest.importorskip("dnstwist")
    fuzzer = dnstwist.Fuzzer("paypal.com")
    fuzzer.generate()
    candidates = [d["domain"] for d in fuzzer.domains if d["fuzzer"] != "*original"]
    missed = [c for c in candidates if not by_rule(check(rule, f"https://{c}/"), "links.lookalike")]
    assert len(missed) <= 0.01 * len(candidates), missed[:20]


def test_feed_with_url_may_wait_for_its_first_download(tmp_path):
    spec = {"name": "op", "url": "https://openphish.com/feed.txt", "path": str(tmp_path / "op.txt")}
    rule = LinksRule.from_config({"feeds": [spec]}, ACME, path="rules.links")
    assert by_rule(check(rule, "https://openphish.com/feed.txt"), "links.threat_feed") == []
    # Once the daemon has downloaded it, a rebuilt rule reads it.
    (tmp_path / "op.txt").write_text("http://bad-site.net/x\n")
    rebuilt = LinksRule.from_config({"feeds": [spec]}, ACME, path="rules.links")
    assert by_rule(check(rebuilt, "http://bad-site.net/x"), "links.threat_feed")


def test_x_link_wrappers_are_not_reported_as_shorteners(rule):
    x = Comment(platform="x", account="acme", id="1", text="look https://t.co/abc123",
                links=(Link("https://paypa1.com/login", "paypa1.com/login"),))
    findings = rule.check(x)
    assert by_rule(findings, "links.shortener") == []
    assert by_rule(findings, "links.lookalike")
    assert by_rule(check(rule, "look https://t.co/abc123"), "links.shortener")  # elsewhere


def test_random_garbage_never_raises(rule):
    """A seeded fuzz over URL-ish fragments (found a crash on "y9。xn--0" once)."""
    import random

    pieces = list("abc019.-_/:@[](){}<>%?#&;= \u200b\u0430\u3002\uff0e\u0301\u0663") + [
        "https://", ".com", ".top", "xn--", "[.]", " dot ", "&#46;", "\udcff", "\U0001f600", "ß",
        "\u202e", "...", "://", "hxxp", "[:]", '<a href="', "</a>", "](", "127.0.0.1", ":8080",
        "paypal", ".blogspot.com", "y9\u3002xn--0"]
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        check(rule, text)
        check(rule, "", (Link(text, text),))


def test_mixed_script_label_is_a_strong_signal(rule):
    (f,) = by_rule(check(rule, "https://mу-shop.com/"), "links.suspicious")  # Cyrillic u
    assert f.severity == Severity.MEDIUM
    assert "mixed scripts in one label (Cyrillic + Latin)" in f.evidence["signals"]
    assert by_rule(check(rule, "https://пример.рф/"), "links.suspicious") == []  # one script
    assert by_rule(check(rule, "https://ひらがな漢字.jp/"), "links.suspicious") == []  # Japanese


def test_shortener_with_credential_wording_is_medium(rule):
    (f,) = by_rule(check(rule, "Your account is locked, verify your account: bit.ly/3xyz"),
                   "links.suspicious")
    assert f.severity == Severity.MEDIUM


def test_the_organization_name_is_protected_too():
    brand = Brand(name="Globex Corporation", domains=("globex.com", "gx.io"))
    rule = LinksRule.from_config({"builtin_brands": False}, brand, path="rules.links")
    (f,) = by_rule(check(rule, "https://globexcorporation-support.top/"), "links.lookalike")
    assert f.evidence["brand"] == "Globex Corporation"
    assert by_rule(check(rule, "https://gx.io/about"), "links.lookalike") == []


# --- the organization's own short names, program downloads, the prefilter --------------------

KORA = Brand(name="Kora", domains=("kora.com",))  # a 4-letter name in no data file


@pytest.mark.parametrize("host", ["korax.com", "kra.com", "koar.com", "kpra.com", "k0ra.com",
                                  "korra.com", "kora.top", "mykora.com", "koraportal.net",
                                  "k\u043era.com"])
def test_one_letter_change_of_the_own_short_domain_is_caught(host):
    rule = LinksRule.from_config({}, KORA, path="rules.links")
    (finding,) = by_rule(check(rule, f"see https://{host}/ now"), "links.lookalike")
    assert finding.evidence["brand_domain"] == "kora.com"
    assert finding.severity == Severity.HIGH


def test_short_names_of_other_brands_stay_careful(rule):
    # The same one-letter change of a built-in short brand is a real word too often.
    assert by_rule(check(rule, "see https://ebayz.com/"), "links.lookalike") == []
    other = LinksRule.from_config({}, ACME, path="rules.links")
    assert by_rule(check(other, "see https://korax.com/"), "links.lookalike") == []
    # Inside a longer word the own short name does not count ("ikorakis" is not "kora").
    own = LinksRule.from_config({}, KORA, path="rules.links")
    assert by_rule(check(own, "see https://ikorakis.com/"), "links.lookalike") == []


def test_a_name_both_configured_and_built_in_keeps_the_wider_match():
    rule = LinksRule.from_config({}, Brand(name="DHL", domains=("dhl.com",)), path="rules.links")
    assert by_rule(check(rule, "track it at https://dhlexpressnow.info"), "links.lookalike")


def test_careful_names_count_inside_a_site_name_on_a_free_host(rule):
    (finding,) = by_rule(check(rule, "https://outlookweb006.weebly.com"), "links.lookalike")
    assert finding.evidence["brand"] == "Microsoft"
    assert by_rule(check(rule, "https://outlookweb006.com"), "links.lookalike") == []


@pytest.mark.parametrize("url", ["http://176.65.139.212/eclipse.mips", "http://94.154.43.227/bins/x86",
                                 "https://shop-example.org/media/Setup.exe",
                                 "http://87.120.253.44/z"])
def test_program_downloads_and_files_on_bare_ips_are_acted_on(rule, url):
    found = check(rule, f"Download it here: {url}")
    assert max(f.severity for f in found) >= Severity.MEDIUM, found


@pytest.mark.parametrize("url", [
    "https://github.com/someone/free-premium/releases/download/v2.0/Application.zip",
    "https://raw.githubusercontent.com/someone/assets/refs/heads/master/Launcher.zip",
    "https://codeload.github.com/someone/client/zip/refs/heads/main",
    "https://cdn.jsdelivr.net/gh/someone/q@master/verify-sec.js",
    "https://gitlab.com/someone/tools/-/raw/main/update.bin",
])
def test_archives_straight_from_someones_repository_are_acted_on(rule, url):
    (finding,) = by_rule(check(rule, f"Download it here: {url}"), "links.suspicious")
    assert finding.severity >= Severity.MEDIUM
    assert any("repository" in s for s in finding.evidence["signals"])


@pytest.mark.parametrize("url", ["http://shop-example.org/sshd", "http://shop-example.org/wget",
                                 "http://shop-example.org/bins/whisper.x64",
                                 "http://shop-example.org/ytd/Base_V2.dll/",
                                 "https://shop-example.org/theme/control.ocx"])
def test_payloads_named_like_system_programs_are_program_downloads(rule, url):
    (finding,) = by_rule(check(rule, f"Download it here: {url}"), "links.suspicious")
    assert "program download" in finding.evidence["signals"]
    assert finding.severity >= Severity.MEDIUM


def test_repository_pages_and_documents_stay_quiet(rule):
    for url in ("https://github.com/someone/tool", "https://github.com/someone/tool/releases",
                "https://raw.githubusercontent.com/someone/tool/main/README.md",
                "https://github.com/someone/tool/blob/main/install.zip",
                "https://example.org/docs/sh", "https://example.org/wget/manual.html",
                # on a popular site a system program's name at the root is a page: curl's
                # organization, a user's profile
                "https://github.com/curl", "https://github.com/bash", "https://www.reddit.com/sh"):
        assert all(f.severity < Severity.MEDIUM for f in check(rule, f"see {url}")), url


def test_ordinary_links_stay_quiet(rule):
    for url in ("https://example.org/report.pdf", "http://192.168.1.1/", "https://example.org/a.zip"):
        assert all(f.severity < Severity.MEDIUM for f in check(rule, f"see {url}")), url


def test_the_prefilter_never_hides_a_link():
    from rules.links.extraction import could_hold_link

    assert not could_hold_link("great song. love it!! 10/10")
    for text in ("evil.com", "hxxp://x", "evil[.]com", "evil dot com", "1.2.3.4:80/x",
                 "evil&#46;com", "a (.) b", "[:]//"):
        assert could_hold_link(text), text
    # Every text the extractor finds a link in passes the prefilter.
    for text, _ in EXTRACTION_CASES:
        assert extract_links(text)


def test_brands_own_their_name_under_country_codes_but_not_under_com_dot(rule):
    for url in ("https://facebook.de/", "https://adobe.co.jp/", "https://rakuten.ne.jp/"):
        assert by_rule(check(rule, url), "links.lookalike") == [], url
    for url in ("https://coinbase.com.lc/", "https://dropbox.com.es/login"):
        assert by_rule(check(rule, url), "links.lookalike"), url


def test_lookalike_letters_do_not_join_two_words(rule):
    assert by_rule(check(rule, "https://blog-mall.com/"), "links.lookalike") == []
    assert by_rule(check(rule, "https://secure-gmall.com/"), "links.lookalike")


def test_short_own_names_take_plain_typos_only():
    rule = LinksRule.from_config({}, KORA, path="rules.links")
    assert by_rule(check(rule, "see https://koxa.com/"), "links.lookalike")
    # One edit on top of a lookalike letter ("c" for "o") is another name.
    assert by_rule(check(rule, "see https://kcxa.com/"), "links.lookalike") == []

