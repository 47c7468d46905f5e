"""The spam and scam classifier: hashed word n-grams, tf-idf, logistic regression.

Trained by ``bench/train_spam.py`` on the UCI YouTube Spam Collection (see that script for the
data's provenance and the evaluation). The model file holds plain arrays (``numpy.savez``, loaded
with ``allow_pickle=False``), not a pickle: it loads with any scikit-learn version and cannot run
code. The features are what scikit-learn's stateless ``HashingVectorizer`` computes (MurmurHash3
from ``mmh3``), so nothing but the weights, the idf and the threshold needs to be stored, and
scoring needs numpy only (scikit-learn trains the model, it does not run it). Loaded once per
process, on first use.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rules.charter.hashing import gram_features
# The tokens: words and the punctuation spammers lean on ("!!!", "$", "@"). Character n-grams
# scored a little better on one held-out video but cost five times as much (bench/charter.md).
from rules.charter.words import MARKS, TOKEN, tokens
from rules.text import fold

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("data") / "spam_model.npz"
N_FEATURES = 2 ** 18  # collisions are harmless at this vocabulary size

_TAG = re.compile(r"<[^<>]{0,300}>")
_VIDEO_LINK = re.compile(r"(?:https?://)?(?:www\.|m\.)?(?:youtube\.com|youtu\.be)/\S{0,200}")
_LINK = re.compile(r"https?://\S{1,500}|www\.\S{1,500}|\b[\w-]{1,63}\.(?:com|net|org|ly|info|co|me|"
                   r"io|biz|xyz|tk|gl)\b(?:/\S{0,500})?")

# What every _LINK match holds ("://", "www." or a dot and one of its endings); one search for
# it is quicker than _LINK's, which tries its third branch at every position.
_LINK_HINT = re.compile(r"://|www\.|\.(?:com|net|org|ly|info|co|me|io|biz|xyz|tk|gl)\b")

_LINK_TOKENS = re.compile(r"\b(?:urltoken|ytlink)\b")
_HOST = re.compile(r"(?:https?://)?(?:www\.)?([^/?#:\s]+)")


def links_only_to(folded: str, domains: Sequence[str]) -> bool:
    """Whether ``folded`` (a folded comment text) has links and every one of them goes to one of
    ``domains`` (lowercase) or a subdomain: the page's own site is not self-promotion."""
    hosts = [_HOST.match(m.group(0)).group(1).rstrip(".") for m in _LINK.finditer(folded)]
    return bool(hosts) and all(any(h == d or h.endswith("." + d) for d in domains) for h in hosts)


def prepare(text: str, folded: str | None = None) -> str:
    """The text the classifier reads: folded, HTML undone, links reduced to two tokens.

    ``folded`` is ``fold(text)`` when the caller already has it (the charter rule does)."""
    text = fold(text) if folded is None else folded
    if "&" in text or "<" in text:  # the checks skip work most comments do not need
        text = " ".join(_TAG.sub(" ", html.unescape(text)).casefold().split())
    if "youtu" in text:
        text = _VIDEO_LINK.sub(" ytlink ", text)
    # (The model was trained with links reduced only in text holding a dot.)
    return _LINK.sub(" urltoken ", text) if "." in text and _LINK_HINT.search(text) else text


# Hiding takes more than a word or two. Of the 1,956 training comments, 181 are that short
# (no link), 9 of them spam ("subscribe", "like please"): the score of so short a comment rests on
# one or two weights ("+1" scores 0.92 with the bundled model: "1" is a spam word there), and a
# copy of the training data once taught the model "Hi" (bench/charter.md, eighth round). Without
# a link, such a comment is queued for review, not hidden.
MIN_WORDS_TO_HIDE = 3
_MARKS = frozenset(MARKS)  # the tokenizer's punctuation tokens: not words


def too_short_to_hide(text: str, folded: str | None = None) -> bool:
    """Fewer than ``MIN_WORDS_TO_HIDE`` words, and no link."""
    prepared = prepare(text, folded)
    if _LINK_TOKENS.search(prepared):
        return False
    return sum(1 for token in tokens(prepared) if token not in _MARKS) < MIN_WORDS_TO_HIDE


def feature_counts(prepared: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashed word 1-2 gram counts: (row, feature, count) arrays, sorted by row then feature,
    one entry per distinct feature of a row. What scikit-learn's ``HashingVectorizer``
    (ngram_range=(1, 2), token_pattern=TOKEN, alternate_sign=False, norm=None,
    lowercase=False) counts, computed with numpy alone: stateless, nothing to store but the
    weights. (Its FeatureHasher: signed 32-bit MurmurHash3, seed 0, of each gram's UTF-8 bytes,
    the absolute value modulo the number of features; see rules/charter/hashing.py.)"""
    return token_counts(list(map(tokens, prepared)))


def token_counts(token_lists: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``feature_counts`` of texts already cut into tokens."""
    rows, features = gram_features(token_lists, N_FEATURES)
    unique, counts = np.unique(rows * N_FEATURES + features, return_counts=True)
    rows, cols = np.divmod(unique, N_FEATURES)
    return rows, cols, counts


def features(prepared: Sequence[str]) -> Any:
    """The same counts as a scipy CSR matrix, for training (``bench/train_spam.py``) and tests;
    scipy is a dev dependency, imported here only."""
    from scipy.sparse import csr_matrix
    rows, cols, counts = feature_counts(prepared)
    return csr_matrix((counts.astype(np.float64), (rows, cols)),
                      shape=(len(prepared), N_FEATURES))


@dataclass(frozen=True, slots=True)
class SpamModel:
    idf: np.ndarray  # one per feature
    coef: np.ndarray
    intercept: float
    threshold: float  # from here: spam, for review; chosen by the training script (bench/charter.md)
    confident_threshold: float  # from here: confident spam, hidden by default; the same way

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "SpamModel":
        with np.load(path, allow_pickle=False) as data:
            threshold = float(data["threshold"])
            # A model file from before the confident band has none: everything is reviewed.
            confident = float(data["confident_threshold"]) if "confident_threshold" in data \
                else float("inf")
            return cls(idf=data["idf"].astype(np.float64), coef=data["coef"].astype(np.float64),
                       intercept=float(data["intercept"]), threshold=threshold,
                       confident_threshold=confident)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
                            intercept=np.float64(self.intercept), threshold=np.float64(self.threshold),
                            confident_threshold=np.float64(self.confident_threshold))

    def scores(self, texts: Sequence[str], folded: Sequence[str] | None = None, *,
               without_links: bool = False,
               folded_tokens: Sequence[list[str]] | None = None) -> np.ndarray:
        """Spam probability of each raw comment text (one vectorized call for the batch).
        ``folded``: the texts already folded, if the caller has them; ``without_links``: score
        the words alone, the links left out; ``folded_tokens``: ``tokens`` of each folded text,
        if the caller has them (most comments are read as folded: no markup, no link)."""
        if not texts:
            return np.zeros(0)
        n = len(texts)
        prepared = [prepare(t, None if folded is None else folded[i]) for i, t in enumerate(texts)]
        if without_links:
            prepared = [_LINK_TOKENS.sub(" ", p) for p in prepared]
        if folded is None or folded_tokens is None:
            rows, cols, counts = feature_counts(prepared)
        else:
            rows, cols, counts = token_counts([ready if p == f else tokens(p) for p, f, ready
                                               in zip(prepared, folded, folded_tokens)])
        # sublinear tf times idf, then l2 norm: TfidfTransformer(sublinear_tf=True) by hand
        weights = (np.log(counts) + 1.0) * self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights * weights, minlength=n))
        norms[norms == 0] = 1.0
        logits = np.bincount(rows, weights * self.coef[cols], minlength=n) / norms + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))


_lock = threading.Lock()
_models: dict[Path, SpamModel] = {}


def spam_model(path: Path | None = None) -> SpamModel:
    """The model at ``path`` (default: the bundled one), loaded once per process by whichever
    thread gets there first."""
    path = MODEL_PATH if path is None else path
    model = _models.get(path)
    if model is None:
        with _lock:
            model = _models.get(path)
            if model is None:
                model = _models[path] = SpamModel.load(path)
                logger.debug("spam model loaded from %s", path)
    return model
