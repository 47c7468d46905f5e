"""The profanity model: alt-profanity-check's tf-idf + calibrated linear SVM, as plain arrays.

It was trained on the Davidson et al. tweets (plus Wikipedia comments) and scores *profanity*:
swearing and insults. It does not understand hate: slurs it never saw, dog whistles, threats
and dehumanizing sentences written politely score low. That is what the charter's term lists
are for.

The arrays in ``data/profanity_model.npz`` were exported from the package's pickled
scikit-learn objects by ``bench/export_profanity.py``; ``tests/test_profanity_model.py`` checks
that they give the original's probabilities. Scoring them needs numpy only: no scikit-learn,
no scipy, no pickle (``allow_pickle=False``), and no exact version pins. Loaded once per
process, on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Sequence

import numpy as np

from rules.charter.words import tokens

MODEL_PATH = Path(__file__).with_name("data") / "profanity_model.npz"


@dataclass(frozen=True, slots=True)
class ProfanityModel:
    index: dict[str, int]  # word -> feature
    idf: np.ndarray  # per feature
    coef: np.ndarray  # features x folds
    intercept: np.ndarray  # per fold
    a: np.ndarray  # sigmoid calibration per fold: p = 1 / (1 + exp(a * decision + b))
    b: np.ndarray

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "ProfanityModel":
        with np.load(path, allow_pickle=False) as data:
            words = data["vocabulary"].tobytes().decode("utf-8").split("\n")
            return cls(index={w: i for i, w in enumerate(words)}, idf=data["idf"],
                       coef=data["coef"], intercept=data["intercept"], a=data["a"], b=data["b"])

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of profanity for each text: the mean over the folds of each fold's
        sigmoid of its decision on the l2-normalized tf-idf vector, as scikit-learn's
        ``CalibratedClassifierCV.predict_proba`` computes it."""
        return self.scores_without(texts, None)[0]

    def scores_without(self, texts: Sequence[str], left_out: np.ndarray | None,
                       words: Sequence[list[str]] | None = None
                       ) -> tuple[np.ndarray, np.ndarray | None]:
        """``scores(texts)``, and with ``left_out`` (True for the words to leave out, by
        feature) the scores of the same texts without those words, from one reading of them:
        what the model says of a comment once its casual swear words are taken out.
        ``words``: ``tokens(text)`` of each text, if the caller has them (the spam model reads
        the same tokens of folded text)."""
        n = len(texts)
        # The shipped TfidfVectorizer reads words of two or more word characters, lowercased
        # (r"(?u)\b\w\w+\b"): the runs of word characters that tokens() cuts, which also gives
        # shorter runs and marks ("!"). The vocabulary holds none of those: they find nothing.
        # The caller's tokens serve where lowercasing changes nothing: ASCII text with no capital
        # (folded text; elsewhere casefolded is not always lowercase: Cherokee folds to capitals).
        rows, cols = self._looked_up([
            words[i] if words is not None and text.isascii() and text.islower()
            else tokens(text.lower()) for i, text in enumerate(texts)])
        if not len(cols):
            empty = self._probabilities(np.tile(self.intercept, (n, 1)))
            return empty, (empty if left_out is not None else None)
        # term counts per (comment, word), then tf * idf, l2 norm, and one dot per fold
        keys, counts = np.unique(rows * len(self.idf) + cols, return_counts=True)
        row_of, col_of = np.divmod(keys, len(self.idf))
        weights = counts * self.idf[col_of]
        full = self._probabilities(self._decisions(n, row_of, col_of, weights))
        if left_out is None:
            return full, None
        kept = ~left_out[col_of]
        return full, self._probabilities(self._decisions(n, row_of[kept], col_of[kept],
                                                         weights[kept]))

    def _looked_up(self, words: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(row, feature) of each word found in the vocabulary, the words looked up in C (a
        Python test per word cost more than the lookups)."""
        flat = list(chain.from_iterable(words))
        cols = np.fromiter(map(self.index.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        rows = np.repeat(np.arange(len(words), dtype=np.int64),
                         np.fromiter(map(len, words), dtype=np.int64, count=len(words)))
        found = cols >= 0
        return rows[found], cols[found]

    def _decisions(self, n: int, row_of: np.ndarray, col_of: np.ndarray,
                   weights: np.ndarray) -> np.ndarray:
        decisions = np.tile(self.intercept, (n, 1))
        norms = np.sqrt(np.bincount(row_of, weights * weights, minlength=n))
        norms[norms == 0] = 1.0
        for k in range(self.coef.shape[1]):
            decisions[:, k] += np.bincount(row_of, weights * self.coef[col_of, k],
                                           minlength=n) / norms
        return decisions

    def _probabilities(self, decisions: np.ndarray) -> np.ndarray:
        return (1.0 / (1.0 + np.exp(self.a * decisions + self.b))).mean(axis=1)

    def words_where(self, test) -> np.ndarray:
        """True for each feature whose word passes ``test``."""
        out = np.zeros(len(self.idf), dtype=bool)
        for word, j in self.index.items():
            out[j] = bool(test(word))
        return out


_lock = threading.Lock()
_model: ProfanityModel | None = None


def profanity_model() -> ProfanityModel:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = ProfanityModel.load()
    return _model


def profanity_scores(texts: Sequence[str]) -> np.ndarray:
    """Probability of profanity for each text, in one call for the batch.

    Pass folded text (``rules.text.fold``): look-alike letters then read as the words the
    model knows.
    """
    if not texts:
        return np.zeros(0)
    return profanity_model().scores(texts)
