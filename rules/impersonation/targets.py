"""The names that must not be imitated, built from the configured [brand], and the affix words."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Iterable

import phonenumbers

from moderator.models import Brand
from rules.impersonation.matcher import MIN_CORE_CHARS, SHORT_AFFIX, Target
from rules.impersonation.normalize import SEPARATORS, compact, strip_prefix, visual
from rules.text import fold

# First words of brand names too common to stand for the brand on their own ("Bank" of America).
GENERIC_WORDS = frozenset({"bank", "the", "first", "american", "national", "united", "general", "royal",
                           "trust", "cash", "credit", "global", "international", "city", "new", "my",
                           "best", "big", "great", "north", "south", "east", "west", "central", "union"})


def build_targets(brand: Brand, affixes: Iterable[str]) -> list[Target]:
    """Official handles, the brand name, the cores of official handles, and the staff names."""
    affix_set = {a for a in affixes if len(a) > SHORT_AFFIX}  # cores: whole words only
    targets: list[Target] = []

    def add(kind: str, label: str, plain: str, needs_affix: bool = False) -> None:
        if len(plain) >= MIN_CORE_CHARS:
            targets.append(Target(kind, label, plain, visual(plain), needs_affix))

    for handle in brand.handles:
        plain = compact(fold(strip_prefix(handle)))
        add("handle", handle, plain)
        core = _peel_known(plain, affix_set)
        if core != plain and len(core) >= 4:
            add("handle", handle, core, needs_affix=True)
    if brand.name:
        plain = compact(fold(brand.name))
        add("brand", brand.name, plain)
        first = compact(SEPARATORS.split(fold(brand.name))[0])
        # "Acme" of "Acme Bank" stands for the brand only together with an affix ("acme_help").
        if first != plain and len(first) >= 4 and first not in GENERIC_WORDS:
            add("brand", brand.name, first, needs_affix=True)
    for person in brand.staff:
        words = [w for w in SEPARATORS.split(fold(person)) if w]
        if not words:
            continue
        add("staff", person, "".join(words))
        if len(words) > 1:
            add("staff", person, "".join(reversed(words)))
    return targets


def _peel_known(plain: str, affixes: set[str]) -> str:
    """Strip known affixes off both ends until none is left (for official handles' cores)."""
    changed = True
    while changed:
        changed = False
        for affix in sorted(affixes, key=len, reverse=True):
            if len(plain) - len(affix) < 4:
                continue
            if plain.endswith(affix):
                plain, changed = plain[:-len(affix)], True
                break
            if plain.startswith(affix):
                plain, changed = plain[len(affix):], True
                break
    return plain


@lru_cache(maxsize=1)
def bundled_affixes() -> tuple[str, ...]:
    """The bundled affix words plus every country code phonenumbers knows (``uk`` too)."""
    text = resources.files("rules").joinpath("data/impersonation_affixes.txt").read_text("utf-8")
    words = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("#")]
    countries = [code.lower() for code in phonenumbers.SUPPORTED_REGIONS] + ["uk"]
    return tuple(dict.fromkeys(words + countries))

