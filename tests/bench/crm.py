"""Benchmark: import a million customers, then look callers up among them (SQLite and PostgreSQL).

Run: python tests/bench/crm.py [--quick] [--customers N] [--lookups N] [--skip-postgres]
                               [--skip-sqlite] [--workers N]

A CSV of N generated customers (default 1,000,000; --quick 20,000) is written to a temp folder:
a unique company name, one or two unique mobile numbers typed in mixed ways (`138 0013 8000`,
`+86-138-0013-8000`, `13800138000`), an email on every other row, an owner among 50 agents, tags
and a city. It is imported through the real import path (`CustomerImporter.run`: encoding check,
header mapping, row validation with the production rules, duplicate checks against the database,
batched writes, one transaction per 5,000 rows) into a fresh SQLite file and into a fresh
database on a throw-away PostgreSQL server (`tests/pg.py`, shared_buffers 1 GB); row checking
runs in --workers helper processes (default: one per spare core, at most four). Then 10,000
caller lookups (--quick: 2,000) (`caller_lookup.lookup_caller`, the screen-pop query, as call
routing runs it) with caller IDs drawn at random from the stored numbers and sent as trunks send
them (`13800138000`, `8613800138000`, `+8613800138000`, `008613800138000`,
`sip:+8613800138000@trunk`), one in ten a number nobody has. Each lookup is timed alone
(perf_counter_ns), warm caches, one process.

Prints one JSON object as its last line: import_rows_per_s (SQLite; `import_rows_per_s_postgres`
beside it), import_s_sqlite, import_s_postgres, lookup_p50_ms_sqlite, lookup_p99_ms_sqlite,
lookup_p50_ms_postgres, lookup_p99_ms_postgres (goal p99 <= 5 ms), plus import_cpu_s_* (CPU
seconds of the importing process and its helpers: less skewed by a busy machine), counts, the
share of lookups that found what they should, and the machine's load average at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from argon2 import PasswordHasher  # noqa: E402
from pg import PostgresServer  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from acd.clock import RealClock  # noqa: E402
from crm_core.caller_lookup import lookup_caller  # noqa: E402
from crm_core.customer_import import CustomerImporter, ImportOptions, default_workers  # noqa: E402
from crm_core.customer_models import Customer, CustomerPhone  # noqa: E402
from crm_core.db import create_db_engine, make_sessionmaker  # noqa: E402
from crm_core.migrate import upgrade_database  # noqa: E402
from crm_core.users import UserService  # noqa: E402

FULL_CUSTOMERS = 1_000_000
# A server for a million customers gets its hot tables in memory (the usual advice: a quarter of
# the RAM); the test fixtures' default 128 MB would time PostgreSQL's page cache, not Hotline.
PG_SHARED_BUFFERS = "1GB"
QUICK_CUSTOMERS = 20_000
LOOKUPS = 10_000
QUICK_LOOKUPS = 2_000
AGENTS = 50
REGION = "CN"
MISS_RATE = 0.1
SEED = 20261124
HEADER = ("客户名称", "手机", "电话", "邮箱", "负责人", "标签", "城市")
CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京")
TAGS = ("vip", "经销商", "新客户", "重点", "华东", "华南")
PREFIXES = (130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 186, 188)
ANI_FORMS: tuple[Callable[[str], str], ...] = (
    lambda n: n,
    lambda n: "86" + n,
    lambda n: "+86" + n,
    lambda n: "0086" + n,
    lambda n: f"sip:+86{n}@trunk.example",
)
TYPED_FORMS: tuple[Callable[[str], str], ...] = (
    lambda n: n,
    lambda n: f"{n[:3]} {n[3:7]} {n[7:]}",
    lambda n: f"+86-{n[:3]}-{n[3:7]}-{n[7:]}",
)


def mobile_numbers(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` distinct 11-digit mobile numbers (as int64), in random order."""
    per_prefix = -(-count // len(PREFIXES))
    numbers = []
    for prefix in PREFIXES:
        suffixes = rng.choice(100_000_000, size=per_prefix, replace=False)
        numbers.append(prefix * 100_000_000 + suffixes)
    merged = np.concatenate(numbers)[:count]
    rng.shuffle(merged)
    return merged


def write_customers(path: Path, count: int, seed: int = SEED) -> np.ndarray:
    """Write the generated customer CSV; the mobile numbers used (first phone of each row)."""
    rng = np.random.default_rng(seed)
    numbers = mobile_numbers(count * 2, rng)
    firsts, seconds = numbers[:count], numbers[count:]
    has_second = rng.random(count) < 0.3
    owners = rng.integers(0, AGENTS, count)
    forms = rng.integers(0, len(TYPED_FORMS), count)
    cities = rng.integers(0, len(CITIES), count)
    tags = rng.integers(0, len(TAGS), count)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(count):
            first = TYPED_FORMS[forms[i]](str(firsts[i]))
            second = str(seconds[i]) if has_second[i] else ""
            writer.writerow(
                (f"客户{i:07d}贸易有限公司", first, second,
                 f"c{i}@example.com" if i % 2 == 0 else "", f"agent{owners[i]:02d}",
                 TAGS[tags[i]], CITIES[cities[i]])
            )  # fmt: skip
    return np.concatenate([firsts, seconds[has_second]])


def add_agents(sessions: sessionmaker[Session]) -> None:
    """The 50 owners named in the file."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    users = UserService(sessions, RealClock(), cheap)
    for i in range(AGENTS):
        users.create(f"agent{i:02d}", "agent", password="correct horse battery")


def run_import(url: str, csv_path: Path, rejects: Path, workers: int) -> dict[str, Any]:
    """Migrate, add the owners, import the file; seconds and counts."""
    upgrade_database(url)
    engine = create_db_engine(url)
    sessions = make_sessionmaker(engine)
    add_agents(sessions)
    importer = CustomerImporter(sessions, RealClock())
    began, cpu_began = time.perf_counter(), _cpu_seconds()
    options = ImportOptions(default_region=REGION, rejects_path=rejects, workers=workers)
    summary = importer.run(csv_path, options)
    seconds, cpu = time.perf_counter() - began, _cpu_seconds() - cpu_began
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Customer)) or 0
        phones = session.scalar(select(func.count()).select_from(CustomerPhone)) or 0
    engine.dispose()
    result = summary.as_dict()
    return {"seconds": seconds, "cpu_seconds": cpu, "stored": stored, "phones": phones, **result}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the row-checking helpers): a
    figure a busy machine skews less than the elapsed time."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def make_anis(numbers: np.ndarray, count: int, seed: int = SEED) -> list[tuple[str, bool]]:
    """`count` caller IDs in mixed trunk forms, with whether a customer has the number."""
    rng = random.Random(seed)
    stored = {int(n) for n in numbers}
    anis = []
    for _ in range(count):
        if rng.random() < MISS_RATE:
            number = rng.randrange(17_000_000_000, 17_100_000_000)  # 170: not generated
            while number in stored:
                number += 1
            expected = False
        else:
            number, expected = int(numbers[rng.randrange(len(numbers))]), True
        anis.append((rng.choice(ANI_FORMS)(str(number)), expected))
    return anis


def run_lookups(url: str, anis: list[tuple[str, bool]]) -> dict[str, Any]:
    """Time each lookup; p50, p99 and how many found what they should."""
    engine = create_db_engine(url)
    sessions = make_sessionmaker(engine)
    for ani, _ in anis[:200]:  # warm the pool and the caches
        lookup_caller(sessions, ani, REGION)
    timings, right = [], 0
    for ani, expected in anis:
        began = time.perf_counter_ns()
        found = lookup_caller(sessions, ani, REGION)
        timings.append(time.perf_counter_ns() - began)
        right += (found is not None) == expected
    engine.dispose()
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings) / 1e6, 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1] / 1e6, 3),
        "max_ms": round(timings[-1] / 1e6, 3),
        "correct": right / len(anis),
    }


def measure(
    count: int, lookups: int, with_postgres: bool, workers: int, with_sqlite: bool = True
) -> dict[str, Any]:
    """Generate, import and look up on both backends; the figures."""
    figures: dict[str, Any] = {"customers": count, "lookups": lookups, "workers": workers}
    with tempfile.TemporaryDirectory(prefix="hotline-bench-crm-") as folder:
        root = Path(folder)
        began = time.perf_counter()
        numbers = write_customers(root / "customers.csv", count)
        figures["generate_s"] = round(time.perf_counter() - began, 2)
        anis = make_anis(numbers, lookups)
        if with_sqlite:
            sqlite_url = f"sqlite:///{root / 'crm.db'}"
            sqlite = run_import(sqlite_url, root / "customers.csv", root / "r1.csv", workers)
            _report("sqlite", sqlite, run_lookups(sqlite_url, anis), figures)
        if with_postgres:
            server = PostgresServer(settings=(f"shared_buffers={PG_SHARED_BUFFERS}",))
            server.start()
            try:
                url = server.create_database("hotline_bench_crm")
                postgres = run_import(url, root / "customers.csv", root / "r2.csv", workers)
                _report("postgres", postgres, run_lookups(url, anis), figures)
            finally:
                server.stop()
    return figures


def _report(
    backend: str, imported: dict[str, Any], looked: dict[str, Any], figures: dict[str, Any]
) -> None:
    rate_key = "import_rows_per_s" if backend == "sqlite" else "import_rows_per_s_postgres"
    figures[rate_key] = round(imported["rows"] / imported["seconds"])
    figures[f"import_s_{backend}"] = round(imported["seconds"], 2)
    # CPU of the Python side only (PostgreSQL's own work runs in its server processes).
    figures[f"import_cpu_s_{backend}"] = round(imported["cpu_seconds"], 2)
    figures[f"lookup_p50_ms_{backend}"] = looked["p50_ms"]
    figures[f"lookup_p99_ms_{backend}"] = looked["p99_ms"]
    figures[f"lookup_max_ms_{backend}"] = looked["max_ms"]
    figures[f"lookup_correct_{backend}"] = looked["correct"]
    figures[f"imported_{backend}"] = imported["imported"]
    figures[f"rejected_{backend}"] = imported["rejected"] + imported["flagged"]
    figures[f"phones_{backend}"] = imported["phones"]
    print(f"{backend}: {json.dumps(imported, ensure_ascii=False)}", file=sys.stderr)


def main() -> None:
    """Parse the arguments, run, print the figures as the last line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CUSTOMERS:,} customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--lookups", type=int, default=None, help=f"default {LOOKUPS:,}")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="row-checking helper processes"
    )
    args = parser.parse_args()
    count = args.customers or (QUICK_CUSTOMERS if args.quick else FULL_CUSTOMERS)
    lookups = args.lookups or (QUICK_LOOKUPS if args.quick else LOOKUPS)
    figures = measure(
        count, lookups, not args.skip_postgres, args.workers, with_sqlite=not args.skip_sqlite
    )
    # Other work on the machine skews every figure: say how busy it was.
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
