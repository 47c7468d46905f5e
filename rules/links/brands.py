"""The protected brands: the organization's own (``[brand]``), the built-in list
(``rules/data/brands.toml``) and an optional brands file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from moderator.models import Brand
from rules.links.domains import DATA, host_forms, registrable
from rules.text import skeleton


@dataclass(frozen=True, slots=True)
class BrandEntry:
    name: str
    domains: tuple[str, ...]  # registrable, ASCII
    # Owns <label>.<country code>: True; "all": even the codes sold as generic names;
    # "country" (a list's default): the code itself or co./ne./or., not com. (paypal.com.lc).
    cctld: bool | str = False
    keywords: tuple[str, ...] = ()  # matched inside labels
    tokens: tuple[str, ...] = ()  # matched as whole label parts only
    own: bool = False  # the organization's own brand: every domain label is a name


@lru_cache(maxsize=1)
def builtin_brands() -> tuple[BrandEntry, ...]:
    data = tomllib.loads((DATA / "brands.toml").read_text(encoding="utf-8"))
    return tuple(_brand_entry(b) for b in data.get("brand", []))


def load_brands_file(path: str | Path) -> tuple[BrandEntry, ...]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(_brand_entry(b) for b in data.get("brand", []))


def _brand_entry(b: Mapping[str, Any]) -> BrandEntry:
    domains = tuple(dict.fromkeys(registrable(d.lower().strip()) for d in b.get("domains", ())))
    # A brand is taken to own its name under the country codes unless it says otherwise.
    cctld = b.get("cctld", "country")
    return BrandEntry(name=b["name"], domains=domains,
                      cctld=cctld if cctld in ("all", "country") else bool(cctld),
                      keywords=tuple(k.lower() for k in b.get("keywords", ())),
                      tokens=tuple(t.lower() for t in b.get("tokens", ())))


def brand_from_config(brand: Brand) -> BrandEntry | None:
    """The organization's own brand (``[brand]``): its domains and their labels."""
    domains = tuple(dict.fromkeys(registrable(host_forms(d.strip().lower())[0])
                                  for d in brand.domains if d.strip()))
    if not domains:
        return None
    # The organization's name is a name attackers use too ("Acme Bank" -> acmebank-help.top).
    squashed = re.sub(r"[^a-z0-9]", "", skeleton(brand.name).lower())
    keywords = (squashed,) if len(squashed) >= 6 else ()
    return BrandEntry(name=brand.name or domains[0], domains=domains, own=True, keywords=keywords)

