"""Reading comment files: JSON Lines in the contract's shape, or CSV exports with a column
mapping. A bad line or row comes out as a BadRecord naming its file and line; only a file that
cannot be read at all raises.
"""

from __future__ import annotations

import codecs
import csv
import html
import itertools
import json
import re
import sys
from collections import deque
from contextlib import contextmanager
from datetime import datetime, timezone
from collections.abc import Mapping  # (typing's Mapping: the same test, several times slower)
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

from connectors.line_stream import PAUSED, lines_and_pauses
from moderator.errors import InputError
from moderator.models import Author, Comment, Link

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
    links = record.get("links")
    links = tuple(Link(url=u) if isinstance(u, str) else Link(url=str(u["url"]),
                  display=u.get("display")) for u in links) if links else ()
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
            created_at=_date_field(author.get("created_at"), "author.created_at"),
        ),
        created_at=_date_field(record.get("created_at"), "created_at"),
        thread_id=_opt_str(record.get("thread_id")),
        parent_id=_opt_str(record.get("parent_id")),
        permalink=_opt_str(record.get("permalink")),
        links=links,
        raw=record,
    )


def _date_field(value: Any, field: str) -> datetime | None:
    if value is None:  # the common case, answered before the try
        return None
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError, OSError) as e:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
        raise ValueError(f"{field}: not a date ({shown}); expected ISO 8601 or Unix seconds"
                         if "isoformat" in str(e) else f"{field}: {e}") from None


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def read_records(path: Path, *, platform: str = "file", account: str = "default",
                 fmt: str = "auto", columns: Mapping[str, str] | None = None,
                 html_text: bool = False) -> Iterator[Comment | BadRecord]:
    """Every comment of a file in order; bad lines come out as BadRecord, not exceptions.

    Raises InputError only when the file as a whole cannot be read.
    """
    fmt = _detect_format(path, fmt)
    where = Path("<stdin>") if str(path) == "-" else path
    with _binary(path) as handle:
        yield from _records(handle, where, fmt, platform, account, columns, html_text)


@contextmanager
def _binary(path: Path) -> Iterator[Any]:
    """The file's bytes; ``-`` is standard input, for shell pipelines (left open)."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = path.open("rb")
    except OSError as e:
        raise InputError(f"{path}: cannot open: {e.strerror}") from None
    with handle:
        yield handle


def record_format(path: Path, fmt: str = "auto") -> str:
    """"jsonl" or "csv": ``fmt`` itself, or for "auto" what the file's extension says."""
    return _detect_format(path, fmt)


def jsonl_line_batches(path: Path, size: int, pause: Any = None) -> Iterator[Any]:
    """A JSON Lines file (``-``: standard input) as (number of the first line, up to ``size``
    raw lines), for ``read_jsonl_lines`` in another process (``scan --jobs``): handing over
    raw lines costs the reader almost nothing, so the parsing spreads over the workers too.
    Where a stream pauses, the lines so far come as a batch, then ``pause`` if one is given
    (connectors.line_stream)."""
    with _binary(path) as handle:
        yield from _line_batches(handle, size, pause)


def _line_batches(handle: Any, size: int, pause: Any) -> Iterator[Any]:
    """Batches of ``size`` non-blank lines (blank ones ride along: the reader skips them), so a
    batch holds as many records as ``read_records`` would put in it."""
    first, lines, filled = 1, [], 0
    for raw in lines_and_pauses(handle):
        if raw is PAUSED:
            if lines:
                yield first, lines
                first, lines, filled = first + len(lines), [], 0
            if pause is not None:
                yield pause
            continue
        lines.append(raw)
        filled += bool(raw.strip())
        if filled >= size:
            yield first, lines
            first, lines, filled = first + len(lines), [], 0
    if lines:
        yield first, lines


def read_jsonl_lines(first: int, raw_lines: Sequence[bytes], path: Path, *, platform: str = "file",
                     account: str = "default", html_text: bool = False
                     ) -> Iterator[Comment | BadRecord]:
    """The records of consecutive raw lines of a JSON Lines file, exactly as ``read_records``
    gives them (line numbers in errors from ``first``)."""
    return _read_jsonl(_decoded_lines(raw_lines, first), path, platform, account, html_text)


def _records(handle: Any, path: Path, fmt: str, platform: str, account: str,
             columns: Mapping[str, str] | None, html_text: bool) -> Iterator[Comment | BadRecord]:
    lines = _decoded_lines(handle)
    if fmt == "csv":
        yield from _read_csv(lines, path, platform, account, columns, html_text)
    else:
        yield from _read_jsonl(lines, path, platform, account, html_text)


class _Line(NamedTuple):  # (a tuple: made for every line, and quicker to make than a dataclass)
    number: int
    text: str  # undecodable bytes replaced, so that a CSV row can still be delimited
    not_utf8: str | None = None  # why the line is not UTF-8, when it is not


def _decoded_lines(handle: Any, first: int = 1) -> Iterator[_Line]:
    """Decode line by line: one foreign byte spoils its line, not the whole file. ``handle``
    yields raw lines; the first is line number ``first``."""
    for number, raw in enumerate(handle, first):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield _Line(number, raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            yield _Line(number, raw.decode("utf-8", errors="replace"),
                        f"not UTF-8 ({e.reason} at byte {e.start + 1} of the line); "
                        "re-export the file as UTF-8")


def _detect_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "jsonl"


def _read_jsonl(lines: Iterator[_Line], path: Path, platform: str, account: str,
                html_text: bool) -> Iterator[Comment | BadRecord]:
    for line in lines:
        if not line.text.strip():
            continue
        if line.not_utf8:
            yield BadRecord(f"{path}:{line.number}", line.not_utf8,
                            incomplete=not line.text.endswith("\n"))
            continue
        try:
            record = json.loads(line.text)
            yield comment_from_record(record, platform=platform, account=account,
                                      html_text=html_text)
        except json.JSONDecodeError as e:
            yield BadRecord(f"{path}:{line.number}", f"malformed JSON ({e.msg} at column {e.colno})",
                            incomplete=not line.text.endswith("\n"))
        except RecursionError:  # the C parser's guard against a stack overflow
            yield BadRecord(f"{path}:{line.number}", "JSON nested too deeply")
        except (ValueError, TypeError, KeyError) as e:
            yield BadRecord(f"{path}:{line.number}", str(e))


def _read_csv(lines: Iterator[_Line], path: Path, platform: str, account: str,
              columns: Mapping[str, str] | None, html_text: bool) -> Iterator[Comment | BadRecord]:
    rows = _csv_rows(lines, tab=path.suffix.lower() == ".tsv")
    first = next(rows, None)
    if first is None:
        return
    _, header, problem = first
    if problem:
        raise InputError(f"{path}:1: unreadable header: {problem}")
    mapping = _column_mapping(path, header, columns)
    for number, cells, problem in rows:
        where = f"{path}:{number}"
        if problem:
            yield BadRecord(where, problem)
            continue
        if len(cells) != len(header):
            yield BadRecord(where, f"{len(cells)} cells, the header has {len(header)} columns")
            continue
        row = dict(zip(header, cells))

        def cell(key: str) -> str | None:
            if key not in mapping:
                return None
            return row[mapping[key]] or None

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


def _column_mapping(path: Path, header: list[str],
                    columns: Mapping[str, str] | None) -> dict[str, str]:
    """Our field -> the header's column. A column named explicitly must exist; the
    default (a column named like the field) is used only where the header has one."""
    given = dict(columns or {})
    for key, column in given.items():
        if key not in COLUMN_KEYS:
            raise InputError(f"{path}: unknown field {key!r} in the column mapping; "
                             f"expected one of {', '.join(COLUMN_KEYS)}")
        if column not in header:
            raise InputError(f"{path}:1: no column {column!r} for {key!r} "
                             f"(columns: {', '.join(header) or 'none'}); set columns.{key}")
    mapping = {key: key for key in COLUMN_KEYS if key in header}
    mapping.update(given)
    for required in ("id", "text"):
        if required not in mapping:
            raise InputError(f"{path}:1: no column {required!r} for {required!r} "
                             f"(columns: {', '.join(header) or 'none'}); set columns.{required}")
    return mapping


def _csv_rows(lines: Iterator[_Line], *, tab: bool
              ) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line number, cells, what is wrong with the row or None) per row. A broken row (an unterminated quote swallows everything after it)
    is reported, and reading resumes at the line after the one where it started."""
    pending: deque[_Line] = deque()
    dialect: type[csv.Dialect] | None = csv.excel_tab if tab else None
    while True:
        row_lines: list[_Line] = []

        def feed() -> Iterator[str]:
            while True:
                line = pending.popleft() if pending else next(lines, None)
                if line is None:
                    return
                row_lines.append(line)
                yield line.text

        source = feed()
        if dialect is None:  # tab-separated when the header has tabs and no commas
            first = next(source, None)
            if first is None:
                return
            dialect = csv.excel_tab if "\t" in first and "," not in first else csv.excel
            source = itertools.chain([first], source)
        reader = csv.reader(source, dialect=dialect, strict=True)
        try:
            for cells in reader:
                start = row_lines[0].number
                not_utf8 = next((ln.not_utf8 for ln in row_lines if ln.not_utf8), None)
                row_lines.clear()
                if cells:  # else a blank line
                    yield start, cells, not_utf8
            return
        except csv.Error as e:
            start, rest = row_lines[0], row_lines[1:]
            problem = ("unterminated quote: the field opened here never closes"
                       if "end of data" in str(e) else f"malformed CSV ({e})")
            yield start.number, [], problem
            pending.extendleft(reversed(rest))
