"""Export customers a person may see, as CSV (UTF-8 with BOM) or XLSX, streamed a page at a time.

Visibility is the database's business (`visibility.visible_customers_clause` in the query), so the
file can never hold a customer the viewer may not see; `viewer=None` is the system (the command
line without `--as`), which sees everything. Customers merged away are left out.

Spreadsheet formulas: a CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
would be run as a formula by Excel or LibreOffice ("CSV injection"), so such a cell gets a leading
apostrophe. That includes phone numbers, which are exported in E.164 (`'+8613800138000`): the
apostrophe is visible in a spreadsheet but the number stays whole and readable, and Hotline's
import removes it again, so an exported file imports back unchanged. XLSX cells are written as
typed strings (never formulas), so they need no apostrophe.

Columns use names the importer recognises; `hotline_id`, `custom_fields` (JSON), `created_at`
and `updated_at` are for reading and are ignored by the importer. Several phones, emails, tags or
contacts in one cell are joined with "; ".
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session, sessionmaker

from crm_core.customer_models import Contact, Customer, CustomerEmail, CustomerPhone, CustomerTag
from crm_core.models import User
from crm_core.spreadsheet_cells import safe_cell, xlsx_text
from crm_core.visibility import Viewer, visible_customers_clause

PAGE_SIZE = 2_000
JOIN = "; "
EXPORT_COLUMNS = (
    "hotline_id",
    "name",
    "kind",
    "contact",
    "phone",
    "email",
    "owner",
    "city",
    "region",
    "tags",
    "vip_level",
    "custom_fields",
    "created_at",
    "updated_at",
)
ExportRow = tuple[str, ...]


def _phone_text(e164: str, extension: str | None) -> str:
    return f"{e164} ext {extension}" if extension else e164


@dataclass(frozen=True, slots=True)
class _Page:
    """One page of customers with everything the export shows of them."""

    customers: list[Customer]
    owners: dict[int, str]
    phones: dict[int, list[str]]
    emails: dict[int, list[str]]
    tags: dict[int, list[str]]
    contacts: dict[int, list[str]]


def export_rows(sessions: sessionmaker[Session], viewer: Viewer | None) -> Iterator[ExportRow]:
    """Every customer `viewer` may see, oldest first, as rows of text (header not included)."""
    visible = visible_customers_clause(viewer) if viewer is not None else true()
    after = 0
    while True:
        with sessions() as session:
            page = _load_page(session, visible, after)
        if not page.customers:
            return
        yield from (_row(c, page) for c in page.customers)
        after = page.customers[-1].id


def _load_page(session: Session, visible: ColumnElement[bool], after: int) -> _Page:
    query = (
        select(Customer)
        .where(visible, Customer.merged_into_id.is_(None), Customer.id > after)
        .order_by(Customer.id)
        .limit(PAGE_SIZE)
    )
    customers = list(session.scalars(query))
    ids = [c.id for c in customers]
    owner_ids = {c.owner_user_id for c in customers}
    owners = {
        user_id: username
        for user_id, username in session.execute(
            select(User.id, User.username).where(User.id.in_(owner_ids))
        )
    }
    return _Page(
        customers=customers,
        owners=owners,
        phones=_grouped(
            session,
            select(CustomerPhone.customer_id, CustomerPhone.e164, CustomerPhone.extension)
            .where(CustomerPhone.customer_id.in_(ids))
            .order_by(CustomerPhone.id),
        ),
        emails=_grouped(
            session,
            select(CustomerEmail.customer_id, CustomerEmail.email)
            .where(CustomerEmail.customer_id.in_(ids))
            .order_by(CustomerEmail.id),
        ),
        tags=_grouped(
            session,
            select(CustomerTag.customer_id, CustomerTag.tag)
            .where(CustomerTag.customer_id.in_(ids))
            .order_by(CustomerTag.tag),
        ),
        contacts=_grouped(
            session,
            select(Contact.customer_id, Contact.name)
            .where(Contact.customer_id.in_(ids))
            .order_by(Contact.id),
        ),
    )


def _grouped(session: Session, query: Any) -> dict[int, list[str]]:
    """customer id -> the texts of the query's other columns (a phone and its extension)."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for customer_id, *values in session.execute(query):
        text = _phone_text(values[0], values[1]) if len(values) == 2 else values[0]
        grouped[customer_id].append(text)
    return grouped


def _row(customer: Customer, page: _Page) -> ExportRow:
    cid = customer.id
    custom = customer.custom_fields or {}
    return (
        str(cid),
        customer.name,
        customer.kind,
        JOIN.join(page.contacts.get(cid, ())),
        JOIN.join(page.phones.get(cid, ())),
        JOIN.join(page.emails.get(cid, ())),
        page.owners.get(customer.owner_user_id, f"#{customer.owner_user_id}"),
        customer.city or "",
        customer.region or "",
        JOIN.join(page.tags.get(cid, ())),
        str(customer.vip_level),
        json.dumps(custom, ensure_ascii=False, sort_keys=True) if custom else "",
        customer.created_at.isoformat(),
        customer.updated_at.isoformat(),
    )


def write_csv_rows(rows: Iterable[ExportRow], out: IO[str], header: Sequence[str]) -> int:
    """Write a header and rows as formula-safe CSV to a text stream; how many rows."""
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def csv_chunks(rows: Iterable[ExportRow], rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV export as UTF-8 byte chunks (BOM first), for a streaming HTTP response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    pending = 0
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode()


def write_csv(rows: Iterable[ExportRow], path: Path) -> int:
    """Write the export as CSV in UTF-8 with a BOM (so Excel reads Chinese right); row count."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        return write_csv_rows(rows, out, EXPORT_COLUMNS)


def write_xlsx(rows: Iterable[ExportRow], path: Path, sheet: str = "Customers") -> int:
    """Write the export as an XLSX workbook, every cell a typed string; row count."""
    from openpyxl import Workbook  # slow to import; only XLSX needs it
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet)
    worksheet.freeze_panes = "A2"

    def cells(values: Sequence[str]) -> list[Any]:
        made = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=xlsx_text(value) or None)
            if value:
                cell.data_type = "s"  # openpyxl would make "=..." a formula
            made.append(cell)
        return made

    worksheet.append(cells(EXPORT_COLUMNS))
    count = 0
    for row in rows:
        worksheet.append(cells(row))
        count += 1
    book.save(path)
    return count
