"""Kill -9 soak of the daemon against the fake platform servers: lost comments and repeated
platform requests over many kills (issue #12's target: 0 and 0 over at least 50 kills).

Run from the repository root:  .venv/bin/python bench/crash_soak.py [--kills 13] [platform ...]
Each platform gets ``--kills`` kills of the daemon (more until three landed mid-work), timed
from its readiness and its first commit, while comments keep arriving; then one run to
completion. The checks are tests/test_crash_safety.py's (every comment recorded once, every
planned action done once, the platform saw exactly those); this adds the counts.
Platforms whose API cannot show an item's state (X, YouTube, Bluesky) are left out by
default: there a repeat of a no-op call after a kill is allowed (see the test).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=13, help="kills per platform")
    parser.add_argument("platforms", nargs="*", default=["file", "reddit", "facebook",
                                                         "instagram"])
    args = parser.parse_args()
    os.environ["CRASH_KILLS"] = str(args.kills)  # read by the test module at import
    from daemon_platforms import PLATFORMS
    from test_crash_safety import SEED, check_kill_9

    print(f"# Kill -9 soak (seed {SEED}, {args.kills} kills per platform)\n")
    print("| platform | kills | mid-work | comments | recorded | lost | actions expected "
          "| actions seen | repeated requests | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals = {"kills": 0, "lost": 0, "repeated": 0}
    for name in args.platforms:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"soak-{name}-") as tmp:
            platform = PLATFORMS[name](Path(tmp))
            try:
                r = check_kill_9(Path(tmp), platform)
            finally:
                platform.close()
        lost = r["comments"] - r["recorded"]
        totals["kills"] += r["kills"]
        totals["lost"] += lost
        totals["repeated"] += r["repeated_calls"]
        print(f"| {name} | {r['kills']} | {r['mid_work']} | {r['comments']} | {r['recorded']} "
              f"| {lost} | {r['expected_actions']} | {r['actions']} | {r['repeated_calls']} "
              f"| {time.monotonic() - started:.0f} |", flush=True)
    print(f"\nTotal: {totals['kills']} kills, {totals['lost']} comments lost, "
          f"{totals['repeated']} repeated requests.")


if __name__ == "__main__":
    main()
