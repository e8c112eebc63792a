from __future__ import annotations

import asyncio

import pytest

from batch_uploader.vtex.limiter import Pacer


class FakeClock:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slots: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def slots(pacer: Pacer, clock: FakeClock, count: int) -> list[float]:
    async def take() -> list[float]:
        taken = []
        for _ in range(count):
            await pacer.wait()
            taken.append(round(clock.now, 9))
        return taken

    return asyncio.run(take())


def test_slots_are_evenly_spaced_from_the_first() -> None:
    clock = FakeClock()
    pacer = Pacer(4, clock=clock, sleep=clock.sleep)

    assert slots(pacer, clock, 5) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_rate_holds_over_a_long_run() -> None:
    clock = FakeClock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)

    taken = slots(pacer, clock, 1001)

    assert taken[-1] == pytest.approx(100.0)


def test_no_burst_after_a_quiet_spell() -> None:
    clock = FakeClock()
    pacer = Pacer(2, clock=clock, sleep=clock.sleep)
    slots(pacer, clock, 1)
    clock.now = 60.0

    assert slots(pacer, clock, 3) == [60.0, 60.5, 61.0]


def test_pause_holds_every_caller() -> None:
    clock = FakeClock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)
    slots(pacer, clock, 1)
    pacer.pause(3.0)

    assert slots(pacer, clock, 2) == [3.0, 3.1]


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be a positive number"):
        Pacer(rate)


def test_throttling_lowers_the_rate_once_per_calm_period() -> None:
    clock = FakeClock()
    pacer = Pacer(100, clock=clock, sleep=clock.sleep)

    pacer.throttled()
    pacer.throttled()  # an answer to a request already in flight: same news

    assert pacer.rate == pytest.approx(50.0)
    clock.now = 1.5
    pacer.throttled()
    assert pacer.rate == pytest.approx(25.0)
    assert pacer.lowest_rate == pytest.approx(25.0)


def test_rate_recovers_to_just_under_the_refused_rate_then_probes_slowly() -> None:
    clock = FakeClock()
    pacer = Pacer(100, clock=clock, sleep=clock.sleep)
    pacer.throttled()  # refused at 100/s: 50/s, calm until t=1
    clock.now = 0.5
    pacer.succeeded()
    assert pacer.rate == pytest.approx(50.0)

    clock.now = 6.0
    pacer.succeeded()  # five calm seconds at 5 % of the ceiling a second
    assert pacer.rate == pytest.approx(75.0)

    clock.now = 60.0
    pacer.succeeded()  # no further than 90 % of the rate refused...
    assert pacer.rate == pytest.approx(90.0)

    clock.now = 70.0
    pacer.succeeded()  # ...then 0.5 % of the ceiling a second
    assert pacer.rate == pytest.approx(95.0)

    clock.now = 200.0
    pacer.succeeded()
    assert pacer.rate == 100.0


def test_under_a_server_limit_the_rate_stays_near_it_and_is_seldom_refused() -> None:
    clock = FakeClock()
    pacer = Pacer(400, clock=clock, sleep=clock.sleep)
    refusals, rates = 0, []
    for tenth in range(600):  # a minute, against a server that refuses above 100/s
        clock.now = tenth / 10
        if pacer.rate > 100:
            before = pacer.rate
            pacer.throttled()
            refusals += pacer.rate < before
        else:
            pacer.succeeded()
        rates.append(pacer.rate)

    # Recovering at 5 % of the ceiling a second all the way up, it was refused 19 times and
    # kept 69/s over the second half-minute.
    assert refusals <= 10
    assert sum(rates[300:]) / 300 > 80


def test_rate_never_falls_below_the_floor() -> None:
    clock = FakeClock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)
    for second in range(100):
        clock.now = second * 60.0
        pacer.throttled()

    assert pacer.rate == pytest.approx(0.5)
