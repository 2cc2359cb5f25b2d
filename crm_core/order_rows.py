"""Rows of an order file (CSV or XLSX, read by `crm_core.import_source`): which column holds
what, and each row's cells parsed into an order. Pure.

Columns are found by their header, folded as for customer imports (`fold_header`: full-width
forms, case, spaces and punctuation do not matter): the order date (日期, 订单日期, date, ...),
the amount (金额, amount, total, ...), the customer by Hotline id (客户编号, customer_id,
hotline_id) or by phone (电话, 手机, phone, ...), and optionally the order number (订单号,
order no, reference, ...), which makes importing the same file twice harmless.

Dates are written year first: 2025-03-05, 2025/3/5, 2025.03.05, 20250305, 2025年3月5日, with or
without a time (workbook date cells arrive so). Day-first or month-first dates (05/03/2025) are
refused rather than guessed. Amounts may carry a currency sign or code and thousands separators
(1,234.50, 1.234,50, ¥1 234.5); "1.234" and "1,234.5x" are refused as ambiguous or malformed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from crm_core.import_headers import fold_header
from crm_core.money import check_amount

REFERENCE_MAX = 100
EARLIEST = date(1900, 1, 1)

SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("客户编号", "客户id", "客户号", "customerid", "customerno", "hotlineid"),
    "phone": ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "phone", "mobile",
              "tel", "telephone", "phonenumber"),
    "date": ("日期", "订单日期", "下单日期", "下单时间", "订购日期", "date", "orderdate",
             "ordered", "orderedon"),
    "amount": ("金额", "订单金额", "总金额", "合计", "总价", "amount", "total", "value", "sum",
               "orderamount", "ordervalue"),
    "reference": ("订单号", "订单编号", "单号", "reference", "ref", "order", "orderno",
                  "ordernumber", "orderid"),
}  # fmt: skip
_BY_FOLDED = {fold_header(s): name for name, synonyms in SYNONYMS.items() for s in synonyms}

_CURRENCY = re.compile(r"(?i)[¥$€£]|\b(?:rmb|cny|usd|eur)\b|元")
_SPACES = re.compile(r"[\s'\u00a0\u2009\u202f]")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_THOUSANDS_DOTS = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")
_THREE_DECIMALS = re.compile(r"^\d+\.\d{3}$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_DATE_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_DATE_CJK = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?(?:\s.*)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_DAY_FIRST = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


class OrderFileError(ValueError):
    """The file's header cannot be used for orders; the message says what to change."""


@dataclass(frozen=True, slots=True)
class OrderColumns:
    """Which column (0-based) holds each order field; None when the file has none."""

    date: int
    amount: int
    customer_id: int | None = None
    phone: int | None = None
    reference: int | None = None


@dataclass(frozen=True, slots=True)
class OrderRow:
    """A row parsed: who (by id or phone), when, how much, and its order number."""

    number: int
    ordered_on: date
    amount: Decimal
    customer_id: int | None = None
    phone: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row was not imported."""

    number: int
    message: str


def map_order_columns(header: Sequence[str]) -> OrderColumns:
    """The columns of an order file's header row; OrderFileError if one is missing or doubled."""
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        name = _BY_FOLDED.get(fold_header(text))
        if name is None:
            continue
        if name in found:
            raise OrderFileError(f"two columns hold the {name}: {header[found[name]]!r}, {text!r}")
        found[name] = index
    missing = [name for name in ("date", "amount") if name not in found]
    if missing:
        raise OrderFileError(f"no {' or '.join(missing)} column in the header {list(header)!r}")
    if "customer_id" not in found and "phone" not in found:
        raise OrderFileError("no customer column: name one 客户编号/customer_id or 电话/phone")
    return OrderColumns(**found)


def parse_order_row(
    number: int, cells: Sequence[str], columns: OrderColumns
) -> OrderRow | RowProblem:
    """The order in a row's cells, or the first problem found."""

    def cell(index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    try:
        ordered_on = parse_date(cell(columns.date))
        amount = parse_amount(cell(columns.amount))
        customer_id = _customer_id(cell(columns.customer_id))
        phone = cell(columns.phone) or None
        if customer_id is None and phone is None:
            raise ValueError("no customer: give the customer id or phone")
        reference = cell(columns.reference) or None
        if reference is not None and len(reference) > REFERENCE_MAX:
            raise ValueError(f"order number over {REFERENCE_MAX} characters")
    except ValueError as exc:
        return RowProblem(number, str(exc))
    return OrderRow(number, ordered_on, amount, customer_id, phone, reference)


def parse_date(text: str) -> date:
    """An order date written year first; ValueError saying how to write it otherwise."""
    clean = unicodedata.normalize("NFKC", text).strip()
    if not clean:
        raise ValueError("no order date")
    for pattern in (_DATE_YMD, _DATE_CJK, _DATE_COMPACT):
        match = pattern.match(clean)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                found = date(year, month, day)
            except ValueError:
                raise ValueError(f"no such day: {text!r}") from None
            if found < EARLIEST:
                raise ValueError(f"date {text!r} is before {EARLIEST.year}")
            return found
    if _DATE_DAY_FIRST.match(clean):
        raise ValueError(f"date {text!r} is ambiguous: write the year first (2025-03-05)")
    raise ValueError(f"not a date: {text!r} (write 2025-03-05)")


def parse_amount(text: str) -> Decimal:
    """An amount of money in cents; ValueError for anything else or a negative amount."""
    clean = _SPACES.sub("", _CURRENCY.sub("", unicodedata.normalize("NFKC", text)))
    if not clean:
        raise ValueError("no amount")
    if clean.startswith("-") or (clean.startswith("(") and clean.endswith(")")):
        raise ValueError(f"negative amount {text!r}: orders are not negative")
    number = _plain_number(clean, text)
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    return check_amount(value)


def _plain_number(clean: str, text: str) -> str:
    """`clean` with thousands separators removed and a '.' as decimal point."""
    malformed = ValueError(f"not an amount: {text!r}")
    if "," in clean and "." in clean:
        comma_first = clean.rfind(",") < clean.rfind(".")  # 1,234.50 rather than 1.234,50
        if comma_first and _THOUSANDS_COMMA.match(clean):
            return clean.replace(",", "")
        if not comma_first and _THOUSANDS_DOT.match(clean):
            return clean.replace(".", "").replace(",", ".")
        raise malformed
    if "," in clean:
        if _THOUSANDS_COMMA.match(clean):
            return clean.replace(",", "")
        if _DECIMAL_COMMA.match(clean):
            return clean.replace(",", ".")
        raise malformed
    if _THOUSANDS_DOTS.match(clean):
        return clean.replace(".", "")
    if _THREE_DECIMALS.match(clean):
        raise ValueError(f"amount {text!r} is ambiguous: write 1234 or 1.23")
    if not _NUMBER.match(clean):
        raise malformed
    return clean


def _customer_id(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise ValueError(f"customer id {text!r} is not a number")
    return int(text)
