"""Order files: finding the columns by header, and dates and amounts as people write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.order_rows import (
    OrderColumns,
    OrderFileError,
    OrderRow,
    RowProblem,
    map_order_columns,
    parse_amount,
    parse_date,
    parse_order_row,
)

pytestmark = pytest.mark.unit


# --- columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (
            ["订单号", "客户编号", "下单日期", "金额"],
            OrderColumns(2, 3, customer_id=1, reference=0),
        ),
        (["Order No.", "Phone", "Order Date", "Total"], OrderColumns(2, 3, phone=1, reference=0)),
        (["ＤＡＴＥ", " amount ", "hotline_id", "备注"], OrderColumns(0, 1, customer_id=2)),
    ],
)
def test_columns_are_found_by_header_in_any_form(header: list[str], columns: OrderColumns) -> None:
    assert map_order_columns(header) == columns


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["phone", "date"], "no amount column"),
        (["phone", "amount"], "no date column"),
        (["phone"], "no date or amount column"),
        (["name", "date", "amount"], "no customer column"),
        (["phone", "date", "amount", "金额"], "two columns hold the amount"),
    ],
)
def test_an_unusable_header_is_refused_saying_what_to_change(
    header: list[str], message: str
) -> None:
    with pytest.raises(OrderFileError, match=message):
        map_order_columns(header)


# --- rows ---------------------------------------------------------------------------------------

COLUMNS = OrderColumns(date=0, amount=1, customer_id=2, phone=3, reference=4)


def test_a_good_row_becomes_an_order() -> None:
    row = parse_order_row(7, ["2025-03-05", "1,234.50", "", " 138 0013 8000 ", "SO-9"], COLUMNS)
    assert row == OrderRow(7, date(2025, 3, 5), Decimal("1234.50"), None, "138 0013 8000", "SO-9")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["2025-03-05", "5", "", "", ""], "no customer"),
        (["2025-03-05", "5", "12a", "", ""], "customer id '12a' is not a number"),
        (["", "5", "1", "", ""], "no order date"),
        (["2025-03-05", "", "1", "", ""], "no amount"),
        (["2025-03-05", "5", "1", "", "x" * 101], "order number over 100"),
        (["2025-03-05"], "no amount"),  # a short row
    ],
)
def test_a_bad_row_gives_its_number_and_the_reason(cells: list[str], message: str) -> None:
    problem = parse_order_row(3, cells, COLUMNS)
    assert isinstance(problem, RowProblem)
    assert problem.number == 3
    assert message in problem.message


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2025-03-05", "2025/3/5", "2025.03.05", "20250305", "2025年3月5日", "2025年03月05号",
     "2025-03-05 00:00:00", "2025-03-05T10:30", "２０２５-０３-０５"],
)  # fmt: skip
def test_year_first_dates_in_common_forms_are_read(text: str) -> None:
    assert parse_date(text) == date(2025, 3, 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("05/03/2025", "ambiguous"),
        ("3-5-25", "ambiguous"),
        ("2025-02-30", "no such day"),
        ("1899-12-31", "before 1900"),
        ("next tuesday", "not a date"),
        ("", "no order date"),
    ],
)
def test_other_dates_are_refused_not_guessed(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_iso_dates_round_trip(day: date) -> None:
    assert parse_date(day.isoformat()) == day


# --- amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.5", "1234.50"), ("1,234.50", "1234.50"), ("1.234,50", "1234.50"),
        ("1 234,5", "1234.50"), ("¥1,234", "1234.00"), ("￥300", "300.00"), ("300元", "300.00"),
        ("RMB 99.9", "99.90"), ("$5", "5.00"), ("12,5", "12.50"), ("1.234.567", "1234567.00"),
        ("0", "0.00"), ("99.99", "99.99"),
        ("1234.5600000000002", "1234.56"),
    ],
)  # fmt: skip
def test_amounts_are_read_with_currency_signs_and_separators(text: str, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.234", "ambiguous"),
        ("-5", "negative"),
        ("(5)", "negative"),
        ("12,34.5", "not an amount"),
        ("1,2345", "not an amount"),
        ("five", "not an amount"),
        ("", "no amount"),
        ("1e5", "not an amount"),
        ("1000000000000", "amount must be"),
    ],
)
def test_bad_amounts_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_amount(text)


@given(st.decimals(min_value=0, max_value=10**9, places=2))
def test_plain_amounts_round_trip(value: Decimal) -> None:
    assert parse_amount(str(value)) == value
    assert parse_amount(f"{value:,}") == value
