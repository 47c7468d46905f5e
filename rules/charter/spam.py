"""The spam and scam classifier: hashed word n-grams, tf-idf, logistic regression.

Trained by ``bench/train_spam.py`` on the UCI YouTube Spam Collection (see that script for the
data's provenance and the evaluation). The model file holds plain arrays (``numpy.savez``, loaded
with ``allow_pickle=False``), not a pickle: it loads with any scikit-learn version and cannot run
code. The features come from scikit-learn's stateless ``HashingVectorizer``, so nothing but the
weights, the idf and the threshold needs to be stored. Loaded once per process, on first use.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rules.charter.termviews import fast_fold

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("data") / "spam_model.npz"
N_FEATURES = 2 ** 18  # collisions are harmless at this vocabulary size

_TAG = re.compile(r"<[^<>]{0,300}>")
_VIDEO_LINK = re.compile(r"(?:https?://)?(?:www\.|m\.)?(?:youtube\.com|youtu\.be)/\S{0,200}")
_LINK = re.compile(r"https?://\S{1,500}|www\.\S{1,500}|\b[\w-]{1,63}\.(?:com|net|org|ly|info|co|me|"
                   r"io|biz|xyz|tk|gl)\b(?:/\S{0,500})?")


def prepare(text: str, folded: str | None = None) -> str:
    """The text the classifier reads: folded, HTML undone, links reduced to two tokens.

    ``folded`` is ``fold(text)`` when the caller already has it (the charter rule does)."""
    text = fast_fold(text) if folded is None else folded
    if "&" in text or "<" in text:  # the checks skip work most comments do not need
        text = " ".join(_TAG.sub(" ", html.unescape(text)).casefold().split())
    if "youtu" in text:
        text = _VIDEO_LINK.sub(" ytlink ", text)
    return _LINK.sub(" urltoken ", text) if "." in text else text


# Words and the punctuation spammers lean on ("!!!", "$", "@"). Character n-grams scored a
# little better on one held-out video but cost five times as much (bench/charter.md).
_TOKEN = re.compile(r"(?u)\b\w+\b|[!?$@#]")


def tokens(prepared: str) -> list[str]:
    return _TOKEN.findall(prepared)


@lru_cache(maxsize=1)
def _hasher() -> Any:
    # scikit-learn is imported on first use: importing it costs a second at CLI start-up.
    # What HashingVectorizer(ngram_range=(1, 2), token_pattern=_TOKEN, alternate_sign=False,
    # norm=None, lowercase=False) hashes, given the tokens.
    from sklearn.feature_extraction import FeatureHasher
    return FeatureHasher(n_features=N_FEATURES, input_type="string", dtype=np.float64,
                         alternate_sign=False)


def features(prepared: Sequence[str]) -> Any:
    """Hashed word 1-2 gram counts as a scipy CSR matrix (stateless: nothing to store but
    the weights)."""
    return _hasher().transform(w + [f"{a} {b}" for a, b in zip(w, w[1:])]
                               for w in map(tokens, prepared)).tocsr()


@dataclass(frozen=True, slots=True)
class SpamModel:
    idf: np.ndarray  # one per feature
    coef: np.ndarray
    intercept: float
    threshold: float  # chosen by the training script (see bench/charter.md)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "SpamModel":
        with np.load(path, allow_pickle=False) as data:
            return cls(idf=data["idf"].astype(np.float64), coef=data["coef"].astype(np.float64),
                       intercept=float(data["intercept"]), threshold=float(data["threshold"]))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
                            intercept=np.float64(self.intercept), threshold=np.float64(self.threshold))

    def scores(self, texts: Sequence[str], folded: Sequence[str] | None = None) -> np.ndarray:
        """Spam probability of each raw comment text (one vectorized call for the batch).
        ``folded``: the texts already folded, if the caller has them."""
        if not texts:
            return np.zeros(0)
        x = features([prepare(t, None if folded is None else folded[i])
                      for i, t in enumerate(texts)])
        # sublinear tf times idf, then l2 norm: TfidfTransformer(sublinear_tf=True) by hand
        x.data = (np.log(x.data) + 1.0) * self.idf[x.indices]
        squares = x.copy()
        squares.data **= 2
        norms = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        logits = (x @ self.coef) / norms + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))


class _Lazy:
    """One model per process, loaded on first use by whichever thread gets there first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: SpamModel | None = None

    def get(self) -> SpamModel:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = SpamModel.load()
                    logger.debug("spam model loaded from %s", MODEL_PATH)
        return self._model


_MODEL = _Lazy()


def spam_model() -> SpamModel:
    return _MODEL.get()
