"""The profanity model: alt-profanity-check's bundled tf-idf + calibrated linear SVM.

It was trained on the Davidson et al. tweets (plus Wikipedia comments) and scores *profanity*:
swearing and insults. It does not understand hate: slurs it never saw, dog whistles, threats
and dehumanizing sentences written politely score low. That is what the charter's term lists
are for. The model ships inside the package (no network); importing ``profanity_check`` loads
it with joblib, so we import it once, on first use, and call the vectorizer and the classifier
directly on the whole batch (its ``predict_prob`` helper loops in Python).
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any, Sequence

import numpy as np
from scipy.special import expit

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_model: tuple[Any, Any] | None = None  # the vectorizer and the classifier, as shipped
_linear: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def _load() -> tuple[Any, Any]:
    global _model
    with _lock:
        if _model is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                from profanity_check import profanity_check
            for w in caught:  # e.g. scikit-learn version mismatch of the pickled model
                logger.warning("profanity model: %s", w.message)
            _model = (profanity_check.vectorizer, profanity_check.model)
    return _model


def profanity_scores(texts: Sequence[str]) -> np.ndarray:
    """Probability of profanity for each text, in one call for the batch.

    Pass folded text (``rules.text.fold``): look-alike letters then read as the words the
    model knows.
    """
    if not texts:
        return np.zeros(0)
    vectorizer, _ = _model or _load()
    coef, intercept, a, b = _linear or _unpack()
    x = vectorizer.transform(texts)
    # What CalibratedClassifierCV.predict_proba computes (the mean over its folds of a sigmoid
    # of each LinearSVC's decision function), in one product for all folds: scikit-learn's
    # per-call input validation cost more than the arithmetic on batches of a few hundred.
    decisions = np.asarray(x @ coef) + intercept
    mean = np.zeros(decisions.shape[0])
    for k in range(decisions.shape[1]):
        mean += expit(-(a[k] * decisions[:, k] + b[k]))
    mean /= decisions.shape[1]
    return mean


def _unpack() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The calibrated model's parts as arrays: one column of coefficients per fold."""
    global _linear
    _, model = _model or _load()
    folds = model.calibrated_classifiers_
    if not all(f.method == "sigmoid" and len(f.calibrators) == 1 for f in folds) \
            or list(model.classes_) != [0, 1]:
        raise RuntimeError("profanity model: expected binary sigmoid-calibrated folds")
    coef = np.column_stack([f.estimator.coef_.ravel() for f in folds])
    intercept = np.array([float(f.estimator.intercept_[0]) for f in folds])
    a = np.array([float(f.calibrators[0].a_) for f in folds])
    b = np.array([float(f.calibrators[0].b_) for f in folds])
    _linear = (coef, intercept, a, b)
    return _linear
