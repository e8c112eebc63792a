"""The request-rate ceiling shared by every worker of a run."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

# After a 429 (or a 503 with Retry-After) the rate is multiplied by this, down to FLOOR of the
# ceiling at least...
DECREASE = 0.5
FLOOR = 0.05
# ...and while requests succeed it grows back by this share of the ceiling per second, up to
# CAUTION of the rate the server last refused; above that only by PROBE of the ceiling per
# second, so that it stays just under the server's limit instead of hitting it again at once.
RECOVERY = 0.05
CAUTION = 0.9
PROBE = 0.005


class Pacer:
    """Hands out request slots evenly spaced at ``1 / rate`` seconds, shared by all workers.

    Slots are computed from the schedule, not from when a worker woke up, so the rate holds
    over a long run without drift; time left unused is not saved up, so there is never a
    burst above the rate after a quiet spell (a GCRA with no burst allowance).

    The rate adapts to the server: :meth:`throttled` lowers it (at most once per interval
    of the slower rate, as the answers of requests already in flight say the same thing),
    :meth:`succeeded` raises it again, quickly up to just under the rate the server refused,
    slowly beyond, never above the ``ceiling`` given. ``retries`` is the run's retry budget.
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
        self.ceiling = rate
        self.rate = rate
        self.lowest_rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next_slot = -math.inf
        self._calm_from = -math.inf
        self._grown_at = -math.inf
        self._refused_at = math.inf  # the rate when the server last said it was too much
        self.retries = RetryBudget(clock=clock)

    async def wait(self) -> None:
        """Waits for this caller's slot."""
        now = self._clock()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.rate
        if slot > now:
            await self._sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Gives out no slot for ``seconds`` from now (a server asked every caller to wait)."""
        self._next_slot = max(self._next_slot, self._clock() + seconds)

    def throttled(self) -> None:
        """The server said it gets too many requests: slow down."""
        now = self._clock()
        if now < self._calm_from:
            return
        self._refused_at = self.rate
        self.rate = max(self.ceiling * FLOOR, self.rate * DECREASE)
        self.lowest_rate = min(self.lowest_rate, self.rate)
        self._calm_from = self._grown_at = now + max(1.0, 2.0 / self.rate)

    def succeeded(self) -> None:
        """A request went through: win back some of the rate, as time passes."""
        now = self._clock()
        if self.rate < self.ceiling and now > self._grown_at:
            elapsed, cautious = now - self._grown_at, self._refused_at * CAUTION
            if self.rate < cautious:
                rate = min(cautious, self.rate + self.ceiling * RECOVERY * elapsed)
            else:
                rate = self.rate + self.ceiling * PROBE * elapsed
            self.rate = min(self.ceiling, rate)
            self._grown_at = now


class RetryBudget:
    """How many retries the run may send: at most ``SHARE`` of the requests answered in the
    last ``WINDOW`` seconds, retries included, plus ``FLOOR`` a second (so that the first
    failures of a run, or of a quiet spell, are retried too).

    Random failures stay well within it; an outage fails every request, and then retrying
    each one several times would only multiply the load on a server that is already down.
    The same idea as the retry budgets of Finagle and gRPC.
    """

    SHARE = 0.2
    WINDOW = 10.0
    FLOOR = 5.0

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()
        self.refused = 0

    def requested(self) -> None:
        """A request was answered (or failed without an answer)."""
        self._requests.append(self._clock())

    def spend(self) -> bool:
        """Takes one retry from the budget; ``False`` (and nothing taken) when it is spent."""
        now = self._clock()
        for times in (self._requests, self._retries):
            while times and times[0] <= now - self.WINDOW:
                times.popleft()
        if len(self._retries) >= len(self._requests) * self.SHARE + self.FLOOR * self.WINDOW:
            self.refused += 1
            return False
        self._retries.append(now)
        return True
