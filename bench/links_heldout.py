"""Link detection measured the way a user gets it, on items split into tune and test halves.

Every number is the decision of ``moderator scan`` with ``config.example.toml`` (every detector
on, no threat feed loaded: its feed file does not exist), where only ``[brand]`` changes. A
comment counts as caught when a links finding of medium or above is in the verdict (the default
policy: medium -> review, high -> hide, critical -> delete); the whole decision (any family) is
reported beside it, since other families (the spam classifier) also act on comments with links.

The split was fixed before any detection change (see bench/links.md):

- lookalikes of the CONFIGURED brand: dnstwist permutations (offline) of the brand's domain,
  with a dictionary and TLD list of our own. Test brands are in no data file of the rule
  (leave-brand-out: they are not in rules/data/brands.toml and must stay out); tune brands are
  built-in brands configured as the organization.
- popular domains: the test ranking is Majestic's (never tuned on); the tune ranking is the
  Tranco excerpt in ../shared/data/popular_domains/.
- phishing: ../shared/data/phishing_phishunt/, split by target brand (brands sorted by number
  of URLs, alternately test / tune); each URL once with its target brand configured, once on
  an unrelated organization's page (the example config's Acme Bank).
- malware: URLhaus online URLs, split by host (sha256 of the host, even -> test).

Run from the repository root (about 3 minutes for each split):

    .venv/bin/python bench/links_heldout.py --split test [--heldout DIR] [--verbose]

``DIR`` (default ``../links_heldout``) holds the held-out files named in bench/links.md.
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
MODERATOR = Path(sys.executable).parent / "moderator"

# Leave-brand-out: none of these brands is in rules/data/brands.toml (keep it so).
TEST_BRANDS = [
    ("FIFA", "fifa.com"), ("IKEA", "ikea.com"), ("LEGO", "lego.com"), ("Nike", "nike.com"),
    ("Sony", "sony.com"), ("Visa", "visa.com"),
    ("Toyota", "toyota.com"), ("Siemens", "siemens.com"), ("Nordea", "nordea.com"),
    ("Samsung", "samsung.com"), ("Nintendo", "nintendo.com"), ("Vodafone", "vodafone.com"),
    ("Lufthansa", "lufthansa.com"), ("Salesforce", "salesforce.com"),
    ("Volkswagen", "volkswagen.com"), ("Mercado Libre", "mercadolibre.com"),
    ("Carrefour", "carrefour.com"), ("Bloomberg", "bloomberg.com"),
]
# Tune brands: built-in brands configured as the organization, short and long.
TUNE_BRANDS = [
    ("HSBC", "hsbc.com"), ("eBay", "ebay.com"), ("FedEx", "fedex.com"), ("Apple", "apple.com"),
    ("Chase", "chase.com"), ("USPS", "usps.com"), ("PayPal", "paypal.com"),
    ("Netflix", "netflix.com"), ("Coinbase", "coinbase.com"), ("Acme Bank", "acmebank.com"),
    ("Wells Fargo", "wellsfargo.com"), ("Microsoft", "microsoft.com"),
]
DICTIONARY = ["portal", "billing", "pay", "customer", "members", "my", "web", "official", "shop",
              "store", "care", "info", "center", "team", "security"]
TLDS = ["com", "net", "org", "info", "top", "xyz", "online", "site", "shop", "club", "icu", "vip",
        "cc", "pw", "buzz"]
# The phishunt companies' own domains, for "target brand configured".
COMPANY_DOMAINS = {
    "facebook": ("Facebook", "facebook.com"), "microsoft": ("Microsoft", "microsoft.com"),
    "google": ("Google", "google.com"), "paypal": ("PayPal", "paypal.com"),
    "instagram": ("Instagram", "instagram.com"), "coinbase": ("Coinbase", "coinbase.com"),
    "usps": ("USPS", "usps.com"), "xfinity": ("Xfinity", "xfinity.com"),
    "amazon": ("Amazon", "amazon.com"), "binance": ("Binance", "binance.com"),
    "spotify": ("Spotify", "spotify.com"), "dropbox": ("Dropbox", "dropbox.com"),
    "trustwallet": ("Trust Wallet", "trustwallet.com"), "ledger": ("Ledger", "ledger.com"),
    "linkedin": ("LinkedIn", "linkedin.com"), "ingspain": ("ING", "ing.es"),
    "bbva": ("BBVA", "bbva.com"), "dhl": ("DHL", "dhl.com"),
    "wellsfargo": ("Wells Fargo", "wellsfargo.com"), "revolut": ("Revolut", "revolut.com"),
    "roblox": ("Roblox", "roblox.com"), "opensea": ("OpenSea", "opensea.io"),
    "correos": ("Correos", "correos.es"), "venmo": ("Venmo", "venmo.com"),
    "whatsapp": ("WhatsApp", "whatsapp.com"), "cashapp": ("Cash App", "cash.app"),
    "adobe": ("Adobe", "adobe.com"), "smbc": ("SMBC", "smbc.co.jp"),
    "claude": ("Claude", "claude.ai"), "exodus": ("Exodus", "exodus.com"),
    "telstra": ("Telstra", "telstra.com.au"), "zelle": ("Zelle", "zelle.com"),
}


def config_for(brand: tuple[str, str] | None, tmp: Path) -> Path:
    """config.example.toml with only [brand] replaced (None keeps the example's Acme Bank)."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    if brand is not None:
        name, domain = brand
        block = f'[brand]\nname = "{name}"\ndomains = ["{domain}"]\nhandles = []\nstaff = []\n\n'
        text = re.sub(r"^\[brand\]\n.*?\n\n", block, text, count=1, flags=re.S | re.M)
    path = tmp / f"config-{hashlib.sha1(repr(brand).encode()).hexdigest()[:8]}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def scan(config: Path, texts: list[str], tmp: Path) -> list[dict]:
    """One verdict per text, in order, from `moderator scan`."""
    source = tmp / "comments.jsonl"
    with source.open("w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": text}) + "\n")
    out = subprocess.run([str(MODERATOR), "--config", str(config), "scan", str(source)],
                         capture_output=True, text=True, check=True).stdout
    verdicts = {v["id"]: v for v in map(json.loads, out.splitlines())}
    return [verdicts[str(i)] for i in range(len(texts))]


def caught(verdict: dict) -> bool:
    """Acted on for a link finding: the default policy acts on medium and above."""
    return any(f["rule"].startswith("links.") and f["severity"] != "low"
               for f in verdict["findings"])


def acted_on(verdict: dict) -> bool:
    """Acted on for any family's finding (the whole decision)."""
    return verdict["decision"] != "none"


def name_bucket(domain: str) -> str:
    n = len(domain.split(".")[0].replace("-", ""))
    return "<= 5" if n <= 5 else "6-8" if n <= 8 else "9+"


def lookalikes(brands: list[tuple[str, str]], tmp: Path, verbose: bool) -> None:
    import dnstwist

    by_bucket = collections.defaultdict(lambda: [0, 0])
    by_technique = collections.defaultdict(lambda: [0, 0])
    by_brand = {}
    any_family = [0, 0]
    for name, domain in brands:
        fuzzer = dnstwist.Fuzzer(domain, dictionary=DICTIONARY, tld_dictionary=TLDS)
        fuzzer.generate()
        items = [(d["fuzzer"], d["domain"]) for d in fuzzer.domains if d["fuzzer"] != "*original"]
        verdicts = scan(config_for((name, domain), tmp),
                        [f"Please see https://{c}/ for details" for _, c in items], tmp)
        hit = 0
        missed = []
        any_family[0] += sum(acted_on(v) for v in verdicts)
        any_family[1] += len(verdicts)
        for (technique, candidate), v in zip(items, verdicts):
            ok = caught(v)
            hit += ok
            for table, key in ((by_bucket, name_bucket(domain)), (by_technique, technique)):
                table[key][0] += ok
                table[key][1] += 1
            if not ok:
                missed.append(f"{candidate} ({technique})")
        by_brand[domain] = (hit, len(items), missed)
    total = [sum(v[0] for v in by_bucket.values()), sum(v[1] for v in by_bucket.values())]
    print(f"\n### Lookalikes of the configured brand (dnstwist), {len(brands)} brands\n")
    print("| name length | caught | total | recall |\n|---|---:|---:|---:|")
    for key in ("<= 5", "6-8", "9+"):
        if key in by_bucket:
            h, t = by_bucket[key]
            print(f"| {key} | {h} | {t} | {h / t:.2%} |")
    print(f"| **all** | {total[0]} | {total[1]} | {total[0] / total[1]:.2%} |")
    print(f"\nActed on, any family: {any_family[0] / any_family[1]:.2%}")
    print("\n| technique | caught | total | recall |\n|---|---:|---:|---:|")
    for key, (h, t) in sorted(by_technique.items()):
        print(f"| {key} | {h} | {t} | {h / t:.1%} |")
    print("\n| brand | caught | total | missed (first 8) |\n|---|---:|---:|---|")
    for domain, (h, t, missed) in by_brand.items():
        shown = ", ".join(missed[: 40 if verbose else 8])
        print(f"| {domain} | {h} | {t} | {shown} |")


def popular(split: str, heldout: Path, tmp: Path, verbose: bool) -> None:
    if split == "test":
        path = heldout / "majestic_top15000_2026-03.csv"
        domains = [row["Domain"].lower() for row in csv.DictReader(path.open(encoding="utf-8"))]
        title = "Majestic top 15,000 (2026-03)"
    else:
        path = SHARED / "popular_domains" / "tranco_top10k_odd_ranks.csv"
        domains = [row["domain"].lower() for row in csv.DictReader(path.open(encoding="utf-8"))]
        title = "Tranco top-10k odd ranks (../shared/data)"
    # Both bundled lists: the hand-written one and the one derived from public rankings. The
    # held-out number is the one on domains in neither.
    bundled = {l.strip() for name in ("popular.txt", "popular_ranked.txt")
               for l in (ROOT / "rules" / "data" / name).read_text().splitlines()
               if l.strip() and not l.startswith("#")}
    verdicts = scan(config_for(None, tmp),
                    [f"I read about this on https://{d}/ yesterday" for d in domains], tmp)
    flagged = [(d, v) for d, v in zip(domains, verdicts) if acted_on(v)]
    by_links = [(d, v) for d, v in zip(domains, verdicts) if caught(v)]
    unbundled = [d for d in domains if d not in bundled]
    print(f"\n### Popular domains acted on (decision not none): {title}\n")
    print("| domains | acted on, any family | acted on for a link finding |\n|---|---:|---:|")
    for label, pool in ((f"all {len(domains):,}", set(domains)),
                        (f"the {len(unbundled):,} in neither rules/data/popular.txt nor "
                         "popular_ranked.txt", set(unbundled))):
        a = sum(d in pool for d, _ in flagged)
        b = sum(d in pool for d, _ in by_links)
        print(f"| {label} | {a} ({a / len(pool):.2%}) | {b} ({b / len(pool):.2%}) |")
    print("\nActed on for a link finding (brand ownership judged by hand in bench/links.md; "
          "* = in a bundled list):")
    for d, v in by_links:
        reasons = "; ".join(f"{f['rule']} {f['severity']}: {f['reason']}" for f in v["findings"]
                            if f["rule"].startswith("links.") and f["severity"] != "low")
        print(f"  - {d}{' *' if d in bundled else ''}: {reasons}")
    if verbose:
        linked = {d for d, _ in by_links}
        others = [d for d, _ in flagged if d not in linked]
        print(f"\nActed on for other families' findings only: {', '.join(others)}")


def phishing(split: str, tmp: Path, verbose: bool) -> None:
    rows = list(csv.DictReader((SHARED / "phishing_phishunt" / "phishunt_dev_brands.csv")
                               .open(encoding="utf-8")))
    counts = collections.Counter(r["company"] for r in rows)
    ordered = sorted(counts, key=lambda c: (-counts[c], c))
    wanted = set(ordered[0 if split == "test" else 1::2])
    rows = [r for r in rows if r["company"] in wanted]
    texts = [f"Your account is fine, see {r['url']}" for r in rows]
    unrelated = scan(config_for(None, tmp), texts, tmp)
    targeted = [None] * len(rows)
    for company in wanted:
        idx = [i for i, r in enumerate(rows) if r["company"] == company]
        for i, v in zip(idx, scan(config_for(COMPANY_DOMAINS[company], tmp),
                                  [texts[i] for i in idx], tmp)):
            targeted[i] = v
    print(f"\n### phishunt URLs, {split} half: {len(rows)} URLs of {len(wanted)} brands "
          f"({', '.join(sorted(wanted))})\n")
    print("| configured brand | caught by a link finding (medium or above) | total | recall | "
          "acted on, any family |\n|---|---:|---:|---:|---:|")
    for label, verdicts in (("the target brand", targeted), ("an unrelated one (Acme Bank)", unrelated)):
        h = sum(caught(v) for v in verdicts)
        a = sum(acted_on(v) for v in verdicts)
        print(f"| {label} | {h} | {len(rows)} | {h / len(rows):.2%} | {a / len(rows):.2%} |")
    if verbose:
        for r, v, u in zip(rows, targeted, unrelated):
            if not caught(v) or not caught(u):
                print(f"  - {'T' if caught(v) else '-'}{'U' if caught(u) else '-'} "
                      f"{r['company']}: {r['url'][:120]}")


URLHAUS_FIELDS = ["id", "dateadded", "url", "url_status", "last_online", "threat", "tags",
                  "urlhaus_link", "reporter"]


def urlhaus_online(path: Path) -> list[str]:
    """The online URLs of a URLhaus CSV dump, with or without its header line."""
    with path.open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    header = None if lines and lines[0].startswith("id,") else URLHAUS_FIELDS
    return list(dict.fromkeys(row["url"] for row in csv.DictReader(lines, fieldnames=header)
                              if row.get("url_status") == "online"))


def malware(split: str, path: Path, tmp: Path, verbose: bool) -> None:
    urls = urlhaus_online(path)

    def half(url: str) -> str:
        host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split(":", 1)[0].lower()
        return "test" if int(hashlib.sha256(host.encode()).hexdigest(), 16) % 2 == 0 else "tune"

    urls = [u for u in urls if split == "all" or half(u) == split]
    verdicts = scan(config_for(None, tmp), [f"Download it here: {u}" for u in urls], tmp)
    kinds = collections.defaultdict(lambda: [0, 0])
    missed = []
    for u, v in zip(urls, verdicts):
        host = re.sub(r"^[a-z]+://", "", u).split("/", 1)[0].split(":", 1)[0]
        kind = "IP address host" if re.fullmatch(r"[\d.]+", host) else "named host"
        kinds[kind][0] += caught(v)
        kinds[kind][1] += 1
        if not caught(v):
            missed.append(u)
    h, t = sum(k[0] for k in kinds.values()), sum(k[1] for k in kinds.values())
    print(f"\n### URLhaus online malware URLs ({path.name}), {split}, no feed loaded\n")
    print("| host | caught | total | recall |\n|---|---:|---:|---:|")
    for kind, (a, b) in sorted(kinds.items()):
        print(f"| {kind} | {a} | {b} | {a / b:.2%} |")
    print(f"| **all** | {h} | {t} | {h / t:.2%} |")
    print(f"\nActed on, any family: {sum(acted_on(v) for v in verdicts) / len(verdicts):.2%}")
    # A few hosts carry thousands of URLs each; weighing every host once shows the spread.
    per_host = collections.defaultdict(list)
    for u, v in zip(urls, verdicts):
        per_host[re.sub(r"^[a-z]+://", "", u).split("/", 1)[0].split(":", 1)[0].lower()].append(
            caught(v))
    share = sum(sum(c) / len(c) for c in per_host.values()) / len(per_host)
    top = sorted(per_host.items(), key=lambda kv: -len(kv[1]))[:3]
    print(f"\nEvery host weighed once ({len(per_host)} hosts): {share:.2%}. Largest hosts: "
          + ", ".join(f"{host_} {sum(c)}/{len(c)}" for host_, c in top))
    for u in missed[: 60 if verbose else 10]:
        print(f"  - missed {u[:120]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("tune", "test", "all"), required=True,
                        help="'all': every item (only for a data set nothing was tuned on)")
    parser.add_argument("--heldout", type=Path, default=ROOT.parent / "links_heldout")
    parser.add_argument("--only", choices=("lookalikes", "popular", "phishing", "malware"))
    parser.add_argument("--malware-file", type=Path,
                        help="another URLhaus dump (default: HELDOUT/urlhaus_online_2025-04-21.csv)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.split == "all" and args.only != "malware":
        parser.error("--split all is for --only malware with a --malware-file nothing was tuned on")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.only in (None, "lookalikes"):
            lookalikes(TEST_BRANDS if args.split == "test" else TUNE_BRANDS, tmp, args.verbose)
        if args.only in (None, "popular"):
            popular(args.split, args.heldout, tmp, args.verbose)
        if args.only in (None, "phishing"):
            phishing(args.split, tmp, args.verbose)
        if args.only in (None, "malware"):
            malware(args.split, args.malware_file or args.heldout / "urlhaus_online_2025-04-21.csv",
                    tmp, args.verbose)


if __name__ == "__main__":
    main()
