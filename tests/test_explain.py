"""``moderator explain``: what each rule examined, near misses, and the policy's path (protected
authors, the brake, dry-run), with findings and decision equal to ``scan``'s."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from moderator.cli import main
from moderator.store import Store

CONFIG = """
[brand]
name = "Acme Bank"
domains = ["acmebank.com"]
handles = ["AcmeBank"]

[store]
path = "moderator.db"

[[accounts]]
name = "page"
platform = "file"
path = "comments.jsonl"
mode = "enforce"
"""


def run(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "moderator.toml"
    path.write_text(CONFIG)
    return path


def explained(cfg, *args: str, stdin: str | None = None) -> dict:
    return json.loads(run("--config", str(cfg), "explain", *args, "--json", stdin=stdin))


def observations(report: dict, family: str) -> list[dict]:
    return next(f["observations"] for f in report["families"] if f["family"] == family)


def test_a_lookalike_link_equals_scan_and_names_brand_and_technique(cfg, write_jsonl):
    text = "Verify your account at acmebank-login.com today"
    report = explained(cfg, text)
    assert report["decision"] == "hide"
    link = observations(report, "links")[0]
    assert link["fired"] and "acmebank-login[.]com" in link["subject"]
    assert "imitates acmebank.com" in link["conclusion"]
    scanned = json.loads(run("--config", str(cfg), "scan",
                             str(write_jsonl([{"id": "explain", "text": text}]))))
    assert (report["findings"], report["decision"]) == (scanned["findings"], scanned["decision"])


def test_a_near_miss_says_how_close_it_came(cfg):
    report = explained(cfg, "see acmbenk.com for rates")  # two edits from acmebank
    link = observations(report, "links")[0]
    assert not link["fired"]
    assert link["detail"]["closest_brand_domain"] == "acmebank.com"
    assert link["detail"]["edits"] == 2 and 0.5 < link["detail"]["similarity"] < 1
    assert "links.lookalike" not in {f["rule"] for f in report["findings"]}
    offensive = next(o for o in observations(report, "charter")
                     if o["subject"].startswith("offensive"))
    assert offensive["detail"]["score"] < offensive["detail"]["threshold"]


def test_casual_swearing_says_what_the_model_makes_of_the_rest(cfg):
    casual = explained(cfg, "Fuck babe I miss you already")
    assert casual["decision"] == "none" and casual["findings"]
    [swearing] = [o for o in observations(casual, "charter") if o["subject"] == "casual swearing"]
    assert swearing["fired"] and "recorded at low" in swearing["conclusion"]
    assert swearing["detail"]["score_without_casual"] < swearing["detail"]["threshold"]
    abuse = explained(cfg, "shut up you stupid fucking idiot")
    assert abuse["decision"] == "review"
    [swearing] = [o for o in observations(abuse, "charter") if o["subject"] == "casual swearing"]
    assert not swearing["fired"] and swearing["conclusion"].endswith("acted on")


def test_a_protected_author_is_not_acted_on(cfg):
    text = "Verify your account at acmebank-login.com today"
    report = explained(cfg, text, "--author", "AcmeBank", "--account", "page")
    assert report["decision"] == "none"
    assert any(step.startswith("author protected") for step in report["policy"])
    handle = observations(report, "impersonation")[0]
    assert "official account" in handle["conclusion"]


def test_a_braked_account_queues_instead_of_acting(cfg, tmp_path):
    text = "Verify your account at acmebank-login.com today"
    before = explained(cfg, text, "--account", "page")
    assert before["outcome"] == "hide carried out (enforce)"
    with Store(tmp_path / "moderator.db") as store:
        store.engage_brake("page", "more than 25 destructive actions in 60 minutes")
    after = explained(cfg, text, "--account", "page")
    assert after["decision"] == "hide"  # the policy's decision, as scan prints it
    assert after["outcome"] == "queued for a reviewer"
    assert any("brake engaged" in step for step in after["policy"])


def test_a_stored_comment_by_id_and_a_json_line_on_stdin(cfg, tmp_path):
    record = {"id": "c9", "text": "claim at acmebank-login.com", "account": "page",
              "author": {"handle": "someone"}}
    from_stdin = explained(cfg, stdin=json.dumps(record) + "\n")
    assert from_stdin["uid"] == "file:page:c9" and from_stdin["decision"] == "hide"
    (tmp_path / "comments.jsonl").write_text(json.dumps(record) + "\n")
    run("--config", str(cfg), "backfill")
    stored = explained(cfg, "--id", "c9")
    assert stored["uid"] == from_stdin["uid"]
    assert stored["findings"] == from_stdin["findings"]
    result = CliRunner().invoke(main, ["--config", str(cfg), "explain", "--id", "nope"])
    assert result.exit_code == 1 and "--id nope" in result.output


def test_hostile_text_reaches_the_terminal_defanged_and_without_controls(cfg):
    text = "hi \x1b]52;c;cHduZWQ=\x07 \u202egnp.exe https://evil.example/x"
    out = run("--config", str(cfg), "explain", text)
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "hxxps://evil[.]example/x" in out and "https://evil" not in out
    assert "\nDecision: " in out
