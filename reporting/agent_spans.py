"""Logged-in and paused spans of agents, from their AGENTLOGIN, AGENTLOGOFF, PAUSE and UNPAUSE
events, worked out on whole arrays (a month of a large center has tens of thousands of them).

Each agent's events are read in `seq` order:

- a login span starts at an AGENTLOGIN, or at a PAUSE, when the agent is logged out, and ends at
  the next AGENTLOGOFF; another AGENTLOGIN while logged in changes nothing;
- a pause starts at each PAUSE (with that event's reason, "unspecified" when it has none) and
  ends at the agent's next PAUSE (a new reason ends the previous pause), UNPAUSE or AGENTLOGOFF;
- an agent whose first event is not a login was logged in since before the data (from -inf),
  and, when that event is an UNPAUSE, paused too;
- spans still open after the last event are closed at `close_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

AGENTLOGIN = "AGENTLOGIN"
AGENTLOGOFF = "AGENTLOGOFF"
PAUSE = "PAUSE"
UNPAUSE = "UNPAUSE"
AGENT_STATE_KINDS = (AGENTLOGIN, AGENTLOGOFF, PAUSE, UNPAUSE)
UNKNOWN_REASON = "unspecified"
_LOGIN, _LOGOFF, _PAUSE, _UNPAUSE = range(4)


@dataclass(slots=True)
class Spans:
    """Logged-in and paused spans of every agent."""

    logged: list[tuple[str, float, float]] = field(default_factory=list)
    paused: list[tuple[str, float, float, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SpanFrames:
    """The same spans as frames: logged (agent_id, start, end), paused (... and reason)."""

    logged: pd.DataFrame
    paused: pd.DataFrame


@dataclass(frozen=True, slots=True)
class _Events:
    """One agent's events after another's, each agent's in seq order."""

    agent: np.ndarray  # agent ids
    kind: np.ndarray  # _LOGIN, _LOGOFF, _PAUSE or _UNPAUSE
    at: np.ndarray
    reason: np.ndarray
    first: np.ndarray  # the agent's first event
    last: np.ndarray  # the agent's last event


def _events(agent_events: pd.DataFrame) -> _Events:
    kinds = agent_events["kind"].astype(object).to_numpy()
    agents = agent_events["agent_id"].astype(object).to_numpy()
    keep = np.isin(kinds, AGENT_STATE_KINDS) & (agents != "")
    agent_codes, _ = pd.factorize(agents[keep], sort=True)
    order = np.lexsort((agent_events["seq"].to_numpy(dtype=np.int64)[keep], agent_codes))
    rows = np.flatnonzero(keep)[order]
    codes = agent_codes[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = first[1:]
    if "data_reason" in agent_events:
        reason = agent_events["data_reason"].astype(object).to_numpy()[rows]
    else:
        reason = np.full(len(rows), "", dtype=object)
    kind_codes = {name: code for code, name in enumerate(AGENT_STATE_KINDS)}
    return _Events(
        agent=agents[rows],
        kind=np.array([kind_codes[k] for k in kinds[rows]], dtype=np.int64),
        at=agent_events["at"].to_numpy(dtype=np.float64)[rows],
        reason=reason,
        first=first,
        last=last,
    )


def _logged_in(e: _Events) -> tuple[np.ndarray, np.ndarray]:
    """Whether each agent is logged in before and after each of its events."""
    n = len(e.kind)
    value = np.where((e.kind == _LOGIN) | (e.kind == _PAUSE), 1, np.where(e.kind == _LOGOFF, 0, -1))
    # Before its first event an agent is logged out only if that event is a login.
    initial = (e.kind != _LOGIN).astype(np.int64)
    value[e.first] = np.where(e.kind[e.first] == _LOGOFF, 0, 1)
    known = np.where(value >= 0, np.arange(n), 0)  # an UNPAUSE keeps the state before it
    after = value[np.maximum.accumulate(known)] if n else value
    before = np.empty(n, dtype=np.int64)
    before[1:] = after[:-1]
    before[e.first] = initial[e.first]
    return before.astype(bool), after.astype(bool)


def _logged_spans(e: _Events, close_at: float) -> pd.DataFrame:
    before, after = _logged_in(e)
    position = np.arange(len(e.kind), dtype=np.float64)
    # Starts and ends alternate within each agent, agents one after another: pair them in order.
    opens = after & ~before
    already = e.first & before
    ends = (e.kind == _LOGOFF) & before
    still = e.last & after
    start_at = np.concatenate([e.at[opens], np.full(already.sum(), -np.inf)])
    start_pos = np.concatenate([position[opens], position[already] - 0.5])
    end_at = np.concatenate([e.at[ends], np.full(still.sum(), close_at)])
    end_pos = np.concatenate([position[ends], position[still] + 0.5])
    starts, stops = np.argsort(start_pos, kind="stable"), np.argsort(end_pos, kind="stable")
    agent = np.concatenate([e.agent[opens], e.agent[already]])[starts]
    return pd.DataFrame({"agent_id": agent, "start": start_at[starts], "end": end_at[stops]})


def _paused_spans(e: _Events, close_at: float) -> pd.DataFrame:
    closers = np.flatnonzero(e.kind != _LOGIN)  # PAUSE, UNPAUSE, AGENTLOGOFF end a pause
    pauses = np.flatnonzero(e.kind == _PAUSE)
    following = np.searchsorted(closers, pauses, side="right")
    has_next = following < len(closers)
    nxt = closers[np.where(has_next, following, 0)] if len(closers) else pauses
    has_next &= e.agent[nxt] == e.agent[pauses]
    implied = np.flatnonzero(e.first & (e.kind == _UNPAUSE))
    reason = e.reason[pauses]
    frame = pd.DataFrame(
        {
            "agent_id": np.concatenate([e.agent[implied], e.agent[pauses]]),
            "start": np.concatenate([np.full(len(implied), -np.inf), e.at[pauses]]),
            "end": np.concatenate([e.at[implied], np.where(has_next, e.at[nxt], close_at)]),
            "reason": np.concatenate(
                [np.full(len(implied), UNKNOWN_REASON, dtype=object), _reasons(reason)]
            ),
            "_order": np.concatenate([implied, pauses]),
        }
    )
    return frame.sort_values("_order", kind="stable").drop(columns="_order")


def _reasons(reason: np.ndarray) -> np.ndarray:
    text = np.array([str(r) if r is not None and r == r else "" for r in reason], dtype=object)
    text[text == ""] = UNKNOWN_REASON
    return text


def span_frames(agent_events: pd.DataFrame, close_at: float) -> SpanFrames:
    """Logged-in and paused spans as frames (see the module docstring)."""
    e = _events(agent_events)
    return SpanFrames(_logged_spans(e, close_at), _paused_spans(e, close_at))


def agent_spans(agent_events: pd.DataFrame, close_at: float) -> Spans:
    """Logged-in and paused spans from agent events (columns seq, at, kind, agent_id, and
    data_reason for PAUSE); spans still open are closed at `close_at`."""
    frames = span_frames(agent_events, close_at)
    logged = frames.logged.itertuples(index=False, name=None)
    paused = frames.paused.itertuples(index=False, name=None)
    return Spans(
        logged=[(str(a), float(s), float(t)) for a, s, t in logged],
        paused=[(str(a), float(s), float(t), str(r)) for a, s, t, r in paused],
    )
