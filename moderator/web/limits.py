"""Failed-login counting: too many failures from one address or for one name in a window
and further attempts are refused before the password is even checked."""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_SECONDS = 15 * 60


class LoginLimiter:
    def __init__(self, attempts: int = 5, window: float = WINDOW_SECONDS,
                 clock=time.monotonic):  # type: ignore[no-untyped-def]
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # waitress serves requests on several threads

    def _recent(self, key: str, at: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= at - self.window:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        at = self.clock()
        with self._lock:
            return any(len(self._recent(k, at)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        at = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, at).append(at)
            if len(self._failures) > 10_000:  # forget quiet keys: memory stays bounded
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def succeeded(self, name_key: str) -> None:
        with self._lock:
            self._failures.pop(name_key, None)
