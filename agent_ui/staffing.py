"""Staffing advice for the wallboard: how many agents a queue needs now, by Erlang C.

"Needs N agents for 80 % in 20 s; you have M": the arrival rate is what the queue was offered in
the last hour, the handle time its average handle time today (or the queue's expected handle
time before it has one), the target its service level. Pure: figures in, advice out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.center import QueueDef
from reporting.erlang import agents_needed

GAUGE_AMBER_POINTS = 0.10  # within ten points under the target: amber, not yet red


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """What a queue saw: calls offered over `window_s` seconds, and its handle time."""

    offered: int
    window_s: float
    aht_s: float | None


def staffing_advice(queue: QueueDef, load: QueueLoad, staffed: int) -> dict[str, Any]:
    """Agents needed for the queue's target at the observed load, beside those on duty."""
    rate = load.offered / load.window_s if load.window_s > 0 else 0.0
    aht = load.aht_s if load.aht_s and load.aht_s > 0 else queue.expected_handle_s
    needed = 0
    if rate > 0:
        needed = agents_needed(rate, aht, queue.service_level_s, queue.service_level_target)
    return {
        "needed": needed,
        "staffed": staffed,
        "arrival_per_hour": round(rate * 3600, 1),
        "aht_s": round(aht, 1),
        "target": queue.service_level_target,
        "threshold_s": queue.service_level_s,
    }


def gauge(service_level: float | None, target: float) -> str:
    """green at or above the target, amber within ten points under it, red below; grey: none."""
    if service_level is None:
        return "grey"
    if service_level >= target:
        return "green"
    # Rounded: 0.8 - 0.1 is 0.7000000000000001 in floating point, and 70 % is amber.
    return "amber" if round(target - service_level, 9) <= GAUGE_AMBER_POINTS else "red"
