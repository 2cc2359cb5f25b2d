"""Erlang B and Erlang C: how many agents a queue needs for a service-level target.

The formulas are the ones in DESIGN.md "Definitions", with offered load A = λ·AHT (Erlangs):

- Erlang B by its recurrence B₀ = 1, Bₖ = A·Bₖ₋₁ / (k + A·Bₖ₋₁). Every Bₖ stays in (0, 1], so the
  recurrence is numerically stable for loads of many thousands of Erlangs, where the textbook
  form Aᴺ/N! / Σ Aᵏ/k! would overflow.
- Erlang C (probability a caller waits): C = N·B / (N − A·(1 − B)).
- Service level SL(t) = 1 − C·e^(−(N−A)·t/AHT); average speed of answer ASA = C·AHT / (N − A).

With N ≤ A the queue is unstable (it grows without bound): every caller waits, nobody is answered
within any threshold, and the average wait is infinite.
"""

from __future__ import annotations

import math


def _check_load(n: int, a: float) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"number of agents must be a whole number >= 0, got {n!r}")
    if not math.isfinite(a) or a < 0:
        raise ValueError(f"offered load must be a finite number of Erlangs >= 0, got {a!r}")


def _load(arrival_rate_per_s: float, aht_s: float) -> float:
    """Offered load in Erlangs, after checking the inputs make sense."""
    if not math.isfinite(arrival_rate_per_s) or arrival_rate_per_s < 0:
        raise ValueError(f"arrival rate must be a finite number >= 0, got {arrival_rate_per_s!r}")
    if not math.isfinite(aht_s) or aht_s <= 0:
        raise ValueError(f"average handle time must be a finite number > 0, got {aht_s!r}")
    return arrival_rate_per_s * aht_s


def _erlang_b_step(k: int, a: float, previous: float) -> float:
    """One step of the Erlang B recurrence: B(k) from B(k-1)."""
    return a * previous / (k + a * previous)


def _erlang_c_from_b(n: int, a: float, b: float) -> float:
    """Erlang C for a stable queue (n > a), given Erlang B for the same n and a."""
    return n * b / (n - a * (1.0 - b))


def erlang_b(n: int, a: float) -> float:
    """Blocking probability with `n` servers and `a` Erlangs of offered load (no queue)."""
    _check_load(n, a)
    b = 1.0
    for k in range(1, n + 1):
        b = _erlang_b_step(k, a, b)
    return b


def erlang_c(n: int, a: float) -> float:
    """Probability that a caller has to wait; 1.0 when the queue is unstable (n <= a)."""
    _check_load(n, a)
    if n <= a:
        return 1.0
    return _erlang_c_from_b(n, a, erlang_b(n, a))


def _service_level(n: int, a: float, c: float, aht_s: float, threshold_s: float) -> float:
    """SL(t) for a stable queue, given its Erlang C."""
    sl = 1.0 - c * math.exp(-(n - a) * threshold_s / aht_s)
    return min(1.0, max(0.0, sl))


def _check_threshold(threshold_s: float) -> None:
    if not math.isfinite(threshold_s) or threshold_s < 0:
        raise ValueError(
            f"service-level threshold must be a finite number >= 0, got {threshold_s!r}"
        )


def service_level(n: int, arrival_rate_per_s: float, aht_s: float, threshold_s: float) -> float:
    """Share of calls answered within `threshold_s` seconds; 0.0 when the queue is unstable."""
    a = _load(arrival_rate_per_s, aht_s)
    _check_threshold(threshold_s)
    c = erlang_c(n, a)
    if n <= a:
        return 0.0
    return _service_level(n, a, c, aht_s, threshold_s)


def asa_s(n: int, arrival_rate_per_s: float, aht_s: float) -> float:
    """Average speed of answer in seconds; math.inf when the queue is unstable."""
    a = _load(arrival_rate_per_s, aht_s)
    c = erlang_c(n, a)
    if n <= a:
        return math.inf
    return c * aht_s / (n - a)


def occupancy(n: int, arrival_rate_per_s: float, aht_s: float) -> float:
    """Share of the agents' time spent handling calls (A/N), capped at 1.0 when unstable."""
    a = _load(arrival_rate_per_s, aht_s)
    _check_load(n, a)
    if n == 0:
        raise ValueError("occupancy needs at least one agent")
    return min(1.0, a / n)


def _check_targets(target_sl: float, max_occupancy: float | None) -> None:
    # SL(t) < 1 whenever there is traffic, so a target of 100 % could never be met.
    if not math.isfinite(target_sl) or not 0.0 <= target_sl < 1.0:
        raise ValueError(f"target service level must be in [0, 1), got {target_sl!r}")
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"maximum occupancy must be in (0, 1], got {max_occupancy!r}")


def agents_needed(
    arrival_rate_per_s: float,
    aht_s: float,
    threshold_s: float,
    target_sl: float,
    max_occupancy: float | None = None,
) -> int:
    """Smallest number of agents whose SL(threshold_s) reaches `target_sl` (and, when given,
    whose occupancy stays at or below `max_occupancy`)."""
    a = _load(arrival_rate_per_s, aht_s)
    _check_threshold(threshold_s)
    _check_targets(target_sl, max_occupancy)
    n = math.floor(a) + 1  # the smallest stable staffing
    b = erlang_b(n, a)
    # SL grows with N, so walk upwards, carrying the Erlang B recurrence along (O(N) in total).
    while not _meets(n, a, b, aht_s, threshold_s, target_sl, max_occupancy):
        n += 1
        b = _erlang_b_step(n, a, b)
    return n


def _meets(
    n: int,
    a: float,
    b: float,
    aht_s: float,
    threshold_s: float,
    target_sl: float,
    max_occupancy: float | None,
) -> bool:
    """Whether `n` agents (Erlang B `b`) meet both targets."""
    if max_occupancy is not None and a / n > max_occupancy:
        return False
    c = _erlang_c_from_b(n, a, b)
    return _service_level(n, a, c, aht_s, threshold_s) >= target_sl
