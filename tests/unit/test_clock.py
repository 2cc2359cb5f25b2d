"""The injected clocks and simulated durations.

The virtual clock jumps to the next timer (a simulated hour takes milliseconds); the real clock
follows the system clock; `Duration` draws the simulated callers' and agents' times.

Virtual-clock tests are plain (not async) functions: `run_virtual` runs its own loop, which asyncio
refuses to start inside pytest-asyncio's running loop. They assert virtual time exactly and never
wall time, so they cannot flake on a slow machine.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from acd.clock import RealClock, VirtualClock, run_virtual, to_datetime
from telephony.sim.behaviour import Duration

pytestmark = pytest.mark.unit

START = 1_735_689_600.0  # 2025-01-01T00:00:00Z
HOUR = 3600.0


# --- VirtualClock / run_virtual --------------------------------------------------------------


def note_firing(
    fired: list[tuple[str, float]], name: str, clock: VirtualClock
) -> Callable[[], None]:
    """A timer callback that notes its name and the instant it ran."""
    return lambda: fired.append((name, clock.now()))


def test_virtual_clock_now_starts_at_the_given_epoch() -> None:
    async def main(clock: VirtualClock) -> float:
        return clock.now()

    assert run_virtual(main, START) == START


def test_an_hour_of_virtual_sleep_advances_the_clock_by_exactly_an_hour() -> None:
    async def main(clock: VirtualClock) -> float:
        await clock.sleep(HOUR)
        return clock.now()

    assert run_virtual(main, START) == START + HOUR


def test_consecutive_sleeps_add_up_in_virtual_time() -> None:
    async def main(clock: VirtualClock) -> list[float]:
        seen = []
        for delay in (60.0, 0.0, 240.0, 3300.0):
            await clock.sleep(delay)
            seen.append(clock.now() - START)
        return seen

    assert run_virtual(main, START) == [60.0, 60.0, 300.0, 3600.0]


def test_concurrent_sleeps_overlap_instead_of_adding_up() -> None:
    async def main(clock: VirtualClock) -> float:
        await asyncio.gather(clock.sleep(10.0), clock.sleep(HOUR), clock.sleep(20.0))
        return clock.now()

    assert run_virtual(main, START) == START + HOUR


def test_virtual_time_does_not_move_while_callbacks_are_ready() -> None:
    async def main(clock: VirtualClock) -> float:
        clock.call_later(HOUR, lambda: None)  # a far timer must not be jumped to early
        for _ in range(100):
            await asyncio.sleep(0)
        return clock.now()

    assert run_virtual(main, START) == START


def test_virtual_time_ignores_wall_time_spent_in_the_loop() -> None:
    async def main(clock: VirtualClock) -> float:
        time.sleep(0.01)  # blocking on purpose: real time passes, virtual time must not
        return clock.now()

    assert run_virtual(main, START) == START


def test_timers_fire_in_time_order_at_their_virtual_instants() -> None:
    async def main(clock: VirtualClock) -> list[tuple[str, float]]:
        fired: list[tuple[str, float]] = []
        for name, delay in (("thirty", 30.0), ("ten", 10.0), ("twenty", 20.0)):
            clock.call_later(delay, note_firing(fired, name, clock))
        await clock.sleep(60.0)
        return fired

    assert run_virtual(main, START) == [
        ("ten", START + 10.0),
        ("twenty", START + 20.0),
        ("thirty", START + 30.0),
    ]


def test_timers_due_at_the_same_instant_all_fire_at_that_instant() -> None:
    # asyncio leaves the order of callbacks scheduled for exactly the same time undefined
    # (heap of TimerHandles compared by `when` only), so only the set and the instant are checked.
    async def main(clock: VirtualClock) -> list[tuple[str, float]]:
        fired: list[tuple[str, float]] = []
        for name in ("a", "b", "c"):
            clock.call_later(5.0, note_firing(fired, name, clock))
        await clock.sleep(10.0)
        return fired

    fired = run_virtual(main, START)
    assert sorted(fired) == [("a", START + 5.0), ("b", START + 5.0), ("c", START + 5.0)]


def test_a_cancelled_timer_never_fires() -> None:
    async def main(clock: VirtualClock) -> list[str]:
        fired: list[str] = []
        cancelled = clock.call_later(5.0, lambda: fired.append("cancelled"))
        clock.call_later(6.0, lambda: fired.append("kept"))
        cancelled.cancel()
        await clock.sleep(10.0)
        cancelled.cancel()  # cancelling again, after its time, is harmless
        return fired

    assert run_virtual(main, START) == ["kept"]


def test_a_negative_delay_fires_at_once_without_moving_time_back() -> None:
    async def main(clock: VirtualClock) -> list[float]:
        await clock.sleep(100.0)
        fired: list[float] = []
        clock.call_later(-50.0, lambda: fired.append(clock.now()))
        await clock.sleep(0.0)
        await clock.sleep(0.0)
        return fired

    assert run_virtual(main, START) == [START + 100.0]


def test_wait_for_times_out_in_virtual_time() -> None:
    async def main(clock: VirtualClock) -> float:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(clock.sleep(HOUR), timeout=90.0)
        return clock.now()

    assert run_virtual(main, START) == START + 90.0


def test_wait_for_returns_when_the_awaited_work_ends_first() -> None:
    async def work(clock: VirtualClock) -> str:
        await clock.sleep(30.0)
        return "done"

    async def main(clock: VirtualClock) -> tuple[str, float]:
        result = await asyncio.wait_for(work(clock), timeout=90.0)
        return result, clock.now()

    assert run_virtual(main, START) == ("done", START + 30.0)


def test_run_virtual_passes_an_exception_from_main_through() -> None:
    async def main(clock: VirtualClock) -> None:
        await clock.sleep(1.0)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_virtual(main, START)


def test_each_run_virtual_starts_a_fresh_timeline() -> None:
    async def main(clock: VirtualClock) -> float:
        await clock.sleep(HOUR)
        return clock.now()

    assert run_virtual(main, START) == START + HOUR
    assert run_virtual(main, 0.0) == HOUR


def test_to_datetime_is_an_aware_utc_datetime() -> None:
    assert to_datetime(START) == datetime(2025, 1, 1, tzinfo=UTC)
    assert to_datetime(START).tzinfo is UTC


# --- RealClock ---------------------------------------------------------------------------------

WALL_TOLERANCE_S = 1.0
REAL_WAIT_S = 2.0  # generous: only guards against a hang


def test_real_clock_now_follows_the_system_clock() -> None:
    assert abs(RealClock().now() - time.time()) < WALL_TOLERANCE_S


async def test_real_clock_call_later_runs_the_callback_on_the_running_loop() -> None:
    loop = asyncio.get_running_loop()
    ran_on: asyncio.Future[asyncio.AbstractEventLoop] = loop.create_future()
    RealClock().call_later(0.01, lambda: ran_on.set_result(asyncio.get_running_loop()))
    assert await asyncio.wait_for(ran_on, REAL_WAIT_S) is loop


async def test_real_clock_timer_can_be_cancelled() -> None:
    fired: list[str] = []
    clock = RealClock()
    timer = clock.call_later(0.01, lambda: fired.append("cancelled"))
    timer.cancel()
    await clock.sleep(0.05)
    assert fired == []


async def test_real_clock_negative_delay_runs_soon() -> None:
    done = asyncio.Event()
    RealClock().call_later(-1.0, done.set)
    await asyncio.wait_for(done.wait(), REAL_WAIT_S)


def test_real_clock_call_later_outside_a_loop_is_refused() -> None:
    with pytest.raises(RuntimeError):
        RealClock().call_later(1.0, lambda: None)


# --- simulated durations (telephony.sim.behaviour.Duration) ------------------------------------

DRAWS = 20_000
MEAN_TOLERANCE = 0.05  # relative; the sample mean's standard error here is 0.7 %


def test_fixed_duration_always_draws_its_mean() -> None:
    rng = random.Random(1)
    assert {Duration(3.0, fixed=True).draw(rng) for _ in range(100)} == {3.0}


@pytest.mark.parametrize("mean", [-5.0, 0.0])
def test_a_non_positive_mean_draws_zero(mean: float) -> None:
    rng = random.Random(1)
    assert Duration(mean).draw(rng) == 0.0
    assert Duration(mean, fixed=True).draw(rng) == 0.0


@pytest.mark.parametrize("mean", [3.0, 180.0])
def test_exponential_duration_has_the_given_mean_and_spread(mean: float) -> None:
    rng = random.Random(20250101)
    draws = [Duration(mean).draw(rng) for _ in range(DRAWS)]
    assert min(draws) >= 0.0
    assert math.isclose(statistics.fmean(draws), mean, rel_tol=MEAN_TOLERANCE)
    # an exponential's standard deviation equals its mean; a fixed or uniform draw would not
    assert math.isclose(statistics.pstdev(draws), mean, rel_tol=MEAN_TOLERANCE)


def test_the_same_seed_draws_the_same_durations() -> None:
    first, second = random.Random(7), random.Random(7)
    assert [Duration(60.0).draw(first) for _ in range(10)] == [
        Duration(60.0).draw(second) for _ in range(10)
    ]
