"""Business and outbound figures on their documented input shapes (not wired to data yet: there
are no tickets and no dialer), checked on small hand-computed frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reporting.business import backlog, errors_by_disposition, tickets_overdue
from reporting.outbound import outbound_table, rolling_abandon_rates

pytestmark = pytest.mark.unit

NAN = math.nan
DAY = 86_400.0


def tickets() -> pd.DataFrame:
    # created, due, resolved, disposition, error
    rows = [
        ("t1", 0, 100, 50, "fixed", False),  # resolved in time
        ("t2", 10, 100, 150, "fixed", True),  # resolved late, flagged as an error
        ("t3", 20, 100, NAN, "", False),  # open, overdue after 100
        ("t4", 30, NAN, NAN, "pending", False),  # open, no due date
        ("t5", 200, 300, NAN, "pending", True),  # created later
    ]
    return pd.DataFrame(
        rows,
        columns=["ticket_id", "created_at", "due_at", "resolved_at", "disposition", "is_error"],
    )


def test_overdue_counts_open_tickets_past_their_due_time():
    assert tickets_overdue(tickets(), 120) == {"open": 3, "overdue": 2, "overdue_rate": 2 / 3}
    assert tickets_overdue(tickets(), 60)["overdue"] == 0
    empty = tickets().iloc[0:0]
    assert math.isnan(tickets_overdue(empty, 10)["overdue_rate"])


def test_errors_are_counted_by_disposition_for_tickets_created_in_the_window():
    table = errors_by_disposition(tickets(), 0, 100).set_index("disposition")
    assert table.loc["fixed"].tolist() == [2, 1, 0.5]
    assert table.loc["pending", "errors"] == 0
    assert "t5" not in table.index


def test_backlog_and_its_growth_per_interval():
    table = backlog(tickets(), np.array([0.0, 100.0, 200.0, 300.0]))
    assert table["created"].tolist() == [4, 0, 1]
    assert table["resolved"].tolist() == [1, 1, 0]
    assert table["backlog_start"].tolist() == [0, 3, 2]
    assert table["backlog_end"].tolist() == [3, 2, 3]
    assert table["backlog_growth"].tolist() == [3, -1, 1]


def test_a_tickets_frame_without_the_columns_is_refused():
    with pytest.raises(ValueError, match="due_at, resolved_at"):
        tickets_overdue(pd.DataFrame({"ticket_id": [], "created_at": []}), 0)


def attempts() -> pd.DataFrame:
    rows = [
        ("spring", 0, "human", 5.0, 6.5),  # connected 1.5 s after the greeting: fine
        ("spring", 10, "human", 15.0, 17.5),  # 2.5 s: an abandon
        ("spring", 20, "human", 25.0, NAN),  # never connected: an abandon
        ("spring", 30, "machine", NAN, NAN),
        ("spring", 40, "no-answer", NAN, NAN),
        ("autumn", 50, "busy", NAN, NAN),
    ]
    return pd.DataFrame(
        rows,
        columns=["campaign", "started_at", "result", "human_answered_at", "agent_connected_at"],
    )


def test_outbound_attempts_answers_machines_and_abandons_per_campaign():
    table = outbound_table(attempts()).set_index("campaign")
    spring = table.loc["spring"]
    assert spring[["attempts", "live_answers", "machines", "abandons"]].tolist() == [5, 3, 1, 2]
    assert spring["abandon_rate"] == pytest.approx(2 / 3)
    assert math.isnan(table.loc["autumn", "abandon_rate"])  # no live answer: no rate


def test_connected_exactly_two_seconds_after_the_greeting_is_not_an_abandon():
    frame = attempts().iloc[[0]].assign(agent_connected_at=7.0)
    assert outbound_table(frame)["abandons"].tolist() == [0]


def test_rolling_abandon_rates_over_a_day_and_thirty_days():
    frame = attempts()
    frame.loc[1, "human_answered_at"] = -2 * DAY  # the late connect was two days ago
    rates = rolling_abandon_rates(frame, as_of=100.0).set_index("campaign")
    assert rates.loc["spring", "abandon_rate_24h"] == pytest.approx(1 / 2)
    assert rates.loc["spring", "abandon_rate_30d"] == pytest.approx(2 / 3)
    assert math.isnan(rates.loc["autumn", "abandon_rate_24h"])


def test_an_attempts_frame_without_the_columns_is_refused():
    with pytest.raises(ValueError, match="agent_connected_at"):
        outbound_table(attempts().drop(columns="agent_connected_at"))
