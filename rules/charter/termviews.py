"""The normalized views the charter searches.

``rules.text.views`` plus one more view: repeated letters squeezed to one (``fuuuuck`` ->
``fuck``), which term lists want and custom rules do not.
"""

from __future__ import annotations

from rules.text import squeeze, view_steps



def term_views(text: str) -> tuple[str, ...]:
    """``views(text)`` followed by the one-letter squeeze of the fully normalized view."""
    return term_views_and_flat(text)[0]


def term_views_and_flat(text: str) -> tuple[tuple[str, ...], str]:
    """``term_views(text)`` and ``squeeze(fold(text), keep=1)``, which flood fingerprints
    read (``rules.charter.flood``), both from the steps of ``rules.text.views``."""
    steps = view_steps(text)
    # No run of three left by squeeze(keep=2) means none for keep=1 either.
    single = steps.both if steps.both_squeezed == steps.both else squeeze(steps.both, keep=1)
    flat = steps.folded if steps.squeezed == steps.folded else squeeze(steps.folded, keep=1)
    out = steps.views
    return (out if single in out else (*out, single)), flat
