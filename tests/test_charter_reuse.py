"""The charter reuses a batch's views and flood records between flood_records(batch) and
check_content(batch) only when it is handed the very same comment objects, and the findings
and records are those of a rule that computed everything afresh."""

import csv
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import rules.charter.rule as charter
from moderator.models import Author, Brand, Comment
from rules.charter import CharterRule

ROOT = Path(__file__).resolve().parents[1]
BRAND = Brand(name="Acme", domains=("acme.com",), staff=("Jane Smith",))
T0 = datetime(2026, 11, 24, tzinfo=timezone.utc)


def batch() -> list[Comment]:
    with (ROOT / "moderator" / "samples" / "youtube_sample.csv").open(encoding="utf-8-sig") as f:
        texts = [row["CONTENT"] for row in csv.DictReader(f)][:120]
    texts += ["Buy followers at http://cheap.example now", "fr33 g1ft c4rd", "s p a m"] * 3
    return [Comment("yt", "acme", f"c{i}", text, author=Author(id=f"u{i % 7}"),
                    created_at=T0 + timedelta(seconds=i)) for i, text in enumerate(texts)]


def fresh(comments):
    rule = CharterRule.from_config({}, BRAND, path="rules.charter")
    return rule.flood_records(comments), rule.check_batch(comments)


def normalizations(monkeypatch) -> list[str]:
    """The texts the charter normalizes from here on, one entry per call."""
    calls: list[str] = []
    real = charter.term_views_and_flat
    monkeypatch.setattr(charter, "term_views_and_flat", lambda text: calls.append(text) or real(text))
    return calls


def test_the_same_objects_are_normalized_once_and_judged_as_afresh(monkeypatch):
    comments = batch()
    expected_records, expected_findings = fresh(comments)
    calls = normalizations(monkeypatch)
    rule = CharterRule.from_config({}, BRAND, path="rules.charter")
    assert rule.flood_records(comments) == expected_records
    assert rule.check_batch(list(comments)) == expected_findings  # another list, same objects
    assert len(calls) == len(comments)
    assert any(expected_findings) and any(expected_records)


def test_equal_but_other_objects_or_another_batch_are_computed_again(monkeypatch):
    comments = batch()
    expected_records, expected_findings = fresh(comments)
    calls = normalizations(monkeypatch)
    rule = CharterRule.from_config({}, BRAND, path="rules.charter")
    rule.flood_records(comments)
    copies = [replace(c) for c in comments]
    assert rule.check_batch(copies) == expected_findings
    assert len(calls) == 2 * len(comments)
    # a batch that is the same but one comment: everything again, and that one judged as itself
    changed = comments[:-1] + [replace(comments[-1], text="Buy followers at http://cheap.example")]
    assert rule.check_batch(changed) == fresh(changed)[1]
    assert rule.flood_records(changed) == fresh(changed)[0]


def test_views_without_flood_records_are_not_taken_for_both():
    comments = batch()
    expected_records, expected_findings = fresh(comments)
    rule = CharterRule.from_config({}, BRAND, path="rules.charter")
    assert rule.check_batch(comments) == expected_findings  # check_content asks for both anyway
    assert rule.flood_records(comments) == expected_records
