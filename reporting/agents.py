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

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reporting.intervals import FloatArray, split_spans
from reporting.service import HOLD_S

AGENTLOGIN = "AGENTLOGIN"
AGENTLOGOFF = "AGENTLOGOFF"
PAUSE = "PAUSE"
UNPAUSE = "UNPAUSE"
AGENT_STATE_KINDS = (AGENTLOGIN, AGENTLOGOFF, PAUSE, UNPAUSE)
RINGNOANSWER = "RINGNOANSWER"
UNKNOWN_REASON = "unspecified"
PAUSE_PREFIX = "pause_"
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


@dataclass(slots=True)
class _AgentState:
    """One agent's open spans while its events are replayed."""

    logged_since: float | None = None
    pause_since: float | None = None
    reason: str = ""
    seen: bool = False


@dataclass(slots=True)
class Spans:
    """Logged-in and paused spans of every agent."""

    logged: list[tuple[str, float, float]] = field(default_factory=list)
    paused: list[tuple[str, float, float, str]] = field(default_factory=list)


def _close_pause(state: _AgentState, agent: str, at: float, spans: Spans) -> None:
    if state.pause_since is not None:
        spans.paused.append((agent, state.pause_since, at, state.reason or UNKNOWN_REASON))
        state.pause_since = None


def _apply(state: _AgentState, agent: str, kind: str, at: float, reason: str, out: Spans) -> None:
    """One agent event; an agent's first event other than a login implies it was logged in."""
    if not state.seen and kind != AGENTLOGIN:
        state.logged_since = -np.inf
        if kind == UNPAUSE:
            state.pause_since, state.reason = -np.inf, UNKNOWN_REASON
    state.seen = True
    if kind == AGENTLOGIN and state.logged_since is None:
        state.logged_since = at
    elif kind == PAUSE:
        _close_pause(state, agent, at, out)  # a new reason ends the previous pause
        state.logged_since = at if state.logged_since is None else state.logged_since
        state.pause_since, state.reason = at, reason
    elif kind == UNPAUSE:
        _close_pause(state, agent, at, out)
    elif kind == AGENTLOGOFF:
        _close_pause(state, agent, at, out)
        if state.logged_since is not None:
            out.logged.append((agent, state.logged_since, at))
            state.logged_since = None


def agent_spans(agent_events: pd.DataFrame, close_at: float) -> Spans:
    """Logged-in and paused spans from agent events (columns seq, at, kind, agent_id, and
    data_reason for PAUSE); spans still open are closed at `close_at`."""
    events = agent_events[agent_events["kind"].isin(AGENT_STATE_KINDS)]
    events = events[events["agent_id"] != ""].sort_values(["agent_id", "seq"], kind="stable")
    reasons = events["data_reason"] if "data_reason" in events else pd.Series("", events.index)
    spans = Spans()
    states: dict[str, _AgentState] = {}
    for agent, kind, at, reason in zip(
        events["agent_id"], events["kind"], events["at"], reasons, strict=True
    ):
        state = states.setdefault(agent, _AgentState())
        _apply(state, agent, kind, float(at), str(reason), spans)
    for agent, state in states.items():
        _close_pause(state, agent, close_at, spans)
        if state.logged_since is not None:
            spans.logged.append((agent, state.logged_since, close_at))
    return spans


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
    keys: dict[str, np.ndarray], starts: FloatArray, ends: FloatArray, edges: FloatArray, name: str
) -> pd.Series:
    """Seconds of the spans per key and interval, the spans cut at the interval edges."""
    rows, buckets, seconds = split_spans(starts, ends, edges)
    frame = pd.DataFrame({k: v[rows] for k, v in keys.items()})
    frame["interval"], frame[name] = buckets, seconds
    return frame.groupby([*keys, "interval"])[name].sum()


def _busy(inputs: AgentInputs) -> pd.Series:
    h = inputs.handled
    agents = np.concatenate([h["agent_id"].to_numpy(), h["agent_id"].to_numpy()])
    ends_talk = h["ended_at"].to_numpy(dtype=np.float64)
    wrap_end = h["wrap_up_ended_at"].fillna(h["ended_at"]).to_numpy(dtype=np.float64)
    starts = np.concatenate([h["answered_at"].to_numpy(dtype=np.float64), ends_talk])
    ends = np.concatenate([ends_talk, wrap_end])
    return _split_sum({"agent_id": agents}, starts, ends, inputs.edges, "busy_s")


def _handled(inputs: AgentInputs) -> pd.DataFrame:
    h = inputs.handled
    talk = (h["ended_at"] - h["answered_at"]).to_numpy(dtype=np.float64)
    wrap = (h["wrap_up_ended_at"] - h["ended_at"]).fillna(0.0).to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {
            "agent_id": h["agent_id"].to_numpy(),
            "interval": _bucket_clipped(h["answered_at"].to_numpy(np.float64), inputs.edges),
            "calls_handled": 1,
            "talk_s": np.nan_to_num(talk),
            "wrap_s": np.where(np.isnan(talk), 0.0, wrap),
        }
    )
    return frame.groupby(["agent_id", "interval"])[["calls_handled", "talk_s", "wrap_s"]].sum()


def _time_columns(inputs: AgentInputs) -> Iterator[pd.Series | pd.DataFrame]:
    spans = agent_spans(inputs.agent_events, inputs.close_at)
    logged = pd.DataFrame(spans.logged, columns=["agent_id", "start", "end"])
    yield _split_sum(
        {"agent_id": logged["agent_id"].to_numpy()},
        logged["start"].to_numpy(np.float64),
        logged["end"].to_numpy(np.float64),
        inputs.edges,
        "logged_in_s",
    )
    paused = pd.DataFrame(spans.paused, columns=["agent_id", "start", "end", "reason"])
    by_reason = _split_sum(
        {
            "agent_id": paused["agent_id"].to_numpy(),
            "column": (PAUSE_PREFIX + paused["reason"] + "_s").to_numpy(),
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
