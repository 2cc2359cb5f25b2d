"""Service figures of a group of contacts (queue visits, or whole calls), per DESIGN.md
"Definitions":

- offered: entered a queue; answered: connected to an agent; abandoned: hung up while waiting;
  short abandoned: abandoned within `short_abandon_s` (counted in `abandoned` too, and left out of
  the service level); overflowed out: left for the overflow destination; still waiting: no end yet.
  offered = answered + abandoned + overflowed_out + still_waiting.
- service level SL(T) = answered within T / (answered + abandoned − short abandoned).
- ASA = mean wait of answered; longest wait: of contacts that stopped waiting (any outcome).
- answer rate = answered / offered; loss rate = abandoned / offered; answered-beyond-threshold
  rate = answered after T / answered.
- average talk, wrap-up and AHT = talk + hold + wrap-up per answered contact whose call has ended
  (hold is not recorded yet, so it is 0 everywhere).

A contact frame has `result` (answered/abandoned/overflowed/waiting, or NaN when the contact was
never queued), `wait_s`, `threshold_s`, `talk_s`, `wrap_s` (NaN when unknown), optional boolean
`ivr_handled` and `agent_handled`, and the grouping keys. A ratio with a zero denominator is NaN:
"no data", never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reporting.visits import ABANDONED, ANSWERED, OVERFLOWED, RESULTS, WAITING

COUNT_COLUMNS = (
    "offered",
    "answered",
    "answered_within_threshold",
    "abandoned",
    "short_abandoned",
    "overflowed_out",
    "still_waiting",
)
RATE_COLUMNS = ("service_level", "answer_rate", "answered_beyond_threshold_rate", "loss_rate")
SECONDS_COLUMNS = ("asa_s", "longest_wait_s", "avg_talk_s", "avg_hold_s", "avg_wrap_s", "aht_s")
SERVICE_COLUMNS = (*COUNT_COLUMNS, *RATE_COLUMNS, *SECONDS_COLUMNS)
OPTIONAL_COUNTS = ("ivr_handled", "agent_handled", "blocked")
HOLD_S = 0.0  # hold is not recorded yet (no HOLD/UNHOLD events): every hold figure is 0


_CODE = {name: code for code, name in enumerate(RESULTS)}


def _result_codes(result: pd.Series) -> np.ndarray:
    """Result as small ints (RESULTS order; -1 for a contact never queued)."""
    categorical = pd.Categorical(result, categories=RESULTS)
    return np.asarray(categorical.codes)


def _indicators(contacts: pd.DataFrame, short_abandon_s: float) -> pd.DataFrame:
    """Per-contact 0/1 counts and the seconds each contributes to the sums."""
    codes = _result_codes(contacts["result"])
    wait = contacts["wait_s"].to_numpy(dtype=np.float64)
    answered = codes == _CODE[ANSWERED]
    abandoned = codes == _CODE[ABANDONED]
    overflowed = codes == _CODE[OVERFLOWED]
    stopped = answered | abandoned | overflowed
    talk_known = answered & ~np.isnan(contacts["talk_s"].to_numpy(dtype=np.float64))
    out = pd.DataFrame(
        {
            "offered": codes >= 0,
            "answered": answered,
            "answered_within_threshold": answered
            & (wait <= contacts["threshold_s"].to_numpy(dtype=np.float64)),
            "abandoned": abandoned,
            "short_abandoned": abandoned & (wait <= short_abandon_s),
            "overflowed_out": overflowed,
            "still_waiting": codes == _CODE[WAITING],
            "_answer_wait": np.where(answered, wait, 0.0),
            "_stopped_wait": np.where(stopped, wait, np.nan),
            "_handled": talk_known,
            "_talk": np.where(talk_known, contacts["talk_s"], 0.0),
            "_wrap": np.where(talk_known, contacts["wrap_s"].fillna(0.0), 0.0),
        },
        index=contacts.index,
    )
    for name in OPTIONAL_COUNTS:
        if name in contacts:
            out[name] = contacts[name].to_numpy(dtype=bool)
    return out


def service_table(
    contacts: pd.DataFrame, keys: Sequence[str], short_abandon_s: float
) -> pd.DataFrame:
    """The service figures per group of `keys` (one row for the whole frame when `keys` is empty).

    Groups are the key combinations present in `contacts`; see `complete_groups` to add empty ones.
    """
    flags = _indicators(contacts, short_abandon_s)
    sums = [c for c in flags.columns if c != "_stopped_wait"]
    if keys:
        grouped = flags.join(contacts[list(keys)]).groupby(list(keys), observed=True, sort=True)
        table = grouped[sums].sum()
        table["longest_wait_s"] = grouped["_stopped_wait"].max()
    else:
        table = flags[sums].sum().to_frame().T
        table["longest_wait_s"] = flags["_stopped_wait"].max()
    return finish_service(table)


def finish_service(table: pd.DataFrame) -> pd.DataFrame:
    """Ratios and averages from the summed columns; drops the helper sums."""
    t = table
    handled = t["_handled"].astype(np.float64)
    t["service_level"] = _ratio(
        t["answered_within_threshold"], t["answered"] + t["abandoned"] - t["short_abandoned"]
    )
    t["answer_rate"] = _ratio(t["answered"], t["offered"])
    t["answered_beyond_threshold_rate"] = _ratio(
        t["answered"] - t["answered_within_threshold"], t["answered"]
    )
    t["loss_rate"] = _ratio(t["abandoned"], t["offered"])
    t["asa_s"] = _ratio(t["_answer_wait"], t["answered"])
    t["avg_talk_s"] = _ratio(t["_talk"], handled)
    t["avg_hold_s"] = _ratio(handled * HOLD_S, handled)
    t["avg_wrap_s"] = _ratio(t["_wrap"], handled)
    t["aht_s"] = _ratio(t["_talk"] + handled * HOLD_S + t["_wrap"], handled)
    counts = [c for c in (*COUNT_COLUMNS, *OPTIONAL_COUNTS) if c in t]
    t[counts] = t[counts].astype(np.int64)
    extra = [c for c in OPTIONAL_COUNTS if c in t]
    return t[[*COUNT_COLUMNS, *extra, *RATE_COLUMNS, *SECONDS_COLUMNS]]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    num = numerator.astype(np.float64)
    den = denominator.astype(np.float64)
    return (num / den.where(den > 0)).astype(np.float64)


def complete_groups(table: pd.DataFrame, levels: Sequence[Sequence[object]]) -> pd.DataFrame:
    """Every combination of the given key values as a row: groups without contacts get zero counts
    and NaN ratios (so an interval with no calls still shows, as 0 offered)."""
    if table.index.nlevels == 1:
        full = pd.Index(list(levels[0]), name=table.index.name)
    else:
        full = pd.MultiIndex.from_product([list(v) for v in levels], names=table.index.names)
    out = table.reindex(full)
    counts = [c for c in (*COUNT_COLUMNS, *OPTIONAL_COUNTS) if c in out]
    out[counts] = out[counts].fillna(0).astype(np.int64)
    return out
