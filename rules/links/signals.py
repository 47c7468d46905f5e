"""Weak signals of a malicious link, scored together: each alone is common on honest links,
several at once are not (raw IP, odd port, ``@`` in the authority, many subdomains, abuse-heavy
TLD, free hosting, bad IDNA, mixed scripts, executable download, credential wording)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rules.links.domains import ParsedURL

# A direct download of a program: Windows executables and scripts, shell scripts, installers,
# Android packages, and the CPU-named builds IoT botnets fetch (".arm7", "/mpsl", "/x86").
PROGRAM = re.compile(r"\.(?:exe|scr|msi|msix|appx|bat|cmd|com|pif|vbs|vbe|wsf|jar|apk|dmg|pkg|hta|"
                     r"ps1|sh|lnk|dll|ocx|sys|cpl|chm|xll|elf|arm\d?|armv\dl|mips(?:el)?|mpsl|m68k|"
                     r"ppc|powerpc|sh4|spc|sparc|arc|x86(?:_64)?|x64|i[3-6]86)$|"
                     r"/(?:arm\d?|armv\dl|mips(?:el)?|mpsl|m68k|x86(?:_64)?|i[3-6]86)$",
                     re.IGNORECASE)
# IoT botnet loaders also name their payloads after the system programs they pose as ("/sshd",
# "/wget", "/bash" at a site's root). On a popular or brand-owned site that path is a page
# (github.com/curl is curl's organization), so there it does not count.
POSING_PROGRAM = re.compile(r"^/(?:sh|bash|wget|curl|tftp|ftp|pftp|cron|sshd|ntpd|apache2|"
                            r"openssh|busybox|telnetd|dropbear)$", re.IGNORECASE)
# Downloads that carry programs as often as not: archives, disk images, macro documents,
# scripts, raw binaries.
ARCHIVE = re.compile(r"\.(?:js|zip|rar|7z|tar|gz|tgz|xz|lzh|cab|iso|img|xlsm|docm|bin)$",
                     re.IGNORECASE)
# Where anyone's repository serves its files: raw files, release assets, source archives. A
# comment that links straight to a download there is the "free premium / cheat / crack" lure;
# the repository page itself (github.com/owner/repo) is not a download and does not count.
REPO_FILES = re.compile(
    r"^(?:raw\.githubusercontent\.com|gist\.githubusercontent\.com|objects\.githubusercontent\.com|"
    r"codeload\.github\.com)/|^github\.com/[^/]+/[^/]+/(?:releases/download|raw|archive)/|"
    r"^gitlab\.com/.+/-/(?:raw|archive)/|^bitbucket\.org/[^/]+/[^/]+/(?:downloads|raw)/|"
    r"^cdn\.jsdelivr\.net/gh/", re.IGNORECASE)
# Source archives of a branch or tag carry no file name ("codeload.github.com/o/r/zip/refs/...").
_CODELOAD_ARCHIVE = re.compile(
    r"^codeload\.github\.com/[^/]+/[^/]+/(?:zip|tar\.gz|legacy\.(?:zip|tar\.gz))/")
CREDENTIALS = re.compile(
    r"verify (?:your|the) (?:account|identity|wallet|details)|confirm (?:your|the) "
    r"(?:account|identity|details|payment|wallet)|(?:log|sign) ?in (?:to|now to|here to) "
    r"(?:avoid|prevent|restore|keep|unlock|claim|secure|verify|confirm)|suspen(?:ded|sion)|"
    r"(?:account|wallet) (?:is |has been |will be )?(?:locked|limited|disabled|blocked|restricted|"
    r"compromised)|unlock your|update your (?:payment|billing|account|details|information|card)|"
    r"reactivate|restore (?:your )?access|unusual (?:activity|sign.?in|login)|security alert|"
    r"claim your (?:reward|prize|refund|airdrop|gift)|recovery phrase|seed phrase|secret phrase|"
    r"validate your|connect your wallet|wallet (?:sync|validation|rectification)|"
    r"enter your (?:password|pin|card)|(?:dm|message|contact) (?:our )?(?:support|help ?desk)")
# Every phrase above holds one of these: the long pattern runs only on text that has one.
_CREDENTIAL_WORDS = ("verify", "confirm", "log", "sign", "suspen", "account", "wallet", "unlock",
                     "update", "reactivate", "restore", "unusual", "security alert", "claim your",
                     "phrase", "validate", "enter your", "support", "help")


def asks_for_credentials(text: str) -> bool:
    """Credential wording ("verify your account", "wallet is locked") in ``text``."""
    low = text.lower()
    return any(word in low for word in _CREDENTIAL_WORDS) and CREDENTIALS.search(low) is not None



@dataclass(frozen=True, slots=True)
class Signals:
    score: int
    reasons: tuple[str, ...]


def score_signals(p: ParsedURL, abuse_tlds: frozenset[str], *, hides: bool, credential: bool,
                  protected: bool) -> Signals:
    """``hides``: on a free host, form builder or shortener; ``credential``: the comment asks
    for credentials; ``protected``: a popular or brand-owned domain."""
    score, reasons = 0, []

    def add(points: int, reason: str) -> None:
        nonlocal score
        score += points
        reasons.append(reason)

    if p.is_ip:
        add(2, "raw IP address host")
    if p.port not in (None, 80, 443):
        add(1, f"non-standard port {p.port}")
    if p.userinfo:
        add(3, "'@' in the authority hides the real host")
    if p.subdomain.count(".") >= 3:
        add(1, "excessive subdomains")
    if p.suffix.rsplit(".", 1)[-1] in abuse_tlds and not protected:
        add(1, f"abuse-heavy TLD .{p.suffix}")
    if hides:
        add(1, "free hosting, form builder or URL shortener")
    if p.bad_idna:
        add(2, "malformed internationalized domain name")
    elif not p.unicode_host.isascii() and not protected:
        mixed = _mixed_scripts(p.unicode_host)
        if mixed:
            add(3, f"mixed scripts in one label ({mixed})")
        else:
            add(1, "internationalized domain name")
    path = p.path.split("?", 1)[0]
    for points, reason in _download(p.host, path, protected):
        add(points, reason)
    if p.is_ip and len(path) > 1:
        add(1, "a file served from a bare IP address")
    if credential and not protected:
        add(2, "credential wording next to the link")
    return Signals(score, tuple(reasons))


def _download(host: str, path: str, protected: bool) -> list[tuple[int, str]]:
    """Points for a direct file download, and for where the file sits."""
    path = path.rstrip("/") or "/"  # "MH_Base_V2.dll/" is still a file
    where = host + path
    if PROGRAM.search(path) or (not protected and POSING_PROGRAM.match(path)):
        found = [(3, "program download")]
    elif ARCHIVE.search(path) or _CODELOAD_ARCHIVE.match(where):
        found = [(2, "archive, script or binary download")]
    else:
        return []
    if REPO_FILES.match(where):
        found.append((1, "a file in someone's code repository (raw file or release asset)"))
    return found


CREDENTIAL_PATH = re.compile(r"log.?in|sign.?in|verif|account|secure|wallet|auth|password|"
                              r"support|update|confirm|billing|unlock|recover", re.IGNORECASE)


_LOOKALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})


def _mixed_scripts(host: str) -> str | None:
    """"Latin + Cyrillic" when one label mixes letters of several scripts (``pаypal``)."""
    for label in host.split("."):
        if label.isascii():
            continue
        scripts = {unicodedata.name(c, "?").split(" ", 1)[0] for c in label if c.isalpha()}
        # Only scripts whose letters pass for each other; Japanese mixes kana and kanji freely.
        scripts &= _LOOKALIKE_SCRIPTS
        if len(scripts) > 1:
            return " + ".join(sorted(s.title() for s in scripts))
    return None

