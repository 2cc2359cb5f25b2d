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

`service_sums` gives the sums behind the figures for the finest grouping a report needs;
`roll_up_service` sums them over fewer keys (counts and seconds add up, the longest wait is the
longest of the longest), so coarser tables never go back to the contacts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reporting.grouping import group_table, roll_up
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
    dtype = result.dtype
    if isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == list(RESULTS):
        return np.asarray(result.cat.codes)
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
        }
    )
    for name in OPTIONAL_COUNTS:
        if name in contacts:
            out[name] = contacts[name].to_numpy(dtype=bool)
    return out


SUM_COLUMNS = (
    *COUNT_COLUMNS,
    "_answer_wait",
    "_handled",
    "_talk",
    "_wrap",
)
MAX_COLUMNS = ("longest_wait_s",)


def _sum_names(flags: pd.DataFrame) -> list[str]:
    return [*SUM_COLUMNS, *(c for c in OPTIONAL_COUNTS if c in flags)]


def service_sums(
    contacts: pd.DataFrame, keys: Sequence[str], short_abandon_s: float
) -> pd.DataFrame:
    """The summed counts and seconds behind the service figures, per group of `keys` (one row
    when `keys` is empty): finish with `finish_service`, or sum further with `roll_up_service`."""
    flags = _indicators(contacts, short_abandon_s)
    flags = flags.rename(columns={"_stopped_wait": "longest_wait_s"})
    if not keys:
        return roll_up(flags, [], _sum_names(flags), MAX_COLUMNS)
    columns = {key: contacts[key] for key in keys}
    return group_table(flags, columns, _sum_names(flags), MAX_COLUMNS)


def roll_up_service(sums: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """`service_sums` per group of fewer `keys` (a subset of its own; none: one row)."""
    return roll_up(sums, keys, _sum_names(sums), MAX_COLUMNS)


def service_table(
    contacts: pd.DataFrame, keys: Sequence[str], short_abandon_s: float
) -> pd.DataFrame:
    """The service figures per group of `keys` (one row for the whole frame when `keys` is empty).

    Groups are the key combinations present in `contacts`; see `complete_groups` to add empty ones.
    """
    return finish_service(service_sums(contacts, keys, short_abandon_s))


def finish_service(table: pd.DataFrame) -> pd.DataFrame:
    """Ratios and averages from the summed columns; drops the helper sums."""
    # On plain arrays: the tables are small, and Series arithmetic would align their indexes
    # again at every step.
    c = {name: table[name].to_numpy(dtype=np.float64) for name in table.columns}
    handled = c["_handled"]
    figures = {
        "service_level": _ratio(
            c["answered_within_threshold"], c["answered"] + c["abandoned"] - c["short_abandoned"]
        ),
        "answer_rate": _ratio(c["answered"], c["offered"]),
        "answered_beyond_threshold_rate": _ratio(
            c["answered"] - c["answered_within_threshold"], c["answered"]
        ),
        "loss_rate": _ratio(c["abandoned"], c["offered"]),
        "asa_s": _ratio(c["_answer_wait"], c["answered"]),
        "longest_wait_s": c["longest_wait_s"],
        "avg_talk_s": _ratio(c["_talk"], handled),
        "avg_hold_s": _ratio(handled * HOLD_S, handled),
        "avg_wrap_s": _ratio(c["_wrap"], handled),
        "aht_s": _ratio(c["_talk"] + handled * HOLD_S + c["_wrap"], handled),
    }
    counts = [name for name in (*COUNT_COLUMNS, *OPTIONAL_COUNTS) if name in table]
    out = {name: c[name].astype(np.int64) for name in counts}
    return pd.DataFrame(out | figures, index=table.index)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is not above 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


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
