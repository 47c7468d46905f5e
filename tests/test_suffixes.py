"""rules.suffixes splits hosts exactly as tldextract does, on the same Public Suffix List file.

tldextract is a dev dependency, used only here: Moderator reads the bundled list itself (see
rules/suffixes.py for why). The hosts: every rule of the list with zero, one and two labels in
front of it (wildcards and exceptions filled in), the bundled domain lists, and hostile shapes.
"""

import re
import tomllib
from pathlib import Path

import pytest
import tldextract

from rules import suffixes

DATA = Path(suffixes.__file__).with_name("data")
HOSTILE = ["", ".", "..", "com", "COM", "a..com", "a.com.", "a.com..", "WWW.Example.CO.UK",
           "foo.invalidtld", "1.2.3.4", "1.2.3.400", "01.2.3.4", "1.2.3.4.com", "[::1]", "[foo]",
           "[2001:db8::1]:443", "https://u:p@Www.Example.co.uk:80/x?y#z", "//cdn.example.com/a",
           "mailto:a@b.com", "x:y//evil.com", "evil.com\u3002", "a\uff0eexample\uff61com",
           "xn--bcher-kva.com", "xn--bcher-kva.xn--p1ai", "xn--.com", "xn--zz.com", "bücher.de",
           "пример.рф", "a.b.c.d.e.f.g.example.com", " spaced.com ", "example.com:8080",
           "a.b.ck", "www.ck", "city.kawasaki.jp", "a.b.kawasaki.jp", "*.ck", "!www.ck"]


def reference(tmp_path: Path, private: bool) -> tldextract.TLDExtract:
    """tldextract reading our bundled file (not its own snapshot), never the network."""
    return tldextract.TLDExtract(suffix_list_urls=[(DATA / "public_suffix_list.dat").as_uri()],
                                 cache_dir=str(tmp_path / f"cache-{private}"),
                                 fallback_to_snapshot=False, include_psl_private_domains=private)


def hosts() -> list[str]:
    rules = re.findall(r"^[.*!]*\w\S*", (DATA / "public_suffix_list.dat").read_text("utf-8"),
                       re.MULTILINE)
    out = list(HOSTILE)
    for rule in rules:
        base = rule.lstrip("!").replace("*", "x")
        out += [base, f"a.{base}", f"www.b.{base}"]
    for name in ("popular.txt", "popular_ranked.txt", "shorteners.txt", "free_hosting.txt"):
        lines = (DATA / name).read_text("utf-8").splitlines()
        out += [f"sub.{line.strip()}" for line in lines if line.strip() and line[0] != "#"]
    for brand in tomllib.loads((DATA / "brands.toml").read_text("utf-8"))["brand"]:
        out += [f"login.{domain}" for domain in brand.get("domains", ())]
    return out


@pytest.mark.parametrize("private", [True, False])
def test_split_equals_tldextract_on_the_same_list(tmp_path, private):
    extract = reference(tmp_path, private)
    corpus = hosts()
    assert len(corpus) > 30_000
    differ = []
    for host in corpus:
        theirs = extract(host)
        if suffixes.split(host, private=private) != (theirs.subdomain, theirs.domain, theirs.suffix):
            differ.append(host)
    assert differ == []


def test_the_private_section_makes_hosted_sites_their_own():
    assert suffixes.split("evil.blogspot.com") == ("", "evil", "blogspot.com")
    assert suffixes.split("evil.blogspot.com", private=False) == ("evil", "blogspot", "com")
    assert suffixes.split("a.b.ck") == ("", "a", "b.ck")  # wildcard
    assert suffixes.split("www.ck") == ("", "www", "ck")  # its exception


def test_nothing_imports_tldextract_at_run_time():
    import subprocess
    import sys
    code = ("import sys; import rules.links.rule, rules.impersonation.rule, rules.charter.rule; "
            "from rules.links.domains import registrable; registrable('a.example.co.uk'); "
            "from rules.impersonation.contacts import bare_hosts; bare_hosts('see acme-help.com'); "
            "print('tldextract' in sys.modules, 'requests' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
