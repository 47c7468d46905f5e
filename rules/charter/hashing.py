"""The spam classifier's feature hashing for a whole batch at once, with numpy.

Every word and every pair of adjacent words of a comment is a feature: MurmurHash3 (x86, 32
bits, seed 0) of its UTF-8 bytes, as scikit-learn's ``HashingVectorizer`` computes it with
``mmh3``. One ``mmh3.hash`` call per word and pair cost the spam part a quarter of its time
(and a cache of them was mostly misses on new text). Here the words of a batch are joined by
spaces into one buffer: a word is a slice of it and a pair of words is the slice from the first
word's start to the second's end (``"a b"`` is exactly what the pair's string holds), so no pair
string is ever made, and MurmurHash3 runs over all slices together, one 4-byte block of every
slice per step. The result equals ``mmh3.hash`` bit for bit (tests/test_spam_features.py).
"""

from __future__ import annotations

from itertools import chain
from typing import Sequence

import mmh3
import numpy as np

_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
_M1, _M2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_FIVE, _N1 = np.uint32(5), np.uint32(0xE6546B64)
_TAIL_MASK = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF], dtype=np.uint32)
# Slices longer than this are hashed one by one with mmh3: a hostile 20,000-letter "word" must
# not make every step of the batch's loop (one per block of the longest slice) run 5,000 times.
_LONGEST_VECTORIZED = 256


def gram_features(words: Sequence[list[str]], n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """For each text's words (no word holds a space): (row, feature) of every word and every
    pair of adjacent words, the feature being abs(signed MurmurHash3) % n_features (a power of
    two), what scikit-learn's FeatureHasher computes. One entry per word or pair, in no order."""
    counts = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    flat = list(chain.from_iterable(words))
    if not flat:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    data = " ".join(flat).encode("utf-8")
    spaces = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 32)
    starts = np.concatenate(([0], spaces + 1))
    ends = np.concatenate((spaces, [len(data)]))
    rows = np.repeat(np.arange(len(words), dtype=np.int64), counts)
    paired = np.flatnonzero(rows[:-1] == rows[1:])  # a word with a next one in its text
    starts = np.concatenate((starts, starts[paired]))
    ends = np.concatenate((ends, ends[paired + 1]))
    rows = np.concatenate((rows, rows[paired]))
    hashes = murmur3_32(data, starts, ends - starts)
    # abs() of the signed hash, then the modulo (a mask: n_features is a power of two)
    signed_abs = np.where(hashes >= np.uint32(2 ** 31), np.uint32(0) - hashes, hashes)
    return rows, (signed_abs & np.uint32(n_features - 1)).astype(np.int64)


def murmur3_32(data: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """MurmurHash3_x86_32 (seed 0), unsigned, of each slice ``data[start:start + length]``."""
    out = np.empty(len(starts), dtype=np.uint32)
    long = lengths > _LONGEST_VECTORIZED
    for i in np.flatnonzero(long).tolist():
        out[i] = mmh3.hash(data[starts[i]:starts[i] + lengths[i]], 0, signed=False)
    short = np.flatnonzero(~long)
    out[short] = _murmur3_short(data, starts[short], lengths[short])
    return out


def _murmur3_short(data: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    padded = data + b"\0\0\0\0"
    # Every 4 bytes from every offset, as little-endian words: a block at any start is one read.
    blocks_at = np.ndarray((len(padded) - 3,), dtype="<u4", buffer=padded, strides=(1,))
    blocks = lengths >> 2
    order = np.argsort(-blocks, kind="stable")  # most blocks first: the slices still going
    starts, lengths, blocks = starts[order], lengths[order], blocks[order]  # are a prefix
    most = int(blocks[0]) if len(blocks) else 0
    going = np.searchsorted(-blocks, -np.arange(most), side="left")  # per step: blocks > step
    h = np.zeros(len(starts), dtype=np.uint32)
    for step, count in enumerate(going.tolist()):
        h[:count] = _mixed(h[:count], _scrambled(blocks_at[starts[:count] + 4 * step]))
    # The last 1-3 bytes: masked to the slice, scrambled (zero when there are none: no change).
    h ^= _scrambled(blocks_at[starts + (blocks << 2)] & _TAIL_MASK[lengths & 3])
    h ^= lengths.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= _M1
    h ^= h >> np.uint32(13)
    h *= _M2
    h ^= h >> np.uint32(16)
    out = np.empty_like(h)
    out[order] = h
    return out


def _scrambled(k: np.ndarray) -> np.ndarray:
    k = k * _C1
    k = (k << np.uint32(15)) | (k >> np.uint32(17))
    return k * _C2


def _mixed(h: np.ndarray, k: np.ndarray) -> np.ndarray:
    h = h ^ k
    h = (h << np.uint32(13)) | (h >> np.uint32(19))
    return h * _FIVE + _N1
