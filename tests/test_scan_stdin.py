import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.line_stream import PAUSED, lines_and_pauses

REPO = Path(__file__).resolve().parents[1]


def test_scan_dash_reads_standard_input_in_a_pipeline(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "scam"\nseverity = "high"\nwords = ["free money"]\n')
    lines = (json.dumps({"id": "c1", "text": "FREE MONEY now"}) + "\n{broken\n"
             + json.dumps({"id": "c2", "text": "hello"}) + "\n")
    out = subprocess.run([sys.executable, "-m", "moderator", "--config", str(cfg), "scan", "-"],
                         input=lines, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    verdicts = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(v["id"], v["decision"]) for v in verdicts] == [("c1", "hide"), ("c2", "none")]
    assert "skipped <stdin>:2: malformed JSON" in out.stderr


def verdict_within(process, seconds=300):
    """The next verdict line, or None if none came (a bound for a hung scan, not a wait)."""
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    return json.loads(process.stdout.readline()) if ready else None


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_slow_pipe_gets_each_verdict_before_the_next_line_comes(tmp_path, jobs):
    """A live feed (``tail -f`` | scan): each line is judged and printed while the input waits,
    not when 500 lines or the end have come."""
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "scam"\nseverity = "high"\nwords = ["free money"]\n')
    scan = subprocess.Popen([sys.executable, "-m", "moderator", "--config", str(cfg), "scan",
                             "--jobs", jobs, "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        for cid, text, decision in (("c1", "FREE MONEY now", "hide"), ("c2", "hello", "none"),
                                    ("c3", "free money!", "hide")):
            scan.stdin.write(json.dumps({"id": cid, "text": text}).encode() + b"\n")
            scan.stdin.flush()
            verdict = verdict_within(scan)
            assert verdict is not None, f"no verdict for {cid} while the input waited"
            assert (verdict["id"], verdict["decision"]) == (cid, decision)
        scan.stdin.close()
        assert scan.wait(timeout=300) == 0 and scan.stdout.read() == b""
    finally:
        scan.kill()


def test_stream_lines_pause_where_the_writer_does():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader:
        lines = lines_and_pauses(reader)
        os.write(write_end, b'{"id": 1}\n{"id"')
        assert next(lines) == b'{"id": 1}\n'
        assert next(lines) is PAUSED  # the second line is not whole yet
        os.write(write_end, b': 2}\n')
        assert next(lines) == b'{"id": 2}\n'
        os.close(write_end)
        assert list(lines) == []
