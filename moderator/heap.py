"""The garbage collector set for a long pass over many comments (``scan``, ``backfill``).

What start-up builds (the rules, their word lists, automata and models, the imported modules:
some 70,000 tracked objects) lives until the process ends, yet every full collection walks all
of it again: at the default thresholds that was about 12% of a 100,000-comment ``scan``'s CPU.
Frozen, the collector leaves it out (and forked workers share its pages untouched). The pass
itself makes few objects that outlive a batch, so a larger youngest generation triggers far
fewer collections; reference cycles are still collected, only in larger steps.
"""

from __future__ import annotations

import gc

YOUNGEST_THRESHOLD = 10_000  # Python's default is 700


def freeze_start_up() -> None:
    """Call once start-up has built what the pass needs, before the first comment. (No
    gc.collect() first: start-up leaves no cyclic garbage to free, 0 objects when measured,
    and a full collection costs ~20 ms; were there some, it would only be kept, once.)"""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, middle, oldest)
