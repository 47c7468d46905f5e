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

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_model: tuple[Any, Any] | None = None


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
    vectorizer, model = _model or _load()
    return model.predict_proba(vectorizer.transform(texts))[:, 1]
