"""Business figures over tickets: overdue tickets (count and rate), tickets flagged as errors by
disposition, backlog and backlog growth per interval.

NOT WIRED TO DATA YET: Hotline has no ticket table (the CRM issue adds tickets and dispositions).
These functions define the figures on a documented input, so the CRM only has to hand over a frame
of this shape:

    ticket_id    str
    created_at   float  epoch seconds
    due_at       float  epoch seconds; NaN when the ticket has no due date
    resolved_at  float  epoch seconds; NaN while the ticket is open
    disposition  str    the disposition it was closed (or last filed) with; "" when none
    is_error     bool   flagged as an error (a wrong order, a wrong answer, ...)

Definitions: a ticket is open at t when created before t and not resolved before t; it is overdue
at t when open at t and due before t; overdue rate = overdue / open. Backlog at t = tickets open
at t; backlog growth over an interval = backlog at its end − backlog at its start (= created −
resolved in it). Error figures count tickets created in the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TICKET_COLUMNS = ("ticket_id", "created_at", "due_at", "resolved_at", "disposition", "is_error")


def check_tickets(tickets: pd.DataFrame) -> None:
    """Refuse a frame that lacks a ticket column, naming the missing ones."""
    missing = [c for c in TICKET_COLUMNS if c not in tickets]
    if missing:
        raise ValueError(f"tickets frame lacks column(s) {', '.join(missing)}")


def _open_at(tickets: pd.DataFrame, t: float) -> pd.Series:
    resolved = tickets["resolved_at"]
    return (tickets["created_at"] < t) & (resolved.isna() | (resolved >= t))


def tickets_overdue(tickets: pd.DataFrame, as_of: float) -> dict[str, float | int]:
    """Open and overdue tickets at `as_of`, and the overdue rate (NaN when none is open)."""
    check_tickets(tickets)
    is_open = _open_at(tickets, as_of)
    overdue = is_open & (tickets["due_at"] < as_of)
    n_open, n_overdue = int(is_open.sum()), int(overdue.sum())
    return {
        "open": n_open,
        "overdue": n_overdue,
        "overdue_rate": n_overdue / n_open if n_open else float("nan"),
    }


def errors_by_disposition(tickets: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Per disposition, tickets created in [start, end), how many are errors, and the share."""
    check_tickets(tickets)
    created = tickets[(tickets["created_at"] >= start) & (tickets["created_at"] < end)]
    table = created.groupby("disposition", sort=True).agg(
        tickets=("ticket_id", "size"), errors=("is_error", "sum")
    )
    table["errors"] = table["errors"].astype(np.int64)
    table["error_rate"] = table["errors"] / table["tickets"]
    return table.reset_index()


def backlog(tickets: pd.DataFrame, edges: np.ndarray) -> pd.DataFrame:
    """Per interval [edges[i], edges[i+1]): created, resolved, backlog at start and end, growth."""
    check_tickets(tickets)
    created = np.sort(tickets["created_at"].to_numpy(dtype=np.float64))
    resolved = np.sort(tickets["resolved_at"].dropna().to_numpy(dtype=np.float64))
    # Open at t: created before t, minus resolved before t (a ticket is resolved after creation).
    level = np.searchsorted(created, edges, side="left") - np.searchsorted(
        resolved, edges, side="left"
    )
    return pd.DataFrame(
        {
            "interval_start": edges[:-1],
            "interval_end": edges[1:],
            "created": np.diff(np.searchsorted(created, edges, side="left")),
            "resolved": np.diff(np.searchsorted(resolved, edges, side="left")),
            "backlog_start": level[:-1],
            "backlog_end": level[1:],
            "backlog_growth": np.diff(level),
        }
    )
