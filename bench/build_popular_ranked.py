"""Build rules/data/popular_ranked.txt from public popularity rankings shipped in a PyPI wheel.

The ``pymispwarninglists`` wheel ships the MISP warning lists, among them Google's Chrome UX
Report (CrUX) top million origins (CC BY 4.0), Majestic's top 10,000 sites (Majestic Million,
CC BY 3.0) and the Tranco top million. Only a compact derived form is bundled: the registrable
domains

- in CrUX or Majestic (the two rankings whose licenses allow redistribution with attribution),
- confirmed by Tranco (used as a filter only, nothing of it is bundled on its own: a site one
  ranking lists but another does not is more likely bought traffic or a short-lived scam),
- that the lookalike matcher would flag as imitating a BUILT-IN brand (``adobeconnect.com``,
  ``paypal-corp.com``): sites real people visit by the million are not phishing pages, and the
  rule treats them as popular (never a lookalike by name alone; feeds and the blocklist apply).

Left out on purpose: sites under a free host or any private public suffix (``x.blogspot.com``:
anyone can publish there), under a top-level domain of the abuse list (rules/data/abuse_tlds.txt),
names with a digit (``amazon1918.com``, ``meta888f.com``, ``google-slot5.com``, ``goog1e1001.com``:
a brand name with numbers added or letters swapped for digits is the shape of the gambling and
scam sites that buy their way into rankings; popularity must not exempt it) and the
organization's own brand (unknown here; it is configured per page).

Reads the downloaded wheel named on the command line, never the network:

    pip download --no-deps pymispwarninglists==1.7.0 -d /tmp/wheels
    .venv/bin/python bench/build_popular_ranked.py /tmp/wheels/pymispwarninglists-1.7.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rules.links.brands import builtin_brands  # noqa: E402
from rules.links.domains import host_forms, parse_url, read_list, suffix_in  # noqa: E402
from rules.links.lookalikes import BrandIndex  # noqa: E402
from rules.suffixes import split  # noqa: E402

LISTS = "pymispwarninglists/data/misp-warninglists/lists/"
BUNDLED = {"google-chrome-crux-1million": "CrUX top origins (Google), CC BY 4.0",
           "majestic_million": "Majestic Million top 10,000 (Majestic-12 Ltd), CC BY 3.0"}
CONFIRM = "tranco"  # the Tranco top million: a filter only
OUT = ROOT / "rules" / "data" / "popular_ranked.txt"


def read_list_json(wheel: zipfile.ZipFile, name: str) -> tuple[list[str], dict]:
    data = json.loads(wheel.read(f"{LISTS}{name}/list.json"))
    hosts = [h.strip().lower() for h in data["list"] if h.strip()]
    return hosts, {k: v for k, v in data.items() if k != "list"}


def registrable_domains(hosts: list[str]) -> set[str]:
    """Registrable domains of ranked hosts or origins, without free hosts, private suffixes and
    abuse-prone top-level domains."""
    free = {s.rstrip("/") for s in read_list("free_hosting.txt")}
    abuse = read_list("abuse_tlds.txt")
    out = set()
    for host in hosts:
        host = host.split("://")[-1].split("/")[0].split(":")[0]
        try:
            host = host_forms(host)[0]
        except ValueError:
            continue
        _, domain, suffix = split(host)
        # a suffix that only the list's private section knows: a hosting service's customer site
        if not domain or not suffix or suffix != split(host, private=False)[2]:
            continue
        reg = f"{domain}.{suffix}"
        if any(ch.isdigit() for ch in domain):
            continue  # see the docstring: digits in a brand-like name are never exempted
        if suffix_in(reg, free) is None and suffix.rsplit(".", 1)[-1] not in abuse:
            out.add(reg)
    return out


def flagged(domains: set[str]) -> list[str]:
    """The domains the matcher calls a built-in brand's lookalike."""
    index = BrandIndex(builtin_brands(), read_list("popular.txt"))
    hits = []
    for reg in sorted(domains):
        p = parse_url(f"https://{reg}/")
        if p is not None and index.match(p, free_host=False) is not None:
            hits.append(reg)
    return hits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel", type=Path, help="the downloaded pymispwarninglists wheel")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with zipfile.ZipFile(args.wheel) as wheel:
        confirm_hosts, confirm_meta = read_list_json(wheel, CONFIRM)
        confirmed = registrable_domains(confirm_hosts)
        sources, candidates = [], set()
        for name, credit in BUNDLED.items():
            hosts, meta = read_list_json(wheel, name)
            candidates |= registrable_domains(hosts)
            sources.append(f"#   {meta['name']} (version {meta['version']}, {len(hosts):,} "
                           f"entries): {credit}")
    hits = flagged(candidates & confirmed)
    header = [
        "# Popular sites whose names look like a built-in brand's: never flagged by name alone.",
        "# Generated by bench/build_popular_ranked.py (do not edit by hand) from the MISP warning",
        f"# lists in {args.wheel.name} (BSD-3-Clause packaging):",
        *sources,
        f"#   kept only when also in {confirm_meta['name']} (version {confirm_meta['version']}),",
        "#   used as a filter; see popular_ranked.md next to this file.",
        f"# {len(hits):,} of {len(candidates):,} registrable domains: those the lookalike matcher "
        "calls",
        "# a built-in brand's lookalike; free hosts, private suffixes, abuse TLDs and names with",
        "# a digit left out.",
    ]
    args.out.write_text("\n".join(header + hits) + "\n", encoding="utf-8")
    print(f"{len(candidates):,} ranked registrable domains, {len(candidates & confirmed):,} "
          f"confirmed -> {len(hits):,} written to {args.out}")


if __name__ == "__main__":
    main()
