"""The spam and scam classifier: hashed word n-grams, tf-idf, logistic regression.

Trained by ``bench/train_spam.py`` on the UCI YouTube Spam Collection (see that script for the
data's provenance and the evaluation). Stored as plain arrays (``rules.linear``); the features
are what scikit-learn's stateless ``HashingVectorizer`` computes. Loaded once per process, on
first use.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np

from rules.linear import LazyModel, LinearTextModel
from rules.termviews import fast_fold

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
class SpamModel(LinearTextModel):
    sublinear_tf: ClassVar[bool] = True

    def scores(self, texts: Sequence[str], folded: Sequence[str] | None = None) -> np.ndarray:
        """Spam probability of each raw comment text (one vectorized call for the batch).
        ``folded``: the texts already folded, if the caller has them."""
        if not texts:
            return np.zeros(0)
        return self.probabilities(features([prepare(t, None if folded is None else folded[i])
                                            for i, t in enumerate(texts)]))


_MODEL: LazyModel[SpamModel] = LazyModel(lambda: SpamModel.load(MODEL_PATH), "spam")


def spam_model() -> SpamModel:
    return _MODEL.get()
