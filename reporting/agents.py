"""Agent figures: calls handled, talk, hold, wrap-up, pause (by reason), logged-in time, AHT,
occupancy and ring-no-answer count, per agent and optionally per interval.

- calls handled, talk, wrap-up: the agent's answered calls (from the call records), each counted
  whole in the interval it was answered in (a call answered after the window's end, that arrived
  inside it, is counted in the last interval). Hold is not recorded yet: 0 everywhere.
- AHT = (talk + hold + wrap-up) / calls handled.
- logged-in and paused time: spans from AGENTLOGIN / AGENTLOGOFF and PAUSE / UNPAUSE events (the
  pause reason is the PAUSE event's `reason`), cut at interval edges and at the window, so an agent
  logged in from 22:00 to 02:00 has 2 h on each day. An agent whose first known event is not a
  login was logged in (and, for an UNPAUSE, paused) since before the window.
- busy time: talk and wrap-up spans of the handled calls, cut the same way;
  idle = logged-in − paused − busy (never below 0); occupancy = busy / (busy + idle).
- ring-no-answer: RINGNOANSWER events, counted in the interval they happened in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reporting.agent_spans import (
    AGENT_STATE_KINDS,
    AGENTLOGIN,
    AGENTLOGOFF,
    PAUSE,
    UNKNOWN_REASON,
    UNPAUSE,
    Spans,
    agent_spans,
    span_frames,
)
from reporting.grouping import codes_of, group_table, take
from reporting.intervals import FloatArray, split_spans
from reporting.service import HOLD_S

RINGNOANSWER = "RINGNOANSWER"
PAUSE_PREFIX = "pause_"
# Re-exported: the spans are worked out in `reporting.agent_spans`.
__all__: Sequence[str] = (
    "AGENTLOGIN",
    "AGENTLOGOFF",
    "AGENT_STATE_KINDS",
    "PAUSE",
    "RINGNOANSWER",
    "UNKNOWN_REASON",
    "UNPAUSE",
    "AgentInputs",
    "Spans",
    "agent_spans",
    "agent_table",
    "finish_agents",
)
AGENT_COLUMNS = (
    "calls_handled",
    "talk_s",
    "hold_s",
    "wrap_s",
    "aht_s",
    "logged_in_s",
    "paused_s",
    "busy_s",
    "idle_s",
    "occupancy",
    "ring_no_answer",
)


@dataclass(frozen=True, slots=True)
class AgentInputs:
    """What agent figures are computed from, already limited to the report window."""

    handled: pd.DataFrame  # answered records: agent_id, answered_at, ended_at, wrap_up_ended_at
    agent_events: pd.DataFrame  # AGENT_STATE_KINDS (may start before the window)
    ring_no_answer: pd.DataFrame  # RINGNOANSWER events in the window: agent_id, at
    edges: FloatArray  # interval edges, already cut to the window
    close_at: float  # where spans still open are closed (the window end, or "now")


def _bucket_clipped(times: FloatArray, edges: FloatArray) -> np.ndarray:
    index = np.searchsorted(edges, times, side="right") - 1
    return np.clip(index, 0, len(edges) - 2).astype(np.int64)


def _split_sum(
    keys: dict[str, Any], starts: FloatArray, ends: FloatArray, edges: FloatArray, name: str
) -> pd.Series:
    """Seconds of the spans per key and interval, the spans cut at the interval edges (each key
    is a column of one value per span: an array or a categorical)."""
    rows, buckets, seconds = split_spans(starts, ends, edges)
    columns = {k: take(v, rows) for k, v in keys.items()} | {"interval": buckets}
    return group_table(pd.DataFrame({name: seconds}), columns, [name])[name]


def _agent_codes(handled: pd.DataFrame) -> pd.Categorical:
    """The agent of each handled call as a categorical (grouped by code, not by text)."""
    codes, agents = codes_of(handled["agent_id"])
    return pd.Categorical.from_codes(codes, categories=agents)


def _busy(inputs: AgentInputs) -> pd.Series:
    h = inputs.handled
    ends_talk = h["ended_at"].to_numpy(dtype=np.float64)
    wrap_end = h["wrap_up_ended_at"].to_numpy(dtype=np.float64)
    # Talk then wrap-up, back to back: one span from the answer to the later of the two ends
    # (none while the call's end is unknown).
    ends = np.where(np.isnan(ends_talk), np.nan, np.fmax(ends_talk, wrap_end))
    starts = h["answered_at"].to_numpy(dtype=np.float64)
    return _split_sum({"agent_id": _agent_codes(h)}, starts, ends, inputs.edges, "busy_s")


def _handled(inputs: AgentInputs) -> pd.DataFrame:
    h = inputs.handled
    talk = (h["ended_at"] - h["answered_at"]).to_numpy(dtype=np.float64)
    wrap = (h["wrap_up_ended_at"] - h["ended_at"]).fillna(0.0).to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {
            "calls_handled": np.ones(len(h), dtype=np.int64),
            "talk_s": np.nan_to_num(talk),
            "wrap_s": np.where(np.isnan(talk), 0.0, wrap),
        }
    )
    keys = {
        "agent_id": _agent_codes(h),
        "interval": _bucket_clipped(h["answered_at"].to_numpy(np.float64), inputs.edges),
    }
    return group_table(frame, keys, list(frame.columns))


def _time_columns(inputs: AgentInputs) -> Iterator[pd.Series | pd.DataFrame]:
    spans = span_frames(inputs.agent_events, inputs.close_at)
    logged = spans.logged
    yield _split_sum(
        {"agent_id": logged["agent_id"].to_numpy(dtype=object)},
        logged["start"].to_numpy(np.float64),
        logged["end"].to_numpy(np.float64),
        inputs.edges,
        "logged_in_s",
    )
    paused = spans.paused
    by_reason = _split_sum(
        {
            "agent_id": paused["agent_id"].to_numpy(dtype=object),
            "column": (PAUSE_PREFIX + paused["reason"] + "_s").to_numpy(dtype=object),
        },
        paused["start"].to_numpy(np.float64),
        paused["end"].to_numpy(np.float64),
        inputs.edges,
        "seconds",
    )
    if len(by_reason):
        yield by_reason.unstack("column")
    yield _busy(inputs)


def agent_table(inputs: AgentInputs) -> pd.DataFrame:
    """Agent figures per (agent_id, interval index): see the module docstring."""
    rna = inputs.ring_no_answer
    rna_counts = (
        pd.DataFrame(
            {
                "agent_id": rna["agent_id"].to_numpy(),
                "interval": _bucket_clipped(rna["at"].to_numpy(np.float64), inputs.edges),
            }
        )
        .groupby(["agent_id", "interval"])
        .size()
        .rename("ring_no_answer")
    )
    parts = [_handled(inputs), *_time_columns(inputs), rna_counts]
    table = pd.concat(parts, axis=1).sort_index()
    table.index = table.index.set_names(["agent_id", "interval"])
    return finish_agents(table.fillna(0.0))


def finish_agents(table: pd.DataFrame) -> pd.DataFrame:
    """Derived columns (paused total, idle, AHT, occupancy) from summed seconds and counts."""
    t = table
    for name in ("calls_handled", "talk_s", "wrap_s", "logged_in_s", "busy_s", "ring_no_answer"):
        if name not in t:
            t[name] = 0.0
    reasons = sorted(c for c in t.columns if c.startswith(PAUSE_PREFIX))
    t["paused_s"] = t[reasons].sum(axis=1) if reasons else 0.0
    t["hold_s"] = t["calls_handled"] * HOLD_S
    t["idle_s"] = (t["logged_in_s"] - t["paused_s"] - t["busy_s"]).clip(lower=0.0)
    handle = t["talk_s"] + t["hold_s"] + t["wrap_s"]
    t["aht_s"] = handle / t["calls_handled"].where(t["calls_handled"] > 0)
    occupied = t["busy_s"] + t["idle_s"]
    t["occupancy"] = t["busy_s"] / occupied.where(occupied > 0)
    t["calls_handled"] = t["calls_handled"].astype(np.int64)
    t["ring_no_answer"] = t["ring_no_answer"].astype(np.int64)
    return t[[*AGENT_COLUMNS, *reasons]]
