"""Making hostile text safe to show a person: links defanged, lines bounded.

Used wherever a person could click (terminal emulators linkify URLs, mail clients too):
``https://evil.com/login`` -> ``hxxps://evil[.]com/login``. HTML escaping is separate (see
``html.escape``) and is done by each HTML output on top of this.
"""

from __future__ import annotations

import re
from typing import Any

# Scheme URLs, www. hosts, and bare domain-looking tokens (word.word...tld). Linear-time.
_URLISH = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}://[^\s<>\"']{1,2000}"
    r"|www\.[^\s<>\"']{1,2000}"
    r"|(?:[a-z0-9](?:[a-z0-9-]{0,62})\.){1,10}[a-z]{2,24}\b(?:/[^\s<>\"']{0,2000})?)")
_SCHEME = re.compile(r"(?i)^(ht|f)tp(s?)://")


def defang_url(url: str) -> str:
    url = _SCHEME.sub(lambda m: ("hxxp" if m.group(1).lower() == "ht" else "fxp")
                      + m.group(2) + "://", url)
    head, sep, rest = url.partition("://")
    if not sep:
        head, rest = "", url
    host, slash, path = rest.partition("/")
    host = host.replace(".", "[.]")
    return f"{head}{sep}{host}{slash}{path}"


def defang_text(text: str) -> str:
    """Every link-like token in free text defanged; everything else unchanged."""
    return _URLISH.sub(lambda m: defang_url(m.group(0)), text)


def defang_value(value: Any) -> str:
    """Evidence values for display: strings defanged, other values shown compactly."""
    if isinstance(value, str):
        return defang_text(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(defang_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={defang_value(v)}" for k, v in value.items())
    return str(value)


def one_line(text: str, width: int) -> str:
    """Collapse whitespace and cut to ``width`` characters for tables."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
