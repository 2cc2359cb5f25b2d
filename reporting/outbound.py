"""Outbound figures: attempts, live answers, answering machines, abandons and the abandon rate, per
campaign (or any other grouping), and the rolling abandon rate over 24 hours and 30 days.

NOT WIRED TO DATA YET: the outbound dialer does not exist, so nothing records dial attempts. These
functions define the figures on a documented input, one row per dial attempt:

    campaign            str
    started_at          float  epoch seconds, when the number was dialled
    result              str    "human", "machine", "no-answer", "busy" or "failed"
    human_answered_at   float  epoch seconds, when the person's greeting ended (NaN unless human)
    agent_connected_at  float  epoch seconds, when an agent was connected (NaN if never)

Definitions (DESIGN.md): a live answer is an attempt answered by a person; an abandon is a live
answer not connected to an agent within `ABANDON_GRACE_S` (2 s) of the end of the greeting;
abandon rate = abandons / live answers, per campaign, over a rolling 24 h and 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

ATTEMPT_COLUMNS = ("campaign", "started_at", "result", "human_answered_at", "agent_connected_at")
ABANDON_GRACE_S = 2.0
HUMAN, MACHINE = "human", "machine"
DAY_S = 86_400.0
ROLLING_WINDOWS_S = {"abandon_rate_24h": DAY_S, "abandon_rate_30d": 30 * DAY_S}


def check_attempts(attempts: pd.DataFrame) -> None:
    """Refuse a frame that lacks an attempt column, naming the missing ones."""
    missing = [c for c in ATTEMPT_COLUMNS if c not in attempts]
    if missing:
        raise ValueError(f"attempts frame lacks column(s) {', '.join(missing)}")


def _flags(attempts: pd.DataFrame) -> pd.DataFrame:
    live = (attempts["result"] == HUMAN).to_numpy()
    delay = (attempts["agent_connected_at"] - attempts["human_answered_at"]).to_numpy()
    connected_in_time = ~np.isnan(delay) & (delay <= ABANDON_GRACE_S)
    return pd.DataFrame(
        {
            "attempts": 1,
            "live_answers": live.astype(np.int64),
            "machines": (attempts["result"] == MACHINE).to_numpy().astype(np.int64),
            "abandons": (live & ~connected_in_time).astype(np.int64),
        },
        index=attempts.index,
    )


def outbound_table(attempts: pd.DataFrame, keys: Sequence[str] = ("campaign",)) -> pd.DataFrame:
    """Attempts, live answers, machines, abandons and abandon rate per group of `keys`."""
    check_attempts(attempts)
    flags = _flags(attempts).join(attempts[list(keys)])
    table = flags.groupby(list(keys), sort=True)[
        ["attempts", "live_answers", "machines", "abandons"]
    ].sum()
    live = table["live_answers"].astype(np.float64)
    table["abandon_rate"] = table["abandons"] / live.where(live > 0)
    return table.reset_index()


def rolling_abandon_rates(attempts: pd.DataFrame, as_of: float) -> pd.DataFrame:
    """Per campaign, the abandon rate over the 24 hours and the 30 days up to `as_of`, by when
    the person answered (NaN for a window without live answers)."""
    check_attempts(attempts)
    flags = _flags(attempts).join(attempts[["campaign", "human_answered_at"]])
    out = pd.DataFrame(index=pd.Index(sorted(set(attempts["campaign"])), name="campaign"))
    for name, window_s in ROLLING_WINDOWS_S.items():
        answered = flags["human_answered_at"]
        inside = flags[(answered > as_of - window_s) & (answered <= as_of)]
        sums = inside.groupby("campaign")[["live_answers", "abandons"]].sum().reindex(out.index)
        live = sums["live_answers"].astype(np.float64)
        out[name] = sums["abandons"] / live.where(live > 0)
    return out.reset_index()
