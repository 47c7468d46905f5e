"""The labeled personal-data set (tests/data/pii_labeled.jsonl, built by
tests/data/build_pii_set.py) and how the detector's hits are scored against it: shared by
tests/test_pii.py and bench/charter.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rules.charter.pii import PiiHit, PiiOptions, compact, find_pii, normalize

LABELED = Path(__file__).parent / "data" / "pii_labeled.jsonl"
STAFF = ("Jane Smith",)


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LABELED.read_text(encoding="utf-8").splitlines()]


def score(items: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Per kind, [true positives, false positives, false negatives]: each hit takes the first
    label of the comment it matches, labels left over are misses."""
    per_kind: dict[str, list[int]] = {}
    for item in items:
        text = normalize(item["text"])
        labels = list(item["pii"])
        for hit in find_pii(item["text"], PiiOptions(region=item["region"], staff=STAFF)):
            match = next((label for label in labels if same(hit, label, text)), None)
            counts = per_kind.setdefault(hit.kind, [0, 0, 0])
            if match:
                labels.remove(match)
                counts[0] += 1
            else:
                counts[1] += 1
        for label in labels:
            per_kind.setdefault(label["kind"], [0, 0, 0])[2] += 1
    return per_kind


def same(hit: PiiHit, label: dict[str, Any], text: str) -> bool:
    """Whether ``hit`` (found in the normalized ``text``) is the labeled item."""
    if hit.kind != label["kind"]:
        return False
    if hit.kind == "email":
        local, domain = label["value"].split("@")
        return hit.masked == f"{local[0]}***@{domain.casefold()}"
    if hit.kind == "staff":
        return compact(hit.masked) == compact(label["value"])
    found, wanted = compact(text[hit.start:hit.end]), compact(normalize(label["value"]))
    return wanted in found or found in wanted
