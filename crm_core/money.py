"""Amounts of money: exact decimals in cents, stored as whole cents. Pure.

One currency (the center's) throughout. Amounts are never negative here: orders and opportunity
values are sums a customer pays; credits and returns are not modelled.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
CENTS_PER_UNIT = Decimal(100)
AMOUNT_MAX = Decimal("999999999999.99")  # 14 digits: far below BIGINT cents, fits NUMERIC(14, 2)


def check_amount(amount: Decimal) -> Decimal:
    """The amount rounded to cents, if it is a finite, non-negative sum within `AMOUNT_MAX`."""
    if not amount.is_finite() or amount < 0 or amount > AMOUNT_MAX:
        raise ValueError(f"amount must be 0-{AMOUNT_MAX}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """An amount as whole cents (checked by `check_amount`)."""
    return int(check_amount(amount) * CENTS_PER_UNIT)


def from_cents(cents: int) -> Decimal:
    """Whole cents as an amount."""
    return (Decimal(cents) / CENTS_PER_UNIT).quantize(CENT)
