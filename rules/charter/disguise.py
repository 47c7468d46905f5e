"""File names disguised with bidirectional control characters.

A right-to-left override (U+202E) makes what follows it display backwards: the file
``invoice<RLO>fdp.exe`` is shown as ``invoiceexe.pdf``, a program posing as a document (the
classic malware lure). Comment text has no business carrying bidi overrides or isolates inside a
word; next to a file extension they are a disguise. Terminal and HTML output strip these
characters anyway (hostile text); this flags the comment that carries them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Embeddings, overrides and isolates: LRE RLE PDF LRO RLO, LRI RLI FSI PDI.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_REVERSING = "\u202e\u2067"  # RLO and RLI reverse what follows in left-to-right text
# A word holding a bidi control and, after it, a dot and a short extension.
_DISGUISED = re.compile(rf"[^\s{BIDI_CONTROLS}]{{0,100}}[{BIDI_CONTROLS}][^\s]{{0,100}}?\.[A-Za-z0-9]{{2,5}}"
                        rf"[{BIDI_CONTROLS}]?(?![A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class DisguisedName:
    real: str  # the name with its controls written as <U+202E>
    shown: str  # what a reader sees


def has_bidi_control(text: str) -> bool:
    # ASCII text (most comments) cannot hold one: one check instead of nine scans.
    return not text.isascii() and any(c in text for c in BIDI_CONTROLS)


def disguised_names(text: str) -> list[DisguisedName]:
    """Each word of ``text`` where a bidi control sits before a file extension."""
    if not has_bidi_control(text):  # nearly every comment: one scan of the text
        return []
    return [DisguisedName(_visible(m.group(0)), _shown(m.group(0)))
            for m in _DISGUISED.finditer(text[:20_000])][:10]


def _visible(word: str) -> str:
    return "".join(f"<U+{ord(c):04X}>" if c in BIDI_CONTROLS else c for c in word)


def _shown(word: str) -> str:
    """Roughly how left-to-right text displays it: after a reversing control, the rest up to
    its terminator (PDF, PDI) reads backwards."""
    out, i = [], 0
    while i < len(word):
        c = word[i]
        if c in _REVERSING:
            end = next((j for j in range(i + 1, len(word)) if word[j] in "\u202c\u2069"),
                       len(word))
            out.append(word[i + 1:end][::-1])
            i = end + 1
        else:
            if c not in BIDI_CONTROLS:
                out.append(c)
            i += 1
    return "".join(out)
