"""The spam and scam classifier: hashed word and character n-grams, tf-idf, logistic regression.

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
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from rules.text import fold

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("data") / "spam_model.npz"
N_FEATURES = 2 ** 18  # per vectorizer; collisions are harmless at this vocabulary size

_TAG = re.compile(r"<[^<>]{0,300}>")
_VIDEO_LINK = re.compile(r"(?:https?://)?(?:www\.|m\.)?(?:youtube\.com|youtu\.be)/\S{0,200}")
_LINK = re.compile(r"https?://\S{1,500}|www\.\S{1,500}|\b[\w-]{1,63}\.(?:com|net|org|ly|info|co|me|"
                   r"io|biz|xyz|tk|gl)\b(?:/\S{0,500})?")


def prepare(text: str) -> str:
    """The text the classifier reads: HTML undone, folded, links reduced to two tokens."""
    text = _TAG.sub(" ", html.unescape(text))
    text = fold(text)
    text = _VIDEO_LINK.sub(" ytlink ", text)
    return _LINK.sub(" urltoken ", text)


def vectorizers() -> tuple[HashingVectorizer, HashingVectorizer]:
    """Word 1-2 grams and character 2-5 grams (inside word boundaries), raw counts."""
    common = dict(alternate_sign=False, norm=None, n_features=N_FEATURES, lowercase=False)
    return (HashingVectorizer(ngram_range=(1, 2), **common),
            HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common))


def features(prepared: Sequence[str]) -> sparse.csr_matrix:
    words, chars = vectorizers()
    return sparse.hstack([words.transform(prepared), chars.transform(prepared)], format="csr")


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

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Spam probability of each raw comment text (one vectorized call for the batch)."""
        if not texts:
            return np.zeros(0)
        x = features([prepare(t) for t in texts])
        x.data = np.log(x.data) + 1.0  # sublinear tf, as TfidfTransformer(sublinear_tf=True)
        x = x @ sparse.diags(self.idf)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
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
