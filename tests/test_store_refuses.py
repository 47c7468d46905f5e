"""The store refuses a database that is not Moderator's and leaves it exactly as it was."""

import hashlib
import sqlite3

import pytest

from moderator.errors import StoreError
from moderator.store import Store


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_someone_elses_database_is_refused_and_left_byte_for_byte(tmp_path):
    payroll = tmp_path / "payroll.db"
    conn = sqlite3.connect(payroll)
    conn.execute("CREATE TABLE salaries (name TEXT, amount INTEGER)")
    conn.execute("INSERT INTO salaries VALUES ('ann', 5000)")
    conn.commit()
    conn.close()
    before = digest(payroll)
    with pytest.raises(StoreError, match=r"payroll.db: a database that is not Moderator's "
                                         r"\(tables: salaries\)"):
        Store(payroll)
    assert digest(payroll) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["payroll.db"]  # no -wal, no -shm


def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"my notes, not a database\n" * 100)
    before = digest(notes)
    with pytest.raises(StoreError, match="not a SQLite database"):
        Store(notes)
    assert digest(notes) == before


def test_ours_and_empty_files_are_used(tmp_path):
    Store(tmp_path / "m.db").close()
    Store(tmp_path / "m.db").close()  # reopening our own
    (tmp_path / "empty.db").touch()
    Store(tmp_path / "empty.db").close()
    sqlite3.connect(tmp_path / "blank.db").close()  # SQLite without tables
    Store(tmp_path / "blank.db").close()


def test_a_missing_folder_is_named_as_such(tmp_path):
    with pytest.raises(StoreError, match="folder exists and is writable") as caught:
        Store(tmp_path / "no" / "such" / "m.db")
    assert "is it a SQLite file from Moderator" not in str(caught.value)
