"""Whole calls as report contacts (center-wide, per DNIS, per campaign), and queue visits with the
talk and wrap-up of the call they were answered in.

Center-wide figures count each call once, from its call record: offered if it entered a queue,
answered if an agent took it, abandoned if the record says so, overflowed out if it left the
queues for a voicemail box or a hang-up. Its wait runs from the first queue to the answer (or to
the end), as in `reporting.summary`. A queued call with no record yet is in progress: its visits
say whether it is still waiting, being answered, or gone elsewhere. A call is counted in the
interval in which it arrived (an in-progress one: in which it first entered a queue).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from reporting.grouping import codes_of
from reporting.visits import ABANDONED, ANSWERED, OVERFLOWED, RESULTS, WAITING

OUTCOME_ABANDONED = "abandoned"
OUTCOME_IVR = "ivr"
CALL_KEYS = ("dnis", "campaign")
DETAIL_COLUMNS = (
    "call_id",
    "arrived_at",
    "direction",
    "ani",
    "dnis",
    "campaign",
    "queue",
    "agent_id",
    "outcome",
    "ended_by",
    "queued_at",
    "answered_at",
    "ended_at",
)


def _durations(records: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Talk and wrap-up seconds of answered, ended calls (NaN otherwise)."""
    talk = records["ended_at"] - records["answered_at"]
    wrap = (records["wrap_up_ended_at"] - records["ended_at"]).where(talk.notna())
    return talk, wrap.fillna(0.0).where(talk.notna())


def finished_calls(
    records: pd.DataFrame, threshold_s: float, keys: Sequence[str] = CALL_KEYS
) -> pd.DataFrame:
    """Contact rows for finished calls (one per record), with the `keys` the records have."""
    queued = records["queued_at"].notna()
    answered = records["answered_at"].notna() & queued
    abandoned = (records["outcome"] == OUTCOME_ABANDONED) & queued & ~answered
    codes = np.full(len(records), -1, dtype=np.int8)  # -1: never queued
    codes[queued.to_numpy()] = RESULTS.index(OVERFLOWED)
    codes[abandoned.to_numpy()] = RESULTS.index(ABANDONED)
    codes[answered.to_numpy()] = RESULTS.index(ANSWERED)
    end = records["answered_at"].where(records["answered_at"].notna(), records["ended_at"])
    talk, wrap = _durations(records)
    contacts = pd.DataFrame(
        {
            "at": records["arrived_at"].to_numpy(),
            "result": pd.Categorical.from_codes(codes, categories=RESULTS),
            "wait_s": (end - records["queued_at"]).to_numpy(),
            "threshold_s": threshold_s,
            "talk_s": talk.to_numpy(),
            "wrap_s": wrap.to_numpy(),
            "ivr_handled": (records["outcome"] == OUTCOME_IVR).to_numpy(),
            "agent_handled": records["answered_at"].notna().to_numpy(),
        }
    )
    for key in keys:
        if key in records:
            contacts[key] = records[key].to_numpy() if len(records) else []
    return contacts


def calls_in_progress(visits: pd.DataFrame, threshold_s: float) -> pd.DataFrame:
    """Contact rows for queued calls that have no record yet, from their visits (`record`, the
    position of the call's record, is -1 for those)."""
    open_visits = visits[visits["record"].to_numpy() < 0]
    if open_visits.empty:
        return pd.DataFrame(columns=["call_id", "at", "result", "wait_s", "threshold_s"])
    by_call = open_visits.sort_values("entered_at", kind="stable").groupby("call_id", sort=False)
    first_in = by_call["entered_at"].first()
    last_result = by_call["result"].last().astype(object)
    answered = open_visits[open_visits["result"] == ANSWERED].groupby("call_id")["ended_at"].min()
    result = last_result.where(~last_result.index.isin(answered.index), ANSWERED)
    waited_until = answered.reindex(first_in.index)
    last_end = by_call["ended_at"].last()
    waited_until = waited_until.fillna(last_end.where(result != WAITING))
    zero = pd.Series(0, index=first_in.index, dtype=bool)
    return pd.DataFrame(
        {
            "call_id": first_in.index,
            "at": first_in.to_numpy(),
            "result": pd.Categorical(result.to_numpy(), categories=RESULTS),
            "wait_s": (waited_until - first_in).to_numpy(),
            "threshold_s": threshold_s,
            "talk_s": np.nan,
            "wrap_s": np.nan,
            "ivr_handled": zero.to_numpy(),
            "agent_handled": (result == ANSWERED).to_numpy(),
        }
    )


def visits_with_talk(
    visits: pd.DataFrame,
    records: pd.DataFrame,
    thresholds: Mapping[str, float],
    default_threshold_s: float,
    keys: Sequence[str] = CALL_KEYS,
) -> pd.DataFrame:
    """Visits as contacts: each with its queue's threshold, and, when it is the visit the call
    was answered in (the record's queue), the call's talk and wrap-up; with the `keys` the records
    have. `record` on each visit is the position of its call's record in `records` (-1 if none)."""
    contacts = visits.copy(deep=False)
    queue_codes, queues = codes_of(contacts["queue"])
    limits = np.array([thresholds.get(str(q), default_threshold_s) for q in queues] + [np.nan])
    contacts["threshold_s"] = limits[queue_codes].astype(np.float64)
    position = contacts["record"].to_numpy(dtype=np.int64)
    found = position >= 0
    safe = np.where(found, position, 0)
    talk, wrap = _durations(records)
    mine = found & (contacts["result"] == ANSWERED).to_numpy() & (queue_codes >= 0)
    if len(records):
        record_codes, record_queues = codes_of(records["queue"])
        # The record's queue, as a code of the visits' queues (-1: a queue no visit is in).
        as_visit_code = np.append(queues.get_indexer(record_queues), -1)
        mine &= as_visit_code[record_codes[safe]] == queue_codes
    contacts["talk_s"] = np.where(mine, talk.to_numpy()[safe] if len(records) else 0, np.nan)
    contacts["wrap_s"] = np.where(mine, wrap.to_numpy()[safe] if len(records) else 0, np.nan)
    for key in keys:
        if key in records:
            values = records[key].to_numpy(dtype=object)[safe] if len(records) else ""
            contacts[key] = np.where(found, values, "")
    return contacts


def detail(records: pd.DataFrame) -> pd.DataFrame:
    """One row per call, oldest first, for the Detail sheet and CSV: the record with its wait and
    durations (a column the records were read without is left empty)."""
    if not records["arrived_at"].is_monotonic_increasing:
        records = records.sort_values("arrived_at", kind="stable")
    talk, wrap = _durations(records)
    end = records["answered_at"].where(records["answered_at"].notna(), records["ended_at"])
    names = [n for n in DETAIL_COLUMNS if n != "campaign" or n in records]
    out = pd.DataFrame({name: _plain(records, name) for name in names}, index=records.index)
    out["wait_s"] = end - records["queued_at"]
    out["talk_s"] = talk
    out["hold_s"] = talk * 0.0  # hold is not recorded yet
    out["wrap_s"] = wrap
    return out.reset_index(drop=True)


def _plain(records: pd.DataFrame, name: str) -> pd.Series | str:
    """A column for the listing, categorical text as plain text ("" if the records lack it)."""
    if name not in records:
        return ""
    column = records[name]
    return column.astype(str) if isinstance(column.dtype, pd.CategoricalDtype) else column
