"""Benchmark of the links rule: quality on real data and speed.

Run from the repository root:  .venv/bin/python bench/links.py [--quick]

1. Lookalike recall: dnstwist permutations (offline) of brand domains, per technique.
2. False positives: a neutral comment linking each domain of ../shared/data/popular_domains/.
3. Real phishing: ../shared/data/phishing_phishunt/ URLs, flagged at medium or above.
4. URL extraction: tricky cases, the rule's extractor against a plain ``https?://\\S+``.
5. Speed: comments per CPU-second (time.process_time, so other load on the machine does not
   count) of the whole rule on real YouTube comments (most have no link), one core.
"""

from __future__ import annotations

import argparse
import collections
import csv
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from core import DATA, shared  # noqa: E402  (bench/core.py)
from moderator.models import Brand, Comment, Severity  # noqa: E402
from rules.links import LinksRule, extract_links, parse_url  # noqa: E402

# Brands measured for lookalike recall (long and short names, banks, payment, mail, social,
# shipping, crypto). The first is the configured organization; the rest come from the built-in list.
RECALL_DOMAINS = ["acmebank.com", "paypal.com", "google.com", "microsoft.com", "facebook.com",
                  "amazon.com", "netflix.com", "wellsfargo.com", "coinbase.com", "binance.com",
                  "instagram.com", "linkedin.com", "dropbox.com", "spotify.com", "twitter.com"]
SHORT_DOMAINS = ["usps.com", "chase.com", "apple.com", "ebay.com", "dhl.com", "fedex.com"]
DICTIONARY = ["login", "secure", "account", "verify", "support", "update", "online", "signin",
              "wallet", "help", "service", "mail", "app", "auth", "id"]
TLDS = ["net", "org", "info", "top", "xyz", "online", "site", "shop", "co", "io", "app", "live",
        "support", "us", "biz"]
ORG = Brand(name="Acme Bank", domains=("acmebank.com", "acme-bank.com"))


def make_rule() -> LinksRule:
    return LinksRule.from_config({}, ORG, path="rules.links")


def comment(text: str, i: int = 0) -> Comment:
    return Comment(platform="bench", account="acme", id=str(i), text=text)


def flagged(rule: LinksRule, text: str, minimum: Severity = Severity.LOW) -> list:
    return [f for f in rule.check(comment(text)) if f.severity >= minimum]


def lookalike_recall(rule: LinksRule, domains: list[str]) -> tuple[dict, int, int]:
    import dnstwist

    per = collections.defaultdict(lambda: [0, 0])
    missed = collections.defaultdict(list)
    protected = collections.Counter()
    for domain in domains:
        fuzzer = dnstwist.Fuzzer(domain, dictionary=DICTIONARY, tld_dictionary=TLDS)
        fuzzer.generate()
        for d in fuzzer.domains:
            technique, candidate = d["fuzzer"], d["domain"]
            if technique == "*original":
                continue
            parsed = parse_url(candidate)
            if parsed is None or rule.brands.protected(parsed):
                # A real domain of a brand (googlemail.com) or a popular site (ft.com): by
                # design never flagged by lookalike alone; counted apart.
                protected[technique] += 1
                continue
            hits = [f for f in rule.check(comment(f"Please see https://{candidate}/ for details"))
                    if f.rule == "links.lookalike"]
            per[technique][1] += 1
            if hits:
                per[technique][0] += 1
            else:
                missed[technique].append(candidate)
    total_hit = sum(v[0] for v in per.values())
    total = sum(v[1] for v in per.values())
    return ({k: (v[0], v[1], protected[k], missed[k][:5]) for k, v in sorted(per.items())},
            total_hit, total)


def popular_false_positives(rule: LinksRule) -> tuple[int, int, list]:
    path = DATA / "popular_domains" / "tranco_top10k_odd_ranks.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    bad = []
    for row in rows:
        hits = rule.check(comment(f"I read about this on https://{row['domain']}/ yesterday"))
        if hits:
            bad.append((row["domain"], [(f.rule, f.severity.value, f.reason) for f in hits]))
    return len(bad), len(rows), bad


def phishunt_recall(rule: LinksRule) -> tuple[int, int, dict, list]:
    path = DATA / "phishing_phishunt" / "phishunt_dev_brands.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    per = collections.defaultdict(lambda: [0, 0])
    missed = []
    hit = 0
    for row in rows:
        found = flagged(rule, f"Your account is fine, see {row['url']}", Severity.MEDIUM)
        per[row["company"]][1] += 1
        if found:
            hit += 1
            per[row["company"]][0] += 1
        else:
            missed.append((row["company"], row["url"][:100]))
    return hit, len(rows), dict(per), missed


# (case, text, expected URLs' hosts)
EXTRACTION = [
    ("defanged hxxps + [.]", "go to hxxps://evil[.]com/login now", ["evil.com"]),
    ("defanged (.)", "visit paypal-secure(.)com today", ["paypal-secure.com"]),
    ("defanged {.} and [:]", "hxxp[:]//evil{.}top/a", ["evil.top"]),
    ("'dot' spelled out", "login at acmebank-verify dot com please", ["acmebank-verify.com"]),
    ("scheme-less with path", "paypa1.com/login is the new site", ["paypa1.com"]),
    ("www. only", "see www.acme-login.co for more", ["www.acme-login.co"]),
    ("zero-width inside host", "pay\u200bpal-verify.com/x", ["paypal-verify.com"]),
    ("Cyrillic homograph", "вход: раураl.com/signin", ["раураl.com"]),
    ("fullwidth dots and letters", "ｐａｙｐａｌ．ｃｏｍ．ｖｅｒｉｆｙ．ｔｏｐ", ["paypal.com.verify.top"]),
    ("ideographic full stop", "evil\u3002com/x", ["evil.com"]),
    ("Markdown link", "[official site](https://acme-support.top/x)", ["acme-support.top"]),
    ("HTML anchor", '<a href="http://evil.top/a">acmebank.com</a>', ["evil.top", "acmebank.com"]),
    ("trailing punctuation", "(see https://evil.com/a?b=1).", ["evil.com"]),
    ("IDN punycode", "xn--pypal-4ve.com/login", ["xn--pypal-4ve.com"]),
    ("IDN Unicode with path", "https://päypal.com/login", ["päypal.com"]),
    ("userinfo trick", "https://paypal.com@evil.top/", ["evil.top"]),
    ("HTML entities", "paypal&#46;com&#46;evil&#46;top/x", ["paypal.com.evil.top"]),
    ("uppercase", "VISIT PAYPAL-LOGIN.COM NOW", ["paypal-login.com"]),
    ("URL after colon", "link:evil.top/x", ["evil.top"]),
    ("two in a row", "a.evil.top,b.evil.top", ["a.evil.top", "b.evil.top"]),
]
_PLAIN = re.compile(r"https?://\S+")


def extraction_table() -> list[tuple[str, bool, bool]]:
    rows = []
    for name, text, hosts in EXTRACTION:
        found = set()
        for link in extract_links(text):
            p = parse_url(link.url)
            if p:
                found.update({p.host, p.unicode_host})
        ours = all(h in found or h.encode("idna").decode() in found
                   if h.isascii() else h in found for h in hosts)
        plain_hosts = set()
        for m in _PLAIN.finditer(text):
            p = parse_url(m.group(0))
            if p:
                plain_hosts.update({p.host, p.unicode_host})
        plain = all(h in plain_hosts for h in hosts)
        rows.append((name, ours, plain))
    return rows


def youtube_texts(label: str | None = None) -> list[str]:
    """CONTENT of the YouTube comments; ``label`` "0" keeps the ham (ordinary comments) only."""
    texts = []
    for path in sorted((DATA / "youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as f:
            texts.extend(row["CONTENT"] for row in csv.DictReader(f)
                         if label is None or row["CLASS"] == label)
    return texts


def clear_caches() -> None:
    from rules.links import domains, lookalikes

    for cached in (lookalikes._views, domains.host_forms, domains.split_domain):
        cached.cache_clear()


def cold_speed(rule: LinksRule, texts: list[str]) -> float:
    """One pass with the per-host caches empty: every link parsed and matched from scratch."""
    comments = [comment(t, i) for i, t in enumerate(texts)]
    clear_caches()
    start = time.process_time()
    rule.check_batch(comments)
    return len(comments) / (time.process_time() - start)


def speed(rule: LinksRule, texts: list[str], seconds: float = 3.0) -> tuple[float, float]:
    comments = [comment(t, i) for i, t in enumerate(texts)]
    with_link = sum(1 for c in comments if extract_links(c.text)) / len(comments)
    rule.check_batch(comments)  # warm caches the way a long-running worker has them
    n, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        rule.check_batch(comments)
        n += len(comments)
    return n / (time.process_time() - start), with_link


def hostile(rule: LinksRule) -> list[tuple[str, float, int]]:
    cases = {
        "100 KB, 10,000 URL-like tokens": " ".join(f"a{i}.evil{i}.top/x" for i in range(10_000))[:100_000],
        "100 KB of dots": "." * 100_000,
        "100 KB label soup": ("a-" * 31 + "a.") * 1_600,
        "pathological Unicode": ("\u0301" * 50 + "ａ．" + "\u200b" * 20) * 1_000,
        "malformed IDNA": " ".join(["xn--zz--.com", "xn--a.com", "xn--80a-.com", "x\udcff.com"] * 500),
        "1000 defanged links": " ".join(f"hxxp://e{i}[.]top" for i in range(1_000)),
    }
    out = []
    for name, text in cases.items():
        start = time.process_time()
        findings = rule.check(comment(text))
        out.append((name, time.process_time() - start, len(findings)))
    return out


def tweets() -> list[str]:
    path = DATA / "offensive_davidson" / "labeled_data.csv"
    with path.open(encoding="utf-8") as f:
        return [row["tweet"] for row in csv.DictReader(f)]


def findings_on(rule: LinksRule, texts: list[str], platform: str) -> tuple[int, int, float, dict]:
    """(comments with a link, comments with any finding, comments/s, findings by rule+severity)."""
    comments = [Comment(platform=platform, account="acme", id=str(i), text=t)
                for i, t in enumerate(texts)]
    counts: collections.Counter = collections.Counter()
    start = time.process_time()
    results = rule.check_batch(comments)
    rate = len(comments) / (time.process_time() - start)
    for found in results:
        for f in found:
            counts[f"{f.rule} {f.severity.value}"] += 1
    with_link = sum(1 for c in comments if extract_links(c.text))
    return with_link, sum(1 for r in results if r), rate, dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer brands, shorter timing")
    parser.add_argument("--verbose", action="store_true", help="list the misses and false positives")
    args = parser.parse_args()
    shared()  # or exits: the data is not beside the repository
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    start = time.process_time()
    rule = make_rule()
    print(f"rule built in {time.process_time() - start:.3f} s")

    domains = RECALL_DOMAINS[:4] if args.quick else RECALL_DOMAINS
    for title, group in (("Lookalike recall (dnstwist), brands: " + ", ".join(domains), domains),
                         ("Short names (3-5 letters), reported apart: " + ", ".join(SHORT_DOMAINS),
                          SHORT_DOMAINS)):
        per, hit, total = lookalike_recall(rule, group)
        print(f"\n## {title}\n\n| technique | flagged | total | recall | protected (not counted) |"
              "\n|---|---:|---:|---:|---:|")
        for technique, (h, t, prot, missed) in per.items():
            print(f"| {technique} | {h} | {t} | {h / t:.1%} | {prot} |")
            if args.verbose and missed:
                print(f"|  missed e.g. {', '.join(missed)} | | | | |")
        print(f"| **all** | {hit} | {total} | {hit / total:.2%} | |")

    n_bad, n, bad = popular_false_positives(rule)
    print(f"\n## Popular domains flagged (any finding)\n\n{n_bad} of {n} = {n_bad / n:.2%}")
    for domain, hits in bad:
        print(f"- {domain}: {hits}")

    hit, total, per, missed = phishunt_recall(rule)
    print(f"\n## phishunt URLs flagged at medium or above\n\n{hit} of {total} = {hit / total:.2%}\n")
    print("| brand | flagged | total |\n|---|---:|---:|")
    for brand, (h, t) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        print(f"| {brand} | {h} | {t} |")
    if args.verbose:
        for company, url in missed:
            print(f"- missed {company}: {url}")

    rows = extraction_table()
    print("\n## URL extraction\n\n| case | links rule | plain https?://\\S+ |\n|---|---|---|")
    for name, ours, plain in rows:
        print(f"| {name} | {'found' if ours else 'MISSED'} | {'found' if plain else 'missed'} |")
    print(f"| **total** | {sum(r[1] for r in rows)}/{len(rows)} | {sum(r[2] for r in rows)}/{len(rows)} |")

    texts = youtube_texts()
    rate, with_link = speed(rule, texts, 1.5 if args.quick else 4.0)
    print(f"\n## Speed\n\n{len(texts)} real YouTube comments ({with_link:.0%} with a link), "
          f"whole rule, one core: {rate:,.0f} comments/s")
    print(f"same comments, first pass with empty caches: {cold_speed(rule, texts):,.0f} comments/s")
    ham = youtube_texts("0")
    rate_ham, ham_links = speed(rule, ham, 1.5 if args.quick else 3.0)
    print(f"the {len(ham)} ordinary (ham) comments ({ham_links:.0%} with a link): "
          f"{rate_ham:,.0f} comments/s; first pass with empty caches: "
          f"{cold_speed(rule, ham):,.0f} comments/s")
    neutral = [t for t in texts if not extract_links(t)]
    rate2, _ = speed(rule, neutral, 1.5 if args.quick else 3.0)
    print(f"the {len(neutral)} of them with no link: {rate2:,.0f} comments/s")

    print("\n## Findings on real comments\n\n| comments | n | with a link | with a finding | "
          "findings | comments/s |\n|---|---:|---:|---:|---|---:|")
    for name, texts_, platform_ in (("YouTube ham (CLASS 0)", youtube_texts("0"), "youtube"),
                                    ("YouTube spam (CLASS 1)", youtube_texts("1"), "youtube"),
                                    ("Davidson tweets, as platform x", tweets(), "x")):
        n_link, n_found, rate_, counts = findings_on(rule, texts_, platform_)
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none"
        print(f"| {name} | {len(texts_)} | {n_link} | {n_found} | {shown} | {rate_:,.0f} |")

    print("\n## Hostile input (one comment each)\n\n| input | seconds | findings |\n|---|---:|---:|")
    for name, seconds, count in hostile(rule):
        print(f"| {name} | {seconds:.3f} | {count} |")


if __name__ == "__main__":
    main()
