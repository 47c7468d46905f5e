"""Hosts split by the Public Suffix List into (subdomain, domain, suffix), offline.

The list is ``rules/data/public_suffix_list.dat``: publicsuffix.org's list as tldextract 5.4.0
ships it (its VERSION line says which; MPL-2.0). The split is tldextract's, step for step: walk
the host's labels from the right through a trie of the list's rules as far as they match, a
wildcard rule taking one label more and an exception one less; a host the list does not know at
all has no suffix. ``tests/test_suffixes.py`` checks it against tldextract itself, on the same
file, for every rule of the list and the bundled domain lists.

Why not tldextract at run time: importing it (requests, filelock) and building its trie were
about a quarter of a second of every ``scan``'s start-up, for a lookup this small. The list is
read here on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import ascii_letters, digits

LIST = Path(__file__).with_name("data") / "public_suffix_list.dat"
_PRIVATE_SECTION = "// ===BEGIN PRIVATE DOMAINS==="
_RULE = re.compile(r"^(?P<suffix>[.*!]*\w[\S]*)", re.UNICODE | re.MULTILINE)
_END = "."  # a trie node's key for "a rule ends here" (labels never hold a dot)
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_SCHEME_CHARS = frozenset(ascii_letters + digits + "+-.")
_IPV4 = re.compile(r"(?:(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}"
                   r"(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])", re.ASCII)


def split(host: str, *, private: bool = True) -> tuple[str, str, str]:
    """(subdomain, domain, suffix) of ``host`` (a URL-like string is cut to its host, as
    tldextract does). ``private``: the list's private section counts too, so that
    ``evil.blogspot.com`` is a site of its own. An IP address or an unknown suffix: no suffix."""
    netloc = _lenient_host(host)
    if len(netloc) >= 4 and netloc[0] == "[" and netloc[-1] == "]" and _is_ipv6(netloc[1:-1]):
        return "", netloc, ""
    labels = netloc.translate(_DOTS).split(".")
    index = _suffix_index(labels, _trie(private))
    if index == len(labels):
        if len(labels) == 4 and labels[0][:1].isdecimal() and _IPV4.fullmatch(netloc):
            return "", netloc, ""
        return ".".join(labels[:-1]), labels[-1], ""
    return (".".join(labels[:index - 1]) if index >= 2 else "",
            labels[index - 1] if index > 0 else "", ".".join(labels[index:]))


def _suffix_index(labels: list[str], node: dict) -> int:
    """Where the public suffix starts in ``labels`` (``len(labels)``: nowhere)."""
    suffix_at = at = len(labels)
    for label in reversed(labels):
        label = _decoded(label)
        child = node.get(label)
        if child is not None:
            at -= 1
            node = child
            if _END in node:
                suffix_at = at
            continue
        if "*" in node:  # a wildcard takes this label too, unless an exception names it
            return at if "!" + label in node else at - 1
        break
    return suffix_at


def _is_ipv6(text: str) -> bool:
    from ipaddress import AddressValueError, IPv6Address  # rare: bracketed hosts only
    try:
        IPv6Address(text)
    except AddressValueError:
        return False
    return True


def _decoded(label: str) -> str:
    label = label.lower()
    if label.startswith("xn--"):  # the list holds internationalized rules in Unicode
        import idna  # only for punycode labels: most hosts have none
        try:
            return idna.decode(label)
        except (UnicodeError, IndexError):
            pass
    return label


@lru_cache(maxsize=2)
def _trie(private: bool) -> dict:
    """The list's rules as nested dicts, labels from the right; ``_END`` marks a rule's end."""
    icann, _, private_rules = LIST.read_text(encoding="utf-8").partition(_PRIVATE_SECTION)
    root: dict = {}
    for section in (icann, private_rules) if private else (icann,):
        for match in _RULE.finditer(section):
            node = root
            for label in reversed(match.group("suffix").split(".")):
                node = node.setdefault(label, {})
            node[_END] = True
    return root


def _lenient_host(text: str) -> str:
    """tldextract's ``lenient_netloc``: the host of a URL-like string, case kept."""
    slashes = text.find("//")
    if slashes == 0:
        text = text[2:]
    elif slashes >= 2 and text[slashes - 1] == ":" and \
            not set(text[:slashes - 1]) - _SCHEME_CHARS:
        text = text[slashes + 2:]
    authority = text.partition("/")[0].partition("?")[0].partition("#")[0]
    host = authority.rpartition("@")[-1]
    if host[:1] == "[":
        inside, bracket, _ = host.partition("]")
        if bracket:
            return inside + "]"
    return host.partition(":")[0].strip().rstrip(".\u3002\uff0e\uff61")
