"""A linear text model stored as plain arrays: tf-idf, then sigmoid(x . coef + intercept).

The spam and the offensive-language classifiers are both of this shape; each module hashes its
own features (scikit-learn's stateless ``FeatureHasher``), so only the idf, the weights and the
decision threshold are stored. The files are ``numpy.savez`` archives loaded with
``allow_pickle=False``: they load with any scikit-learn version and cannot run code.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, Generic, TypeVar

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LinearTextModel:
    idf: np.ndarray  # one per hashed feature
    coef: np.ndarray
    intercept: float
    threshold: float  # chosen by the training script (see bench/charter.md)

    sublinear_tf: ClassVar[bool] = False  # 1 + log(count) instead of the count

    @classmethod
    def load(cls, path: Path):
        with np.load(path, allow_pickle=False) as data:
            return cls(idf=data["idf"].astype(np.float64), coef=data["coef"].astype(np.float64),
                       intercept=float(data["intercept"]), threshold=float(data["threshold"]))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
                            intercept=np.float64(self.intercept), threshold=np.float64(self.threshold))

    def probabilities(self, counts: Any) -> np.ndarray:
        """Probability for each row of a CSR matrix of hashed feature counts (modified in place).

        What scikit-learn's TfidfTransformer (l2 norm) and a logistic model compute."""
        x = counts
        if self.sublinear_tf:
            x.data = np.log(x.data) + 1.0
        x.data *= self.idf[x.indices]
        squares = x.copy()
        squares.data **= 2
        norms = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        logits = (x @ self.coef) / norms + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))


M = TypeVar("M", bound=LinearTextModel)


class LazyModel(Generic[M]):
    """One model per process, loaded on first use by whichever thread gets there first."""

    def __init__(self, load: Callable[[], M], name: str) -> None:
        self._load, self._name = load, name
        self._lock = threading.Lock()
        self._model: M | None = None

    def get(self) -> M:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
                    logger.debug("%s model loaded", self._name)
        return self._model
