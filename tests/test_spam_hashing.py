"""rules.charter.hashing: the batch's MurmurHash3 in numpy equals mmh3's, gram by gram."""

import csv
import random
from pathlib import Path

import mmh3
import numpy as np

from rules.charter.hashing import gram_features, murmur3_32
from rules.charter.spam import N_FEATURES, prepare, tokens

SAMPLE = Path(__file__).resolve().parents[1] / "moderator" / "samples" / "youtube_sample.csv"


def one_by_one(words: list[list[str]]) -> list[tuple[int, int]]:
    """What the spam features were before: one mmh3 call per word and per pair of words."""
    out = []
    for row, ws in enumerate(words):
        for gram in ws + [f"{a} {b}" for a, b in zip(ws, ws[1:])]:
            out.append((row, abs(mmh3.hash(gram, 0, signed=True)) % N_FEATURES))
    return sorted(out)


def test_every_slice_length_and_offset_hashes_as_mmh3():
    rng = np.random.default_rng(7)
    data = bytes(rng.integers(0, 256, 3_000, dtype=np.uint8))
    starts = rng.integers(0, 2_500, 4_000)
    lengths = np.minimum(rng.integers(0, 500, 4_000), len(data) - starts)  # some past 256 bytes
    hashes = murmur3_32(data, starts, lengths).tolist()
    assert hashes == [mmh3.hash(data[s:s + n], 0, signed=False)
                      for s, n in zip(starts.tolist(), lengths.tolist())]


def test_batch_features_equal_one_mmh3_call_per_gram():
    texts = [row["CONTENT"] for row in csv.DictReader(SAMPLE.read_text("utf-8-sig").splitlines())]
    random.seed(3)
    texts += ["", "!!!", "a", "a b", "日本語 テキスト 😀", "ÇA VA? très bien... 100% free $$$ @you",
              "x" * 1_000 + " y " + "é" * 300,  # slices hashed one by one, beside the others
              " ".join(random.choice(["free", "gift", "ü", "#", "ab", "abc", "abcd"])
                       for _ in range(200))]
    words = [tokens(prepare(t)) for t in texts]
    rows, features = gram_features(words, N_FEATURES)
    assert sorted(zip(rows.tolist(), features.tolist())) == one_by_one(words)
    assert len(rows) > 1_000


def test_no_words_no_features():
    rows, features = gram_features([[], []], N_FEATURES)
    assert len(rows) == len(features) == 0
