"""Text bound for a person's terminal, made harmless: comment text is hostile.

A comment can carry escape sequences that a terminal obeys (OSC 0 sets the window title,
OSC 8 makes a hidden hyperlink, OSC 52 writes the clipboard, CSI moves the cursor or clears
the screen), C1 controls that some terminals read as the same, and bidi controls that reorder
what the reader sees. Sequences are removed whole, then every remaining control character;
newlines and tabs are kept where they are meant. The HTML outputs escape instead (render.py).
"""

from __future__ import annotations

import io
import re
from typing import Any, TextIO

from rules.text import strip_invisible

# ESC ] ... (BEL | ESC \ | C1 ST): OSC; ESC [ ... final byte: CSI; ESC P/X/^/_ ... ST: strings;
# ESC + one byte: the short ones. Bounded, linear.
_SEQUENCE = re.compile(
    r"\x1b\][^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)?"
    r"|\x9d[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]{0,64}[ -/]{0,16}[@-~]?"
    r"|\x1b[PX^_][^\x1b\x9c]{0,4096}(?:\x1b\\|\x9c)?"
    r"|\x1b[ -~]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """``text`` without escape sequences, control characters (but ``\\n`` and ``\\t``) and
    bidi / invisible characters."""
    return strip_invisible(_CONTROL.sub("", _SEQUENCE.sub("", text)))


class SafeStream(io.TextIOBase):
    """A text stream that cleans what is written through it and passes it on: installed on
    a terminal's stdout and stderr, so that no output path can forget it. A progress line's
    carriage return is kept (it only moves to the line's start)."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write("\r".join(terminal_text(part) for part in text.split("\r")))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def protect_terminal(stream: TextIO) -> TextIO:
    """``stream`` wrapped in a SafeStream when a person is reading it (a terminal)."""
    if isinstance(stream, SafeStream) or not _is_terminal(stream):
        return stream
    return SafeStream(stream)  # type: ignore[return-value]


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
