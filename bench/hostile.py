"""Hostile comments: CPU time per comment of the personal-data scanner and the whole charter
rule on inputs built to make patterns backtrack. These were time bounds in tests (10-15 s);
the promise is well under a second per comment, so it is measured here, not asserted there.

Run from the repository root:  .venv/bin/python bench/hostile.py
Each time is CPU seconds (time.process_time: other load on the machine does not count),
and a ratio against one bare regex pass (``\\S+``) over the same text, measured in the
same run, since absolute speed on a shared machine is noisy.
"""

from __future__ import annotations

import platform
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderator.models import Author, Brand, Comment  # noqa: E402
from rules.charter import CharterRule  # noqa: E402
from rules.charter.pii import PiiOptions, find_pii  # noqa: E402

BRAND = Brand(name="Acme Bank", domains=("acmebank.com",), handles=("AcmeBank",),
              staff=("Jane Smith",))
HOSTILE = {
    "card-like digits, @ runs, dash runs":
        ("4242 " * 50_000) + ("a@" * 100_000) + ("1-" * 100_000),
    "one letter x 1,000,000": "a" * 1_000_000,
    "full-width profanity x 200,000": "\uff46\uff55\uff43\uff4b " * 200_000,
    "combining accents x 500,000": "\u0301" * 500_000,
    "mixed scripts and emoji x 10,000": "\u03a9mega \u043c\u0438\u0440 \u4e16\u754c \U0001f642 " * 10_000,
}
BARE = re.compile(r"\S+")


def cpu(call) -> float:
    start = time.process_time()
    call()
    return time.process_time() - start


def main() -> None:
    rule = CharterRule.from_config({}, BRAND, path="rules.charter")
    options = PiiOptions(staff=BRAND.staff)
    rule.check_batch([Comment("bench", "acme", "warm", "warm up the models")])
    print(f"# Hostile comments ({platform.python_implementation()} "
          f"{platform.python_version()}, one core)\n")
    print("| input | chars | bare \\S+ pass s | personal data s (ratio) | whole charter rule s (ratio) |")
    print("|---|---:|---:|---:|---:|")
    when = datetime(2026, 11, 24, tzinfo=timezone.utc)
    for name, text in HOSTILE.items():
        bare = max(cpu(lambda: BARE.findall(text)), 1e-6)
        pii = cpu(lambda: find_pii(text, options))
        comment = Comment("bench", "acme", "h", text, author=Author(id="u1"), created_at=when)
        whole = cpu(lambda: rule.check_batch([comment]))
        print(f"| {name} | {len(text):,} | {bare:.3f} | {pii:.3f} ({pii / bare:.1f}x) | "
              f"{whole:.3f} ({whole / bare:.1f}x) |")


if __name__ == "__main__":
    main()
