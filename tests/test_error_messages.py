"""Error lines say where once, and name the field that is wrong."""

import logging

import pytest

from connectors.file_records import BadRecord, read_records
from connectors.retry import RetryPolicy, call_with_retry
from moderator.errors import TransientError


def test_a_retried_call_names_its_place_once(caplog):
    what = "reddit nw-reddit: comments in r/X"
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise TransientError(f"{what}: ConnectionError")
        return "ok"

    with caplog.at_level(logging.WARNING):
        assert call_with_retry(flaky, what=what, policy=RetryPolicy(attempts=2, base_delay=0),
                               sleep=lambda s: None) == "ok"
    [line] = [r.getMessage() for r in caplog.records]
    assert line.count("nw-reddit") == 1 and line.startswith(f"{what}: ConnectionError")


def test_a_failing_file_account_names_itself_once(tmp_path, caplog):
    from moderator import config
    from moderator.store import Store
    from moderator.worker import open_connector, run_account

    (tmp_path / "badbytes.csv").write_text("nothing,here\n1,2\n")  # no id/text columns
    settings = config.parse({"accounts": [{"name": "badbytes", "platform": "file",
                                           "path": "badbytes.csv"}]}, base_dir=tmp_path)
    account = settings.account("badbytes")
    with caplog.at_level(logging.ERROR), Store(tmp_path / "m.db") as store:
        summary = run_account(settings, account, open_connector(account, config.Secrets()),
                              store)
    assert summary.error is not None
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert line.startswith("file badbytes: ") and line.count("file badbytes") == 1, line


def test_a_bad_date_names_its_field(write_jsonl):
    path = write_jsonl([{"id": "1", "text": "a", "created_at": "yesterday"},
                        {"id": "2", "text": "b", "author": {"created_at": "soon"}}])
    bad = [str(i) for i in read_records(path) if isinstance(i, BadRecord)]
    assert bad == [f"{path}:1: created_at: not a date ('yesterday'); expected ISO 8601 or "
                   "Unix seconds",
                   f"{path}:2: author.created_at: not a date ('soon'); expected ISO 8601 or "
                   "Unix seconds"]
