"""OrderService on SQLite and PostgreSQL: adding, listing with visibility, importing CSV and XLSX
files (customer by id or phone, re-import harmless, bad rows reported), key-account alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from service_support import World, make_world
from sqlalchemy.orm import Session, sessionmaker

from crm_core.customer_errors import CustomerNotFound
from crm_core.customer_rules import CustomerDraft
from crm_core.import_source import SourceRow
from crm_core.key_accounts import KeyAccountConfig
from crm_core.order_rows import OrderFileError, RowProblem
from crm_core.orders import DuplicateOrder, OrderDraft, OrderView
from crm_core.service_errors import NotPermitted

pytestmark = pytest.mark.integration

D = Decimal


@pytest.fixture
def world(db_sessions: sessionmaker[Session]) -> World:
    return make_world(db_sessions)


def add(
    world: World, who: str | None, customer: str, day: date, amount: str, ref: str | None = None
) -> OrderView:
    actor = None if who is None else world.people[who]
    draft = OrderDraft(world.customers[customer], day, D(amount), ref)
    return world.orders.add(actor, draft)


def rows(*lines: tuple[str, ...]) -> list[SourceRow]:
    return [SourceRow(number, number, cells) for number, cells in enumerate(lines, start=2)]


# --- adding and listing -------------------------------------------------------------------------


def test_an_order_is_stored_in_cents_and_shown_on_the_timeline(world: World) -> None:
    order = add(world, "alice", "alice-private", date(2024, 5, 20), "1234.5", "SO-1")
    assert (order.amount, order.reference, order.ordered_on) == (
        D("1234.50"),
        "SO-1",
        date(2024, 5, 20),
    )
    items = world.crm.timeline.read(world.people["alice"], order.customer_id).items
    entry = next(i for i in items if i.kind == "order")
    assert entry.summary == "Order SO-1 of 2024-05-20: 1234.50"
    assert entry.at == datetime(2024, 5, 20, tzinfo=UTC)
    assert entry.ref == str(order.id)


def test_order_numbers_are_unique(world: World) -> None:
    add(world, "alice", "alice-private", date(2024, 5, 20), "1", "SO-1")
    with pytest.raises(DuplicateOrder):
        add(world, "bob", "pool", date(2024, 5, 21), "2", "SO-1")


def test_bad_orders_are_refused(world: World) -> None:
    with pytest.raises(ValueError, match="amount"):
        add(world, "alice", "alice-private", date(2024, 5, 20), "-1")
    with pytest.raises(CustomerNotFound):
        add(world, "bob", "alice-private", date(2024, 5, 20), "1")
    with pytest.raises(CustomerNotFound):
        world.orders.add(None, OrderDraft(999, date(2024, 5, 20), D(1)))


def test_orders_are_visible_exactly_when_their_customer_is(world: World) -> None:
    add(world, "alice", "alice-private", date(2024, 5, 1), "100")
    add(world, None, "pool", date(2024, 5, 2), "50")
    add(world, "carol", "carol-private", date(2024, 5, 3), "7")
    expected = {"alice": D(150), "bob": D(50), "carol": D(57), "sup_sales": D(150),
                "sup_support": D(57), "root": D(157)}  # fmt: skip
    for who, amount in expected.items():
        page = world.orders.list_orders(world.people[who])
        assert page.amount == amount, who
    page = world.orders.list_orders(
        world.people["root"], first=date(2024, 5, 2), last=date(2024, 5, 2)
    )
    assert [(o.amount, page.total) for o in page.items] == [(D(50), 1)]


# --- importing ----------------------------------------------------------------------------------


def test_import_finds_customers_by_id_or_phone_and_reports_bad_rows(world: World) -> None:
    alice = world.customers["alice-private"]
    header = ("订单号", "客户编号", "电话", "下单日期", "金额")
    report = world.orders.import_rows(
        None,
        header,
        rows(
            ("A-1", str(alice), "", "2024-05-01", "1,200.00"),
            ("A-2", "", "138 0013 8000", "2024/5/2", "¥300"),
            ("A-3", "", "+86 13900000000", "2024-05-03", "5"),
            ("A-4", str(alice), "", "03/05/2024", "5"),
            ("A-5", "999", "", "2024-05-03", "5"),
            ("", "", "", "", ""),
            ("A-1", str(alice), "", "2024-05-01", "1,200.00"),
        ),
    )
    assert report.created == 2
    assert report.skipped == (8,)
    assert report.problems == (
        RowProblem(4, "no customer with phone '+86 13900000000'"),
        RowProblem(5, "date '03/05/2024' is ambiguous: write the year first (2025-03-05)"),
        RowProblem(6, "no customer 999"),
    )
    page = world.orders.list_orders(world.people["root"])
    assert {(o.reference, o.customer_id, o.amount) for o in page.items} == {
        ("A-1", alice, D(1200)), ("A-2", world.customers["pool"], D(300)),
    }  # fmt: skip


def test_a_phone_shared_by_two_customers_is_refused_not_guessed(world: World) -> None:
    world.crm.customers.create(
        world.people["root"],
        CustomerDraft(name="twin", phones=("13800138000",)),
        override_duplicates=True,
    )
    report = world.orders.import_rows(
        None, ("phone", "date", "amount"), rows(("13800138000", "2024-05-01", "1"))
    )
    assert report.created == 0
    assert report.problems == (RowProblem(2, "2 customers with phone '13800138000'"),)


def test_an_agent_imports_only_for_customers_they_can_see(world: World) -> None:
    report = world.orders.import_rows(
        world.people["bob"],
        ("customer_id", "date", "amount"),
        rows((str(world.customers["alice-private"]), "2024-05-01", "1")),
    )
    assert report.created == 0
    assert report.problems[0].message.startswith("no customer")


def test_given_a_header_without_amount_then_the_file_is_refused(world: World) -> None:
    with pytest.raises(OrderFileError, match="no amount column"):
        world.orders.import_rows(None, ("phone", "date"), rows())


def test_importing_the_same_csv_file_twice_adds_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    pool = world.customers["pool"]
    text = f"订单号,客户编号,日期,金额\nB-1,{pool},2024-04-01,10\nB-2,{pool},2024-04-02,20\n"
    path.write_bytes(text.encode("gb18030"))
    first = world.orders.import_file(None, path)
    second = world.orders.import_file(None, path)
    assert (first.created, second.created, second.skipped) == (2, 0, (2, 3))


def test_xlsx_files_with_date_and_number_cells_are_imported(world: World, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Order No.", "Customer ID", "Order Date", "Amount"])
    sheet.append(["X-1", world.customers["pool"], datetime(2024, 3, 5), 99.5])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    report = world.orders.import_file(None, path)
    assert (report.created, report.problems) == (1, ())
    order = world.orders.list_orders(world.people["root"]).items[0]
    assert (order.ordered_on, order.amount) == (date(2024, 3, 5), D("99.50"))


# --- key accounts -------------------------------------------------------------------------------


def _monthly(world: World, customer: str, amounts: list[int], last: date) -> None:
    for back, amount in enumerate(reversed(amounts)):
        month = (last.year * 12 + last.month - 1) - back
        add(world, None, customer, date(month // 12, month % 12 + 1, 10), str(amount))


def test_key_account_alert_respects_visibility_and_settings(world: World) -> None:
    # As of 2024-06-01 the newest complete month is May 2024.
    _monthly(world, "alice-private", [900, 700, 500, 300], date(2024, 5, 1))
    _monthly(world, "bob-private", [10, 10, 10, 10], date(2024, 5, 1))
    _monthly(world, "carol-private", [5, 5, 5, 5], date(2024, 5, 1))
    today = date(2024, 6, 1)
    alerts = world.orders.key_account_alerts(world.people["alice"], today)
    assert [(a.customer_id, a.falling_months) for a in alerts] == [
        (world.customers["alice-private"], 3)
    ]
    assert world.orders.key_account_alerts(world.people["bob"], today) == []
    root = world.people["root"]
    world.settings.set_key_accounts(root, KeyAccountConfig(falling_months=4))
    assert world.orders.key_account_alerts(root, today) == []
    with pytest.raises(NotPermitted):
        world.settings.set_key_accounts(world.people["sup_sales"], KeyAccountConfig())
    stored = world.settings.key_accounts()
    assert (stored.falling_months, stored.top_share, stored.min_volume) == (4, D("0.2"), None)
