"""The normalized views the charter searches.

``rules.text.views`` plus one more view: repeated letters squeezed to one (``fuuuuck`` ->
``fuck``), which term lists want and custom rules do not.
"""

from __future__ import annotations

from rules.text import deleet, fold, squeeze, unspace

fast_fold = fold  # kept for callers: fold itself now has the ASCII shortcut


def term_views(text: str) -> tuple[str, ...]:
    """``views(text)`` followed by the one-letter squeeze of the fully normalized view."""
    return term_views_and_flat(text)[0]


def term_views_and_flat(text: str) -> tuple[tuple[str, ...], str]:
    """``term_views(text)`` and ``squeeze(fold(text), keep=1)``, which flood fingerprints
    read (``rules.flood``): both from one squeeze of the folded text where it has no runs.

    The same steps as ``rules.text.views``, each run once: most comments have no spaced
    letters, no leetspeak and no repeated letters, so most steps return their input and the
    next one can reuse an earlier result (tests/test_termviews.py checks the equality)."""
    folded = fold(text)
    spaced = unspace(folded)
    leet = deleet(folded)
    both = leet if spaced == folded else deleet(spaced)
    squeezed = squeeze(folded)
    both_squeezed = squeezed if both == folded else squeeze(both)
    out = [folded]
    views = [leet, spaced, squeezed, both_squeezed]
    if spaced != folded:  # as in rules.text.views
        split = unspace(folded, split_one_letter_word=True)
        if split != spaced:
            views += [split, squeeze(deleet(split))]
    for view in views:
        if view not in out:
            out.append(view)
    # No run of three left by squeeze(keep=2) means none for keep=1 either.
    single = both if both_squeezed == both else squeeze(both, keep=1)
    flat = folded if squeezed == folded else squeeze(folded, keep=1)
    return (tuple(out) if single in out else (*out, single)), flat
