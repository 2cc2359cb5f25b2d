"""Agent spans worked out on arrays (`reporting.agent_spans`) against a plain event-by-event replay
of the same rules, on random event sequences (Hypothesis), and the grouping helpers the report
tables go through (`reporting.grouping`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.agent_spans import AGENT_STATE_KINDS, UNKNOWN_REASON, agent_spans
from reporting.grouping import group_table, roll_up

pytestmark = pytest.mark.unit

CLOSE_AT = 1000.0


@dataclass
class _State:
    logged_since: float | None = None
    pause_since: float | None = None
    reason: str = ""


def replay(events: list[tuple[str, str, float, str]]) -> tuple[list[tuple], list[tuple]]:
    """The rules of `reporting.agent_spans`, one event at a time (events in seq order)."""
    logged: list[tuple] = []
    paused: list[tuple] = []
    states: dict[str, _State] = {}

    def close_pause(agent: str, state: _State, at: float) -> None:
        if state.pause_since is not None:
            paused.append((agent, state.pause_since, at, state.reason or UNKNOWN_REASON))
            state.pause_since = None

    for agent, kind, at, reason in events:
        if agent not in states:
            states[agent] = _State()
            if kind != "AGENTLOGIN":
                states[agent].logged_since = -math.inf
                if kind == "UNPAUSE":
                    states[agent].pause_since = -math.inf
        state = states[agent]
        if kind == "AGENTLOGIN" and state.logged_since is None:
            state.logged_since = at
        elif kind == "PAUSE":
            close_pause(agent, state, at)
            if state.logged_since is None:
                state.logged_since = at
            state.pause_since, state.reason = at, reason
        elif kind in ("UNPAUSE", "AGENTLOGOFF"):
            close_pause(agent, state, at)
            if kind == "AGENTLOGOFF" and state.logged_since is not None:
                logged.append((agent, state.logged_since, at))
                state.logged_since = None
    for agent, state in states.items():
        close_pause(agent, state, CLOSE_AT)
        if state.logged_since is not None:
            logged.append((agent, state.logged_since, CLOSE_AT))
    return sorted(logged), sorted(paused)


def frame(events: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seq": np.arange(len(events), dtype=np.int64),
            "at": [e[2] for e in events],
            "kind": [e[1] for e in events],
            "agent_id": [e[0] for e in events],
            "data_reason": [e[3] for e in events],
        }
    )


event = st.tuples(
    st.sampled_from(["x", "y", "z"]),
    st.sampled_from([*AGENT_STATE_KINDS, "RINGNOANSWER"]),
    st.just(0.0),
    st.sampled_from(["", "lunch", "break"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(event, max_size=30))
def test_array_spans_match_an_event_by_event_replay(events):
    timed = [(a, k, float(10 * i), r) for i, (a, k, _, r) in enumerate(events)]
    found = agent_spans(frame(timed), CLOSE_AT)
    agent_events = [e for e in timed if e[1] in AGENT_STATE_KINDS]
    assert (sorted(found.logged), sorted(found.paused)) == replay(agent_events)


def test_events_are_replayed_in_seq_order_not_row_order():
    events = frame([("x", "AGENTLOGOFF", 50.0, ""), ("x", "AGENTLOGIN", 10.0, "")])
    events["seq"] = [2, 1]
    assert agent_spans(events, CLOSE_AT).logged == [("x", 10.0, 50.0)]


def test_events_without_an_agent_or_of_other_kinds_are_ignored():
    events = frame([("", "AGENTLOGIN", 0.0, ""), ("x", "ENTERQUEUE", 5.0, "")])
    assert agent_spans(events, CLOSE_AT).logged == []
    assert agent_spans(frame([]), CLOSE_AT).paused == []


def test_given_categorical_and_missing_keys_when_grouped_then_sums_per_value_sorted():
    values = pd.DataFrame({"n": [1, 2, 3, 4, 5], "w": [1.0, 9.0, 3.0, np.nan, 2.0]})
    queue = pd.Categorical(["b", "a", "b", None, "a"], categories=["b", "a", "c"])
    table = group_table(values, {"queue": queue, "i": np.array([0, 1, 0, 0, 1])}, ["n"], ["w"])
    assert table.index.tolist() == [("a", 1), ("b", 0)]  # the missing queue is left out
    assert table["n"].tolist() == [7, 4]
    assert table["w"].tolist() == [9.0, 3.0]
    total = roll_up(table, [], ["n"], ["w"])
    assert (total["n"].iloc[0], total["w"].iloc[0]) == (11, 9.0)
    assert roll_up(table, ["queue"], ["n"], ["w"])["n"].to_dict() == {"a": 7, "b": 4}


def test_given_no_rows_when_grouped_then_the_table_is_empty():
    empty = pd.DataFrame({"n": np.zeros(0, dtype=np.int64)})
    assert group_table(empty, {"k": np.zeros(0, dtype=np.int64)}, ["n"]).empty
