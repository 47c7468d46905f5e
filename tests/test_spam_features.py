"""rules.charter.spam.features builds what scikit-learn's HashingVectorizer would, without its analyzer."""

from sklearn.feature_extraction.text import HashingVectorizer

from rules.charter.spam import N_FEATURES, features, prepare


def test_features_equal_the_hashing_vectorizer():
    texts = ["Check out my channel!!! http://x.com $$$ @you #win", "great song", "",
             "ÇA VA? très bien... 100% free", "a b c d e f g", "&lt;b&gt;html&lt;/b&gt;"]
    prepared = [prepare(t) for t in texts]
    expected = HashingVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[!?$@#]",
                                 alternate_sign=False, norm=None, n_features=N_FEATURES,
                                 lowercase=False).transform(prepared)
    assert (features(prepared) != expected).nnz == 0
    assert features(prepared).nnz == expected.nnz > 0
