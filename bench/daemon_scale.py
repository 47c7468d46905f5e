"""Benchmark: how many accounts one machine's daemon carries (issue #15, a planning number).

N Facebook Pages on one fake Graph API server on 127.0.0.1 (tests/fakes/graph.py, the real
facebook-sdk client over HTTP), every rule family on (config.example.toml's rules), enforce
mode. Each page gets K new real YouTube comments per cycle. One polling cycle is
`moderator run --once` (every account polled once, as the daemon's jobs would at their
interval), run as a subprocess: its wall time, CPU time and peak RSS (os.wait4). The first
cycle also reads the pages for the first time; the second is the steady state.

    python bench/daemon_scale.py                 # 1,000 accounts, 5 new comments each
    python bench/daemon_scale.py 100 5           # N accounts, K comments each per cycle
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.graph import FakeGraph, graph_time  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "youtube_spam"
TOKEN = "scale-page-token"


def comments() -> list[tuple[str, str]]:
    rows = []
    for path in sorted(DATA.glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            rows += [(r["CONTENT"], r["AUTHOR"]) for r in csv.DictReader(f)]
    return rows


def config(accounts: int, base_url: str) -> str:
    """config.example.toml's brand and rules, its accounts replaced by the pages (and its feed
    downloads left out: nothing here may reach beyond 127.0.0.1)."""
    example = (REPO / "config.example.toml").read_text(encoding="utf-8")
    head = example[:example.index("\n[[accounts]]\n") + 1]
    head = head[:head.index("[[rules.links.feeds]]")] + head[head.index("[rules.impersonation]"):]
    pages = "".join(f'[[accounts]]\nname = "page{i}"\nplatform = "facebook"\nmode = "enforce"\n'
                    f'api_base = "{base_url}"\nsecrets = {{ access_token = "SCALE_FB_TOKEN" }}\n'
                    f'page_id = "{1000 + i}"\n' for i in range(accounts))
    return head.replace('path = "moderator.db"', 'path = "scale.db"') + pages


def cycle(work: Path) -> dict:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "moderator", "--config", "m.toml", "run",
                              "--once"], cwd=work, stdout=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(REPO), "SCALE_FB_TOKEN": TOKEN})
    _, status, usage = os.wait4(child.pid, 0)
    return {"wall": time.perf_counter() - started, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "code": os.waitstatus_to_exitcode(status)}


def main() -> None:
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    per_cycle = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    pool = comments()
    fake = FakeGraph(token=TOKEN).start()
    clock = datetime.now(timezone.utc) - timedelta(hours=1)
    posts = []
    for i in range(accounts):
        fake.add_page(str(1000 + i))
        posts.append(fake.add_post(str(1000 + i), graph_time(clock), "Rates update"))
    served = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "m.toml").write_text(config(accounts, fake.base_url), encoding="utf-8")
        print(f"{accounts} accounts, {per_cycle} new comments each per cycle")
        for n in (1, 2):
            for post in posts:
                for _ in range(per_cycle):
                    clock += timedelta(seconds=1)
                    text, author = pool[served % len(pool)]
                    served += 1
                    fake.add_fb_comment(post, text, graph_time(clock),
                                        author=(str(5550000 + served), author))
            server_cpu = time.process_time()
            result = cycle(work)
            server_cpu = time.process_time() - server_cpu
            comments_per_cycle = accounts * per_cycle
            print(f"cycle {n}: {result['wall']:.1f} s wall, {result['cpu']:.1f} s CPU "
                  f"(fake server {server_cpu:.1f} s), peak {result['rss']:.0f} MiB, exit "
                  f"{result['code']}; {comments_per_cycle / result['wall']:,.0f} comments/s, "
                  f"{result['wall'] / accounts * 1000:.1f} ms and "
                  f"{result['cpu'] / accounts * 1000:.1f} ms CPU per account; at 5-minute polls "
                  f"one machine carries about {300 / (result['wall'] / accounts):,.0f} accounts "
                  f"(wall) / {2 * 300 / (result['cpu'] / accounts):,.0f} (2 cores' CPU)", flush=True)
    fake.stop()


if __name__ == "__main__":
    main()
