"""CSV export of a report table: UTF-8 with a byte-order mark (so Excel reads it as UTF-8),
timestamps as ISO-8601 with the center's UTC offset (`2026-01-05T09:00:00.000+08:00`), durations
as seconds (3 decimals), rates as fractions (4 decimals), an empty cell for "no data".

Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) get a leading apostrophe, so a caller ID like `=HYPERLINK(...)` stays text. Phone
numbers in E.164 start with `+`, so they are written as `'+8613800000000`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from reporting.columns import Kind, kind_of, local_times

ENCODING = "utf-8-sig"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
SECONDS_DECIMALS = 3
RATE_DECIMALS = 4
_SECONDS_PER_HOUR = 3600
_SECONDS_PER_MINUTE = 60


def neutralise(text: str) -> str:
    """The text, prefixed with an apostrophe if a spreadsheet would read it as a formula."""
    return NEUTRALISER + text if text.startswith(FORMULA_PREFIXES) else text


def _offset_text(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    whole = abs(round(seconds))
    return f"{sign}{whole // _SECONDS_PER_HOUR:02d}:{whole % _SECONDS_PER_HOUR // 60:02d}"


def iso_times(epoch_s: pd.Series, tz: str) -> np.ndarray:
    """ISO-8601 local times with offset, millisecond precision; "" where NaN (vectorised)."""
    values = epoch_s.to_numpy(dtype=np.float64)
    aware = local_times(values, tz)
    naive = aware.tz_localize(None)
    text = np.datetime_as_string(naive.to_numpy().astype("datetime64[ms]"), unit="ms")
    utc = pd.to_datetime(values, unit="s")
    offsets = np.nan_to_num((naive - utc).total_seconds().to_numpy(), nan=0.0)
    unique, inverse = np.unique(offsets, return_inverse=True)
    suffix = np.array([_offset_text(o) for o in unique], dtype=object)[inverse]
    out = text.astype(object) + suffix
    out[np.isnan(values)] = ""
    return np.asarray(out, dtype=object)


def _numbers(values: pd.Series, decimals: int) -> np.ndarray:
    rounded = np.round(values.to_numpy(dtype=np.float64), decimals)
    out = rounded.astype(object)
    out[np.isnan(rounded)] = None  # csv writes None as an empty cell
    return np.asarray(out, dtype=object)


def _texts(values: pd.Series) -> np.ndarray:
    text = values.fillna("").astype(str)
    risky = text.str.startswith(FORMULA_PREFIXES)
    return np.asarray(text.where(~risky, NEUTRALISER + text).to_numpy(dtype=object))


def cell_columns(table: pd.DataFrame, tz: str) -> list[np.ndarray]:
    """Each column of `table` as the cells the CSV holds."""
    columns: list[np.ndarray] = []
    for name in table.columns:
        kind = kind_of(str(name), table[name].dtype)
        values = table[name]
        if kind is Kind.TIME:
            columns.append(iso_times(values, tz))
        elif kind is Kind.SECONDS:
            columns.append(_numbers(values, SECONDS_DECIMALS))
        elif kind is Kind.RATE:
            columns.append(_numbers(values, RATE_DECIMALS))
        elif kind is Kind.COUNT:
            columns.append(values.to_numpy(dtype=object))
        else:
            columns.append(_texts(values))
    return columns


def csv_rows(table: pd.DataFrame, tz: str) -> Iterator[tuple[object, ...]]:
    """The header (the column names, neutralised) and then one tuple of cells per row."""
    yield tuple(neutralise(str(name)) for name in table.columns)
    yield from zip(*cell_columns(table, tz), strict=True)


def write_csv(table: pd.DataFrame, path: Path, tz: str) -> None:
    """Write `table` as a CSV file at `path` (created or replaced), with the byte-order mark."""
    with path.open("w", encoding=ENCODING, newline="") as stream:
        csv.writer(stream).writerows(csv_rows(table, tz))


def csv_bytes(table: pd.DataFrame, tz: str) -> bytes:
    """The CSV file's bytes (with the byte-order mark), for a download."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(csv_rows(table, tz))
    return buffer.getvalue().encode(ENCODING)
