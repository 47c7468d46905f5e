"""Real comment texts for tests that compare a shortcut with the straightforward code: the sample
comments, and the shared corpora (YouTube spam collection, Davidson tweets) when present."""

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"


def real_texts() -> list[str]:
    texts = []
    for path in [ROOT / "moderator" / "samples" / "youtube_sample.csv",
                 *sorted((SHARED / "youtube_spam").glob("*.csv"))]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            texts += [row["CONTENT"] for row in csv.DictReader(f)]
    davidson = SHARED / "offensive_davidson" / "labeled_data.csv"
    if davidson.exists():
        with davidson.open(encoding="utf-8", newline="") as f:
            texts += [row["tweet"] for row in csv.DictReader(f)]
    return texts
