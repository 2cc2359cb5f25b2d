"""Import customers from a CSV or XLSX file: validate, find duplicates, write in batches.

    summary = CustomerImporter(sessions, clock).run(Path("客户.csv"), ImportOptions(...))

Every input row ends in exactly one of four counts, so `imported + merged + flagged + rejected
== rows` always holds:
- imported: a new customer was created;
- merged: the row duplicates a customer (by phone or email) with the same or no owner given,
  and its new phones, emails, tags and notes were added to it;
- flagged: the row duplicates a customer in a way a person must resolve (another owner, several
  customers, the name alone; see `import_matching`); not imported;
- rejected: blank, malformed, or breaking a rule (bad phone, bad email, unknown owner, ...).

Flagged and rejected rows go to the rejects file (CSV, UTF-8 with BOM, formula-safe) with their
row number, the file line they start on, the outcome, the reason and their original cells, sorted
by row: the person fixes them there and imports that file again (the extra columns are ignored).

Rows are read, checked and written `batch_size` at a time, one transaction per batch, so memory
stays flat however long the file is and a failure keeps every batch committed before it (the
audit entry then records how far the import got). A dry run reads the database, decides
everything the same way and writes the same rejects file, but stores nothing; it remembers the
rows it would have created (a few hundred bytes per row) so later duplicates of them are found.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.audit import record_audit
from crm_core.import_headers import map_columns
from crm_core.import_matching import (
    Existing,
    Flag,
    KeyIndex,
    MergeInto,
    NewCustomer,
    Planned,
    Refuse,
    Target,
    decide,
)
from crm_core.import_parallel import Parsed, parsed_batches
from crm_core.import_rows import (
    OwnerDirectory,
    OwnerEntry,
    RowDraft,
    RowReject,
    RowRules,
)
from crm_core.import_source import SourceRow, open_source
from crm_core.import_store import (
    Additions,
    NewRow,
    WriteContext,
    add_to_existing,
    insert_new,
    lock_for_writing,
)
from crm_core.import_store import stored_matches as load_stored_matches
from crm_core.spreadsheet_cells import safe_cell
from crm_core.users import UserService

DEFAULT_BATCH_SIZE = 5_000
MAX_WORKERS = 4
AUDIT_ACTION = "customers.import"
REJECT_COLUMNS = ("import_row", "import_line", "import_outcome", "import_reason")

ProgressCallback = Callable[[int, float | None], None]


class RejectsPathError(ValueError):
    """The rejects file cannot be written where asked (it is the input itself)."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to import: phone region, owners, where rejects go, dry run, file details."""

    default_region: str = "CN"
    default_owner_id: int | None = None
    actor_user_id: int | None = None
    dry_run: bool = False
    rejects_path: Path | None = None
    mapping: Mapping[str, str] | None = None
    sheet: str | None = None
    encoding: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int = 0  # helper processes checking rows (see `import_parallel`)


@dataclass(slots=True)
class ImportSummary:
    """What happened to the rows: the four counts always add up to `rows`."""

    rows: int = 0
    imported: int = 0
    merged: int = 0
    flagged: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    dry_run: bool = False
    file: str = ""
    encoding: str | None = None
    custom_fields: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return asdict(self)


def default_workers() -> int:
    """Helper processes worth starting for a big file: one per spare core, at most four."""
    return max(0, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


def default_rejects_path(source: Path) -> Path:
    """`customers.csv` -> `customers.rejects.csv`, beside the input."""
    return source.with_name(f"{source.stem}.rejects.csv")


def load_owners(sessions: sessionmaker[Session], clock: Clock) -> OwnerDirectory:
    """Every user, as owners an import may name."""
    users = UserService(sessions, clock).list_users()
    return OwnerDirectory(OwnerEntry(u.id, u.username, u.display_name, u.active) for u in users)


class RejectsWriter:
    """Writes flagged and rejected rows to a CSV (always written: an empty one means none)."""

    def __init__(self, path: Path, header: tuple[str, ...]) -> None:
        self.path = path
        self._out: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._out)
        self._writer.writerow([*REJECT_COLUMNS, *(safe_cell(h) for h in header)])

    def write(self, row: int, line: int, outcome: str, reason: str, cells: tuple[str, ...]) -> None:
        """One row of the rejects file; the original cells follow the four import columns."""
        self._writer.writerow([row, line, outcome, reason, *(safe_cell(c) for c in cells)])

    def close(self) -> None:
        """Close the file."""
        self._out.close()


@dataclass(slots=True)
class _Batch:
    """One batch's decisions, ready to write."""

    new: dict[int, NewRow] = field(default_factory=dict)
    merges: dict[int, Additions] = field(default_factory=dict)
    outcomes: list[tuple[int, int, str, str, tuple[str, ...]]] = field(default_factory=list)


class CustomerImporter:
    """Runs imports against one database; the clock stamps the rows and the audit entry."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, owners: OwnerDirectory | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._owners = owners

    def run(
        self, path: Path, options: ImportOptions, progress: ProgressCallback | None = None
    ) -> ImportSummary:
        """Import the file; ImportSourceError or HeaderError before any row if it is unusable."""
        if options.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {options.batch_size}")
        owners = self._owners or load_owners(self._sessions, self._clock)
        summary = ImportSummary(dry_run=options.dry_run, file=str(path))
        rejects_path = options.rejects_path or default_rejects_path(path)
        if rejects_path.resolve() == path.resolve():
            raise RejectsPathError(f"the rejects file {rejects_path} would overwrite the input")
        summary.rejects_file = str(rejects_path)
        with open_source(path, sheet=options.sheet, encoding=options.encoding) as source:
            columns = map_columns(source.header, options.mapping)
            summary.encoding = source.encoding
            summary.custom_fields = list(columns.custom_columns)
            summary.ignored_columns = list(columns.ignored)
            rules = RowRules(columns, owners, options.default_region)
            run = _Run(self._sessions, self._clock, path.name, options, summary, rules)
            with _closing(RejectsWriter(rejects_path, source.header)) as rejects:
                try:
                    batches = _batches(source.rows, options.batch_size)
                    for parsed in parsed_batches(batches, run.rules, options.workers):
                        run.batch(parsed, rejects)
                        if progress is not None:
                            progress(summary.rows, source.progress())
                except BaseException as exc:
                    error = f"{exc.__class__.__name__}: {exc}"
                    # The database may be what failed: then the original error matters more.
                    with suppress(SQLAlchemyError):
                        self._audit(summary, options, error=error)
                    raise
        self._audit(summary, options)
        if not options.dry_run and summary.imported + summary.merged:
            refresh_statistics(self._sessions)
        return summary

    def _audit(self, summary: ImportSummary, options: ImportOptions, error: str = "") -> None:
        if options.dry_run:
            return
        data = summary.as_dict() | ({"error": error, "complete": False} if error else {})
        with self._sessions.begin() as session:
            record_audit(
                session,
                at=to_datetime(self._clock.now()),
                actor_user_id=options.actor_user_id,
                action=AUDIT_ACTION,
                data=data,
            )


# The tables a caller lookup reads: after a bulk import PostgreSQL's planner must know their new
# sizes, or it picks scans and lookups get about ten times slower until autovacuum catches up.
LOOKUP_TABLES = ("customers", "customer_phones", "customer_emails", "timeline_entries")


def refresh_statistics(sessions: sessionmaker[Session]) -> None:
    """Update the planner's statistics of the customer tables (PostgreSQL `ANALYZE`; SQLite's
    planner needs nothing here)."""
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"ANALYZE {', '.join(LOOKUP_TABLES)}"))


@contextmanager
def _closing(writer: RejectsWriter) -> Iterator[RejectsWriter]:
    try:
        yield writer
    finally:
        writer.close()


def _batches(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while batch := list(islice(rows, size)):
        yield batch


class _Run:
    """The state of one import: counts, and in a dry run the rows it would have created."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        source: str,
        options: ImportOptions,
        summary: ImportSummary,
        rules: RowRules,
    ) -> None:
        self.rules = rules
        self._sessions = sessions
        self._clock = clock
        self._source = source
        self._options = options
        self._summary = summary
        # Only a dry run needs to remember earlier batches: a real run finds them stored.
        self._remembered = KeyIndex() if options.dry_run else None

    def batch(self, rows: list[Parsed], rejects: RejectsWriter) -> None:
        """Decide and (unless dry) write one checked batch; count and report every row."""
        batch = _Batch()
        drafts: list[RowDraft] = []
        for parsed in rows:
            if isinstance(parsed, RowReject):
                batch.outcomes.append(_outcome(parsed, "rejected", parsed.reason))
            else:
                drafts.append(parsed)
        session = self._sessions()
        try:
            if not self._options.dry_run:
                lock_for_writing(session)
            stored = _stored(session, drafts)
            self._decide_all(drafts, stored, batch)
            if not self._options.dry_run:
                self._write(session, batch)
                session.commit()
        finally:
            session.close()
        self._count(rows, batch, rejects)

    def _decide_all(self, drafts: list[RowDraft], stored: KeyIndex, batch: _Batch) -> None:
        index = self._remembered if self._remembered is not None else KeyIndex()
        for draft in drafts:
            matches = stored.find(draft)
            for target, on in index.find(draft).items():
                matches.setdefault(target, set()).update(on)
            decision = decide(draft, matches, self._options.default_owner_id, self.rules.owners)
            match decision:
                case NewCustomer(owner_user_id=owner):
                    new = NewRow(draft.number, draft.valid, owner)
                    if draft.notes:
                        new.additions.notes.append((draft.number, draft.notes))
                    batch.new[draft.number] = new
                    index.record(draft, Planned(draft.number, owner))
                case MergeInto(target=target):
                    self._merge(draft, target, batch)
                    index.record(draft, target)
                    batch.outcomes.append(_outcome(draft, "merged", ""))
                case Flag(reason=reason):
                    batch.outcomes.append(_outcome(draft, "flagged", reason))
                case Refuse(reason=reason):
                    batch.outcomes.append(_outcome(draft, "rejected", reason))

    def _merge(self, draft: RowDraft, target: Target, batch: _Batch) -> None:
        if isinstance(target, Existing):
            additions = batch.merges.setdefault(target.customer_id, Additions())
        elif target.row in batch.new:
            additions = batch.new[target.row].additions
        else:  # a dry run's customer from an earlier batch: nothing to write anyway
            return
        additions.add(draft.valid, draft.number, draft.notes)

    def _write(self, session: Session, batch: _Batch) -> None:
        context = WriteContext(
            to_datetime(self._clock.now()), self._options.actor_user_id, self._source
        )
        insert_new(session, list(batch.new.values()), context)
        add_to_existing(session, batch.merges, context)

    def _count(self, rows: list[Parsed], batch: _Batch, rejects: RejectsWriter) -> None:
        summary = self._summary
        summary.rows += len(rows)
        summary.imported += len(batch.new)
        for number, line, outcome, reason, cells in sorted(batch.outcomes, key=lambda o: o[0]):
            if outcome == "merged":
                summary.merged += 1
                continue
            if outcome == "flagged":
                summary.flagged += 1
            else:
                summary.rejected += 1
            rejects.write(number, line, outcome, reason, cells)


def _outcome(
    row: RowDraft | RowReject, outcome: str, reason: str
) -> tuple[int, int, str, str, tuple[str, ...]]:
    return (row.number, row.line, outcome, reason, row.cells)


def _stored(session: Session, drafts: list[RowDraft]) -> KeyIndex:
    """Stored customers sharing a phone, email or name key with any row of the batch."""
    phones: set[str] = set()
    emails: set[str] = set()
    names: set[str] = set()
    for draft in drafts:
        phones |= draft.valid.all_e164
        emails |= draft.valid.all_emails
        names.add(draft.valid.name_key)
    return load_stored_matches(session, phones, emails, names)
