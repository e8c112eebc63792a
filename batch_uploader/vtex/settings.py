"""How fast and how patiently a run sends: the settings every upload shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from .retry import RetryPolicy


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """How fast and how patiently to send.

    ``stop_after_failures`` rows failing one after another stop the run (0: never), as they
    mean something is wrong for every row. After an interruption, requests in flight get
    ``grace`` seconds to end before the run gives up on them. ``timeout`` seconds is the most
    an attempt takes, whatever the server does (a server sending a byte at a time included).
    """

    rate: float = 10.0
    concurrency: int = 16  # where throughput peaks (BENCHMARKS.md, case 3)
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    stop_after_failures: int = 20
    grace: float = 10.0

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError("rate must be above 0 requests per second")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.stop_after_failures < 0:
            raise ValueError("stop_after_failures cannot be negative")
        if not self.timeout > 0:
            raise ValueError("timeout must be above 0 seconds")
