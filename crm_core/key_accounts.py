"""Key accounts and the falling-volume alert, from orders (date and amount per customer). Pure.

Months are calendar months of the order dates; a month without orders has volume 0. Only
complete months count: on 2025-06-14 the newest month looked at is May 2025.

A customer is a *key account* when their volume over the trailing `trailing_months` complete
months (default 12) is positive and either reaches `min_volume` (if set) or ranks in the top
`top_share` (default 20 %) of the customers with positive volume (rounded up, so there is always
at least one; customers tied with the last one in the top are in it too).

A month *falls* when its volume is below the month before, or when both are zero: a key account
that has stopped ordering keeps falling rather than dropping out of the alert. The alert fires
for a key account whose newest `falling_months` (default 3) months have all fallen.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

FALLING_MONTHS_DEFAULT = 3
FALLING_MONTHS_MAX = 24
TRAILING_MONTHS_DEFAULT = 12
TRAILING_MONTHS_MAX = 36
TOP_SHARE_DEFAULT = Decimal("0.2")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class KeyAccountConfig:
    """Which customers are key accounts and when their falling volume raises an alert."""

    falling_months: int = FALLING_MONTHS_DEFAULT
    top_share: Decimal = TOP_SHARE_DEFAULT
    min_volume: Decimal | None = None
    trailing_months: int = TRAILING_MONTHS_DEFAULT

    def __post_init__(self) -> None:
        if not 1 <= self.falling_months <= FALLING_MONTHS_MAX:
            raise ValueError(f"falling months must be 1-{FALLING_MONTHS_MAX}")
        if not 1 <= self.trailing_months <= TRAILING_MONTHS_MAX:
            raise ValueError(f"trailing months must be 1-{TRAILING_MONTHS_MAX}")
        if not (self.top_share.is_finite() and ZERO <= self.top_share <= 1):
            raise ValueError("top share must be a fraction from 0 to 1")
        if self.min_volume is not None and not (
            self.min_volume.is_finite() and self.min_volume > 0
        ):
            raise ValueError("minimum volume must be positive")


@dataclass(frozen=True, slots=True)
class OrderFact:
    """One order: who, on which day, for how much."""

    customer_id: int
    ordered_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MonthVolume:
    """A customer's order volume in one month (`month` is its first day)."""

    month: date
    volume: Decimal


@dataclass(frozen=True, slots=True)
class KeyAccountAlert:
    """A key account whose monthly volume has fallen `falling_months` months running."""

    customer_id: int
    trailing_volume: Decimal
    falling_months: int
    months: tuple[MonthVolume, ...]


def month_of(day: date) -> date:
    """The first day of the month of `day`."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def last_complete_month(today: date) -> date:
    """The newest month that has ended by `today`."""
    return add_months(month_of(today), -1)


def monthly_volumes(
    orders: Iterable[OrderFact], first: date, last: date
) -> dict[int, list[MonthVolume]]:
    """Each customer's volume per month from `first` to `last` (months), zeros included."""
    months = [add_months(month_of(first), i) for i in range(_months_between(first, last) + 1)]
    sums: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for order in orders:
        month = month_of(order.ordered_on)
        if months and months[0] <= month <= months[-1]:
            sums[order.customer_id][month] += order.amount
    return {
        customer: [MonthVolume(m, by_month.get(m, ZERO)) for m in months]
        for customer, by_month in sums.items()
    }


def key_accounts(trailing: Mapping[int, Decimal], config: KeyAccountConfig) -> set[int]:
    """The customers that are key accounts, given their trailing volumes."""
    positive = sorted((v for v in trailing.values() if v > 0), reverse=True)
    if not positive:
        return set()
    top = math.ceil(Decimal(len(positive)) * config.top_share)
    bar = positive[top - 1] if top else None
    return {
        customer
        for customer, volume in trailing.items()
        if volume > 0
        and (
            (bar is not None and volume >= bar)
            or (config.min_volume is not None and volume >= config.min_volume)
        )
    }


def falling_run(volumes: Sequence[Decimal]) -> int:
    """How many of the newest months fell in a row (see the module's definition of a fall)."""
    run = 0
    for newer, older in zip(reversed(volumes[1:]), reversed(volumes[:-1]), strict=True):
        if not (newer < older or newer == older == 0):
            break
        run += 1
    return run


def key_account_alerts(
    orders: Iterable[OrderFact], today: date, config: KeyAccountConfig
) -> list[KeyAccountAlert]:
    """The alerts as of `today`, biggest trailing volume first."""
    last = last_complete_month(today)
    # One month before the trailing window, so its first month can fall too.
    span = max(config.trailing_months, config.falling_months + 1)
    volumes = monthly_volumes(orders, add_months(last, -span), last)
    trailing = {
        customer: sum((m.volume for m in months[-config.trailing_months :]), ZERO)
        for customer, months in volumes.items()
    }
    alerts = []
    for customer in key_accounts(trailing, config):
        months = volumes[customer]
        run = falling_run([m.volume for m in months])
        if run >= config.falling_months:
            shown = tuple(months[-(config.falling_months + 1) :])
            alerts.append(KeyAccountAlert(customer, trailing[customer], run, shown))
    return sorted(alerts, key=lambda a: (-a.trailing_volume, a.customer_id))


def _months_between(first: date, last: date) -> int:
    if last < first:
        raise ValueError(f"the last month ({last}) is before the first ({first})")
    return (last.year - first.year) * 12 + last.month - first.month
