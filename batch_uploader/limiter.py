"""The request-rate ceiling shared by every worker of a run."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Hands out request slots evenly spaced at ``1 / rate`` seconds, shared by all workers.

    Slots are computed from the schedule, not from when a worker woke up, so the rate holds
    over a long run without drift; time left unused is not saved up, so there is never a
    burst above the rate after a quiet spell (a GCRA with no burst allowance).
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not rate > 0 or math.isinf(rate):
            raise ValueError(f"rate must be a positive number of requests per second, not {rate}")
        self.rate = rate
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next_slot = -math.inf

    async def wait(self) -> None:
        """Waits for this caller's slot."""
        now = self._clock()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Gives out no slot for ``seconds`` from now (a server asked every caller to wait)."""
        self._next_slot = max(self._next_slot, self._clock() + seconds)
