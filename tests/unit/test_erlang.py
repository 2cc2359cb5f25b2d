"""Erlang B/C: values from published tables, an exact independent oracle, and properties."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.erlang import (
    agents_needed,
    asa_s,
    erlang_b,
    erlang_c,
    occupancy,
    service_level,
)

pytestmark = pytest.mark.unit

# λ = 0.2 calls/s with AHT 240 s: A = 48 Erlangs (the check values of the brief).
RATE = 0.2
AHT = 240.0


def _exact_erlang_b(n: int, a: float) -> float:
    """The textbook form (Aᴺ/N!) / Σ Aᵏ/k!, in exact rational arithmetic."""
    load = Fraction(a)
    terms = [load**k / math.factorial(k) for k in range(n + 1)]
    return float(terms[-1] / sum(terms))


def _exact_erlang_c(n: int, a: float) -> float:
    """The textbook Erlang C: (Aᴺ/N!·N/(N−A)) / (Σ_{k<N} Aᵏ/k! + Aᴺ/N!·N/(N−A))."""
    load = Fraction(a)
    waiting = load**n / math.factorial(n) * n / (n - load)
    below = sum(load**k / math.factorial(k) for k in range(n))
    return float(waiting / (below + waiting))


# --- hand-checked values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "a", "expected"),
    [
        (1, 1.0, 0.5),
        (2, 1.0, 0.2),
        (5, 2.0, 0.0367),  # Erlang B table: 5 trunks, 2 Erlangs
        (10, 5.0, 0.01838),  # Erlang B table: 10 trunks, 5 Erlangs
        (0, 3.0, 1.0),  # no servers: everything is blocked
        (4, 0.0, 0.0),  # no traffic: nothing is blocked
    ],
)
def test_erlang_b_matches_published_table(n: int, a: float, expected: float) -> None:
    assert erlang_b(n, a) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(
    ("n", "a", "expected"),
    [
        (2, 1.0, 1 / 3),
        (11, 10.0, 0.6821),  # the classic 10-Erlang example
        (54, 48.0, 0.3013),
        (55, 48.0, 0.2387),
        (5, 0.0, 0.0),
    ],
)
def test_erlang_c_matches_hand_computed_value(n: int, a: float, expected: float) -> None:
    assert erlang_c(n, a) == pytest.approx(expected, abs=5e-5)


def test_brief_check_values_54_agents_20_s_and_55_agents_15_s() -> None:
    assert service_level(54, RATE, AHT, 20.0) == pytest.approx(0.817, abs=5e-4)
    assert service_level(55, RATE, AHT, 15.0) == pytest.approx(0.846, abs=5e-4)


def test_asa_for_48_erlangs_on_54_agents_is_c_times_aht_over_spare_capacity() -> None:
    assert asa_s(54, RATE, AHT) == pytest.approx(0.30130790 * 240 / 6, rel=1e-6)


def test_agents_needed_for_80_percent_in_20_s_at_48_erlangs_is_54() -> None:
    # 53 agents give about 76 %, 54 give 81.7 %.
    assert service_level(53, RATE, AHT, 20.0) < 0.8
    assert agents_needed(RATE, AHT, 20.0, 0.8) == 54


def test_agents_needed_respects_maximum_occupancy() -> None:
    # 54 agents meet the SL target but run at 48/54 = 88.9 % occupancy; 85 % needs 57.
    assert agents_needed(RATE, AHT, 20.0, 0.8, max_occupancy=0.85) == 57


def test_occupancy_is_load_over_agents() -> None:
    assert occupancy(60, RATE, AHT) == pytest.approx(0.8)


# --- unstable queues and edges --------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 47, 48])
def test_unstable_queue_waits_always_never_meets_sl_and_waits_forever(n: int) -> None:
    assert erlang_c(n, 48.0) == 1.0
    assert service_level(n, RATE, AHT, 20.0) == 0.0
    assert asa_s(n, RATE, AHT) == math.inf
    if n > 0:
        assert occupancy(n, RATE, AHT) == 1.0


def test_no_traffic_needs_one_agent_and_gives_full_service() -> None:
    assert agents_needed(0.0, AHT, 20.0, 0.95) == 1
    assert service_level(1, 0.0, AHT, 0.0) == 1.0
    assert asa_s(1, 0.0, AHT) == 0.0


def test_threshold_zero_gives_share_not_waiting() -> None:
    assert service_level(54, RATE, AHT, 0.0) == pytest.approx(1 - erlang_c(54, 48.0))


def test_large_load_stays_finite_and_is_fast() -> None:
    started = time.perf_counter()
    n = agents_needed(25.0, 300.0, 20.0, 0.9)  # A = 7,500 Erlangs
    elapsed = time.perf_counter() - started
    assert 7_500 < n < 7_800
    sl = service_level(n, 25.0, 300.0, 20.0)
    assert 0.9 <= sl < 1.0
    assert service_level(n - 1, 25.0, 300.0, 20.0) < 0.9
    assert 0.0 < erlang_b(n, 7_500.0) < 1.0
    assert elapsed < 1.0


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [-1, 2.5, True, "3"])
def test_erlang_b_rejects_agent_counts_that_are_not_whole_numbers(n: object) -> None:
    with pytest.raises(ValueError, match="number of agents"):
        erlang_b(n, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("a", [-0.1, math.nan, math.inf])
def test_erlang_c_rejects_impossible_loads(a: float) -> None:
    with pytest.raises(ValueError, match="offered load"):
        erlang_c(3, a)


@pytest.mark.parametrize(
    ("rate", "aht", "threshold", "message"),
    [
        (-0.1, AHT, 20.0, "arrival rate"),
        (math.nan, AHT, 20.0, "arrival rate"),
        (RATE, 0.0, 20.0, "handle time"),
        (RATE, -5.0, 20.0, "handle time"),
        (RATE, AHT, -1.0, "threshold"),
        (RATE, AHT, math.inf, "threshold"),
    ],
)
def test_service_level_rejects_bad_inputs_with_clear_message(
    rate: float, aht: float, threshold: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        service_level(54, rate, aht, threshold)


@pytest.mark.parametrize(
    ("target", "max_occ", "message"),
    [
        (1.0, None, "target service level"),
        (-0.1, None, "target service level"),
        (math.nan, None, "target service level"),
        (0.8, 0.0, "maximum occupancy"),
        (0.8, 1.5, "maximum occupancy"),
    ],
)
def test_agents_needed_rejects_unreachable_targets(
    target: float, max_occ: float | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        agents_needed(RATE, AHT, 20.0, target, max_occupancy=max_occ)


def test_occupancy_refuses_zero_agents() -> None:
    with pytest.raises(ValueError, match="at least one agent"):
        occupancy(0, RATE, AHT)


# --- properties ---------------------------------------------------------------------------------

loads = st.floats(min_value=0.0, max_value=60.0, allow_nan=False)
rates = st.floats(min_value=0.0, max_value=2.0, allow_nan=False)
ahts = st.floats(min_value=1.0, max_value=900.0, allow_nan=False)
thresholds = st.floats(min_value=0.0, max_value=300.0, allow_nan=False)
agents = st.integers(min_value=0, max_value=80)


@given(n=agents, a=loads)
def test_erlang_b_recurrence_equals_exact_textbook_formula(n: int, a: float) -> None:
    assert erlang_b(n, a) == pytest.approx(_exact_erlang_b(n, a), rel=1e-9, abs=1e-300)


@given(n=st.integers(min_value=1, max_value=80), a=loads)
def test_erlang_c_equals_exact_textbook_formula_and_is_at_least_erlang_b(n: int, a: float) -> None:
    if n <= a:
        return
    c = erlang_c(n, a)
    assert c == pytest.approx(_exact_erlang_c(n, a), rel=1e-9, abs=1e-300)
    assert erlang_b(n, a) <= c + 1e-15
    assert 0.0 <= c <= 1.0


@given(n=agents, rate=rates, aht=ahts, t=thresholds)
def test_service_level_is_within_0_and_1_and_grows_with_agents(
    n: int, rate: float, aht: float, t: float
) -> None:
    sl = service_level(n, rate, aht, t)
    more = service_level(n + 1, rate, aht, t)
    assert 0.0 <= sl <= 1.0
    assert more >= sl - 1e-12


@given(n=agents, rate=rates, aht=ahts, t=thresholds)
def test_service_level_grows_with_threshold(n: int, rate: float, aht: float, t: float) -> None:
    assert service_level(n, rate, aht, t + 10.0) >= service_level(n, rate, aht, t) - 1e-12


@given(n=agents, rate=rates, aht=ahts)
def test_asa_shrinks_with_agents_and_is_never_negative(n: int, rate: float, aht: float) -> None:
    asa = asa_s(n, rate, aht)
    assert asa >= 0.0
    assert asa_s(n + 1, rate, aht) <= asa


@given(
    rate=rates,
    aht=ahts,
    t=thresholds,
    target=st.floats(min_value=0.0, max_value=0.99),
    max_occ=st.none() | st.floats(min_value=0.3, max_value=1.0),
)
def test_agents_needed_is_the_smallest_staffing_meeting_every_target(
    rate: float, aht: float, t: float, target: float, max_occ: float | None
) -> None:
    n = agents_needed(rate, aht, t, target, max_occupancy=max_occ)
    a = rate * aht
    assert n > a
    assert service_level(n, rate, aht, t) >= target
    assert max_occ is None or a / n <= max_occ
    smaller = n - 1
    if smaller > a:
        too_busy = max_occ is not None and a / smaller > max_occ
        assert too_busy or service_level(smaller, rate, aht, t) < target
