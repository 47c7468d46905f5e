"""The popularity ranking bundled for the links rule (rules/data/popular_ranked.txt): what it
exempts, what it leaves flagged, and how bench/build_popular_ranked.py derives it."""

from __future__ import annotations

import importlib.util
import json
import zipfile
from pathlib import Path

import pytest

from moderator.models import Brand, Comment
from rules.links import LinksRule
from rules.links.domains import read_list

ROOT = Path(__file__).resolve().parents[1]
ACME = Brand(name="Acme Bank", domains=("acmebank.com", "acme.co"))
# Real sites of the brands they were taken for, found by the held-out popular-domain check.
BRAND_OWNED = ["adobeconnect.com", "capitaloneshopping.com", "paypal-corp.com",
               "microsofttranslator.com", "rakutenadvertising.com"]


def lookalikes(rule: LinksRule, url: str) -> list:
    comment = Comment(platform="test", account="acme", id="c1", text=f"I read this on {url}")
    return [f for f in rule.check(comment) if f.rule == "links.lookalike"]


@pytest.mark.parametrize("domain", BRAND_OWNED)
def test_ranked_brand_sites_are_not_lookalikes_unless_the_ranking_is_off(domain):
    on = LinksRule.from_config({}, ACME, path="rules.links")
    off = LinksRule.from_config({"protect_popular": False}, ACME, path="rules.links")
    assert lookalikes(on, f"https://{domain}/") == []
    assert lookalikes(off, f"https://{domain}/"), "the ranking is what exempts it"


@pytest.mark.parametrize("url", [
    "https://adobeconnect-verify.com/",  # brand + word, not ranked
    "https://binancepromotion.com/claim",
    "https://paypal-corp.com.secure-login.top/",  # a ranked name inside a foreign host
    "https://adobeconnect.blogspot.com/",  # a free host's site is never exempted
])
def test_unranked_brand_lookalikes_stay_flagged(url):
    rule = LinksRule.from_config({}, ACME, path="rules.links")
    assert lookalikes(rule, url)


def test_the_bundled_ranking_holds_no_free_host_or_abuse_tld_site():
    ranked = read_list("popular_ranked.txt")
    abuse = read_list("abuse_tlds.txt")
    free = {s.rstrip("/") for s in read_list("free_hosting.txt")}
    assert 100 < len(ranked) < 5_000  # compact: only sites that look like a built-in brand
    assert not {d for d in ranked if d.rsplit(".", 1)[-1] in abuse}
    assert not {d for d in ranked if any(d == f or d.endswith("." + f) for f in free)}


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_popular_ranked", ROOT / "bench" / "build_popular_ranked.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel(path: Path, lists: dict[str, list[str]]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, entries in lists.items():
            z.writestr(f"pymispwarninglists/data/misp-warninglists/lists/{name}/list.json",
                       json.dumps({"name": name, "version": 1, "list": entries}))
    return path


def test_builder_keeps_confirmed_brand_lookalikes_only(tmp_path):
    wheel = _wheel(tmp_path / "w.whl", {
        "google-chrome-crux-1million": [
            "https://www.adobeconnect.com",  # confirmed by Tranco: kept (as its registrable)
            "https://paypal-promo.com",  # CrUX only: dropped
            "https://paypal-corp.top",  # abuse TLD: dropped
            "https://paypalhelp.github.io",  # free host: dropped
            "https://en.wikipedia.org",  # no brand in sight: not needed
        ],
        "majestic_million": ["microsofttranslator.com"],
        "tranco": ["adobeconnect.com", "microsofttranslator.com", "paypal-corp.top",
                   "paypalhelp.github.io", "wikipedia.org"],
    })
    out = tmp_path / "ranked.txt"
    _builder().main([str(wheel), "--out", str(out)])
    lines = out.read_text().splitlines()
    assert [l for l in lines if not l.startswith("#")] == ["adobeconnect.com",
                                                           "microsofttranslator.com"]
    assert any("CC BY 4.0" in l for l in lines) and any("CC BY 3.0" in l for l in lines)
