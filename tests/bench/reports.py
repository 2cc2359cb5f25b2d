"""Benchmark: every KPI of a big SQLite database of simulated calls, reading included, and the XLSX.

Run: python tests/bench/reports.py [--quick] [--db PATH] [--records N]
Prints one JSON object as its last line: records, kpi_s (every table of the report from the
database: reading plus computing), xlsx_s (the whole XLSX export: reading with the per-call
columns, computing, writing; Detail capped at the default 100,000 calls unless --full-detail),
peak_mb (the measuring process's peak resident memory; kpi_peak_mb: at the end of the KPI
phase), plus kpi_s split into load_s and compute_s, kpi_cpu_s and xlsx_cpu_s (the CPU time of
the same phases: on a busy machine wall time also counts the waits for a core), the Detail rows
written, the reader used ("adbc" or "rows"), and generation_s (0 when a cached database was
reused).

The database is made once by the simulator (the sample center with 60 agents, 10-hour days at
0.3 calls/s, agents taking breaks; one seed per day) and written with the bulk writer; it is kept
at --db (default: a file in the temp directory named after the record count) and reused when it
already holds enough records, after bringing its schema up to date (the newest migration may
add an index the report's reads use). Generation runs in a child process so its memory is not
counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from acd.clock import VirtualClock, run_virtual
from acd.events import AgentPauseRequested, AgentReadyRequested
from acd.presence import AgentState
from agent_ui.simulation import SimulationRequest
from agent_ui.simulation import _center as simulation_center
from config.center import Center
from config.center_file import sample_center_path
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import upgrade_database
from crm_core.models import CallEvent, CallRecord
from crm_core.record_bulk import BulkRecordSink
from reporting.data import load_data
from reporting.db_read import open_reader
from reporting.export_xlsx import DEFAULT_DETAIL_LIMIT, write_xlsx
from reporting.intervals import parse_interval
from reporting.report import ReportSpec, build_report
from telephony.sim.behaviour import AgentBehaviour, CallerBehaviour, Duration, SimulationProfile
from telephony.sim.center import SimulatedCenter

FULL_RECORDS = 1_000_000
QUICK_RECORDS = 20_000
AGENTS = 60
ARRIVAL_RATE = 0.3
DAY_OPENS = dtime(8, 30)  # half an hour before the sample center opens: some after-hours calls
DAY_HOURS = 10
FIRST_DAY = date(2026, 1, 5)  # a Monday
BREAK_CHECK_S = 300
BREAK_PROBABILITY = 0.02
BREAK_LENGTHS_S = (600, 900, 1800)
BREAK_REASONS = ("break", "lunch", "training")
NO_ANSWER_PAUSE_S = 120
MB = 1024 * 1024


def bench_center() -> Center:
    """The sample center with `AGENTS` agents who have every skill."""
    return simulation_center(SimulationRequest(agents=AGENTS, center_file=sample_center_path()))


def _profile() -> SimulationProfile:
    # Ring delay 0: with a ring delay the current engine leaves many callers unserved (reported).
    return SimulationProfile(
        arrival_rate_per_s=ARRIVAL_RATE,
        callers=CallerBehaviour(patience=Duration(90.0)),
        agents=AgentBehaviour(
            ring_delay=Duration(0.0, fixed=True), handle=Duration(180.0), answer_probability=0.98
        ),
    )


async def _breaks(
    sim: SimulatedCenter, clock: VirtualClock, rng: random.Random, until: float
) -> None:
    """Agents take breaks now and then, and come back from them (and from no-answer pauses)."""
    back_at: dict[str, float] = {}
    while clock.now() < until:
        await clock.sleep(BREAK_CHECK_S)
        now = clock.now()
        for agent_id in sim.agent_ids:
            agent = await sim.store.get_agent(agent_id)
            if agent is None:
                continue
            if agent.state is AgentState.PAUSED:
                stuck = agent.reason == "no-answer" and now - agent.since > NO_ANSWER_PAUSE_S
                if stuck or back_at.get(agent_id, now) <= now:
                    back_at.pop(agent_id, None)
                    sim.inbox.submit(AgentReadyRequested(at=now, agent_id=agent_id))
            elif agent_id not in back_at and rng.random() < BREAK_PROBABILITY:
                back_at[agent_id] = now + rng.choice(BREAK_LENGTHS_S)
                reason = rng.choice(BREAK_REASONS)
                sim.inbox.submit(AgentPauseRequested(at=now, agent_id=agent_id, reason=reason))


def simulate_day(center: Center, day: date, seed: int, sink: BulkRecordSink) -> None:
    """One simulated day written to `sink`, its events numbered after those already there."""
    opens = datetime.combine(day, DAY_OPENS, tzinfo=ZoneInfo(center.center.timezone)).timestamp()
    duration = DAY_HOURS * 3600.0

    async def main(clock: VirtualClock) -> None:
        sim = SimulatedCenter(center, clock, sink, _profile(), seed=seed, first_seq=sink.next_seq)
        await sim.start(until=opens + duration)
        breaks = asyncio.create_task(_breaks(sim, clock, random.Random(seed), opens + duration))
        await clock.sleep(duration)
        await breaks
        await sim.settle()
        await sim.stop()

    run_virtual(main, opens)


def _counts(url: str) -> tuple[int, int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            records = connection.scalar(select(func.count()).select_from(CallRecord)) or 0
            events = connection.scalar(select(func.count()).select_from(CallEvent)) or 0
        return records, events
    finally:
        engine.dispose()


def generate(path: Path, records: int) -> None:
    """Fill the database at `path` with simulated days until it holds `records` call records."""
    url = f"sqlite:///{path}"
    upgrade_database(url)
    engine = create_db_engine(url)
    sessions = make_sessionmaker(engine)
    center, day, done = bench_center(), FIRST_DAY, 0
    with BulkRecordSink(sessions) as sink:
        while done < records:
            if day.weekday() != 6:  # the sample center is closed on Sundays
                simulate_day(center, day, seed=day.toordinal(), sink=sink)
                sink.flush()
                done = sink.records_written
                print(f"{day}: {done:,} records", file=sys.stderr)
            day += timedelta(days=1)
    engine.dispose()


def _window(center: Center, url: str) -> tuple[float, float]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            first, last = connection.execute(
                select(func.min(CallRecord.arrived_at), func.max(CallRecord.arrived_at))
            ).one()
    finally:
        engine.dispose()
    tz = ZoneInfo(center.center.timezone)
    start = datetime.combine(date.fromisoformat(str(first)[:10]), dtime(0), tzinfo=tz)
    end = datetime.combine(date.fromisoformat(str(last)[:10]) + timedelta(days=2), dtime(0), tz)
    return start.timestamp(), end.timestamp()


def measure(path: Path, full_detail: bool) -> dict[str, object]:
    """All KPIs (reading included), then the whole XLSX export; the figures."""
    url = f"sqlite:///{path}"
    center = bench_center()
    start, end = _window(center, url)
    engine = create_db_engine(url)
    sessions = make_sessionmaker(engine)
    spec = ReportSpec(
        start=start, end=end, interval=parse_interval("30m"), by=("queue", "interval")
    )
    with open_reader(sessions) as reader:
        reader_name = "rows" if reader is None else "adbc"
    began, cpu_began = time.perf_counter(), time.process_time()
    data = load_data(sessions, start, end, with_detail=False)
    loaded = time.perf_counter()
    report = build_report(data, center, spec)
    computed, kpi_cpu_s = time.perf_counter(), time.process_time() - cpu_began
    kpi_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del data, report
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "report.xlsx"
        export_began, cpu_began = time.perf_counter(), time.process_time()
        detailed = build_report(load_data(sessions, start, end), center, spec)
        limit = None if full_detail else DEFAULT_DETAIL_LIMIT
        result = write_xlsx(detailed, target, detail_limit=limit)
        xlsx_s, xlsx_cpu_s = time.perf_counter() - export_began, time.process_time() - cpu_began
        xlsx_mb = target.stat().st_size / MB
    engine.dispose()
    return {
        "records": len(detailed.detail),
        "kpi_s": round(computed - began, 2),
        "xlsx_s": round(xlsx_s, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "kpi_peak_mb": round(kpi_peak_mb, 1),
        "load_s": round(loaded - began, 2),
        "compute_s": round(computed - loaded, 2),
        "kpi_cpu_s": round(kpi_cpu_s, 2),
        "xlsx_cpu_s": round(xlsx_cpu_s, 2),
        "reader": reader_name,
        "offered": detailed.summary["offered"],
        "service_level": round(float(detailed.summary["service_level"]), 4),
        "xlsx_sheets": list(result.sheets),
        "xlsx_detail_rows": result.detail_rows,
        "xlsx_mb": round(xlsx_mb, 1),
    }


def main() -> None:
    """Make (or reuse) the database, then measure in a fresh process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RECORDS:,} records")
    parser.add_argument("--records", type=int, default=None, help="records to generate")
    parser.add_argument("--db", type=Path, default=None, help="the SQLite file to make or reuse")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--full-detail", action="store_true", help="list every call in Detail (split in sheets)"
    )
    args = parser.parse_args()
    records = args.records or (QUICK_RECORDS if args.quick else FULL_RECORDS)
    path = args.db or Path(tempfile.gettempdir()) / f"hotline-bench-reports-{records}.db"
    if args.generate_only:
        generate(path, records)
        return
    if args.measure_only:
        print(json.dumps(measure(path, args.full_detail)))
        return
    generation_s = 0.0
    if not path.exists() or _counts(f"sqlite:///{path}")[0] < records:
        path.unlink(missing_ok=True)
        began = time.perf_counter()
        _child(["--generate-only", "--db", str(path), "--records", str(records)])
        generation_s = time.perf_counter() - began
    upgrade_database(f"sqlite:///{path}")
    measure_args = ["--measure-only", "--db", str(path), *(["--full-detail"] * args.full_detail)]
    figures = json.loads(_child(measure_args).strip().splitlines()[-1])
    stored_records, stored_events = _counts(f"sqlite:///{path}")
    figures |= {
        "generation_s": round(generation_s, 1),
        "db_records": stored_records,
        "db_events": stored_events,
        "db_mb": round(path.stat().st_size / MB, 1),
        "db": str(path),
    }
    print(json.dumps(figures))


def _child(arguments: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, __file__, *arguments], check=True, capture_output=True, text=True
    )
    return done.stdout


if __name__ == "__main__":
    main()
