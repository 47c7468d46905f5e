"""The charter family: blocked terms, offensive language, personal data, spam, flooding.

The organization's published social media charter, enforced per account. One module a job:

- ``rule``: ``CharterRule``, which reads ``[rules.charter]`` and runs the parts over a batch;
- ``terms`` and ``termviews``: the word and phrase lists (one automaton) and the normalized
  views they are searched in;
- ``offensive``: the profanity model;
- ``pii``: e-mails, phones, cards, IBANs, national ids, exposed staff;
- ``spam``: the bundled spam classifier;
- ``flood``: repeated text or links, within a batch and against remembered history.
"""

from rules.charter.rule import CharterRule

__all__ = ["CharterRule"]
