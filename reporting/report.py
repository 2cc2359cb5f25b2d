"""A full report of a window: the center's totals, tables by interval, queue, agent, DNIS or
campaign, and the per-call detail, all from call records and call events (`reporting.data`).

Where the figures come from, and which interval counts them:

- queue figures (`by queue`): queue visits (`reporting.visits`), counted in the interval in which
  the call entered that queue; a call that overflows from A to B is offered in both;
- center-wide, DNIS and campaign figures: whole calls (`reporting.calls`), counted in the interval
  in which the call arrived;
- agent figures: `reporting.agents` (calls in the interval they were answered in, time split
  across intervals).

Each contact is looked at once: visits are summed by queue and interval, calls by interval, and
the by-queue table, the summary and a queue-by-interval grouping are sums of those sums.

Tables are pandas frames; times in them are float epoch seconds (columns `interval_start`,
`interval_end` and `*_at`), durations are seconds (`*_s`), rates are fractions. The exporters turn
times into the center's time zone. The service-level threshold is each queue's own for queue
figures and, center-wide, `threshold_s` (by default the strictest queue's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from config.center import Center, QueueDef
from reporting.agents import AgentInputs, agent_table, finish_agents
from reporting.calls import CALL_KEYS, calls_in_progress, detail, finished_calls, visits_with_talk
from reporting.data import ReportData
from reporting.grouping import codes_of
from reporting.intervals import IntervalSpec, bucket_index, interval_edges, parse_interval
from reporting.service import (
    complete_groups,
    finish_service,
    roll_up_service,
    service_sums,
    service_table,
)
from reporting.visits import visits_and_blocked

DIMENSIONS = ("interval", "queue", "agent", "dnis", "campaign")
INTERVAL = "interval"
# The record columns the figures read (the Detail reads them all).
FIGURE_COLUMNS = (
    "arrived_at",
    "queued_at",
    "answered_at",
    "ended_at",
    "wrap_up_ended_at",
    "outcome",
    "agent_id",
    *CALL_KEYS,
)
HOLD_NOTE = "Hold time is not recorded yet (no hold events): every hold figure is 0."
NO_CAMPAIGN = (
    "Calls carry no campaign yet (the outbound dialer is not built): there is nothing to group "
    "by campaign."
)


class ReportError(ValueError):
    """The report cannot be made as asked; the message says what to change."""


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """What to report: the window [start, end) in epoch seconds, the interval length, the
    grouping of the main table, the center-wide threshold, and `as_of` ("now" for a window that
    has not ended: spans still open are closed there)."""

    start: float
    end: float
    interval: IntervalSpec = field(default_factory=lambda: parse_interval("30m"))
    by: tuple[str, ...] = (INTERVAL,)
    threshold_s: float | None = None
    as_of: float | None = None

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise ReportError("the report window must end after it starts")
        check_dimensions(self.by)
        if self.threshold_s is not None and not self.threshold_s >= 0:
            raise ReportError(f"the threshold must be >= 0 seconds, got {self.threshold_s}")

    @property
    def close_at(self) -> float:
        """Where spans still open at the end of the data are closed."""
        return self.end if self.as_of is None else max(self.start, min(self.end, self.as_of))


def check_dimensions(by: Sequence[str]) -> None:
    """Refuse unknown, repeated or incompatible grouping dimensions."""
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown or not by:
        raise ReportError(
            f"cannot group by {', '.join(unknown) or 'nothing'}: use {', '.join(DIMENSIONS)}"
        )
    if len(set(by)) != len(by):
        raise ReportError(f"a dimension is repeated in {', '.join(by)}")
    if "agent" in by and set(by) - {"agent", INTERVAL}:
        raise ReportError("agent figures can be split by interval only (not by queue, DNIS...)")


@dataclass(frozen=True)
class Report:
    """Every table of one report (see the module docstring for units).

    `detail`, the per-call listing, is made from `records` (those read: the detail lists the
    ones that arrived in the window) the first time it is asked for: the figures alone never
    pay for it.
    """

    spec: ReportSpec
    center_name: str
    timezone: str
    threshold_s: float
    short_abandon_s: float
    summary: dict[str, Any]
    by_interval: pd.DataFrame
    by_queue: pd.DataFrame
    by_agent: pd.DataFrame
    grouped: pd.DataFrame
    notes: tuple[str, ...]
    records: pd.DataFrame = field(repr=False)

    @cached_property
    def detail(self) -> pd.DataFrame:
        """One row per call of the window, oldest first (`reporting.calls.detail`)."""
        return detail(_in_window(self.records, self.spec))


@dataclass(frozen=True)
class _Frames:
    """The intermediate frames every table is grouped from, and the sums of the finest groups
    (visits by queue and interval, calls by interval) that the coarser tables roll up."""

    edges: np.ndarray
    calls: pd.DataFrame
    visits: pd.DataFrame
    blocked: pd.DataFrame
    agents: pd.DataFrame
    queues: tuple[str, ...]
    queue_sums: pd.DataFrame
    call_sums: pd.DataFrame


def queue_thresholds(center: Center) -> dict[str, float]:
    """Each queue's service-level threshold, seconds."""
    return {name: queue.service_level_s for name, queue in center.queues.items()}


def center_threshold(center: Center, override: float | None = None) -> float:
    """The center-wide threshold: `override`, else the strictest queue's, else the default."""
    if override is not None:
        return override
    return min(queue_thresholds(center).values(), default=QueueDef().service_level_s)


def build_report(data: ReportData, center: Center, spec: ReportSpec) -> Report:
    """Compute every table of the report."""
    if "campaign" in spec.by and "campaign" not in data.records:
        raise ReportError(NO_CAMPAIGN)
    threshold = center_threshold(center, spec.threshold_s)
    short = center.center.short_abandon_s
    records = _in_window(data.records, spec, FIGURE_COLUMNS)
    frames = _frames(data, records, center, spec, threshold, short)
    by_queue = _queue_table(frames, ["queue"], short)
    by_agent = _agent_totals(frames.agents)
    return Report(
        spec=spec,
        center_name=center.center.name,
        timezone=center.center.timezone,
        threshold_s=threshold,
        short_abandon_s=short,
        summary=_summary(frames, by_agent, records),
        by_interval=_labelled(_call_table(frames, [INTERVAL], short), frames.edges),
        by_queue=by_queue.reset_index(),
        by_agent=by_agent.reset_index(),
        grouped=_labelled(_grouped(frames, spec.by, short), frames.edges),
        notes=_notes(data),
        records=data.records,
    )


def distinct(values: pd.Series) -> list[Any]:
    """The different values of a column, sorted."""
    codes, labels = codes_of(values)
    return sorted(labels.take(np.unique(codes[codes >= 0])).tolist())


def _in_window(
    records: pd.DataFrame, spec: ReportSpec, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The records of calls that arrived in the window (with only `columns`, when given: the
    others, such as call ids, are not copied)."""
    arrived = records["arrived_at"]
    chosen = records if columns is None else records[[c for c in columns if c in records]]
    if arrived.is_monotonic_increasing:
        # Read oldest first: the window is one slice, taken without copying the columns.
        times = arrived.to_numpy(dtype=np.float64)
        lo, hi = np.searchsorted(times, [spec.start, spec.end], side="left")
        return chosen.iloc[lo:hi]
    return chosen[((arrived >= spec.start) & (arrived < spec.end)).to_numpy()]


def _frames(
    data: ReportData,
    records: pd.DataFrame,
    center: Center,
    spec: ReportSpec,
    threshold: float,
    short: float,
) -> _Frames:
    edges = interval_edges(spec.start, spec.end, spec.interval, ZoneInfo(center.center.timezone))
    window_edges = np.clip(edges, spec.start, spec.end)
    visits, blocked = visits_and_blocked(data.queue_events, spec.start, spec.end)
    if "record" not in visits:  # events not made by `reporting.data`
        visits["record"] = pd.Index(data.records["call_id"]).get_indexer(visits["call_id"])
    keys = [key for key in CALL_KEYS if key in spec.by]
    queue_contacts = visits_with_talk(
        visits, data.records, queue_thresholds(center), threshold, keys
    )
    queue_contacts[INTERVAL] = bucket_index(queue_contacts["entered_at"].to_numpy(), window_edges)
    calls = _calls(records, visits, threshold, keys)
    calls[INTERVAL] = bucket_index(calls["at"].to_numpy(np.float64), window_edges)
    blocked[INTERVAL] = bucket_index(blocked["at"].to_numpy(np.float64), window_edges)
    agents = agent_table(
        AgentInputs(
            handled=_handled(records),
            agent_events=data.agent_events,
            ring_no_answer=data.ring_no_answer,
            edges=np.clip(edges, spec.start, spec.close_at),
            close_at=spec.close_at,
        )
    )
    queues = tuple(dict.fromkeys([*center.queues, *distinct(visits["queue"])]))
    queue_sums = service_sums(queue_contacts, ["queue", INTERVAL], short)
    call_sums = service_sums(calls, [INTERVAL], short)
    return _Frames(edges, calls, queue_contacts, blocked, agents, queues, queue_sums, call_sums)


def _calls(
    records: pd.DataFrame, visits: pd.DataFrame, threshold: float, keys: Sequence[str]
) -> pd.DataFrame:
    """Finished calls (from their records) and calls in progress (from their visits)."""
    finished = finished_calls(records, threshold, keys)
    ongoing = calls_in_progress(visits, threshold).drop(columns="call_id")
    if ongoing.empty:
        calls = finished
    else:
        ongoing = ongoing.astype({c: finished.dtypes[c] for c in ongoing.columns})
        calls = pd.concat([finished, ongoing], ignore_index=True)
    for key in keys:
        if key in calls:
            calls[key] = calls[key].astype(object).fillna("")
    return calls


def _handled(records: pd.DataFrame) -> pd.DataFrame:
    answered = records["answered_at"].notna() & (records["agent_id"] != "")
    columns = ["agent_id", "answered_at", "ended_at", "wrap_up_ended_at"]
    return records.loc[answered.to_numpy(), columns]


def _interval_levels(frames: _Frames) -> list[int]:
    return list(range(len(frames.edges) - 1))


def _call_table(frames: _Frames, keys: list[str], short: float) -> pd.DataFrame:
    if keys == [INTERVAL]:
        table = finish_service(frames.call_sums)
        return complete_groups(table, [_interval_levels(frames)])
    return service_table(frames.calls, keys, short)


def _queue_table(frames: _Frames, keys: list[str], short: float) -> pd.DataFrame:
    if set(keys) <= {"queue", INTERVAL}:
        # Every such table is the queue-by-interval sums, summed further or reordered.
        sums = frames.queue_sums
        if len(keys) == 1:
            sums = roll_up_service(sums, keys)
        elif keys[0] == INTERVAL:
            sums = sums.reorder_levels(keys).sort_index()
        table = finish_service(sums)
    else:
        table = service_table(frames.visits, keys, short)
    levels: list[list[Any]] = []
    for key in keys:
        if key == "queue":
            levels.append(list(frames.queues))
        elif key == INTERVAL:
            levels.append(_interval_levels(frames))
        else:
            levels.append(distinct(frames.visits[key]))
    table = complete_groups(table, levels)
    if set(keys) <= {"queue", INTERVAL}:
        blocked = frames.blocked.astype({"queue": object}).groupby(keys).size()
        table.insert(
            table.columns.get_loc("still_waiting") + 1,
            "blocked",
            blocked.reindex(table.index).fillna(0).astype(np.int64).to_numpy(),
        )
    return table


def _agent_totals(agents: pd.DataFrame) -> pd.DataFrame:
    summed = [c for c in agents.columns if c not in ("aht_s", "occupancy", "idle_s", "paused_s")]
    totals = agents[summed].groupby(level="agent_id").sum()
    return finish_agents(totals)


def _grouped(frames: _Frames, by: Sequence[str], short: float) -> pd.DataFrame:
    keys = list(by)
    if "agent" in keys:
        if INTERVAL not in keys:
            return _agent_totals(frames.agents)
        table = frames.agents
        return table if keys[0] == "agent" else table.reorder_levels([1, 0]).sort_index()
    if "queue" in keys:
        return _queue_table(frames, keys, short)
    table = _call_table(frames, keys, short)
    if INTERVAL in keys:
        levels = [
            _interval_levels(frames) if key == INTERVAL else distinct(frames.calls[key])
            for key in keys
        ]
        table = complete_groups(table, levels)
    return table


def _labelled(table: pd.DataFrame, edges: np.ndarray) -> pd.DataFrame:
    """The table with its keys as columns; interval indices become interval_start/_end."""
    out = table.reset_index()
    if "agent" in out and "agent_id" not in out:
        out = out.rename(columns={"agent": "agent_id"})
    if INTERVAL in out:
        index = out.pop(INTERVAL).to_numpy(dtype=np.int64)
        out.insert(0, "interval_start", edges[index])
        out.insert(1, "interval_end", edges[index + 1])
    return out


def _summary(frames: _Frames, by_agent: pd.DataFrame, records: pd.DataFrame) -> dict[str, Any]:
    table = finish_service(roll_up_service(frames.call_sums, []))
    totals = {name: table[name].iloc[0].item() for name in table.columns}
    outcomes = records["outcome"].value_counts()
    busy, idle = by_agent["busy_s"].sum(), by_agent["idle_s"].sum()
    extra = {
        "calls": len(frames.calls),
        "blocked": len(frames.blocked),
        "voicemail": int(outcomes.get("voicemail", 0)),
        "after_hours": int(outcomes.get("after-hours", 0)),
        "unroutable": int(outcomes.get("unroutable", 0)),
        "occupancy": float(busy / (busy + idle)) if busy + idle > 0 else float("nan"),
        "agents": len(by_agent),
        "logged_in_s": float(by_agent["logged_in_s"].sum()),
        "ring_no_answer": int(by_agent["ring_no_answer"].sum()),
    }
    return {**extra, **totals}


def _notes(data: ReportData) -> tuple[str, ...]:
    notes = [HOLD_NOTE]
    if "campaign" not in data.records:
        notes.append(NO_CAMPAIGN)
    return tuple(notes)
