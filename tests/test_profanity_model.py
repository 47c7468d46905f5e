"""The profanity model's plain arrays give alt-profanity-check's own probabilities.

alt-profanity-check (and scikit-learn) are dev dependencies, used only here and by
bench/export_profanity.py; at run time Moderator scores the exported arrays with numpy.
"""

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rules.charter.offensive import profanity_scores
from rules.text import fold

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
SAMPLES = ["fuck you moron", "have a nice day", "", "   ", "FUCK", "You IDIOT!!", "ß straße",
           "İstanbul", "a", "f u c k", "shit shit shit shit", "ｆｕｃｋ", "don't be a bitch",
           "x" * 5000, "the the the", "123 456", "naïve café", "Ёлка", "日本語のテキスト"]


def corpus() -> list[str]:
    texts = list(SAMPLES)
    paths = [ROOT / "moderator" / "samples" / "youtube_sample.csv",
             *sorted((SHARED / "youtube_spam").glob("*.csv"))]
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as f:
            texts += [row["CONTENT"] for row in csv.DictReader(f)]
    davidson = SHARED / "offensive_davidson" / "labeled_data.csv"
    if davidson.exists():
        with davidson.open(encoding="utf-8", newline="") as f:
            texts += [row["tweet"] for i, row in enumerate(csv.DictReader(f)) if i % 5 == 0]
    return texts + [fold(t) for t in texts]


def test_arrays_give_the_original_models_probabilities():
    profanity_check = pytest.importorskip("profanity_check.profanity_check")
    texts = corpus()
    expected = profanity_check.model.predict_proba(profanity_check.vectorizer.transform(texts))[:, 1]
    got = profanity_scores(texts)
    assert len(texts) > 500
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # and the decisions at the default threshold, exactly
    assert ((got >= 0.5) == (expected >= 0.5)).all()
    assert 0.05 < (expected >= 0.5).mean() < 0.95  # the corpus has both kinds


def test_batches_and_single_texts_agree():
    texts = SAMPLES
    batch = profanity_scores(texts)
    assert np.array_equal(batch, np.concatenate([profanity_scores([t]) for t in texts]))
    assert batch[0] > 0.9 > 0.1 > batch[1]


def test_judging_imports_neither_scikit_learn_nor_scipy():
    code = ("import sys\n"
            "from moderator.models import Brand, Comment\n"
            "from rules.charter import CharterRule\n"
            "rule = CharterRule.from_config({}, Brand(name='Acme'), path='rules.charter')\n"
            "rule.check_batch([Comment(platform='file', account='a', id='1',\n"
            "                          text='fuck you, buy cheap followers at my channel')])\n"
            "loaded = {m.split('.')[0] for m in sys.modules}\n"
            "print(sorted(loaded & {'sklearn', 'scipy', 'profanity_check', 'joblib'}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout
