"""Engine URL handling and the UTC timestamp column type, without opening a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from crm_core.db import create_db_engine
from crm_core.models import UTCDateTime

pytestmark = pytest.mark.unit

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_bare_postgresql_url_uses_psycopg_3() -> None:
    engine = create_db_engine("postgresql://u@/db?host=/tmp/x")
    assert engine.dialect.driver == "psycopg"


def test_postgresql_psycopg_url_is_kept() -> None:
    engine = create_db_engine("postgresql+psycopg://u:pw@localhost/db")
    assert engine.dialect.driver == "psycopg"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "unsupported database URL"),
        ("postgresql+asyncpg://u@h/db", "postgresql\\+psycopg"),
    ],
)
def test_unsupported_url_is_refused_with_what_to_use(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_db_engine(url)


def test_unsupported_url_message_hides_the_password() -> None:
    with pytest.raises(ValueError, match="unsupported") as caught:
        create_db_engine("mysql://u:hunter2@h/db")
    assert "hunter2" not in str(caught.value)


def test_utc_type_stores_an_aware_time_in_utc() -> None:
    local = datetime(2024, 6, 1, 14, 0, tzinfo=PARIS_SUMMER)
    stored = UTCDateTime().process_bind_param(local, sqlite.dialect())
    assert stored == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert stored is not None
    assert stored.utcoffset() == timedelta(0)


def test_utc_type_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2024, 6, 1, 12, 0), sqlite.dialect())


def test_utc_type_reads_sqlite_naive_values_back_as_aware_utc() -> None:
    value = UTCDateTime().process_result_value(datetime(2024, 6, 1, 12, 0), sqlite.dialect())
    assert value == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert value is not None
    assert value.tzinfo is UTC


def test_utc_type_converts_other_zones_read_back_to_utc() -> None:
    read = datetime(2024, 6, 1, 14, 0, tzinfo=PARIS_SUMMER)
    value = UTCDateTime().process_result_value(read, sqlite.dialect())
    assert value is not None
    assert value.tzinfo is UTC
    assert value.hour == 12


def test_utc_type_passes_none_both_ways() -> None:
    assert UTCDateTime().process_bind_param(None, sqlite.dialect()) is None
    assert UTCDateTime().process_result_value(None, sqlite.dialect()) is None
