"""What each report column holds, for the exporters: its kind (time, seconds, rate, count, text)
and the label shown in a workbook.

Kinds follow the column names the report uses: `interval_start`, `interval_end` and `*_at` are
times (float epoch seconds), `*_s` are durations in seconds, the rate names are fractions, the
count names are whole numbers; everything else is text.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pandas as pd

from reporting.agents import PAUSE_PREFIX


class Kind(StrEnum):
    """How a column is written."""

    TIME = "time"
    SECONDS = "seconds"
    RATE = "rate"
    COUNT = "count"
    TEXT = "text"


RATES = frozenset(
    {
        "service_level",
        "answer_rate",
        "answered_beyond_threshold_rate",
        "loss_rate",
        "occupancy",
        "overdue_rate",
        "error_rate",
        "abandon_rate",
    }
)
TIMES = frozenset({"interval_start", "interval_end"})
LABELS = {
    "interval_start": "Interval start",
    "interval_end": "Interval end",
    "queue": "Queue",
    "agent_id": "Agent",
    "dnis": "Number dialled (DNIS)",
    "campaign": "Campaign",
    "offered": "Offered",
    "answered": "Answered",
    "answered_within_threshold": "Answered in time",
    "abandoned": "Abandoned",
    "short_abandoned": "Short abandons",
    "overflowed_out": "Overflowed out",
    "still_waiting": "Still waiting",
    "blocked": "Turned away (queue full or empty)",
    "ivr_handled": "IVR-handled",
    "agent_handled": "Agent-handled",
    "service_level": "Service level",
    "answer_rate": "Answer rate",
    "answered_beyond_threshold_rate": "Answered beyond threshold",
    "loss_rate": "Loss (abandon) rate",
    "asa_s": "ASA (s)",
    "longest_wait_s": "Longest wait (s)",
    "avg_talk_s": "Average talk (s)",
    "avg_hold_s": "Average hold (s)",
    "avg_wrap_s": "Average wrap-up (s)",
    "aht_s": "AHT (s)",
    "calls_handled": "Calls handled",
    "talk_s": "Talk (s)",
    "hold_s": "Hold (s)",
    "wrap_s": "Wrap-up (s)",
    "logged_in_s": "Logged in (s)",
    "paused_s": "Paused (s)",
    "busy_s": "Busy (s)",
    "idle_s": "Idle (s)",
    "occupancy": "Occupancy",
    "ring_no_answer": "Rang, not answered",
    "call_id": "Call",
    "arrived_at": "Arrived",
    "direction": "Direction",
    "ani": "Caller (ANI)",
    "outcome": "Outcome",
    "ended_by": "Ended by",
    "queued_at": "Queued",
    "answered_at": "Answered at",
    "ended_at": "Ended",
    "wait_s": "Wait (s)",
}


def kind_of(name: str, dtype: object = None) -> Kind:
    """The kind of a column, from its name (and its dtype, for counts)."""
    if name in TIMES or name.endswith("_at"):
        return Kind.TIME
    if name in RATES:
        return Kind.RATE
    if name.endswith("_s"):
        return Kind.SECONDS
    if dtype is not None and pd.api.types.is_integer_dtype(dtype):
        return Kind.COUNT
    return Kind.TEXT


def label(name: str) -> str:
    """The workbook header of a column ('pause_lunch_s' -> 'Pause: lunch (s)')."""
    if name in LABELS:
        return LABELS[name]
    if name.startswith(PAUSE_PREFIX) and name.endswith("_s"):
        return f"Pause: {name[len(PAUSE_PREFIX) : -2]} (s)"
    return name.replace("_", " ").capitalize()


def local_times(epoch_s: pd.Series | npt.NDArray[np.float64], tz: str) -> pd.DatetimeIndex:
    """Epoch seconds as aware datetimes in the zone `tz` (NaT where NaN)."""
    values = np.asarray(epoch_s, dtype=np.float64)
    return pd.to_datetime(values, unit="s", utc=True).tz_convert(tz)
