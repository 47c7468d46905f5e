"""rules.charter.spam.features builds what scikit-learn's HashingVectorizer would, with mmh3 and numpy."""

import csv
from pathlib import Path

import pytest

from rules.charter.spam import N_FEATURES, features, prepare

SAMPLE = Path(__file__).resolve().parents[1] / "moderator" / "samples" / "youtube_sample.csv"


def test_features_equal_the_hashing_vectorizer():
    HashingVectorizer = pytest.importorskip("sklearn.feature_extraction.text").HashingVectorizer
    texts = [row["CONTENT"] for row in csv.DictReader(SAMPLE.read_text("utf-8-sig").splitlines())] + [
             "Check out my channel!!! http://x.com $$$ @you #win", "great song", "",
             "ÇA VA? très bien... 100% free", "a b c d e f g", "&lt;b&gt;html&lt;/b&gt;", "日本語 テキスト"]
    prepared = [prepare(t) for t in texts]
    expected = HashingVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[!?$@#]",
                                 alternate_sign=False, norm=None, n_features=N_FEATURES,
                                 lowercase=False).transform(prepared)
    assert (features(prepared) != expected).nnz == 0
    assert features(prepared).nnz == expected.nnz > 0
