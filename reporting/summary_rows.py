"""The Summary sheet's rows: what the report covers, then the center's figures, each with its kind
(so the workbook formats it: counts, seconds, rates, times)."""

from __future__ import annotations

from typing import Any

from reporting.columns import Kind, label
from reporting.report import Report

SUMMARY_FIGURES = (
    ("calls", "Calls", Kind.COUNT),
    ("offered", None, Kind.COUNT),
    ("answered", None, Kind.COUNT),
    ("answered_within_threshold", None, Kind.COUNT),
    ("abandoned", None, Kind.COUNT),
    ("short_abandoned", None, Kind.COUNT),
    ("overflowed_out", None, Kind.COUNT),
    ("still_waiting", None, Kind.COUNT),
    ("blocked", None, Kind.COUNT),
    ("ivr_handled", None, Kind.COUNT),
    ("agent_handled", None, Kind.COUNT),
    ("voicemail", "Voicemail", Kind.COUNT),
    ("after_hours", "After hours", Kind.COUNT),
    ("unroutable", "Unroutable", Kind.COUNT),
    ("service_level", None, Kind.RATE),
    ("answer_rate", None, Kind.RATE),
    ("answered_beyond_threshold_rate", None, Kind.RATE),
    ("loss_rate", None, Kind.RATE),
    ("asa_s", None, Kind.SECONDS),
    ("longest_wait_s", None, Kind.SECONDS),
    ("avg_talk_s", None, Kind.SECONDS),
    ("avg_hold_s", None, Kind.SECONDS),
    ("avg_wrap_s", None, Kind.SECONDS),
    ("aht_s", None, Kind.SECONDS),
    ("occupancy", None, Kind.RATE),
    ("agents", "Agents", Kind.COUNT),
    ("logged_in_s", "Logged in, all agents (s)", Kind.SECONDS),
    ("ring_no_answer", None, Kind.COUNT),
)


def summary_rows(report: Report) -> list[tuple[str, Any, Kind]]:
    """(label, value, kind) for every row of the Summary sheet, in order."""
    spec = report.spec
    rows: list[tuple[str, Any, Kind]] = [
        ("Center", report.center_name, Kind.TEXT),
        (f"From ({report.timezone})", spec.start, Kind.TIME),
        (f"To, exclusive ({report.timezone})", spec.end, Kind.TIME),
        ("Interval", spec.interval.name, Kind.TEXT),
        ("Service-level threshold, center-wide (s)", report.threshold_s, Kind.SECONDS),
        ("Short abandon limit (s)", report.short_abandon_s, Kind.SECONDS),
    ]
    for name, text, kind in SUMMARY_FIGURES:
        rows.append((text or label(name), report.summary.get(name), kind))
    return rows
