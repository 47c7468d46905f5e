import json
from datetime import datetime, timezone

import pytest

from connectors.file import FileConnector
from connectors.file_records import BadRecord, clean_html, read_records
from moderator import config
from moderator.errors import ConfigError, InputError


def test_jsonl_contract_shape_with_defaults(write_jsonl):
    path = write_jsonl([
        {"platform": "youtube", "account": "acme", "id": "c1", "text": "hi",
         "created_at": "2026-11-24T10:00:00Z",
         "author": {"id": "u1", "handle": "acme_support1", "name": "Acme Support",
                    "created_at": None},
         "thread_id": "t1", "parent_id": None, "permalink": None,
         "links": ["https://x.example/a"]},
        {"id": 2, "text": "only the required keys"},
    ])
    first, second = list(read_records(path))
    assert first.platform == "youtube" and first.account == "acme" and first.id == "c1"
    assert first.author.handle == "acme_support1" and first.author.name == "Acme Support"
    assert first.created_at == datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    assert first.links[0].url == "https://x.example/a"
    assert second.id == "2" and second.platform == "file" and second.author.handle is None


def test_bad_lines_are_reported_and_skipped_not_fatal(write_jsonl):
    path = write_jsonl([
        {"id": "a", "text": "fine"},
        "{not json",
        {"text": "no id"},
        {"id": "b", "text": 42},
        {"id": "c", "text": "bad date", "created_at": "yesterday"},
        {"id": "d", "text": "fine again"},
    ])
    items = list(read_records(path))
    good = [i.id for i in items if not isinstance(i, BadRecord)]
    bad = [str(i) for i in items if isinstance(i, BadRecord)]
    assert good == ["a", "d"]
    assert len(bad) == 4
    assert bad[0].startswith(f"{path}:2: malformed JSON")
    assert bad[1] == f"{path}:3: missing 'id'"


def test_a_non_utf8_line_is_skipped_with_its_number_and_the_rest_is_read(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "1", "text": "first"}\n'
                     + '{"id": "2", "text": "caf\xe9"}\n'.encode("latin-1")
                     + b'{"id": "3", "text": "caf\xc3\xa9 ok"}\n')
    items = list(read_records(path))
    assert [i.id for i in items if not isinstance(i, BadRecord)] == ["1", "3"]
    assert items[2].text == "caf\u00e9 ok"
    (bad,) = [str(i) for i in items if isinstance(i, BadRecord)]
    assert bad.startswith(f"{path}:2: not UTF-8 (invalid continuation byte at byte 25 of")


def test_json_nested_too_deeply_is_one_skipped_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "1", "text": "before"}\n'
                    + '{"id": "2", "text": "x", "extra": ' + "[" * 2000 + "]" * 2000 + "}\n"
                    + '{"id": "3", "text": "after"}\n')
    items = list(read_records(path))
    assert [i.id for i in items if not isinstance(i, BadRecord)] == ["1", "3"]
    assert [str(i) for i in items if isinstance(i, BadRecord)] == [
        f"{path}:2: JSON nested too deeply"]


def test_csv_unterminated_quote_is_reported_and_the_lines_after_it_are_read(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text('id,text\n1,"fine, quoted\nacross lines"\n3,"never closed\n4,after\n5,fine\n')
    items = list(read_records(path))
    assert [(i.id, i.text) for i in items if not isinstance(i, BadRecord)] == [
        ("1", "fine, quoted\nacross lines"), ("4", "after"), ("5", "fine")]
    assert [str(i) for i in items if isinstance(i, BadRecord)] == [
        f"{path}:4: unterminated quote: the field opened here never closes"]
    # A stray quote that a later line's quote "closes": the row is reported, the rest read.
    path.write_text('id,text\n1,"stray\n2,after\n3,"quoted" badly\n4,fine\n')
    items = list(read_records(path))
    assert [i.id for i in items if not isinstance(i, BadRecord)] == ["2", "4"]
    assert [str(i) for i in items if isinstance(i, BadRecord)][0].startswith(
        f"{path}:2: malformed CSV")


def test_csv_rows_with_too_few_or_too_many_cells_are_reported(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,text,author_name\n1,hello,bob\n2\n3,a,b,c\n4,fine,\n")
    items = list(read_records(path))
    assert [i.id for i in items if not isinstance(i, BadRecord)] == ["1", "4"]
    assert [str(i) for i in items if isinstance(i, BadRecord)] == [
        f"{path}:3: 1 cells, the header has 3 columns",
        f"{path}:4: 4 cells, the header has 3 columns"]


def test_csv_unknown_column_in_the_mapping_is_an_error(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("COMMENT_ID,CONTENT\n1,hi\n")
    with pytest.raises(InputError, match=r"export.csv:1: no column 'AUTHR' for 'author_name'"):
        list(read_records(path, columns={"id": "COMMENT_ID", "text": "CONTENT",
                                         "author_name": "AUTHR"}))
    with pytest.raises(InputError, match=r"unknown field 'txt'"):
        list(read_records(path, columns={"id": "COMMENT_ID", "txt": "CONTENT"}))


def test_csv_non_utf8_row_is_skipped_with_its_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,text\n1,ok\n2,caf\xe9\n3,fine\n")
    items = list(read_records(path))
    assert [i.id for i in items if not isinstance(i, BadRecord)] == ["1", "3"]
    (bad,) = [str(i) for i in items if isinstance(i, BadRecord)]
    assert bad.startswith(f"{path}:3: not UTF-8")


def test_youtube_csv_as_exported(shared_data):
    path = shared_data / "youtube_spam" / "Youtube03-LMFAO.csv"
    items = list(read_records(path, columns={"id": "COMMENT_ID", "text": "CONTENT",
                                             "author_name": "AUTHOR", "created_at": "DATE"},
                              html_text=True))
    assert not [i for i in items if isinstance(i, BadRecord)]
    assert len(items) == 438
    texts = " ".join(i.text for i in items)
    assert "\ufeff" not in texts and "&#39;" not in texts and "<br" not in texts
    linked = [i for i in items if i.links]
    assert linked and all(link.url.startswith("http") for i in linked for link in i.links)


def test_csv_missing_required_column_names_it(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("COMMENT_ID,AUTHOR\n1,bob\n")
    with pytest.raises(InputError, match=r"no column 'text' for 'text'.*set columns.text"):
        list(read_records(path, columns={"id": "COMMENT_ID"}))


def test_clean_html_keeps_visible_text_and_links():
    text, links = clean_html('Win &amp; <b>go</b><br />now: <a href="http://evil.example/x">'
                             'https://acmebank.com</a>\ufeff')
    assert text == "Win & go\nnow: https://acmebank.com"
    assert links[0].url == "http://evil.example/x" and links[0].display == "https://acmebank.com"


def _connector(tmp_path, path, **extra):
    settings = config.parse({"accounts": [{"name": "exp", "platform": "file", "path": str(path),
                                           **extra}]}, base_dir=tmp_path)
    return FileConnector.open(settings.account("exp"), {})


def test_fetch_moves_a_cursor_and_resumes_after_it(tmp_path, write_jsonl):
    path = write_jsonl([{"id": str(i), "text": f"comment {i}"} for i in range(1200)])
    connector = _connector(tmp_path, path)
    batches = list(connector.fetch(None))
    assert [len(b.comments) for b in batches] == [500, 500, 200]
    assert batches[-1].cursor == "1200"
    with path.open("a") as f:
        f.write(json.dumps({"id": "new", "text": "appended later"}) + "\n")
    later = list(connector.fetch(batches[-1].cursor))
    assert [c.id for b in later for c in b.comments] == ["new"]
    assert all(c.account == "exp" for b in batches for c in b.comments)


def test_fetch_filters_by_date_range(tmp_path, write_jsonl):
    path = write_jsonl([{"id": "old", "text": "x", "created_at": "2026-01-01T00:00:00Z"},
                        {"id": "in", "text": "x", "created_at": "2026-06-01T00:00:00Z"},
                        {"id": "new", "text": "x", "created_at": "2026-12-01T00:00:00Z"}])
    connector = _connector(tmp_path, path)
    got = [c.id for b in connector.fetch(None, since=datetime(2026, 3, 1, tzinfo=timezone.utc),
                                         until=datetime(2026, 9, 1, tzinfo=timezone.utc))
           for c in b.comments]
    assert got == ["in"]


def test_actions_file_is_the_sources_way_to_act(tmp_path, write_jsonl):
    path = write_jsonl([{"id": "1", "text": "x"}])
    connector = _connector(tmp_path, path, actions_file="out.jsonl")
    assert connector.capabilities.hide and connector.capabilities.delete
    comment = next(iter(connector.fetch(None))).comments[0]
    connector.hide(comment)
    connector.delete(comment)
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [(r["action"], r["id"]) for r in lines] == [("hide", "1"), ("delete", "1")]
    assert not _connector(tmp_path, path).capabilities.hide


def test_actions_file_state_follows_every_writer_and_survives_a_torn_line(tmp_path, write_jsonl):
    path = write_jsonl([{"id": "1", "text": "x"}, {"id": "2", "text": "y"}])
    daemon = _connector(tmp_path, path, actions_file="out.jsonl")
    reviewer = _connector(tmp_path, path, actions_file="out.jsonl")  # another process's view
    first, second = next(iter(daemon.fetch(None))).comments
    daemon.hide(first)
    assert reviewer.moderation_state(first).hidden  # read from the file, not from memory
    reviewer.hide(first)  # already hidden: written as a repeat, changes nothing
    reviewer.unhide(first)
    assert not daemon.moderation_state(first).hidden
    out = tmp_path / "out.jsonl"
    with out.open("a", encoding="utf-8") as f:
        f.write('{"action": "delete", "account": "exp", "id": "2"')  # killed mid-write
    daemon.hide(second)  # after the torn line: counted, and the torn line never is
    assert daemon.moderation_state(second).hidden and not daemon.moderation_state(second).deleted
    assert reviewer.moderation_state(second).hidden
    lines = out.read_text().splitlines()
    assert [json.loads(line).get("repeat", False) for line in lines[:3]] == [False, True, False]
    assert json.loads(lines[-1])["action"] == "hide"
    out.write_text("")  # a file cut short is read again from its start
    assert not daemon.moderation_state(second).hidden


def test_file_options_are_validated():
    with pytest.raises(ConfigError) as caught:
        config.parse({"accounts": [{"name": "a", "platform": "file", "format": "xml",
                                    "columns": {"body": "TEXT"}}]})
    problems = caught.value.problems
    assert "accounts[0].path: required setting is missing" in problems
    assert any(p.startswith("accounts[0].format: unknown format 'xml'") for p in problems)
    assert any(p.startswith("accounts[0].columns.body: unknown field") for p in problems)


def test_backfill_skips_hostile_lines_and_reaches_every_account(tmp_path):
    from click.testing import CliRunner

    from moderator.cli import main

    (tmp_path / "hostile.jsonl").write_bytes(
        b'{"id": "1", "text": "good one"}\n'
        + b'{"id": "2", "text": "deep", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}\n"
        + b'{"id": "3", "text": "caf\xe9"}\n'
        + b'{"id": "4", "text": "good two"}\n')
    (tmp_path / "other.jsonl").write_text('{"id": "o1", "text": "hello"}\n')
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[accounts]]\nname = "hostile"\nplatform = "file"\npath = "hostile.jsonl"\n'
                   '[[accounts]]\nname = "other"\nplatform = "file"\npath = "other.jsonl"\n')
    result = CliRunner().invoke(main, ["--config", str(cfg), "backfill"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:]}
    assert rows["hostile"][2:4] == ["2", "2"] and rows["hostile"][9] == "2"  # fetched, new, bad
    assert rows["other"][2:4] == ["1", "1"]
    assert f"hostile.jsonl:2: JSON nested too deeply" in result.stderr
    assert f"hostile.jsonl:3: not UTF-8" in result.stderr
