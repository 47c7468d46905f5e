"""The spam model file and its features (the quality numbers are in bench/charter.md)."""

import numpy as np

from rules.spam import SpamModel, features, prepare, shape_tokens, spam_model


def test_shape_tokens_see_what_folding_removes():
    assert shape_tokens("CHECK OUT my NEW video") == ["__caps__"] * 3 + ["__len0__"]
    assert shape_tokens("call 555") == ["__digit__", "__len0__"]
    assert shape_tokens("x" * 1000) == ["__len6__"]  # long texts share one bucket


def test_shipped_model_uses_shape_tokens_and_older_files_still_load(tmp_path):
    model = spam_model()
    assert model.shape
    texts = ["CHECK OUT MY CHANNEL http://x.com", "great song"]
    scores = model.scores(texts)
    old = SpamModel(model.idf, model.coef, model.intercept, model.threshold, shape=False)
    path = tmp_path / "old.npz"
    np.savez(path, idf=old.idf, coef=old.coef, intercept=old.intercept, threshold=old.threshold)
    loaded = SpamModel.load(path)  # a file written before the shape flag existed
    assert not loaded.shape
    assert not np.allclose(loaded.scores(texts), scores)  # the flag changes the features
    with_shape = features([prepare(t) for t in texts], texts)
    without = features([prepare(t) for t in texts])
    assert with_shape.sum() > without.sum()

