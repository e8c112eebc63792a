"""When a request is tried again, and how long to wait before it: the policy as data."""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    """Retries for one row.

    Timeouts, dropped connections, 429 and every 5xx are tried again, up to ``max_attempts``
    attempts in all, after an exponential backoff with full jitter (``backoff_initial`` doubled
    each time, at most ``backoff_max`` seconds). A ``Retry-After`` header replaces the backoff,
    up to ``retry_after_max`` seconds (a longer one is cut to it, and the logs say so). A row
    stops being retried once ``row_budget`` seconds have passed since its first attempt. Other
    answers are final. Over the whole run, retries not asked by a 429 or a Retry-After are
    also bounded by the run's :class:`~batch_uploader.vtex.limiter.RetryBudget`.
    """

    max_attempts: int = 5
    row_budget: float = 600.0
    # Short: a random 503 or a dropped connection says nothing of the account's rate (the
    # pace answers a 429, the retry budget an outage), and a run lasts as long as its
    # unluckiest row (BENCHMARKS.md, case 7).
    backoff_initial: float = 0.2
    backoff_max: float = 30.0
    retry_after_max: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_initial, self.backoff_max, self.retry_after_max, self.row_budget) < 0:
            raise ValueError("waiting times cannot be negative")

    @staticmethod
    def retries_status(status: int) -> bool:
        """Whether an HTTP answer with ``status`` is worth trying again."""
        return status == 429 or status >= 500


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (moment - now).total_seconds())
