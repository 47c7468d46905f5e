"""The normalized views the charter searches.

``rules.text.views`` plus one more view: repeated letters squeezed to one (``fuuuuck`` ->
``fuck``), which term lists want and custom rules do not.
"""

from __future__ import annotations

from rules.text import deleet, fold, squeeze, unspace, views

fast_fold = fold  # kept for callers: fold itself now has the ASCII shortcut


def term_views(text: str) -> tuple[str, ...]:
    """``views(text)`` followed by the one-letter squeeze of the fully normalized view."""
    out = views(text)
    single = squeeze(deleet(unspace(out[0])), keep=1)
    return out if single in out else (*out, single)
