"""The file source: JSON Lines in the contract's shape, or CSV exports with a column mapping.

It reads exports from any platform (a YouTube or forum export is fine) and, when
``actions_file`` is set, "carries out" hide/delete by appending them to that JSON Lines file,
for an operator or another tool to apply. A malformed line is logged with its file and line
number and skipped; it never stops the rest of the file.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping

from connectors.base import Batch, Capabilities, ItemState
from connectors.file_actions import ActionsFile
from connectors.file_records import (COLUMN_KEYS, BadRecord, clean_html, comment_from_record,
                                     parse_datetime, read_records)
from moderator.errors import ConnectorError, InputError, UnsupportedAction
from moderator.models import Comment
from moderator.options import OptionReader

__all__ = ["BadRecord", "FileConnector", "FileOptions", "clean_html", "comment_from_record",
           "parse_datetime", "read_records"]

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class FileOptions:
    path: Path
    format: str = "auto"  # auto | jsonl | csv
    columns: Mapping[str, str] | None = None  # our field -> CSV column
    html: bool = False  # unescape entities, <br /> to newlines, <a href> to links
    actions_file: Path | None = None
    latency: float = 0.0  # seconds each action takes, split around the write: a platform's
    #                       response time, for end-to-end tests and benchmarks


class FileConnector:
    platform: ClassVar[str] = "file"

    def __init__(self, account: str, options: FileOptions):
        self.account = account
        self.options = options
        can_act = options.actions_file is not None
        self.capabilities = Capabilities(hide=can_act, delete=can_act)
        self._actions = ActionsFile(options.actions_file) if can_act else None

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
        """Send the action to the "platform": the actions file is its request log. Like a real
        platform, hiding a hidden comment or deleting a deleted one changes nothing; such a
        request is still written, marked ``"repeat": true``, so that repeats can be counted
        (a tool applying the file skips those lines)."""
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
        assert self._actions is not None
        if self._actions.apply(action, self.account, comment.platform, comment.id):
            logger.debug("file %s: %s %s already in effect", self.account, action, comment.id)

    def moderation_state(self, comment: Comment) -> ItemState:
        """Hidden or deleted as the actions file says; a file without one acts on nothing."""
        if self._actions is None:
            return ItemState(hidden=False, deleted=False)
        try:
            state = self._actions.state(self.account, comment.id)
        except OSError as e:
            raise ConnectorError(f"file {self.account}: cannot read {self._actions.path}: "
                                 f"{e.strerror}") from None
        return ItemState(hidden="hidden" in state, deleted="deleted" in state)

    def hide(self, comment: Comment) -> None:
        self._append_action("hide", comment)

    def unhide(self, comment: Comment) -> None:
        self._append_action("unhide", comment)

    def delete(self, comment: Comment) -> None:
        self._append_action("delete", comment)

    def ban(self, comment: Comment) -> None:
        raise UnsupportedAction(f"file {self.account}: a file source cannot ban authors")


def _in_range(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:  # undated items are never filtered out
        return True
    return (since is None or when >= since) and (until is None or when < until)


def _with_account(comment: Comment, account: str) -> Comment:
    return replace(comment, account=account)

