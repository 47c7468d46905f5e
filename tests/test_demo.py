"""The demo: a rerun never silently deletes an earlier demo's verdicts; a tidy report."""

import re

from click.testing import CliRunner

from moderator.cli import main
from moderator.store import Store


def test_demo_report_and_rerun(tmp_path):
    runner, folder = CliRunner(), tmp_path / "demo"
    first = runner.invoke(main, ["demo", str(folder)])
    assert first.exit_code == 0, first.output
    assert "WARNING" not in first.output  # no raw log line mid-report
    assert "holds one malformed line on purpose" in first.output
    assert re.search(r"rule\s+severity\s+findings\s+comments", first.output)
    audit = first.output.split("Audit log")[1]
    assert re.search(r"\n20\d\d-\d\d-\d\d \d\d:\d\d:\d\d ", audit)  # the date is shown
    assert "rules " in audit  # no empty detail: the rules' version when there is no detail
    cfg = str(folder / "demo.toml")
    item = runner.invoke(main, ["--config", cfg, "review", "list"]).output.splitlines()[2].split()[0]
    assert runner.invoke(main, ["--config", cfg, "review", "reject", item, "--as", "ann"]
                         ).exit_code == 0

    again = runner.invoke(main, ["demo", str(folder)])  # not a terminal: nobody to ask
    assert again.exit_code == 1
    assert "holds an earlier demo" in again.output and "--force" in again.output
    with Store(folder / "demo.db") as store:
        assert store.queue_item(int(item))["status"] == "rejected"  # the verdict survived

    forced = runner.invoke(main, ["demo", str(folder), "--force"])
    assert forced.exit_code == 0, forced.output
    with Store(folder / "demo.db") as store:
        assert store.queue_item(int(item))["status"] == "pending"  # started over
