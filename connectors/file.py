"""The file source: JSON Lines in the contract's shape, or CSV exports with a column mapping.

It reads exports from any platform (a YouTube or forum export is fine) and, when
``actions_file`` is set, "carries out" hide/delete by appending them to that JSON Lines file,
for an operator or another tool to apply. A malformed line is logged with its file and line
number and skipped; it never stops the rest of the file.
"""

from __future__ import annotations

import csv
import fcntl
import html
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping

from connectors.base import Batch, Capabilities
from moderator.errors import ConnectorError, InputError, UnsupportedAction
from moderator.models import Author, Comment, Link
from moderator.options import OptionReader

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
COLUMN_KEYS = ("id", "text", "platform", "account", "author_id", "author_handle", "author_name",
               "author_created_at", "created_at", "thread_id", "parent_id", "permalink")
_TAG_A = re.compile(r"""<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)["']?[^>]*>(.*?)</a\s*>""",
                    re.IGNORECASE | re.DOTALL)
_TAG_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG_ANY = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")


class BadRecord(Exception):
    """One line or row that cannot become a Comment; carries where it was."""

    def __init__(self, where: str, problem: str, *, incomplete: bool = False):
        super().__init__(f"{where}: {problem}")
        self.where = where
        # A malformed last line without its newline is most likely still being written.
        self.incomplete = incomplete


@dataclass(frozen=True, slots=True)
class FileOptions:
    path: Path
    format: str = "auto"  # auto | jsonl | csv
    columns: Mapping[str, str] | None = None  # our field -> CSV column
    html: bool = False  # unescape entities, <br /> to newlines, <a href> to links
    actions_file: Path | None = None
    latency: float = 0.0  # seconds each action takes, split around the write: a platform's
    #                       response time, for end-to-end tests and benchmarks


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` allowed) or Unix seconds; naive times are taken as UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"expected a date, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def clean_html(text: str) -> tuple[str, tuple[Link, ...]]:
    """Exports like YouTube's carry HTML: keep the visible text, keep the links as Links."""
    links: list[Link] = []

    def keep_link(m: re.Match[str]) -> str:
        visible = _TAG_ANY.sub("", m.group(2))
        links.append(Link(url=html.unescape(m.group(1)), display=html.unescape(visible)))
        return visible

    text = _TAG_A.sub(keep_link, text)
    text = _TAG_BR.sub("\n", text)
    text = _TAG_ANY.sub("", text)
    return html.unescape(text).replace("\ufeff", "").strip(), tuple(links)


def comment_from_record(record: Mapping[str, Any], *, platform: str, account: str,
                        html_text: bool = False) -> Comment:
    """A contract-shaped dict -> Comment. Only ``id`` and ``text`` are required."""
    if not isinstance(record, Mapping):
        raise ValueError("expected a JSON object")
    cid, text = record.get("id"), record.get("text")
    if cid in (None, ""):
        raise ValueError("missing 'id'")
    if not isinstance(text, str):
        raise ValueError("missing 'text'" if text is None else "'text' must be a string")
    author = record.get("author") or {}
    if not isinstance(author, Mapping):
        raise ValueError("'author' must be an object")
    links = tuple(Link(url=u) if isinstance(u, str) else Link(url=str(u["url"]),
                  display=u.get("display")) for u in (record.get("links") or ()))
    if html_text:
        text, found = clean_html(text)
        links += found
    return Comment(
        platform=str(record.get("platform") or platform),
        account=str(record.get("account") or account),
        id=str(cid),
        text=text,
        author=Author(
            id=_opt_str(author.get("id")),
            handle=_opt_str(author.get("handle")),
            name=_opt_str(author.get("name")),
            created_at=parse_datetime(author.get("created_at")),
        ),
        created_at=parse_datetime(record.get("created_at")),
        thread_id=_opt_str(record.get("thread_id")),
        parent_id=_opt_str(record.get("parent_id")),
        permalink=_opt_str(record.get("permalink")),
        links=links,
        raw=record,
    )


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def read_records(path: Path, *, platform: str = "file", account: str = "default",
                 fmt: str = "auto", columns: Mapping[str, str] | None = None,
                 html_text: bool = False) -> Iterator[Comment | BadRecord]:
    """Every comment of a file in order; bad lines come out as BadRecord, not exceptions.

    Raises InputError only when the file as a whole cannot be read.
    """
    fmt = _detect_format(path, fmt)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as e:
        raise InputError(f"{path}: cannot open: {e.strerror}") from None
    with handle:
        try:
            if fmt == "csv":
                yield from _read_csv(handle, path, platform, account, columns, html_text)
            else:
                yield from _read_jsonl(handle, path, platform, account, html_text)
        except UnicodeDecodeError as e:
            raise InputError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); "
                             "re-export it as UTF-8") from None


def _detect_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "jsonl"


def _read_jsonl(handle: Any, path: Path, platform: str, account: str,
                html_text: bool) -> Iterator[Comment | BadRecord]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            yield comment_from_record(record, platform=platform, account=account,
                                      html_text=html_text)
        except json.JSONDecodeError as e:
            yield BadRecord(where, f"malformed JSON ({e.msg} at column {e.colno})",
                            incomplete=not line.endswith("\n"))
        except (ValueError, TypeError, KeyError) as e:
            yield BadRecord(where, str(e))


def _read_csv(handle: Any, path: Path, platform: str, account: str,
              columns: Mapping[str, str] | None, html_text: bool) -> Iterator[Comment | BadRecord]:
    sample = handle.read(4096)
    handle.seek(0)
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" or (
        "\t" in sample.split("\n", 1)[0] and "," not in sample.split("\n", 1)[0]) else csv.excel
    reader = csv.DictReader(handle, dialect=dialect)
    header = reader.fieldnames or []
    mapping = dict(columns or {})
    for key in COLUMN_KEYS:
        mapping.setdefault(key, key)
    for required in ("id", "text"):
        if mapping[required] not in header:
            raise InputError(f"{path}: no column {mapping[required]!r} for {required!r} "
                             f"(columns: {', '.join(header) or 'none'}); set columns.{required}")
    for number, row in enumerate(reader, 2):
        where = f"{path}:{number}"
        if None in row:  # more cells than header columns
            yield BadRecord(where, "more cells than the header has columns")
            continue

        def cell(key: str) -> str | None:
            value = row.get(mapping[key])
            return value if value not in (None, "") else None

        record = {
            "id": cell("id"), "text": cell("text") or "",
            "platform": cell("platform"), "account": cell("account"),
            "author": {"id": cell("author_id"), "handle": cell("author_handle"),
                       "name": cell("author_name"), "created_at": cell("author_created_at")},
            "created_at": cell("created_at"), "thread_id": cell("thread_id"),
            "parent_id": cell("parent_id"), "permalink": cell("permalink"),
        }
        try:
            yield comment_from_record(record, platform=platform, account=account,
                                      html_text=html_text)
        except (ValueError, TypeError) as e:
            yield BadRecord(where, str(e))


class FileConnector:
    platform: ClassVar[str] = "file"

    def __init__(self, account: str, options: FileOptions):
        self.account = account
        self.options = options
        can_act = options.actions_file is not None
        self.capabilities = Capabilities(hide=can_act, delete=can_act)

    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> FileOptions:
        r = OptionReader(table, path)
        file = r.str("path")
        if file == "":
            r.problem("path", "must name a file")
        fmt = r.str("format", "auto")
        if fmt not in ("auto", "jsonl", "csv"):
            r.problem("format", f"unknown format {fmt!r}; expected 'auto', 'jsonl' or 'csv'")
        columns = r.table_of("columns")
        for key, value in columns.items():
            if key not in COLUMN_KEYS:
                r.problem(f"columns.{key}", f"unknown field; expected one of {', '.join(COLUMN_KEYS)}")
            elif not isinstance(value, str):
                r.problem(f"columns.{key}", "expected a column name")
        html_text = r.bool("html", False)
        actions_file = r.str("actions_file", None)
        latency = r.number("latency", 0.0, minimum=0)
        r.finish()
        return FileOptions(path=Path(file or ""), format=fmt, columns=columns or None,
                           html=html_text,
                           actions_file=Path(actions_file) if actions_file else None,
                           latency=float(latency))

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str]) -> "FileConnector":
        options: FileOptions = account.options
        base = account.base_dir
        resolved = FileOptions(
            path=options.path if options.path.is_absolute() else base / options.path,
            format=options.format, columns=options.columns, html=options.html,
            actions_file=(options.actions_file if options.actions_file is None
                          or options.actions_file.is_absolute() else base / options.actions_file),
            latency=options.latency,
        )
        return cls(account.name, resolved)

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        """Records after the ``cursor``-th one; the cursor counts records read (good or bad)."""
        try:
            yield from self._fetch(int(cursor or 0), since, until)
        except InputError as e:  # to the worker, an unreadable file is a failing platform
            raise ConnectorError(f"file {self.account}: {e}") from None

    def _fetch(self, done: int, since: datetime | None,
               until: datetime | None) -> Iterator[Batch]:
        batch: list[Comment] = []
        skipped = 0
        position = 0
        for position, item in enumerate(read_records(
                self.options.path, platform=self.platform, account=self.account,
                fmt=self.options.format, columns=self.options.columns,
                html_text=self.options.html), 1):
            if position <= done:
                continue
            if isinstance(item, BadRecord) and item.incomplete:
                position -= 1  # being appended right now: read it whole at the next poll
                break
            if isinstance(item, BadRecord):
                logger.warning("file %s: skipped %s", self.account, item)
                skipped += 1
            elif _in_range(item.created_at, since, until):
                # Keep the account we were configured with: the file may name another.
                batch.append(item if item.account == self.account else _with_account(item, self.account))
            if len(batch) >= BATCH_SIZE:
                yield Batch(tuple(batch), str(position), skipped)
                batch, skipped = [], 0
        if batch or skipped or position > done:
            yield Batch(tuple(batch), str(max(position, done)), skipped)

    def _append_action(self, action: str, comment: Comment) -> None:
        """Append the action unless it is already in effect, as a platform would: hiding a
        hidden comment or deleting a deleted one changes nothing. This is what makes a
        replay after a crash (action carried out, not yet logged) harmless."""
        if self.options.actions_file is None:
            raise InputError(f"file {self.account}: no actions_file configured; cannot {action}")
        if self.options.latency:
            time.sleep(self.options.latency / 2)
        try:
            self._apply(action, comment)
        finally:
            if self.options.latency:  # the platform acted; the answer is still on its way
                time.sleep(self.options.latency / 2)

    def _apply(self, action: str, comment: Comment) -> None:
        assert self.options.actions_file is not None
        with self.options.actions_file.open("a+", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # the daemon and a reviewer's CLI may both act
            out.seek(0)
            state = _state_of(out, self.account, comment.id)
            if _in_effect(action, state):
                logger.debug("file %s: %s %s already in effect", self.account, action, comment.id)
                return
            out.seek(0, 2)
            out.write(json.dumps({"action": action, "platform": comment.platform,
                                  "account": self.account, "id": comment.id}) + "\n")
            out.flush()

    def hide(self, comment: Comment) -> None:
        self._append_action("hide", comment)

    def unhide(self, comment: Comment) -> None:
        self._append_action("unhide", comment)

    def delete(self, comment: Comment) -> None:
        self._append_action("delete", comment)

    def ban(self, comment: Comment) -> None:
        raise UnsupportedAction(f"file {self.account}: a file source cannot ban authors")


def _state_of(lines: Any, account: str, comment_id: str) -> set[str]:
    """The comment's state on the "platform" from the actions file: hidden, deleted, banned."""
    state: set[str] = set()
    needle = json.dumps(comment_id)  # as written by _append_action
    for line in lines:
        if needle not in line:  # cheap filter before parsing
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn line from a crash mid-write
        if record.get("id") != comment_id or record.get("account") != account:
            continue
        action = record.get("action")
        if action == "hide":
            state.add("hidden")
        elif action == "unhide":
            state.discard("hidden")
        elif action == "delete":
            state.add("deleted")
        elif action == "ban":
            state.add("banned")
    return state


def _in_effect(action: str, state: set[str]) -> bool:
    return {"hide": "hidden" in state or "deleted" in state,
            "unhide": "hidden" not in state or "deleted" in state,
            "delete": "deleted" in state,
            "ban": "banned" in state}[action]


def _in_range(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:  # undated items are never filtered out
        return True
    return (since is None or when >= since) and (until is None or when < until)


def _with_account(comment: Comment, account: str) -> Comment:
    from dataclasses import replace

    return replace(comment, account=account)

