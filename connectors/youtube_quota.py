"""The YouTube Data API's daily quota, as one account spends it.

Google grants a project a number of units a day (10,000 by default) that resets at midnight
Pacific time; every request costs units whether it succeeds or not (a list 1, a moderation call
50). The meter counts what this account spent today and paces polling: a poll may start only
while the day's spending is below the share of ``daily_budget`` the day has earned so far (plus
a small burst), so a busy channel is polled less often instead of running dry by noon. Actions
are never held back by the pace (a hide matters more than a poll); they count all the same.

Once the API answers ``quotaExceeded`` the meter refuses every call until the reset, so a spent
quota costs one error, not one per request.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")  # where Google's quota day starts and ends
DAY = 86_400.0
# Units per request, by the Data API path after ``youtube/v3/`` (Google's published costs).
COSTS = {"commentThreads": 1, "comments": 1, "channels": 1, "comments/setModerationStatus": 50}


def cost_of(path: str) -> int:
    """Units a request to ``.../youtube/v3/<path>`` costs (1 for a read we do not list)."""
    return COSTS.get(path.split("youtube/v3/", 1)[-1].split("?", 1)[0].strip("/"), 1)


def quota_day(when: datetime) -> str:
    return when.astimezone(PACIFIC).date().isoformat()


def seconds_to_reset(when: datetime) -> float:
    """Seconds from ``when`` to the next midnight, Pacific time (the quota's reset)."""
    local = when.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                tzinfo=PACIFIC)
    return max(1.0, (midnight - local).total_seconds())


@dataclass
class QuotaMeter:
    daily_budget: int = 10_000  # units this account's polling may spend a Pacific day
    burst: int = 100  # units a poll may run ahead of the even pace
    clock: Callable[[], float] = time.time
    day: str = ""
    used: int = 0  # units spent on ``day``
    exhausted_until: float = 0.0  # epoch seconds: the API said quotaExceeded until then

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=timezone.utc)

    def _roll(self) -> None:
        today = quota_day(self._now())
        if today != self.day:
            self.day, self.used = today, 0

    def spend(self, units: int) -> None:
        self._roll()
        self.used += units

    def adopt(self, day: str | None, used: int | None) -> None:
        """Take the count a persisted cursor carries (spent before a restart), if it is today's
        and larger than what this process counted."""
        self._roll()
        if day == self.day and isinstance(used, int) and used > self.used:
            self.used = used

    def exhausted(self) -> float:
        """Seconds until the quota resets when the API said it is spent, else 0."""
        return max(0.0, self.exhausted_until - self.clock())

    def mark_exhausted(self) -> float:
        wait = seconds_to_reset(self._now())
        self.exhausted_until = self.clock() + wait
        return wait

    def allowance(self) -> float:
        """Units the day has earned so far: the budget spread evenly over the Pacific day."""
        self._roll()
        left = seconds_to_reset(self._now())
        return self.daily_budget * (1.0 - left / DAY) + self.burst

    def poll_wait(self) -> float:
        """0 when a poll may start now, else about how long until the pace allows one."""
        self._roll()
        ahead = self.used - self.allowance()
        if ahead < 0:
            return 0.0
        if self.used >= self.daily_budget:
            return seconds_to_reset(self._now())
        return (ahead + 1) / self.daily_budget * DAY

    def snapshot(self) -> dict[str, object]:
        self._roll()
        return {"day": self.day, "used": self.used}
