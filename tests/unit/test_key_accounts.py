"""Key accounts: monthly volumes with empty months, who is a key account, the falling alert."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.key_accounts import (
    KeyAccountConfig,
    MonthVolume,
    OrderFact,
    add_months,
    falling_run,
    key_account_alerts,
    key_accounts,
    last_complete_month,
    monthly_volumes,
)

pytestmark = pytest.mark.unit

TODAY = date(2025, 6, 14)  # newest complete month: May 2025


def orders(customer: int, *monthly: int, last: date = date(2025, 5, 1)) -> list[OrderFact]:
    """One order per month with the given amounts, the last one in `last`'s month."""
    first = add_months(last, -(len(monthly) - 1))
    return [
        OrderFact(customer, add_months(first, i).replace(day=10), Decimal(amount))
        for i, amount in enumerate(monthly)
        if amount
    ]


D = Decimal


# --- months -------------------------------------------------------------------------------------


def test_month_arithmetic_crosses_years() -> None:
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)
    assert add_months(date(2024, 11, 1), 14) == date(2026, 1, 1)
    assert last_complete_month(date(2025, 1, 1)) == date(2024, 12, 1)


def test_monthly_volume_sums_orders_and_counts_empty_months_as_zero() -> None:
    facts = [
        OrderFact(1, date(2025, 3, 2), D("10.50")),
        OrderFact(1, date(2025, 3, 30), D("5")),
        OrderFact(1, date(2025, 5, 1), D("7")),
        OrderFact(1, date(2025, 7, 1), D("99")),  # outside the window
    ]
    volumes = monthly_volumes(facts, date(2025, 3, 1), date(2025, 5, 1))
    assert volumes == {
        1: [
            MonthVolume(date(2025, 3, 1), D("15.50")),
            MonthVolume(date(2025, 4, 1), D(0)),
            MonthVolume(date(2025, 5, 1), D("7")),
        ]
    }


def test_given_a_reversed_month_range_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="before the first"):
        monthly_volumes([], date(2025, 5, 1), date(2025, 3, 1))


# --- key accounts -------------------------------------------------------------------------------


def test_the_top_share_of_customers_by_volume_are_key_accounts() -> None:
    trailing = {c: D(c * 100) for c in range(1, 11)}  # ten customers
    assert key_accounts(trailing, KeyAccountConfig()) == {9, 10}
    assert key_accounts(trailing, KeyAccountConfig(top_share=D("0.25"))) == {8, 9, 10}


def test_customers_tied_with_the_last_of_the_top_are_in_it() -> None:
    trailing = {1: D(500), 2: D(300), 3: D(300), 4: D(10), 5: D(1)}
    assert key_accounts(trailing, KeyAccountConfig(top_share=D("0.4"))) == {1, 2, 3}


def test_a_volume_threshold_adds_key_accounts_and_zero_volume_never_is_one() -> None:
    trailing = {1: D(1000), 2: D(600), 3: D(100), 4: D(0)}
    config = KeyAccountConfig(top_share=D(0), min_volume=D(500))
    assert key_accounts(trailing, config) == {1, 2}
    assert key_accounts({4: D(0)}, KeyAccountConfig(top_share=D(1))) == set()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"falling_months": 0}, "falling months"),
        ({"falling_months": 25}, "falling months"),
        ({"trailing_months": 0}, "trailing months"),
        ({"top_share": D("1.5")}, "top share"),
        ({"top_share": D("-0.1")}, "top share"),
        ({"top_share": D("NaN")}, "top share"),
        ({"min_volume": D(0)}, "minimum volume"),
    ],
)
def test_given_bad_settings_then_they_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeyAccountConfig(**kwargs)  # type: ignore[arg-type]


# --- falling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volumes", "run"),
    [
        ([100, 90, 80, 70], 3),
        ([100, 90, 95, 70], 1),
        ([100, 90, 90], 0),  # flat is not falling
        ([100, 50, 0, 0, 0], 4),  # stopped ordering: keeps falling
        ([0, 0, 100], 0),
        ([50], 0),
        ([], 0),
    ],
)
def test_falling_run_counts_the_newest_months_that_fell(volumes: list[int], run: int) -> None:
    assert falling_run([D(v) for v in volumes]) == run


def test_given_a_key_account_falling_three_months_then_it_is_alerted() -> None:
    facts = [
        *orders(1, 900, 900, 900, 900, 900, 900, 900, 900, 800, 600, 400, 200),
        *orders(2, 100, 100, 100),
        *orders(3, 50),
        *orders(4, 20),
        *orders(5, 10),
    ]
    alerts = key_account_alerts(facts, TODAY, KeyAccountConfig())
    assert [(a.customer_id, a.falling_months, a.trailing_volume) for a in alerts] == [
        (1, 4, D(9200))
    ]
    assert [m.month for m in alerts[0].months] == [
        date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)
    ]  # fmt: skip
    assert [m.volume for m in alerts[0].months] == [D(800), D(600), D(400), D(200)]


def test_given_two_falling_months_only_then_no_alert_unless_configured_so() -> None:
    facts = orders(1, 900, 900, 500, 100)
    assert key_account_alerts(facts, TODAY, KeyAccountConfig()) == []
    alerts = key_account_alerts(facts, TODAY, KeyAccountConfig(falling_months=2))
    assert [a.customer_id for a in alerts] == [1]


def test_the_current_month_does_not_count_until_it_is_over() -> None:
    facts = [*orders(1, 900, 800, 700, 600), OrderFact(1, date(2025, 6, 2), D(1))]
    assert [a.customer_id for a in key_account_alerts(facts, TODAY, KeyAccountConfig())] == [1]


def test_a_key_account_that_stopped_ordering_is_alerted() -> None:
    facts = [*orders(1, 900, 900, 900, last=date(2025, 1, 1)), *orders(2, 10, 10, 10, 10)]
    alerts = key_account_alerts(facts, TODAY, KeyAccountConfig())
    assert [(a.customer_id, a.falling_months) for a in alerts] == [(1, 4)]


def test_customers_that_are_not_key_accounts_are_not_alerted() -> None:
    facts = [*orders(1, 900, 900, 900, 900), *orders(2, 40, 30, 20, 10)]
    assert key_account_alerts(facts, TODAY, KeyAccountConfig()) == []


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=15))
def test_falling_run_is_at_most_the_number_of_month_pairs(values: list[int]) -> None:
    run = falling_run([D(v) for v in values])
    assert 0 <= run <= len(values) - 1
    if run:
        newest, before = values[-1], values[-2]
        assert newest < before or newest == before == 0
