"""The lines of a binary input, and where a stream pauses.

``scan`` reads its input in batches of 500 lines. From a file that is only a matter of
throughput, but from a pipe fed slowly (``export-comments | moderator scan -``, a live feed) a
batch would wait for its 500th line, or for the end of the input, before anything is judged.
So when the input is a pipe, a terminal or a socket and nothing more can be read right now,
``PAUSED`` comes between the lines: the reader judges what it has and prints it, then waits.
A regular file never pauses (reading it never waits), so its batches are as before.
"""

from __future__ import annotations

import io
import os
import select
import stat
from typing import Any, Iterator

PAUSED = object()  # nothing more to read right now; more may come
_CHUNK = 1 << 16


def lines_and_pauses(handle: Any) -> Iterator[Any]:
    """The lines of ``handle`` (bytes, each with its newline but the last), with ``PAUSED``
    wherever a stream has nothing more to give for now."""
    fd = _stream_fd(handle)
    if fd is None:
        yield from handle
        return
    pending: list[bytes] = []  # the start of a line not ended yet, chunk by chunk
    while True:
        if not _readable(fd):
            yield PAUSED
            select.select([fd], [], [])  # wait for more, or the end
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            break
        *complete, rest = chunk.split(b"\n")
        if complete:  # a long line is joined once, not copied again with every chunk
            yield b"".join([*pending, complete[0], b"\n"])
            for line in complete[1:]:
                yield line + b"\n"
            pending = []
        if rest:
            pending.append(rest)
    if pending:
        yield b"".join(pending)


def _stream_fd(handle: Any) -> int | None:
    """The descriptor to read a stream from directly (nothing may have read from the handle
    before), or None: a regular file, or a handle with no descriptor (tests hand in bytes)."""
    try:
        fd = handle.fileno()
        return None if stat.S_ISREG(os.fstat(fd).st_mode) else fd
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])
