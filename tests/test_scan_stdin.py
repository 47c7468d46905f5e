import json
import os
import subprocess
import sys
from pathlib import Path

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
