"""Grouped sums over integer codes: the one grouping routine every report table goes through.

Report keys (queue, agent, DNIS, interval index) take few distinct values over a million rows.
Grouping by their text would hash every row's string; here each key becomes integer codes once
(free for a categorical column), the codes of all keys combine into one integer per row, and
pandas groups by that single integer. The result is indexed by the keys' values, sorted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def codes_of(values: Any) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for missing) and the values they stand for; free for categoricals."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        categorical = values.array if isinstance(values, pd.Series) else values
        return np.asarray(categorical.codes, dtype=np.int64), categorical.categories
    codes, uniques = pd.factorize(values.array if isinstance(values, pd.Series) else values)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def take(values: Any, rows: np.ndarray) -> Any:
    """`values[rows]` for a Series, a pandas array or a NumPy array, keeping a categorical one."""
    array = values.array if isinstance(values, pd.Series) else values
    return array.take(rows)


def group_table(
    frame: pd.DataFrame,
    keys: Mapping[str, Any],
    sums: Sequence[str],
    maxima: Sequence[str] = (),
) -> pd.DataFrame:
    """`sums` columns of `frame` summed and `maxima` columns maxed per group of `keys` (each a
    column of the same length: array, Series or categorical). Rows with a missing key value are
    left out; the index holds the key values (a MultiIndex for several keys), sorted."""
    coded = [codes_of(values) for values in keys.values()]
    codes = [c for c, _ in coded]
    sizes = tuple(max(1, len(labels)) for _, labels in coded)
    missing = np.zeros(len(frame), dtype=bool)
    for c in codes:
        missing |= c < 0
    if len(codes) == 1:
        combined = codes[0].copy()
    else:
        safe = [np.where(missing, 0, c) for c in codes]
        combined = np.ravel_multi_index(safe, sizes).astype(np.int64)
    combined[missing] = -1
    grouped = frame.groupby(combined, sort=True)
    table = grouped[list(sums)].sum()
    for name in maxima:
        table[name] = grouped[name].max()
    table = table[table.index.to_numpy() >= 0]
    table.index = _labels(table.index.to_numpy(), coded, list(keys), sizes)
    return table.sort_index()


def _labels(
    combined: np.ndarray,
    coded: Sequence[tuple[np.ndarray, pd.Index]],
    names: list[str],
    sizes: tuple[int, ...],
) -> pd.Index:
    if len(coded) == 1:
        return pd.Index(coded[0][1].take(combined), name=names[0])
    parts = np.unravel_index(combined, sizes)
    arrays = [labels.take(part) for (_, labels), part in zip(coded, parts, strict=True)]
    return pd.MultiIndex.from_arrays(arrays, names=names)


def roll_up(
    table: pd.DataFrame, keys: Sequence[str], sums: Sequence[str], maxima: Sequence[str] = ()
) -> pd.DataFrame:
    """A `group_table` result summed again over fewer keys (none: one row for everything)."""
    if not keys:
        row = table[list(sums)].sum().to_frame().T
        for name in maxima:
            row[name] = table[name].max()
        return row.reset_index(drop=True)
    grouped = table.groupby(level=list(keys), sort=True)
    out = grouped[list(sums)].sum()
    for name in maxima:
        out[name] = grouped[name].max()
    return out
