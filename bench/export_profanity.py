"""Export alt-profanity-check's shipped model as plain arrays (one-off; dev dependencies).

alt-profanity-check ships a pickled scikit-learn ``TfidfVectorizer`` (words of two or more
letters, lowercased, English stop words removed, raw tf, smooth idf, l2 norm) and a
``CalibratedClassifierCV`` of five sigmoid-calibrated ``LinearSVC`` folds. Moderator scores the
same thing from arrays (``rules/charter/offensive.py``), so nothing imports scikit-learn or
scipy at run time and no pickle is loaded. This script writes those arrays:

- ``vocabulary``: the words, in feature order, joined by newlines as UTF-8 bytes;
- ``idf``: one per word; ``coef``: one column per fold; ``intercept``, ``a``, ``b``: per fold.

``tests/test_profanity_model.py`` checks that the arrays give the original's probabilities.

    .venv/bin/python bench/export_profanity.py     # rewrites rules/charter/data/profanity_model.npz
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rules.charter.offensive import MODEL_PATH  # noqa: E402


def export(path: Path = MODEL_PATH) -> None:
    from profanity_check import profanity_check

    vectorizer, model = profanity_check.vectorizer, profanity_check.model
    params = vectorizer.get_params()
    expected = {"analyzer": "word", "lowercase": True, "ngram_range": (1, 1), "norm": "l2",
                "sublinear_tf": False, "use_idf": True, "smooth_idf": True, "binary": False,
                "token_pattern": r"(?u)\b\w\w+\b", "strip_accents": None, "preprocessor": None,
                "tokenizer": None}
    wrong = {k: params[k] for k, v in expected.items() if params[k] != v}
    if wrong:
        raise SystemExit(f"unexpected vectorizer settings: {wrong}")
    folds = model.calibrated_classifiers_
    if not all(f.method == "sigmoid" and len(f.calibrators) == 1 for f in folds) \
            or list(model.classes_) != [0, 1]:
        raise SystemExit("expected binary sigmoid-calibrated folds")
    words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    assert [vectorizer.vocabulary_[w] for w in words] == list(range(len(words)))
    assert not any("\n" in w for w in words)
    np.savez_compressed(
        path,
        vocabulary=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        idf=vectorizer.idf_.astype(np.float64),
        coef=np.column_stack([f.estimator.coef_.ravel() for f in folds]).astype(np.float64),
        intercept=np.array([float(f.estimator.intercept_[0]) for f in folds]),
        a=np.array([float(f.calibrators[0].a_) for f in folds]),
        b=np.array([float(f.calibrators[0].b_) for f in folds]))
    print(f"{path}: {len(words)} words, {len(folds)} folds, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    export()
