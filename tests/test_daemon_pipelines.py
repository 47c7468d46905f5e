"""The daemon shares one pipeline between accounts whose rules have the same options (a thousand
pages under one brand hold one copy of the rules), and builds an account with its own rule
options its own."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_platforms import FilePlatform, make_comments, write_config  # noqa: E402

from moderator import config  # noqa: E402
from moderator.daemon import Daemon  # noqa: E402
from moderator.pipeline import Pipeline  # noqa: E402

OWN_RULES = '''
[[accounts.rules.custom]]
name = "own"
words = ["only here"]
'''


def test_accounts_with_the_same_rules_share_one_pipeline(tmp_path: Path) -> None:
    platform = FilePlatform(tmp_path, latency=0)
    path = write_config(tmp_path, platform, {"a": "dry-run", "b": "dry-run", "c": "dry-run"})
    text = path.read_text(encoding="utf-8")
    path.write_text(text + OWN_RULES, encoding="utf-8")  # the last account ("c") gets its own rule
    rng = random.Random(3)
    for name in "abc":
        platform.post(name, make_comments(rng, 0, 5, prefix=f"{name}-"))
    settings = config.load(path)
    daemon = Daemon(settings, clock=lambda: 0.0)
    try:
        for name in "abc":
            assert daemon.poll(name).new == 5
        a, b, c = (daemon.state[name].pipeline for name in "abc")
        assert a is b and a is not c
        assert a.version == Pipeline.for_account(settings, settings.account("a")).version
        assert c.version == Pipeline.version_for(settings, settings.account("c")) != a.version
        assert [check.name for check in c.rules[0].checks][-1] == "own"
    finally:
        daemon.shutdown()
